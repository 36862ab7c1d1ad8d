"""CloudWatch Logs rules: every log group expires its logs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .rule import ConfigProperty, Resource, ResourceRule, resource_rule
from .values import is_unknown, number

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@resource_rule(
    id="proliferate-logs-retention",
    service="logs",
    types=(LOG_GROUP,),
    description="CloudWatch log groups have a retention of at least minRetentionDays days (never 'forever')",
    severity="medium",
    enforcement="mandatory",
    remediation="set retention_in_days to a CloudWatch-supported value >= minRetentionDays (e.g. 30)",
    config=(
        ConfigProperty(
            "minRetentionDays",
            "integer",
            1,
            "Smallest accepted retention_in_days (raise to 365 for audit requirements).",
            minimum=1,
        ),
    ),
    equivalents=("checkov:CKV_AWS_66", "checkov:CKV_AWS_338"),
)
def retention(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """retentionInDays set, non-zero and >= minRetentionDays."""
    raw = r.props.get("retentionInDays")
    if is_unknown(raw):
        return
    days = number(raw) or 0
    minimum = number(config.get("minRetentionDays")) or 1
    if days == 0:
        yield f"{r.label} keeps logs forever (no retentionInDays)"
    elif days < minimum:
        yield f"{r.label} keeps logs {days:g} days (minimum {minimum:g})"


RULES: tuple[ResourceRule, ...] = (retention,)
"""The CloudWatch Logs rules."""
