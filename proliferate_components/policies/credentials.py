"""The hard-coded credential rule: no password, token or key in plaintext.

Two things give a credential away, and the engine shows both to a policy:

- a **sensitive input that is not a Pulumi secret** (:data:`SENSITIVE_INPUTS`): the engine
  sends secret inputs marked as such (``KeepSecrets`` in pulumi/pulumi
  ``sdk/go/common/resource/plugin/analyzer_plugin.go``), so a plaintext value there is a
  literal or a plain config value; it is printed by ``pulumi preview`` and stored
  unencrypted in the state. pulumi-aws marks some of these inputs secret itself (RDS
  ``password``, ElastiCache ``authToken``, ``secretString``, ...): a literal given there
  arrives as a secret and cannot be told from one read with ``config.require_secret``.
  Nested ones (Amazon MQ ``users[].password``, OpenSearch ``masterUserPassword``) are not
  marked by the provider, and those are where plaintext shows;
- a **credential-shaped value in a plaintext environment** (an ECS container's
  ``environment``, a Lambda function's ``environment.variables``):
  :data:`CREDENTIAL_FORMATS` (AWS access keys, private keys, GitHub, Slack, Anthropic,
  OpenAI and Stripe keys). Whoever may describe the task definition or the function reads
  it, whatever Pulumi does with it. Lambda variables with a secret-looking name count too
  (ECS ones are :mod:`~proliferate_components.policies.ecs`'s no-plaintext-secrets rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from .ecs import SECRET_NAME_PATTERN
from .rule import Resource, ResourceRule, StackRule, resource_rule
from .values import is_secret, is_unknown, items, json_list, mapping, text

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"

SENSITIVE_INPUTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "aws:rds/instance:Instance": ("password",),
        "aws:rds/cluster:Cluster": ("masterPassword",),
        "aws:docdb/cluster:Cluster": ("masterPassword",),
        "aws:redshift/cluster:Cluster": ("masterPassword",),
        "aws:elasticache/replicationGroup:ReplicationGroup": ("authToken",),
        "aws:elasticache/user:User": ("passwords",),
        "aws:secretsmanager/secretVersion:SecretVersion": ("secretString", "secretBinary"),
        SSM_PARAMETER: ("value",),  # a SecureString parameter only
        "aws:mq/broker:Broker": ("users.*.password",),
        "aws:opensearch/domain:Domain": (
            "advancedSecurityOptions.masterUserOptions.masterUserPassword",
        ),
    }
)
"""Type token -> inputs that hold a credential (dotted paths; ``*`` is every list item)."""

CREDENTIAL_FORMATS: Mapping[str, str] = MappingProxyType(
    {
        "an AWS access key id": r"\b(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}\b",
        "a private key": r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----",
        "a GitHub token": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
        "a Slack token": r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
        "an Anthropic API key": r"\bsk-ant-[A-Za-z0-9_-]{20,}",
        "an OpenAI-style API key": r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}",
        "a Stripe secret key": r"\b[rs]k_live_[A-Za-z0-9]{20,}",
    }
)
"""What a credential looks like -> its pattern (first match wins, so the specific go first)."""


def credential_kind(value: str) -> str | None:
    """What credential ``value`` holds (``"an AWS access key id"``), or None."""
    for kind, pattern in CREDENTIAL_FORMATS.items():
        if re.search(pattern, value):
            return kind
    return None


def _at(value: Any, parts: list[str], path: str) -> Iterator[tuple[str, Any]]:
    """``(concrete path, value)`` for a dotted path with ``*`` list wildcards."""
    if not parts:
        yield path, value
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        for i, item in enumerate(items(value)):
            yield from _at(item, rest, f"{path}.{i}")
    else:
        child = mapping(value).get(head)
        if child is not None:
            yield from _at(child, rest, f"{path}.{head}" if path else head)


def _plaintext_sensitive(r: Resource) -> Iterator[str]:
    if r.type == SSM_PARAMETER and text(r.props.get("type")) != "SecureString":
        return
    for pattern in SENSITIVE_INPUTS.get(r.type, ()):
        for path, value in _at(dict(r.props), pattern.split("."), ""):
            values = items(value) if isinstance(value, (list, tuple)) else [value]
            known = [v for v in values if not is_unknown(v) and text(v)]
            if known and is_secret(r, path) is False:
                yield path


def _environments(r: Resource) -> Iterator[tuple[str, str, str]]:
    """``(where, variable name, value)`` of every known plaintext environment value."""
    if r.type == TASK_DEFINITION:
        for i, c in enumerate(json_list(r.props.get("containerDefinitions")) or []):
            container = text(c.get("name")) or f"#{i}"
            for entry in items(c.get("environment")):
                e = mapping(entry)
                name, value = text(e.get("name")) or "", text(e.get("value"))
                if value:
                    yield f"container {container!r}", name, value
    elif r.type == LAMBDA_FUNCTION:
        variables = mapping(mapping(r.props.get("environment")).get("variables"))
        for name, value in variables.items():
            if text(value):
                yield "environment", str(name), str(text(value))


@resource_rule(
    id="proliferate-credentials-not-in-plaintext",
    service="credentials",
    types=(*SENSITIVE_INPUTS, TASK_DEFINITION, LAMBDA_FUNCTION),
    description="No password, token or key is given in plaintext: sensitive inputs are Pulumi secrets and no environment holds a credential",
    severity="critical",
    enforcement="mandatory",
    remediation=(
        "never write a credential into the program: generate it (random.RandomPassword, or "
        "manage_master_user_password for RDS) or read it with pulumi.Config().require_secret "
        "after `pulumi config set --secret`; hand it to containers through ECS `secrets` "
        "(valueFrom a Secrets Manager ARN) and to Lambda by reading Secrets Manager at run time"
    ),
    equivalents=("cdk-nag:AwsSolutions-ECS2", "checkov:CKV_AWS_41", "checkov:CKV_AWS_45"),
)
def no_plaintext_credentials(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Sensitive inputs arrive as secrets; environments hold no credential-shaped value."""
    for path in _plaintext_sensitive(r):
        yield (
            f"{r.label} sets {path} in plaintext (shown by `pulumi preview`, stored "
            "unencrypted in the state)"
        )
    secret_name = re.compile(SECRET_NAME_PATTERN, re.IGNORECASE)
    for where, name, value in _environments(r):
        kind = credential_kind(value)
        if kind is not None:
            yield f"{r.label} {where} holds {kind} in plaintext in {name or 'a variable'}"
        elif r.type == LAMBDA_FUNCTION and secret_name.search(name):
            yield f"{r.label} {where} passes {name} as plaintext (a secret-looking variable)"


RULES: tuple[ResourceRule | StackRule, ...] = (no_plaintext_credentials,)
"""The credential rules, in catalog order."""
