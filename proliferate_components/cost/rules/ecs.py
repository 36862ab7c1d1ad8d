"""Amazon ECS on Fargate: tasks priced per vCPU-hour and GB-hour, Container Insights.

An ECS service is priced from the task definition it runs (found through its dependency on
it, as registered) and its task count (``desiredCount``, or the autoscaling target's
``minCapacity`` when higher). A Fargate task definition no service runs is priced as one-off
tasks (``monthly_task_hours``). A cluster costs nothing unless Container Insights is on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..resources import CostResource
from .base import Free, NotPriced, Outcome, Priced, PricingContext, Rule, number

__all__ = ["RULES", "FargateSize", "fargate_size"]

SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
CLUSTER = "aws:ecs/cluster:Cluster"
SCALING_TARGET = "aws:appautoscaling/target:Target"
_FREE_EPHEMERAL_GIB = 20.0
_INSIGHTS_CLUSTER_METRICS = 15
_INSIGHTS_SERVICE_METRICS = 26
_CPU_TEXT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*vcpus?\s*$", re.IGNORECASE)
_MEMORY_TEXT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*gb\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class FargateSize:
    """What one Fargate task of a task definition is billed for."""

    vcpu: float
    memory_gb: float
    arm: bool
    extra_ephemeral_gb: float
    """Ephemeral storage above the free 20 GiB."""


def fargate_size(task: CostResource) -> FargateSize | str:
    """The billed size of one task of ``task``, or why it cannot be priced."""
    family = _platform(task).get("operatingSystemFamily", "LINUX")
    if str(family).upper().startswith("WINDOWS"):
        return "Windows tasks are not in the price table"
    cpu = _cpu_vcpus(task.input("cpu"))
    memory = _memory_gb(task.input("memory"))
    if cpu is None or memory is None:
        return "the task definition sets no task-level cpu and memory (or they are unknown)"
    size = number(task.input_map("ephemeralStorage").get("sizeInGib"))
    extra = max(0.0, (size or _FREE_EPHEMERAL_GIB) - _FREE_EPHEMERAL_GIB)
    arch = str(_platform(task).get("cpuArchitecture", "X86_64")).upper()
    return FargateSize(vcpu=cpu, memory_gb=memory, arm=arch == "ARM64", extra_ephemeral_gb=extra)


def _platform(task: CostResource) -> Mapping[str, Any]:
    return task.input_map("runtimePlatform")


def _cpu_vcpus(value: Any) -> float | None:
    if isinstance(value, str):
        match = _CPU_TEXT.match(value)
        if match:
            return float(match.group(1))
    units = number(value)
    return None if units is None or units <= 0 else units / 1024


def _memory_gb(value: Any) -> float | None:
    if isinstance(value, str):
        match = _MEMORY_TEXT.match(value)
        if match:
            return float(match.group(1))
    mib = number(value)
    return None if mib is None or mib <= 0 else mib / 1024


def _fargate_lines(
    ctx: PricingContext, size: FargateSize, task_hours: float, what: str, *assumptions: Any
) -> list[Any]:
    arch = "arm" if size.arm else "x86"
    label = "ARM" if size.arm else "x86"
    lines = [
        ctx.line(
            "vcpu",
            f"Fargate vCPU-hours ({label}, {size.vcpu:g} vCPU x {what})",
            size.vcpu * task_hours,
            "vCPU-hours",
            f"fargate.{arch}_vcpu_hour",
            *assumptions,
        ),
        ctx.line(
            "memory",
            f"Fargate GB-hours ({label}, {size.memory_gb:g} GB x {what})",
            size.memory_gb * task_hours,
            "GB-hours",
            f"fargate.{arch}_gb_hour",
            *assumptions,
        ),
    ]
    if size.extra_ephemeral_gb > 0:
        lines.append(
            ctx.line(
                "ephemeral",
                f"Fargate ephemeral storage above 20 GB ({size.extra_ephemeral_gb:g} GB x {what})",
                size.extra_ephemeral_gb * task_hours,
                "GB-hours",
                "fargate.ephemeral_gb_hour",
                *assumptions,
            )
        )
    return lines


def service(r: CostResource, ctx: PricingContext) -> Outcome:
    """Fargate vCPU, memory (and extra ephemeral storage) for the average task count."""
    launch = r.input("launchType")
    providers = {str(s.get("capacityProvider")) for s in r.input_maps("capacityProviderStrategies")}
    if launch in ("EC2", "EXTERNAL") or (providers and not providers & {"FARGATE", "FARGATE_SPOT"}):
        return Free("its tasks run on EC2 or external capacity, billed as those instances")
    if "FARGATE_SPOT" in providers:
        return NotPriced("Fargate Spot prices vary and are not in the price table")
    tasks_found = ctx.stack.dependencies_of(r, TASK_DEFINITION, prop="taskDefinition")
    if len(tasks_found) != 1:
        return NotPriced("the task definition it runs is not among the program's resources")
    task = tasks_found[0]
    size = fargate_size(task)
    if isinstance(size, str):
        return NotPriced(size)
    if (
        launch is None
        and not providers
        and "FARGATE" not in task.input_list("requiresCompatibilities")
    ):
        return NotPriced("no launch type or capacity provider says it runs on Fargate")
    desired = number(r.input("desiredCount")) or 0.0
    detail = f"desiredCount {desired:g}"
    for target in ctx.stack.dependents_of(r, SCALING_TARGET):
        minimum = number(target.input("minCapacity"))
        if minimum is not None and minimum > desired:
            desired, detail = minimum, f"autoscaling minCapacity {minimum:g} ({target.name})"
    count = ctx.figure(r, "average_task_count", derived=desired, detail=detail)
    hours = ctx.hours(r)
    task_hours = count.value * hours.value
    what = f"{count.value:g} task{'s' if count.value != 1 else ''}"
    lines = _fargate_lines(ctx, size, task_hours, what, count, hours)
    if r.input_map("networkConfiguration").get("assignPublicIp") is True:
        lines.append(
            ctx.public_ipv4_line(
                f"Public IPv4 address hours (one per task, {what})",
                task_hours,
                count,
                hours,
            )
        )
    return Priced(tuple(lines), notes=(f"runs {task.name}",))


def task_definition(r: CostResource, ctx: PricingContext) -> Outcome:
    """Free when a service runs it (priced there); else one-off Fargate tasks."""
    if ctx.stack.dependents_of(r, SERVICE):
        return Free("billed as the tasks of the ECS service that runs it")
    if "FARGATE" not in r.input_list("requiresCompatibilities"):
        return Free("a task definition has no charge; tasks on EC2 are billed as instances")
    size = fargate_size(r)
    if isinstance(size, str):
        return NotPriced(size)
    hours = ctx.figure(r, "monthly_task_hours")
    lines = _fargate_lines(ctx, size, hours.value, f"{hours.value:g} task-hours", hours)
    return Priced(tuple(lines), notes=("run as one-off tasks: no ECS service runs it",))


def cluster(r: CostResource, ctx: PricingContext) -> Outcome:
    """Free, except Container Insights: CloudWatch custom metrics and performance logs."""
    insights = "disabled"
    for setting in r.input_maps("settings"):
        if setting.get("name") == "containerInsights":
            insights = str(setting.get("value"))
    if insights == "disabled":
        return Free("an ECS cluster has no charge (its tasks are priced on their services)")
    if insights != "enabled":
        return Priced(
            (),
            unpriced=(f"Container Insights {insights} (priced per observation, not in the table)",),
        )
    services = ctx.stack.dependents_of(r, SERVICE)
    derived = float(_INSIGHTS_CLUSTER_METRICS + _INSIGHTS_SERVICE_METRICS * len(services))
    metrics = ctx.figure(
        r,
        "container_insights_metrics",
        derived=derived,
        detail=f"{_INSIGHTS_CLUSTER_METRICS} + {_INSIGHTS_SERVICE_METRICS} x {len(services)} services",
    )
    logs = ctx.figure(r, "container_insights_log_gb")
    return Priced(
        (
            ctx.line(
                "insights-metrics",
                "Container Insights metrics",
                metrics.value,
                "metrics",
                "cloudwatch.metric_month",
                metrics,
            ),
            ctx.line(
                "insights-logs",
                "Container Insights performance logs ingested",
                logs.value,
                "GB",
                "cloudwatch.logs_ingested_gb",
                logs,
            ),
        )
    )


RULES: Mapping[str, Rule] = {
    SERVICE: service,
    TASK_DEFINITION: task_definition,
    CLUSTER: cluster,
}
