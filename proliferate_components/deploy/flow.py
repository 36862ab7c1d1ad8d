"""The steps of ``proliferate-infra deploy`` in order (see the package docstring).

:func:`run_deploy` never raises for a failure it can explain: it returns a
:class:`~.result.DeployResult` whose ``exit_code`` and ``message`` say what happened, so the
CLI can print it (or its JSON) the same way every time. Every wait takes its timeout and poll
interval from the :class:`DeployRequest` and its clock and sleep from :class:`DeployDeps`, so
tests run without waiting.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

from ..errors import ConfigError, ProliferateError
from ..ops.aws_errors import client_config
from ..ops.errors import StepError
from ..ops.migrations import run_migrations, target_from_outputs
from ..ops.pulumi_backend import AutomationPulumiBackend, PulumiBackend, has_changes
from ..platform import PLATFORM_SERVICES
from .commands import CommandRunner, SubprocessRunner
from .docker import build_command, check_docker, login_command, push_command
from .images import (
    IMAGE_TAG_KEY,
    ImagePlan,
    StackState,
    image_exists,
    plan_images,
    registry_password,
)
from .migrate import deregister_revision, register_revision
from .result import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_ROLLBACK_FAILED,
    EXIT_ROLLED_BACK,
    DeployResult,
    ImageRecord,
    Progress,
    RecordingProgress,
    StepRecord,
    StepStatus,
    format_seconds,
)
from .rollout import RolloutFailed, ServiceTarget, wait_for_rollout
from .smoke import Getter, health_urls, http_get, smoke_check
from .source import source_tag

PulumiFactory = Callable[[Path, dict[str, str]], PulumiBackend]
"""Builds the Pulumi backend for a project directory and an environment."""

SessionFactory = Callable[[str | None, str | None], Any]
"""Builds a boto3 session for (profile, region)."""

_STACK_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}(/[A-Za-z0-9_.-]{1,100}){0,2}$")
_INVALID_STEPS = frozenset({"preflight", "source", "stack", "images"})


@dataclass(frozen=True, kw_only=True)
class DeployRequest:
    """What to deploy where, and how long to wait (``proliferate-infra deploy``'s flags)."""

    source: Path
    """Checkout of the platform to build (``--source``, default the current directory)."""
    stack: str
    """Pulumi stack to deploy to (``--stack``)."""
    project_dir: Path | None = None
    """The Pulumi project (``--project-dir``). Default: ``<source>/infra/pulumi`` when it
    holds a ``Pulumi.yaml``, else the current directory when it does."""
    profile: str | None = None
    """AWS named profile (``--profile``). Default: the default credential chain."""
    allow_dirty: bool = False
    """Deploy uncommitted changes as ``<commit>-dirty-<time>`` (``--allow-dirty``)."""
    dry_run: bool = False
    """Print the plan, change nothing (``--dry-run``)."""
    migration_timeout_seconds: float = 1800
    """Longest wait for the migration task (``--migration-timeout``)."""
    rollout_timeout_seconds: float = 1200
    """Longest wait for every service to be steady on the new image (``--rollout-timeout``)."""
    smoke_timeout_seconds: float = 180
    """How long health endpoints may take to answer 200 (``--smoke-timeout``)."""
    poll_seconds: float = 10
    """Delay between two checks while waiting (``--poll-interval``)."""


def _automation(project_dir: Path, env: dict[str, str]) -> PulumiBackend:
    return AutomationPulumiBackend(project_dir, env=env)


def _boto_session(profile: str | None, region: str | None) -> Any:
    import boto3

    return boto3.Session(profile_name=profile, region_name=region)


@dataclass
class DeployDeps:
    """The outside world of a run; tests replace parts of it.

    Attributes:
        runner: runs git and docker (default: :class:`~.commands.SubprocessRunner`).
        pulumi_factory: builds the Pulumi backend (default: the Automation API).
        session_factory: builds boto3 sessions (default: ``boto3.Session``).
        http_get: GETs a health endpoint (default: ``urllib``).
        clock: monotonic seconds (default ``time.monotonic``).
        sleep: waits between checks (default ``time.sleep``).
        now: the current time, for dirty tags (default: now in UTC).
        aws_max_attempts: attempts per AWS call (standard retry mode).
    """

    runner: CommandRunner = field(default_factory=SubprocessRunner)
    pulumi_factory: PulumiFactory = _automation
    session_factory: SessionFactory = _boto_session
    http_get: Getter = http_get
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    aws_max_attempts: int = 8


def resolve_project_dir(request: DeployRequest, cwd: Path | None = None) -> Path:
    """The Pulumi project directory of ``request`` (see :attr:`DeployRequest.project_dir`).

    Raises:
        ConfigError: no ``Pulumi.yaml`` where it was looked for (``--project-dir``).
    """

    def is_project(path: Path) -> bool:
        return any((path / name).is_file() for name in ("Pulumi.yaml", "Pulumi.yml"))

    if request.project_dir is not None:
        if not is_project(request.project_dir):
            raise ConfigError(
                "--project-dir", str(request.project_dir), "a directory containing Pulumi.yaml"
            )
        return request.project_dir
    for candidate in (request.source / "infra" / "pulumi", cwd or Path.cwd()):
        if is_project(candidate):
            return candidate
    raise ConfigError(
        "--project-dir",
        None,
        f"the Pulumi project directory (none given, and neither {request.source}/infra/pulumi "
        "nor the current directory holds a Pulumi.yaml)",
    )


def validate_request(request: DeployRequest) -> None:
    """Check every flag before anything runs.

    Raises:
        ConfigError: naming the flag, the value and what is valid.
    """
    if not request.source.is_dir():
        raise ConfigError(
            "--source", str(request.source), "a directory: a checkout of the platform"
        )
    if not _STACK_RE.match(request.stack):
        raise ConfigError(
            "--stack", request.stack, "a stack name (letters, digits, _ . -; org/project/stack)"
        )
    for flag, value in (
        ("--migration-timeout", request.migration_timeout_seconds),
        ("--rollout-timeout", request.rollout_timeout_seconds),
        ("--smoke-timeout", request.smoke_timeout_seconds),
        ("--poll-interval", request.poll_seconds),
    ):
        if not value > 0:
            raise ConfigError(flag, value, "a number of seconds above 0")


class _Stop(Exception):
    """Ends a run; the result is filled in."""


class _Run:
    """One run of the steps; fills :attr:`result`."""

    def __init__(self, request: DeployRequest, deps: DeployDeps, progress: Progress) -> None:
        self.request = request
        self.deps = deps
        self.progress = progress
        self.result = DeployResult(status="failed", exit_code=EXIT_FAILED, stack=request.stack)
        self.started = deps.clock()
        self.pulumi: PulumiBackend | None = None
        self.state: StackState | None = None
        self.clients: dict[str, Any] = {}
        self.session: Any = None
        self.stack_changed = False

    # -- helpers ---------------------------------------------------------------------------

    @contextmanager
    def step(self, name: str, title: str) -> Generator[dict[str, Any]]:
        """Time a step; the body sets ``box["status"]``/``box["summary"]``; an exception
        marks it failed."""
        self.progress.step(name, title)
        began = self.deps.clock()
        box: dict[str, Any] = {"status": "ok", "summary": ""}
        try:
            yield box
        except BaseException as exc:
            box["status"] = "failed"
            box["summary"] = box["summary"] or _first_line(exc)
            raise
        finally:
            status: StepStatus = box["status"]
            record = StepRecord(name, status, self.deps.clock() - began, str(box["summary"]))
            self.result.steps.append(record)
            self.progress.finished(record)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = self.session.client(
                service, config=client_config(self.deps.aws_max_attempts)
            )
        return self.clients[service]

    def stop(self, status: Any, exit_code: int, message: str) -> NoReturn:
        self.result.status = status
        self.result.exit_code = exit_code
        self.result.message = message
        raise _Stop

    @property
    def elapsed(self) -> str:
        return format_seconds(self.deps.clock() - self.started)

    # -- the run ---------------------------------------------------------------------------

    def execute(self) -> DeployResult:
        try:
            self._steps()
        except _Stop:
            pass
        except ProliferateError as exc:
            step = getattr(exc, "step", "")
            invalid = isinstance(exc, ConfigError) or step in _INVALID_STEPS
            self.result.status = "failed"
            self.result.exit_code = EXIT_INVALID if invalid else EXIT_FAILED
            suffix = "" if invalid else self._unchanged_note()
            self.result.message = f"{exc}{suffix}"
        except KeyboardInterrupt:
            self.result.status = "failed"
            self.result.exit_code = EXIT_INTERRUPTED
            self.result.message = self._interrupted_message()
        return self.result

    def _unchanged_note(self) -> str:
        if self.stack_changed:
            return ""
        return (
            f". No service was changed: stack {self.request.stack} still runs "
            f"{self.result.previous_tag or 'what it ran before'}."
        )

    def _interrupted_message(self) -> str:
        if not self.stack_changed:
            return "Interrupted. No service was changed."
        return (
            f"Interrupted after stack {self.request.stack} was set to {self.result.tag}. Run "
            "`proliferate-infra deploy` again to finish (it builds nothing twice), or restore "
            f"the previous version: pulumi config set {IMAGE_TAG_KEY} "
            f"{self.result.previous_tag} && pulumi up"
        )

    def _steps(self) -> None:
        request = self.request
        with self.step("source", f"Commit of {request.source}") as box:
            tag = source_tag(
                request.source,
                self.deps.runner,
                allow_dirty=request.allow_dirty,
                now=self.deps.now(),
            )
            self.result.tag = tag.tag
            box["summary"] = f"tag {tag.tag}" + (
                f" ({len(tag.changed)} uncommitted changes)" if tag.dirty else ""
            )
        state = self._read_stack()
        plans = self._check_images(state, tag.tag)
        changed = tag.tag != state.image_tag
        if request.dry_run:
            self._plan(state, plans, changed)
            return
        missing = [p for p in plans if not p.exists]
        self._build(missing)
        self._push(missing)
        if changed:
            self._migrate(state, tag.tag)
            self._update(state, tag.tag)
            self._rollout(state, tag.tag, rollback=True)
        elif self._infrastructure_changed(state):
            self._rollout(state, tag.tag, rollback=False)
        self._smoke(state, tag.tag, changed)
        checks = len(self.result.smoke)
        if self.stack_changed:
            self.result.status = "deployed"
            self.result.message = (
                f"Deployed {tag.tag} to stack {request.stack} in {self.elapsed}: "
                f"{len(self.result.services)} services steady on it, {checks} health checks OK."
            )
        else:
            self.result.status = "unchanged"
            self.result.message = (
                f"Stack {request.stack} already runs {tag.tag}: nothing built, pushed or "
                f"changed; {checks} health checks OK."
            )
        self.result.exit_code = EXIT_OK

    # -- steps -----------------------------------------------------------------------------

    def _read_stack(self) -> StackState:
        request = self.request
        with self.step("stack", f"Stack {request.stack}") as box:
            project = resolve_project_dir(request)
            env: dict[str, str] = {}
            if request.profile:
                env["AWS_PROFILE"] = request.profile
            pulumi = self.deps.pulumi_factory(project, env)
            if not pulumi.is_installed():
                raise StepError(
                    "the pulumi CLI is not installed; `proliferate-infra setup` installs it",
                    step="preflight",
                )
            if not pulumi.stack_exists(request.stack):
                raise StepError(
                    f"stack {request.stack} is not in the Pulumi backend you are logged in to "
                    f"({pulumi.current_backend() or 'none'}); create it with "
                    "`proliferate-infra setup`, or log in to its backend",
                    step="stack",
                )
            pulumi.select_or_create_stack(request.stack, secrets_provider="")
            state = StackState(
                stack=request.stack,
                config=pulumi.get_all_config(request.stack),
                outputs=pulumi.outputs(request.stack),
            )
            for key in ("clusterName", "serviceNames", "serviceUrls", "workerRepositoryUrl"):
                state.require(key)
            target_from_outputs(state.outputs)
            self.pulumi, self.state = pulumi, state
            self.result.previous_tag = state.image_tag
            region_entry = state.config.get("aws:region")
            region = region_entry.value if region_entry else _region_of(state)
            self.session = self.deps.session_factory(request.profile, region)
            box["summary"] = f"runs {state.image_tag}; project {project}"
        return state

    def _check_images(self, state: StackState, tag: str) -> list[ImagePlan]:
        with self.step("images", "Images in ECR") as box:
            plans = plan_images(state, self.request.source, tag)
            ecr = self.client("ecr")
            plans = [replace(p, exists=image_exists(ecr, p)) for p in plans]
            for plan in plans:
                self.result.images.append(
                    ImageRecord(
                        service=plan.service,
                        image=plan.image,
                        action="exists" if plan.exists else "build",
                        build_command=() if plan.exists else tuple(_build_args(plan)),
                        push_command=() if plan.exists else tuple(push_command(plan.image)),
                    )
                )
            missing = [p.service for p in plans if not p.exists]
            box["summary"] = (
                f"{len(plans)} images; to build: {', '.join(missing)}"
                if missing
                else f"all {len(plans)} images for {tag} are in ECR"
            )
            for plan in plans:
                self.progress.line(
                    f"{plan.service}: {plan.image} " + ("in ECR" if plan.exists else "to build")
                )
        return plans

    def _plan(self, state: StackState, plans: list[ImagePlan], changed: bool) -> None:
        lines: list[str] = []
        missing = [p for p in plans if not p.exists]
        for plan in plans:
            if plan.exists:
                lines.append(f"skip {plan.service}: {plan.image} is in ECR")
            else:
                lines.append("build: " + " ".join(_build_args(plan)))
        for registry in sorted({p.registry for p in missing}):
            lines.append("login: " + " ".join(login_command(registry)) + " (ECR token on stdin)")
        for plan in missing:
            lines.append("push: " + " ".join(push_command(plan.image)))
        tag = self.result.tag
        if changed:
            worker = f"{state.require('workerRepositoryUrl')}:{tag}"
            lines.append(f"migrate: run the migrations task with {worker}")
            lines.append(f"update: pulumi config set {IMAGE_TAG_KEY} {tag}; pulumi up --yes")
            names = ", ".join(str(v) for v in dict(state.require("serviceNames")).values())
            lines.append(f"roll out: wait for {names} to run {tag}")
        else:
            lines.append(
                f"update: the stack runs {tag} already; pulumi up only if a preview shows changes"
            )
        for check in health_urls(
            dict(state.require("serviceUrls")), list(dict(state.require("serviceNames")))
        ):
            lines.append(f"smoke check: GET {check.url} -> 200")
        with self.step("plan", "Plan (dry run: nothing is changed)") as box:
            for line in lines:
                self.progress.line(line)
            box["status"] = "planned"
            box["summary"] = f"{len(missing)} images to build, " + (
                f"{state.image_tag} -> {tag}" if changed else f"stays on {tag}"
            )
        self.result.plan = lines
        self.stop(
            "planned",
            EXIT_OK,
            f"Dry run: would deploy {tag} to stack {self.request.stack} (now {state.image_tag}); "
            "nothing was changed.",
        )

    def _build(self, plans: list[ImagePlan]) -> None:
        with self.step("build", f"Build {len(plans)} images") as box:
            if not plans:
                box["status"], box["summary"] = "skipped", "every image is in ECR"
                return
            version = check_docker(self.deps.runner, sorted({p.platform for p in plans}))
            self.progress.line(
                f"Docker {version}, buildx, {', '.join(sorted({p.platform for p in plans}))}"
            )
            for plan in plans:
                began = self.deps.clock()

                def show(line: str, service: str = plan.service, began: float = began) -> None:
                    self.progress.waiting(
                        f"building {service}: {line.strip()[:100]}", self.deps.clock() - began
                    )

                outcome = self.deps.runner.run(
                    _build_args(plan), cwd=self.request.source, on_line=show
                )
                if not outcome.ok:
                    raise StepError(
                        f"building the {plan.service} image failed (docker exit code "
                        f"{outcome.returncode}):\n{outcome.tail(15)}\nNothing was pushed",
                        step="build",
                    )
                self._image(plan.service, "built")
                self.progress.line(
                    f"built {plan.image} ({format_seconds(self.deps.clock() - began)})"
                )
            box["summary"] = f"built {', '.join(p.service for p in plans)}"

    def _push(self, plans: list[ImagePlan]) -> None:
        with self.step("push", f"Push {len(plans)} images") as box:
            if not plans:
                box["status"], box["summary"] = "skipped", "nothing to push"
                return
            ecr = self.client("ecr")
            for registry_id in sorted({p.registry_id for p in plans}):
                registry, password = registry_password(ecr, registry_id)
                login = self.deps.runner.run(login_command(registry), stdin=password + "\n")
                if not login.ok:
                    raise StepError(
                        f"docker login to {registry} failed: {login.tail(3)}", step="push"
                    )
                self.progress.line(f"logged in to {registry} with an ECR token")
            pushed: list[str] = []
            for plan in plans:
                began = self.deps.clock()
                outcome = self.deps.runner.run(
                    push_command(plan.image),
                    on_line=lambda line, s=plan.service, b=began: self.progress.waiting(
                        f"pushing {s}: {line.strip()[:100]}", self.deps.clock() - b
                    ),
                )
                if not outcome.ok or not image_exists(ecr, plan):
                    denied = (
                        "denied" in outcome.output.lower()
                        or "not authorized" in outcome.output.lower()
                    )
                    hint = (
                        "; ECR refused it: the identity needs ecr:InitiateLayerUpload, "
                        "ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage and "
                        "ecr:BatchCheckLayerAvailability on the repository"
                        if denied
                        else ""
                    )
                    kept = (
                        f". Already pushed (kept, a rerun skips them): {', '.join(pushed)}"
                        if pushed
                        else ""
                    )
                    detail = (
                        outcome.tail(6)
                        if not outcome.ok
                        else "ECR does not list the tag after the push"
                    )
                    raise StepError(
                        f"pushing {plan.image} failed{hint}:\n{detail}{kept}", step="push"
                    )
                pushed.append(plan.service)
                self._image(plan.service, "pushed")
                self.progress.line(
                    f"pushed {plan.image} ({format_seconds(self.deps.clock() - began)})"
                )
            box["summary"] = f"pushed {', '.join(pushed)}"

    def _migrate(self, state: StackState, tag: str) -> None:
        request = self.request
        ecs, logs = self.client("ecs"), self.client("logs")
        repository = str(state.require("workerRepositoryUrl"))
        image = f"{repository}:{tag}"
        with self.step("migrate", f"Migrations with {image}") as box:
            target = target_from_outputs(state.outputs)
            revision = register_revision(
                ecs, target.task_definition_arn, image, repository=repository
            )
            try:
                outcome = run_migrations(
                    ecs,
                    logs,
                    replace(target, task_definition_arn=revision),
                    echo=lambda line: self.progress.line(line.strip()),
                    timeout_seconds=request.migration_timeout_seconds,
                    poll_seconds=request.poll_seconds,
                    sleep=self.deps.sleep,
                    started_by="proliferate-deploy",
                    on_poll=lambda waited, status: self.progress.waiting(
                        f"migration task {status or 'starting'}", waited
                    ),
                )
            finally:
                deregister_revision(ecs, revision)
            self.result.migration = {
                "taskArn": outcome.task_arn,
                "exitCode": outcome.exit_code,
                "stoppedReason": outcome.stopped_reason,
                "logTail": list(outcome.log_tail),
            }
            for line in outcome.log_tail:
                self.progress.line(f"| {line}")
            if not outcome.succeeded:
                box["summary"] = f"exit code {outcome.exit_code}"
                raise StepError(
                    f"the migrations failed with exit code {outcome.exit_code} "
                    f"({outcome.stopped_reason or 'no reason given'}); the end of the task's "
                    "log is above (CloudWatch)",
                    step="migrate",
                )
            box["summary"] = f"exit code 0 ({outcome.task_arn.rsplit('/', 1)[-1]})"

    def _update(self, state: StackState, tag: str) -> None:
        assert self.pulumi is not None
        pulumi = self.pulumi
        failure: str | None = None
        with self.step("update", f"pulumi up with {IMAGE_TAG_KEY}={tag}") as box:
            pulumi.set_config(self.request.stack, IMAGE_TAG_KEY, tag, secret=False)
            self.stack_changed = True
            try:
                changes = pulumi.up(self.request.stack, on_output=self._pulumi_line)
            except StepError as exc:
                failure = str(exc)
                box["status"], box["summary"] = "failed", _first_line(exc)
            else:
                box["summary"] = _changes(changes)
        if failure is not None:
            self._rollback(state, tag, f"pulumi up failed: {failure}")

    def _infrastructure_changed(self, state: StackState) -> bool:
        assert self.pulumi is not None
        pulumi = self.pulumi
        with self.step("update", f"Stack already set to {state.image_tag}: pulumi preview") as box:
            preview = pulumi.preview(self.request.stack, on_output=self._pulumi_line)
            if not has_changes(preview):
                box["status"], box["summary"] = "skipped", f"no changes ({_changes(preview)})"
                return False
            self.stack_changed = True
            try:
                changes = pulumi.up(self.request.stack, on_output=self._pulumi_line)
            except StepError as exc:
                box["status"], box["summary"] = "failed", _first_line(exc)
                failure = str(exc)
            else:
                box["summary"] = f"infrastructure only: {_changes(changes)}"
                return True
        self.stop(
            "rollback-failed",
            EXIT_ROLLBACK_FAILED,
            f"{failure}\nThe image tag did not change ({state.image_tag}): only the "
            "infrastructure did, so there is no earlier version to restore. Fix or revert the "
            "infrastructure change and run `pulumi up`.",
        )

    def _pulumi_line(self, line: str) -> None:
        text = line.rstrip()
        if text:
            self.progress.waiting(f"pulumi: {text[:100]}", self.deps.clock() - self.started)

    def _targets(self, state: StackState, tag: str) -> list[ServiceTarget]:
        names: dict[str, Any] = dict(state.require("serviceNames"))
        targets: list[ServiceTarget] = []
        for service, ecs_name in names.items():
            if service not in PLATFORM_SERVICES or not ecs_name:
                continue
            repository = state.output(_repository_output(PLATFORM_SERVICES[service].image_service))
            if repository:
                targets.append(ServiceTarget(service, str(ecs_name), f"{repository}:{tag}"))
        return targets

    def _rollout(self, state: StackState, tag: str, *, rollback: bool) -> None:
        targets = self._targets(state, tag)
        with self.step("rollout", f"Roll out {len(targets)} services") as box:
            try:
                statuses = self._wait(state, targets, tag)
            except RolloutFailed as exc:
                self.result.services = list(exc.statuses)
                box["status"], box["summary"] = "failed", exc.reason
                failure = exc.reason
            else:
                self.result.services = statuses
                box["summary"] = f"{len(statuses)} services steady on {tag}"
                return
        if rollback:
            self._rollback(state, tag, f"the rollout failed: {failure}")
        self.stop(
            "rollback-failed",
            EXIT_ROLLBACK_FAILED,
            f"The rollout of an infrastructure change failed: {failure}. The image tag did "
            f"not change ({tag}), so there is no earlier version to restore: ECS's circuit "
            "breaker returns each failed service to its previous task definition; revert the "
            "infrastructure change and run `pulumi up`.",
        )

    def _wait(self, state: StackState, targets: list[ServiceTarget], tag: str) -> list[Any]:
        cluster = str(state.require("clusterName"))

        def show(elapsed: float, statuses: Any) -> None:
            pending = [f"{s.service} {s.detail}" for s in statuses if not s.steady]
            self.progress.waiting(f"ECS services on {tag}: " + "; ".join(pending), elapsed)

        return wait_for_rollout(
            self.client("ecs"),
            cluster,
            targets,
            timeout_seconds=self.request.rollout_timeout_seconds,
            poll_seconds=self.request.poll_seconds,
            on_wait=show,
            clock=self.deps.clock,
            sleep=self.deps.sleep,
        )

    def _smoke(self, state: StackState, tag: str, changed: bool) -> None:
        checks = health_urls(
            dict(state.require("serviceUrls")), list(dict(state.require("serviceNames")))
        )
        with self.step("smoke", f"Smoke-check {len(checks)} health endpoints") as box:
            results = smoke_check(
                checks,
                deadline_seconds=self.request.smoke_timeout_seconds,
                poll_seconds=self.request.poll_seconds,
                get=self.deps.http_get,
                on_wait=lambda elapsed, rs: self.progress.waiting(
                    "health endpoints: "
                    + ", ".join(f"{r.service} {r.status or r.detail}" for r in rs if not r.ok),
                    elapsed,
                ),
                clock=self.deps.clock,
                sleep=self.deps.sleep,
            )
            self.result.smoke = results
            for check in results:
                self.progress.line(
                    f"{check.service}: GET {check.url} -> {check.status or check.detail}"
                )
            bad = [r for r in results if not r.ok]
            if not bad:
                box["summary"] = f"{len(results)} endpoints answered 200"
                return
            failure = "; ".join(
                f"{r.service} {r.url} answered {r.status if r.status is not None else r.detail}"
                for r in bad
            )
            box["status"], box["summary"] = "failed", failure
        if self.stack_changed and changed:
            self._rollback(state, tag, f"the smoke check failed: {failure}")
        self.stop(
            "failed",
            EXIT_FAILED if not self.stack_changed else EXIT_ROLLBACK_FAILED,
            f"The smoke check failed: {failure}. "
            + (
                f"Stack {self.request.stack} runs {tag}; this run changed nothing (see the "
                "service logs: docs/self-hosting.md#where-the-logs-are)."
                if not self.stack_changed
                else f"The image tag did not change ({tag}), so there is nothing to roll back to."
            ),
        )

    def _rollback(self, state: StackState, tag: str, reason: str) -> None:
        assert self.pulumi is not None
        pulumi = self.pulumi
        previous = state.image_tag
        self.result.rollback_reason = reason
        manual = (
            f"pulumi config set {IMAGE_TAG_KEY} {previous} && pulumi up (stack "
            f"{self.request.stack})"
        )
        with self.step("rollback", f"Roll back to {previous}") as box:
            ecr = self.client("ecr")
            earlier = [
                replace(p, tag=previous) for p in plan_images(state, self.request.source, previous)
            ]
            absent = [p.service for p in earlier if not image_exists(ecr, p)]
            if absent:
                box["status"], box["summary"] = (
                    "failed",
                    f"no {previous} image for {', '.join(absent)}",
                )
                self.stop(
                    "rollback-failed",
                    EXIT_ROLLBACK_FAILED,
                    f"NOT ROLLED BACK: {reason}. The previous tag {previous} has no image in ECR "
                    f"for {', '.join(absent)}, so there is no earlier version to return to; "
                    f"stack {self.request.stack} stays on {tag}. Fix the cause and deploy again, "
                    f"or point the stack at a tag that exists: {manual.replace(previous, '<tag>')}.",
                )
            try:
                pulumi.set_config(self.request.stack, IMAGE_TAG_KEY, previous, secret=False)
                pulumi.up(self.request.stack, on_output=self._pulumi_line)
                statuses = self._wait(state, self._targets(state, previous), previous)
            except (StepError, RolloutFailed) as exc:
                box["status"], box["summary"] = "failed", _first_line(exc)
                self.stop(
                    "rollback-failed",
                    EXIT_ROLLBACK_FAILED,
                    f"ROLLBACK FAILED: {reason}. Restoring {previous} failed too: "
                    f"{_first_line(exc)}. Check the services (aws ecs describe-services) and "
                    f"run: {manual}",
                )
            self.result.services = statuses
            box["summary"] = f"{len(statuses)} services steady on {previous}"
        self.stop(
            "rolled-back",
            EXIT_ROLLED_BACK,
            f"ROLLED BACK to {previous}: {reason}. Stack {self.request.stack} runs {previous} "
            f"again; the {tag} images stay in ECR for inspection. Fix the cause and deploy again.",
        )

    def _image(self, service: str, action: Any) -> None:
        self.result.images = [
            replace(r, action=action) if r.service == service else r for r in self.result.images
        ]


def run_deploy(
    request: DeployRequest, deps: DeployDeps | None = None, progress: Progress | None = None
) -> DeployResult:
    """Deploy ``request.source`` to ``request.stack``; see the module docstring.

    Never raises for an input error or a failed step: the result's ``exit_code`` and
    ``message`` say what happened (``KeyboardInterrupt`` gives exit code 130).
    """
    try:
        validate_request(request)
    except ConfigError as exc:
        return DeployResult(
            status="failed", exit_code=EXIT_INVALID, stack=request.stack, message=str(exc)
        )
    run = _Run(request, deps or DeployDeps(), progress or RecordingProgress())
    return run.execute()


def _build_args(plan: ImagePlan) -> list[str]:
    return build_command(
        image=plan.image,
        context=plan.context,
        dockerfile=plan.dockerfile,
        platform=plan.platform,
        build_args=plan.build_args,
    )


def _repository_output(service: str) -> str:
    from ..contract import REPOSITORY_OUTPUTS

    return dict(REPOSITORY_OUTPUTS)[service]


def _region_of(state: StackState) -> str | None:
    url = state.output("workerRepositoryUrl")
    parts = str(url or "").split("/", 1)[0].split(".")
    return parts[3] if len(parts) > 3 and parts[1] == "dkr" else None


def _changes(summary: Mapping[str, int]) -> str:
    return (
        ", ".join(f"{count} {op}" for op, count in sorted(summary.items()) if count) or "no changes"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
