"""Derive the Pulumi stack config that makes the components' inputs match a Terraform state.

Each value comes from the resource that plays the matching role (see
:mod:`~proliferate_components.migrate.roles`): the VPC's CIDR, the subnets' zones, the NAT
gateway count, each service's task size and desired count, the Redis node type, engine,
version, node count and snapshot retention, HTTPS and its certificate, the log retention.
The result is validated with :meth:`StackConfig.from_mapping`; a value the library does not
accept is dropped (the library default is used) and reported in :attr:`DerivedConfig.notes`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..cache import ENGINE_FAMILIES
from ..config import CONFIG_KEYS, StackConfig
from ..errors import ConfigError
from .roles import RoleAssignment
from .tfstate import TfResource

__all__ = ["DerivedConfig", "derive_config"]

_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-[0-9]+):")
_SECRET_KEYS = frozenset(k.full_key for k in CONFIG_KEYS if k.secret)


@dataclass(frozen=True)
class DerivedConfig:
    """The stack config derived from a Terraform state."""

    values: Mapping[str, str]
    """Pulumi config key -> value (strings as ``pulumi config set`` stores them), only keys
    the state decides; validated by :meth:`StackConfig.from_mapping`."""
    sources: Mapping[str, str]
    """Pulumi config key -> the Terraform address the value was read from."""
    notes: tuple[str, ...] = ()
    """Values that could not be carried over, and why."""
    availability_zones: tuple[str, ...] = ()
    """The zones of the Terraform subnets, in role order (AZ #0 first)."""
    secret_keys: frozenset[str] = field(default_factory=frozenset[str])
    """Keys of :attr:`values` to set with ``pulumi config set --secret``."""

    def stack_config(self) -> StackConfig:
        """The :class:`StackConfig` these values build."""
        return StackConfig.from_mapping(self.values, secret_keys=self.secret_keys)

    def commands(self, stack: str) -> list[str]:
        """``pulumi config set`` lines for ``stack`` (secret keys with ``--secret``)."""
        lines: list[str] = []
        for key in sorted(self.values):
            secret = " --secret" if key in self.secret_keys else ""
            lines.append(
                f"pulumi config set --stack {stack}{secret} {key} {_quote(self.values[key])}"
            )
        return lines


def _quote(value: str) -> str:
    return (
        value
        if re.fullmatch(r"[A-Za-z0-9_.:/@=+-]+", value)
        else "'" + value.replace("'", "'\\''") + "'"
    )


def _region(resources: list[TfResource]) -> tuple[str | None, str]:
    for res in resources:
        for key in ("arn", "id"):
            match = _ARN_REGION.match(str(res.attr(key, "")))
            if match:
                return match.group(1), res.address
    for res in resources:
        zone = str(res.attr("availability_zone", ""))
        if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]", zone):
            return zone[:-1], res.address
    return None, ""


def derive_config(assignments: list[RoleAssignment]) -> DerivedConfig:
    """The stack config matching the resources with roles in ``assignments``."""
    by_role = {a.role: a.resource for a in assignments if a.role is not None}
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    notes: list[str] = []

    def put(key: str, value: Any, res: TfResource) -> None:
        values[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        sources[key] = res.address

    region, where = _region([a.resource for a in assignments])
    if region:
        values["aws:region"] = region
        sources["aws:region"] = where

    # -- network ------------------------------------------------------------------------
    vpc = by_role.get("network/vpc")
    if vpc is not None:
        put("proliferate:vpcCidr", vpc.attr("cidr_block"), vpc)
    zones: list[str] = []
    for i in range(8):
        subnet = by_role.get(f"network/private-subnet-{i}") or by_role.get(
            f"network/public-subnet-{i}"
        )
        if subnet is None:
            break
        zones.append(str(subnet.attr("availability_zone", "")))
    if zones and vpc is not None:
        put("proliferate:azCount", len(zones), vpc)
    nat_count = sum(1 for role in by_role if re.fullmatch(r"network/nat-[0-9]+", role))
    if nat_count:
        nat = by_role["network/nat-0"]
        put("proliferate:natStrategy", "one_per_az" if nat_count > 1 else "single", nat)
        if 1 < nat_count < len(zones):
            notes.append(
                f"{nat_count} NAT gateways for {len(zones)} zones: the components run one NAT "
                "gateway or one per zone; natStrategy=one_per_az adds the missing ones"
            )

    # -- services -----------------------------------------------------------------------
    config_prefix = {
        "worker": "worker",
        "llm-proxy": "llmProxy",
        "gateway": "gateway",
        "web": "web",
    }
    for service, prefix in config_prefix.items():
        task = by_role.get(f"{service}/task")
        if task is not None:
            put(f"proliferate:{prefix}Cpu", int(str(task.attr("cpu", "0")) or 0), task)
            put(f"proliferate:{prefix}Memory", int(str(task.attr("memory", "0")) or 0), task)
        svc = by_role.get(f"{service}/service")
        if svc is not None:
            put(f"proliferate:{prefix}DesiredCount", int(svc.attr("desired_count", 1)), svc)
            if service == "web":
                put("proliferate:enableWeb", True, svc)
    retentions = {
        int(res.attr("retention_in_days", 0))
        for role, res in by_role.items()
        if role.endswith("/logs")
    }
    if len(retentions) == 1:
        value = next(iter(retentions))
        logs = next(res for role, res in by_role.items() if role.endswith("/logs"))
        if value == 0:
            notes.append(
                "the Terraform log groups keep logs forever (retention 0): the components always "
                "set a retention (default 30 days); set proliferate:logRetentionDays to keep more"
            )
        else:
            put("proliferate:logRetentionDays", value, logs)
    elif len(retentions) > 1:
        notes.append(
            f"the Terraform log groups have different retentions {sorted(retentions)}: the stack "
            "uses one proliferate:logRetentionDays for all services"
        )

    # -- redis --------------------------------------------------------------------------
    store = by_role.get("redis/replication-group")
    if store is not None:
        engine = str(store.attr("engine", "redis"))
        put("proliferate:redisEngine", engine, store)
        put("proliferate:redisCacheNodeType", store.attr("node_type"), store)
        version = str(store.attr("engine_version", ""))
        major_minor = ".".join(version.split(".")[:2])
        if (engine, major_minor) in ENGINE_FAMILIES:
            put("proliferate:redisEngineVersion", major_minor, store)
        elif version:
            notes.append(
                f"{store.address} runs {engine} {version}: the components accept "
                f"{', '.join(f'{e} {v}' for e, v in ENGINE_FAMILIES)}; upgrade it in place first "
                "(in Terraform) or accept the library default"
            )
        nodes = int(store.attr("num_cache_clusters", 0) or store.attr("num_cache_nodes", 1) or 1)
        put("proliferate:redisNumCacheClusters", nodes, store)
        if nodes == 1:
            put("proliferate:redisAllowSingleNode", True, store)
        retention = int(store.attr("snapshot_retention_limit", 0) or 0)
        if 1 <= retention <= 35:
            put("proliferate:redisSnapshotRetentionDays", retention, store)
        else:
            notes.append(
                f"{store.address} keeps no automatic snapshots (snapshot_retention_limit="
                f"{retention}): the components always keep at least 1 day; the first `pulumi up` "
                "turns daily snapshots on"
            )

    # -- load balancer ------------------------------------------------------------------
    https = by_role.get("lb/https")
    alb = by_role.get("lb/alb")
    if https is not None:
        put("proliferate:enableHttps", True, https)
        certificate = https.attr("certificate_arn")
        if certificate:
            put("proliferate:certificateArn", certificate, https)
    elif alb is not None:
        put("proliferate:enableHttps", False, alb)

    # -- data ---------------------------------------------------------------------------
    anchor = vpc or store or (assignments[0].resource if assignments else None)
    if anchor is not None:
        put("proliferate:enableRds", False, anchor)
        sources["proliferate:enableRds"] = "(no aws_db_instance in the state)"
        notes.append(
            "the Terraform deployment has no RDS database: enableRds=false keeps the external "
            "database; set it with `pulumi config set --secret proliferate:DATABASE_URL ...`"
        )

    values, dropped = _validated(values)
    for key, message in dropped:
        sources.pop(key, None)
        notes.append(f"{key} not carried over: {message}")
    return DerivedConfig(
        values=values,
        sources=sources,
        notes=tuple(notes),
        availability_zones=tuple(zones),
        secret_keys=frozenset(k for k in values if k in _SECRET_KEYS),
    )


def _validated(values: dict[str, str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Drop values :class:`StackConfig` rejects, one at a time, until the rest validate."""
    current = dict(values)
    dropped: list[tuple[str, str]] = []
    for _ in range(len(values) + 1):
        try:
            StackConfig.from_mapping(current, secret_keys=_SECRET_KEYS)
        except ConfigError as exc:
            key = exc.key if exc.key in current else None
            if key is None:
                # A cross-key rule named a key we did not set: drop the last sizing value.
                raise
            dropped.append((key, str(exc)))
            del current[key]
            continue
        return current, dropped
    return current, dropped
