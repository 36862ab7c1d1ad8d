"""Derive the Pulumi stack config that makes the components' inputs match a Terraform state.

Each value comes from the resource that plays the matching role (see
:mod:`~proliferate_components.migrate.roles`): the VPC's CIDR, the subnets' zones, the NAT
gateway count, each service's task size and desired count, the Redis node type, engine,
version, node count and snapshot retention, HTTPS and its certificate, the log retention.
The result is validated with :meth:`StackConfig.from_mapping`; a value the library does not
accept is dropped (the library default is used) and reported in :attr:`DerivedConfig.notes`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from ..cache import ENGINE_FAMILIES
from ..config import CONFIG_KEYS, AdoptConfig, StackConfig
from ..errors import ConfigError
from .roles import RoleAssignment
from .tfstate import TfResource

__all__ = ["DerivedConfig", "derive_config"]

_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-[0-9]+):")
_SECRET_KEYS = frozenset(k.full_key for k in CONFIG_KEYS if k.secret)
ADOPT_KEY = "proliferate:adopt"
"""The stack key of the existing names and network layout (:class:`AdoptConfig`)."""


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
    named_roles: frozenset[str] = field(default_factory=frozenset[str])
    """Roles whose existing name (or subnet CIDR) ``proliferate:adopt`` carries."""

    def stack_config(self) -> StackConfig:
        """The :class:`StackConfig` these values build."""
        return StackConfig.from_mapping(self.values, secret_keys=self.secret_keys)

    @property
    def adopt(self) -> AdoptConfig | None:
        """The ``proliferate:adopt`` object (existing names and network layout), if any."""
        text = self.values.get(ADOPT_KEY)
        return AdoptConfig.from_json(text, key=ADOPT_KEY) if text else None

    def json_values(self) -> dict[str, Any]:
        """:attr:`values` with ``proliferate:adopt`` as a JSON object (for config.json)."""
        out: dict[str, Any] = dict(self.values)
        adopt = self.adopt
        if adopt is not None:
            out[ADOPT_KEY] = adopt.to_json()
        return out

    def commands(self, stack: str) -> list[str]:
        """``pulumi config set`` lines for ``stack`` (secret keys with ``--secret``); the
        ``proliferate:adopt`` object as one ``pulumi config set --path`` line per entry
        (Pulumi stores it as an object and hands it to the program as JSON text)."""
        lines: list[str] = []
        for key in sorted(self.values):
            if key == ADOPT_KEY:
                continue
            secret = " --secret" if key in self.secret_keys else ""
            lines.append(
                f"pulumi config set --stack {stack}{secret} {key} {_quote(self.values[key])}"
            )
        adopt = self.adopt
        if adopt is not None:
            for path, value in adopt.config_paths(key=ADOPT_KEY):
                lines.append(
                    f"pulumi config set --stack {stack} --path {_quote(path)} {_quote(value)}"
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


def derive_config(
    assignments: list[RoleAssignment],
    *,
    adopt_names: bool = True,
    skip_roles: frozenset[str] = frozenset(),
) -> DerivedConfig:
    """The stack config matching the resources with roles in ``assignments``.

    With ``adopt_names`` (the default) it includes ``proliferate:adopt``: the existing
    physical names, zones and subnet CIDRs, so the components adopt the resources in place.
    Without, Pulumi would generate every name (a side-by-side build: the named resources
    cannot be adopted). ``skip_roles``: roles whose names are not carried (resources that
    cannot be adopted anyway: the component's new one needs a name of its own)."""
    by_role = {a.role: a.resource for a in assignments if a.role is not None}
    out = _Derivation()
    region, where = _region([a.resource for a in assignments])
    if region:
        out.values["aws:region"] = region
        out.sources["aws:region"] = where
    zones = _network(by_role, out)
    _services(by_role, out)
    _log_retention(by_role, out)
    store = _redis(by_role, out)
    _load_balancer(by_role, out)
    first = assignments[0].resource if assignments else None
    _external_database(by_role.get("network/vpc") or store or first, out)
    named: set[str] = set()
    adopt = _adopt_object(by_role, zones, skip_roles, named) if adopt_names else {}
    for role in sorted(skip_roles & set(by_role)):
        out.notes.append(
            f"the name of {by_role[role].address} is not carried into proliferate:adopt: it "
            "cannot be adopted, and the component's new resource needs a name of its own (AWS "
            "refuses two with one name)"
        )
    if adopt:
        out.values[ADOPT_KEY] = json.dumps(adopt, sort_keys=True, separators=(",", ":"))
        out.sources[ADOPT_KEY] = "the names and subnets of the resources with roles"
    values, dropped = _validated(out.values)
    for key, message in dropped:
        out.sources.pop(key, None)
        out.notes.append(f"{key} not carried over: {message}")
    return DerivedConfig(
        values=values,
        sources=out.sources,
        notes=tuple(out.notes),
        availability_zones=tuple(zones),
        secret_keys=frozenset(k for k in values if k in _SECRET_KEYS),
        named_roles=frozenset(named) if ADOPT_KEY in values else frozenset(),
    )


@dataclass
class _Derivation:
    """The config being derived: values, the address each came from, and remarks."""

    values: dict[str, str] = field(default_factory=dict[str, str])
    sources: dict[str, str] = field(default_factory=dict[str, str])
    notes: list[str] = field(default_factory=list[str])

    def put(self, key: str, value: Any, res: TfResource) -> None:
        """Set ``key`` as ``pulumi config set`` stores it, read from ``res``."""
        self.values[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        self.sources[key] = res.address


def _network(by_role: Mapping[str, TfResource], out: _Derivation) -> list[str]:
    """VPC CIDR, zone count and NAT strategy; returns the subnets' zones (AZ #0 first)."""
    vpc = by_role.get("network/vpc")
    if vpc is not None:
        out.put("proliferate:vpcCidr", vpc.attr("cidr_block"), vpc)
    zones: list[str] = []
    for i in range(8):
        subnet = by_role.get(f"network/private-subnet-{i}") or by_role.get(
            f"network/public-subnet-{i}"
        )
        if subnet is None:
            break
        zones.append(str(subnet.attr("availability_zone", "")))
    if zones and vpc is not None:
        out.put("proliferate:azCount", len(zones), vpc)
    nat_count = sum(1 for role in by_role if re.fullmatch(r"network/nat-[0-9]+", role))
    if nat_count:
        nat = by_role["network/nat-0"]
        out.put("proliferate:natStrategy", "one_per_az" if nat_count > 1 else "single", nat)
        if 1 < nat_count < len(zones):
            out.notes.append(
                f"{nat_count} NAT gateways for {len(zones)} zones: the components run one NAT "
                "gateway or one per zone; natStrategy=one_per_az adds the missing ones"
            )
    return zones


_SERVICE_CONFIG_PREFIX: Mapping[str, str] = {
    "worker": "worker",
    "llm-proxy": "llmProxy",
    "gateway": "gateway",
    "web": "web",
}
"""Service (role prefix) -> the prefix of its config keys."""


def _services(by_role: Mapping[str, TfResource], out: _Derivation) -> None:
    """Each service's task size and desired count (and ``enableWeb`` when the web runs)."""
    for service, prefix in _SERVICE_CONFIG_PREFIX.items():
        task = by_role.get(f"{service}/task")
        if task is not None:
            out.put(f"proliferate:{prefix}Cpu", int(str(task.attr("cpu", "0")) or 0), task)
            out.put(f"proliferate:{prefix}Memory", int(str(task.attr("memory", "0")) or 0), task)
        svc = by_role.get(f"{service}/service")
        if svc is not None:
            out.put(f"proliferate:{prefix}DesiredCount", int(svc.attr("desired_count", 1)), svc)
            if service == "web":
                out.put("proliferate:enableWeb", True, svc)


def _log_retention(by_role: Mapping[str, TfResource], out: _Derivation) -> None:
    """The log groups' retention, when they share one (the stack has one for all)."""
    retentions = {
        int(res.attr("retention_in_days", 0))
        for role, res in by_role.items()
        if role.endswith("/logs")
    }
    if len(retentions) == 1:
        value = next(iter(retentions))
        logs = next(res for role, res in by_role.items() if role.endswith("/logs"))
        if value == 0:
            out.notes.append(
                "the Terraform log groups keep logs forever (retention 0): the components always "
                "set a retention (default 30 days); set proliferate:logRetentionDays to keep more"
            )
        else:
            out.put("proliferate:logRetentionDays", value, logs)
    elif len(retentions) > 1:
        out.notes.append(
            f"the Terraform log groups have different retentions {sorted(retentions)}: the stack "
            "uses one proliferate:logRetentionDays for all services"
        )


def _redis(by_role: Mapping[str, TfResource], out: _Derivation) -> TfResource | None:
    """Engine, version, node type and count, snapshot retention of the Redis store (if any,
    returned)."""
    store = by_role.get("redis/replication-group")
    if store is None:
        return None
    engine = str(store.attr("engine", "redis"))
    out.put("proliferate:redisEngine", engine, store)
    out.put("proliferate:redisCacheNodeType", store.attr("node_type"), store)
    version = str(store.attr("engine_version", ""))
    major_minor = ".".join(version.split(".")[:2])
    if (engine, major_minor) in ENGINE_FAMILIES:
        out.put("proliferate:redisEngineVersion", major_minor, store)
    elif version:
        out.notes.append(
            f"{store.address} runs {engine} {version}: the components accept "
            f"{', '.join(f'{e} {v}' for e, v in ENGINE_FAMILIES)}; upgrade it in place first "
            "(in Terraform) or accept the library default"
        )
    nodes = int(store.attr("num_cache_clusters", 0) or store.attr("num_cache_nodes", 1) or 1)
    out.put("proliferate:redisNumCacheClusters", nodes, store)
    if nodes == 1:
        out.put("proliferate:redisAllowSingleNode", True, store)
    retention = int(store.attr("snapshot_retention_limit", 0) or 0)
    if 1 <= retention <= 35:
        out.put("proliferate:redisSnapshotRetentionDays", retention, store)
    else:
        out.notes.append(
            f"{store.address} keeps no automatic snapshots (snapshot_retention_limit="
            f"{retention}): the components always keep at least 1 day; the first `pulumi up` "
            "turns daily snapshots on"
        )
    return store


def _load_balancer(by_role: Mapping[str, TfResource], out: _Derivation) -> None:
    """HTTPS (and its certificate) when the load balancer has an HTTPS listener."""
    https = by_role.get("lb/https")
    alb = by_role.get("lb/alb")
    if https is not None:
        out.put("proliferate:enableHttps", True, https)
        certificate = https.attr("certificate_arn")
        if certificate:
            out.put("proliferate:certificateArn", certificate, https)
    elif alb is not None:
        out.put("proliferate:enableHttps", False, alb)


def _external_database(anchor: TfResource | None, out: _Derivation) -> None:
    """The Terraform deployment has no RDS database: keep the external one."""
    if anchor is None:
        return
    out.put("proliferate:enableRds", False, anchor)
    out.sources["proliferate:enableRds"] = "(no aws_db_instance in the state)"
    out.notes.append(
        "the Terraform deployment has no RDS database: enableRds=false keeps the external "
        "database; set it with `pulumi config set --secret proliferate:DATABASE_URL ...`"
    )


_ADOPT_SERVICE_ROLES: Mapping[str, str] = {
    "serviceName": "service",
    "repositoryName": "repo",
    "logGroupName": "logs",
    "taskRoleName": "task-role",
}


def _adopt_object(
    by_role: Mapping[str, TfResource],
    zones: list[str],
    skip_roles: frozenset[str],
    named: set[str],
) -> dict[str, Any]:
    """The ``proliferate:adopt`` object: the existing name of every resource whose name the
    components would otherwise generate, and the network's zones and subnet CIDRs. Roles in
    ``skip_roles`` are left out; the roles whose names are carried are added to ``named``."""
    adopt: dict[str, Any] = {}

    def name_of(role: str, attribute: str = "name") -> str | None:
        res = by_role.get(role)
        if res is None or role in skip_roles:
            return None
        value = res.attr(attribute)
        if value in (None, ""):
            return None
        named.add(role)
        return str(value)

    def put(target: dict[str, Any], key: str, value: str | None) -> None:
        if value is not None:
            target[key] = value

    put(adopt, "clusterName", name_of("stack/cluster"))
    put(adopt, "executionRoleName", name_of("execution/role"))
    services: dict[str, Any] = {}
    for service in ("worker", "llm-proxy", "gateway", "web"):
        names: dict[str, Any] = {}
        for key, child in _ADOPT_SERVICE_ROLES.items():
            put(names, key, name_of(f"{service}/{child}"))
        put(names, "securityGroupName", name_of(f"{service}/sg"))
        put(names, "securityGroupDescription", name_of(f"{service}/sg", "description"))
        put(names, "targetGroupName", name_of(f"lb/tg-{service}"))
        if names:
            services[service] = names
    if services:
        adopt["services"] = services
    redis: dict[str, Any] = {}
    store = by_role.get("redis/replication-group")
    if store is not None and store.type == "aws_elasticache_replication_group":
        put(redis, "replicationGroupId", name_of("redis/replication-group", "replication_group_id"))
    put(redis, "subnetGroupName", name_of("redis/subnets"))
    put(redis, "parameterGroupName", name_of("redis/params"))
    put(redis, "parameterGroupDescription", name_of("redis/params", "description"))
    put(redis, "securityGroupName", name_of("redis/sg"))
    put(redis, "securityGroupDescription", name_of("redis/sg", "description"))
    if redis:
        adopt["redis"] = redis
    lb: dict[str, Any] = {}
    put(lb, "name", name_of("lb/alb"))
    put(lb, "securityGroupName", name_of("lb/sg"))
    put(lb, "securityGroupDescription", name_of("lb/sg", "description"))
    if lb:
        adopt["loadBalancer"] = lb
    network: dict[str, Any] = {}
    if zones and all(zones):
        network["availabilityZones"] = list(zones)
    tiers = {
        tier: [name_of(f"network/{tier}-subnet-{i}", "cidr_block") for i in range(len(zones))]
        for tier in ("public", "private")
    }
    if zones and all(c is not None for cidrs in tiers.values() for c in cidrs):
        network["publicSubnetCidrs"] = tiers["public"]
        network["privateSubnetCidrs"] = tiers["private"]
    else:  # the CIDRs go together: none is carried
        named.difference_update(r for r in list(named) if "-subnet-" in r)
    if network:
        adopt["network"] = network
    return adopt


def _drop_adopt_entry(values: dict[str, str], error_key: str) -> bool:
    """Remove the ``proliferate:adopt`` entry an error names (both subnet lists for a
    subnet error); False when the error is not about one."""
    prefix = ADOPT_KEY + "."
    if not error_key.startswith(prefix) or ADOPT_KEY not in values:
        return False
    parts = re.sub(r"\[[0-9]+\]", "", error_key[len(prefix) :]).split(".")
    adopt: dict[str, Any] = json.loads(values[ADOPT_KEY])
    node: Any = adopt
    for part in parts[:-1]:
        node = cast("dict[str, Any]", node).get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or parts[-1] not in node:
        return False
    entries = cast("dict[str, Any]", node)
    last = parts[-1]
    if last in ("publicSubnetCidrs", "privateSubnetCidrs"):
        entries.pop("publicSubnetCidrs", None)
        entries.pop("privateSubnetCidrs", None)
    else:
        del entries[last]
    values[ADOPT_KEY] = json.dumps(adopt, sort_keys=True, separators=(",", ":"))
    return True


def _validated(values: dict[str, str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Drop values :class:`StackConfig` rejects, one at a time, until the rest validate
    (for ``proliferate:adopt``, only the entry the error names)."""
    current = dict(values)
    dropped: list[tuple[str, str]] = []
    for _ in range(len(values) + 64):
        try:
            StackConfig.from_mapping(current, secret_keys=_SECRET_KEYS)
        except ConfigError as exc:
            if _drop_adopt_entry(current, exc.key):
                dropped.append((exc.key, str(exc)))
                continue
            key = exc.key if exc.key in current else None
            if key is None:
                # A cross-key rule named a key we did not set: drop the last sizing value.
                raise
            dropped.append((key, str(exc)))
            del current[key]
            continue
        return current, dropped
    return current, dropped
