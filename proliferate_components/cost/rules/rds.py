"""RDS instances: instance hours (Single-AZ or Multi-AZ), storage, backups beyond the free
amount, Performance Insights or Database Insights, Enhanced Monitoring, log exports."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..model import LineItem
from ..resources import CostResource
from .base import NotPriced, Outcome, Priced, PricingContext, Rule, number

__all__ = ["RULES"]

INSTANCE = "aws:rds/instance:Instance"
_ENGINES = {"postgres": "postgres", "mysql": "mysql", "mariadb": "mariadb"}
_FREE_PI_DAYS = 7
_DAYS_PER_PI_MONTH = 31  # RDS takes retention as months x 31 days
_DAILY_CHANGE = 0.02
_SECONDS_PER_HOUR = 3600
_KB_PER_GB = 1024 * 1024
_ENHANCED_MONITORING_RETENTION_MONTHS = 1.0  # RDSOSMetrics keeps 30 days by default


def instance(r: CostResource, ctx: PricingContext) -> Outcome:
    """Every billed part of an RDS instance for PostgreSQL, MySQL or MariaDB."""
    engine = _ENGINES.get(str(r.input("engine", "")).lower())
    if engine is None:
        return NotPriced(f"engine {r.input('engine')} is not in the price table")
    instance_class = r.input("instanceClass")
    if not isinstance(instance_class, str):
        return NotPriced("instanceClass is unknown until deploy")
    table = f"rds.instance_hour.{engine}"
    rates = ctx.rates(table)
    if instance_class not in rates:
        raise ctx.unknown_type(r, "instanceClass", instance_class, table)
    multi_az = r.input("multiAz") is True
    factor = ctx.rate("rds.multi_az_factor") if multi_az else 1.0
    deployment = "Multi-AZ" if multi_az else "Single-AZ"
    hours = ctx.hours(r)
    lines = [
        ctx.line(
            "instance",
            f"RDS {engine} {instance_class} instance hours ({deployment})",
            hours.value,
            "hours",
            f"{table}.{instance_class}",
            hours,
            unit_price=rates[instance_class] * factor,
        )
    ]
    notes: list[str] = []
    unpriced: list[str] = []

    storage = number(r.input("allocatedStorage"))
    storage_type = str(r.input("storageType") or ("io1" if r.input("iops") else "gp2"))
    if storage is None:
        unpriced.append("storage (allocatedStorage unknown)")
    else:
        storage_key = f"rds.storage_gb_month.{storage_type}"
        try:
            ctx.rate(storage_key)
        except KeyError:
            unpriced.append(f"storage type {storage_type}")
        else:
            lines.append(
                ctx.line(
                    "storage",
                    f"Storage ({storage_type}, {deployment})",
                    storage,
                    "GB-months",
                    storage_key,
                    unit_price=ctx.rate(storage_key) * factor,
                )
            )
            lines.extend(_iops_lines(r, ctx, storage, storage_type, factor))
        lines.extend(_backup_lines(r, ctx, storage))
        notes.append(
            f"storage autoscaling may grow it to {r.input('maxAllocatedStorage')} GB"
            if r.input("maxAllocatedStorage")
            else "storage does not autoscale"
        )
    vcpus = ctx.prices.rds_vcpus.get(instance_class)
    insights_lines, insights_notes = _insights_lines(r, ctx, vcpus, multi_az)
    lines.extend(insights_lines)
    notes.extend(insights_notes)
    if vcpus is None and r.input("performanceInsightsEnabled") is True:
        unpriced.append(f"Performance Insights (vCPUs of {instance_class} not in the table)")
    lines.extend(_monitoring_lines(r, ctx))
    lines.extend(_log_export_lines(r, ctx))
    if r.input("publiclyAccessible") is True:
        lines.append(
            ctx.public_ipv4_line(
                "Public IPv4 address hours",
                hours.value,
                hours,
            )
        )
    return Priced(tuple(lines), notes=tuple(notes), unpriced=tuple(unpriced))


def _iops_lines(
    r: CostResource, ctx: PricingContext, storage: float, storage_type: str, factor: float
) -> list[LineItem]:
    iops = number(r.input("iops"))
    if iops is None:
        return []
    if storage_type in ("io1", "io2"):
        return [
            ctx.line(
                "iops",
                "Provisioned IOPS",
                iops,
                "IOPS-months",
                "rds.provisioned_iops_month",
                unit_price=ctx.rate("rds.provisioned_iops_month") * factor,
            )
        ]
    if storage_type != "gp3":
        return []
    # gp3 includes 3,000 IOPS and 125 MiB/s below 400 GiB, 12,000 and 500 MiB/s from 400 GiB
    included_iops, included_mbps = (12000.0, 500.0) if storage >= 400 else (3000.0, 125.0)
    out: list[LineItem] = []
    if iops > included_iops:
        out.append(
            ctx.line(
                "iops",
                f"gp3 IOPS above the included {included_iops:,.0f}",
                iops - included_iops,
                "IOPS-months",
                "rds.gp3_iops_month",
                unit_price=ctx.rate("rds.gp3_iops_month") * factor,
            )
        )
    throughput = number(r.input("storageThroughput"))
    if throughput is not None and throughput > included_mbps:
        out.append(
            ctx.line(
                "throughput",
                f"gp3 throughput above the included {included_mbps:g} MiB/s",
                throughput - included_mbps,
                "MiBps-months",
                "rds.gp3_throughput_mbps_month",
                unit_price=ctx.rate("rds.gp3_throughput_mbps_month") * factor,
            )
        )
    return out


def _backup_lines(r: CostResource, ctx: PricingContext, storage: float) -> list[LineItem]:
    retention = number(r.input("backupRetentionPeriod"))
    if retention is None:
        retention = 1.0  # the RDS API's default for a new instance
    if retention <= 0:
        return []
    derived = storage * (1 + _DAILY_CHANGE * retention)
    backup = ctx.figure(
        r,
        "backup_storage_gb",
        derived=derived,
        detail=f"{storage:g} GB x (1 + 2% x {retention:g} days)",
    )
    billed = max(0.0, backup.value - storage)
    return [
        ctx.line(
            "backup",
            f"Backup storage beyond the free {storage:g} GB ({retention:g}-day retention)",
            billed,
            "GB-months",
            "rds.backup_gb_month",
            backup,
        )
    ]


def _insights_lines(
    r: CostResource, ctx: PricingContext, vcpus: int | None, multi_az: bool
) -> tuple[list[LineItem], list[str]]:
    if r.input("performanceInsightsEnabled") is not True and r.input("databaseInsightsMode") != (
        "advanced"
    ):
        return [], []
    if vcpus is None:
        return [], []
    counted = vcpus * (2 if multi_az else 1)  # AWS counts the standby's vCPUs too
    which = f"{vcpus} vCPU{' x 2 (Multi-AZ)' if multi_az else ''}"
    if r.input("databaseInsightsMode") == "advanced":
        hours = ctx.hours(r)
        return [
            ctx.line(
                "database-insights",
                f"Database Insights Advanced ({which})",
                counted * hours.value,
                "vCPU-hours",
                "rds.database_insights_advanced_vcpu_hour",
                hours,
            )
        ], ["Database Insights Advanced includes Performance Insights' 15-month retention"]
    retention = number(r.input("performanceInsightsRetentionPeriod")) or _FREE_PI_DAYS
    if retention <= _FREE_PI_DAYS:
        return [], ["Performance Insights: 7-day retention is free"]
    months = max(1, math.ceil(retention / _DAYS_PER_PI_MONTH))
    first = ctx.rate("rds.performance_insights_first_month_vcpu")
    extra = ctx.rate("rds.performance_insights_additional_month_vcpu")
    return [
        ctx.line(
            "performance-insights",
            f"Performance Insights {retention:g}-day retention ({months} months, {which})",
            counted,
            "vCPU-months",
            "rds.performance_insights_first_month_vcpu",
            unit_price=first + (months - 1) * extra,
        )
    ], []


def _monitoring_lines(r: CostResource, ctx: PricingContext) -> list[LineItem]:
    interval = number(r.input("monitoringInterval"))
    if interval is None or interval <= 0:
        return []
    event = ctx.figure(r, "enhanced_monitoring_event_kb")
    hours = ctx.hours(r)
    events = hours.value * _SECONDS_PER_HOUR / interval
    gb = events * event.value / _KB_PER_GB
    return [
        ctx.line(
            "monitoring-ingest",
            f"Enhanced Monitoring logs ingested (every {interval:g} s)",
            gb,
            "GB",
            "cloudwatch.logs_ingested_gb",
            event,
            hours,
        ),
        ctx.line(
            "monitoring-storage",
            "Enhanced Monitoring logs stored (30 days)",
            gb * _ENHANCED_MONITORING_RETENTION_MONTHS,
            "GB-months",
            "cloudwatch.logs_stored_gb_month",
            event,
            hours,
        ),
    ]


def _log_export_lines(r: CostResource, ctx: PricingContext) -> list[LineItem]:
    exports = r.input_list("enabledCloudwatchLogsExports")
    if not exports:
        return []
    per_type = ctx.figure(r, "exported_log_gb")
    names = ", ".join(str(e) for e in exports)
    return [
        ctx.line(
            "log-exports",
            f"Log exports to CloudWatch Logs ingested ({names})",
            per_type.value * len(exports),
            "GB",
            "cloudwatch.logs_ingested_gb",
            per_type,
        )
    ]


RULES: Mapping[str, Rule] = {INSTANCE: instance}
