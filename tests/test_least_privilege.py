"""Least privilege, evaluated: what each execution role can reach, against what its service's
task definition references.

The evaluator here is independent of ``proliferate_components.iam``: it reads every
statement attached to a role (inline policies and managed-policy attachments) and decides
Allow for an action on a resource with IAM's wildcard matching. For each of the stack's
secrets, repositories and log groups it then checks that a role reaches exactly those its
containers use: ``valueFrom`` secrets, the image's repository, the awslogs group.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from proliferate_components.config import DEV_PRESET, PROD_PRESET
from proliferate_components.testing import Capture, capture_project

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "proliferate"
USER_SECRETS = {
    "proliferate:ANTHROPIC_API_KEY": "sk-ant-user-value-0123456789",
    "proliferate:GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nk\n-----END RSA PRIVATE KEY-----",
    "proliferate:GITHUB_APP_WEBHOOK_SECRET": "whsec-user-value-abcdef",
    "proliferate:MODAL_TOKEN_ID": "ak-modal-user-id-value",
    "proliferate:MODAL_TOKEN_SECRET": "as-modal-user-secret-value",
}
PLAIN = {"proliferate:GITHUB_APP_ID": "123456", "proliferate:NEXT_PUBLIC_GITHUB_APP_SLUG": "app"}


@functools.cache
def _stack(preset: str) -> Capture:
    config = {
        **(DEV_PRESET if preset == "dev" else PROD_PRESET),
        **USER_SECRETS,
        **PLAIN,
        "proliferate:enableWeb": "true",
        "proliferate:enableTriggerService": "true",
    }
    return capture_project(
        EXAMPLE,
        config=config,
        secret_keys=["proliferate:certificateArn", *USER_SECRETS],
        stack=preset,
    )


def _listify(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _statements(cap: Capture, role_name: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for policy in cap.of_type("aws:iam/rolePolicy:RolePolicy"):
        if policy.input("role") == role_name:
            out += json.loads(policy.input("policy"))["Statement"]
    for attachment in cap.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        if attachment.input("role") == role_name:
            # no managed policy is understood here: treat one as allowing everything, so an
            # attachment can only make the test fail
            out.append({"Effect": "Allow", "Action": "*", "Resource": "*"})
    return out


def allowed(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    """IAM's decision for identity policies: an explicit Deny wins, else any Allow."""
    decision = False
    for s in statements:
        if not any(fnmatch.fnmatchcase(action, a) for a in _listify(s["Action"])):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _listify(s["Resource"])):
            continue
        if s["Effect"] == "Deny":
            return False
        decision = True
    return decision


def _log_group_arn(arn: str) -> str:
    return arn.removesuffix(":*")


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_each_execution_role_reaches_exactly_what_its_containers_use(preset: str) -> None:
    cap = _stack(preset)
    secrets = {s.outputs["arn"] for s in cap.of_type("aws:secretsmanager/secret:Secret")}
    repos = {
        r.outputs["repositoryUrl"]: r.outputs["arn"]
        for r in cap.of_type("aws:ecr/repository:Repository")
    }
    groups = {
        g.outputs["name"]: _log_group_arn(g.outputs["arn"])
        for g in cap.of_type("aws:cloudwatch/logGroup:LogGroup")
    }
    roles = {r.outputs["arn"]: r.outputs["name"] for r in cap.of_type("aws:iam/role:Role")}
    tasks = cap.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert len({t.input("executionRoleArn") for t in tasks}) == len(tasks), "one role per task"
    assert len(tasks) == 6 and len(secrets) >= 5
    for task in tasks:
        statements = _statements(cap, roles[task.input("executionRoleArn")])
        used_secrets: set[str] = set()
        used_repos: set[str] = set()
        used_groups: set[str] = set()
        for c in json.loads(task.input("containerDefinitions")):
            used_secrets |= {s["valueFrom"].rsplit(":", 3)[0] for s in c["secrets"]}
            used_repos.add(repos[c["image"].rsplit(":", 1)[0]])
            used_groups.add(groups[c["logConfiguration"]["options"]["awslogs-group"]])
        reach_secrets = {
            s for s in secrets if allowed(statements, "secretsmanager:GetSecretValue", s)
        }
        reach_repos = {r for r in repos.values() if allowed(statements, "ecr:BatchGetImage", r)}
        reach_groups = {
            g
            for g in groups.values()
            if allowed(statements, "logs:PutLogEvents", f"{g}:log-stream:ecs/x/1")
        }
        assert reach_secrets == used_secrets, task.name
        assert reach_repos == used_repos, task.name
        assert reach_groups == used_groups, task.name
        # ... and nothing else of consequence
        assert not allowed(
            statements,
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:other",
        )
        assert not allowed(statements, "iam:PassRole", "*")


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_no_task_can_read_a_secret_it_does_not_consume(preset: str) -> None:
    """Across services: the llm-proxy cannot read the encryption key, the migrations task
    cannot read REDIS_URL, the worker cannot read LiteLLM's database URL."""
    cap = _stack(preset)
    by_key: dict[str, str] = {}
    for version in cap.of_type("aws:secretsmanager/secretVersion:SecretVersion"):
        secret = next(
            s
            for s in cap.of_type("aws:secretsmanager/secret:Secret")
            if s.id == version.input("secretId")
        )
        for key in json.loads(version.input("secretString")):
            by_key[key] = secret.outputs["arn"]
    roles = {r.outputs["arn"]: r.outputs["name"] for r in cap.of_type("aws:iam/role:Role")}
    task_role = {
        t.name.removesuffix("-task").removeprefix("proliferate-"): roles[
            t.input("executionRoleArn")
        ]
        for t in cap.of_type("aws:ecs/taskDefinition:TaskDefinition")
    }

    def can(service: str, key: str) -> bool:
        return allowed(
            _statements(cap, task_role[service]), "secretsmanager:GetSecretValue", by_key[key]
        )

    assert can("llm-proxy", "LLM_PROXY_MASTER_KEY") and not can(
        "llm-proxy", "USER_SECRETS_ENCRYPTION_KEY"
    )
    assert can("migrations", "DATABASE_URL") and not can("migrations", "REDIS_URL")
    assert can("worker", "REDIS_URL") and not can("worker", "LITELLM_DATABASE_URL")
    assert can("llm-proxy", "LITELLM_DATABASE_URL") and not can(
        "llm-proxy", "GITHUB_APP_PRIVATE_KEY"
    )


def test_the_prod_key_decrypts_only_for_the_roles_that_read_secrets() -> None:
    cap = _stack("prod")
    (key,) = cap.of_type("aws:kms/key:Key")
    roles = {r.outputs["arn"]: r.outputs["name"] for r in cap.of_type("aws:iam/role:Role")}
    for task in cap.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        statements = _statements(cap, roles[task.input("executionRoleArn")])
        assert allowed(statements, "kms:Decrypt", key.outputs["arn"]), task.name
    for role_arn, name in roles.items():
        if "task-role" in name:
            assert not allowed(_statements(cap, name), "kms:Decrypt", key.outputs["arn"]), role_arn
