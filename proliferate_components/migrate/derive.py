"""Derive the Pulumi stack config that makes the components' inputs match a Terraform state.

Each value comes from the resource that plays the matching role (see
:mod:`~proliferate_components.migrate.roles`): the VPC's CIDR, the subnets' zones, the NAT
gateway count, each service's task size and desired count, the Redis node type, engine,
version, node count and snapshot retention, HTTPS and its certificate, the log retention.
The result is validated with :meth:`StackConfig.from_mapping`; a value the library does not
accept is dropped (the library default is used) and reported in :attr:`DerivedConfig.notes`.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from ..cache import ENGINE_FAMILIES
from ..config import CONFIG_KEYS, AdoptConfig, StackConfig
from ..errors import ConfigError
from .childmap import NAME_CARRIERS, TASK_SERVICES
from .roles import RoleAssignment, cidr_supernet
from .shell import command, config_set
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
    lookups: Mapping[str, str] = field(default_factory=dict[str, str])
    """Config key or ``--path`` of a value the state does not hold -> the shell command
    (every word quoted) that reads it from AWS; :attr:`values` holds a stand-in that only
    the plan uses, ``config.sh`` sets the value the command prints."""

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

        def line(flags: list[str], key: str, value: str) -> str:
            lookup = self.lookups.get(key)
            if lookup is not None:  # the state lacks it: config.sh reads it from AWS
                return config_set(stack, *flags, key) + f' -- "$({lookup})"'
            return config_set(stack, *flags, *_args(key, value))

        lines = [
            line(["--secret"] if key in self.secret_keys else [], key, self.values[key])
            for key in sorted(self.values)
            if key != ADOPT_KEY
        ]
        if self.adopt is not None:
            lines += [
                line(["--path"], path, value)
                for path, value in self.adopt.config_paths(key=ADOPT_KEY)
            ]
        return lines


def _args(key: str, value: str) -> list[str]:
    """The positional arguments ``key value``, after ``--`` when one starts with a dash (so
    the CLI never reads a value as a flag)."""
    return ["--", key, value] if key.startswith("-") or value.startswith("-") else [key, value]


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


@dataclass
class _Derivation:
    """The config being derived: values, the address each came from, the shell commands
    that read the values the state does not hold, and remarks (in the order made)."""

    values: dict[str, str] = field(default_factory=dict[str, str])
    sources: dict[str, str] = field(default_factory=dict[str, str])
    notes: list[str] = field(default_factory=list[str])
    lookups: dict[str, str] = field(default_factory=dict[str, str])

    def put(self, key: str, value: Any, res: TfResource) -> None:
        """Set ``key`` as ``pulumi config set`` stores it, read from ``res``."""
        self.values[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        self.sources[key] = res.address


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
    _load_balancer(by_role, region, out)
    db = by_role.get("postgres/instance")
    if db is not None:
        _database(db, by_role, out)
    else:
        first = assignments[0].resource if assignments else None
        _external_database(by_role.get("network/vpc") or store or first, out)
    named: set[str] = set()
    if adopt_names:
        _adopt_names(by_role, zones, skip_roles, named, out)
    _skipped_name_notes(by_role, skip_roles, out)
    return _validated_config(out, zones, named)


def _network(by_role: Mapping[str, TfResource], out: _Derivation) -> list[str]:
    """VPC CIDR, zone count and NAT strategy; returns the subnets' zones (AZ #0 first)."""
    vpc = by_role.get("network/vpc")
    if vpc is not None:
        _vpc_cidr(vpc, by_role, out)
    zones = _subnet_zones(by_role)
    if zones and vpc is not None:
        out.put("proliferate:azCount", len(zones), vpc)
    _nat_strategy(by_role, len(zones), out)
    if vpc is not None and "network/default-nacl" not in by_role:
        # Taking over a default ACL that is not imported rewrites its rules (a moment
        # without any on every subnet): leave it unmanaged unless Terraform managed it.
        out.put("proliferate:manageDefaultNetworkAcl", False, vpc)
    return zones


def _vpc_cidr(vpc: TfResource, by_role: Mapping[str, TfResource], out: _Derivation) -> None:
    """The VPC's CIDR; when the state does not hold it, the supernet of its subnets in the
    plan and a lookup in config.sh."""
    if vpc.attr("cidr_block"):
        out.put("proliferate:vpcCidr", vpc.attr("cidr_block"), vpc)
        return
    cidrs = [
        str(r.attr("cidr_block"))
        for role, r in by_role.items()
        if "-subnet-" in role and r.attr("cidr_block")
    ]
    guess = cidr_supernet(cidrs)
    if guess is not None and vpc.id:
        out.put("proliferate:vpcCidr", guess, vpc)
        out.lookups["proliferate:vpcCidr"] = _describe("vpcs", vpc.id, "Vpcs[0].CidrBlock")
        out.notes.append(
            f"{vpc.address} holds no cidr_block: config.sh reads it from AWS (the plan "
            f"assumed {guess}, the /16 of its subnets)"
        )


def _subnet_zones(by_role: Mapping[str, TfResource]) -> list[str]:
    """The zone of subnet #0, #1, ... (private, else public) up to the first missing one."""
    zones: list[str] = []
    for i in range(8):
        subnet = by_role.get(f"network/private-subnet-{i}") or by_role.get(
            f"network/public-subnet-{i}"
        )
        if subnet is None:
            break
        zones.append(str(subnet.attr("availability_zone", "")))
    return zones


def _nat_strategy(by_role: Mapping[str, TfResource], zone_count: int, out: _Derivation) -> None:
    """One NAT gateway or one per zone, from how many the state has."""
    nat_count = sum(1 for role in by_role if re.fullmatch(r"network/nat-[0-9]+", role))
    if not nat_count:
        return
    nat = by_role["network/nat-0"]
    out.put("proliferate:natStrategy", "one_per_az" if nat_count > 1 else "single", nat)
    if 1 < nat_count < zone_count:
        out.notes.append(
            f"{nat_count} NAT gateways for {zone_count} zones: the components run one NAT "
            "gateway or one per zone; natStrategy=one_per_az adds the missing ones"
        )


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


_LOG_ROLES = ("/logs", "/cluster-exec-logs")


def _log_retention(by_role: Mapping[str, TfResource], out: _Derivation) -> None:
    """The log groups' retention (the stack has one for all of them): theirs when they share
    one, else the longest, so that no group's logs are deleted sooner than before."""
    groups = {role: res for role, res in by_role.items() if role.endswith(_LOG_ROLES)}
    retentions = {int(res.attr("retention_in_days", 0) or 0) for res in groups.values()}
    if not retentions:
        return
    if 0 in retentions:
        out.notes.append(
            "some Terraform log groups keep logs forever (retention 0): the components always "
            "set a retention (default 30 days); set proliferate:logRetentionDays to keep more"
        )
        retentions.discard(0)
        if not retentions:
            return
    value = max(retentions)
    logs = next(r for r in groups.values() if int(r.attr("retention_in_days", 0) or 0) == value)
    out.put("proliferate:logRetentionDays", value, logs)
    if len(retentions) > 1:
        out.notes.append(
            f"the Terraform log groups have different retentions {sorted(retentions)}: the stack "
            f"uses one proliferate:logRetentionDays for all, set to the longest ({value} days) "
            "so that no group's logs are deleted sooner"
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
    _redis_engine_version(store, engine, by_role.get("redis/params"), out)
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


def _redis_engine_version(
    store: TfResource, engine: str, cache_params: TfResource | None, out: _Derivation
) -> None:
    """The store's major.minor version when the components accept it; not in the state, the
    newest of its parameter group's family; otherwise a note."""
    version = str(store.attr("engine_version", ""))
    major_minor = ".".join(version.split(".")[:2])
    cache_family = str(cache_params.attr("family", "")) if cache_params is not None else ""
    if (engine, major_minor) in ENGINE_FAMILIES:
        out.put("proliferate:redisEngineVersion", major_minor, store)
    elif not version and cache_params is not None:
        # Not in the state: the newest version of the parameter group's family.
        fitting = sorted(
            v for (e, v), f in ENGINE_FAMILIES.items() if e == engine and f == cache_family
        )
        if fitting:
            out.put("proliferate:redisEngineVersion", fitting[-1], cache_params)
    elif version:
        out.notes.append(
            f"{store.address} runs {engine} {version}: the components accept "
            f"{', '.join(f'{e} {v}' for e, v in ENGINE_FAMILIES)}; upgrade it in place first "
            "(in Terraform) or accept the library default"
        )


def _load_balancer(by_role: Mapping[str, TfResource], region: str | None, out: _Derivation) -> None:
    """HTTPS (and its certificate) when the load balancer has an HTTPS listener."""
    https = by_role.get("lb/https")
    alb = by_role.get("lb/alb")
    if https is not None:
        out.put("proliferate:enableHttps", True, https)
        certificate = https.attr("certificate_arn")
        if certificate:
            out.put("proliferate:certificateArn", certificate, https)
        elif https.attr("arn") and region:
            _certificate_lookup(https, region, out)
    elif alb is not None:
        out.put("proliferate:enableHttps", False, alb)


def _certificate_lookup(https: TfResource, region: str, out: _Derivation) -> None:
    """The HTTPS listener's certificate is not in the state: config.sh reads it; the plan
    uses a stand-in of its shape."""
    out.put(
        "proliferate:certificateArn",
        f"arn:aws:acm:{region}:000000000000:certificate/00000000-0000-0000-0000-000000000000",
        https,
    )
    out.lookups["proliferate:certificateArn"] = command(
        [
            "aws",
            "elbv2",
            "describe-listeners",
            "--listener-arns",
            str(https.attr("arn")),
            "--query",
            "Listeners[0].Certificates[0].CertificateArn",
            "--output",
            "text",
        ]
    )


def _database(db: TfResource, by_role: Mapping[str, TfResource], out: _Derivation) -> None:
    """The RDS instance's class, engine version, storage, Multi-AZ and backup retention."""
    out.put("proliferate:enableRds", True, db)
    if db.attr("instance_class"):
        out.put("proliferate:dbInstanceClass", db.attr("instance_class"), db)
    version = str(db.attr("engine_version", "") or "")
    params = by_role.get("postgres/params")
    family = str(params.attr("family", "")) if params is not None else ""
    if version:
        major_minor = ".".join(version.split(".")[:2])
        out.put("proliferate:dbEngineVersion", major_minor, db)
    elif re.fullmatch(r"postgres[0-9]+", family) and params is not None:
        # Not in the state: the parameter group's family says the major version.
        out.put("proliferate:dbEngineVersion", family[len("postgres") :], params)
    if db.attr("allocated_storage"):
        out.put("proliferate:dbAllocatedStorageGib", int(db.attr("allocated_storage")), db)
    if db.attr("max_allocated_storage") is not None and "max_allocated_storage" in db.attributes:
        out.put(
            "proliferate:dbMaxAllocatedStorageGib",
            int(db.attr("max_allocated_storage") or 0),
            db,
        )
    if "multi_az" in db.attributes:
        out.put("proliferate:dbMultiAz", bool(db.attr("multi_az")), db)
    if db.attr("backup_retention_period"):
        out.put("proliferate:dbBackupRetentionDays", int(db.attr("backup_retention_period")), db)


def _external_database(anchor: TfResource | None, out: _Derivation) -> None:
    """The Terraform deployment has no RDS database: keep the external one (``anchor``: the
    resource the value is attributed to; none, nothing is set)."""
    if anchor is None:
        return
    out.put("proliferate:enableRds", False, anchor)
    out.sources["proliferate:enableRds"] = "(no aws_db_instance in the state)"
    out.notes.append(
        "the Terraform deployment has no RDS database: enableRds=false keeps the "
        "external database; its DATABASE_URL moves with secrets.sh, or set it with "
        "`pulumi config set --secret proliferate:DATABASE_URL ...`"
    )


def _adopt_names(
    by_role: Mapping[str, TfResource],
    zones: list[str],
    skip_roles: frozenset[str],
    named: set[str],
    out: _Derivation,
) -> None:
    """``proliferate:adopt`` (see :func:`_adopt_object`), when it carries anything."""
    adopt = _adopt_object(
        by_role, zones, skip_roles, named, out.values.get("proliferate:vpcCidr"), out.lookups
    )
    if adopt:
        out.values[ADOPT_KEY] = json.dumps(adopt, sort_keys=True, separators=(",", ":"))
        out.sources[ADOPT_KEY] = "the names and subnets of the resources with roles"


def _skipped_name_notes(
    by_role: Mapping[str, TfResource], skip_roles: frozenset[str], out: _Derivation
) -> None:
    """A note for every resource whose name is not carried (it cannot be adopted)."""
    for role in sorted(skip_roles & set(by_role)):
        out.notes.append(
            f"the name of {by_role[role].address} is not carried into proliferate:adopt: it "
            "cannot be adopted, and the component's new resource needs a name of its own (AWS "
            "refuses two with one name)"
        )


def _validated_config(out: _Derivation, zones: list[str], named: set[str]) -> DerivedConfig:
    """The derived values that :class:`StackConfig` accepts, a note for each one dropped."""
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
        lookups={k: v for k, v in out.lookups.items() if k in values or k.startswith(ADOPT_KEY)},
    )


def _describe(what: str, resource_id: str, query: str) -> str:
    """The ``aws ec2 describe-<what>`` command that prints one value of ``resource_id``."""
    singular = {"vpcs": "--vpc-ids", "subnets": "--subnet-ids"}[what]
    return command(
        [
            "aws",
            "ec2",
            f"describe-{what}",
            singular,
            resource_id,
            "--query",
            query,
            "--output",
            "text",
        ]
    )


def _free_block(vpc_cidr: str | None, taken: list[str], prefix: int) -> str | None:
    """A block of ``prefix`` inside ``vpc_cidr`` that overlaps none of ``taken`` (a stand-in
    for a subnet CIDR the state does not hold)."""
    if vpc_cidr is None:
        return None
    vpc = ipaddress.ip_network(vpc_cidr, strict=False)
    used = [ipaddress.ip_network(t, strict=False) for t in taken]
    if prefix < vpc.prefixlen:
        return None
    for candidate in vpc.subnets(new_prefix=prefix):
        if not any(candidate.overlaps(u) for u in used):
            return str(candidate)
    return None


def _adopt_object(
    by_role: Mapping[str, TfResource],
    zones: list[str],
    skip_roles: frozenset[str],
    named: set[str],
    vpc_cidr: str | None = None,
    lookups: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ``proliferate:adopt`` object: the existing name of every resource whose name the
    components would otherwise generate (:data:`~.childmap.NAME_CARRIERS`), and the
    network's zones and subnet CIDRs. Roles in ``skip_roles`` are left out; the roles whose
    names are carried are added to ``named``."""
    adopt: dict[str, Any] = {}
    for template, path, attribute in NAME_CARRIERS:
        services = TASK_SERVICES if "{service}" in template else (None,)
        for service in services:
            role = template.format(service=service) if service else template
            res = by_role.get(role)
            if res is None or role in skip_roles:
                continue
            if (
                role == "redis/replication-group"
                and res.type != "aws_elasticache_replication_group"
            ):
                continue
            value = res.attr(attribute)
            if value in (None, ""):
                continue
            node = adopt
            keys = [p.format(service=service) if service else p for p in path]
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = str(value)
            named.add(role)
    network: dict[str, Any] = {}
    if zones and all(zones):
        network["availabilityZones"] = list(zones)
    tiers: dict[str, list[str | None]] = {}
    missing: list[tuple[str, int, TfResource]] = []
    for tier in ("public", "private"):
        tiers[tier] = []
        for i in range(len(zones)):
            res = by_role.get(f"network/{tier}-subnet-{i}")
            role = f"network/{tier}-subnet-{i}"
            cidr = res.attr("cidr_block") if res is not None and role not in skip_roles else None
            tiers[tier].append(str(cidr) if cidr else None)
            if res is not None and role not in skip_roles and not cidr and res.id:
                missing.append((tier, i, res))
    # A subnet whose CIDR the state does not hold: config.sh reads it from AWS; the plan
    # uses a free block of its siblings' size in its place.
    known = [c for cidrs in tiers.values() for c in cidrs if c]
    for tier, i, res in missing:
        sizes = [ipaddress.ip_network(c).prefixlen for c in tiers[tier] if c] or [24]
        stand_in = _free_block(vpc_cidr, known, max(sizes))
        if stand_in is None or lookups is None:
            continue
        tiers[tier][i] = stand_in
        known.append(stand_in)
        lookups[f"{ADOPT_KEY}.network.{tier}SubnetCidrs[{i}]"] = _describe(
            "subnets", res.id, "Subnets[0].CidrBlock"
        )
    if zones and all(c is not None for cidrs in tiers.values() for c in cidrs):
        network["publicSubnetCidrs"] = tiers["public"]
        network["privateSubnetCidrs"] = tiers["private"]
        named.update(f"network/{t}-subnet-{i}" for t in tiers for i in range(len(zones)))
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
                # A cross-key rule named a key we did not set (a task memory the state does
                # not hold, checked against the CPU it does): drop the key it names that we set.
                named = [k for k in current if k != ADOPT_KEY and f"{k}=" in str(exc)]
                if not named:
                    raise
                key = named[-1]
            dropped.append((key, str(exc)))
            del current[key]
            continue
        return current, dropped
    return current, dropped
