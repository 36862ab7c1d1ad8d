"""IAM policy builders (pure) and the shared EcsExecutionRole component."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from proliferate_components.errors import ConfigError
from proliferate_components.iam import (
    ECR_PULL_ACTIONS,
    ECS_EXEC_ACTIONS,
    EcsExecutionRole,
    EcsExecutionRoleArgs,
    ecs_assume_role_policy,
    ecs_exec_statements,
    execution_role_policy,
    secret_arn_of_value_from,
    task_role_policy,
    validate_statements,
)
from proliferate_components.testing import capture

REPO = "arn:aws:ecr:us-east-1:123456789012:repository/worker"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-user-AbC123"
LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:worker-logs"


def _statements(document: str) -> dict[str, dict[str, Any]]:
    parsed = json.loads(document)
    assert parsed["Version"] == "2012-10-17"
    return {s["Sid"]: s for s in parsed["Statement"]}


def test_assume_role_policy_trusts_only_ecs_tasks() -> None:
    doc = json.loads(ecs_assume_role_policy())
    assert doc["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]


def test_execution_policy_grants_exactly_the_given_resources() -> None:
    st = _statements(execution_role_policy([REPO], [f"{SECRET}:ANTHROPIC_API_KEY::"], [LOGS]))
    assert set(st) == {"EcrAuthorizationToken", "EcrPull", "ReadSecrets", "WriteLogs"}
    assert st["EcrAuthorizationToken"]["Action"] == "ecr:GetAuthorizationToken"
    assert st["EcrAuthorizationToken"]["Resource"] == "*"
    assert st["EcrPull"]["Action"] == list(ECR_PULL_ACTIONS)
    assert st["EcrPull"]["Resource"] == [REPO]
    assert st["ReadSecrets"] == {
        "Sid": "ReadSecrets",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": [SECRET],  # the valueFrom's JSON key is dropped
    }
    assert st["WriteLogs"]["Resource"] == [LOGS, f"{LOGS}:log-stream:*"]
    # only the authorization token (no resource-level scope) is on "*"
    for sid, s in st.items():
        if sid != "EcrAuthorizationToken":
            assert "*" not in s["Resource"]


def test_execution_policy_with_nothing_to_grant_has_only_the_token_or_nothing() -> None:
    assert list(_statements(execution_role_policy([], [], []))) == ["EcrAuthorizationToken"]
    doc = json.loads(execution_role_policy([], [], [], include_authorization_token=False))
    assert doc["Statement"] == []


def test_execution_policy_is_deterministic_and_deduplicated() -> None:
    a = execution_role_policy([REPO, REPO], [SECRET, f"{SECRET}:K::"], [LOGS])
    b = execution_role_policy([REPO], [f"{SECRET}:K::", SECRET], [LOGS, LOGS])
    assert a == b
    assert _statements(a)["ReadSecrets"]["Resource"] == [SECRET]


def test_execution_policy_handles_ssm_parameters_and_kms_keys() -> None:
    param = "arn:aws:ssm:us-east-1:123456789012:parameter/proliferate/x"
    key = "arn:aws:kms:us-east-1:123456789012:key/1234"
    st = _statements(execution_role_policy([], [param], [], kms_key_arns=[key]))
    assert st["ReadParameters"]["Action"] == "ssm:GetParameters"
    assert st["ReadParameters"]["Resource"] == [param]
    assert st["DecryptSecrets"]["Resource"] == [key]


def test_secret_arn_of_value_from() -> None:
    assert secret_arn_of_value_from(f"{SECRET}:KEY::") == SECRET
    assert secret_arn_of_value_from(f"{SECRET}:KEY:AWSCURRENT:") == SECRET
    assert secret_arn_of_value_from(SECRET) == SECRET
    with pytest.raises(ConfigError, match="valueFrom"):
        secret_arn_of_value_from("sk-ant-not-an-arn")


def test_task_role_policy_is_none_without_statements_and_exec_adds_ssmmessages() -> None:
    assert task_role_policy([]) is None
    doc = json.loads(task_role_policy(ecs_exec_statements()) or "{}")
    assert doc["Statement"][0]["Action"] == list(ECS_EXEC_ACTIONS)


@pytest.mark.parametrize(
    "statements",
    [
        [{"Action": "s3:GetObject", "Resource": "*"}],
        [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}],
        [{"Effect": "Allow", "Resource": "*"}],
        [{"Effect": "Allow", "Action": "s3:GetObject"}],
        ["s3:GetObject"],
        [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {1, 2}}],
    ],
)
def test_validate_statements_rejects_malformed_statements(statements: list[Any]) -> None:
    with pytest.raises(ConfigError, match=r"grants\[0\]"):
        validate_statements(statements, key="grants")


def test_ecs_execution_role_component_registers_role_and_scoped_policy() -> None:
    def program() -> None:
        role = EcsExecutionRole(
            "exec",
            EcsExecutionRoleArgs(
                secret_arns=pulumi.Output.from_input([SECRET]),
                repository_arns=[REPO],
                log_group_arns=[LOGS],
            ),
        )
        pulumi.export("arn", role.role_arn)

    cap = capture(program)
    component = cap.one("proliferate:iam:EcsExecutionRole", "exec")
    role = cap.one("aws:iam/role:Role", "exec-role")
    policy = cap.one("aws:iam/rolePolicy:RolePolicy", "exec-policy")
    assert role.parent == component.urn and policy.parent == component.urn
    assert json.loads(role.input("assumeRolePolicy")) == json.loads(ecs_assume_role_policy())
    assert role.input("managedPolicyArns") in (None, [])
    assert policy.input("role") == role.outputs["name"]
    st = _statements(policy.input("policy"))
    assert st["ReadSecrets"]["Resource"] == [SECRET]
    assert st["EcrPull"]["Resource"] == [REPO]
    assert cap.output("arn") == role.outputs["arn"]


def test_ecs_execution_role_rejects_bad_tags_before_registering() -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        try:
            EcsExecutionRole("exec", EcsExecutionRoleArgs(tags={"aws:reserved": "x"}))
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program)
    assert cap.resources == [] and len(errors) == 1


# -- explicit role name (adopting an existing execution role) ------------------------------


def test_execution_role_name_is_generated_unless_given() -> None:
    generated = capture(lambda: EcsExecutionRole("exec", EcsExecutionRoleArgs()))
    assert "name" not in generated.one("aws:iam/role:Role").inputs
    named = capture(
        lambda: EcsExecutionRole(
            "exec", EcsExecutionRoleArgs(role_name="proliferate-ecs-execution")
        )
    )
    assert named.one("aws:iam/role:Role").input("name") == "proliferate-ecs-execution"


@pytest.mark.parametrize("bad", ["", "r" * 65, "has space", "slash/role"])
def test_bad_execution_role_name_fails_before_registration(bad: str) -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        try:
            EcsExecutionRole("exec", EcsExecutionRoleArgs(role_name=bad))
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program)
    assert [(e.key, e.value) for e in errors] == [("EcsExecutionRoleArgs.role_name", bad)]
    assert not [r for r in cap.resources if r.custom]
