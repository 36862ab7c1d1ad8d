"""`EncryptionKey`: one customer-managed KMS key for a stack's data at rest.

The production profile encrypts CloudWatch Logs, ECR, Secrets Manager, ElastiCache, RDS
storage and Performance Insights with one key per stack instead of each service's AWS-managed
key: one place to audit, revoke or rotate, and what cdk-nag and checkov users expect.

Key policy (built with ``json.dumps``, no invoke beyond the caller identity):

- ``AccountAdministers``: the account root may do everything with the key, which lets IAM
  policies in the account grant its use (the execution roles get ``kms:Decrypt`` for their
  secrets); without it the key could become unmanageable.
- ``CloudWatchLogs``: the regional CloudWatch Logs service may use it for log groups of this
  account (``kms:EncryptionContext:aws:logs:arn``), which a log group's ``kms_key_id`` needs.

Rotation is on (yearly, AWS's default period). Deleting a key destroys every value it
encrypted, so the key is ``protect``-ed and scheduled deletion waits 30 days.

Children: ``K-key`` (``aws.kms.Key``) and ``K-alias`` (``aws.kms.Alias``
``alias/<name>-<stack>``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ._options import child_opts, merge_tags, physical_name, validate_tags
from .errors import ConfigError

__all__ = ["EncryptionKey", "EncryptionKeyArgs", "key_policy"]

_LOGS_ACTIONS = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)


def key_policy(account_id: str, region: str, partition: str = "aws") -> str:
    """The key policy document (see the module docstring)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": list(_LOGS_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": (
                                f"arn:{partition}:logs:{region}:{account_id}:*"
                            )
                        }
                    },
                },
            ],
        },
        sort_keys=True,
    )


@dataclass(frozen=True, kw_only=True)
class EncryptionKeyArgs:
    """Arguments of :class:`EncryptionKey`."""

    description: str = "Proliferate data at rest: logs, images, secrets, cache, database"
    """The key's description. Default names what it encrypts."""
    deletion_window_days: int = 30
    """Days a scheduled deletion waits (7-30). Default 30, the longest."""
    protect: bool = True
    """Protect the key (deleting it destroys everything it encrypted). Default True."""
    tags: Mapping[str, str] = field(default_factory=dict[str, str])
    """Tags of the key. Default none besides ``Name``."""


class EncryptionKey(pulumi.ComponentResource):
    """A customer-managed KMS key with rotation and a key policy for CloudWatch Logs.

    Attributes:
        arn: the key's ARN (give it as ``kms_key_id`` / ``kms_key_arn``).
        key_id: the key's id.
        alias: the alias name.
    """

    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: EncryptionKeyArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or EncryptionKeyArgs()
        if not 7 <= args.deletion_window_days <= 30:
            raise ConfigError(
                "EncryptionKeyArgs.deletion_window_days", args.deletion_window_days, "7 to 30 days"
            )
        validate_tags(args.tags, key="EncryptionKeyArgs.tags")
        super().__init__("proliferate:kms:EncryptionKey", name, None, opts)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        policy = pulumi.Output.all(identity.account_id, region.region, identity.arn).apply(
            lambda v: key_policy(str(v[0]), str(v[1]), str(v[2]).split(":")[1])
        )
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=policy,
            tags=merge_tags(dict(args.tags), f"{name}-key"),
            opts=child_opts(self, protect=args.protect),
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{physical_name(name, pulumi.get_stack(), max_length=240)}",
            target_key_id=key.key_id,
            opts=child_opts(self),
        )
        self.arn = key.arn
        self.key_id = key.key_id
        self.alias = alias.name
        self.register_outputs({"arn": self.arn, "key_id": self.key_id, "alias": self.alias})
