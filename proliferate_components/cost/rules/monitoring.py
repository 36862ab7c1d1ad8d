"""CloudWatch: log groups (ingestion and storage), alarms, dashboards, and the alarms a
target-tracking autoscaling policy creates."""

from __future__ import annotations

from collections.abc import Mapping

from ..resources import CostResource
from .base import Free, Outcome, Priced, PricingContext, Rule, number

__all__ = ["RULES"]

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
_DAYS_PER_MONTH = 30.0
_TARGET_TRACKING_ALARMS = 2  # the high and the low alarm AWS creates for the policy


def log_group(r: CostResource, ctx: PricingContext) -> Outcome:
    """Ingestion per GB; storage of what the retention keeps (steady state)."""
    ingested = ctx.figure(r, "monthly_data_ingested_gb")
    infrequent = str(r.input("logGroupClass", "STANDARD")).upper() == "INFREQUENT_ACCESS"
    ingest_key = "cloudwatch.logs_ia_ingested_gb" if infrequent else "cloudwatch.logs_ingested_gb"
    retention = number(r.input("retentionInDays")) or 0.0
    lines = [
        ctx.line(
            "ingestion",
            "Log data ingested" + (" (Infrequent Access)" if infrequent else ""),
            ingested.value,
            "GB",
            ingest_key,
            ingested,
        )
    ]
    if retention > 0:
        months = retention / _DAYS_PER_MONTH
        lines.append(
            ctx.line(
                "storage",
                f"Log data stored ({retention:g}-day retention)",
                ingested.value * months,
                "GB-months",
                "cloudwatch.logs_stored_gb_month",
                ingested,
            )
        )
    else:
        kept = ctx.figure(r, "months_stored_without_retention")
        lines.append(
            ctx.line(
                "storage",
                f"Log data stored (never expires: {kept.value:g} months counted)",
                ingested.value * kept.value,
                "GB-months",
                "cloudwatch.logs_stored_gb_month",
                ingested,
                kept,
            )
        )
    return Priced(tuple(lines))


def metric_alarm(r: CostResource, ctx: PricingContext) -> Outcome:
    """One alarm per metric it evaluates; high resolution (period under 60 s) costs more."""
    period = number(r.input("period"))
    metrics = max(1, sum(1 for q in r.input_maps("metricQueries") if q.get("metric")))
    high = period is not None and period < 60
    key = "cloudwatch.alarm_high_resolution_month" if high else "cloudwatch.alarm_month"
    label = "high-resolution" if high else "standard"
    return Priced(
        (ctx.line("alarm", f"CloudWatch {label} alarm metrics", metrics, "alarm-metrics", key),)
    )


def scaling_policy(r: CostResource, ctx: PricingContext) -> Outcome:
    """Target tracking creates two CloudWatch alarms; other policy types use yours."""
    if r.input("policyType", "StepScaling") != "TargetTrackingScaling":
        return Free("Application Auto Scaling has no charge; the alarms it uses are priced")
    return Priced(
        (
            ctx.line(
                "alarms",
                "CloudWatch alarms created by target tracking (high and low)",
                _TARGET_TRACKING_ALARMS,
                "alarms",
                "cloudwatch.alarm_month",
            ),
        )
    )


def dashboard(r: CostResource, ctx: PricingContext) -> Outcome:
    """A dashboard per month (the free tier's three dashboards are not applied)."""
    return Priced(
        (
            ctx.line(
                "dashboard", "CloudWatch dashboard", 1, "dashboards", "cloudwatch.dashboard_month"
            ),
        )
    )


RULES: Mapping[str, Rule] = {
    LOG_GROUP: log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:appautoscaling/policy:Policy": scaling_policy,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
}
