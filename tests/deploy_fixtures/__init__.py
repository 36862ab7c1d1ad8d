"""A deployed platform in moto, a scripted git/docker, a fake clock and a local health server.

:class:`Platform` plays the stack: ECR repositories, an ECS cluster with the worker,
llm-proxy and gateway services, the migrations task definition and its log group, all in moto.
Its :meth:`Platform.outputs` is the fake Pulumi backend's ``up``: it registers task
definitions for the configured ``proliferate:imageTag`` and moves the services to them, as
``pulumi up`` and ECS would (a tag in :attr:`Platform.stuck_tags` never finishes rolling out).
:class:`ScriptedRunner` answers git and docker; a ``docker push`` puts the image into moto's
ECR. Health endpoints are served on 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from fake_pulumi import InMemoryPulumiBackend
from moto import mock_aws

from proliferate_components.deploy.commands import CommandResult, OnLine
from proliferate_components.deploy.flow import DeployDeps, DeployRequest
from proliferate_components.ops.pulumi_backend import ConfigEntry, OutputEntry

REGION = "eu-west-1"
ACCOUNT = "123456789012"
COMMIT = "1a2b3c4"
PREVIOUS = "0f9e8d7"
STACK = "prod"
SERVICES = ("worker", "llm-proxy", "gateway")
READ_PREFIXES = ("Get", "List", "Describe", "Head", "BatchGet")


def manifest(repository: str, tag: str) -> str:
    """A distinct Docker image manifest per repository and tag."""
    digest = hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": f"sha256:{digest}",
            },
            "layers": [],
        }
    )


@dataclass
class Clock:
    """Monotonic seconds that only ``sleep`` advances; ``hooks`` run at every sleep."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list[float])
    hooks: list[Callable[[], None]] = field(default_factory=list[Callable[[], None]])

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        for hook in self.hooks:
            hook()


@dataclass
class HealthServer:
    """An HTTP server on 127.0.0.1 answering each path with ``status[path]`` (default 200)."""

    status: dict[str, int] = field(default_factory=dict[str, int])
    requests: list[str] = field(default_factory=list[str])
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def health_server() -> Iterator[HealthServer]:
    """Serve :class:`HealthServer` on 127.0.0.1 for the duration."""
    state = HealthServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            code = state.status.get(self.path, 200)
            body = b'{"status":"ok"}' if code == 200 else b"bad gateway"
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class CallLog:
    """AWS operations seen through botocore's ``before-call`` event."""

    calls: list[str] = field(default_factory=list[str])

    def mutating(self) -> list[str]:
        return [c for c in self.calls if not c.split(".", 1)[1].startswith(READ_PREFIXES)]


class Platform:
    """The stack's AWS side in moto (see the module docstring)."""

    def __init__(self, health: HealthServer, *, web: bool = False) -> None:
        self.health = health
        self.ecr = boto3.client("ecr", region_name=REGION)
        self.ecs = boto3.client("ecs", region_name=REGION)
        self.logs = boto3.client("logs", region_name=REGION)
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        # moto: awsvpc run_task needs DNS hostnames on the VPC (docs/reference.md)
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        self.subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        self.group = ec2.create_security_group(GroupName="mig", Description="m", VpcId=vpc)[
            "GroupId"
        ]
        self.cluster = self.ecs.create_cluster(clusterName="proliferate-cluster")["cluster"][
            "clusterArn"
        ]
        self.services = (*SERVICES, "web") if web else SERVICES
        self.repos = {
            s: self.ecr.create_repository(
                repositoryName=f"proliferate-{s}-repo-0a1b", imageTagMutability="IMMUTABLE"
            )["repository"]["repositoryUri"]
            for s in self.services
        }
        self.ecs_names = {s: f"proliferate-{s}-service-9f8e" for s in self.services}
        self.log_group = "proliferate-migrations-logs-7c6d"
        self.logs.create_log_group(logGroupName=self.log_group)
        self.stuck_tags: set[str] = set()
        self.migration_exit_code = 0
        self.migration_log = ("applying 3 migrations", "done")
        self.migrations_arn = ""
        self.task_images: dict[str, str] = {}

    def push(self, service: str, tag: str) -> None:
        """Put ``service``'s image for ``tag`` into ECR (what ``docker push`` does)."""
        name = self.repos[service].split("/", 1)[1]
        self.ecr.put_image(repositoryName=name, imageManifest=manifest(name, tag), imageTag=tag)

    def has_image(self, service: str, tag: str) -> bool:
        name = self.repos[service].split("/", 1)[1]
        images = self.ecr.list_images(repositoryName=name)["imageIds"]
        return any(i.get("imageTag") == tag for i in images)

    def _register(self, family: str, container: str, image: str, *, logs: bool = False) -> str:
        definition: dict[str, Any] = {
            "name": container,
            "image": image,
            "essential": True,
            "memory": 512,
        }
        if logs:
            definition["logConfiguration"] = {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": self.log_group,
                    "awslogs-region": REGION,
                    "awslogs-stream-prefix": "migrations",
                },
            }
        return self.ecs.register_task_definition(
            family=family,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[definition],
        )["taskDefinition"]["taskDefinitionArn"]

    def outputs(self, config: Mapping[str, ConfigEntry]) -> dict[str, OutputEntry]:
        """``pulumi up``: task definitions for the configured tag, services moved to them."""
        entry = config.get("proliferate:imageTag")
        tag = entry.value if entry else "latest"
        for service in self.services:
            arn = self._register(f"proliferate-{service}", service, f"{self.repos[service]}:{tag}")
            name = self.ecs_names[service]
            existing = self.ecs.describe_services(cluster=self.cluster, services=[name])["services"]
            if tag in self.stuck_tags and existing:
                self.ecs.update_service(cluster=self.cluster, service=name, taskDefinition=arn)
            else:  # ECS finished the rollout (MOTO_ECS_SERVICE_RUNNING=1)
                self.ecs.create_service(
                    cluster=self.cluster,
                    serviceName=name,
                    taskDefinition=arn,
                    desiredCount=1,
                    launchType="FARGATE",
                )
        self.migrations_arn = self._register(
            "proliferate-migrations", "migrations", f"{self.repos['worker']}:{tag}", logs=True
        )
        base = self.health.base
        urls = {"gateway": "ws" + base[4:] + "/gateway", "llm-proxy": base + "/llm-proxy"}
        if "web" in self.services:
            urls["web"] = base
        out = {
            "appUrl": base,
            "gatewayUrl": urls["gateway"],
            "llmProxyUrl": urls["llm-proxy"],
            "clusterName": "proliferate-cluster",
            "serviceNames": dict(self.ecs_names),
            "serviceUrls": urls,
            "migrationsClusterArn": self.cluster,
            "migrationsTaskDefinitionArn": self.migrations_arn,
            "migrationsSubnetIds": [self.subnet],
            "migrationsSecurityGroupIds": [self.group],
            "workerRepositoryUrl": self.repos["worker"],
            "llmProxyRepositoryUrl": self.repos["llm-proxy"],
            "gatewayRepositoryUrl": self.repos["gateway"],
            "migrationsRepositoryUrl": self.repos["worker"],
        }
        if "web" in self.services:
            out["webRepositoryUrl"] = self.repos["web"]
        return {k: OutputEntry(v, False) for k, v in out.items()}

    def service_images(self) -> dict[str, str]:
        """The image each ECS service's primary deployment runs."""
        found = self.ecs.describe_services(
            cluster=self.cluster, services=list(self.ecs_names.values())
        )["services"]
        out: dict[str, str] = {}
        for item in found:
            primary = next(d for d in item["deployments"] if d["status"] == "PRIMARY")
            td = self.ecs.describe_task_definition(taskDefinition=primary["taskDefinition"])
            service = next(s for s, n in self.ecs_names.items() if n == item["serviceName"])
            out[service] = td["taskDefinition"]["containerDefinitions"][0]["image"]
        return out

    def deploy_tasks(self) -> list[dict[str, Any]]:
        """Tasks a deploy started (its migration task)."""
        arns = [
            arn
            for status in ("RUNNING", "STOPPED")
            for arn in self.ecs.list_tasks(cluster=self.cluster, desiredStatus=status)["taskArns"]
        ]
        if not arns:
            return []
        tasks = self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"]
        return [t for t in tasks if t.get("startedBy") == "proliferate-deploy"]

    def tick(self) -> None:
        """What happens between two polls: a started migration task writes its log and
        gets its exit code."""
        from moto.ecs.models import ecs_backends

        backend = ecs_backends[ACCOUNT][REGION]
        for arn, task in backend.tasks.get("proliferate-cluster", {}).items():
            if task.started_by != "proliferate-deploy" or getattr(task, "_logged", False):
                continue
            task._logged = True  # type: ignore[attr-defined]
            # no API sets a container's exit code in moto: the test decides it here
            task.containers[0].exitCode = self.migration_exit_code
            stream = f"migrations/migrations/{arn.rsplit('/', 1)[-1]}"
            self.logs.create_log_stream(logGroupName=self.log_group, logStreamName=stream)
            now = int(time.time() * 1000)  # moto drops events older than 14 days
            self.logs.put_log_events(
                logGroupName=self.log_group,
                logStreamName=stream,
                logEvents=[
                    {"timestamp": now + i, "message": m} for i, m in enumerate(self.migration_log)
                ],
            )


@dataclass
class ScriptedRunner:
    """git and docker as a deploy calls them; every call is recorded.

    Attributes:
        platform: receives the images ``docker push`` pushes.
        tools: programs on PATH.
        dirty: ``git status --porcelain`` output.
        respond: returns a result for a command instead of the default (or None).
    """

    platform: Platform | None = None
    tools: tuple[str, ...] = ("git", "docker")
    dirty: str = ""
    respond: Callable[[Sequence[str]], CommandResult | None] | None = None
    calls: list[list[str]] = field(default_factory=list[list[str]])
    stdins: list[str | None] = field(default_factory=list[str | None])

    def which(self, name: str) -> str | None:
        return f"/usr/bin/{name}" if name in self.tools else None

    def docker_calls(self) -> list[list[str]]:
        return [c for c in self.calls if c[0] == "docker"]

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        stdin: str | None = None,
        on_line: OnLine | None = None,
    ) -> CommandResult:
        self.calls.append(list(args))
        self.stdins.append(stdin)
        if self.respond is not None:
            answer = self.respond(args)
            if answer is not None:
                return answer
        joined = " ".join(args)
        if args[0] == "git" and "rev-parse" in args:
            return CommandResult(0, COMMIT + "\n")
        if args[0] == "git" and "status" in args:
            return CommandResult(0, self.dirty)
        if joined.startswith("docker version"):
            return CommandResult(0, "27.3.1")
        if joined.startswith("docker buildx version"):
            return CommandResult(0, "github.com/docker/buildx v0.17.1")
        if joined.startswith("docker buildx inspect"):
            return CommandResult(
                0, "Name: default\nDriver: docker\nPlatforms: linux/amd64, linux/arm64\n"
            )
        if joined.startswith("docker buildx build"):
            if on_line is not None:
                on_line("#5 [2/9] RUN corepack enable")
            return CommandResult(0, "#12 DONE 1.2s")
        if joined.startswith("docker login"):
            return CommandResult(0, "Login Succeeded")
        if joined.startswith("docker push"):
            assert self.platform is not None
            image = args[2]
            repository, tag = image.rsplit(":", 1)
            service = next(s for s, r in self.platform.repos.items() if r == repository)
            self.platform.push(service, tag)
            return CommandResult(0, f"{tag}: digest: sha256:... size: 1234")
        return CommandResult(127, f"unexpected command {joined}")


@contextmanager
def mocked_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """moto with fake credentials, no real AWS config, and ECS services that report their
    one task running (MOTO_ECS_SERVICE_RUNNING: ECS finished the rollout)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    with mock_aws():
        yield


def make_source(tmp_path: Path) -> Path:
    """A checkout of the platform: every Dockerfile and the Pulumi program."""
    source = tmp_path / "proliferate"
    for service in ("worker", "gateway", "web", "llm-proxy", "trigger-service"):
        (source / "apps" / service).mkdir(parents=True)
        (source / "apps" / service / "Dockerfile").write_text("FROM node:20-slim\n")
    (source / "infra" / "pulumi").mkdir(parents=True)
    (source / "infra" / "pulumi" / "Pulumi.yaml").write_text("name: proliferate\nruntime: python\n")
    return source


@dataclass
class DeployHarness:
    """One deployed stack (running :data:`PREVIOUS`) and everything a deploy talks to."""

    source: Path
    platform: Platform
    pulumi: InMemoryPulumiBackend
    runner: ScriptedRunner
    clock: Clock
    log: CallLog
    _session: Any = None

    def request(self, **overrides: Any) -> DeployRequest:
        values: dict[str, Any] = {
            "source": self.source,
            "stack": STACK,
            "rollout_timeout_seconds": 120,
            "migration_timeout_seconds": 300,
            "smoke_timeout_seconds": 30,
            "poll_seconds": 10,
        }
        values.update(overrides)
        return DeployRequest(**values)

    def deps(self) -> DeployDeps:
        def session(profile: str | None, region: str | None) -> Any:
            if self._session is None:  # one session: its service models load once
                self._session = boto3.Session(region_name=region)
                self._session.events.register(
                    "before-call",
                    lambda model, **_: self.log.calls.append(
                        f"{model.service_model.service_name}.{model.name}"
                    ),
                )
            return self._session

        return DeployDeps(
            runner=self.runner,
            pulumi_factory=lambda project, env: self.pulumi,
            session_factory=session,
            clock=self.clock,
            sleep=self.clock.sleep,
            now=lambda: datetime(2026, 11, 1, 12, 0, 0, tzinfo=timezone.utc),
            aws_max_attempts=1,
        )

    def config(self, key: str = "proliferate:imageTag") -> str | None:
        entry = self.pulumi.stacks[STACK].config.get(key)
        return entry.value if entry else None


def make_harness(
    tmp_path: Path, health: HealthServer, *, web: bool = False, previous_pushed: bool = True
) -> DeployHarness:
    """A stack deployed at :data:`PREVIOUS` (its images in ECR unless ``previous_pushed`` is
    false), logged in, with an empty call history."""
    platform = Platform(health, web=web)
    if previous_pushed:
        for service in platform.services:
            platform.push(service, PREVIOUS)
    pulumi = InMemoryPulumiBackend(outputs_factory=platform.outputs)
    pulumi.login("s3://state-bucket?region=eu-west-1")
    pulumi.select_or_create_stack(STACK, secrets_provider="passphrase")
    pulumi.set_config(STACK, "aws:region", REGION, secret=False)
    pulumi.set_config(STACK, "proliferate:imageTag", PREVIOUS, secret=False)
    if web:
        pulumi.set_config(STACK, "proliferate:enableWeb", "true", secret=False)
    pulumi.up(STACK, on_output=lambda line: None)
    pulumi.calls.clear()
    clock = Clock()
    clock.hooks.append(platform.tick)
    return DeployHarness(
        source=make_source(tmp_path),
        platform=platform,
        pulumi=pulumi,
        runner=ScriptedRunner(platform=platform),
        clock=clock,
        log=CallLog(),
    )
