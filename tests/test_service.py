"""FargateService under the capture harness: what ECS, ECR, IAM and EC2 receive."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from proliferate_components.environment import generated_keys, service_keys
from proliferate_components.errors import ConfigError
from proliferate_components.iam import EcsExecutionRole, EcsExecutionRoleArgs
from proliferate_components.secrets import SecretsBundle, SecretsBundleArgs
from proliferate_components.service import (
    AutoscalingArgs,
    FargateService,
    FargateServiceArgs,
    container_definitions,
    default_health_check_command,
    ecr_lifecycle_policy,
)
from proliferate_components.testing import Capture, Registration, capture

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/proliferate-dev"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/proxy/0123456789abcdef"
ANTHROPIC = "sk-ant-SENTINEL-service"
USER_VALUES = {
    "ANTHROPIC_API_KEY": ANTHROPIC,
    "GITHUB_APP_PRIVATE_KEY": "pem-SENTINEL",
    "GITHUB_APP_WEBHOOK_SECRET": "whsec-SENTINEL",
    "GITHUB_OAUTH_APP_SECRET": "oauth-SENTINEL",
    "MODAL_TOKEN_ID": "ak-SENTINEL",
    "MODAL_TOKEN_SECRET": "as-SENTINEL",
}

TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def _base(**overrides: Any) -> FargateServiceArgs:
    values: dict[str, Any] = {
        "cluster_arn": CLUSTER,
        "vpc_id": "vpc-0abc",
        "subnet_ids": ["subnet-0a", "subnet-0b"],
    }
    values.update(overrides)
    return FargateServiceArgs(**values)


def _run(
    make: Callable[[], FargateServiceArgs | None] | FargateServiceArgs, name: str = "worker"
) -> Capture:
    def program() -> None:
        args = make() if callable(make) else make
        assert args is not None
        svc = FargateService(name, args)
        for key in (
            "service_name",
            "task_definition_arn",
            "security_group_id",
            "repository_url",
            "log_group_name",
            "task_role_arn",
            "execution_role_arn",
        ):
            pulumi.export(key, getattr(svc, key))

    return capture(program)


def _stack(service_overrides: dict[str, Any] | None = None) -> Capture:
    """A bundle, a shared execution role and two services, as a stack would wire them."""

    def program() -> None:
        bundle = SecretsBundle(
            "app-secrets",
            SecretsBundleArgs(
                user_values=USER_VALUES,
                database_url=pulumi.Output.secret("postgres://u:db-SENTINEL@h/db"),
                redis_url=pulumi.Output.secret("rediss://:redis-SENTINEL@h:6379"),
            ),
        )
        role = EcsExecutionRole(
            "app-execution", EcsExecutionRoleArgs(secret_arns=bundle.secret_arns)
        )
        for svc in ("worker", "llm-proxy"):
            FargateService(
                svc,
                _base(
                    environment={"NODE_ENV": "production", "WORKER_PORT": "8080"},
                    secrets=bundle.secrets_for(svc),
                    execution_role=role,
                    **(service_overrides or {}),
                ),
            )
        pulumi.export("bundleArns", bundle.secret_arns)

    return capture(program)


def _containers(task: Registration) -> list[dict[str, Any]]:
    return json.loads(task.input("containerDefinitions"))


def _rejected(make: Callable[[], FargateServiceArgs]) -> ConfigError:
    """Build the args and the service inside a program; it must raise before registering."""
    errors: list[ConfigError] = []

    def program() -> None:
        try:
            FargateService("worker", make())
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program)
    assert cap.resources == [], [r.name for r in cap.resources]
    assert len(errors) == 1
    return errors[0]


# -- children and outputs -----------------------------------------------------------------


def test_children_are_named_from_the_component_and_parented_to_it() -> None:
    cap = _run(_base())
    component = cap.one("proliferate:service:FargateService", "worker")
    children = {r.name: r.type for r in cap.children_of(component)}
    assert children == {
        "worker-repo": "aws:ecr/repository:Repository",
        "worker-repo-lifecycle": "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "worker-logs": "aws:cloudwatch/logGroup:LogGroup",
        "worker-execution": "proliferate:iam:EcsExecutionRole",
        "worker-task-role": ROLE,
        "worker-sg": "aws:ec2/securityGroup:SecurityGroup",
        "worker-egress": "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "worker-task": TASK,
        "worker-service": SERVICE,
    }


def test_outputs_are_exported() -> None:
    cap = _run(_base())
    repo = cap.one("aws:ecr/repository:Repository")
    assert cap.output("repository_url") == repo.outputs["repositoryUrl"]
    assert cap.output("task_definition_arn") == cap.one(TASK).outputs["arn"]
    assert cap.output("security_group_id") == cap.one("aws:ec2/securityGroup:SecurityGroup").id
    assert (
        cap.output("log_group_name") == cap.one("aws:cloudwatch/logGroup:LogGroup").outputs["name"]
    )
    assert cap.output("task_role_arn") == cap.one(ROLE, "worker-task-role").outputs["arn"]
    assert cap.output("execution_role_arn") == cap.one(ROLE, "worker-execution-role").outputs["arn"]
    assert cap.output("service_name") == cap.one(SERVICE).outputs["name"]


# -- task definition ----------------------------------------------------------------------


def test_task_definition_is_fargate_with_the_requested_size_and_image() -> None:
    cap = _run(_base(cpu=512, memory_mib=1024, container_port=4000))
    task = cap.one(TASK)
    assert task.input("cpu") == "512" and task.input("memory") == "1024"
    assert task.input("networkMode") == "awsvpc"
    assert task.input("requiresCompatibilities") == ["FARGATE"]
    [container] = _containers(task)
    repo_url = cap.one("aws:ecr/repository:Repository").outputs["repositoryUrl"]
    assert container["image"] == f"{repo_url}:latest"
    assert container["portMappings"] == [
        {"containerPort": 4000, "hostPort": 4000, "protocol": "tcp"}
    ]
    assert container["essential"] is True


def test_logs_go_to_the_service_log_group_kept_30_days() -> None:
    cap = _run(_base())
    group = cap.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.input("retentionInDays") == 30
    [container] = _containers(cap.one(TASK))
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": group.outputs["name"],
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "worker",
        },
    }


def test_default_health_check_fetches_the_health_path_on_the_container_port() -> None:
    cap = _run(_base(container_port=8080, health_check_path="/healthz"))
    [container] = _containers(cap.one(TASK))
    check = container["healthCheck"]
    assert check["command"][0] == "CMD-SHELL"
    assert "http://localhost:8080/healthz" in check["command"][1]
    assert check["command"] == list(default_health_check_command(8080, "/healthz"))
    assert (check["interval"], check["timeout"], check["retries"], check["startPeriod"]) == (
        30,
        5,
        3,
        60,
    )


def test_health_check_can_be_custom_or_off() -> None:
    cap = _run(_base(health_check_command=("CMD", "/app/healthcheck")))
    assert _containers(cap.one(TASK))[0]["healthCheck"]["command"] == ["CMD", "/app/healthcheck"]
    cap = _run(_base(container_health_check=False))
    assert "healthCheck" not in _containers(cap.one(TASK))[0]


def test_container_definitions_are_deterministic_whatever_the_mapping_order() -> None:
    common: dict[str, Any] = {
        "container_name": "c",
        "image": "i",
        "container_port": 1,
        "log_group_name": "g",
        "log_region": "r",
        "health_check_command": None,
    }
    a = container_definitions(
        environment={"B": "2", "A": "1"}, secrets={"Y": "arn:y", "X": "arn:x"}, **common
    )
    b = container_definitions(
        environment={"A": "1", "B": "2"}, secrets={"X": "arn:x", "Y": "arn:y"}, **common
    )
    assert a == b
    [container] = json.loads(a)
    assert [e["name"] for e in container["environment"]] == ["A", "B"]
    assert [s["name"] for s in container["secrets"]] == ["X", "Y"]
    assert a == json.dumps(json.loads(a), sort_keys=True)


def test_two_runs_register_identical_inputs() -> None:
    def snapshot() -> list[tuple[str, str, str]]:
        cap = _stack({"autoscaling": AutoscalingArgs(), "ingress_security_group_ids": ["sg-0alb"]})
        return [
            (r.type, r.name, json.dumps(r.plain_inputs(), sort_keys=True, default=str))
            for r in cap.resources
        ]

    first, second = snapshot(), snapshot()
    assert sorted(first) == sorted(second)


# -- secrets ------------------------------------------------------------------------------


def test_secrets_reach_containers_only_as_value_from_references() -> None:
    cap = _stack()
    bundle_arns = set(cap.output("bundleArns"))
    for task in cap.of_type(TASK):
        [container] = _containers(task)
        service = task.name.removesuffix("-task")
        names = {s["name"] for s in container["secrets"]}
        # container variable -> the bundle's JSON key it is read from
        if service == "llm-proxy":
            # apps/llm-proxy/litellm/config.yaml: os.environ/ANTHROPIC_API_KEY,
            # os.environ/LITELLM_MASTER_KEY, os.environ/DATABASE_URL; the master key is
            # LLM_PROXY_MASTER_KEY's value and the URL has schema=litellm
            # (scripts/install-platform.cjs)
            expected = {
                "ANTHROPIC_API_KEY": "ANTHROPIC_API_KEY",
                "LITELLM_MASTER_KEY": "LLM_PROXY_MASTER_KEY",
                "DATABASE_URL": "LITELLM_DATABASE_URL",
            }
        else:
            # every secret the worker receives that the bundle holds (optional ones not given)
            keys = set(service_keys(service).secrets) - {
                "OPENAI_API_KEY",
                "RESEND_API_KEY",
                "AUTUMN_API_KEY",
            }
            keys &= {*USER_VALUES, "DATABASE_URL", "REDIS_URL", *generated_keys()}
            expected = {k: k for k in keys}
        assert names == set(expected) and "DATABASE_URL" in names
        for s in container["secrets"]:
            match = re.fullmatch(
                r"(arn:aws:secretsmanager:[^:]+:\d{12}:secret:[^:]+):([A-Z0-9_]+)::", s["valueFrom"]
            )
            assert match, s
            assert match.group(1) in bundle_arns and match.group(2) == expected[s["name"]]
        env = json.dumps(container["environment"])
        for value in [*USER_VALUES.values(), "db-SENTINEL", "redis-SENTINEL"]:
            assert value not in task.input("containerDefinitions")
            assert value not in env
        assert not any(e["name"] in names for e in container["environment"])


def test_no_secret_value_in_any_plain_input_of_the_stack() -> None:
    cap = _stack()
    for reg in cap.resources:
        shown = json.dumps(reg.plain_inputs(), default=str)
        for value in [*USER_VALUES.values(), "db-SENTINEL", "redis-SENTINEL"]:
            assert value not in shown, reg.name


@pytest.mark.parametrize(
    "environment",
    [
        {"ANTHROPIC_API_KEY": "sk-ant-x"},  # a secret in the schema
        {"MY_SERVICE_TOKEN": "tok-SENTINEL"},  # not in the schema but looks secret
        {"DB_PASSWORD": "pw-SENTINEL"},
        {"GITHUB_APP_PRIVATE_KEY": "pem-SENTINEL"},
    ],
)
def test_secret_looking_plain_settings_are_rejected(environment: dict[str, str]) -> None:
    err = _rejected(lambda: _base(environment=environment))
    (name,) = environment
    assert name in str(err) and "secrets" in str(err)
    assert environment[name] not in str(err)


def test_public_by_design_keys_are_allowed_as_plain_settings() -> None:
    cap = _run(
        _base(
            environment={"NEXT_PUBLIC_POSTHOG_KEY": "phc_public", "LLM_PROXY_KEY_DURATION": "24h"}
        )
    )
    env = {e["name"]: e["value"] for e in _containers(cap.one(TASK))[0]["environment"]}
    assert env == {"LLM_PROXY_KEY_DURATION": "24h", "NEXT_PUBLIC_POSTHOG_KEY": "phc_public"}


def test_a_secret_output_as_plain_setting_fails_before_the_task_definition() -> None:
    def program() -> None:
        FargateService(
            "worker",
            _base(environment={"DB_URL": pulumi.Output.secret("postgres://u:pw-SENTINEL@h/db")}),
        )

    # Pulumi re-raises the ConfigError from inside the input as a ValueError naming the input.
    with pytest.raises(ValueError, match=r"environment\['DB_URL'\].*Pulumi secret") as err:
        capture(program)
    assert "pw-SENTINEL" not in str(err.value)


def test_a_secret_value_passed_as_value_from_is_rejected_without_echo() -> None:
    err = _rejected(lambda: _base(secrets={"ANTHROPIC_API_KEY": "sk-ant-oops"}))
    assert "valueFrom" in str(err) and "sk-ant-oops" not in str(err)


def test_a_name_in_both_environment_and_secrets_is_rejected() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbC123:LOG_LEVEL::"
    err = _rejected(lambda: _base(environment={"LOG_LEVEL": "info"}, secrets={"LOG_LEVEL": arn}))
    assert "not both" in str(err)


# -- IAM ----------------------------------------------------------------------------------


def _policy_statements(reg: Registration) -> list[dict[str, Any]]:
    return json.loads(reg.input("policy"))["Statement"]


def test_task_role_has_no_permissions_by_default() -> None:
    cap = _run(_base())
    role = cap.one(ROLE, "worker-task-role")
    assert json.loads(role.input("assumeRolePolicy"))["Statement"][0]["Principal"] == {
        "Service": "ecs-tasks.amazonaws.com"
    }
    assert role.input("managedPolicyArns") in (None, [])
    assert role.input("inlinePolicies") in (None, [])
    policies = [p for p in cap.of_type(ROLE_POLICY) if p.input("role") == role.outputs["name"]]
    assert policies == []
    assert cap.one(TASK).input("taskRoleArn") == role.outputs["arn"]


def test_task_role_gets_exactly_the_granted_statements() -> None:
    grant = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::media/*"}
    cap = _run(_base(task_role_policy_statements=[grant]))
    policy = cap.one(ROLE_POLICY, "worker-task-policy")
    assert _policy_statements(policy) == [grant]


def test_own_execution_role_is_limited_to_its_repository_log_group_and_secrets() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-user-AbC123"
    cap = _run(_base(secrets={"ANTHROPIC_API_KEY": f"{arn}:ANTHROPIC_API_KEY::"}))
    repo = cap.one("aws:ecr/repository:Repository")
    logs = cap.one("aws:cloudwatch/logGroup:LogGroup")
    st = {s["Sid"]: s for s in _policy_statements(cap.one(ROLE_POLICY, "worker-execution-policy"))}
    assert st["EcrPull"]["Resource"] == [repo.outputs["arn"]]
    assert st["ReadSecrets"]["Resource"] == [arn]
    assert logs.outputs["arn"] in st["WriteLogs"]["Resource"]
    assert (
        cap.one(TASK).input("executionRoleArn")
        == cap.one(ROLE, "worker-execution-role").outputs["arn"]
    )


def test_shared_execution_role_reads_only_the_bundle_and_pulls_only_stack_repositories() -> None:
    cap = _stack()
    bundle_arns = set(cap.output("bundleArns"))
    repo_arns = {r.outputs["arn"] for r in cap.of_type("aws:ecr/repository:Repository")}
    log_arns = {r.outputs["arn"] for r in cap.of_type("aws:cloudwatch/logGroup:LogGroup")}
    shared = cap.one(ROLE, "app-execution-role")
    policies = [p for p in cap.of_type(ROLE_POLICY) if p.input("role") == shared.outputs["name"]]
    assert {p.name for p in policies} == {
        "app-execution-policy",
        "worker-execution-policy",
        "llm-proxy-execution-policy",
    }
    read: set[str] = set()
    pulled: set[str] = set()
    for policy in policies:
        for s in _policy_statements(policy):
            raw: Any = s["Resource"]
            resources: list[str] = list(raw) if isinstance(raw, list) else [str(raw)]  # pyright: ignore[reportUnknownArgumentType]
            if s["Action"] == "secretsmanager:GetSecretValue":
                read |= set(resources)
            elif s["Action"] == "ecr:GetAuthorizationToken":
                assert resources == ["*"]
            elif s.get("Sid") == "EcrPull":
                pulled |= set(resources)
            elif s.get("Sid") == "WriteLogs":
                assert {r.removesuffix(":log-stream:*") for r in resources} <= log_arns
            else:
                pytest.fail(f"unexpected statement {s}")
    assert read == bundle_arns
    assert pulled == repo_arns
    for task in cap.of_type(TASK):
        assert task.input("executionRoleArn") == shared.outputs["arn"]
    # tasks start only once their grants exist
    for svc in cap.of_type(SERVICE):
        grant = cap.one(ROLE_POLICY, svc.name.replace("-service", "-execution-policy"))
        assert grant.urn in svc.dependencies


def test_ecs_exec_grants_ssmmessages_and_enables_the_init_process() -> None:
    cap = _run(_base(enable_execute_command=True))
    assert cap.one(SERVICE).input("enableExecuteCommand") is True
    actions = _policy_statements(cap.one(ROLE_POLICY, "worker-task-policy"))[0]["Action"]
    assert actions == [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]
    assert _containers(cap.one(TASK))[0]["linuxParameters"] == {"initProcessEnabled": True}
    off = _run(_base())
    assert off.one(SERVICE).input("enableExecuteCommand") is False


# -- service, network, scaling ------------------------------------------------------------


def test_service_runs_privately_with_circuit_breaker_rollback() -> None:
    cap = _run(_base(deployment_minimum_healthy_percent=50, deployment_maximum_percent=150))
    svc = cap.one(SERVICE)
    sg = cap.one("aws:ec2/securityGroup:SecurityGroup")
    assert svc.input("launchType") == "FARGATE"
    assert svc.input("cluster") == CLUSTER
    assert svc.input("networkConfiguration") == {
        "subnets": ["subnet-0a", "subnet-0b"],
        "securityGroups": [sg.id],
        "assignPublicIp": False,
    }
    assert svc.input("deploymentCircuitBreaker") == {"enable": True, "rollback": True}
    assert svc.input("deploymentMinimumHealthyPercent") == 50
    assert svc.input("deploymentMaximumPercent") == 150
    assert svc.input("desiredCount") == 1
    assert svc.input("taskDefinition") == cap.one(TASK).outputs["arn"]
    assert svc.input("loadBalancers") in (None, [])
    assert svc.ignore_changes == ()


def test_security_group_admits_only_the_given_groups_on_the_container_port() -> None:
    cap = _run(_base(container_port=4000, ingress_security_group_ids=["sg-0alb", "sg-0other"]))
    sg = cap.one("aws:ec2/securityGroup:SecurityGroup")
    assert sg.input("ingress") in (None, []) and sg.input("egress") in (None, [])
    rules = cap.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r.input("referencedSecurityGroupId") for r in rules) == ["sg-0alb", "sg-0other"]
    for rule in rules:
        assert rule.input("securityGroupId") == sg.id
        assert (rule.input("fromPort"), rule.input("toPort"), rule.input("ipProtocol")) == (
            4000,
            4000,
            "tcp",
        )
        assert rule.input("cidrIpv4") is None
    [egress] = cap.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert (egress.input("cidrIpv4"), egress.input("ipProtocol")) == ("0.0.0.0/0", "-1")


def test_worker_without_ingress_groups_is_unreachable() -> None:
    cap = _run(_base())
    assert cap.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == []


def test_target_group_attachment() -> None:
    cap = _run(_base(target_group_arn=TG, container_port=4000), name="llm-proxy")
    svc = cap.one(SERVICE)
    assert svc.input("loadBalancers") == [
        {"targetGroupArn": TG, "containerName": "llm-proxy", "containerPort": 4000}
    ]
    assert svc.input("healthCheckGracePeriodSeconds") == 60


def test_autoscaling_tracks_cpu_and_the_service_ignores_desired_count() -> None:
    cap = _run(
        _base(
            desired_count=2,
            autoscaling=AutoscalingArgs(min_capacity=2, max_capacity=6, cpu_target_percent=70),
        )
    )
    svc = cap.one(SERVICE)
    assert svc.ignore_changes == ("desiredCount",)
    target = cap.one("aws:appautoscaling/target:Target", "worker-scaling-target")
    assert target.input("resourceId") == f"service/proliferate-dev/{svc.outputs['name']}"
    assert (target.input("minCapacity"), target.input("maxCapacity")) == (2, 6)
    assert target.input("scalableDimension") == "ecs:service:DesiredCount"
    policy = cap.one("aws:appautoscaling/policy:Policy", "worker-scaling-cpu")
    assert policy.input("policyType") == "TargetTrackingScaling"
    config = policy.input("targetTrackingScalingPolicyConfiguration")
    assert config["targetValue"] == 70
    assert (
        config["predefinedMetricSpecification"]["predefinedMetricType"]
        == "ECSServiceAverageCPUUtilization"
    )


def test_no_scaling_resources_without_autoscaling() -> None:
    cap = _run(_base())
    assert [r for r in cap.resources if r.type.startswith("aws:appautoscaling/")] == []


# -- task-definition-only mode ------------------------------------------------------------


def test_task_definition_only_mode_registers_no_service_attachment_or_scaling() -> None:
    cap = _run(
        _base(create_service=False, desired_count=0, ingress_security_group_ids=["sg-0alb"]),
        name="migrations",
    )
    component = cap.one("proliferate:service:FargateService", "migrations")
    children = {r.name: r.type for r in cap.children_of(component)}
    assert children == {
        "migrations-repo": "aws:ecr/repository:Repository",
        "migrations-repo-lifecycle": "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "migrations-logs": "aws:cloudwatch/logGroup:LogGroup",
        "migrations-execution": "proliferate:iam:EcsExecutionRole",
        "migrations-task-role": ROLE,
        "migrations-sg": "aws:ec2/securityGroup:SecurityGroup",
        "migrations-ingress-0": "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "migrations-egress": "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "migrations-task": TASK,
    }
    assert cap.of_type(SERVICE) == []
    assert [r for r in cap.resources if r.type.startswith("aws:appautoscaling/")] == []
    assert not any(r.input("loadBalancers") for r in cap.resources)
    # the outputs a one-off run-task needs are there; the service name is documented as None
    assert cap.output("task_definition_arn") == cap.one(TASK).outputs["arn"]
    assert cap.output("security_group_id") == cap.one("aws:ec2/securityGroup:SecurityGroup").id
    assert cap.outputs.get("service_name") is None


def test_task_definition_only_mode_keeps_every_other_child_identical() -> None:
    """Dropping the service changes nothing else: same children with the same inputs."""

    def inputs(create_service: bool) -> dict[str, str]:
        cap = _run(_base(create_service=create_service, desired_count=0))
        return {
            r.name: json.dumps(r.plain_inputs(), sort_keys=True, default=str)
            for r in cap.resources
            if r.type != SERVICE
        }

    with_service, without = inputs(True), inputs(False)
    assert "worker-task" in without and "worker-sg" in without
    assert with_service == without


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({}, "desired_count"),  # the default desired_count (1) asks for running tasks
        ({"desired_count": 2}, "desired_count"),
        ({"desired_count": 0, "target_group_arn": TG}, "target_group_arn"),
        (
            {"desired_count": 0, "autoscaling": AutoscalingArgs(min_capacity=1, max_capacity=2)},
            "autoscaling",
        ),
        (
            {"desired_count": 1, "autoscaling": AutoscalingArgs(min_capacity=1, max_capacity=2)},
            "autoscaling",
        ),
    ],
)
def test_task_definition_only_mode_rejects_service_settings_before_registering(
    overrides: dict[str, Any], key: str
) -> None:
    err = _rejected(lambda: _base(create_service=False, **overrides))
    assert err.key == f"FargateServiceArgs.{key}"
    assert "create_service=False" in str(err)


def test_create_service_must_be_a_bool() -> None:
    err = _rejected(lambda: _base(create_service="no", desired_count=0))
    assert err.key == "FargateServiceArgs.create_service"


# -- ECR ----------------------------------------------------------------------------------


def test_a_mutable_latest_exists_only_when_asked_for() -> None:
    cap = _run(_base(image_tag_mutability="IMMUTABLE_WITH_EXCLUSION", mutable_tags=("latest",)))
    repo = cap.one("aws:ecr/repository:Repository")
    assert repo.input("imageTagMutability") == "IMMUTABLE_WITH_EXCLUSION"
    assert repo.input("imageTagMutabilityExclusionFilters") == [
        {"filter": "latest", "filterType": "WILDCARD"}
    ]


def test_changing_tag_mutability_updates_the_repository_in_place() -> None:
    """Going from the 0.1 default (a mutable ``latest``) to immutable tags, or back, changes
    only inputs that ECR's PutImageTagMutability updates in place: none of them forces a
    replacement (the repository and its images stay)."""
    from proliferate_components.migrate.forcenew import REPLACEMENT_PROPERTIES

    forcing = {p.pulumi_input for p in REPLACEMENT_PROPERTIES["aws:ecr/repository:Repository"]}
    old = _run(
        _base(image_tag_mutability="IMMUTABLE_WITH_EXCLUSION", mutable_tags=("latest",))
    ).one("aws:ecr/repository:Repository")
    new = _run(_base()).one("aws:ecr/repository:Repository")
    changed = {
        k for k in set(old.inputs) | set(new.inputs) if old.inputs.get(k) != new.inputs.get(k)
    }
    assert changed == {"imageTagMutability", "imageTagMutabilityExclusionFilters"}
    assert not changed & forcing
    assert new.urn == old.urn, "same resource: an update, not a delete and create"


def test_repository_scans_on_push_and_lifecycle_keeps_the_last_tagged_images() -> None:
    cap = _run(_base(keep_tagged_images=15, untagged_expiry_days=3))
    repo = cap.one("aws:ecr/repository:Repository")
    assert repo.input("imageScanningConfiguration") == {"scanOnPush": True}
    assert repo.input("imageTagMutability") == "IMMUTABLE"
    assert repo.input("imageTagMutabilityExclusionFilters") is None
    assert repo.input("forceDelete") is False
    lifecycle = cap.one("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert lifecycle.input("repository") == repo.outputs["name"]
    rules = {r["rulePriority"]: r for r in json.loads(lifecycle.input("policy"))["rules"]}
    assert rules[1]["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 3,
    }
    assert rules[2]["selection"] == {
        "tagStatus": "tagged",
        "tagPatternList": ["*"],
        "countType": "imageCountMoreThan",
        "countNumber": 15,
    }
    assert all(r["action"] == {"type": "expire"} for r in rules.values())
    assert json.loads(ecr_lifecycle_policy(20, 7))["rules"][1]["selection"]["countNumber"] == 20


def test_an_external_image_skips_the_repository_when_asked() -> None:
    image = "public.ecr.aws/proliferate/worker:1.2.3"
    cap = _run(_base(image=image, create_repository=False))
    assert cap.of_type("aws:ecr/repository:Repository") == []
    assert _containers(cap.one(TASK))[0]["image"] == image
    assert cap.outputs.get("repository_url") is None


def test_build_context_builds_with_awsx_into_the_own_repository() -> None:
    cap = _run(_base(build_context="./apps/worker", image_tag="v1"))
    image = cap.one("awsx:ecr:Image", "worker-image")
    repo = cap.one("aws:ecr/repository:Repository")
    assert image.input("context") == "./apps/worker"
    assert image.input("repositoryUrl") == repo.outputs["repositoryUrl"]
    assert image.input("platform") == "linux/amd64"


def test_a_build_without_the_build_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pulumi_awsx" else real(name, *a),  # pyright: ignore[reportUnknownLambdaType]
    )
    error = _rejected(lambda: _base(build_context="./apps/worker"))
    assert error.key == "FargateServiceArgs.build_context"
    assert "proliferate-components[build]" in str(error)


def test_awsx_is_an_optional_extra_only() -> None:
    from importlib.metadata import requires

    awsx = [r for r in requires("proliferate-components") or [] if r.startswith("pulumi-awsx")]
    assert awsx and all("extra ==" in r for r in awsx)
    assert any("build" in r.split("extra ==", 1)[1] for r in awsx)


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"cpu": 256, "memory_mib": 4096}, "memory_mib"),
        ({"cpu": 300}, "cpu"),
        ({"container_port": 70000}, "container_port"),
        ({"retention_days": 31}, "retention_days"),
        ({"deployment_maximum_percent": 90}, "deployment_maximum_percent"),
        ({"image": None, "create_repository": False}, "image"),
        ({"image": "x:1", "build_context": "."}, "build_context"),
        ({"build_context": ".", "create_repository": False, "image": None}, "build_context"),
        ({"autoscaling": AutoscalingArgs(min_capacity=3, max_capacity=2)}, "max_capacity"),
        (
            {"autoscaling": AutoscalingArgs(min_capacity=2, max_capacity=4), "desired_count": 1},
            "desired_count",
        ),
        ({"autoscaling": AutoscalingArgs(cpu_target_percent=0)}, "cpu_target_percent"),
        ({"subnet_ids": "subnet-0a"}, "subnet_ids"),
        ({"subnet_ids": []}, "subnet_ids"),
        ({"ingress_security_group_ids": ["0.0.0.0/0"]}, "ingress_security_group_ids"),
        ({"health_check_path": "health"}, "health_check_path"),
        ({"health_check_command": ("curl",)}, "health_check_command"),
        (
            {"health_check_timeout_seconds": 30, "health_check_interval_seconds": 30},
            "health_check_timeout_seconds",
        ),
        ({"image_tag_mutability": "SOMETIMES"}, "image_tag_mutability"),
        ({"mutable_tags": ("latest",)}, "mutable_tags"),
        ({"image_tag_mutability": "IMMUTABLE_WITH_EXCLUSION"}, "mutable_tags"),
        (
            {"image_tag_mutability": "IMMUTABLE_WITH_EXCLUSION", "mutable_tags": ("a*b*c*",)},
            "mutable_tags",
        ),
        (
            {"image_tag_mutability": "IMMUTABLE_WITH_EXCLUSION", "mutable_tags": ("x",) * 6},
            "mutable_tags",
        ),
        (
            {"image_tag_mutability": "MUTABLE_WITH_EXCLUSION", "mutable_tags": "latest"},
            "mutable_tags",
        ),
        ({"image_tag": "bad tag"}, "image_tag"),
        ({"keep_tagged_images": 0}, "keep_tagged_images"),
        ({"task_role_policy_statements": [{"Action": "s3:*"}]}, "task_role_policy_statements"),
        ({"enable_execute_command": "yes"}, "enable_execute_command"),
        (
            {"execution_role_arn": "arn:aws:iam::123456789012:role/x", "execution_role": object()},
            "execution_role",
        ),
    ],
)
def test_invalid_arguments_are_rejected_before_any_registration(
    overrides: dict[str, Any], key: str
) -> None:
    err = _rejected(lambda: _base(**overrides))
    assert key in err.key


def test_args_are_frozen_keyword_only_dataclasses() -> None:
    args = _base()
    with pytest.raises(dataclasses.FrozenInstanceError):
        args.cpu = 512  # type: ignore[misc]
    with pytest.raises(TypeError):
        FargateServiceArgs(CLUSTER, "vpc-1", ["subnet-1"])  # type: ignore[misc]


# -- explicit names (adopting existing resources) -------------------------------------------

NAMED_CHILDREN = {
    "service_name": (SERVICE, "worker-service", "name"),
    "repository_name": ("aws:ecr/repository:Repository", "worker-repo", "name"),
    "log_group_name": ("aws:cloudwatch/logGroup:LogGroup", "worker-logs", "name"),
    "task_role_name": (ROLE, "worker-task-role", "name"),
    "security_group_name": ("aws:ec2/securityGroup:SecurityGroup", "worker-sg", "name"),
    "security_group_description": (
        "aws:ec2/securityGroup:SecurityGroup",
        "worker-sg",
        "description",
    ),
}
EXISTING = {
    "service_name": "proliferate-worker",
    "repository_name": "proliferate/worker",
    "log_group_name": "/ecs/proliferate-worker",
    "task_role_name": "proliferate-ecs-task",
    "security_group_name": "proliferate-worker-sg",
    "security_group_description": "worker security group",
}


def test_without_explicit_names_pulumi_generates_them() -> None:
    cap = _run(_base())
    for field_name, (type_, name, prop) in NAMED_CHILDREN.items():
        if prop == "name":
            assert "name" not in cap.one(type_, name).inputs, field_name
    sg = cap.one("aws:ec2/securityGroup:SecurityGroup", "worker-sg")
    assert sg.input("description") == "worker: port 8080 from allowed security groups only"


def test_explicit_names_reach_their_children() -> None:
    cap = _run(_base(**EXISTING))
    for field_name, (type_, name, prop) in NAMED_CHILDREN.items():
        assert cap.one(type_, name).input(prop) == EXISTING[field_name], field_name
    containers = json.loads(cap.one(TASK).input("containerDefinitions"))
    assert containers[0]["logConfiguration"]["options"]["awslogs-group"] == (
        "/ecs/proliferate-worker"
    )


@pytest.mark.parametrize(
    ("field_name", "bad"),
    [
        ("service_name", "has space"),
        ("repository_name", "Upper/Case"),
        ("repository_name", "x"),
        ("log_group_name", "bad*group"),
        ("task_role_name", "r" * 65),
        ("security_group_name", "sg-123"),
        ("security_group_description", "caf\u00e9"),
    ],
)
def test_bad_names_are_rejected_naming_the_field(field_name: str, bad: str) -> None:
    cap_errors: list[ConfigError] = []

    def program() -> None:
        try:
            FargateService("worker", _base(**{field_name: bad}))
        except ConfigError as exc:
            cap_errors.append(exc)

    cap = capture(program)
    assert [e.key for e in cap_errors] == [f"FargateServiceArgs.{field_name}"]
    assert cap_errors[0].value == bad
    assert not [r for r in cap.resources if r.custom]


def test_names_of_children_that_do_not_exist_are_rejected() -> None:
    with pytest.raises(ConfigError) as info:
        _run(_base(create_service=False, desired_count=0, service_name="x"))
    assert info.value.key == "FargateServiceArgs.service_name"
    with pytest.raises(ConfigError) as info:
        _run(_base(create_repository=False, image="public.ecr.aws/x/y:1", repository_name="repo"))
    assert info.value.key == "FargateServiceArgs.repository_name"
