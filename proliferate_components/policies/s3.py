"""S3 rules: no public bucket (ACL, policy or a public access block turned off), and what
cdk-nag and checkov users expect of every bucket (a public access block, TLS-only access,
encryption, bounded growth; versioning and access logging as opt-ins).

pulumi-aws v7 types: ``aws:s3/bucket:Bucket`` is the former ``BucketV2`` (the deprecated
``aws:s3/bucketV2:BucketV2`` and the ``...V2`` configuration resources are still accepted and
checked alike). A bucket's ACL, policy, encryption, versioning, lifecycle and logging are
either inline (deprecated inputs of ``Bucket``) or separate resources whose ``bucket`` input
names it; the stack rules relate them by property dependency, else by the bucket's name/id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from .rule import ConfigProperty, Resource, ResourceRule, StackRule, resource_rule, stack_rule
from .values import flag, identities, is_unknown, items, mapping, of_type, text

BUCKET = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
PUBLIC_ACCESS_BLOCK = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")

PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
"""Canned ACLs that grant everyone (or every AWS account) access."""
PUBLIC_GRANTEES = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)
"""ACL grantee groups that stand for everyone and for every AWS account."""
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)
"""The four switches of a public access block (each defaults to false when unset)."""
RESTRICTING_CONDITION_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalServiceName",
        "aws:userid",
        "aws:username",
    )
)
"""Condition keys that narrow an ``Allow`` to ``Principal: "*"`` down to known callers or
networks (``aws:SecureTransport`` alone does not: it says how, not who)."""


# -- helpers ------------------------------------------------------------------------------------
def _document(value: Any) -> Mapping[str, Any] | None:
    """A policy document from its JSON text or object (None when unset, unknown or invalid)."""
    if value is None or is_unknown(value):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else None


def _statements(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if document is None:
        return []
    raw = document.get("Statement")
    listed = items(raw) if isinstance(raw, list) else [raw]
    return [cast("Mapping[str, Any]", s) for s in listed if isinstance(s, Mapping)]


def _as_list(value: Any) -> list[Any]:
    return items(value) if isinstance(value, (list, tuple)) else [value]


def _everyone(principal: Any) -> bool:
    """``"*"``, ``{"AWS": "*"}`` or a list holding ``"*"``: anyone on the internet."""
    if isinstance(principal, Mapping):
        aws_principal = cast("Mapping[str, Any]", principal).get("AWS")
        return any(text(p) == "*" for p in _as_list(aws_principal))
    return any(text(p) == "*" for p in _as_list(principal))


def _condition_keys(statement: Mapping[str, Any]) -> set[str]:
    return {
        str(key).lower()
        for operator in mapping(statement.get("Condition")).values()
        for key in mapping(operator)
    }


def _public_statements(document: Mapping[str, Any] | None) -> Iterator[Mapping[str, Any]]:
    """``Allow`` statements to everyone (``Principal: "*"`` or any ``NotPrincipal``) without
    a condition from :data:`RESTRICTING_CONDITION_KEYS`."""
    for s in _statements(document):
        if text(s.get("Effect")) != "Allow":
            continue
        if not (_everyone(s.get("Principal")) or "NotPrincipal" in s):
            continue
        if not _condition_keys(s) & RESTRICTING_CONDITION_KEYS:
            yield s


def _denies_insecure_transport(document: Mapping[str, Any] | None) -> bool:
    """A ``Deny`` to everyone of all S3 actions when ``aws:SecureTransport`` is false."""
    for s in _statements(document):
        if text(s.get("Effect")) != "Deny" or not _everyone(s.get("Principal")):
            continue
        actions = {text(a) for a in _as_list(s.get("Action"))}
        if not actions & {"s3:*", "*"}:
            continue
        for operator, values in mapping(s.get("Condition")).items():
            if operator.lower() != "bool":
                continue
            for key, value in mapping(values).items():
                if key.lower() == "aws:securetransport" and flag(_as_list(value)[0]) is False:
                    return True
    return False


def _bucket_names(bucket: Resource) -> set[str]:
    names = identities(bucket)
    name = text(bucket.props.get("bucket"))
    if name:
        names.add(name)
    return names


def _configures(config: Resource, bucket: Resource) -> bool:
    """True if ``config``'s ``bucket`` input is ``bucket`` (by dependency, else by name/id)."""
    if bucket.urn and bucket.urn in config.property_dependencies.get("bucket", ()):
        return True
    return text(config.props.get("bucket")) in _bucket_names(bucket)


def _configs(
    resources: Sequence[Resource], bucket: Resource, types: Sequence[str]
) -> list[Resource]:
    return [c for c in of_type(resources, *types) if _configures(c, bucket)]


# -- rules --------------------------------------------------------------------------------------
@resource_rule(
    id="proliferate-s3-no-public-acl",
    service="s3",
    types=(*BUCKET, *ACL),
    description="S3 bucket ACLs grant nothing to everyone or to every AWS account",
    severity="critical",
    enforcement="mandatory",
    remediation=(
        "remove the public-read / public-read-write / authenticated-read ACL and any grant to "
        "the AllUsers or AuthenticatedUsers group (keep acl='private', or better, no ACL with "
        "object ownership BucketOwnerEnforced); serve public files through CloudFront instead"
    ),
    equivalents=(
        "checkov:CKV_AWS_20",
        "checkov:CKV_AWS_57",
        "securityhub:S3.2",
        "securityhub:S3.3",
    ),
)
def no_public_acl(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """No public canned ACL and no grant to AllUsers/AuthenticatedUsers."""
    acl = text(r.props.get("acl"))
    if acl in PUBLIC_CANNED_ACLS:
        yield f"{r.label} has the public canned ACL {acl!r}"
    grants = [
        *items(r.props.get("grants")),
        *items(mapping(r.props.get("accessControlPolicy")).get("grants")),
    ]
    for grant in grants:
        g = mapping(grant)
        uri = text(g.get("uri")) or text(mapping(g.get("grantee")).get("uri"))
        if uri in PUBLIC_GRANTEES:
            who = "everyone" if uri and uri.endswith("AllUsers") else "every AWS account"
            yield f"{r.label} grants {who} access through its ACL ({uri})"


@resource_rule(
    id="proliferate-s3-no-public-policy",
    service="s3",
    types=(*BUCKET, *POLICY),
    description='S3 bucket policies allow nothing to Principal "*" unless a condition narrows who',
    severity="critical",
    enforcement="mandatory",
    remediation=(
        'name the principals (an account, role or service) instead of "*", or add a '
        "condition that narrows the caller (aws:SourceArn, aws:SourceAccount, "
        "aws:PrincipalOrgID, aws:SourceVpce, ...); serve public files through CloudFront with "
        "origin access control"
    ),
    equivalents=("checkov:CKV_AWS_70", "securityhub:S3.2", "securityhub:S3.3"),
)
def no_public_policy(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """No unconditioned ``Allow`` to ``Principal: "*"`` (or ``NotPrincipal``)."""
    for s in _public_statements(_document(r.props.get("policy"))):
        actions = ", ".join(str(a) for a in _as_list(s.get("Action", s.get("NotAction"))))
        sid = f" (Sid {s['Sid']!r})" if s.get("Sid") else ""
        yield f"{r.label} allows {actions or 'actions'} to everyone{sid}"


@resource_rule(
    id="proliferate-s3-public-access-block-on",
    service="s3",
    types=PUBLIC_ACCESS_BLOCK,
    description="S3 public access blocks turn on all four switches",
    severity="high",
    enforcement="mandatory",
    remediation=(
        "set block_public_acls, block_public_policy, ignore_public_acls and "
        "restrict_public_buckets to True (an unset switch is false)"
    ),
    equivalents=(
        "cdk-nag:AwsSolutions-S2",
        "checkov:CKV_AWS_53",
        "checkov:CKV_AWS_54",
        "checkov:CKV_AWS_55",
        "checkov:CKV_AWS_56",
    ),
)
def public_access_block_on(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Every switch of :data:`PUBLIC_ACCESS_FLAGS` is true."""
    off = [
        name
        for name in PUBLIC_ACCESS_FLAGS
        if not is_unknown(r.props.get(name)) and flag(r.props.get(name)) is not True
    ]
    if off:
        yield f"{r.label} leaves {', '.join(off)} off"


@stack_rule(
    id="proliferate-s3-bucket-public-access-block",
    service="s3",
    types=(*BUCKET, *PUBLIC_ACCESS_BLOCK),
    description="Every S3 bucket has its own public access block",
    severity="high",
    enforcement="advisory",
    remediation=(
        "add an aws.s3.BucketPublicAccessBlock(bucket=<bucket>.id, ...) with all four switches "
        "on (an account-level block also protects it, but is invisible to this stack)"
    ),
    equivalents=("cdk-nag:AwsSolutions-S2", "checkov:CKV2_AWS_6", "securityhub:S3.8"),
)
def bucket_public_access_block(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """A BucketPublicAccessBlock refers to each bucket."""
    for bucket in of_type(resources, *BUCKET):
        if not _configs(resources, bucket, PUBLIC_ACCESS_BLOCK):
            yield bucket, f"{bucket.label} has no public access block"


@stack_rule(
    id="proliferate-s3-tls-only",
    service="s3",
    types=(*BUCKET, *POLICY),
    description="Every S3 bucket's policy denies requests that do not use TLS",
    severity="medium",
    enforcement="advisory",
    remediation=(
        'add to the bucket policy a statement {Effect: Deny, Principal: "*", Action: "s3:*", '
        "Resource: [<bucket arn>, <bucket arn>/*], Condition: {Bool: {aws:SecureTransport: "
        '"false"}}}'
    ),
    equivalents=("cdk-nag:AwsSolutions-S10", "securityhub:S3.5"),
)
def tls_only(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """The inline policy or a BucketPolicy of each bucket denies aws:SecureTransport=false."""
    for bucket in of_type(resources, *BUCKET):
        policies = [bucket.props.get("policy")] + [
            p.props.get("policy") for p in _configs(resources, bucket, POLICY)
        ]
        if any(is_unknown(p) for p in policies):
            continue
        if not any(_denies_insecure_transport(_document(p)) for p in policies):
            yield (
                bucket,
                f"{bucket.label} accepts requests without TLS (no aws:SecureTransport deny)",
            )


@stack_rule(
    id="proliferate-s3-encryption",
    service="s3",
    types=(*BUCKET, *ENCRYPTION),
    description="Every S3 bucket states its default encryption (SSE-KMS when requireKms)",
    severity="low",
    enforcement="advisory",
    remediation=(
        "add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket (sse_algorithm "
        "'aws:kms' with a customer-managed key, or 'AES256'); S3 applies SSE-S3 to new objects "
        "by itself since January 2023, so this makes the choice explicit and lets you pick KMS"
    ),
    config=(
        ConfigProperty(
            "requireKms",
            "boolean",
            False,
            "Require aws:kms (or aws:kms:dsse) rather than accepting AES256 (SSE-S3).",
        ),
    ),
    equivalents=("checkov:CKV_AWS_19", "checkov:CKV_AWS_145"),
)
def encryption(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """An encryption rule (inline or a separate configuration) per bucket, KMS if required."""
    for bucket in of_type(resources, *BUCKET):
        inline = mapping(bucket.props.get("serverSideEncryptionConfiguration")).get("rule")
        rules = [
            *_as_list(inline),
            *(
                rule
                for c in _configs(resources, bucket, ENCRYPTION)
                for rule in items(c.props.get("rules"))
            ),
        ]
        algorithms = {
            text(
                mapping(mapping(rule).get("applyServerSideEncryptionByDefault")).get("sseAlgorithm")
            )
            for rule in rules
            if rule is not None
        } - {None}
        if not algorithms:
            yield bucket, f"{bucket.label} has no default encryption configuration"
        elif config.get("requireKms") and not algorithms & {"aws:kms", "aws:kms:dsse"}:
            yield (
                bucket,
                f"{bucket.label} is encrypted with {', '.join(sorted(a for a in algorithms if a))}, not KMS",
            )


@stack_rule(
    id="proliferate-s3-lifecycle",
    service="s3",
    types=(*BUCKET, *LIFECYCLE),
    description="Every S3 bucket has an enabled lifecycle rule, so it does not grow forever",
    severity="low",
    enforcement="advisory",
    remediation=(
        "add an aws.s3.BucketLifecycleConfiguration with an Enabled rule that expires (or "
        "transitions) objects, e.g. access logs after 365 days, and aborts incomplete uploads"
    ),
    equivalents=("checkov:CKV2_AWS_61", "securityhub:S3.13"),
)
def lifecycle(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """An enabled rule, inline (``lifecycleRules``) or in a lifecycle configuration."""
    for bucket in of_type(resources, *BUCKET):
        inline = any(
            flag(mapping(rule).get("enabled")) for rule in items(bucket.props.get("lifecycleRules"))
        )
        separate = any(
            text(mapping(rule).get("status")) == "Enabled"
            for c in _configs(resources, bucket, LIFECYCLE)
            for rule in items(c.props.get("rules"))
        )
        if not (inline or separate):
            yield bucket, f"{bucket.label} has no enabled lifecycle rule"


@stack_rule(
    id="proliferate-s3-versioning",
    service="s3",
    types=(*BUCKET, *VERSIONING),
    description="Every S3 bucket keeps object versions (overwritten or deleted objects stay recoverable)",
    severity="low",
    enforcement="disabled",
    remediation=(
        "add an aws.s3.BucketVersioning with versioning_configuration={'status': 'Enabled'} "
        "(and a lifecycle rule for noncurrent versions); disabled by default because log "
        "buckets, the only buckets this library makes, gain nothing from it"
    ),
    equivalents=("checkov:CKV_AWS_21",),
)
def versioning(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """Versioning enabled, inline or through a BucketVersioning."""
    for bucket in of_type(resources, *BUCKET):
        inline = flag(mapping(bucket.props.get("versioning")).get("enabled")) is True
        separate = any(
            text(mapping(c.props.get("versioningConfiguration")).get("status")) == "Enabled"
            for c in _configs(resources, bucket, VERSIONING)
        )
        if not (inline or separate):
            yield bucket, f"{bucket.label} does not keep object versions"


@stack_rule(
    id="proliferate-s3-access-logging",
    service="s3",
    types=(*BUCKET, *LOGGING),
    description="Every S3 bucket sends server access logs to another bucket",
    severity="low",
    enforcement="disabled",
    remediation=(
        "add an aws.s3.BucketLogging(bucket=<bucket>.id, target_bucket=<log bucket>.id, "
        "target_prefix=...); disabled by default: a log bucket cannot usefully log to itself, "
        "and CloudTrail data events are the alternative"
    ),
    equivalents=("cdk-nag:AwsSolutions-S1", "checkov:CKV_AWS_18", "securityhub:S3.9"),
)
def access_logging(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """Inline ``logging`` or a BucketLogging per bucket."""
    for bucket in of_type(resources, *BUCKET):
        inline = text(mapping(bucket.props.get("logging")).get("targetBucket"))
        if not inline and not _configs(resources, bucket, LOGGING):
            yield bucket, f"{bucket.label} has no server access logging"


RULES: tuple[ResourceRule | StackRule, ...] = (
    no_public_acl,
    no_public_policy,
    public_access_block_on,
    bucket_public_access_block,
    tls_only,
    encryption,
    lifecycle,
    versioning,
    access_logging,
)
"""The S3 rules, in catalog order."""
