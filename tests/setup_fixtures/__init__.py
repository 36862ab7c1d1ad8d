"""Shared helpers of the setup wizard tests: moto environment, fake Pulumi, call counters."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from fake_pulumi import InMemoryPulumiBackend

from proliferate_components.setup.answers import Answers
from proliferate_components.setup.context import SetupContext
from proliferate_components.setup.credentials import AwsCredentials
from proliferate_components.setup.flow import SetupDeps, SetupResult, run_setup
from proliferate_components.setup.prompts import Prompter
from proliferate_components.setup.pulumi_backend import ConfigEntry, OutputEntry
from proliferate_components.setup.validation import Endpoints

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo\n"
    "-----END RSA PRIVATE KEY-----\n"
)
"""A PEM-shaped multiline value (not a real key)."""

USER_ENV: dict[str, str] = {
    "ANTHROPIC_API_KEY": "sk-ant-test-123",
    "GITHUB_APP_ID": "123456",
    "GITHUB_APP_PRIVATE_KEY": PEM,
    "GITHUB_APP_WEBHOOK_SECRET": "whsec-abc$def",
    "NEXT_PUBLIC_GITHUB_APP_SLUG": "proliferate-test",
    "GITHUB_OAUTH_APP_ID": "Iv1.abcdef",
    "GITHUB_OAUTH_APP_SECRET": "oauth secret with spaces",
    "MODAL_TOKEN_ID": "ak-modal",
    "MODAL_TOKEN_SECRET": "as-modal",
}
"""The required user values of a modal deployment."""

READ_PREFIXES = ("Get", "List", "Describe", "Head")


def aws_environment(monkeypatch: Any, tmp_path: Path) -> None:
    """Fake credentials for moto and no real AWS config files."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "PROLIFERATE_SETUP_", "PROLIFERATE_ENV_", "PULUMI_CONFIG_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))


@dataclass
class CallLog:
    """AWS operations seen through the botocore ``before-call`` event."""

    calls: list[str] = field(default_factory=list[str])

    def mutating(self) -> list[str]:
        """Operations that are not reads (Get*/List*/Describe*/Head*)."""
        return [c for c in self.calls if not c.split(".", 1)[1].startswith(READ_PREFIXES)]

    def clear(self) -> None:
        """Forget the calls so far."""
        self.calls.clear()


Injector = Callable[[str], "dict[str, Any] | None"]
"""Given ``service.Operation``, an error to return instead of calling AWS (or None)."""


def error_response(code: str, message: str = "injected", status: int = 400) -> dict[str, Any]:
    """A parsed AWS error response."""
    return {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0},
    }


def counting_factory(
    log: CallLog, inject: Injector | None = None
) -> Callable[[AwsCredentials], Any]:
    """A session factory that records every AWS call and can inject errors."""

    def factory(creds: AwsCredentials) -> Any:
        session = boto3.Session(
            region_name=creds.region,
            profile_name=creds.profile,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
        )

        def before_call(model: Any, **kwargs: Any) -> Any:
            name = f"{model.service_model.service_name}.{model.name}"
            log.calls.append(name)
            if inject is not None:
                error = inject(name)
                if error is not None:
                    status = error["ResponseMetadata"]["HTTPStatusCode"]
                    return AWSResponse("https://injected", status, {}, None), error
            return None

        session.events.register("before-call", before_call)
        return session

    return factory


def make_stack_outputs(
    region: str = REGION, *, create_ecs: bool = False
) -> Callable[[Mapping[str, ConfigEntry]], dict[str, OutputEntry]]:
    """An ``up`` that returns realistic outputs; with ``create_ecs`` it also creates the
    migration task's cluster, task definition, subnet and security group in moto."""

    created: dict[str, Any] = {}
    if not create_ecs:
        created.update(
            cluster=f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/proliferate",
            task=f"arn:aws:ecs:{region}:{ACCOUNT}:task-definition/proliferate-migrations:1",
            subnets=["subnet-0123456789abcdef0"],
            groups=["sg-0123456789abcdef0"],
        )

    def outputs(config: Mapping[str, ConfigEntry]) -> dict[str, OutputEntry]:
        if not created:
            ec2 = boto3.client("ec2", region_name=region)
            ecs = boto3.client("ecs", region_name=region)
            logs = boto3.client("logs", region_name=region)
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
            group = ec2.create_security_group(GroupName="mig", Description="m", VpcId=vpc)[
                "GroupId"
            ]
            cluster = ecs.create_cluster(clusterName="proliferate")["cluster"]["clusterArn"]
            logs.create_log_group(logGroupName="/proliferate/migrations")
            task = ecs.register_task_definition(
                family="proliferate-migrations",
                requiresCompatibilities=["FARGATE"],
                networkMode="awsvpc",
                cpu="256",
                memory="512",
                containerDefinitions=[
                    {
                        "name": "migrations",
                        "image": "migrations:latest",
                        "essential": True,
                        "memory": 512,
                        "logConfiguration": {
                            "logDriver": "awslogs",
                            "options": {
                                "awslogs-group": "/proliferate/migrations",
                                "awslogs-region": region,
                                "awslogs-stream-prefix": "migrations",
                            },
                        },
                    }
                ],
            )["taskDefinition"]["taskDefinitionArn"]
            created.update(cluster=cluster, task=task, subnets=[subnet], groups=[group])
        domain = config.get("proliferate:domainName")
        base = (
            f"https://{domain.value}" if domain else "http://proliferate-alb-123.elb.amazonaws.com"
        )
        return {
            "appUrl": OutputEntry(base, False),
            "gatewayUrl": OutputEntry(base.replace("http", "ws", 1) + "/gateway", False),
            "llmProxyUrl": OutputEntry(base + "/llm", False),
            "databaseUrl": OutputEntry("postgresql://app:pw@db.internal:5432/proliferate", True),
            "redisUrl": OutputEntry("rediss://cache.internal:6379", True),
            "albDnsName": OutputEntry("proliferate-alb-123.elb.amazonaws.com", False),
            "migrationsClusterArn": OutputEntry(created["cluster"], False),
            "migrationsTaskDefinitionArn": OutputEntry(created["task"], False),
            "migrationsSubnetIds": OutputEntry(created["subnets"], False),
            "migrationsSecurityGroupIds": OutputEntry(created["groups"], False),
        }

    return outputs


def make_project(tmp_path: Path) -> Path:
    """A Pulumi project directory (only Pulumi.yaml)."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "Pulumi.yaml").write_text("name: proliferate\nruntime: python\n")
    return project


def base_answers(project: Path, **overrides: object) -> dict[str, object]:
    """Answers of a complete non-interactive run (as an answers-file mapping)."""
    answers: dict[str, object] = {
        "project_dir": str(project),
        "region": REGION,
        "stack": "dev",
        "env": dict(USER_ENV),
        "skip_validation": True,  # never the internet; tests/test_setup_validation.py checks
    }
    answers.update(overrides)
    return answers


@dataclass
class Harness:
    """One wizard "installation": a persistent fake Pulumi backend and an AWS call log."""

    project: Path
    pulumi: InMemoryPulumiBackend
    log: CallLog = field(default_factory=CallLog)
    lines: list[str] = field(default_factory=list[str])
    inject: Injector | None = None
    endpoints: Endpoints = field(
        default_factory=lambda: Endpoints(
            anthropic="http://127.0.0.1:9",
            github="http://127.0.0.1:9",
            e2b="http://127.0.0.1:9",
            modal="127.0.0.1:9",
            modal_tls=False,
        )
    )
    """Where credential checks go: never the internet (port 9 refuses connections)."""
    deploy: Any = None

    def run(
        self,
        answers: Mapping[str, object],
        *,
        prompter: Prompter | None = None,
        dry_run: bool = False,
        flags: Mapping[str, object] | None = None,
        sleep: Callable[[float], None] | None = None,
        validate: bool = False,
    ) -> SetupResult:
        """Run the wizard with ``answers`` as the answers file content; the credential checks
        run only with ``validate`` (then against :attr:`endpoints`, a local server)."""
        import yaml

        path = self.project.parent / "answers.yaml"
        path.write_text(yaml.safe_dump(dict(answers)))
        all_flags = dict(flags or {})
        all_flags.setdefault("skip_validation", not validate)
        loaded = Answers.load(flags=all_flags, environ={}, answers_file=path)
        ctx = SetupContext(
            answers=loaded, prompter=prompter, dry_run=dry_run, echo=self.lines.append
        )
        deps = SetupDeps(
            pulumi_factory=lambda project, env: self.pulumi,
            session_factory=counting_factory(
                self.log, lambda name: self.inject(name) if self.inject else None
            ),
            aws_max_attempts=1,
            install_runner=lambda command: 1,
            migration_poll_seconds=0.0,
            sleep=sleep or (lambda seconds: None),
            credential_endpoints=self.endpoints,
            credential_timeout=2.0,
            deploy=self.deploy,
        )
        return run_setup(ctx, deps)
