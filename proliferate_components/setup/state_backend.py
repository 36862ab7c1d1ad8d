"""The Pulumi state backend on S3: bucket (and an optional DynamoDB table), created or reused.

Each property is read first and written only when it differs from the wanted state:

- the bucket exists and belongs to this account (created in the region when missing);
- versioning ``Enabled`` (state history survives a bad write);
- default encryption: SSE-S3 (``AES256``) or SSE-KMS with the ``aws/s3`` key;
- the public access block with all four settings on;
- a bucket policy statement ``DenyInsecureTransport`` denying any request without TLS
  (other statements of an existing policy are kept).

The DynamoDB table is opt-in: Pulumi's S3 backend locks stacks itself with lock objects
under ``.pulumi/locks/`` in the bucket and never reads a DynamoDB table (that is a
Terraform habit). It exists for organisations whose rules require one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import urlencode

from ..errors import ConfigError
from ..ops.aws_errors import aws_errors, error_code
from .context import SetupContext
from .errors import SetupError

STEP = "backend"

DENY_INSECURE_TRANSPORT_SID = "DenyInsecureTransport"
"""Sid of the bucket policy statement the wizard manages."""

PUBLIC_ACCESS_BLOCK: dict[str, bool] = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
"""The wanted public access block configuration."""

Encryption = Literal["sse-s3", "kms"]

_BUCKET_RE = re.compile(r"^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def default_bucket_name(account_id: str, region: str) -> str:
    """``proliferate-pulumi-state-<account>-<region>``: unique per account and region."""
    return f"proliferate-pulumi-state-{account_id}-{region}"


def validate_bucket_name(name: str, *, key: str = "backend_bucket") -> None:
    """Check S3's bucket naming rules.

    Raises:
        ConfigError: naming ``key``.
    """
    if not _BUCKET_RE.match(name) or ".." in name or re.match(r"^\d+\.\d+\.\d+\.\d+$", name):
        raise ConfigError(
            key,
            name,
            "3-63 lowercase letters, digits, hyphens or dots, starting and ending with a "
            "letter or digit",
        )


def backend_url(bucket: str, *, region: str, profile: str | None) -> str:
    """The ``pulumi login`` URL: ``s3://BUCKET?region=R`` (plus ``&profile=P``)."""
    query = {"region": region}
    if profile:
        query["profile"] = profile
    return f"s3://{bucket}?{urlencode(query)}"


@dataclass(frozen=True)
class BackendLocation:
    """Bucket and region of an ``s3://`` backend URL."""

    bucket: str
    region: str


def parse_backend_url(url: str | None) -> BackendLocation | None:
    """The wizard's own earlier backend (``s3://proliferate-pulumi-state-...?region=R``), or
    None for anything else (other backends are never adopted silently)."""
    from urllib.parse import parse_qs, urlsplit

    if not url or not url.startswith("s3://"):
        return None
    parts = urlsplit(url)
    region = parse_qs(parts.query).get("region", [""])[0]
    if not parts.netloc.startswith("proliferate-pulumi-state-") or not region:
        return None
    return BackendLocation(bucket=parts.netloc, region=region)


def tls_only_statement(bucket: str) -> dict[str, Any]:
    """The bucket policy statement denying every request made without TLS."""
    return {
        "Sid": DENY_INSECURE_TRANSPORT_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def encryption_rule(encryption: Encryption) -> dict[str, Any]:
    """The wanted default-encryption rule."""
    if encryption == "kms":
        return {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
            "BucketKeyEnabled": True,
        }
    return {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}


@dataclass(frozen=True)
class BucketState:
    """What the wizard found for the bucket.

    Attributes:
        exists: the bucket exists in this account.
        region: its region (None when it does not exist).
    """

    exists: bool
    region: str | None


def _bucket_state(s3: Any, bucket: str, account_id: str) -> BucketState:
    from botocore.exceptions import ClientError

    with aws_errors(f"checking the state bucket {bucket}", step=STEP):
        try:
            s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account_id)
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                return BucketState(exists=False, region=None)
            if error_code(exc) not in ("403", "AccessDenied", "Forbidden"):
                raise
        owned = s3.list_buckets(Prefix=bucket).get("Buckets", [])
        if not any(item.get("Name") == bucket for item in owned):
            raise SetupError(
                f"the bucket {bucket} exists but belongs to another AWS account (S3 bucket "
                "names are global); choose another name with --backend-bucket",
                step=STEP,
            )
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    return BucketState(exists=True, region=str(location or "us-east-1"))


def ensure_state_bucket(
    ctx: SetupContext,
    s3: Any,
    *,
    bucket: str,
    region: str,
    account_id: str,
    encryption: Encryption = "sse-s3",
) -> str:
    """Create or reuse the state bucket and bring its settings to the wanted state.

    Returns:
        the bucket's region (an existing bucket keeps its own region).

    Raises:
        SetupError: the name is taken by another account, or an AWS call failed.
    """
    from botocore.exceptions import ClientError

    validate_bucket_name(bucket)
    state = _bucket_state(s3, bucket, account_id)
    if not state.exists:

        def create() -> None:
            kwargs: dict[str, Any] = {"Bucket": bucket}
            if region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                s3.create_bucket(**kwargs)
            except ClientError as exc:
                if error_code(exc) != "BucketAlreadyOwnedByYou":
                    raise
            s3.get_waiter("bucket_exists").wait(
                Bucket=bucket, WaiterConfig={"Delay": 2, "MaxAttempts": 30}
            )

        with aws_errors(f"creating the state bucket {bucket}", step=STEP):
            ctx.mutate(f"create S3 bucket {bucket} in {region}", create)
        if ctx.dry_run:
            for what in (
                "enable versioning",
                "set default encryption",
                "block public access",
                "add the TLS-only bucket policy",
            ):
                ctx.mutate(f"{what} on {bucket}", lambda: None)
            return region
        bucket_region = region
    else:
        bucket_region = state.region or region
        ctx.echo(f"  reusing S3 bucket {bucket} ({bucket_region})")
        if bucket_region != region:
            ctx.echo(f"  note: the bucket is in {bucket_region}, not {region}; that is fine")
    _ensure_versioning(ctx, s3, bucket)
    _ensure_encryption(ctx, s3, bucket, encryption)
    _ensure_public_access_block(ctx, s3, bucket)
    _ensure_tls_policy(ctx, s3, bucket)
    return bucket_region


def _ensure_versioning(ctx: SetupContext, s3: Any, bucket: str) -> None:
    with aws_errors(f"enabling versioning on {bucket}", step=STEP):
        if s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled":
            return
        ctx.mutate(
            f"enable versioning on {bucket}",
            lambda: s3.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
            ),
        )


def _ensure_encryption(ctx: SetupContext, s3: Any, bucket: str, encryption: Encryption) -> None:
    from botocore.exceptions import ClientError

    wanted = encryption_rule(encryption)
    with aws_errors(f"setting default encryption on {bucket}", step=STEP):
        try:
            rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
                "Rules"
            ]
        except ClientError as exc:
            if error_code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
                raise
            rules = []
        current = cast(
            "dict[str, Any]",
            rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {},
        )
        want = wanted["ApplyServerSideEncryptionByDefault"]
        if current.get("SSEAlgorithm") == want["SSEAlgorithm"] and not current.get(
            "KMSMasterKeyID"
        ):
            return
        ctx.mutate(
            f"set default encryption {encryption} on {bucket}",
            lambda: s3.put_bucket_encryption(
                Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [wanted]}
            ),
        )


def _ensure_public_access_block(ctx: SetupContext, s3: Any, bucket: str) -> None:
    from botocore.exceptions import ClientError

    with aws_errors(f"blocking public access to {bucket}", step=STEP):
        try:
            current = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        except ClientError as exc:
            if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
                raise
            current = {}
        if all(current.get(name) is True for name in PUBLIC_ACCESS_BLOCK):
            return
        ctx.mutate(
            f"block public access to {bucket}",
            lambda: s3.put_public_access_block(
                Bucket=bucket, PublicAccessBlockConfiguration=dict(PUBLIC_ACCESS_BLOCK)
            ),
        )


def _ensure_tls_policy(ctx: SetupContext, s3: Any, bucket: str) -> None:
    from botocore.exceptions import ClientError

    wanted = tls_only_statement(bucket)
    with aws_errors(f"setting the TLS-only policy on {bucket}", step=STEP):
        try:
            policy: dict[str, Any] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        except ClientError as exc:
            if error_code(exc) != "NoSuchBucketPolicy":
                raise
            policy = {"Version": "2012-10-17", "Statement": []}
        statements: list[dict[str, Any]] = list(policy.get("Statement", []))
        others = [s for s in statements if s.get("Sid") != DENY_INSECURE_TRANSPORT_SID]
        ours = [s for s in statements if s.get("Sid") == DENY_INSECURE_TRANSPORT_SID]
        if len(ours) == 1 and _same_statement(ours[0], wanted):
            return
        policy["Statement"] = [*others, wanted]
        policy.setdefault("Version", "2012-10-17")
        ctx.mutate(
            f"add the TLS-only bucket policy to {bucket}",
            lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy)),
        )


def _same_statement(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def norm(s: dict[str, Any]) -> dict[str, Any]:
        out = dict(s)
        resource = out.get("Resource")
        items = cast("list[Any]", resource) if isinstance(resource, list) else [resource]
        out["Resource"] = sorted(str(r) for r in items)
        principal = out.get("Principal")
        if principal == {"AWS": "*"}:
            out["Principal"] = "*"
        return out

    return norm(a) == norm(b)


def ensure_lock_table(ctx: SetupContext, dynamodb: Any, *, table: str) -> None:
    """Create or reuse the opt-in DynamoDB table (hash key ``LockID``, on-demand billing).

    Pulumi never reads it; see the module docstring.
    """
    from botocore.exceptions import ClientError

    with aws_errors(f"creating or reusing the DynamoDB table {table}", step=STEP):
        try:
            status = dynamodb.describe_table(TableName=table)["Table"]["TableStatus"]
            ctx.echo(f"  reusing DynamoDB table {table} ({status})")
            return
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise

        def create() -> None:
            try:
                dynamodb.create_table(
                    TableName=table,
                    AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                    BillingMode="PAY_PER_REQUEST",
                    Tags=[{"Key": "managed-by", "Value": "proliferate-infra setup"}],
                )
            except ClientError as exc:
                if error_code(exc) != "ResourceInUseException":
                    raise
            dynamodb.get_waiter("table_exists").wait(
                TableName=table, WaiterConfig={"Delay": 2, "MaxAttempts": 60}
            )

        ctx.mutate(f"create DynamoDB table {table} (optional; Pulumi does not use it)", create)
