"""ElastiCache: node hours per node type times nodes, and snapshots beyond the free one."""

from __future__ import annotations

from collections.abc import Mapping

from ..resources import CostResource
from .base import Free, NotPriced, Outcome, Priced, PricingContext, Rule, number

__all__ = ["RULES"]

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CLUSTER = "aws:elasticache/cluster:Cluster"
_NODE_TABLE = "elasticache.node_hour"


def _node_count(r: CostResource) -> tuple[float, str]:
    groups = number(r.input("numNodeGroups"))
    replicas = number(r.input("replicasPerNodeGroup"))
    if groups is not None:
        per_group = 1 + (replicas or 0)
        return groups * per_group, f"{groups:g} shards x {_nodes(per_group)}"
    clusters = number(r.input("numCacheClusters"))
    if clusters is not None:
        return clusters, _nodes(clusters)
    return 1.0, "1 node (numCacheClusters not set)"


def _nodes(count: float) -> str:
    return f"{count:g} node{'' if count == 1 else 's'}"


def _priced(
    r: CostResource, ctx: PricingContext, nodes: float, what: str, resource_type: str
) -> Outcome:
    node_type = r.input("nodeType")
    if not isinstance(node_type, str):
        return NotPriced("nodeType is unknown until deploy")
    rates = ctx.rates(_NODE_TABLE)
    if node_type not in rates:
        raise ctx.unknown_type(r, "nodeType", node_type, _NODE_TABLE)
    engine = str(r.input("engine", "redis")).lower()
    factors = ("redis", "valkey", "memcached")
    if engine not in factors:
        return NotPriced(f"engine {engine} is not in the price table")
    factor = ctx.rate(f"elasticache.engine_factor.{engine}")
    hours = ctx.hours(r, resource_type)
    lines = [
        ctx.line(
            "nodes",
            f"ElastiCache {engine} {node_type} node-hours ({what})",
            nodes * hours.value,
            "node-hours",
            f"{_NODE_TABLE}.{node_type}",
            hours,
            unit_price=rates[node_type] * factor,
        )
    ]
    retention = number(r.input("snapshotRetentionLimit")) or 0.0
    shards = number(r.input("numNodeGroups")) or 1.0
    notes: list[str] = []
    if retention > 1:
        size = ctx.figure(r, "snapshot_size_gb", resource_type=resource_type)
        lines.append(
            ctx.line(
                "snapshots",
                f"Snapshot storage ({retention - 1:g} retained beyond the free one)",
                (retention - 1) * size.value * shards,
                "GB-months",
                "elasticache.backup_gb_month",
                size,
            )
        )
    elif retention == 1:
        notes.append("one snapshot is stored free")
    if engine == "valkey":
        notes.append("Valkey node prices are 20% below Redis OSS")
    return Priced(tuple(lines), notes=tuple(notes))


def replication_group(r: CostResource, ctx: PricingContext) -> Outcome:
    """Nodes: ``numCacheClusters``, or ``numNodeGroups`` x (``replicasPerNodeGroup`` + 1)."""
    nodes, what = _node_count(r)
    return _priced(r, ctx, nodes, what, REPLICATION_GROUP)


def cache_cluster(r: CostResource, ctx: PricingContext) -> Outcome:
    """``numCacheNodes`` nodes; a member of a replication group is priced on the group."""
    if r.input("replicationGroupId") is not None:
        return Free("a member of a replication group, whose nodes are priced on the group")
    nodes = number(r.input("numCacheNodes")) or 1.0
    return _priced(r, ctx, nodes, _nodes(nodes), CLUSTER)


RULES: Mapping[str, Rule] = {
    REPLICATION_GROUP: replication_group,
    CLUSTER: cache_cluster,
    "aws:elasticache/serverlessCache:ServerlessCache": lambda r, ctx: NotPriced(
        "ElastiCache Serverless (priced per GB-hour and ECPU) is not in the price table"
    ),
}
