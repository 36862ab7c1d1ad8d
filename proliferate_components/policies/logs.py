"""CloudWatch Logs rules: every log group expires its logs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .rule import ConfigProperty, Resource, ResourceRule, resource_rule
from .values import is_unknown, number, unset

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


@resource_rule(
    id="proliferate-logs-kms",
    service="logs",
    types=(LOG_GROUP,),
    description="CloudWatch log groups are encrypted with a customer-managed KMS key",
    severity="low",
    enforcement="advisory",
    remediation=(
        "set kms_key_id to a customer-managed key whose policy lets logs.<region>.amazonaws.com "
        "use it (EncryptionKey; the stack's customerManagedKey)"
    ),
    equivalents=("checkov:CKV_AWS_158",),
)
def kms(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """kmsKeyId set."""
    if unset(r.props.get("kmsKeyId")):
        yield f"{r.label} is encrypted with CloudWatch's own key, not a customer-managed key"


RULES: tuple[ResourceRule, ...] = (retention, kms)
"""The CloudWatch Logs rules."""
