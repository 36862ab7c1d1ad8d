"""ECR rules: images are scanned, tags are not rewritten, old images expire."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .rule import Resource, ResourceRule, StackRule, resource_rule, stack_rule
from .values import is_unknown, items, mapping, of_type, refers_to, text, unless_true

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


@resource_rule(
    id="proliferate-ecr-scan-on-push",
    service="ecr",
    types=(REPOSITORY,),
    description="ECR repositories scan every pushed image for vulnerabilities",
    severity="medium",
    enforcement="mandatory",
    remediation="set image_scanning_configuration={'scan_on_push': True}",
    equivalents=("checkov:CKV_AWS_163",),
)
def scan_on_push(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """imageScanningConfiguration.scanOnPush true."""
    raw = mapping(r.props.get("imageScanningConfiguration")).get("scanOnPush")
    yield from unless_true(r.label, raw, "does not scan images on push")


@resource_rule(
    id="proliferate-ecr-immutable-tags",
    service="ecr",
    types=(REPOSITORY,),
    description="ECR image tags are immutable, so a deployed tag always means the same image",
    severity="low",
    enforcement="advisory",
    remediation="set image_tag_mutability='IMMUTABLE' and deploy unique tags (e.g. the git SHA)",
    equivalents=("checkov:CKV_AWS_51",),
)
def immutable_tags(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """imageTagMutability IMMUTABLE (or IMMUTABLE_WITH_EXCLUSION)."""
    raw = r.props.get("imageTagMutability")
    if is_unknown(raw):
        return
    value = (text(raw) or "MUTABLE").upper()
    if not value.startswith("IMMUTABLE"):
        yield f"{r.label} allows tags to be overwritten (imageTagMutability={value})"


@stack_rule(
    id="proliferate-ecr-lifecycle-policy",
    service="ecr",
    types=(REPOSITORY, LIFECYCLE_POLICY),
    description="Every ECR repository has a lifecycle policy that expires old images",
    severity="low",
    enforcement="advisory",
    remediation=(
        "add an aws.ecr.LifecyclePolicy for the repository (e.g. keep the last 30 images, expire "
        "untagged images after 7 days)"
    ),
    equivalents=(),
)
def lifecycle_policy(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """A LifecyclePolicy refers to each repository."""
    policies = list(of_type(resources, LIFECYCLE_POLICY))
    for repo in of_type(resources, REPOSITORY):
        if not any(refers_to(p, "repository", repo) for p in policies):
            yield repo, f"{repo.label} keeps every image forever (no lifecycle policy)"


@resource_rule(
    id="proliferate-ecr-kms",
    service="ecr",
    types=(REPOSITORY,),
    description="ECR repositories encrypt images with a customer-managed KMS key",
    severity="low",
    enforcement="advisory",
    remediation=(
        "set encryption_configurations=[{encryption_type: 'KMS', kms_key: <key arn>}] when the "
        "repository is created (FargateServiceArgs.kms_key_arn; it cannot change later)"
    ),
    equivalents=("checkov:CKV_AWS_136",),
)
def kms(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """encryptionConfigurations[0].encryptionType KMS."""
    raw = r.props.get("encryptionConfigurations")
    if is_unknown(raw):
        return
    kinds = [text(mapping(c).get("encryptionType")) for c in items(raw)]
    if "KMS" not in kinds:
        yield f"{r.label} encrypts images with AES256 (S3-managed), not a customer-managed key"


RULES: tuple[ResourceRule | StackRule, ...] = (scan_on_push, immutable_tags, lifecycle_policy, kms)
"""The ECR rules, in catalog order."""
