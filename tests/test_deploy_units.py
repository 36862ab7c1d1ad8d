"""The pieces of ``deploy`` on their own: tags, Docker commands, rollout states, health checks."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from deploy_fixtures import ScriptedRunner, health_server

from proliferate_components.deploy.commands import CommandResult, SubprocessRunner
from proliferate_components.deploy.docker import (
    build_command,
    builder_platforms,
    login_command,
    push_command,
)
from proliferate_components.deploy.migrate import with_image
from proliferate_components.deploy.rollout import ServiceTarget, classify
from proliferate_components.deploy.smoke import SmokeCheck, health_urls, http_get, smoke_check
from proliferate_components.deploy.source import source_tag
from proliferate_components.errors import ConfigError
from proliferate_components.ops.errors import StepError

NOW = datetime(2026, 11, 1, 9, 8, 7, tzinfo=timezone.utc)


# -- source -------------------------------------------------------------------------------


def test_a_clean_tree_is_tagged_with_its_commit(tmp_path: Path) -> None:
    runner = ScriptedRunner()
    tag = source_tag(tmp_path, runner, allow_dirty=False, now=NOW)
    assert (tag.tag, tag.commit, tag.dirty) == ("1a2b3c4", "1a2b3c4", False)
    assert runner.calls == [
        ["git", "-C", str(tmp_path), "rev-parse", "--short", "HEAD"],
        ["git", "-C", str(tmp_path), "status", "--porcelain"],
    ]


def test_a_dirty_tree_is_tagged_visibly_only_when_allowed(tmp_path: Path) -> None:
    runner = ScriptedRunner(dirty=" M a.ts\n M b.ts\n?? c.ts\n")
    with pytest.raises(ConfigError) as info:
        source_tag(tmp_path, runner, allow_dirty=False, now=NOW)
    assert (
        info.value.key == "--allow-dirty"
        and "3 uncommitted change(s) (a.ts, b.ts, c.ts)" in str(info.value)
    )
    tag = source_tag(tmp_path, runner, allow_dirty=True, now=NOW)
    assert tag.tag == "1a2b3c4-dirty-20261101090807" and tag.changed == ("a.ts", "b.ts", "c.ts")


def test_not_a_checkout_names_source(tmp_path: Path) -> None:
    def respond(args: Any) -> CommandResult | None:
        return CommandResult(128, "fatal: not a git repository") if "rev-parse" in args else None

    with pytest.raises(ConfigError) as info:
        source_tag(tmp_path, ScriptedRunner(respond=respond), allow_dirty=False)
    assert info.value.key == "--source" and "not a git repository" in str(info.value)
    with pytest.raises(ConfigError, match="git on PATH"):
        source_tag(tmp_path, ScriptedRunner(tools=()), allow_dirty=False)


# -- docker -------------------------------------------------------------------------------


def test_docker_commands_are_exact() -> None:
    assert build_command(
        image="r.example/web:abc",
        context=Path("/src"),
        dockerfile=Path("/src/apps/web/Dockerfile"),
        platform="linux/amd64",
        build_args={"NEXT_PUBLIC_APP_URL": "https://app.example.com", "EMPTY": ""},
    ) == [
        "docker", "buildx", "build", "--platform", "linux/amd64", "-f", "/src/apps/web/Dockerfile",
        "-t", "r.example/web:abc", "--build-arg", "NEXT_PUBLIC_APP_URL=https://app.example.com",
        "--build-arg", "EMPTY=", "--load", "/src",
    ]  # fmt: skip
    assert push_command("r.example/web:abc") == ["docker", "push", "r.example/web:abc"]
    assert login_command("1.dkr.ecr.eu-west-1.amazonaws.com") == [
        "docker", "login", "--username", "AWS", "--password-stdin",
        "1.dkr.ecr.eu-west-1.amazonaws.com",
    ]  # fmt: skip


def test_builder_platforms_are_read_from_buildx_inspect() -> None:
    output = (
        "Name:          desktop-linux\nDriver:        docker\n"
        "Platforms:     linux/amd64, linux/amd64/v2, linux/arm64*, linux/riscv64\n"
    )
    assert builder_platforms(output) == [
        "linux/amd64",
        "linux/amd64/v2",
        "linux/arm64",
        "linux/riscv64",
    ]
    assert builder_platforms("Name: x\n") == []


# -- rollout ------------------------------------------------------------------------------

NEW = "repo/gateway:new"
OLD = "repo/gateway:old"
IMAGES = {"td-new": {NEW, "public.ecr.aws/docker/library/node:20-slim"}, "td-old": {OLD}}
TARGET = ServiceTarget("gateway", "proliferate-gateway-service", NEW)


def _service(*deployments: dict[str, Any], task_definition: str = "td-new") -> dict[str, Any]:
    return {
        "status": "ACTIVE",
        "desiredCount": 2,
        "taskDefinition": task_definition,
        "deployments": list(deployments),
    }


def _deployment(td: str, status: str = "PRIMARY", running: int = 2, rollout: str | None = "COMPLETED", **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {"taskDefinition": td, "status": status, "runningCount": running, "rolloutState": rollout, **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("service", "steady", "failed", "detail"),
    [
        (_service(_deployment("td-new")), True, False, "2/2 tasks on the new image"),
        (
            _service(_deployment("td-new", running=1, rollout="IN_PROGRESS"), _deployment("td-old", "ACTIVE")),
            False, False, "1/2 new tasks, old tasks draining",
        ),
        (_service(_deployment("td-new", running=1, rollout="IN_PROGRESS")), False, False, "1/2 new tasks running"),
        (_service(_deployment("td-old")), False, False, "the new deployment has not started"),
        (
            _service(
                _deployment("td-old", rollout="IN_PROGRESS"),
                _deployment("td-new", "ACTIVE", 0, "FAILED", rolloutStateReason="tasks failed to start"),
            ),
            False, True, "ECS stopped the rollout: tasks failed to start",
        ),
        (_service(_deployment("td-old"), task_definition="td-old"), False, True, "ECS rolled it back"),
        ({**_service(), "status": "DRAINING"}, False, True, "the ECS service is DRAINING"),
    ],
)  # fmt: skip
def test_rollout_states(service: dict[str, Any], steady: bool, failed: bool, detail: str) -> None:
    status = classify(TARGET, service, lambda arn: IMAGES.get(arn, set()))
    assert (status.steady, status.failed) == (steady, failed)
    assert detail in status.detail


# -- smoke --------------------------------------------------------------------------------


def test_health_urls_use_http_for_the_gateway_and_skip_services_not_running() -> None:
    urls = {
        "gateway": "wss://gateway.example.com",
        "llm-proxy": "https://llm.example.com/",
        "web": "https://example.com",
        "trigger-service": "https://example.com/trigger-service",
    }
    checks = health_urls(urls, ["worker", "gateway", "llm-proxy", "trigger-service"])
    assert [(c.service, c.url) for c in checks] == [
        ("gateway", "https://gateway.example.com/health"),
        ("llm-proxy", "https://llm.example.com/health/liveliness"),
        ("trigger-service", "https://example.com/trigger-service/health"),
    ]


def test_http_get_reports_status_codes_and_connection_errors() -> None:
    with health_server() as server:
        server.status["/bad"] = 502
        assert http_get(server.base + "/health", 5) == (200, "OK")
        assert http_get(server.base + "/bad", 5)[0] == 502
        port = server.port
    status, detail = http_get(f"http://127.0.0.1:{port}/health", 2)
    assert status is None and detail


def test_smoke_checks_retry_until_the_deadline_and_only_what_failed() -> None:
    answers = {"a": [502, 502, 200], "b": [200]}
    now = [0.0]

    def get(url: str, timeout: float) -> tuple[int | None, str]:
        return answers[url].pop(0), ""

    results = smoke_check(
        [SmokeCheck("gateway", "a"), SmokeCheck("web", "b")],
        deadline_seconds=60,
        poll_seconds=5,
        get=get,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert [r.ok for r in results] == [True, True] and now[0] == 10
    failing = smoke_check(
        [SmokeCheck("gateway", "x")],
        deadline_seconds=12,
        poll_seconds=5,
        get=lambda url, timeout: (503, "Service Unavailable"),
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert failing[0].status == 503 and not failing[0].ok


# -- migrate ------------------------------------------------------------------------------


def test_the_migration_revision_changes_only_the_image() -> None:
    definition = {
        "taskDefinitionArn": "arn:td/proliferate-migrations:7",
        "family": "proliferate-migrations",
        "executionRoleArn": "arn:role/exec",
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "requiresCompatibilities": ["FARGATE"],
        "volumes": [{"name": "rds-ca"}],
        "revision": 7,
        "status": "ACTIVE",
        "containerDefinitions": [
            {"name": "rds-ca", "image": "public.ecr.aws/node:20", "essential": False},
            {"name": "migrations", "image": "acct.dkr.ecr/worker:old", "command": ["pnpm"]},
        ],
    }
    args = with_image(definition, "acct.dkr.ecr/worker:new", repository="acct.dkr.ecr/worker")
    assert args["containerDefinitions"][1] == {
        "name": "migrations",
        "image": "acct.dkr.ecr/worker:new",
        "command": ["pnpm"],
    }
    assert args["containerDefinitions"][0]["image"] == "public.ecr.aws/node:20"
    assert "revision" not in args and "status" not in args and "taskDefinitionArn" not in args
    assert args["volumes"] == [{"name": "rds-ca"}] and args["family"] == "proliferate-migrations"
    with pytest.raises(StepError, match="no container 'migrations'"):
        with_image(
            {"containerDefinitions": [{"name": "x", "image": "other:1"}]}, "w:2", repository="w"
        )


# -- commands -----------------------------------------------------------------------------


def test_the_subprocess_runner_streams_lines_and_feeds_stdin() -> None:
    seen: list[str] = []
    # stdout flushed before stderr is written: a pipe makes a child's stdout block-buffered,
    # so without the flush the order is the child's, not the runner's (it failed under env -i).
    script = (
        "import sys; print('got', sys.stdin.read().strip(), flush=True); "
        "print('done', file=sys.stderr)"
    )
    result = SubprocessRunner().run(
        [sys.executable, "-c", script], stdin="secret\n", on_line=seen.append
    )
    assert result.ok and seen == ["got secret", "done"]
    failed = SubprocessRunner().run([sys.executable, "-c", "raise SystemExit(3)"])
    assert failed.returncode == 3 and not failed.ok
    missing = SubprocessRunner().run(["/nonexistent/docker-xyz", "version"])
    assert missing.returncode == 127
