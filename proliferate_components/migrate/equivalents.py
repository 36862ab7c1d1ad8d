"""Read an attribute from its equivalent when the state does not hold it.

Older provider versions, hand-written states and ``terraform import`` of old resources hold
fewer attributes than a state that hashicorp/aws 5.x writes. Many of the missing ones are
held under another name: an Elastic IP's ``allocation_id`` is its ``id``, a load balancer's
``arn`` is its ``id``, a log group's ``name`` is its ``id``, a role policy's ``role`` and
``name`` are the two halves of its ``id``, a NAT gateway's ``allocation_id`` is the Elastic
IP associated with it. :func:`with_equivalents` fills each missing attribute from its
equivalent (and records which, in :attr:`TfResource.inferred`), so that nothing downstream
treats a value the state does hold as a difference.

An attribute with no equivalent stays absent: the classification treats it as unknown, not
as a difference (:mod:`~proliferate_components.migrate.plan`).
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from .tfstate import TfResource, TfState

__all__ = ["EQUIVALENTS", "account_and_region", "with_equivalents"]

_ARN = re.compile(r"^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):([0-9]{12})?:(.+)$")

Derive = Callable[[Mapping[str, Any], "_Context"], Any]


class _Context:
    """What equivalences across resources need: the account, region and a few indexes."""

    def __init__(self, state: TfState) -> None:
        self.account, self.region = account_and_region(state)
        self.eips = state.of_type("aws_eip")
        self.vpcs = state.of_type("aws_vpc")


def account_and_region(state: TfState) -> tuple[str, str]:
    """The account id and region of the state's ARNs (``""`` when none holds them)."""
    account = region = ""
    for res in state.resources:
        for key in ("arn", "id"):
            match = _ARN.match(str(res.attributes.get(key) or ""))
            if match:
                account = account or (match.group(4) or "")
                region = region or match.group(3)
        if account and region:
            break
    if not region:
        for res in state.resources:
            zone = str(res.attributes.get("availability_zone") or "")
            if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]", zone):
                region = zone[:-1]
                break
    return account, region


def _is(prefix: str, value: Any) -> bool:
    return isinstance(value, str) and value.startswith(prefix)


def _tail(value: Any, sep: str = "/") -> str | None:
    return str(value).rsplit(sep, 1)[-1] if isinstance(value, str) and value else None


def _arn_resource(value: Any) -> str | None:
    match = _ARN.match(value) if isinstance(value, str) else None
    return match.group(5) if match else None


def _part(value: Any, index: int, sep: str = ":") -> str | None:
    if not isinstance(value, str) or sep not in value:
        return None
    parts = value.split(sep)
    return parts[index] if len(parts) > abs(index) else None


def _arn_of(service: str, resource: Callable[[Mapping[str, Any]], str | None]) -> Derive:
    def build(a: Mapping[str, Any], ctx: _Context) -> str | None:
        res = resource(a)
        if not res or not ctx.account or not ctx.region:
            return None
        return f"arn:aws:{service}:{ctx.region}:{ctx.account}:{res}"

    return build


def _lb_name(a: Mapping[str, Any], _ctx: _Context) -> str | None:
    # arn:...:loadbalancer/app/<name>/<id>, arn:...:targetgroup/<name>/<id>
    res = _arn_resource(a.get("arn") or a.get("id"))
    if not res:
        return None
    parts = res.split("/")
    if parts[0] == "loadbalancer" and len(parts) >= 3:
        return parts[2]
    if parts[0] == "targetgroup" and len(parts) >= 2:
        return parts[1]
    return None


def _listener_lb(a: Mapping[str, Any], _ctx: _Context) -> str | None:
    # arn:...:listener/app/<lb>/<lb id>/<listener id> -> arn:...:loadbalancer/app/<lb>/<lb id>
    arn = a.get("arn") or a.get("id")
    if not isinstance(arn, str) or ":listener/" not in arn:
        return None
    head, _, tail = arn.partition(":listener/")
    parts = tail.split("/")
    return f"{head}:loadbalancer/{'/'.join(parts[:3])}" if len(parts) >= 4 else None


def _secret_name(a: Mapping[str, Any], _ctx: _Context) -> str | None:
    res = _arn_resource(a.get("arn") or a.get("id"))
    if not res or not res.startswith("secret:"):
        return None
    name = res[len("secret:") :]
    return re.sub(r"-[A-Za-z0-9]{6}$", "", name)


def _task_family(a: Mapping[str, Any], _ctx: _Context) -> str | None:
    res = _arn_resource(a.get("arn"))
    if not res or not res.startswith("task-definition/"):
        return None
    return res[len("task-definition/") :].split(":")[0]


def _nat_allocation(a: Mapping[str, Any], ctx: _Context) -> str | None:
    for eip in ctx.eips:
        e = eip.attributes
        same = any(
            a.get(k) and a.get(k) == e.get(j)
            for k, j in (
                ("association_id", "association_id"),
                ("public_ip", "public_ip"),
                ("network_interface_id", "network_interface"),
            )
        )
        if same:
            return str(e.get("allocation_id") or e.get("id") or "") or None
    return None


def _only_vpc(_a: Mapping[str, Any], ctx: _Context) -> str | None:
    return ctx.vpcs[0].id if len(ctx.vpcs) == 1 and ctx.vpcs[0].id else None


def _vpc_with_default(attribute: str) -> Derive:
    """The VPC whose ``attribute`` (``default_network_acl_id``, ``default_route_table_id``)
    is this default's id; else the state's only VPC."""

    def derive(a: Mapping[str, Any], ctx: _Context) -> str | None:
        own = a.get(attribute) or a.get("id")
        for vpc in ctx.vpcs:
            if own and vpc.attributes.get(attribute) == own and vpc.id:
                return vpc.id
        return _only_vpc(a, ctx)

    return derive


def _eip_domain(a: Mapping[str, Any], _ctx: _Context) -> str | None:
    if a.get("vpc") is True or _is("eipalloc-", a.get("allocation_id") or a.get("id")):
        return "vpc"
    return None


def _route_parts(a: Mapping[str, Any]) -> tuple[str, str] | None:
    """(route table id, destination) of a route id ``r-<table><crc32 of destination>`` (how
    the AWS provider builds it), for the default destinations."""
    rid = a.get("id")
    if not isinstance(rid, str) or not rid.startswith("r-"):
        return None
    for destination in ("0.0.0.0/0", "::/0"):
        digest = str(zlib.crc32(destination.encode()))
        if rid.endswith(digest) and len(rid) > 2 + len(digest):
            return rid[2 : -len(digest)], destination
    return None


def _route_destination(a: Mapping[str, Any], _ctx: _Context) -> str | None:
    parts = _route_parts(a)
    table = a.get("route_table_id")
    return parts[1] if parts and (not table or table == parts[0]) else None


def _route_table(a: Mapping[str, Any], _ctx: _Context) -> str | None:
    parts = _route_parts(a)
    return parts[0] if parts else None


_id: Derive = lambda a, _c: a.get("id")  # noqa: E731
_arn: Derive = lambda a, _c: a.get("arn")  # noqa: E731
_name: Derive = lambda a, _c: a.get("name")  # noqa: E731
_arn_tail: Derive = lambda a, _c: _tail(a.get("arn") or a.get("id"))  # noqa: E731

EQUIVALENTS: Mapping[str, tuple[tuple[str, Derive], ...]] = {
    "aws_eip": (
        ("allocation_id", lambda a, _c: a.get("id") if _is("eipalloc-", a.get("id")) else None),
        ("id", lambda a, _c: a.get("allocation_id")),
        ("domain", _eip_domain),
    ),
    "aws_nat_gateway": (("allocation_id", _nat_allocation),),
    "aws_route": (
        ("destination_cidr_block", _route_destination),
        ("route_table_id", _route_table),
    ),
    "aws_vpc": (("id", _arn_tail),),
    "aws_subnet": (("id", _arn_tail), ("vpc_id", _only_vpc)),
    "aws_internet_gateway": (("id", _arn_tail), ("vpc_id", _only_vpc)),
    "aws_route_table": (("id", _arn_tail), ("vpc_id", _only_vpc)),
    "aws_security_group": (("id", _arn_tail), ("vpc_id", _only_vpc)),
    "aws_default_security_group": (("id", _arn_tail), ("vpc_id", _only_vpc)),
    "aws_default_network_acl": (
        ("id", lambda a, _c: a.get("default_network_acl_id") or _tail(a.get("arn"))),
        ("default_network_acl_id", _id),
        ("vpc_id", _vpc_with_default("default_network_acl_id")),
    ),
    "aws_default_route_table": (
        ("id", lambda a, _c: a.get("default_route_table_id") or _tail(a.get("arn"))),
        ("default_route_table_id", _id),
        ("vpc_id", _vpc_with_default("default_route_table_id")),
    ),
    "aws_ecs_cluster_capacity_providers": (
        ("cluster_name", _id),
        ("id", lambda a, _c: a.get("cluster_name")),
    ),
    "aws_ecs_cluster": (
        ("arn", lambda a, _c: a.get("id") if _is("arn:", a.get("id")) else None),
        ("id", _arn),
        ("name", _arn_tail),
    ),
    "aws_ecs_service": (
        ("id", _arn),
        ("arn", lambda a, _c: a.get("id") if _is("arn:", a.get("id")) else None),
        ("name", lambda a, _c: _tail(a.get("id")) if _is("arn:", a.get("id")) else a.get("id")),
    ),
    "aws_ecs_task_definition": (
        ("family", _task_family),
        ("arn_without_revision", lambda a, _c: _part(a.get("arn"), 0, ":task-definition/")),
    ),
    "aws_cloudwatch_log_group": (
        ("name", _id),
        ("id", _name),
        ("arn", _arn_of("logs", lambda a: f"log-group:{a.get('name') or a.get('id')}")),
    ),
    "aws_ecr_repository": (
        ("name", _id),
        ("id", _name),
        (
            "repository_url",
            lambda a, c: (
                f"{a.get('registry_id') or c.account}.dkr.ecr.{c.region}.amazonaws.com/"
                f"{a.get('name') or a.get('id')}"
                if (a.get("registry_id") or c.account)
                and c.region
                and (a.get("name") or a.get("id"))
                else None
            ),
        ),
        ("arn", _arn_of("ecr", lambda a: f"repository/{a.get('name') or a.get('id')}")),
    ),
    "aws_ecr_lifecycle_policy": (("repository", _id), ("id", lambda a, _c: a.get("repository"))),
    "aws_iam_role": (
        ("name", _id),
        ("id", _name),
        (
            "arn",
            lambda a, c: (
                f"arn:aws:iam::{c.account}:role{a.get('path') or '/'}{a.get('name') or a.get('id')}"
                if c.account and (a.get("name") or a.get("id"))
                else None
            ),
        ),
    ),
    "aws_iam_role_policy": (
        ("role", lambda a, _c: _part(a.get("id"), 0)),
        ("name", lambda a, _c: _part(a.get("id"), 1)),
        (
            "id",
            lambda a, _c: (
                f"{a.get('role')}:{a.get('name')}" if a.get("role") and a.get("name") else None
            ),
        ),
    ),
    "aws_lb": (("arn", _id), ("id", _arn), ("name", _lb_name)),
    "aws_alb": (("arn", _id), ("id", _arn), ("name", _lb_name)),
    "aws_lb_target_group": (("arn", _id), ("id", _arn), ("name", _lb_name)),
    "aws_alb_target_group": (("arn", _id), ("id", _arn), ("name", _lb_name)),
    "aws_lb_listener": (("arn", _id), ("id", _arn), ("load_balancer_arn", _listener_lb)),
    "aws_alb_listener": (("arn", _id), ("id", _arn), ("load_balancer_arn", _listener_lb)),
    "aws_lb_listener_rule": (("arn", _id), ("id", _arn)),
    "aws_elasticache_replication_group": (
        ("replication_group_id", _id),
        ("id", lambda a, _c: a.get("replication_group_id")),
    ),
    "aws_elasticache_cluster": (("cluster_id", _id), ("id", lambda a, _c: a.get("cluster_id"))),
    "aws_elasticache_subnet_group": (("name", _id), ("id", _name)),
    "aws_elasticache_parameter_group": (("name", _id), ("id", _name)),
    "aws_db_instance": (
        ("identifier", lambda a, _c: a.get("id") if not _is("db-", a.get("id")) else None),
    ),
    "aws_db_subnet_group": (("name", _id), ("id", _name)),
    "aws_db_parameter_group": (("name", _id), ("id", _name)),
    "aws_secretsmanager_secret": (("arn", _id), ("id", _arn), ("name", _secret_name)),
    "aws_vpc_security_group_ingress_rule": (
        ("security_group_rule_id", _id),
        ("id", lambda a, _c: a.get("security_group_rule_id")),
    ),
    "aws_vpc_security_group_egress_rule": (
        ("security_group_rule_id", _id),
        ("id", lambda a, _c: a.get("security_group_rule_id")),
    ),
}
"""Terraform type -> (attribute, how to read it from its equivalents), applied in order
when the attribute is absent, null or empty."""


def _missing(attributes: Mapping[str, Any], key: str) -> bool:
    return attributes.get(key) in (None, "")


def with_equivalents(state: TfState) -> TfState:
    """``state`` with every absent attribute that has an equivalent filled in
    (:data:`EQUIVALENTS`); :attr:`TfResource.inferred` names what was filled."""
    ctx = _Context(state)
    changed = False
    resources: list[TfResource] = []
    for res in state.resources:
        rules = EQUIVALENTS.get(res.type, ())
        attributes: dict[str, Any] | None = None
        inferred: list[str] = []
        for key, derive in rules:
            current = attributes if attributes is not None else res.attributes
            if not _missing(current, key):
                continue
            value = derive(current, ctx)
            if value in (None, ""):
                continue
            if attributes is None:
                attributes = dict(res.attributes)
            attributes[key] = value
            inferred.append(key)
        if attributes is None:
            resources.append(res)
            continue
        changed = True
        resources.append(
            dataclasses.replace(res, attributes=attributes, inferred=(*res.inferred, *inferred))
        )
    resources, zoned = _subnet_zones(resources)
    if not changed and not zoned:
        return state
    return dataclasses.replace(state, resources=tuple(resources))


_ZONE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$")


def _subnet_zones(resources: list[TfResource]) -> tuple[list[TfResource], bool]:
    """Subnets without ``availability_zone``: a ``for_each`` key that is a zone name, or
    the one zone of the VPC that the other subnets of the same block do not use."""
    subnets = [r for r in resources if r.type == "aws_subnet"]
    missing = [s for s in subnets if _missing(s.attributes, "availability_zone")]
    if not missing:
        return resources, False
    replaced: dict[str, TfResource] = {}
    for s in missing:
        zone: str | None = None
        if isinstance(s.index_key, str) and _ZONE.match(s.index_key):
            zone = s.index_key
        else:
            vpc_zones = {
                str(o.attributes["availability_zone"])
                for o in subnets
                if o.attributes.get("vpc_id") == s.attributes.get("vpc_id")
                and not _missing(o.attributes, "availability_zone")
            }
            siblings = [
                o
                for o in subnets
                if (o.module, o.name) == (s.module, s.name)
                and o.attributes.get("vpc_id") == s.attributes.get("vpc_id")
            ]
            used = {
                str(o.attributes["availability_zone"])
                for o in siblings
                if not _missing(o.attributes, "availability_zone")
            }
            free = sorted(vpc_zones - used)
            if len(free) == 1 and len(siblings) - len(used) == 1:
                zone = free[0]
        if zone is not None:
            replaced[s.address] = dataclasses.replace(
                s,
                attributes={**s.attributes, "availability_zone": zone},
                inferred=(*s.inferred, "availability_zone"),
            )
    return [replaced.get(r.address, r) for r in resources], bool(replaced)
