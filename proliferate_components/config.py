"""The typed, validated configuration of a Proliferate stack.

:class:`StackConfig` is an immutable dataclass that can be built three ways:

- in Python, ``StackConfig(worker_cpu=512, worker_memory_mib=1024)`` or
  ``StackConfig.prod(domain_name=...)`` (errors name the field, e.g. ``worker_memory_mib``);
- from Pulumi config, ``StackConfig.from_pulumi_config()`` inside a Pulumi program, reading
  the ``proliferate`` namespace and ``aws:region`` (errors name the Pulumi key, e.g.
  ``proliferate:workerMemory``);
- from a plain ``{"proliferate:workerCpu": "512", ...}`` mapping with
  :meth:`StackConfig.from_mapping` (same parsing and errors, no Pulumi runtime needed).

Priority, one rule everywhere: **an explicit key > the profile's defaults > the built-in
defaults**. The built-in defaults are the spec's dev sizing; ``profile=prod`` (Pulumi key
``proliferate:profile``, or :meth:`StackConfig.prod`) switches the defaults listed as "prod"
in :data:`CONFIG_KEYS` to the spec's prod sizing plus production protections (one NAT
gateway per AZ, Multi-AZ PostgreSQL, 7-day Redis snapshots, 14-day database backups, flow
logs, autoscaling). Everything is validated before any resource is registered.

:data:`CONFIG_KEYS` is the single description of every key (docs, the Pulumi.yaml config
block from :func:`pulumi_yaml_config_schema`, the setup wizard). Keys in the ``proliferate``
namespace written in ``UPPER_SNAKE_CASE`` (``proliferate:ANTHROPIC_API_KEY``) are the
platform's secret environment values (see :mod:`proliferate_components.environment`) and
are left alone here.

``certificateArn`` is declared secret (the spec says so) but an ACM ARN is not sensitive in
practice: :class:`StackConfig` keeps it as a plain ``str``. Components must not export
outputs derived from it in plaintext; errors about it do not echo it when it came from a
secret config value.
"""

import difflib
import functools
import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Literal, cast

from .constraints import LOG_RETENTION_DAYS, Constraint, OneOf, Pattern, Range, Rule
from .engine_versions import (
    DEFAULT_ELASTICACHE_VERSIONS,
    ELASTICACHE_VERSIONS,
    elasticache_family,
    elasticache_versions_text,
    postgres_family,
    postgres_versions_text,
)
from .errors import ConfigError
from .sizing import (
    CLOUDWATCH_LOG_RETENTION_DAYS,
    FARGATE_CPU_MEMORY_MIB,
    validate_az_count,
    validate_cache_node_type,
    validate_certificate_arn,
    validate_choice,
    validate_cidr_block,
    validate_db_instance_class,
    validate_domain_name,
    validate_fargate_size,
    validate_region,
)
from .subnets import SubnetLayout, plan_subnets

__all__ = [
    "ADOPT_SERVICES",
    "CONFIG_KEYS",
    "DEFAULT_REDIS_ENGINE_VERSIONS",
    "DEV_PRESET",
    "NAMESPACE",
    "PROD_DEFAULTS",
    "PROD_PRESET",
    "PROFILES",
    "AdoptConfig",
    "AdoptDatabase",
    "AdoptLoadBalancer",
    "AdoptNetwork",
    "AdoptRedis",
    "AdoptService",
    "ConfigKey",
    "NatStrategy",
    "Profile",
    "RedisEngine",
    "ServiceSizing",
    "StackConfig",
    "config_key",
    "config_keys_markdown",
    "pulumi_yaml_config_schema",
    "split_tags",
]

NAMESPACE = "proliferate"
"""The Pulumi config namespace (and project name) of every key this library reads."""

PROFILES: tuple[str, ...] = ("dev", "prod")
"""Names of the defaults profiles (``proliferate:profile``)."""

DEFAULT_REDIS_ENGINE_VERSIONS: Mapping[str, str] = DEFAULT_ELASTICACHE_VERSIONS
"""Engine version used when ``redis_engine_version`` is not set, per engine."""

_ENV_NAME_RE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
_IMAGE_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_TAG_FILTER_RE = re.compile(r"[A-Za-z0-9._*-]{1,128}")
_HOSTED_ZONE_RE = re.compile(r"^[A-Z0-9]{1,32}$")
_RFC1918_NETWORKS = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_TRUE = ("true", "True")
_FALSE = ("false", "False")
_MAX_DESIRED_COUNT = 100

ValueType = Literal["string", "integer", "boolean", "object"]
Profile = Literal["dev", "prod"]
NatStrategy = Literal["single", "one_per_az"]
RedisEngine = Literal["redis", "valkey"]
ConfigValue = str | int | bool | None
"""A scalar config value (``proliferate:adopt`` holds an :class:`AdoptConfig` instead)."""


# --- adopting existing resources (proliferate:adopt) ---

ADOPT_SERVICES: tuple[str, ...] = (
    "worker",
    "llm-proxy",
    "gateway",
    "web",
    "trigger-service",
    "migrations",
)
"""Services that :attr:`AdoptConfig.services` may name (the stack's services)."""


@dataclass(frozen=True, kw_only=True)
class AdoptService:
    """Existing AWS names of one service's resources (JSON key of each field in brackets).

    Every field defaults to ``None``: the component lets Pulumi generate the name. Each name
    is immutable on AWS, so adopting an existing resource needs its existing name.
    """

    service_name: str | None = None
    """[``serviceName``] The ECS service (``N-<service>-service``); not for ``migrations``."""
    repository_name: str | None = None
    """[``repositoryName``] The ECR repository (``N-<service>-repo``)."""
    log_group_name: str | None = None
    """[``logGroupName``] The CloudWatch log group (``N-<service>-logs``)."""
    task_role_name: str | None = None
    """[``taskRoleName``] The task role (``N-<service>-task-role``)."""
    execution_role_name: str | None = None
    """[``executionRoleName``] The service's own execution role
    (``N-<service>-execution-role``)."""
    security_group_name: str | None = None
    """[``securityGroupName``] The service's security group (``N-<service>-sg``)."""
    security_group_description: str | None = None
    """[``securityGroupDescription``] That security group's description (immutable too)."""
    target_group_name: str | None = None
    """[``targetGroupName``] The service's target group (``N-lb-tg-<service>``); only for a
    service behind the load balancer."""
    task_family: str | None = None
    """[``taskFamily``] The task definition family (``N-<service>-task``): the first
    ``pulumi up`` registers the next revision of this family. Default: ``<stack>-N-<service>``."""
    execution_policy_name: str | None = None
    """[``executionPolicyName``] The inline policy of the service's own execution role
    (``N-<service>-execution-policy``)."""


@dataclass(frozen=True, kw_only=True)
class AdoptRedis:
    """Existing names of the Redis store's resources, and the snapshot to seed a new one."""

    replication_group_id: str | None = None
    """[``replicationGroupId``] The replication group (``N-redis-replication-group``).
    Default: ``N-redis-<stack>``."""
    subnet_group_name: str | None = None
    """[``subnetGroupName``] The subnet group (``N-redis-subnets``)."""
    parameter_group_name: str | None = None
    """[``parameterGroupName``] The parameter group (``N-redis-params``)."""
    parameter_group_description: str | None = None
    """[``parameterGroupDescription``] The parameter group's description (immutable)."""
    security_group_name: str | None = None
    """[``securityGroupName``] The store's security group (``N-redis-sg``)."""
    security_group_description: str | None = None
    """[``securityGroupDescription``] That security group's description (immutable)."""
    snapshot_name: str | None = None
    """[``snapshotName``] A snapshot to seed the NEW replication group from (the safe path
    for a standalone ``aws_elasticache_cluster``); read only when the group is created."""


@dataclass(frozen=True, kw_only=True)
class AdoptDatabase:
    """Existing names of the PostgreSQL database's resources (``enableRds=true``)."""

    identifier: str | None = None
    """[``identifier``] The RDS instance identifier (``N-postgres-instance``). Default:
    ``N-postgres-<stack>``."""
    db_name: str | None = None
    """[``dbName``] The database created with the instance (immutable). Default
    ``proliferate``."""
    username: str | None = None
    """[``username``] The master user name (immutable). Default ``proliferate``."""
    subnet_group_name: str | None = None
    """[``subnetGroupName``] The DB subnet group (``N-postgres-subnets``)."""
    parameter_group_name: str | None = None
    """[``parameterGroupName``] The DB parameter group (``N-postgres-params``)."""
    parameter_group_description: str | None = None
    """[``parameterGroupDescription``] That parameter group's description (immutable)."""
    security_group_name: str | None = None
    """[``securityGroupName``] The database's security group (``N-postgres-sg``)."""
    security_group_description: str | None = None
    """[``securityGroupDescription``] That security group's description (immutable)."""


@dataclass(frozen=True, kw_only=True)
class AdoptLoadBalancer:
    """Existing names of the load balancer's resources (target groups: per service)."""

    name: str | None = None
    """[``name``] The ALB (``N-lb-alb``)."""
    security_group_name: str | None = None
    """[``securityGroupName``] Its security group (``N-lb-sg``)."""
    security_group_description: str | None = None
    """[``securityGroupDescription``] That security group's description (immutable)."""


@dataclass(frozen=True, kw_only=True)
class AdoptNetwork:
    """The existing network's layout: zones and subnet CIDRs, index ``i`` = AZ ``i``."""

    availability_zones: tuple[str, ...] | None = None
    """[``availabilityZones``] Zone names, exactly ``azCount`` of the stack's region.
    Default: the region's first available zones (looked up)."""
    public_subnet_cidrs: tuple[str, ...] | None = None
    """[``publicSubnetCidrs``] Public subnet CIDRs, one per zone, inside ``vpcCidr``.
    Default: :func:`plan_subnets`'s layout. Given with ``privateSubnetCidrs``."""
    private_subnet_cidrs: tuple[str, ...] | None = None
    """[``privateSubnetCidrs``] Private subnet CIDRs, one per zone; all subnets disjoint."""


@dataclass(frozen=True, kw_only=True)
class AdoptConfig:
    """What ``ProliferateStack`` needs to adopt an existing deployment in place: the
    existing physical names and network layout (Pulumi key ``proliferate:adopt``, an
    object; docs/migrating-from-terraform.md). ``proliferate-infra migrate terraform``
    writes it from a Terraform state.

    Every field defaults to ``None``/empty: today's behaviour (Pulumi generates names, the
    layout comes from :func:`plan_subnets`, zones are looked up). Validated on construction
    with the AWS rules of each name (:mod:`proliferate_components.awsnames`).
    """

    cluster_name: str | None = None
    """[``clusterName``] The ECS cluster (``N-cluster``)."""
    execution_role_name: str | None = None
    """[``executionRoleName``] An existing shared execution role (from 0.1, or a Terraform
    deployment's one role): adopted as the **worker's** execution role
    (``N-worker-execution-role``) unless ``services.worker.executionRoleName`` is set; every
    other service gets a role of its own (least privilege)."""
    services: Mapping[str, AdoptService] = field(
        default_factory=lambda: MappingProxyType({})  # pyright: ignore[reportUnknownLambdaType]
    )
    """[``services``] Per service (``worker``, ``llm-proxy``, ``gateway``, ``web``,
    ``migrations``), its :class:`AdoptService`."""
    redis: AdoptRedis | None = None
    """[``redis``] :class:`AdoptRedis`."""
    database: AdoptDatabase | None = None
    """[``database``] :class:`AdoptDatabase` (only with ``enableRds=true``)."""
    load_balancer: AdoptLoadBalancer | None = None
    """[``loadBalancer``] :class:`AdoptLoadBalancer`."""
    network: AdoptNetwork | None = None
    """[``network``] :class:`AdoptNetwork`."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "services", MappingProxyType(dict(self.services)))
        _check_adopt(self, _python_path)

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_json(), sort_keys=True))

    @classmethod
    def from_json(cls, value: Any, *, key: str = "proliferate:adopt") -> "AdoptConfig":
        """Build from the JSON object of ``proliferate:adopt`` (a ``dict``, or its JSON text
        as Pulumi hands object config to a program).

        Raises:
            ConfigError: naming the full path of the bad entry (e.g.
                ``proliferate:adopt.services.worker.serviceName``); an unknown key is
                rejected with the closest known one suggested.
        """
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ConfigError(key, value, f"a JSON object ({exc.msg})") from None
        return _adopt_from_json(value, key)

    def to_json(self) -> dict[str, Any]:
        """The JSON object (camelCase keys, unset entries left out); ``from_json`` of it
        gives an equal config."""
        out: dict[str, Any] = {}
        for name, json_key in _ADOPT_TOP_SCALARS.items():
            if getattr(self, name) is not None:
                out[json_key] = getattr(self, name)
        if self.services:
            out["services"] = {s: _section_json(v) for s, v in self.services.items()}
        for name, (json_key, _) in _ADOPT_SECTIONS.items():
            section = getattr(self, name)
            if section is not None:
                out[json_key] = _section_json(section)
        return out

    def config_paths(self, *, key: str = "proliferate:adopt") -> list[tuple[str, str]]:
        """``(path, value)`` per entry, the arguments of ``pulumi config set --path``
        (e.g. ``("proliferate:adopt.services.worker.serviceName", "my-worker")``)."""
        lines: list[tuple[str, str]] = []

        def walk(path: str, value: Any) -> None:
            if isinstance(value, dict):
                for k, v in cast("dict[str, Any]", value).items():
                    part = f".{k}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) else f'["{k}"]'
                    walk(path + part, v)
            elif isinstance(value, list):
                for i, v in enumerate(value):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
                    walk(f"{path}[{i}]", v)
            else:
                lines.append((path, str(value)))

        walk(key, self.to_json())
        return lines


_ADOPT_TOP_SCALARS: Mapping[str, str] = MappingProxyType(
    {"cluster_name": "clusterName", "execution_role_name": "executionRoleName"}
)
_ADOPT_SECTIONS: Mapping[str, tuple[str, type[Any]]] = MappingProxyType(
    {
        "redis": ("redis", AdoptRedis),
        "database": ("database", AdoptDatabase),
        "load_balancer": ("loadBalancer", AdoptLoadBalancer),
        "network": ("network", AdoptNetwork),
    }
)
# field -> (JSON key, awsnames kind; "list:<kind>" for a list of strings)
_ADOPT_FIELDS: Mapping[type[Any], Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        AdoptConfig: {
            "cluster_name": ("clusterName", "ecs_cluster"),
            "execution_role_name": ("executionRoleName", "iam_role"),
        },
        AdoptService: {
            "service_name": ("serviceName", "ecs_service"),
            "repository_name": ("repositoryName", "ecr_repository"),
            "log_group_name": ("logGroupName", "log_group"),
            "task_role_name": ("taskRoleName", "iam_role"),
            "execution_role_name": ("executionRoleName", "iam_role"),
            "security_group_name": ("securityGroupName", "security_group"),
            "security_group_description": (
                "securityGroupDescription",
                "security_group_description",
            ),
            "target_group_name": ("targetGroupName", "target_group"),
            "task_family": ("taskFamily", "task_family"),
            "execution_policy_name": ("executionPolicyName", "iam_policy"),
        },
        AdoptDatabase: {
            "identifier": ("identifier", "db_instance"),
            "db_name": ("dbName", "db_name"),
            "username": ("username", "db_name"),
            "subnet_group_name": ("subnetGroupName", "db_subnet_group"),
            "parameter_group_name": ("parameterGroupName", "db_parameter_group"),
            "parameter_group_description": ("parameterGroupDescription", "description"),
            "security_group_name": ("securityGroupName", "security_group"),
            "security_group_description": (
                "securityGroupDescription",
                "security_group_description",
            ),
        },
        AdoptRedis: {
            "replication_group_id": ("replicationGroupId", "replication_group_id"),
            "subnet_group_name": ("subnetGroupName", "cache_subnet_group"),
            "parameter_group_name": ("parameterGroupName", "cache_parameter_group"),
            "parameter_group_description": ("parameterGroupDescription", "description"),
            "security_group_name": ("securityGroupName", "security_group"),
            "security_group_description": (
                "securityGroupDescription",
                "security_group_description",
            ),
            "snapshot_name": ("snapshotName", "cache_snapshot"),
        },
        AdoptLoadBalancer: {
            "name": ("name", "load_balancer"),
            "security_group_name": ("securityGroupName", "security_group"),
            "security_group_description": (
                "securityGroupDescription",
                "security_group_description",
            ),
        },
        AdoptNetwork: {
            "availability_zones": ("availabilityZones", "list:zone"),
            "public_subnet_cidrs": ("publicSubnetCidrs", "list:cidr"),
            "private_subnet_cidrs": ("privateSubnetCidrs", "list:cidr"),
        },
    }
)
_AZ_NAME_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$")


def _python_path(parts: tuple[str, ...]) -> str:
    """``("services", "worker", "service_name")`` -> ``adopt.services['worker'].service_name``."""
    out = "adopt"
    for i, part in enumerate(parts):
        out += f"[{part!r}]" if i > 0 and parts[i - 1] == "services" else f".{part}"
    return out


def _section_json(section: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (json_key, _) in _ADOPT_FIELDS[type(section)].items():
        value = getattr(section, name)
        if value is not None:
            out[json_key] = (
                list(cast("tuple[str, ...]", value)) if isinstance(value, tuple) else value
            )
    return out


def _check_leaf(value: Any, kind: str, key: str) -> None:
    from .awsnames import validate_name

    if not kind.startswith("list:"):
        validate_name(value, kind=kind, key=key)
        return
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(key, value, "a non-empty list of strings")
    items = cast("Sequence[Any]", value)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigError(f"{key}[{i}]", item, "a string")
        if kind == "list:zone" and not _AZ_NAME_RE.match(item):
            raise ConfigError(f"{key}[{i}]", item, "an availability zone name such as us-east-1a")
        if kind == "list:cidr":
            try:
                net = ipaddress.IPv4Network(item, strict=True)
            except ValueError:
                raise ConfigError(
                    f"{key}[{i}]", item, "an IPv4 CIDR with zero host bits, e.g. 10.0.1.0/24"
                ) from None
            if not 16 <= net.prefixlen <= 28:
                raise ConfigError(f"{key}[{i}]", item, "a /16 to /28 network (AWS subnet sizes)")


def _check_adopt(adopt: AdoptConfig, path: Callable[[tuple[str, ...]], str]) -> None:
    """Check every name of ``adopt``; ``path`` turns field names into the error key."""

    def section(obj: Any, prefix: tuple[str, ...]) -> None:
        for name, (_, kind) in _ADOPT_FIELDS[type(obj)].items():
            value = getattr(obj, name)
            if value is not None:
                _check_leaf(value, kind, path((*prefix, name)))

    section(adopt, ())
    if not isinstance(adopt.services, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(
            path(("services",)), adopt.services, "a mapping of service name -> AdoptService"
        )
    for service, names in adopt.services.items():
        if service not in ADOPT_SERVICES:
            raise ConfigError(
                path(("services", service)), service, f"a service among {', '.join(ADOPT_SERVICES)}"
            )
        if not isinstance(names, AdoptService):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigError(path(("services", service)), names, "an AdoptService")
        section(names, ("services", service))
        if service in ("worker", "migrations") and names.target_group_name is not None:
            raise ConfigError(
                path(("services", service, "target_group_name")),
                names.target_group_name,
                f"unset: the {service} is not behind the load balancer",
            )
        if service == "migrations" and names.service_name is not None:
            raise ConfigError(
                path(("services", service, "service_name")),
                names.service_name,
                "unset: migrations is a task definition without an ECS service",
            )
    for name, (_, cls) in _ADOPT_SECTIONS.items():
        value = getattr(adopt, name)
        if value is not None:
            if not isinstance(value, cls):
                raise ConfigError(path((name,)), value, f"an {cls.__name__} or None")
            section(value, (name,))
    network = adopt.network
    if network is not None and (network.public_subnet_cidrs is None) != (
        network.private_subnet_cidrs is None
    ):
        missing = (
            "public_subnet_cidrs" if network.public_subnet_cidrs is None else "private_subnet_cidrs"
        )
        raise ConfigError(
            path(("network", missing)), None, "given together with the other subnet CIDR list"
        )


def _json_path(base: str, parts: tuple[str, ...]) -> str:
    return base + "".join(f".{p}" for p in parts)


def _suggest(unknown: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(unknown, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"not a known key{hint} (known: {', '.join(known)})"


def _object(value: Any, key: str, known: Sequence[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(key, value, f"a JSON object with keys among {', '.join(known)}")
    obj: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
    for k in obj:
        if k not in known:
            raise ConfigError(f"{key}.{k}", obj[k], _suggest(str(k), known))
    return obj


def _section_from_json(cls: type[Any], value: Any, key: str) -> Any:
    spec = _ADOPT_FIELDS[cls]
    by_json = {json_key: (name, kind) for name, (json_key, kind) in spec.items()}
    obj = _object(value, key, list(by_json))
    kwargs: dict[str, Any] = {}
    for json_key, raw in obj.items():
        name, kind = by_json[json_key]
        if raw is None:
            continue
        _check_leaf(raw, kind, f"{key}.{json_key}")
        kwargs[name] = tuple(raw) if kind.startswith("list:") else raw  # pyright: ignore[reportUnknownArgumentType]
    return kwargs


def _adopt_from_json(value: Any, key: str) -> AdoptConfig:
    top_known = [
        "clusterName",
        "executionRoleName",
        "services",
        "redis",
        "database",
        "loadBalancer",
        "network",
    ]
    obj = _object(value, key, top_known)
    kwargs: dict[str, Any] = _section_from_json(
        AdoptConfig, {k: v for k, v in obj.items() if k in _ADOPT_TOP_SCALARS.values()}, key
    )
    services: dict[str, AdoptService] = {}
    raw_services = obj.get("services")
    if raw_services is not None:
        for service, names in _object(raw_services, f"{key}.services", ADOPT_SERVICES).items():
            services[service] = AdoptService(
                **_section_from_json(AdoptService, names, f"{key}.services.{service}")
            )
    kwargs["services"] = services
    for name, (json_key, cls) in _ADOPT_SECTIONS.items():
        raw = obj.get(json_key)
        if raw is not None:
            kwargs[name] = cls(**_section_from_json(cls, raw, f"{key}.{json_key}"))
    try:
        return AdoptConfig(**kwargs)
    except ConfigError as exc:  # a cross-field rule: say it with the JSON path
        raise ConfigError(_to_json_key(exc.key, key), exc.value, exc.valid) from None


def _to_json_key(python_key: str, base: str) -> str:
    """``adopt.services['worker'].target_group_name`` -> ``<base>.services.worker.targetGroupName``."""
    parts = re.findall(r"\.([a-z_]+)|\['([^']+)'\]", python_key.removeprefix("adopt"))
    names: list[str] = [str(a or b) for a, b in parts]
    json_names: dict[str, str] = {
        "services": "services",
        "load_balancer": "loadBalancer",
        "database": "database",
    }
    for spec in _ADOPT_FIELDS.values():
        json_names.update({n: j for n, (j, _) in spec.items()})
    return _json_path(base, tuple(json_names.get(n, n) for n in names))


@dataclass(frozen=True)
class ServiceSizing:
    """CPU, memory and task count of one Fargate service."""

    cpu: int
    """Task CPU units (1024 = 1 vCPU)."""
    memory_mib: int
    """Task memory in MiB."""
    desired_count: int
    """Tasks to run (the minimum when autoscaling is on)."""


@dataclass(frozen=True)
class StackConfig:
    """Everything a Proliferate stack can be configured with, validated on construction.

    Defaults are the spec's dev sizing; :meth:`prod` applies the prod profile. Building one
    with invalid values raises :class:`~proliferate_components.errors.ConfigError` naming
    the field (or the Pulumi key when built by :meth:`from_pulumi_config`).
    """

    profile: Profile = "dev"
    """Defaults profile this config was built from, ``dev`` or ``prod``. Informational: it
    does not change other fields when set directly (use :meth:`prod`); it is written back by
    :meth:`to_pulumi_config` and may be used for tags."""
    region: str = "us-east-1"
    """AWS region (Pulumi key ``aws:region``)."""

    # --- network ---
    vpc_cidr: str = "10.0.0.0/16"
    """VPC network, IPv4 /16 to /24 (subnets are planned by :func:`plan_subnets`)."""
    az_count: int = 2
    """Availability zones to spread subnets and data stores over, 2 to 6."""
    nat_strategy: NatStrategy = "single"
    """``single`` NAT gateway (cheaper, dev) or ``one_per_az`` (survives an AZ outage; prod)."""
    enable_flow_logs: bool = False
    """Send VPC flow logs to CloudWatch Logs (prod: on)."""
    flow_log_retention_days: int = 30
    """Retention of the flow-log group; one of CloudWatch's allowed periods (prod: 365)."""
    manage_default_network_acl: bool = True
    """Take over the VPC's default network ACL with its allow-all rules
    (``NetworkArgs.manage_default_network_acl``). ``false`` leaves it unmanaged: for a stack
    created before this existed, whose first take-over would rewrite the ACL's rules."""

    # --- services ---
    worker_cpu: int = 256
    """Worker task CPU units (prod: 512)."""
    worker_memory_mib: int = 512
    """Worker task memory in MiB, valid for ``worker_cpu`` (prod: 1024)."""
    worker_desired_count: int = 1
    """Worker tasks (prod: 2)."""
    llm_proxy_cpu: int = 512
    """LLM proxy task CPU units (prod: 1024)."""
    llm_proxy_memory_mib: int = 1024
    """LLM proxy task memory in MiB (prod: 2048)."""
    llm_proxy_desired_count: int = 1
    """LLM proxy tasks (prod: 2)."""
    gateway_cpu: int = 256
    """Gateway (WebSocket) task CPU units (prod: 512)."""
    gateway_memory_mib: int = 512
    """Gateway task memory in MiB (prod: 1024)."""
    gateway_desired_count: int = 1
    """Gateway tasks (prod: 2)."""
    enable_web: bool = False
    """Run the Next.js web app on ECS; off by default because Vercel is the default host."""
    web_cpu: int = 512
    """Web task CPU units, used when ``enable_web`` (prod: 1024)."""
    web_memory_mib: int = 1024
    """Web task memory in MiB (prod: 2048)."""
    web_desired_count: int = 1
    """Web tasks (prod: 2)."""
    enable_trigger_service: bool = False
    """Run the trigger service (webhook ingestion and polling for automations); off by
    default, as in upstream's Helm chart (``triggerService.enabled: false``)."""
    trigger_service_cpu: int = 256
    """Trigger service task CPU units, used when ``enable_trigger_service``."""
    trigger_service_memory_mib: int = 512
    """Trigger service task memory in MiB."""
    trigger_service_desired_count: int = 1
    """Trigger service tasks."""
    enable_autoscaling: bool = False
    """Scale services on CPU between their desired count and ``autoscaling_max_count``
    (prod: on)."""
    autoscaling_max_count: int = 4
    """Most tasks per service when autoscaling (prod: 8)."""
    image_tag: str = "latest"
    """Container image tag deployed for every service (``proliferate-infra deploy`` sets
    it to the commit it builds)."""
    mutable_image_tags: str | None = None
    """Comma-separated ECR tags that may be re-pushed, e.g. ``latest`` for a moving tag
    (wildcards ``*`` allowed, at most five). Unset: every tag is immutable, so a deployed
    tag always names the same image."""
    log_retention_days: int = 30
    """Retention of the services' CloudWatch log groups and of the cluster's ECS Exec session
    log group (spec: 30 days; prod: 365)."""
    enable_execute_command: bool = False
    """Allow ``aws ecs execute-command`` shells into tasks (off: it is an access path)."""

    # --- Redis (ElastiCache) ---
    redis_cache_node_type: str = "cache.t3.micro"
    """ElastiCache node type (prod: cache.t3.small)."""
    redis_engine: RedisEngine = "redis"
    """``redis`` (Redis OSS 7) or ``valkey``."""
    redis_engine_version: str | None = None
    """Engine version ``<major>.<minor>``; unset = :data:`DEFAULT_REDIS_ENGINE_VERSIONS`
    for the engine (redis 7.1, valkey 8.0)."""
    redis_num_cache_clusters: int = 2
    """Nodes (primary + replicas), 1 to 6; 2 or more enables automatic failover and
    Multi-AZ. 1 needs ``redis_allow_single_node``."""
    redis_allow_single_node: bool = False
    """Explicit opt-out of Redis high availability, allowing ``redis_num_cache_clusters=1``."""
    redis_snapshot_retention_days: int = 1
    """Daily snapshots kept, 1 to 35 (prod: 7)."""

    # --- PostgreSQL (RDS) ---
    enable_rds: bool = True
    """Create RDS PostgreSQL; false = the stack takes ``DATABASE_URL`` from secret config."""
    db_instance_class: str = "db.t4g.micro"
    """RDS instance class (prod: db.t4g.medium)."""
    db_engine_version: str = "16"
    """PostgreSQL major (or major.minor) version, 14 to 17."""
    db_allocated_storage_gib: int = 20
    """Initial storage in GiB, 20 to 65536 (prod: 50)."""
    db_max_allocated_storage_gib: int = 100
    """Storage autoscaling ceiling in GiB, >= the allocated storage; 0 turns storage
    autoscaling off (prod: 500)."""
    db_multi_az: bool = False
    """Standby in a second AZ (prod: on)."""
    db_backup_retention_days: int = 7
    """Automated backups kept, 7 to 35 days (prod: 14)."""

    db_performance_insights: bool = False
    """RDS Performance Insights, 7 days of history (prod: on)."""
    db_monitoring_interval_seconds: int = 0
    """RDS enhanced monitoring interval: 0 (off), 1, 5, 10, 15, 30 or 60 (prod: 60)."""
    db_query_logging: bool = False
    """Log DDL and statements slower than 1 s to CloudWatch Logs (prod: on)."""
    db_iam_authentication: bool = True
    """Allow IAM database authentication (no cost)."""

    # --- protection and hardening ---
    protect_data_stores: bool = True
    """Pulumi ``protect`` and AWS deletion protection on data stores and their generated
    credentials. Setting it false is the explicit, documented opt-out (e.g. for throw-away
    test stacks)."""
    customer_managed_key: bool = False
    """One customer-managed KMS key (rotation on) for logs, images, secrets, the cache and
    the database (prod: on). Existing stores keep the key they were created with."""
    alb_access_logs: bool = False
    """Write the load balancer's access logs to a dedicated S3 bucket (prod: on)."""
    access_log_retention_days: int = 90
    """Days access logs are kept, 1 to 3650."""
    readonly_root_filesystem: bool = False
    """Read-only root filesystems (with writable scratch volumes) for the services whose
    images allow it per the platform contract (prod: on)."""

    # --- HTTPS and DNS ---
    enable_https: bool = False
    """Serve HTTPS on the load balancer; needs ``certificate_arn`` or ``manage_dns`` with
    ``domain_name``."""
    certificate_arn: str | None = None
    """ACM certificate (same region as the stack) for HTTPS. Secret config in Pulumi."""
    domain_name: str | None = None
    """Custom domain of the app, e.g. ``app.example.com``."""
    manage_dns: bool = False
    """Let Pulumi manage Route53 records and request/validate an ACM certificate for
    ``domain_name`` (used when ``certificate_arn`` is not set)."""
    hosted_zone_id: str | None = None
    """Existing Route53 hosted zone to use when ``manage_dns``; unset = one is created."""

    # --- adopting existing resources ---
    adopt: AdoptConfig | None = None
    """Existing physical names and network layout to adopt an existing deployment in place
    (Pulumi key ``proliferate:adopt``, an object; see :class:`AdoptConfig` and
    docs/migrating-from-terraform.md). Default ``None``: Pulumi generates names, subnets
    follow :func:`plan_subnets`, zones are looked up."""

    def __post_init__(self) -> None:
        _validate({f.name: getattr(self, f.name) for f in fields(self)}, key_of=_field_name)

    @property
    def mutable_tags(self) -> tuple[str, ...]:
        """:attr:`mutable_image_tags` as a tuple (empty when unset)."""
        return split_tags(self.mutable_image_tags or "")

    # --- constructors ---

    @classmethod
    def dev(cls, **overrides: Any) -> "StackConfig":
        """The dev profile (the built-in defaults) with ``overrides`` (field names)."""
        kwargs: dict[str, Any] = {"profile": "dev", **overrides}
        return cls(**kwargs)

    @classmethod
    def prod(cls, **overrides: Any) -> "StackConfig":
        """The prod profile (:data:`PROD_DEFAULTS`) with ``overrides`` (field names)."""
        kwargs: dict[str, Any] = {**PROD_DEFAULTS, "profile": "prod", **overrides}
        return cls(**kwargs)

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, str], *, secret_keys: frozenset[str] | set[str] = frozenset()
    ) -> "StackConfig":
        """Build from Pulumi-style config strings, ``{"proliferate:workerCpu": "512", ...}``.

        Keys of other namespaces (except ``aws:region``) and ``proliferate:UPPER_SNAKE``
        keys (platform secrets) are ignored. A ``proliferate:`` key that is not known but
        close to a known one is rejected as a typo; other unknown keys are left for the
        user's own program. Empty strings count as unset.

        Args:
            values: config key -> string value, as ``pulumi config`` stores them.
            secret_keys: keys whose values are secret; errors about them do not echo them.

        Raises:
            ConfigError: naming the Pulumi key, the bad value and what is valid.
        """
        secret_keys = frozenset(_normalize_key(k) for k in secret_keys)
        by_full_key = {k.full_key: k for k in CONFIG_KEYS}
        known_names = [k.key for k in CONFIG_KEYS if k.namespace == NAMESPACE]
        present: dict[str, str] = {}
        for raw_key, raw_value in values.items():
            full_key = _normalize_key(raw_key)
            if full_key in by_full_key:
                if raw_value != "":
                    present[full_key] = raw_value
                continue
            namespace, _, name = full_key.partition(":")
            if namespace != NAMESPACE or _ENV_NAME_RE.match(name):
                continue
            lowered = {n.lower(): n for n in known_names}
            close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)
            if close:
                suggestion = f"{NAMESPACE}:{lowered[close[0]]}"
                raise ConfigError(
                    full_key,
                    raw_value,
                    f"{full_key} is not a known key; did you mean {suggestion}? "
                    f"(run `pulumi config rm {full_key}` and set {suggestion})",
                    secret=full_key in secret_keys,
                )

        def is_secret(full_key: str) -> bool:
            return full_key in secret_keys

        profile_key = by_full_key[f"{NAMESPACE}:profile"]
        profile = present.get(profile_key.full_key, "dev")
        validate_choice(profile, key=profile_key.full_key, choices=PROFILES)
        parsed: dict[str, Any] = dict(PROD_DEFAULTS) if profile == "prod" else {}
        for full_key, text in present.items():
            ck = by_full_key[full_key]
            parsed[ck.field] = _parse(ck, text, secret=is_secret(full_key))
        parsed["profile"] = profile
        merged = {f.name: parsed.get(f.name, f.default) for f in fields(cls)}
        field_to_key = {k.field: k.full_key for k in CONFIG_KEYS}
        secret_fields = frozenset(k.field for k in CONFIG_KEYS if is_secret(k.full_key))
        try:
            _validate(merged, key_of=field_to_key.__getitem__, secret_fields=secret_fields)
        except ConfigError as exc:
            # Say which of the values involved the user did not set: the profile did.
            implied = [
                f"{field_to_key[f]}={_format(value)}"
                for f, value in PROD_DEFAULTS.items()
                if profile == "prod"
                and field_to_key[f] not in present
                and (field_to_key[f] == exc.key or f"{field_to_key[f]}=" in exc.valid)
            ]
            if not implied:
                raise
            note = f" ({', '.join(implied)} from {profile_key.full_key}=prod)"
            raise ConfigError(
                exc.key, exc.value, exc.valid + note, secret=is_secret(exc.key)
            ) from None
        return cls(**merged)

    @classmethod
    def from_pulumi_config(cls) -> "StackConfig":
        """Read the current Pulumi program's config (``proliferate:*`` and ``aws:region``).

        Secret config keys stay unechoed in errors. See :meth:`from_mapping` for the rules.
        Valid but unusual choices (:meth:`warnings`) are logged with ``pulumi.log.warn``.

        Raises:
            ConfigError: naming the Pulumi key, before anything is registered.
        """
        from pulumi.runtime import config as runtime_config

        values: dict[str, str] = {}
        for source in (runtime_config.get_config_env(), runtime_config.CONFIG.get()):
            for key, value in source.items():
                values[str(key)] = value if isinstance(value, str) else str(value)
        for ck in CONFIG_KEYS:  # also honours PULUMI_CONFIG_<KEY> variables, as Config.get does
            value = runtime_config.get_config(ck.full_key)
            if value is not None:
                values[ck.full_key] = value if isinstance(value, str) else str(value)
        secret_keys = set(runtime_config.get_config_secret_keys_env())
        secret_keys |= {k for k in values if runtime_config.is_config_secret(k)}
        config = cls.from_mapping(values, secret_keys=frozenset(secret_keys))
        import pulumi

        for message in config.warnings(pulumi_keys=True):
            pulumi.log.warn(message)
        return config

    # --- conversions ---

    def to_pulumi_config(self, *, include_defaults: bool = False) -> dict[str, str]:
        """The ``pulumi config set`` values that rebuild this config.

        Always contains ``aws:region``; ``proliferate:profile`` and every other key only
        when it differs from the profile's default, unless ``include_defaults`` (then every
        key that has a value). Unset optional keys are omitted. Values are the strings the
        CLI stores (``true``/``false``, decimal integers). Keys marked ``secret`` in
        :data:`CONFIG_KEYS` (``proliferate:certificateArn``) should be set with
        ``--secret``. ``StackConfig.from_mapping(c.to_pulumi_config()) == c``.
        """
        out: dict[str, str] = {}
        for ck in CONFIG_KEYS:
            value = getattr(self, ck.field)
            if value is None:
                continue
            is_default = value == ck.default_for(self.profile)
            if ck.full_key == "aws:region" or include_defaults or not is_default:
                out[ck.full_key] = _format(value)
        return out

    # --- legitimate but unusual choices ---

    def warnings(self, *, pulumi_keys: bool = False) -> list[str]:
        """Choices that are valid but probably not meant, one sentence each (empty when none).

        Today: a VPC network outside the RFC 1918 private ranges (e.g. ``8.8.0.0/16``). AWS
        accepts it, but the VPC then shadows those addresses: tasks can no longer reach the
        hosts that really own them on the internet. :meth:`from_pulumi_config` logs each
        with ``pulumi.log.warn`` (``pulumi preview`` and the offline preview show them).

        Args:
            pulumi_keys: name settings by their Pulumi key (``proliferate:vpcCidr``) instead
                of the field (``vpc_cidr``).
        """

        def name(field_name: str) -> str:
            return config_key(field_name).full_key if pulumi_keys else field_name

        found: list[str] = []
        network = ipaddress.IPv4Network(self.vpc_cidr)
        if not any(network.subnet_of(private) for private in _RFC1918_NETWORKS):
            kind = "publicly routable" if network.is_global else "not an RFC 1918 private range"
            found.append(
                f"{name('vpc_cidr')}={self.vpc_cidr} is {kind}: AWS accepts it, but addresses "
                "inside the VPC are no longer reachable on the internet from the tasks (their "
                "traffic stays in the VPC). The usual ranges are 10.0.0.0/8, 172.16.0.0/12 and "
                "192.168.0.0/16 (RFC 1918); keep this one only if you mean it."
            )
        return found

    # --- derived values ---

    @property
    def resolved_redis_engine_version(self) -> str:
        """``redis_engine_version``, or the engine's default when it is unset."""
        return self.redis_engine_version or DEFAULT_REDIS_ENGINE_VERSIONS[self.redis_engine]

    @property
    def redis_parameter_group_family(self) -> str:
        """ElastiCache parameter group family for the engine and version, e.g. ``redis7``."""
        major = self.resolved_redis_engine_version.split(".", 1)[0]
        return f"{self.redis_engine}{major}"

    @property
    def subnet_layout(self) -> SubnetLayout:
        """Public and private subnet CIDRs for ``vpc_cidr`` and ``az_count``."""
        return plan_subnets(self.vpc_cidr, self.az_count)

    @property
    def https_enabled_with_managed_certificate(self) -> bool:
        """True when HTTPS is on and Pulumi must request the certificate (no ARN given)."""
        return self.enable_https and self.certificate_arn is None

    def service_sizing(self, service: str) -> ServiceSizing:
        """CPU, memory and desired count of ``web``, ``worker``, ``gateway``, ``llm-proxy``
        or ``trigger-service`` (the migrations task has the worker's CPU and memory).

        Raises:
            ConfigError: if ``service`` is not one of those names.
        """
        prefix = {
            "web": "web",
            "worker": "worker",
            "gateway": "gateway",
            "llm-proxy": "llm_proxy",
            "trigger-service": "trigger_service",
        }
        if service not in prefix:
            raise ConfigError("service", service, f"one of {', '.join(prefix)}")
        p = prefix[service]
        return ServiceSizing(
            cpu=getattr(self, f"{p}_cpu"),
            memory_mib=getattr(self, f"{p}_memory_mib"),
            desired_count=getattr(self, f"{p}_desired_count"),
        )

    def with_overrides(self, **overrides: Any) -> "StackConfig":
        """A copy with ``overrides`` applied (validated again)."""
        return replace(self, **overrides)


@dataclass(frozen=True)
class ConfigKey:
    """One Pulumi config key of a Proliferate stack."""

    key: str
    """Key without namespace, camelCase, e.g. ``workerMemory`` (``region`` for ``aws:region``)."""
    field: str
    """The :class:`StackConfig` field it sets, e.g. ``worker_memory_mib``."""
    type: ValueType
    """Pulumi.yaml config type: ``string``, ``integer`` or ``boolean``."""
    default: ConfigValue
    """Built-in (dev) default; ``None`` = unset by default."""
    description: str
    """One-line description for docs and the Pulumi.yaml ``description``."""
    secret: bool = False
    """Set it with ``pulumi config set --secret``."""
    prod_default: ConfigValue = None
    """Default under ``profile=prod`` when it differs from ``default``; ``None`` = same."""
    valid: str = ""
    """What values are accepted, for errors and docs."""
    choices: tuple[str, ...] = ()
    """The allowed values of a string key with a fixed set of values."""
    namespace: str = NAMESPACE
    """Config namespace: ``proliferate``, or ``aws`` for ``aws:region``."""

    @property
    def full_key(self) -> str:
        """``<namespace>:<key>``, e.g. ``proliferate:workerMemory``."""
        return f"{self.namespace}:{self.key}"

    def default_for(self, profile: str) -> ConfigValue:
        """The default under ``profile`` (``dev`` or ``prod``)."""
        if profile == "prod" and self.prod_default is not None:
            return self.prod_default
        return self.default

    @property
    def profile_dependent(self) -> bool:
        """True when the prod profile has a different default."""
        return self.prod_default is not None and self.prod_default != self.default


_FIELD_DEFAULTS: Mapping[str, Any] = {f.name: f.default for f in fields(StackConfig)}


def _value_type(value: object) -> ValueType | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, str):
        return "string"
    return None


def _k(
    key: str,
    field_name: str,
    value_type: ValueType,
    description: str,
    *,
    prod: ConfigValue = None,
    secret: bool = False,
    valid: str = "",
    choices: tuple[str, ...] = (),
    namespace: str = NAMESPACE,
) -> ConfigKey:
    return ConfigKey(
        key=key,
        field=field_name,
        type=value_type,
        default=_FIELD_DEFAULTS[field_name],
        description=description,
        secret=secret,
        prod_default=prod,
        valid=valid or (f"one of {', '.join(choices)}" if choices else ""),
        choices=choices,
        namespace=namespace,
    )


_CPUS = ", ".join(str(c) for c in FARGATE_CPU_MEMORY_MIB)
_CPU_VALID = f"Fargate CPU units, one of {_CPUS}"
_MEM_VALID = "MiB, a size Fargate accepts with the service's CPU (256 CPU: 512, 1024 or 2048)"
_LOG_VALID = f"one of {', '.join(str(d) for d in CLOUDWATCH_LOG_RETENTION_DAYS)}"
_COUNT_VALID = f"from 0 to {_MAX_DESIRED_COUNT}"

CONFIG_KEYS: tuple[ConfigKey, ...] = (
    _k("profile", "profile", "string", "Defaults profile: dev (small, cheap) or prod (sized and protected for production)", choices=PROFILES),
    _k("region", "region", "string", "AWS region to deploy to", namespace="aws", valid="an AWS region name such as us-east-1"),
    # network
    _k("vpcCidr", "vpc_cidr", "string", "VPC IPv4 network (/16 to /24)", valid="an IPv4 CIDR from /16 to /24, e.g. 10.0.0.0/16"),
    _k("azCount", "az_count", "integer", "Availability zones to use", valid="from 2 to 6"),
    _k("natStrategy", "nat_strategy", "string", "NAT gateways: single (cheaper) or one_per_az (highly available)", prod="one_per_az", choices=("single", "one_per_az")),
    _k("enableFlowLogs", "enable_flow_logs", "boolean", "Send VPC flow logs to CloudWatch Logs", prod=True),
    _k("manageDefaultNetworkAcl", "manage_default_network_acl", "boolean", "Take over the VPC's default network ACL (allow-all rules, as AWS creates it); false leaves it unmanaged (a stack made with 0.1, whose first take-over would rewrite the rules)"),
    _k("flowLogRetentionDays", "flow_log_retention_days", "integer", "Days to keep VPC flow logs", prod=365, valid=_LOG_VALID),
    # services
    _k("workerCpu", "worker_cpu", "integer", "Worker task CPU units", prod=512, valid=_CPU_VALID),
    _k("workerMemory", "worker_memory_mib", "integer", "Worker task memory (MiB)", prod=1024, valid=_MEM_VALID),
    _k("workerDesiredCount", "worker_desired_count", "integer", "Worker tasks to run", prod=2, valid=_COUNT_VALID),
    _k("llmProxyCpu", "llm_proxy_cpu", "integer", "LLM proxy task CPU units", prod=1024, valid=_CPU_VALID),
    _k("llmProxyMemory", "llm_proxy_memory_mib", "integer", "LLM proxy task memory (MiB)", prod=2048, valid=_MEM_VALID),
    _k("llmProxyDesiredCount", "llm_proxy_desired_count", "integer", "LLM proxy tasks to run", prod=2, valid=_COUNT_VALID),
    _k("gatewayCpu", "gateway_cpu", "integer", "Gateway (WebSocket) task CPU units", prod=512, valid=_CPU_VALID),
    _k("gatewayMemory", "gateway_memory_mib", "integer", "Gateway task memory (MiB)", prod=1024, valid=_MEM_VALID),
    _k("gatewayDesiredCount", "gateway_desired_count", "integer", "Gateway tasks to run", prod=2, valid=_COUNT_VALID),
    _k("enableWeb", "enable_web", "boolean", "Run the Next.js web app on ECS (false: host it on Vercel)"),
    _k("webCpu", "web_cpu", "integer", "Web task CPU units", prod=1024, valid=_CPU_VALID),
    _k("webMemory", "web_memory_mib", "integer", "Web task memory (MiB)", prod=2048, valid=_MEM_VALID),
    _k("webDesiredCount", "web_desired_count", "integer", "Web tasks to run", prod=2, valid=_COUNT_VALID),
    _k("enableTriggerService", "enable_trigger_service", "boolean", "Run the trigger service (automation webhooks and polling)"),
    _k("triggerServiceCpu", "trigger_service_cpu", "integer", "Trigger service task CPU units", valid=_CPU_VALID),
    _k("triggerServiceMemory", "trigger_service_memory_mib", "integer", "Trigger service task memory (MiB)", valid=_MEM_VALID),
    _k("triggerServiceDesiredCount", "trigger_service_desired_count", "integer", "Trigger service tasks to run", valid=_COUNT_VALID),
    _k("enableAutoscaling", "enable_autoscaling", "boolean", "Scale services on CPU between their desired count and autoscalingMaxCount", prod=True),
    _k("autoscalingMaxCount", "autoscaling_max_count", "integer", "Most tasks per service when autoscaling", prod=8, valid=f"from 1 to {_MAX_DESIRED_COUNT}, at least every desired count"),
    _k("imageTag", "image_tag", "string", "Container image tag to deploy", valid="a Docker tag: letters, digits, _ . - (up to 128, not starting with . or -)"),
    _k("mutableImageTags", "mutable_image_tags", "string", "ECR tags that may be re-pushed, comma-separated, e.g. latest (unset: every tag is immutable)", valid="1 to 5 comma-separated tags of letters, digits, . _ - with at most two * wildcards each, e.g. latest"),
    _k("logRetentionDays", "log_retention_days", "integer", "Days to keep service logs and ECS Exec session logs", prod=365, valid=_LOG_VALID),
    _k("enableExecuteCommand", "enable_execute_command", "boolean", "Allow `aws ecs execute-command` into tasks"),
    # redis
    _k("redisCacheNodeType", "redis_cache_node_type", "string", "ElastiCache node type", prod="cache.t3.small", valid="cache.<family><generation>.<size>, e.g. cache.t3.micro"),
    _k("redisEngine", "redis_engine", "string", "Cache engine", choices=("redis", "valkey")),
    _k("redisEngineVersion", "redis_engine_version", "string", "Cache engine version (unset: redis 7.1, valkey 8.0)", valid=f"<major>.<minor> that ElastiCache offers: {elasticache_versions_text()}"),
    _k("redisNumCacheClusters", "redis_num_cache_clusters", "integer", "Cache nodes (primary + replicas); 2+ enables failover and Multi-AZ", valid="from 2 to 6 (1 only with redisAllowSingleNode=true)"),
    _k("redisAllowSingleNode", "redis_allow_single_node", "boolean", "Explicit opt-out of Redis high availability (allows redisNumCacheClusters=1)"),
    _k("redisSnapshotRetentionDays", "redis_snapshot_retention_days", "integer", "Days of Redis snapshots to keep", prod=7, valid="from 1 to 35"),
    # postgres
    _k("enableRds", "enable_rds", "boolean", "Create RDS PostgreSQL (false: use an external DATABASE_URL from secret config)"),
    _k("dbInstanceClass", "db_instance_class", "string", "RDS instance class", prod="db.t4g.medium", valid="db.<family><generation>.<size>, e.g. db.t4g.micro"),
    _k("dbEngineVersion", "db_engine_version", "string", "PostgreSQL version", valid=f"a PostgreSQL major version alone (RDS picks the latest minor) or with a minor RDS has released: {postgres_versions_text()}"),
    _k("dbAllocatedStorageGib", "db_allocated_storage_gib", "integer", "Initial database storage (GiB)", prod=50, valid="from 20 to 65536"),
    _k("dbMaxAllocatedStorageGib", "db_max_allocated_storage_gib", "integer", "Storage autoscaling ceiling (GiB); 0 disables it", prod=500, valid="0, or from dbAllocatedStorageGib to 65536"),
    _k("dbMultiAz", "db_multi_az", "boolean", "Run a standby database in a second AZ", prod=True),
    _k("dbBackupRetentionDays", "db_backup_retention_days", "integer", "Days of automated database backups", prod=14, valid="from 7 to 35"),
    _k("dbPerformanceInsights", "db_performance_insights", "boolean", "RDS Performance Insights (7 days)", prod=True),
    _k("dbMonitoringInterval", "db_monitoring_interval_seconds", "integer", "RDS enhanced monitoring interval in seconds (0: off)", prod=60, valid="0, 1, 5, 10, 15, 30 or 60"),
    _k("dbQueryLogging", "db_query_logging", "boolean", "Log DDL and slow (>1 s) queries to CloudWatch Logs", prod=True),
    _k("dbIamAuthentication", "db_iam_authentication", "boolean", "Allow IAM database authentication"),
    # protection and hardening
    _k("protectDataStores", "protect_data_stores", "boolean", "Protect Redis, PostgreSQL and their credentials from deletion and replacement (false is an explicit opt-out)"),
    _k("customerManagedKey", "customer_managed_key", "boolean", "One customer-managed KMS key for logs, images, secrets, cache and database", prod=True),
    _k("albAccessLogs", "alb_access_logs", "boolean", "Load balancer access logs in a dedicated S3 bucket", prod=True),
    _k("accessLogRetentionDays", "access_log_retention_days", "integer", "Days to keep load balancer access logs", valid="from 1 to 3650"),
    _k("readonlyRootFilesystem", "readonly_root_filesystem", "boolean", "Read-only root filesystems where the platform's images allow it", prod=True),
    # https / dns
    _k("enableHttps", "enable_https", "boolean", "Serve HTTPS (requires certificateArn, or manageDns with domainName)"),
    _k("certificateArn", "certificate_arn", "string", "ACM certificate ARN for HTTPS (same region as the stack)", secret=True, valid="arn:aws:acm:<region>:<account>:certificate/<id>"),
    _k("domainName", "domain_name", "string", "Custom domain of the app, e.g. app.example.com", valid="a domain name such as app.example.com"),
    _k("manageDns", "manage_dns", "boolean", "Let Pulumi manage Route53 records and the ACM certificate for domainName"),
    _k("hostedZoneId", "hosted_zone_id", "string", "Existing Route53 hosted zone id (manageDns; unset: create one)", valid="a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ (upper-case letters and digits, without /hostedzone/)"),
    # adoption
    _k("adopt", "adopt", "object", "Existing AWS names and network layout to adopt an existing deployment in place (written by `proliferate-infra migrate terraform`; unset: Pulumi generates names): clusterName, executionRoleName, services.<service>.{serviceName, repositoryName, logGroupName, taskRoleName, executionRoleName, securityGroupName, securityGroupDescription, targetGroupName, taskFamily, executionPolicyName}, redis.{replicationGroupId, subnetGroupName, parameterGroupName, parameterGroupDescription, securityGroupName, securityGroupDescription, snapshotName}, database.{identifier, dbName, username, subnetGroupName, parameterGroupName, parameterGroupDescription, securityGroupName, securityGroupDescription}, loadBalancer.{name, securityGroupName, securityGroupDescription}, network.{availabilityZones, publicSubnetCidrs, privateSubnetCidrs}", valid="a JSON object (set with `pulumi config set --path 'proliferate:adopt.clusterName' NAME`); each name follows its AWS naming rule"),
)  # fmt: skip
"""Every config key, in documentation order (the single source for docs and Pulumi.yaml)."""

PROD_DEFAULTS: Mapping[str, ConfigValue] = MappingProxyType(
    {k.field: k.prod_default for k in CONFIG_KEYS if k.prod_default is not None}
)
"""Field -> value of the prod profile, where it differs from the built-in (dev) defaults."""

_PLACEHOLDER_CERTIFICATE_ARN = (
    "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
)

DEV_PRESET: Mapping[str, str] = MappingProxyType(
    {
        "aws:region": "us-east-1",
        "proliferate:workerCpu": "256",
        "proliferate:workerMemory": "512",
        "proliferate:redisCacheNodeType": "cache.t3.micro",
        "proliferate:enableHttps": "false",
    }
)
"""The spec's dev ``pulumi config set`` lines ("Stack Config (CLI Only)"), as key -> value."""

PROD_PRESET: Mapping[str, str] = MappingProxyType(
    {
        "aws:region": "us-east-1",
        "proliferate:profile": "prod",
        "proliferate:workerCpu": "512",
        "proliferate:workerMemory": "1024",
        "proliferate:llmProxyCpu": "1024",
        "proliferate:llmProxyMemory": "2048",
        "proliferate:gatewayCpu": "512",
        "proliferate:gatewayMemory": "1024",
        "proliferate:redisCacheNodeType": "cache.t3.small",
        "proliferate:enableHttps": "true",
        "proliferate:certificateArn": _PLACEHOLDER_CERTIFICATE_ARN,
        "proliferate:domainName": "app.example.com",
    }
)
"""The spec's prod ``pulumi config set`` lines, with a syntactically valid placeholder
certificate ARN (account 123456789012) and ``app.example.com``, plus
``proliferate:profile=prod``: the spec calls this set "production-ready", and without the
profile it would get dev protections (one NAT, single-AZ database, 1-day snapshots)."""


def split_tags(text: str) -> tuple[str, ...]:
    """``"latest, stable"`` -> ``("latest", "stable")`` (blank items dropped)."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def config_key(field_or_key: str) -> ConfigKey:
    """The :class:`ConfigKey` for a field name, a key or a full key (``proliferate:workerCpu``).

    Raises:
        KeyError: if nothing matches.
    """
    for ck in CONFIG_KEYS:
        if field_or_key in (ck.field, ck.key, ck.full_key):
            return ck
    raise KeyError(field_or_key)


def pulumi_yaml_config_schema() -> dict[str, Any]:
    """The ``config:`` block of a ``Pulumi.yaml`` for the project ``proliferate``.

    Pulumi's rules (sdk/go/common/workspace/project.go, config.go) decide what can be
    declared without changing behaviour:

    - ``aws:region`` belongs to another namespace: only ``value`` is allowed (no type or
      default); it is given as ``value: us-east-1``.
    - A project key declared without ``default`` becomes *required* ("Stack 'dev' is
      missing configuration value ..."), so optional keys (``domainName``,
      ``hostedZoneId``, ``redisEngineVersion``) are not declared.
    - A declared ``default`` is applied as an explicit stack value before the program runs,
      which would override the prod profile; so keys whose default depends on the profile
      (the sizing keys among others) are not declared.
    - A ``secret: true`` key must be set encrypted and cannot take a default, so the optional
      secret ``certificateArn`` is not declared either.

    Every other key is declared with its ``type``, ``description`` and ``default``. The
    undeclared keys keep working: Pulumi passes any ``proliferate:`` key to the program, and
    :class:`StackConfig` validates them all.
    """
    block: dict[str, Any] = {}
    for ck in CONFIG_KEYS:
        if ck.namespace != NAMESPACE:
            if ck.default is not None:
                block[ck.full_key] = {"value": ck.default}
            continue
        if ck.default is None or ck.secret or ck.profile_dependent:
            continue
        block[ck.full_key] = {"type": ck.type, "description": ck.description, "default": ck.default}
    return block


def config_keys_markdown() -> str:
    """A Markdown table of :data:`CONFIG_KEYS` (key, type, dev default, prod default, description)."""
    lines = [
        "| Key | Type | Default (dev) | prod profile | Description |",
        "|-----|------|---------------|--------------|-------------|",
    ]
    for ck in CONFIG_KEYS:
        dev = "(unset)" if ck.default is None else f"`{_format(ck.default)}`"
        prod = f"`{_format(ck.prod_default)}`" if ck.profile_dependent else "same"
        secret = " (secret)" if ck.secret else ""
        valid = f" Valid: {ck.valid}." if ck.valid else ""
        lines.append(
            f"| `{ck.full_key}` | {ck.type}{secret} | {dev} | {prod} | {ck.description}.{valid} |"
        )
    return "\n".join(lines) + "\n"


# --- parsing and validation ---


def _field_name(name: str) -> str:
    return name


def _normalize_key(key: str) -> str:
    # Old engines passed "<namespace>:config:<key>"; the SDK accepts both.
    namespace, sep, rest = key.partition(":")
    if sep and rest.startswith("config:"):
        return f"{namespace}:{rest[len('config:') :]}"
    return key


def _format(value: ConfigValue | AdoptConfig) -> str:
    if isinstance(value, AdoptConfig):
        return json.dumps(value.to_json(), sort_keys=True, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse(ck: ConfigKey, text: str, *, secret: bool) -> ConfigValue | AdoptConfig:
    if ck.type == "object":
        return AdoptConfig.from_json(text, key=ck.full_key)
    if ck.type == "boolean":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(ck.full_key, text, "a boolean, true or false", secret=secret)
    if ck.type == "integer":
        stripped = text.strip()
        if re.fullmatch(r"[+-]?[0-9]+", stripped):
            return int(stripped)
        what = f"an integer, {ck.valid}" if ck.valid else "an integer"
        raise ConfigError(ck.full_key, text, what, secret=secret)
    return text


def _check_type(value: Any, ck: ConfigKey, key: str) -> None:
    optional = ck.default is None
    if value is None and optional:
        return
    expected = ck.type
    if expected == "object":
        if not isinstance(value, AdoptConfig):
            raise ConfigError(key, value, "an AdoptConfig or None")
        return
    actual = _value_type(value)
    if actual != expected:
        what = {"boolean": "a bool", "integer": "an int", "string": "a str"}[expected]
        suffix = " or None" if optional else ""
        hint = f" ({ck.valid})" if ck.valid else ""
        raise ConfigError(key, value, f"{what}{suffix}{hint}")


def _validate(
    values: Mapping[str, Any],
    *,
    key_of: Callable[[str], str],
    secret_fields: frozenset[str] = frozenset(),
) -> None:
    """Validate a complete set of field values; errors name ``key_of(field)``."""
    try:
        _validate_values(values, key_of)
    except ConfigError as exc:
        if any(exc.key == key_of(f) for f in secret_fields):
            raise ConfigError(exc.key, exc.value, exc.valid, secret=True) from None
        raise


def _one_of_ints(value: Any, *, key: str, choices: tuple[int, ...], valid: str) -> None:
    if isinstance(value, bool) or value not in choices:
        raise ConfigError(key, value, valid)


def _check_postgres_version(value: Any, *, key: str) -> None:
    postgres_family(value, key=key)


def _config_valid(field_name: str) -> str:
    return config_key(field_name).valid


_SERVICE_PREFIXES = ("worker", "llm_proxy", "gateway", "web", "trigger_service")

_FIELD_CHECKS: Mapping[str, Constraint] = MappingProxyType(
    {
        "profile": OneOf(PROFILES),
        "region": Rule(validate_region, "an AWS region such as us-east-1"),
        "vpc_cidr": Rule(validate_cidr_block, "an IPv4 CIDR block from /16 to /24"),
        "az_count": Rule(validate_az_count, "an integer from 2 to 6"),
        "nat_strategy": OneOf(("single", "one_per_az")),
        "flow_log_retention_days": LOG_RETENTION_DAYS,
        **{
            f"{s}_desired_count": Range(0, _MAX_DESIRED_COUNT, unit="tasks")
            for s in _SERVICE_PREFIXES
        },
        "autoscaling_max_count": Range(1, _MAX_DESIRED_COUNT, unit="tasks"),
        "image_tag": Pattern(_IMAGE_TAG_RE.pattern, _config_valid("image_tag")),
        "log_retention_days": LOG_RETENTION_DAYS,
        "access_log_retention_days": Range(1, 3650, unit="days"),
        "db_monitoring_interval_seconds": Rule(
            functools.partial(
                _one_of_ints,
                choices=(0, 1, 5, 10, 15, 30, 60),
                valid=_config_valid("db_monitoring_interval_seconds"),
            ),
            _config_valid("db_monitoring_interval_seconds"),
        ),
        "redis_cache_node_type": Rule(validate_cache_node_type, "an ElastiCache node type"),
        "redis_engine": OneOf(tuple(ELASTICACHE_VERSIONS)),
        "redis_num_cache_clusters": Range(1, 6, unit="primary + up to 5 replicas"),
        "redis_snapshot_retention_days": Range(
            1,
            35,
            unit="days; ElastiCache allows 0 to 35 but 0 turns backups off, which this library "
            "does not allow",
        ),
        "db_instance_class": Rule(validate_db_instance_class, "an RDS instance class"),
        "db_engine_version": Rule(_check_postgres_version, "a PostgreSQL version"),
        "db_allocated_storage_gib": Range(20, 65536, unit="GiB"),
        "db_backup_retention_days": Range(
            7, 35, unit="days; RDS allows 1 to 35, this library keeps at least a week"
        ),
        "domain_name": Rule(validate_domain_name, "a domain name such as app.example.com"),
        "hosted_zone_id": Pattern(_HOSTED_ZONE_RE.pattern, _config_valid("hosted_zone_id")),
    }
)
"""What each single configuration value must be (an unset optional value is not checked);
checks that read several values follow in :func:`_validate_values`."""


def _validate_values(v: Mapping[str, Any], key_of: Callable[[str], str]) -> None:
    """Every value's type, then :data:`_FIELD_CHECKS`, then what spans values."""
    for ck in CONFIG_KEYS:
        _check_type(v[ck.field], ck, key_of(ck.field))
    for field_name, check in _FIELD_CHECKS.items():
        if v[field_name] is not None:
            check.check(v[field_name], key_of(field_name))
    _check_services(v, key_of)
    _check_image_tags(v, key_of)
    _check_redis(v, key_of)
    _check_postgres(v, key_of)
    _check_edge(v, key_of)


def _check_services(v: Mapping[str, Any], key: Callable[[str], str]) -> None:
    """Each service's CPU and memory as a pair Fargate accepts; autoscaling's ceiling at
    least every running service's desired count."""
    for service in _SERVICE_PREFIXES:
        validate_fargate_size(
            v[f"{service}_cpu"],
            v[f"{service}_memory_mib"],
            cpu_key=key(f"{service}_cpu"),
            memory_key=key(f"{service}_memory_mib"),
        )
    if not v["enable_autoscaling"]:
        return
    services = ["worker", "llm_proxy", "gateway"] + (["web"] if v["enable_web"] else [])
    services += ["trigger_service"] if v["enable_trigger_service"] else []
    biggest = max(services, key=lambda s: v[f"{s}_desired_count"])
    if v[f"{biggest}_desired_count"] > v["autoscaling_max_count"]:
        raise ConfigError(
            key("autoscaling_max_count"),
            v["autoscaling_max_count"],
            f"at least every service's desired count when {key('enable_autoscaling')}=true "
            f"({key(f'{biggest}_desired_count')}={v[f'{biggest}_desired_count']})",
        )


def _check_image_tags(v: Mapping[str, Any], key: Callable[[str], str]) -> None:
    """1 to 5 tag filters ECR accepts, each with at most two wildcards."""
    if v["mutable_image_tags"] is None:
        return
    tags = split_tags(v["mutable_image_tags"])
    if not 1 <= len(tags) <= 5 or not all(
        _TAG_FILTER_RE.fullmatch(t) and t.count("*") <= 2 for t in tags
    ):
        raise ConfigError(
            key("mutable_image_tags"), v["mutable_image_tags"], _config_valid("mutable_image_tags")
        )


def _check_redis(v: Mapping[str, Any], key: Callable[[str], str]) -> None:
    """The engine version exists for the engine; one node only with the explicit opt-out."""
    version = v["redis_engine_version"]
    if version is not None:
        elasticache_family(
            v["redis_engine"],
            version,
            key=key("redis_engine_version"),
            engine_key=key("redis_engine"),
        )
    nodes = v["redis_num_cache_clusters"]
    if nodes == 1 and not v["redis_allow_single_node"]:
        raise ConfigError(
            key("redis_num_cache_clusters"),
            nodes,
            "at least 2 (a replica gives automatic failover and Multi-AZ); a single node needs "
            f"the explicit opt-out {key('redis_allow_single_node')}=true",
        )


def _check_postgres(v: Mapping[str, Any], key: Callable[[str], str]) -> None:
    """The storage ceiling: 0 (autoscaling off) or from the allocated storage to 65536."""
    allocated, ceiling = v["db_allocated_storage_gib"], v["db_max_allocated_storage_gib"]
    if ceiling != 0 and not allocated <= ceiling <= 65536:
        raise ConfigError(
            key("db_max_allocated_storage_gib"),
            ceiling,
            f"0 (storage autoscaling off) or from {key('db_allocated_storage_gib')}={allocated} "
            "to 65536 GiB",
        )


def _check_edge(v: Mapping[str, Any], key: Callable[[str], str]) -> None:
    """HTTPS, DNS and adoption: a certificate in the stack's region, a hosted zone only with
    managed DNS, a domain for managed DNS, a certificate source for HTTPS."""
    if v["certificate_arn"] is not None:
        validate_certificate_arn(
            v["certificate_arn"], key=key("certificate_arn"), region=v["region"]
        )
    if v["hosted_zone_id"] is not None and not v["manage_dns"]:
        raise ConfigError(
            key("hosted_zone_id"),
            v["hosted_zone_id"],
            f"only used with {key('manage_dns')}=true: set it, or unset {key('hosted_zone_id')}",
        )
    adopt = v["adopt"]
    if isinstance(adopt, AdoptConfig):
        _validate_adopt(adopt, v, key("adopt"))
    if v["manage_dns"] and v["domain_name"] is None:
        raise ConfigError(
            key("manage_dns"),
            True,
            f"{key('manage_dns')}=true needs {key('domain_name')} (e.g. app.example.com)",
        )
    if v["enable_https"] and v["certificate_arn"] is None and not v["manage_dns"]:
        raise ConfigError(
            key("enable_https"),
            True,
            f"HTTPS needs a certificate: set {key('certificate_arn')} to an ACM certificate in "
            f"{v['region']}, or set {key('manage_dns')}=true and {key('domain_name')} to let Pulumi "
            f"request one, or set {key('enable_https')}=false",
        )


def _validate_adopt(adopt: AdoptConfig, v: Mapping[str, Any], key: str) -> None:
    """The rules of ``adopt`` that depend on the rest of the config (names are checked by
    :class:`AdoptConfig` itself). Errors name ``<key>.<json path>``."""
    if "web" in adopt.services and not v["enable_web"]:
        raise ConfigError(
            f"{key}.services.web",
            "web",
            "unset unless enableWeb=true (there is no web service to adopt into)",
        )
    if adopt.database is not None and not v["enable_rds"]:
        raise ConfigError(
            f"{key}.database",
            "database",
            "unset unless enableRds=true (there is no database to adopt into)",
        )
    if "trigger-service" in adopt.services and not v["enable_trigger_service"]:
        raise ConfigError(
            f"{key}.services.trigger-service",
            "trigger-service",
            "unset unless enableTriggerService=true (there is no trigger service to adopt into)",
        )
    network = adopt.network
    if network is None:
        return
    zones = network.availability_zones
    if zones is not None:
        zkey = f"{key}.network.availabilityZones"
        if len(zones) != v["az_count"]:
            raise ConfigError(zkey, list(zones), f"exactly azCount={v['az_count']} zone names")
        if len(set(zones)) != len(zones):
            raise ConfigError(zkey, list(zones), "distinct zone names (each AZ once)")
        foreign = [z for z in zones if z[:-1] != v["region"]]
        if foreign:
            raise ConfigError(zkey, list(zones), f"zones of the stack's region {v['region']}")
    if network.public_subnet_cidrs is not None:
        from .network import validate_subnet_cidrs

        validate_subnet_cidrs(
            v["vpc_cidr"],
            v["az_count"],
            list(network.public_subnet_cidrs),
            list(network.private_subnet_cidrs or ()),
            public_key=f"{key}.network.publicSubnetCidrs",
            private_key=f"{key}.network.privateSubnetCidrs",
        )
