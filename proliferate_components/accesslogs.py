"""`AccessLogBucket`: an S3 bucket for the load balancer's access logs that passes itself.

What it has, and why each:

- **Encryption**: SSE-S3 (``AES256``). Application Load Balancers deliver access logs only to
  buckets encrypted with S3-managed keys, never with a KMS key, so this is the one store the
  stack's customer-managed key does not cover (docs/security.md lists the exception).
- **Public access block** with all four flags, and **bucket owner enforced** object ownership
  (no ACLs at all).
- **A TLS-only bucket policy** (``aws:SecureTransport`` false is denied) that lets only the
  load balancer log delivery write, under ``<prefix>/AWSLogs/<account>/``: the regional
  Elastic Load Balancing account where AWS documents one, else the
  ``logdelivery.elasticloadbalancing.amazonaws.com`` service principal (regions opened since
  August 2022).
- **Versioning** (a deleted log can be recovered) with a **lifecycle** that expires logs after
  ``retention_days``, noncurrent versions after 7 days and aborts incomplete uploads after
  1 day, so the bucket does not grow forever.

Server access logging of this bucket itself is off: logging a log bucket into another bucket
is a loop of cost with nothing to learn (the exception cdk-nag's AwsSolutions-S1 users make).

Children (``B`` is the component name): ``B-bucket``, ``B-encryption``,
``B-public-access-block``, ``B-ownership``, ``B-versioning``, ``B-lifecycle``, ``B-policy``.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated

import pulumi
import pulumi_aws as aws

from ._args import coerce_args, register_outputs
from ._options import child_opts, merge_tags
from .constraints import TAGS, Pattern, Range, check_args

__all__ = [
    "ELB_ACCOUNTS",
    "AccessLogBucket",
    "AccessLogBucketArgs",
    "access_log_bucket_policy",
]

ELB_ACCOUNTS: Mapping[str, str] = MappingProxyType(
    {
        "us-east-1": "127311923021",
        "us-east-2": "033677994240",
        "us-west-1": "027434742980",
        "us-west-2": "797873946194",
        "af-south-1": "098369216593",
        "ap-east-1": "754344448648",
        "ap-south-1": "718504428378",
        "ap-northeast-1": "582318560864",
        "ap-northeast-2": "600734575887",
        "ap-northeast-3": "383597477331",
        "ap-southeast-1": "114774131450",
        "ap-southeast-2": "783225319266",
        "ca-central-1": "985666609251",
        "eu-central-1": "054676820928",
        "eu-west-1": "156460612806",
        "eu-west-2": "652711504416",
        "eu-west-3": "009996457667",
        "eu-south-1": "635631232127",
        "eu-north-1": "897822967062",
        "me-south-1": "076674570225",
        "sa-east-1": "507241528517",
    }
)
"""The Elastic Load Balancing account that delivers access logs, per region opened before
August 2022 (AWS's "Enable access logs for your Application Load Balancer" page). Other
regions use the log delivery service principal."""


def access_log_bucket_policy(
    bucket_arn: str, *, region: str, account_id: str, prefix: str, partition: str = "aws"
) -> str:
    """The bucket policy: TLS only, and only load balancer log delivery writes."""
    account = ELB_ACCOUNTS.get(region)
    writer: dict[str, str] = (
        {"AWS": f"arn:{partition}:iam::{account}:root"}
        if account
        else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    )
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "LoadBalancerLogDelivery",
                    "Effect": "Allow",
                    "Principal": writer,
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/{prefix}/AWSLogs/{account_id}/*",
                },
            ],
        },
        sort_keys=True,
    )


@dataclass(frozen=True, kw_only=True)
class AccessLogBucketArgs:
    """Arguments of :class:`AccessLogBucket`."""

    prefix: Annotated[
        str, Pattern(r"[^/].*(?<!/)", "a key prefix without leading or trailing /")
    ] = "alb"
    """Key prefix the load balancer writes under (``PublicLoadBalancer`` uses its component
    name; pass the same). Default ``alb``."""
    retention_days: Annotated[int, Range(1, 3650, unit="days")] = 90
    """Days an access log is kept. Default 90."""
    force_destroy: bool = False
    """Let ``pulumi destroy`` delete the bucket with its logs. Default False."""
    tags: Annotated[Mapping[str, str], TAGS] = field(default_factory=dict[str, str])
    """Tags of the bucket. Default none besides ``Name``."""


_DEFAULT_ARGS = AccessLogBucketArgs()


class AccessLogBucket(pulumi.ComponentResource):
    """A private, encrypted, TLS-only, versioned S3 bucket with a lifecycle, writable only by
    load balancer log delivery."""

    _type_token = "proliferate:logs:AccessLogBucket"

    bucket: pulumi.Output[str]
    """The bucket's name, resolving once its policy lets the load balancer write (give it as
    ``PublicLoadBalancerArgs.access_logs_bucket``)."""
    arn: pulumi.Output[str]
    """The bucket's ARN."""

    def __init__(
        self,
        name: str,
        args: AccessLogBucketArgs = _DEFAULT_ARGS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(
            coerce_args(AccessLogBucketArgs, args, key="AccessLogBucket.args"),
            key="AccessLogBucketArgs",
        )
        super().__init__(self._type_token, name, None, opts)
        tags = dict(args.tags)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            force_destroy=args.force_destroy,
            tags=merge_tags(tags, f"{name}-bucket"),
            opts=child_opts(self),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}},
            ],
            opts=child_opts(self),
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child_opts(self),
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child_opts(self),
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child_opts(self),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 7},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            opts=child_opts(self, depends_on=[versioning]),
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        prefix = args.prefix
        policy = pulumi.Output.all(bucket.arn, identity.account_id, region.region).apply(
            lambda v: access_log_bucket_policy(
                str(v[0]),
                region=str(v[2]),
                account_id=str(v[1]),
                prefix=prefix,
                partition=str(v[0]).split(":")[1],
            )
        )
        bucket_policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=policy,
            # The public access block must exist first, or a policy naming a service could
            # be judged public while it is applied.
            opts=child_opts(self, depends_on=[block]),
        )
        # Resolves once the policy is in place: a load balancer given this name checks that
        # it may write, so it must not be created before the policy.
        self.bucket = pulumi.Output.all(bucket.bucket, bucket_policy.id).apply(lambda v: str(v[0]))
        self.arn = bucket.arn
        register_outputs(self, "bucket", "arn")
