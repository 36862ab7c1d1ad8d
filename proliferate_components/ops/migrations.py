"""The one-off migration task: run it on ECS from the stack's four ``migrations*`` outputs.

The task runs in the private subnets with the database credentials delivered by ECS from
Secrets Manager, so the machine running the wizard never holds them. The wizard waits for
the task to stop, reports the exit code of its essential container and prints the end of
its CloudWatch log. ``proliferate-infra deploy`` runs the same task with a revision of its
task definition that holds the image being deployed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .aws_errors import aws_errors
from .errors import StepError
from .pulumi_backend import OutputEntry

STEP = "migrations"

OUTPUT_KEYS = (
    "migrationsClusterArn",
    "migrationsTaskDefinitionArn",
    "migrationsSubnetIds",
    "migrationsSecurityGroupIds",
)
"""The stack outputs the migration task needs."""

DEFAULT_TIMEOUT_SECONDS = 1800
DEFAULT_POLL_SECONDS = 6
LOG_TAIL_LINES = 30


@dataclass(frozen=True)
class MigrationTarget:
    """Where and what to run, from the stack outputs."""

    cluster_arn: str
    task_definition_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class MigrationResult:
    """How the task ended.

    Attributes:
        task_arn: the task.
        exit_code: exit code of the essential container (None if it never ran).
        stopped_reason: ECS's reason for stopping the task.
        log_tail: the last lines of its CloudWatch log (may be empty).
    """

    task_arn: str
    exit_code: int | None
    stopped_reason: str
    log_tail: tuple[str, ...]

    @property
    def succeeded(self) -> bool:
        """True when the container exited with 0."""
        return self.exit_code == 0


def target_from_outputs(outputs: Mapping[str, OutputEntry]) -> MigrationTarget:
    """Read the four ``migrations*`` outputs.

    Raises:
        StepError: an output is missing or empty.
    """
    missing = [key for key in OUTPUT_KEYS if not (key in outputs and outputs[key].value)]
    if missing:
        raise StepError(
            "the stack has no " + ", ".join(missing) + " output; deploy a stack built with "
            "ProliferateStack (pulumi up) before running migrations",
            step=STEP,
        )

    def ids(key: str) -> tuple[str, ...]:
        value: Any = outputs[key].value
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return tuple(str(v) for v in value)

    return MigrationTarget(
        cluster_arn=str(outputs["migrationsClusterArn"].value),
        task_definition_arn=str(outputs["migrationsTaskDefinitionArn"].value),
        subnet_ids=ids("migrationsSubnetIds"),
        security_group_ids=ids("migrationsSecurityGroupIds"),
    )


def task_outcome(
    task: Mapping[str, Any], essential: set[str] | None = None
) -> tuple[int | None, str]:
    """Exit code and stop reason of a stopped task (``describe_tasks`` item).

    The exit code is the first non-zero one of the essential containers (all containers when
    ``essential`` is None), else 0; None when no container reported one.
    """
    codes: list[int] = []
    for container in task.get("containers", []):
        if essential is not None and container.get("name") not in essential:
            continue
        if container.get("exitCode") is not None:
            codes.append(int(container["exitCode"]))
    reason = str(task.get("stoppedReason", "") or task.get("stopCode", ""))
    if not codes:
        return None, reason
    failed = [c for c in codes if c != 0]
    return (failed[0] if failed else 0), reason


def run_migrations(
    ecs: Any,
    logs: Any,
    target: MigrationTarget,
    *,
    echo: Callable[[str], None],
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    started_by: str = "proliferate-setup",
    on_poll: Callable[[float, str], None] | None = None,
) -> MigrationResult:
    """Start the task, wait for it to stop, and collect exit code and log tail.

    ``on_poll`` receives the seconds waited so far and the task's last status after each
    check (for a progress display).

    Raises:
        StepError: ECS refused to start it, or it did not stop within ``timeout_seconds``.
    """
    with aws_errors("starting the migration task", step=STEP):
        definition = ecs.describe_task_definition(taskDefinition=target.task_definition_arn)[
            "taskDefinition"
        ]
        started = ecs.run_task(
            cluster=target.cluster_arn,
            taskDefinition=target.task_definition_arn,
            launchType="FARGATE",
            count=1,
            startedBy=started_by,
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": list(target.subnet_ids),
                    "securityGroups": list(target.security_group_ids),
                    "assignPublicIp": "DISABLED",
                }
            },
        )
    if started.get("failures") or not started.get("tasks"):
        reasons = "; ".join(
            f"{f.get('arn', '')} {f.get('reason', '')}".strip() for f in started.get("failures", [])
        )
        raise StepError(f"ECS did not start the migration task: {reasons or 'no task'}", step=STEP)
    task_arn = str(started["tasks"][0]["taskArn"])
    echo(f"  migration task {task_arn} started; waiting for it to finish")
    waited = 0.0
    task: Mapping[str, Any] = {}
    while True:
        with aws_errors("waiting for the migration task", step=STEP):
            task = ecs.describe_tasks(cluster=target.cluster_arn, tasks=[task_arn])["tasks"][0]
        if task.get("lastStatus") == "STOPPED":
            break
        if on_poll is not None:
            on_poll(waited, str(task.get("lastStatus", "")))
        if waited >= timeout_seconds:
            raise StepError(
                f"the migration task {task_arn} did not finish within {timeout_seconds} s; "
                "it keeps running; follow it in the ECS console",
                step=STEP,
            )
        sleep(poll_seconds)
        waited += poll_seconds
    essential = {
        str(c["name"])
        for c in definition.get("containerDefinitions", [])
        if c.get("essential", True)
    }
    exit_code, reason = task_outcome(task, essential or None)
    tail = _log_tail(logs, definition, task_arn)
    return MigrationResult(
        task_arn=task_arn, exit_code=exit_code, stopped_reason=reason, log_tail=tail
    )


def _log_tail(logs: Any, definition: Mapping[str, Any], task_arn: str) -> tuple[str, ...]:
    """The last lines of the essential container's awslogs stream (empty if unavailable)."""
    from botocore.exceptions import BotoCoreError, ClientError

    task_id = task_arn.rsplit("/", 1)[-1]
    for container in definition.get("containerDefinitions", []):
        config: Any = container.get("logConfiguration") or {}
        options: Any = config.get("options") or {}
        if config.get("logDriver") != "awslogs" or "awslogs-group" not in options:
            continue
        prefix: Any = options.get("awslogs-stream-prefix")
        if not prefix:
            continue
        stream = f"{prefix}/{container['name']}/{task_id}"
        try:
            events = logs.get_log_events(
                logGroupName=options["awslogs-group"],
                logStreamName=stream,
                limit=LOG_TAIL_LINES,
                startFromHead=False,
            ).get("events", [])
        except (ClientError, BotoCoreError):
            return ()
        return tuple(str(e.get("message", "")).rstrip("\n") for e in events)
    return ()
