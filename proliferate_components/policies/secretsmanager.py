"""Secrets Manager rules: secrets are recoverable after a delete and (optionally) rotated."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .rule import Resource, ResourceRule, StackRule, resource_rule, stack_rule
from .values import is_unknown, number, of_type, refers_to, unset

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"


@resource_rule(
    id="proliferate-secretsmanager-recovery-window",
    service="secretsmanager",
    types=(SECRET,),
    description="Deleted secrets stay recoverable for a recovery window (not force-deleted)",
    severity="medium",
    enforcement="advisory",
    remediation="leave recovery_window_in_days at its default (30) or set 7-30; 0 deletes the secret immediately",
    equivalents=(),
)
def recovery_window(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """recoveryWindowInDays is not 0."""
    raw = r.props.get("recoveryWindowInDays")
    if raw is None or is_unknown(raw):
        return
    if number(raw) == 0:
        yield f"{r.label} is deleted without a recovery window (recoveryWindowInDays=0)"


@stack_rule(
    id="proliferate-secretsmanager-rotation",
    service="secretsmanager",
    types=(SECRET, SECRET_ROTATION),
    description="Secrets Manager secrets rotate automatically",
    severity="low",
    enforcement="disabled",
    remediation=(
        "add an aws.secretsmanager.SecretRotation with a rotation Lambda (RDS-managed master "
        "passwords rotate by themselves); third-party API keys usually cannot be rotated this way, "
        "which is why the rule is disabled by default"
    ),
    equivalents=("cdk-nag:AwsSolutions-SMG4", "checkov:CKV2_AWS_57"),
)
def rotation(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """A SecretRotation refers to each secret."""
    rotations = list(of_type(resources, SECRET_ROTATION))
    for secret in of_type(resources, SECRET):
        if not any(refers_to(rot, "secretId", secret) for rot in rotations):
            yield secret, f"{secret.label} has no rotation"


@resource_rule(
    id="proliferate-secretsmanager-kms",
    service="secretsmanager",
    types=(SECRET,),
    description="Secrets are encrypted with a customer-managed KMS key",
    severity="low",
    enforcement="advisory",
    remediation=(
        "set kms_key_id to a customer-managed key (SecretsBundleArgs.kms_key_id; the stack's "
        "customerManagedKey) and grant kms:Decrypt to the roles that read the secret"
    ),
    equivalents=("checkov:CKV_AWS_149",),
)
def kms(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """kmsKeyId set."""
    if unset(r.props.get("kmsKeyId")):
        yield f"{r.label} is encrypted with the aws/secretsmanager key, not a customer-managed key"


RULES: tuple[ResourceRule | StackRule, ...] = (recovery_window, rotation, kms)
"""The Secrets Manager rules, in catalog order."""
