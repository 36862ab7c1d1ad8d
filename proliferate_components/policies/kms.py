"""KMS rules: customer-managed keys rotate."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .rule import Resource, ResourceRule, resource_rule
from .values import text, unless_true

KEY = "aws:kms/key:Key"


@resource_rule(
    id="proliferate-kms-key-rotation",
    service="kms",
    types=(KEY,),
    description="Customer-managed symmetric KMS keys rotate their key material automatically",
    severity="medium",
    enforcement="advisory",
    remediation="set enable_key_rotation=True (EncryptionKey does)",
    equivalents=("cdk-nag:AwsSolutions-KMS5", "checkov:CKV_AWS_7"),
)
def key_rotation(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """enableKeyRotation true (asymmetric and HMAC keys cannot rotate: not checked)."""
    spec = text(r.props.get("customerMasterKeySpec")) or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT":
        raw = r.props.get("enableKeyRotation")
        yield from unless_true(r.label, raw, "never rotates its key material")


RULES: tuple[ResourceRule, ...] = (key_rotation,)
"""The KMS rules."""
