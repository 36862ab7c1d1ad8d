"""IAM for ECS tasks: least-privilege policy documents and the shared execution role.

The policy builders are pure functions returning JSON text built with ``json.dumps``
(``sort_keys=True``, so the same grants always give byte-identical documents and no diff):
no ``aws.iam.get_policy_document`` invokes, nothing to mock, usable inside ``Output.apply``.

* :func:`ecs_assume_role_policy` - trust policy letting ECS tasks assume a role.
* :func:`execution_role_policy` - what the ECS agent needs to start a task: pull images from
  the given ECR repositories only (plus ``ecr:GetAuthorizationToken``, which has no
  resource-level scope and must be ``*``), read only the given secrets, write to the given
  log groups.
* :func:`task_role_policy` - a task role's own permissions (none unless granted) and
  :func:`ecs_exec_statements` for ECS Exec.
* :class:`EcsExecutionRole` (``proliferate:iam:EcsExecutionRole``) - the execution role the
  stack shares across services. Children: ``<name>-role`` (``aws.iam.Role``) and
  ``<name>-policy`` (``aws.iam.RolePolicy``, inline, from :func:`execution_role_policy`).
  Services add their own repository and log group to it with one more inline policy each
  (see :class:`~proliferate_components.service.FargateService`), so the role never grants
  more than the stack's repositories, log groups and secrets.
"""

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import pulumi
import pulumi_aws as aws

from ._args import coerce_args, register_outputs
from ._options import child_opts
from .constraints import TAGS, AwsName, check_args
from .errors import ConfigError

__all__ = [
    "ECR_PULL_ACTIONS",
    "ECS_EXEC_ACTIONS",
    "EcsExecutionRole",
    "EcsExecutionRoleArgs",
    "ecs_assume_role_policy",
    "ecs_exec_statements",
    "execution_role_policy",
    "secret_arn_of_value_from",
    "task_role_policy",
    "validate_statements",
]

ECR_PULL_ACTIONS: tuple[str, ...] = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
"""ECR actions needed to pull an image, scoped to repository ARNs."""

ECS_EXEC_ACTIONS: tuple[str, ...] = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
"""What a task role needs for ``aws ecs execute-command`` (no resource-level scope)."""

_SECRETSMANAGER_ARN = re.compile(r"^(arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:[^:]+)(:.*)?$")
_SSM_ARN = re.compile(r"^arn:[^:]+:ssm:[^:]*:[^:]*:parameter/.+$")


def _document(statements: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def _unique(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


def ecs_assume_role_policy() -> str:
    """Trust policy: ``ecs-tasks.amazonaws.com`` may assume the role (``sts:AssumeRole``)."""
    return _document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    )


def secret_arn_of_value_from(value_from: str) -> str:
    """The secret or parameter ARN an ECS ``valueFrom`` reads.

    ``arn:aws:secretsmanager:R:A:secret:NAME-abc123:KEY::`` -> the secret's ARN (the JSON key,
    version stage and version id are dropped); an SSM parameter ARN is returned as it is.

    Raises:
        ConfigError: ``value_from`` is neither a Secrets Manager nor an SSM parameter ARN.
    """
    match = _SECRETSMANAGER_ARN.match(value_from)
    if match:
        return match.group(1)
    if _SSM_ARN.match(value_from):
        return value_from
    raise ConfigError(
        "valueFrom",
        value_from,
        "a Secrets Manager ARN (optionally :<json-key>:<stage>:<version>) or an SSM parameter ARN",
    )


def execution_role_policy(
    repository_arns: Sequence[str],
    secret_arns: Sequence[str],
    log_group_arns: Sequence[str],
    *,
    kms_key_arns: Sequence[str] = (),
    include_authorization_token: bool = True,
) -> str:
    """The execution role's permissions, as a JSON policy document.

    Args:
        repository_arns: ECR repositories tasks may pull from (``ECR_PULL_ACTIONS`` only).
        secret_arns: Secrets Manager secret ARNs (``secretsmanager:GetSecretValue``) or SSM
            parameter ARNs (``ssm:GetParameters``) tasks may read at start. ``valueFrom``
            strings are accepted and reduced to their secret ARN.
        log_group_arns: log groups the awslogs driver writes to (``logs:CreateLogStream``,
            ``logs:PutLogEvents`` on the group and its streams).
        kms_key_arns: customer-managed KMS keys encrypting those secrets (``kms:Decrypt``).
            Default none (secrets under ``aws/secretsmanager`` need no grant).
        include_authorization_token: add ``ecr:GetAuthorizationToken`` on ``*`` (it has no
            resource-level scope). Default True; per-service add-on policies on a shared
            role pass False.

    Empty lists add no statement. ARNs are de-duplicated and sorted (stable documents).
    """
    secrets = _unique(secret_arn_of_value_from(a) for a in secret_arns)
    groups = _unique(log_group_arns)
    log_resources = _unique([*groups, *(f"{g.removesuffix(':*')}:log-stream:*" for g in groups)])
    candidates = [
        (
            "EcrAuthorizationToken",
            "ecr:GetAuthorizationToken",
            ["*"] if include_authorization_token else [],
        ),
        ("EcrPull", list(ECR_PULL_ACTIONS), _unique(repository_arns)),
        (
            "ReadSecrets",
            "secretsmanager:GetSecretValue",
            [a for a in secrets if ":secretsmanager:" in a],
        ),
        ("ReadParameters", "ssm:GetParameters", [a for a in secrets if ":ssm:" in a]),
        ("DecryptSecrets", "kms:Decrypt", _unique(kms_key_arns)),
        ("WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], log_resources),
    ]
    return _document(
        [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Action": action,
                # A single "*" stays a string, as IAM shows it.
                "Resource": "*" if resources == ["*"] else resources,
            }
            for sid, action, resources in candidates
            if resources
        ]
    )


def ecs_exec_statements() -> list[dict[str, Any]]:
    """Statements a task role needs for ECS Exec (``ssmmessages:*Channel`` on ``*``)."""
    return [
        {"Sid": "EcsExec", "Effect": "Allow", "Action": list(ECS_EXEC_ACTIONS), "Resource": "*"}
    ]


def validate_statements(statements: Sequence[Mapping[str, Any]], *, key: str) -> None:
    """Check IAM policy statements: each a mapping with ``Effect`` Allow/Deny, an ``Action``
    or ``NotAction``, a ``Resource`` or ``NotResource``, and JSON-serialisable.

    Raises:
        ConfigError: on ``key`` naming the bad statement.
    """
    if isinstance(statements, (str, bytes)) or not isinstance(statements, Sequence):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(key, statements, "a list of IAM statement mappings")
    for i, st in enumerate(statements):
        where = f"{key}[{i}]"
        if not isinstance(st, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigError(where, st, "a mapping with Effect, Action and Resource")
        if st.get("Effect") not in ("Allow", "Deny"):
            raise ConfigError(where, dict(st), "an Effect of 'Allow' or 'Deny'")
        if "Action" not in st and "NotAction" not in st:
            raise ConfigError(where, dict(st), "an Action (or NotAction)")
        if "Resource" not in st and "NotResource" not in st:
            raise ConfigError(where, dict(st), "a Resource (or NotResource)")
        try:
            json.dumps(st)
        except (TypeError, ValueError):
            raise ConfigError(
                where, dict(st), "plain JSON values (resolve Outputs before building statements)"
            ) from None


def task_role_policy(statements: Sequence[Mapping[str, Any]]) -> str | None:
    """A task role's inline policy from ``statements``, or ``None`` when there are none
    (a task role has no permissions unless granted)."""
    if not statements:
        return None
    return _document(dict(s) for s in statements)


def _no_strings() -> tuple[pulumi.Input[str], ...]:
    return ()


def _no_tags() -> dict[str, str]:
    return {}


@dataclass(frozen=True, kw_only=True)
class EcsExecutionRoleArgs:
    """Arguments of :class:`EcsExecutionRole`."""

    secret_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=_no_strings)
    """Secrets tasks may read at start (e.g. ``SecretsBundle.secret_arns``). Default none."""
    repository_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=_no_strings)
    """ECR repositories tasks may pull from. Default none (services using the role add
    their own repository with an extra inline policy)."""
    log_group_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=_no_strings)
    """Log groups tasks write to. Default none (services add their own)."""
    kms_key_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=_no_strings)
    """Customer-managed KMS keys of those secrets. Default none."""
    tags: Annotated[Mapping[str, str], TAGS] = field(default_factory=_no_tags)
    """Tags of the role. Default none."""
    role_name: Annotated[str, AwsName("iam_role")] | None = None
    """AWS name of the role ``<name>-role``. Default ``None``: generated by Pulumi. For
    adopting an existing execution role (an IAM role's name is immutable: another name
    replaces it)."""
    policy_name: Annotated[str, AwsName("iam_policy")] | None = None
    """Name of the role's inline policy ``<name>-policy``. Default ``None``: generated by
    Pulumi. For adopting an existing role's inline policy (its name is immutable)."""


_DEFAULT_ARGS = EcsExecutionRoleArgs()


class EcsExecutionRole(pulumi.ComponentResource):
    """An ECS task execution role: what a service's tasks may do before they start (each
    :class:`~proliferate_components.service.FargateService` has its own).

    Children: ``<name>-role`` (``aws.iam.Role`` trusted by ``ecs-tasks.amazonaws.com``) and
    ``<name>-policy`` (inline ``aws.iam.RolePolicy`` from :func:`execution_role_policy`:
    ``ecr:GetAuthorizationToken`` plus exactly the given repositories, secrets, KMS keys
    and log groups). No AWS managed policy is attached (``AmazonECSTaskExecutionRolePolicy``
    would allow pulling from every repository of the account).
    """

    _type_token = "proliferate:iam:EcsExecutionRole"

    role_arn: pulumi.Output[str]
    """The role's ARN (``FargateServiceArgs.execution_role_arn``)."""
    role_name: pulumi.Output[str]
    """The role's name (for extra inline policies)."""

    def __init__(
        self,
        name: str,
        args: EcsExecutionRoleArgs = _DEFAULT_ARGS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(
            coerce_args(EcsExecutionRoleArgs, args, key="EcsExecutionRole.args"),
            key="EcsExecutionRoleArgs",
        )
        super().__init__(self._type_token, name, None, opts)
        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            assume_role_policy=ecs_assume_role_policy(),
            description="ECS task execution role: image pull, secrets at start, logs (Proliferate)",
            tags={"Name": f"{name}-role", **dict(args.tags)},
            opts=child_opts(self),
        )
        document = pulumi.Output.all(
            pulumi.Output.from_input(args.repository_arns),
            pulumi.Output.from_input(args.secret_arns),
            pulumi.Output.from_input(args.log_group_arns),
            pulumi.Output.from_input(args.kms_key_arns),
        ).apply(
            lambda v: execution_role_policy(
                list(v[0]), list(v[1]), list(v[2]), kms_key_arns=list(v[3])
            )
        )
        aws.iam.RolePolicy(
            f"{name}-policy",
            name=args.policy_name,
            role=role.name,
            policy=document,
            opts=child_opts(self),
        )
        self.role_arn = role.arn
        self.role_name = role.name
        register_outputs(self, "role_arn", "role_name")
