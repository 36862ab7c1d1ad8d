"""``proliferate-infra deploy`` end to end: moto for AWS, the in-memory Pulumi backend, a
scripted git/docker, a fake clock and health endpoints on 127.0.0.1."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from deploy_fixtures import (
    COMMIT,
    PREVIOUS,
    REGION,
    DeployHarness,
    health_server,
    make_harness,
    mocked_aws,
)

from proliferate_components.deploy.commands import CommandResult
from proliferate_components.deploy.flow import run_deploy
from proliferate_components.deploy.result import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_ROLLBACK_FAILED,
    EXIT_ROLLED_BACK,
    RecordingProgress,
)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with mocked_aws(monkeypatch, tmp_path):
        yield


@pytest.fixture
def harness(aws_env: None, tmp_path: Path) -> Iterator[DeployHarness]:
    with health_server() as health:
        yield make_harness(tmp_path, health)


def deploy(h: DeployHarness, **overrides: Any) -> tuple[Any, RecordingProgress]:
    progress = RecordingProgress()
    return run_deploy(h.request(**overrides), h.deps(), progress), progress


def test_a_deploy_builds_pushes_migrates_rolls_out_and_checks(harness: DeployHarness) -> None:
    h = harness
    result, progress = deploy(h)
    assert result.exit_code == EXIT_OK, result.message
    assert result.status == "deployed"
    assert (result.tag, result.previous_tag) == (COMMIT, PREVIOUS)
    src = h.source.resolve()
    repos = h.platform.repos
    builds = [c for c in h.runner.docker_calls() if c[:3] == ["docker", "buildx", "build"]]
    assert builds == [
        ["docker", "buildx", "build", "--platform", "linux/amd64", "-f", str(src / "apps/worker/Dockerfile"),
         "-t", f"{repos['worker']}:{COMMIT}", "--load", str(src)],
        ["docker", "buildx", "build", "--platform", "linux/amd64", "-f", str(src / "apps/gateway/Dockerfile"),
         "-t", f"{repos['gateway']}:{COMMIT}", "--load", str(src)],
        ["docker", "buildx", "build", "--platform", "linux/amd64", "-f", str(src / "apps/llm-proxy/Dockerfile"),
         "-t", f"{repos['llm-proxy']}:{COMMIT}", "--load", str(src / "apps/llm-proxy")],
    ]  # fmt: skip
    registry = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
    pushes = [c for c in h.runner.docker_calls() if c[1] in ("login", "push")]
    assert pushes == [
        ["docker", "login", "--username", "AWS", "--password-stdin", registry],
        ["docker", "push", f"{repos['worker']}:{COMMIT}"],
        ["docker", "push", f"{repos['gateway']}:{COMMIT}"],
        ["docker", "push", f"{repos['llm-proxy']}:{COMMIT}"],
    ]
    login = h.runner.calls.index(pushes[0])
    token = h.platform.ecr.get_authorization_token()["authorizationData"][0]
    expected = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)[1]
    assert h.runner.stdins[login] == expected + "\n", "the ECR token's password, on stdin only"
    assert expected not in " ".join(pushes[0])
    # migrations ran with the new worker image before the stack changed
    (task,) = h.platform.deploy_tasks()
    definition = h.platform.ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])
    assert definition["taskDefinition"]["containerDefinitions"][0]["image"] == (
        f"{repos['worker']}:{COMMIT}"
    )
    assert definition["taskDefinition"]["status"] == "INACTIVE", "the revision is deregistered"
    assert result.migration["exitCode"] == 0
    assert result.migration["logTail"] == ["applying 3 migrations", "done"]
    assert h.config() == COMMIT
    assert [c[0] for c in h.pulumi.mutating_calls()] == ["set_config", "up"]
    assert h.platform.service_images() == {s: f"{repos[s]}:{COMMIT}" for s in repos}
    assert all(s.steady for s in result.services) and len(result.services) == 3
    assert sorted(h.platform.health.requests) == ["/gateway/health", "/llm-proxy/health/liveliness"]
    assert [s.name for s in result.steps] == [
        "source", "stack", "images", "build", "push", "migrate", "update", "rollout", "smoke",
    ]  # fmt: skip
    assert all(s.status == "ok" for s in result.steps)
    text = progress.text()
    assert "building worker" in text and "migration task" in text


def test_a_second_deploy_of_the_same_commit_builds_and_changes_nothing(
    harness: DeployHarness,
) -> None:
    h = harness
    first, _ = deploy(h)
    assert first.exit_code == EXIT_OK, first.message
    h.runner.calls.clear()
    h.pulumi.calls.clear()
    h.log.calls.clear()
    tasks_before = len(h.platform.deploy_tasks())
    second, _ = deploy(h)
    assert second.exit_code == EXIT_OK, second.message
    assert second.status == "unchanged"
    assert h.runner.docker_calls() == [], "nothing built, pushed or even checked"
    assert h.pulumi.mutating_calls() == []
    assert [c[0] for c in h.pulumi.calls] == ["preview"]
    assert h.log.mutating() == []
    assert len(h.platform.deploy_tasks()) == tasks_before, "no second migration"
    assert {r.action for r in second.images} == {"exists"}
    assert "already runs" in second.message


def test_a_dirty_tree_is_refused_unless_allowed(harness: DeployHarness) -> None:
    h = harness
    h.runner.dirty = " M apps/worker/src/index.ts\n?? notes.txt\n"
    refused, _ = deploy(h)
    assert refused.exit_code == EXIT_INVALID
    assert "--allow-dirty" in refused.message and "apps/worker/src/index.ts" in refused.message
    assert h.runner.docker_calls() == [] and h.pulumi.mutating_calls() == [] and h.log.calls == []
    allowed, _ = deploy(h, allow_dirty=True)
    assert allowed.exit_code == EXIT_OK, allowed.message
    assert allowed.tag == f"{COMMIT}-dirty-20261101120000"
    assert h.config() == allowed.tag


def test_the_web_image_gets_its_public_urls_and_settings_as_build_args(
    aws_env: None, tmp_path: Path
) -> None:
    with health_server() as health:
        h = make_harness(tmp_path, health, web=True)
        h.pulumi.set_config(
            "prod", "proliferate:NEXT_PUBLIC_GITHUB_APP_SLUG", "acme-app", secret=False
        )
        h.pulumi.up("prod", on_output=lambda line: None)
        result, _ = deploy(h)
    assert result.exit_code == EXIT_OK, result.message
    (web,) = [c for c in h.runner.calls if "apps/web/Dockerfile" in " ".join(c)]
    args = dict(web[i + 1].split("=", 1) for i, a in enumerate(web) if a == "--build-arg")
    base = health.base
    assert args["NEXT_PUBLIC_APP_URL"] == base
    assert args["NEXT_PUBLIC_API_URL"] == base
    assert args["NEXT_PUBLIC_GATEWAY_URL"] == "ws" + base[4:] + "/gateway"
    assert args["NEXT_PUBLIC_GITHUB_APP_SLUG"] == "acme-app"
    assert args["NEXT_PUBLIC_BILLING_ENABLED"] == "false"
    assert args["NEXT_PUBLIC_SENTRY_DSN"] == "", "never the Dockerfile's placeholder"
    assert len(args) == 15
    assert "/api/health" in health.requests


def test_a_dry_run_prints_the_plan_and_changes_nothing(harness: DeployHarness) -> None:
    h = harness
    result, progress = deploy(h, dry_run=True)
    assert result.exit_code == EXIT_OK and result.status == "planned"
    assert h.runner.docker_calls() == []
    assert h.pulumi.mutating_calls() == []
    assert h.log.mutating() == []
    assert h.config() == PREVIOUS
    plan = "\n".join(result.plan)
    assert f"-t {h.platform.repos['worker']}:{COMMIT} --load" in plan
    assert f"push: docker push {h.platform.repos['gateway']}:{COMMIT}" in plan
    assert f"pulumi config set proliferate:imageTag {COMMIT}" in plan
    assert "/llm-proxy/health/liveliness" in plan
    assert "--password-stdin" in plan
    assert plan in progress.text()


# -- failure paths: what the user sees, and nothing half-rolled -------------------------------


def assert_untouched(h: DeployHarness) -> None:
    """The stack still runs the previous version; no config set, no update."""
    assert h.config() == PREVIOUS
    assert h.pulumi.mutating_calls() == []
    assert h.platform.service_images() == {
        s: f"{r}:{PREVIOUS}" for s, r in h.platform.repos.items()
    }


def test_a_failed_build_stops_before_anything_is_pushed(harness: DeployHarness) -> None:
    h = harness

    def respond(args: Any) -> CommandResult | None:
        if any(a.endswith("apps/gateway/Dockerfile") for a in args):
            return CommandResult(1, "#9 ERROR: failed to solve: pnpm install exited with 1")
        return None

    h.runner.respond = respond
    result, _ = deploy(h)
    assert result.exit_code == EXIT_FAILED and result.status == "failed"
    assert "building the gateway image failed" in result.message
    assert "pnpm install exited with 1" in result.message
    assert "Nothing was pushed" in result.message and f"still runs {PREVIOUS}" in result.message
    assert [c for c in h.runner.docker_calls() if c[1] in ("login", "push")] == []
    assert not any(h.platform.has_image(s, COMMIT) for s in h.platform.repos)
    assert h.platform.deploy_tasks() == []
    assert_untouched(h)
    assert [s.status for s in result.steps][-1] == "failed"


def test_a_denied_push_names_the_permission_and_changes_no_service(
    harness: DeployHarness,
) -> None:
    h = harness

    def respond(args: Any) -> CommandResult | None:
        if args[:2] == ["docker", "push"] and "gateway" in args[2]:
            return CommandResult(
                1,
                "denied: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
                "ecr:InitiateLayerUpload",
            )
        return None

    h.runner.respond = respond
    result, _ = deploy(h)
    assert result.exit_code == EXIT_FAILED
    assert "ecr:InitiateLayerUpload" in result.message and "ecr:PutImage" in result.message
    assert "Already pushed (kept, a rerun skips them): worker" in result.message
    assert h.platform.has_image("worker", COMMIT) and not h.platform.has_image("gateway", COMMIT)
    assert h.platform.deploy_tasks() == []
    assert_untouched(h)


def test_failed_migrations_show_the_log_and_stop_before_any_service_rolls(
    harness: DeployHarness,
) -> None:
    h = harness
    h.platform.migration_exit_code = 1
    h.platform.migration_log = ('error: relation "users" already exists', "migration 0042 failed")
    result, progress = deploy(h)
    assert result.exit_code == EXIT_FAILED
    assert "migrations failed with exit code 1" in result.message
    assert f"No service was changed: stack prod still runs {PREVIOUS}" in result.message
    assert result.migration["logTail"] == list(h.platform.migration_log)
    assert "| migration 0042 failed" in progress.text()
    (task,) = h.platform.deploy_tasks()
    revision = h.platform.ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])
    assert revision["taskDefinition"]["status"] == "INACTIVE"
    assert_untouched(h)


def test_a_service_that_never_becomes_steady_is_rolled_back(harness: DeployHarness) -> None:
    h = harness
    h.platform.stuck_tags.add(COMMIT)
    result, progress = deploy(h, rollout_timeout_seconds=60, poll_seconds=15)
    assert result.exit_code == EXIT_ROLLED_BACK and result.status == "rolled-back"
    assert result.message.startswith(
        f"ROLLED BACK to {PREVIOUS}: the rollout failed: not steady after 60 s"
    )
    assert result.rollback_reason is not None and "gateway" in result.rollback_reason
    assert h.config() == PREVIOUS
    assert [c[0] for c in h.pulumi.mutating_calls()] == ["set_config", "up", "set_config", "up"]
    assert h.platform.service_images() == {
        s: f"{r}:{PREVIOUS}" for s, r in h.platform.repos.items()
    }
    assert all(s.steady for s in result.services)
    assert h.clock.slept and all(s == 15 for s in h.clock.slept)
    assert "ECS services on" in progress.text(("waiting",))
    assert [s.name for s in result.steps][-2:] == ["rollout", "rollback"]
    assert h.platform.health.requests == [], "no smoke check of a version that was rolled back"


def test_a_502_from_a_health_endpoint_rolls_back(harness: DeployHarness) -> None:
    h = harness
    h.platform.health.status["/gateway/health"] = 502
    result, _ = deploy(h, smoke_timeout_seconds=20, poll_seconds=10)
    assert result.exit_code == EXIT_ROLLED_BACK
    assert "the smoke check failed" in result.message and "answered 502" in result.message
    assert h.platform.health.requests.count("/gateway/health") == 3, "retried until the deadline"
    assert h.platform.health.requests.count("/llm-proxy/health/liveliness") == 1
    assert h.config() == PREVIOUS
    assert h.platform.service_images() == {
        s: f"{r}:{PREVIOUS}" for s, r in h.platform.repos.items()
    }
    smoke = {s.service: s.status for s in result.smoke}
    assert smoke == {"gateway": 502, "llm-proxy": 200}


def test_no_rollback_without_earlier_images_says_so(aws_env: None, tmp_path: Path) -> None:
    with health_server() as health:
        h = make_harness(tmp_path, health, previous_pushed=False)
        h.platform.stuck_tags.add(COMMIT)
        result, _ = deploy(h, rollout_timeout_seconds=20)
    assert result.exit_code == EXIT_ROLLBACK_FAILED and result.status == "rollback-failed"
    assert result.message.startswith("NOT ROLLED BACK")
    assert f"previous tag {PREVIOUS} has no image in ECR" in result.message
    assert h.config() == COMMIT


def test_a_failed_pulumi_up_is_rolled_back(harness: DeployHarness) -> None:
    from proliferate_components.ops.errors import StepError

    h = harness
    h.pulumi.fail_at["up#1"] = StepError("pulumi up failed:\nerror: 1 resource failed", step="up")
    result, _ = deploy(h)
    assert result.exit_code == EXIT_ROLLED_BACK, result.message
    assert "pulumi up failed" in result.message
    assert h.config() == PREVIOUS


@pytest.mark.parametrize(
    ("tools", "respond", "expected"),
    [
        (("git",), None, "docker is not installed"),
        (
            ("git", "docker"),
            {
                "docker version": "Cannot connect to the Docker daemon at unix:///var/run/docker.sock"
            },
            "the Docker daemon is not running",
        ),
        (
            ("git", "docker"),
            {"docker buildx version": "docker: 'buildx' is not a docker command."},
            "docker buildx is not available",
        ),
        (
            ("git", "docker"),
            {"docker buildx inspect": None},
            "cannot build linux/amd64",
        ),
    ],
)
def test_docker_problems_are_named_before_anything_changes(
    harness: DeployHarness,
    tools: tuple[str, ...],
    respond: dict[str, str | None] | None,
    expected: str,
) -> None:
    h = harness
    h.runner.tools = tools

    def answer(args: Any) -> CommandResult | None:
        joined = " ".join(args)
        for prefix, output in (respond or {}).items():
            if joined.startswith(prefix):
                if output is None:  # a builder without amd64
                    return CommandResult(0, "Name: arm\nPlatforms: linux/arm64, linux/arm/v7\n")
                return CommandResult(1, output)
        return None

    h.runner.respond = answer
    result, _ = deploy(h)
    assert result.exit_code == EXIT_INVALID
    assert expected in result.message
    assert not [
        c for c in h.runner.docker_calls() if c[1] in ("push", "login") or c[2:3] == ["build"]
    ]
    assert_untouched(h)


def test_an_unknown_stack_is_refused(harness: DeployHarness) -> None:
    result, _ = deploy(harness, stack="staging")
    assert result.exit_code == EXIT_INVALID
    assert "stack staging is not in the Pulumi backend" in result.message
    assert harness.log.calls == []


def test_a_checkout_without_the_dockerfiles_is_refused(harness: DeployHarness) -> None:
    (harness.source / "apps" / "gateway" / "Dockerfile").unlink()
    result, _ = deploy(harness)
    assert result.exit_code == EXIT_INVALID
    assert "apps/gateway/Dockerfile is missing" in result.message
    assert_untouched(harness)


def test_an_infrastructure_change_on_the_same_commit_is_applied_without_a_build(
    harness: DeployHarness,
) -> None:
    h = harness
    first, _ = deploy(h)
    assert first.exit_code == EXIT_OK, first.message
    h.pulumi.set_config("prod", "proliferate:workerDesiredCount", "2", secret=False)
    h.runner.calls.clear()
    h.pulumi.calls.clear()
    tasks = len(h.platform.deploy_tasks())
    second, _ = deploy(h)
    assert second.exit_code == EXIT_OK and second.status == "deployed", second.message
    assert [c[0] for c in h.pulumi.calls] == ["preview", "up"]
    assert h.runner.docker_calls() == [] and len(h.platform.deploy_tasks()) == tasks
    assert [s.name for s in second.steps][-3:] == ["update", "rollout", "smoke"]


def test_a_failed_infrastructure_only_update_says_there_is_nothing_to_restore(
    harness: DeployHarness,
) -> None:
    from proliferate_components.ops.errors import StepError

    h = harness
    assert deploy(h)[0].exit_code == EXIT_OK
    h.pulumi.set_config("prod", "proliferate:workerDesiredCount", "2", secret=False)
    h.pulumi.calls.clear()
    h.pulumi.fail_at["up#1"] = StepError("pulumi up failed:\nerror: quota exceeded", step="up")
    result, _ = deploy(h)
    assert result.exit_code == EXIT_ROLLBACK_FAILED
    assert "quota exceeded" in result.message and "no earlier version to restore" in result.message
    assert h.config() == COMMIT
