"""The price table: AWS on-demand list prices per region, shipped as ``prices.json``.

The bundled table (:data:`BUNDLED_PRICES_PATH`) is dated and names its sources in its
``metadata``. ``--prices FILE`` replaces it with a file of the same shape, so prices can be
updated (or other regions added) without editing the package: copy the bundled file, change
figures, pass it. :func:`load_prices` checks every figure before anything runs and names the
exact key of any bad one.

Shape::

    {"schema_version": 1,
     "metadata": {"source", "as_of" (YYYY-MM-DD), "currency": "USD", "hours_per_month", ...},
     "specs": {"rds_vcpus": {"db.t4g.micro": 2, ...}},
     "regions": {"us-east-1": {"nat_gateway": {"hour": 0.045, ...}, ...}, ...}}
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..errors import ConfigError

__all__ = [
    "BUNDLED_PRICES_PATH",
    "INSTANCE_TABLES",
    "REQUIRED_RATES",
    "PriceTable",
    "load_prices",
]

BUNDLED_PRICES_PATH = Path(__file__).with_name("prices.json")
"""The price table shipped with the package."""

REQUIRED_RATES: tuple[str, ...] = (
    "nat_gateway.hour",
    "nat_gateway.gb_processed",
    "public_ipv4.hour",
    "vpc_endpoint.interface_hour",
    "vpc_endpoint.gb_processed",
    "load_balancer.alb_hour",
    "load_balancer.alb_lcu_hour",
    "load_balancer.nlb_hour",
    "load_balancer.nlb_nlcu_hour",
    "fargate.x86_vcpu_hour",
    "fargate.x86_gb_hour",
    "fargate.arm_vcpu_hour",
    "fargate.arm_gb_hour",
    "fargate.ephemeral_gb_hour",
    "elasticache.backup_gb_month",
    "elasticache.engine_factor.redis",
    "elasticache.engine_factor.valkey",
    "elasticache.engine_factor.memcached",
    "rds.multi_az_factor",
    "rds.storage_gb_month.gp2",
    "rds.storage_gb_month.gp3",
    "rds.storage_gb_month.io1",
    "rds.storage_gb_month.io2",
    "rds.storage_gb_month.standard",
    "rds.provisioned_iops_month",
    "rds.gp3_iops_month",
    "rds.gp3_throughput_mbps_month",
    "rds.backup_gb_month",
    "rds.performance_insights_first_month_vcpu",
    "rds.performance_insights_additional_month_vcpu",
    "rds.database_insights_advanced_vcpu_hour",
    "secrets_manager.secret_month",
    "secrets_manager.per_10k_api_calls",
    "kms.key_month",
    "kms.per_10k_requests",
    "cloudwatch.logs_ingested_gb",
    "cloudwatch.logs_ia_ingested_gb",
    "cloudwatch.logs_stored_gb_month",
    "cloudwatch.metric_month",
    "cloudwatch.alarm_month",
    "cloudwatch.alarm_high_resolution_month",
    "cloudwatch.dashboard_month",
    "route53.hosted_zone_month",
    "route53.per_million_queries",
    "ecr.storage_gb_month",
    "s3.standard_gb_month",
    "s3.per_1k_put_requests",
    "s3.per_1k_get_requests",
    "ssm.advanced_parameter_month",
)
"""Dotted paths every region of a price table must give, as non-negative USD figures."""

INSTANCE_TABLES: tuple[str, ...] = (
    "elasticache.node_hour",
    "rds.instance_hour.postgres",
    "rds.instance_hour.mysql",
    "rds.instance_hour.mariadb",
)
"""Dotted paths of the per-type tables (type -> USD per hour) every region must give."""

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MAX_HOURS = 744.0  # a 31-day month


@dataclass(frozen=True)
class PriceTable:
    """A validated price table (see the module docstring for its shape)."""

    source: str
    """Where the figures come from (``metadata.source``)."""
    as_of: str
    """The date the figures were taken as (``metadata.as_of``, YYYY-MM-DD)."""
    currency: str
    hours_per_month: float
    """Hours in a billing month (730, the AWS calculator's convention)."""
    metadata: Mapping[str, Any]
    """The whole ``metadata`` object (sources per service, notes)."""
    regions: Mapping[str, Mapping[str, Any]]
    """Region -> its price sections."""
    rds_vcpus: Mapping[str, int]
    """RDS instance class -> vCPUs (for Performance Insights and Database Insights)."""
    file: str = "bundled"
    """``bundled`` or the path the table was read from."""

    def has_region(self, region: str) -> bool:
        """Whether ``region`` is priced."""
        return region in self.regions

    def rate(self, region: str, path: str) -> float:
        """The figure at dotted ``path`` of ``region`` (which must be priced)."""
        value: Any = self.regions[region]
        for part in path.split("."):
            value = cast("Mapping[str, Any]", value)[part]
        return float(value)

    def instance_rates(self, region: str, path: str) -> Mapping[str, float]:
        """The per-type table at dotted ``path`` of ``region`` (e.g. ``elasticache.node_hour``)."""
        value: Any = self.regions[region]
        for part in path.split("."):
            value = cast("Mapping[str, Any]", value)[part]
        return {str(k): float(v) for k, v in cast("Mapping[str, Any]", value).items()}


def load_prices(path: str | Path | None = None) -> PriceTable:
    """Read and check a price table; ``None`` reads the bundled one.

    Raises:
        ConfigError: the file is unreadable, not JSON, or any figure is missing, negative or
            not a number. The key names the file and the dotted path of the bad entry.
    """
    target = Path(path) if path is not None else BUNDLED_PRICES_PATH
    label = f"--prices {path}" if path is not None else "bundled prices.json"
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("--prices", str(path), f"a readable JSON file ({exc.strerror})") from None
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            "--prices",
            str(path),
            f"a JSON price table (line {exc.lineno}, column {exc.colno}: {exc.msg})",
        ) from None
    table = _parse(raw, label)
    if path is not None:
        return PriceTable(
            source=table.source,
            as_of=table.as_of,
            currency=table.currency,
            hours_per_month=table.hours_per_month,
            metadata=table.metadata,
            regions=table.regions,
            rds_vcpus=table.rds_vcpus,
            file=str(path),
        )
    return table


def _parse(raw: Any, label: str) -> PriceTable:
    def fail(key: str, value: Any, valid: str) -> ConfigError:
        return ConfigError(f"{label}: {key}" if key else label, value, valid)

    if not isinstance(raw, Mapping):
        raise fail("", _short(raw), "a JSON object with metadata, specs and regions")
    doc = cast("Mapping[str, Any]", raw)
    if doc.get("schema_version") != 1:
        raise fail("schema_version", doc.get("schema_version"), "1")
    metadata = _mapping(doc.get("metadata"), "metadata", fail)
    source = metadata.get("source")
    if not isinstance(source, str) or not source.strip():
        raise fail(
            "metadata.source", source, "a non-empty string naming where the prices come from"
        )
    as_of = metadata.get("as_of")
    if not isinstance(as_of, str) or not _DATE.match(as_of):
        raise fail("metadata.as_of", as_of, "the date the figures were taken as, YYYY-MM-DD")
    currency = metadata.get("currency")
    if currency != "USD":
        raise fail("metadata.currency", currency, "USD (the only currency AWS lists)")
    hours = metadata.get("hours_per_month")
    hours_value = float(cast("float", hours)) if _is_number(hours) else 0.0
    if not 0 < hours_value <= _MAX_HOURS:
        raise fail(
            "metadata.hours_per_month",
            hours,
            f"a number of hours above 0 and at most {_MAX_HOURS:g}",
        )
    specs = _mapping(doc.get("specs"), "specs", fail)
    vcpus_raw = _mapping(specs.get("rds_vcpus"), "specs.rds_vcpus", fail)
    vcpus: dict[str, int] = {}
    for cls, count in vcpus_raw.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise fail(f"specs.rds_vcpus.{cls}", count, "a whole number of vCPUs, at least 1")
        vcpus[str(cls)] = count
    regions_raw = _mapping(doc.get("regions"), "regions", fail)
    if not regions_raw:
        raise fail("regions", {}, "at least one region")
    regions: dict[str, Mapping[str, Any]] = {}
    for region, sections in regions_raw.items():
        prefix = f"regions.{region}"
        body = _mapping(sections, prefix, fail)
        for dotted in REQUIRED_RATES:
            value = _lookup(body, dotted)
            if not _is_number(value) or float(value) < 0:
                raise fail(
                    f"{prefix}.{dotted}",
                    value,
                    "a non-negative number (USD)" if value is not None else "a price (missing)",
                )
        for dotted in INSTANCE_TABLES:
            rates = _lookup(body, dotted)
            if not isinstance(rates, Mapping) or not rates:
                raise fail(f"{prefix}.{dotted}", _short(rates), "an object of type -> USD per hour")
            for kind, value in cast("Mapping[str, Any]", rates).items():
                if not _is_number(value) or float(value) < 0:
                    raise fail(f"{prefix}.{dotted}.{kind}", value, "a non-negative number (USD)")
        regions[str(region)] = body
    return PriceTable(
        source=source,
        as_of=as_of,
        currency=currency,
        hours_per_month=hours_value,
        metadata=metadata,
        regions=regions,
        rds_vcpus=vcpus,
    )


def _mapping(value: Any, key: str, fail: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise fail(key, _short(value), "a JSON object")
    return cast("Mapping[str, Any]", value)


def _lookup(body: Mapping[str, Any], dotted: str) -> Any:
    value: Any = body
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = cast("Mapping[str, Any]", value).get(part)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 60 else text[:57] + "..."
