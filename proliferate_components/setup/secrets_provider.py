"""How Pulumi encrypts the stack's secret config: a KMS key (default) or a passphrase.

Decision: the default is ``awskms://alias/proliferate-pulumi-secrets?region=R``, a customer
managed KMS key the wizard creates or reuses (with yearly rotation on). Nothing has to be
remembered or shared: anyone (or any CI job) whose AWS identity may use the key can deploy,
access is IAM, every use is in CloudTrail, and losing a laptop loses nothing. It costs about
$1 per month. ``passphrase`` is available for accounts that cannot create KMS keys: then
``PULUMI_CONFIG_PASSPHRASE`` (or ``PULUMI_CONFIG_PASSPHRASE_FILE``) must be set for every
Pulumi command, and losing the passphrase loses the secrets. Any ``awskms://`` URL is used as
given (the key is not created).

Convergence: a new key is tagged ``proliferate:alias=<alias>`` before its alias exists; if a
run stops between creating the key and the alias, the next run finds the tagged key and adds
the alias instead of creating a second key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..ops.aws_errors import aws_errors, error_code
from .context import SetupContext
from .errors import SetupError

STEP = "secrets-provider"

DEFAULT_KMS_ALIAS = "alias/proliferate-pulumi-secrets"
"""Alias of the KMS key created for ``--secrets-provider kms``."""

ALIAS_TAG = "proliferate:alias"
"""Tag on a key created by the wizard, holding the alias it is meant to have."""

PASSPHRASE_VARIABLES = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


@dataclass(frozen=True)
class SecretsProvider:
    """The secrets provider of a stack.

    Attributes:
        url: what Pulumi takes as ``--secrets-provider`` (``passphrase`` or ``awskms://...``).
        env: extra environment for the Pulumi CLI (the passphrase, when typed in).
    """

    url: str
    env: dict[str, str] = field(default_factory=dict[str, str])


def kms_url(alias: str, region: str) -> str:
    """``awskms://alias/NAME?region=R``."""
    return f"awskms://{alias}?region={region}"


def validate_alias(alias: str, *, key: str = "kms_alias") -> None:
    """Check a KMS alias name (``alias/`` + letters, digits, ``/_-``; not ``alias/aws/``)."""
    import re

    if not re.match(r"^alias/[A-Za-z0-9/_-]{1,250}$", alias) or alias.startswith("alias/aws/"):
        raise ConfigError(key, alias, "alias/<name> (letters, digits, / _ -), not alias/aws/...")


def resolve_secrets_provider(
    ctx: SetupContext, kms: Any, tagging: Any, *, choice: str, alias: str, region: str
) -> SecretsProvider:
    """Create or reuse what ``choice`` (``kms``, ``passphrase`` or an ``awskms://`` URL) needs.

    Raises:
        ConfigError: an unknown choice or a bad alias.
        SetupError: passphrase without a passphrase in non-interactive mode; a key pending
            deletion or disabled; an AWS failure.
    """
    if choice.startswith("awskms://"):
        return SecretsProvider(url=choice)
    if choice == "passphrase":
        return _passphrase(ctx)
    if choice != "kms":
        raise ConfigError(
            "secrets_provider", choice, "kms, passphrase or an awskms://alias/NAME?region=R URL"
        )
    validate_alias(alias)
    ensure_kms_key(ctx, kms, tagging, alias=alias)
    return SecretsProvider(url=kms_url(alias, region))


def _passphrase(ctx: SetupContext) -> SecretsProvider:
    if any(os.environ.get(name) for name in PASSPHRASE_VARIABLES):
        return SecretsProvider(url="passphrase")
    if not ctx.interactive:
        raise SetupError(
            "--secrets-provider passphrase needs PULUMI_CONFIG_PASSPHRASE or "
            "PULUMI_CONFIG_PASSPHRASE_FILE in the environment",
            step=STEP,
        )
    assert ctx.prompter is not None
    phrase = ctx.prompter.text(
        "pulumi_passphrase",
        "Passphrase for Pulumi secrets (keep it: every later Pulumi command needs it)",
        secret=True,
        validate=lambda v: None if len(v) >= 12 else "use at least 12 characters",
    )
    ctx.echo("  set PULUMI_CONFIG_PASSPHRASE to this passphrase for later Pulumi commands")
    return SecretsProvider(url="passphrase", env={"PULUMI_CONFIG_PASSPHRASE": phrase})


def ensure_kms_key(ctx: SetupContext, kms: Any, tagging: Any, *, alias: str) -> str | None:
    """Create or reuse the key behind ``alias`` and turn on its rotation.

    Returns:
        the key id (None in a dry run when the key would be created).
    """
    from botocore.exceptions import ClientError

    with aws_errors(f"creating or reusing the KMS key {alias}", step=STEP):
        key_id: str | None = None
        try:
            meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
            key_id = str(meta["KeyId"])
            state = str(meta.get("KeyState", "Enabled"))
            if state == "PendingDeletion":
                raise SetupError(
                    f"the KMS key {alias} ({key_id}) is pending deletion; cancel it with "
                    f"`aws kms cancel-key-deletion --key-id {key_id}` and enable it, or choose "
                    "another --kms-alias",
                    step=STEP,
                )
            if state != "Enabled":
                raise SetupError(
                    f"the KMS key {alias} ({key_id}) is {state}; enable it or choose another "
                    "--kms-alias",
                    step=STEP,
                )
            ctx.echo(f"  reusing KMS key {alias} ({key_id})")
        except ClientError as exc:
            if error_code(exc) != "NotFoundException":
                raise
        if key_id is None:
            key_id = _tagged_key(kms, tagging, alias)
            if key_id is None:
                created = ctx.mutate(
                    f"create KMS key for Pulumi secrets ({alias})",
                    lambda: kms.create_key(
                        Description="Pulumi secrets of Proliferate stacks (proliferate-infra setup)",
                        KeyUsage="ENCRYPT_DECRYPT",
                        Tags=[
                            {"TagKey": ALIAS_TAG, "TagValue": alias},
                            {"TagKey": "managed-by", "TagValue": "proliferate-infra setup"},
                        ],
                    ),
                )
                if created is None:
                    ctx.mutate(f"create KMS alias {alias}", lambda: None)
                    ctx.mutate(f"enable yearly rotation of {alias}", lambda: None)
                    return None
                key_id = str(created["KeyMetadata"]["KeyId"])
            found_key = key_id
            ctx.mutate(
                f"create KMS alias {alias}",
                lambda: kms.create_alias(AliasName=alias, TargetKeyId=found_key),
            )
        if not kms.get_key_rotation_status(KeyId=key_id).get("KeyRotationEnabled"):
            rotated_key = key_id
            ctx.mutate(
                f"enable yearly rotation of {alias}",
                lambda: kms.enable_key_rotation(KeyId=rotated_key),
            )
        return key_id


def _tagged_key(kms: Any, tagging: Any, alias: str) -> str | None:
    """A key tagged for ``alias`` by an interrupted earlier run (still usable), or None."""
    pages = tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": ALIAS_TAG, "Values": [alias]}], ResourceTypeFilters=["kms:key"]
    )
    for page in pages:
        for mapping in page.get("ResourceTagMappingList", []):
            key_id = str(mapping["ResourceARN"]).rsplit("/", 1)[-1]
            meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
            if meta.get("KeyState") == "Enabled":
                return key_id
    return None
