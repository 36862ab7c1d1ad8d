"""Waiting for ECS services to run the new image, and telling a slow rollout from a failed one.

A service is **steady on the new image** when its deployments are exactly one PRIMARY
deployment whose task definition runs the expected image, with as many running tasks as
desired and (where ECS reports it) ``rolloutState`` ``COMPLETED``: what ``aws ecs wait
services-stable`` checks, plus the image. It has **failed** when a deployment of the new
image reports ``rolloutState`` ``FAILED`` (the stack's services run the deployment circuit
breaker with rollback, so ECS then returns to the previous task definition by itself), or
when the service no longer points at the new image at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..ops.aws_errors import aws_errors

STEP = "rollout"


@dataclass(frozen=True)
class ServiceTarget:
    """One ECS service and the image it must end up running."""

    service: str
    ecs_name: str
    image: str


@dataclass(frozen=True)
class ServiceStatus:
    """Where one service's rollout stands.

    Attributes:
        service: the platform service.
        ecs_name: the ECS service.
        steady: running the expected image, nothing else in flight.
        failed: the rollout of the expected image failed (or the service left it).
        running: running tasks of the primary deployment.
        desired: desired tasks.
        detail: what ECS says, in a few words.
    """

    service: str
    ecs_name: str
    steady: bool
    failed: bool
    running: int
    desired: int
    detail: str

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "service": self.service,
            "ecsService": self.ecs_name,
            "steady": self.steady,
            "failed": self.failed,
            "running": self.running,
            "desired": self.desired,
            "detail": self.detail,
        }


class RolloutFailed(Exception):
    """The services did not all become steady on the expected image.

    Attributes:
        reason: one sentence for the user.
        statuses: the last status of every service.
    """

    def __init__(self, reason: str, statuses: Sequence[ServiceStatus]) -> None:
        self.reason = reason
        self.statuses = tuple(statuses)
        super().__init__(reason)


def classify(
    target: ServiceTarget, service: Mapping[str, Any], images: Callable[[str], set[str]]
) -> ServiceStatus:
    """The status of one ``describe_services`` entry; ``images`` gives the container images
    of a task definition ARN."""
    deployments: list[Mapping[str, Any]] = list(service.get("deployments", []))
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    desired = int(service.get("desiredCount", 0))

    def status(steady: bool, failed: bool, running: int, detail: str) -> ServiceStatus:
        return ServiceStatus(
            target.service, target.ecs_name, steady, failed, running, desired, detail
        )

    if service.get("status") not in (None, "ACTIVE"):
        return status(False, True, 0, f"the ECS service is {service.get('status')}")
    for deployment in deployments:
        if deployment.get("rolloutState") == "FAILED" and target.image in images(
            str(deployment.get("taskDefinition", ""))
        ):
            reason = deployment.get("rolloutStateReason") or "the deployment failed"
            return status(False, True, 0, f"ECS stopped the rollout: {reason}")
    if target.image not in images(str(service.get("taskDefinition", ""))):
        return status(
            False,
            True,
            0,
            f"the service no longer runs {target.image} (ECS rolled it back to "
            f"{service.get('taskDefinition', '?')})",
        )
    if primary is None:
        return status(False, False, 0, "no primary deployment yet")
    running = int(primary.get("runningCount", 0))
    on_new = target.image in images(str(primary.get("taskDefinition", "")))
    rollout = primary.get("rolloutState")
    if not on_new:
        return status(False, False, running, "the new deployment has not started")
    if len(deployments) > 1:
        return status(False, False, running, f"{running}/{desired} new tasks, old tasks draining")
    if running < desired or rollout not in (None, "COMPLETED"):
        return status(False, False, running, f"{running}/{desired} new tasks running")
    return status(True, False, running, f"{running}/{desired} tasks on the new image")


def service_statuses(
    ecs: Any, cluster: str, targets: Sequence[ServiceTarget]
) -> list[ServiceStatus]:
    """One ``describe_services`` round for every target (read-only)."""
    cache: dict[str, set[str]] = {}

    def images(arn: str) -> set[str]:
        if not arn:
            return set()
        if arn not in cache:
            with aws_errors(f"reading task definition {arn}", step=STEP):
                definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
            cache[arn] = {
                str(c.get("image", "")) for c in definition.get("containerDefinitions", [])
            }
        return cache[arn]

    by_name = {t.ecs_name: t for t in targets}
    found: dict[str, Mapping[str, Any]] = {}
    names = list(by_name)
    for start in range(0, len(names), 10):  # DescribeServices takes up to 10 services
        with aws_errors("reading the ECS services", step=STEP):
            page = ecs.describe_services(cluster=cluster, services=names[start : start + 10])
        for item in page.get("services", []):
            found[str(item.get("serviceName"))] = item
    out: list[ServiceStatus] = []
    for target in targets:
        item = found.get(target.ecs_name)
        if item is None:
            out.append(
                ServiceStatus(
                    target.service, target.ecs_name, False, True, 0, 0, "ECS service not found"
                )
            )
        else:
            out.append(classify(target, item, images))
    return out


def wait_for_rollout(
    ecs: Any,
    cluster: str,
    targets: Sequence[ServiceTarget],
    *,
    timeout_seconds: float,
    poll_seconds: float,
    on_wait: Callable[[float, Sequence[ServiceStatus]], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ServiceStatus]:
    """Poll until every target is steady on its image.

    Raises:
        RolloutFailed: a rollout failed, or not all were steady within ``timeout_seconds``.
    """
    started = clock()
    while True:
        statuses = service_statuses(ecs, cluster, targets)
        failed = [s for s in statuses if s.failed]
        if failed:
            raise RolloutFailed(
                "; ".join(f"{s.service} ({s.ecs_name}): {s.detail}" for s in failed), statuses
            )
        if all(s.steady for s in statuses):
            return statuses
        elapsed = clock() - started
        if elapsed >= timeout_seconds:
            pending = [s for s in statuses if not s.steady]
            raise RolloutFailed(
                f"not steady after {int(timeout_seconds)} s: "
                + "; ".join(f"{s.service} ({s.detail})" for s in pending),
                statuses,
            )
        if on_wait is not None:
            on_wait(elapsed, statuses)
        sleep(poll_seconds)
