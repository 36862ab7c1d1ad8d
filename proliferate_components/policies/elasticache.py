"""ElastiCache rules: BullMQ's Redis must never evict, must survive a node loss, and be encrypted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .rule import ConfigProperty, Resource, ResourceRule, StackRule, resource_rule, stack_rule
from .values import (
    flag,
    is_unknown,
    items,
    mapping,
    number,
    of_type,
    refers_to,
    text,
    unless_true,
    unset,
)

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CLUSTER = "aws:elasticache/cluster:Cluster"
PARAMETER_GROUP = "aws:elasticache/parameterGroup:ParameterGroup"

_REDIS_ENGINES = frozenset({"redis", "valkey"})


def _is_redis(r: Resource) -> bool:
    """Replication groups are Redis/Valkey; clusters only when their engine says so."""
    if r.type == REPLICATION_GROUP:
        return True
    engine = text(r.props.get("engine"))
    return engine is None or engine.lower() in _REDIS_ENGINES


def _standalone_cluster(r: Resource) -> bool:
    """An ``aws.elasticache.Cluster`` that is not a member of a replication group."""
    return r.type == CLUSTER and not r.props.get("replicationGroupId") and _is_redis(r)


def _node_count(r: Resource) -> float | None:
    """Number of nodes of a replication group or cluster (None if unknown)."""
    if r.type == CLUSTER:
        return number(r.props.get("numCacheNodes"))
    groups = number(r.props.get("numNodeGroups"))
    if groups is not None:
        replicas = number(r.props.get("replicasPerNodeGroup")) or 0
        return groups * (1 + replicas)
    clusters = r.props.get("numCacheClusters")
    if clusters is None:
        return 1.0
    return number(clusters)


def _maxmemory_policy(pg: Resource) -> str | None:
    for p in items(pg.props.get("parameters")):
        entry = mapping(p)
        if text(entry.get("name")) == "maxmemory-policy":
            return text(entry.get("value"))
    return None


@stack_rule(
    id="proliferate-elasticache-noeviction",
    service="elasticache",
    types=(REPLICATION_GROUP, CLUSTER, PARAMETER_GROUP),
    description=(
        "Every ElastiCache Redis/Valkey replication group (and standalone cluster) uses a "
        "parameter group of this stack that sets maxmemory-policy=noeviction (BullMQ loses jobs otherwise)"
    ),
    severity="critical",
    enforcement="mandatory",
    remediation=(
        "create an aws.elasticache.ParameterGroup with parameters=[{name: 'maxmemory-policy', "
        "value: 'noeviction'}] in the engine's family (e.g. redis7, valkey8) and pass its name as "
        "parameter_group_name"
    ),
    config=(
        ConfigProperty(
            "trustedParameterGroups",
            "array",
            (),
            "Names of parameter groups managed outside this stack that are known to set noeviction.",
            items_type="string",
        ),
    ),
    equivalents=(),
)
def noeviction(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """Resolve each cache's parameter group (by dependency or name) and read its policy."""
    trusted = {str(t) for t in items(config.get("trustedParameterGroups"))}
    groups = list(of_type(resources, PARAMETER_GROUP))
    for cache in of_type(resources, REPLICATION_GROUP, CLUSTER):
        if cache.type == CLUSTER and not _standalone_cluster(cache):
            continue
        raw = cache.props.get("parameterGroupName")
        if is_unknown(raw) and not cache.property_dependencies.get("parameterGroupName"):
            continue
        name = text(raw)
        matches = [pg for pg in groups if refers_to(cache, "parameterGroupName", pg)]
        if not matches:
            if name is None:
                yield (
                    cache,
                    (
                        f"{cache.label} sets no parameter_group_name, so it uses the engine's default "
                        "group whose maxmemory-policy is volatile-lru"
                    ),
                )
            elif name.startswith("default."):
                yield (
                    cache,
                    (
                        f"{cache.label} uses the default parameter group {name!r} "
                        "(maxmemory-policy volatile-lru, and default groups cannot be changed)"
                    ),
                )
            elif name not in trusted:
                yield (
                    cache,
                    (
                        f"{cache.label} uses parameter group {name!r}, which is not managed in this "
                        "stack, so noeviction cannot be verified (list it in trustedParameterGroups "
                        "if it is known to set noeviction)"
                    ),
                )
            continue
        for pg in matches:
            policy = _maxmemory_policy(pg)
            if policy is not None and is_unknown(policy):
                continue
            if policy != "noeviction":
                shown = "unset (default volatile-lru)" if policy is None else repr(policy)
                yield (
                    cache,
                    (
                        f"{cache.label} uses parameter group {pg.label} whose maxmemory-policy is {shown}"
                    ),
                )


_SNAPSHOT_CONFIG = ConfigProperty(
    "minRetentionDays",
    "integer",
    1,
    "Smallest accepted snapshot_retention_limit in days.",
    minimum=1,
)


@resource_rule(
    id="proliferate-elasticache-snapshot-retention",
    service="elasticache",
    types=(REPLICATION_GROUP, CLUSTER),
    description="ElastiCache Redis keeps automatic daily snapshots for at least minRetentionDays days",
    severity="high",
    enforcement="mandatory",
    remediation="set snapshot_retention_limit to at least minRetentionDays (and a snapshot_window)",
    config=(_SNAPSHOT_CONFIG,),
    equivalents=("checkov:CKV_AWS_134",),
)
def snapshot_retention(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """snapshotRetentionLimit >= minRetentionDays (0 or unset means no backups)."""
    if r.type == CLUSTER and not _standalone_cluster(r):
        return
    raw = r.props.get("snapshotRetentionLimit")
    if is_unknown(raw):
        return
    days = number(raw) or 0
    minimum = number(config.get("minRetentionDays")) or 1
    if days < minimum:
        yield f"{r.label} keeps snapshots for {days:g} days (minimum {minimum:g})"


@resource_rule(
    id="proliferate-elasticache-automatic-failover",
    service="elasticache",
    types=(REPLICATION_GROUP,),
    description="Multi-node ElastiCache replication groups promote a replica automatically when the primary fails",
    severity="high",
    enforcement="mandatory",
    remediation="set automatic_failover_enabled=True (needs num_cache_clusters >= 2)",
    equivalents=("cdk-nag:AwsSolutions-AEC4",),
)
def automatic_failover(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """automaticFailoverEnabled when the group has more than one node."""
    nodes = _node_count(r)
    if nodes is None or nodes < 2:
        return
    enabled = flag(r.props.get("automaticFailoverEnabled"))
    if enabled is False or (
        enabled is None and not is_unknown(r.props.get("automaticFailoverEnabled"))
    ):
        yield f"{r.label} has {nodes:g} nodes but automatic failover is off"


@resource_rule(
    id="proliferate-elasticache-multi-az",
    service="elasticache",
    types=(REPLICATION_GROUP,),
    description="ElastiCache replication groups spread their nodes over availability zones (Multi-AZ)",
    severity="medium",
    enforcement="advisory",
    remediation="set num_cache_clusters >= 2, automatic_failover_enabled=True and multi_az_enabled=True",
    equivalents=("cdk-nag:AwsSolutions-AEC4",),
)
def multi_az(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """multiAzEnabled true."""
    raw = r.props.get("multiAzEnabled")
    yield from unless_true(r.label, raw, "is not Multi-AZ (a zone outage takes the queue down)")


@resource_rule(
    id="proliferate-elasticache-encryption-at-rest",
    service="elasticache",
    types=(REPLICATION_GROUP,),
    description="ElastiCache replication groups encrypt data at rest",
    severity="high",
    enforcement="mandatory",
    remediation="set at_rest_encryption_enabled=True (optionally with kms_key_id); it forces a new group",
    equivalents=("cdk-nag:AwsSolutions-AEC3", "checkov:CKV_AWS_29"),
)
def encryption_at_rest(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """atRestEncryptionEnabled true (bool or "true"); Valkey defaults to encrypted."""
    raw = r.props.get("atRestEncryptionEnabled")
    if is_unknown(raw):
        return
    value = flag(raw)
    if value is None and (text(r.props.get("engine")) or "").lower() == "valkey":
        return
    if value is not True:
        yield f"{r.label} does not encrypt data at rest (atRestEncryptionEnabled={raw!r})"


@resource_rule(
    id="proliferate-elasticache-encryption-in-transit",
    service="elasticache",
    types=(REPLICATION_GROUP, CLUSTER),
    description="ElastiCache Redis encrypts traffic in transit (TLS; clients use rediss://)",
    severity="high",
    enforcement="mandatory",
    remediation="set transit_encryption_enabled=True and connect with a rediss:// URL",
    equivalents=("cdk-nag:AwsSolutions-AEC3", "checkov:CKV_AWS_30"),
)
def encryption_in_transit(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """transitEncryptionEnabled true."""
    if r.type == CLUSTER and not _standalone_cluster(r):
        return
    raw = r.props.get("transitEncryptionEnabled")
    problem = f"does not encrypt traffic in transit (transitEncryptionEnabled={raw!r})"
    yield from unless_true(r.label, raw, problem)


@resource_rule(
    id="proliferate-elasticache-auth-token",
    service="elasticache",
    types=(REPLICATION_GROUP,),
    description="ElastiCache replication groups require Redis AUTH (a token or RBAC user groups) over TLS",
    severity="high",
    enforcement="mandatory",
    remediation=(
        "set auth_token (a secret, e.g. from random.RandomPassword) or user_group_ids, together "
        "with transit_encryption_enabled=True"
    ),
    equivalents=("cdk-nag:AwsSolutions-AEC6", "checkov:CKV_AWS_31"),
)
def auth_token(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """authToken/authTokenWo/userGroupIds present and transit encryption on."""
    has_auth = any(
        r.props.get(k) not in (None, "", []) for k in ("authToken", "authTokenWo", "userGroupIds")
    )
    if not has_auth:
        yield f"{r.label} has no AUTH token or RBAC user group: anyone in the network can run commands"
        return
    transit = r.props.get("transitEncryptionEnabled")
    if not is_unknown(transit) and flag(transit) is not True:
        yield f"{r.label} sets an AUTH token without transit encryption (AWS rejects it; the token would travel in clear)"


@resource_rule(
    id="proliferate-elasticache-no-single-node-redis",
    service="elasticache",
    types=(CLUSTER,),
    description="Redis runs as a replication group, not as a single-node aws.elasticache.Cluster",
    severity="medium",
    enforcement="advisory",
    remediation=(
        "use aws.elasticache.ReplicationGroup (num_cache_clusters >= 2, automatic failover, "
        "snapshots) instead of a standalone Cluster"
    ),
    equivalents=("cdk-nag:AwsSolutions-AEC4",),
)
def no_single_node_redis(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """A standalone Redis/Valkey cluster has no replica and no failover."""
    if _standalone_cluster(r):
        yield f"{r.label} is a standalone Redis node with no replica or failover"


@resource_rule(
    id="proliferate-elasticache-in-vpc",
    service="elasticache",
    types=(REPLICATION_GROUP, CLUSTER),
    description="ElastiCache runs in the stack's VPC private subnets (a subnet group) with its own security group",
    severity="medium",
    enforcement="mandatory",
    remediation=(
        "create an aws.elasticache.SubnetGroup over the private subnets and set subnet_group_name "
        "and security_group_ids"
    ),
    equivalents=("cdk-nag:AwsSolutions-AEC1",),
)
def in_vpc(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """subnetGroupName and securityGroupIds set."""
    if r.type == CLUSTER and not _standalone_cluster(r):
        return
    if r.props.get("subnetGroupName") in (None, ""):
        yield f"{r.label} sets no subnet_group_name, so it lands in the default VPC"
    if not r.props.get("securityGroupIds"):
        yield f"{r.label} sets no security_group_ids, so it gets the VPC's default security group"


@resource_rule(
    id="proliferate-elasticache-kms",
    service="elasticache",
    types=(REPLICATION_GROUP,),
    description="ElastiCache encrypts data at rest with a customer-managed KMS key",
    severity="low",
    enforcement="advisory",
    remediation=(
        "set kms_key_id when the replication group is created (RedisCacheArgs.kms_key_id; the "
        "stack's customerManagedKey); an existing group keeps its key"
    ),
    equivalents=("checkov:CKV_AWS_191",),
)
def kms(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """kmsKeyId set."""
    if unset(r.props.get("kmsKeyId")):
        yield f"{r.label} is encrypted at rest with the AWS-managed key, not a customer-managed key"


RULES: tuple[ResourceRule | StackRule, ...] = (
    noeviction,
    snapshot_retention,
    automatic_failover,
    multi_az,
    encryption_at_rest,
    encryption_in_transit,
    auth_token,
    no_single_node_redis,
    in_vpc,
    kms,
)
"""The ElastiCache rules, in catalog order."""
