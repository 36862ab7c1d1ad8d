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

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

import pulumi
import pulumi_aws as aws

from ._args import coerce_args, register_outputs
from ._options import child_opts, merge_tags, physical_name
from .constraints import TAGS, Range, check_args

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
    deletion_window_days: Annotated[int, Range(7, 30, unit="days")] = 30
    """Days a scheduled deletion waits. Default 30, the longest."""
    protect: bool = True
    """Protect the key (deleting it destroys everything it encrypted). Default True."""
    tags: Annotated[Mapping[str, str], TAGS] = field(default_factory=dict[str, str])
    """Tags of the key. Default none besides ``Name``."""


_DEFAULT_ARGS = EncryptionKeyArgs()


class EncryptionKey(pulumi.ComponentResource):
    """A customer-managed KMS key with rotation and a key policy for CloudWatch Logs."""

    _type_token = "proliferate:kms:EncryptionKey"

    arn: pulumi.Output[str]
    """The key's ARN (give it as ``kms_key_id`` / ``kms_key_arn``)."""
    key_id: pulumi.Output[str]
    """The key's id."""
    alias: pulumi.Output[str]
    """The alias name, ``alias/<name>-<stack>``."""

    def __init__(
        self,
        name: str,
        args: EncryptionKeyArgs = _DEFAULT_ARGS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(
            coerce_args(EncryptionKeyArgs, args, key="EncryptionKey.args"), key="EncryptionKeyArgs"
        )
        super().__init__(self._type_token, name, None, opts)
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
        register_outputs(self, "arn", "key_id", "alias")
