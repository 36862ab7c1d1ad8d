"""Usage assumptions: the figures a price needs that no resource input says.

GB through a NAT gateway, load balancer capacity units, log GB per month, image storage...
have documented defaults (:data:`USAGE_KEYS`), following Infracost's usage-file convention:
a YAML file given with ``--usage FILE`` overrides them, per resource type and per resource::

    version: 0.1
    resource_type_default_usage:          # every resource of a type
      aws:ec2/natGateway:NatGateway:
        monthly_data_processed_gb: 100
    resource_usage:                       # one resource, by logical name (or URN)
      proliferate-network-nat-0:
        monthly_data_processed_gb: 250

Order (later wins): the built-in default (or the figure derived from the resource's inputs),
``resource_type_default_usage``, ``resource_usage``. Every figure a line rests on is reported
with where it came from, so the report shows which figures are assumptions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..errors import ConfigError
from .model import Assumption

__all__ = ["USAGE_KEYS", "USAGE_VERSION", "Usage", "UsageKey", "load_usage", "usage_key"]

USAGE_VERSION = "0.1"
"""The usage file format version (Infracost's)."""


@dataclass(frozen=True)
class UsageKey:
    """One usage figure of one resource type."""

    name: str
    unit: str
    description: str
    """What it is and why the default is what it is."""
    default: float | None
    """The figure used when no usage file sets it; ``None`` when it is derived from the
    resource's inputs (see :attr:`derived`)."""
    derived: str = ""
    """How the figure is derived when :attr:`default` is ``None``."""
    maximum: float | None = None
    """Largest accepted value (e.g. 744 hours in a month)."""


_HOURS = UsageKey(
    "monthly_hours",
    "hours",
    "Hours the resource runs in a month (e.g. fewer for a dev stack stopped at night).",
    None,
    derived="the price table's hours_per_month (730)",
    maximum=744,
)

_NAT = "aws:ec2/natGateway:NatGateway"
_S3_KEYS = (
    UsageKey(
        "storage_gb",
        "GB",
        "Average data stored (S3 Standard). 1 GB: a month or two of load balancer access logs "
        "for a small deployment.",
        1,
    ),
    UsageKey(
        "monthly_put_requests",
        "requests",
        "PUT/COPY/POST/LIST requests. 20,000: an ALB delivers a log file about every 5 minutes "
        "per node.",
        20_000,
    ),
    UsageKey("monthly_get_requests", "requests", "GET and other requests.", 0),
)

USAGE_KEYS: Mapping[str, tuple[UsageKey, ...]] = {
    _NAT: (
        UsageKey(
            "monthly_data_processed_gb",
            "GB",
            "Data through the gateway, both directions. 25 GB: LLM API calls plus image pulls "
            "from ECR (the stack has no VPC endpoints, so pulls go through the NAT).",
            25,
        ),
        _HOURS,
    ),
    "aws:ec2/eip:Eip": (_HOURS,),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (
        UsageKey(
            "monthly_data_processed_gb",
            "GB",
            "Data through an interface endpoint.",
            1,
        ),
        _HOURS,
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        UsageKey(
            "average_lcus",
            "LCU",
            "Average load balancer capacity units (NLCUs for a network load balancer). 1 LCU is "
            "25 new connections/s, 3,000 open connections, 1 GB/hour or 1,000 rule evaluations/s, "
            "whichever is highest; 1 covers a small deployment's WebSockets.",
            1,
        ),
        _HOURS,
    ),
    "aws:ecs/service:Service": (
        UsageKey(
            "average_task_count",
            "tasks",
            "Tasks running on average.",
            None,
            derived="desiredCount, or the autoscaling target's minCapacity when higher",
        ),
        _HOURS,
    ),
    "aws:ecs/taskDefinition:TaskDefinition": (
        UsageKey(
            "monthly_task_hours",
            "hours",
            "Task-hours a month of a Fargate task definition no ECS service runs (one-off tasks "
            "such as migrations). 1: a few minutes per deploy.",
            1,
        ),
    ),
    "aws:ecs/cluster:Cluster": (
        UsageKey(
            "container_insights_metrics",
            "metrics",
            "CloudWatch metrics Container Insights emits (with containerInsights enabled).",
            None,
            derived="15 per cluster plus 26 per ECS service in it (service and task family "
            "dimensions)",
        ),
        UsageKey(
            "container_insights_log_gb",
            "GB",
            "Container Insights performance log events ingested a month.",
            1,
        ),
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        UsageKey(
            "snapshot_size_gb",
            "GB",
            "Size of one snapshot; each retained snapshot beyond the first free one is billed. "
            "0.5 GB: a BullMQ queue's data.",
            0.5,
        ),
        _HOURS,
    ),
    "aws:elasticache/cluster:Cluster": (
        UsageKey(
            "snapshot_size_gb",
            "GB",
            "Size of one snapshot; each retained snapshot beyond the first free one is billed.",
            0.5,
        ),
        _HOURS,
    ),
    "aws:rds/instance:Instance": (
        UsageKey(
            "backup_storage_gb",
            "GB",
            "Automated backup storage; what exceeds the provisioned storage is billed.",
            None,
            derived="allocatedStorage x (1 + 2% x backupRetentionPeriod): one full copy plus "
            "2% daily changes for each retained day",
        ),
        UsageKey(
            "enhanced_monitoring_event_kb",
            "KB",
            "Size of one Enhanced Monitoring event (OS metrics and process list), logged every "
            "monitoringInterval seconds.",
            12,
        ),
        UsageKey(
            "exported_log_gb",
            "GB",
            "Database log GB a month per log type in enabledCloudwatchLogsExports.",
            1,
        ),
        _HOURS,
    ),
    "aws:secretsmanager/secret:Secret": (
        UsageKey(
            "monthly_api_calls",
            "calls",
            "GetSecretValue and other API calls. 10,000: ECS reads secrets at each task start.",
            10_000,
        ),
    ),
    "aws:kms/key:Key": (
        UsageKey(
            "monthly_requests",
            "requests",
            "Cryptographic requests (Encrypt, Decrypt, GenerateDataKey...) from the services "
            "that use the key.",
            10_000,
        ),
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        UsageKey(
            "monthly_data_ingested_gb",
            "GB",
            "Log data ingested a month. 1 GB: a service logging a few lines a second.",
            1,
        ),
        UsageKey(
            "months_stored_without_retention",
            "months",
            "Months of data counted as stored when the log group never expires its logs.",
            12,
        ),
    ),
    "aws:ecr/repository:Repository": (
        UsageKey(
            "storage_gb",
            "GB",
            "Image data stored. 1 GB: about ten tags of one Node image sharing base layers.",
            1,
        ),
    ),
    "aws:route53/zone:Zone": (
        UsageKey(
            "monthly_standard_queries",
            "queries",
            "Standard queries a month; alias queries to the load balancer are free.",
            0,
        ),
    ),
    "aws:s3/bucket:Bucket": _S3_KEYS,
    "aws:s3/bucketV2:BucketV2": _S3_KEYS,
}
"""Usage figures per resource type, with their defaults."""


def usage_key(resource_type: str, key: str) -> UsageKey:
    """The :class:`UsageKey` ``key`` of ``resource_type``.

    Raises:
        KeyError: the type has no such key.
    """
    for spec in USAGE_KEYS.get(resource_type, ()):
        if spec.name == key:
            return spec
    raise KeyError(f"{resource_type}.{key}")


@dataclass(frozen=True)
class Usage:
    """Usage figures from a usage file (empty: every default applies)."""

    type_defaults: Mapping[str, Mapping[str, float]] = field(
        default_factory=dict[str, Mapping[str, float]]
    )
    """``resource_type_default_usage``: type -> key -> figure."""
    resources: Mapping[str, Mapping[str, float]] = field(
        default_factory=dict[str, Mapping[str, float]]
    )
    """``resource_usage``: logical name or URN -> key -> figure."""
    file: str = ""
    """The file it was read from (``""`` for none)."""

    def figure(
        self,
        resource_type: str,
        name: str,
        urn: str,
        key: str,
        *,
        derived: float | None = None,
        derived_detail: str = "",
    ) -> Assumption:
        """The figure ``key`` for one resource, with where it came from.

        Args:
            derived: the figure the resource's inputs give, for keys without a default.
            derived_detail: how ``derived`` was obtained (shown in the report).

        Raises:
            KeyError: ``key`` is not a usage key of ``resource_type`` (a bug, not bad input).
        """
        spec = usage_key(resource_type, key)
        for entry in (self.resources.get(urn), self.resources.get(name)):
            if entry is not None and key in entry:
                return Assumption(
                    key, entry[key], spec.unit, "usage file", f"resource_usage.{name}"
                )
        typed = self.type_defaults.get(resource_type)
        if typed is not None and key in typed:
            return Assumption(
                key,
                typed[key],
                spec.unit,
                "usage file",
                f"resource_type_default_usage.{resource_type}",
            )
        if spec.default is not None:
            return Assumption(key, float(spec.default), spec.unit, "default")
        if derived is None:
            raise KeyError(f"{resource_type}.{key} has no default and nothing was derived")
        return Assumption(key, derived, spec.unit, "derived", derived_detail or spec.derived)

    def unknown_keys_for(self, resource_type: str, name: str, urn: str) -> list[str]:
        """Keys the usage file sets for this resource that its type does not have."""
        valid = {k.name for k in USAGE_KEYS.get(resource_type, ())}
        found: list[str] = []
        for entry in (self.resources.get(urn), self.resources.get(name)):
            if entry is not None:
                found.extend(k for k in entry if k not in valid)
        return sorted(set(found))


def load_usage(path: str | Path) -> Usage:
    """Read and check an Infracost-style usage file (YAML; see the module docstring).

    Raises:
        ConfigError: unreadable or invalid YAML, a missing or unknown ``version``, an unknown
            section, resource type or key, or a figure that is not a non-negative number (or
            above the key's maximum). The key names the file and the entry.
    """
    import yaml

    label = f"--usage {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("--usage", str(path), f"a readable YAML file ({exc.strerror})") from None
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ConfigError("--usage", str(path), f"a YAML usage file{where}") from None
    if not isinstance(raw, Mapping):
        raise ConfigError(label, _short(raw), "a YAML mapping with version: 0.1")
    doc = cast("Mapping[Any, Any]", raw)
    version = doc.get("version")
    if str(version) != USAGE_VERSION:
        raise ConfigError(
            f"{label}: version", version, f"{USAGE_VERSION} (Infracost's usage format)"
        )
    sections = {"version", "resource_type_default_usage", "resource_usage"}
    for key in doc:
        if key not in sections:
            raise ConfigError(
                f"{label}: {key}", _short(doc[key]), f"one of {', '.join(sorted(sections))}"
            )
    type_defaults: dict[str, Mapping[str, float]] = {}
    by_type = _section(doc, "resource_type_default_usage", label)
    for resource_type, entry in by_type.items():
        where = f"{label}: resource_type_default_usage.{resource_type}"
        if resource_type not in USAGE_KEYS:
            raise ConfigError(
                where,
                _short(entry),
                "a resource type with usage figures: " + ", ".join(sorted(USAGE_KEYS)),
            )
        valid = {k.name: k for k in USAGE_KEYS[resource_type]}
        type_defaults[resource_type] = _figures(entry, where, valid)
    resources: dict[str, Mapping[str, float]] = {}
    for name, entry in _section(doc, "resource_usage", label).items():
        where = f"{label}: resource_usage.{name}"
        every = {k.name: k for keys in USAGE_KEYS.values() for k in keys}
        resources[name] = _figures(entry, where, every)
    return Usage(type_defaults=type_defaults, resources=resources, file=str(path))


def _section(doc: Mapping[Any, Any], name: str, label: str) -> dict[str, Any]:
    value = doc.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{label}: {name}", _short(value), "a mapping")
    out: dict[str, Any] = {}
    for key, entry in cast("Mapping[Any, Any]", value).items():
        out[str(key)] = entry
    return out


def _figures(entry: Any, where: str, valid: Mapping[str, UsageKey]) -> dict[str, float]:
    if not isinstance(entry, Mapping):
        raise ConfigError(where, _short(entry), "a mapping of usage key -> number")
    out: dict[str, float] = {}
    for key, value in cast("Mapping[Any, Any]", entry).items():
        name = str(key)
        if name not in valid:
            raise ConfigError(
                f"{where}.{name}", _short(value), "one of " + ", ".join(sorted(valid))
            )
        spec = valid[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            raise ConfigError(f"{where}.{name}", value, f"a non-negative number ({spec.unit})")
        if spec.maximum is not None and value > spec.maximum:
            raise ConfigError(f"{where}.{name}", value, f"at most {spec.maximum:g} {spec.unit}")
        out[name] = float(value)
    return out


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 60 else text[:57] + "..."
