"""ECS rules: secrets come from Secrets Manager, containers log, are unprivileged and private."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .rule import ConfigProperty, Resource, ResourceRule, resource_rule
from .values import flag, is_unknown, items, json_list, mapping, text

CLUSTER = "aws:ecs/cluster:Cluster"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"

SECRET_NAME_PATTERN = r"KEY|SECRET|TOKEN|PASSWORD|PRIVATE|CREDENTIAL|DATABASE_URL|REDIS_URL"
"""Environment variable names that look like secrets (case-insensitive substring match)."""


def _containers(r: Resource) -> list[Mapping[str, Any]] | None:
    """The task definition's containers (None when the JSON is unknown during a preview)."""
    return json_list(r.props.get("containerDefinitions"))


def _container_name(c: Mapping[str, Any], index: int) -> str:
    return text(c.get("name")) or f"#{index}"


@resource_rule(
    id="proliferate-ecs-no-plaintext-secrets",
    service="ecs",
    types=(TASK_DEFINITION,),
    description="Task definitions pass secrets through `secrets` (Secrets Manager/SSM), never plaintext `environment`",
    severity="critical",
    enforcement="mandatory",
    remediation=(
        "move the variable from environment to the container's secrets list "
        "({name, valueFrom: '<secret-arn>:<json-key>::'}) and grant the execution role "
        "secretsmanager:GetSecretValue on that secret"
    ),
    config=(
        ConfigProperty(
            "allowedNames",
            "array",
            (),
            "Variable names that match the secret pattern but hold no secret (e.g. PUBLIC_KEY_URL).",
            items_type="string",
        ),
    ),
    equivalents=("cdk-nag:AwsSolutions-ECS2",),
)
def no_plaintext_secrets(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """No environment entry whose name matches :data:`SECRET_NAME_PATTERN`."""
    containers = _containers(r)
    if containers is None:
        return
    allowed = {str(n) for n in items(config.get("allowedNames"))}
    pattern = re.compile(SECRET_NAME_PATTERN, re.IGNORECASE)
    for i, c in enumerate(containers):
        for entry in items(c.get("environment")):
            name = text(mapping(entry).get("name")) or ""
            if name and name not in allowed and pattern.search(name):
                yield (
                    f"{r.label} container {_container_name(c, i)!r} passes {name} as plaintext "
                    "environment (visible to anyone who can describe the task definition)"
                )


@resource_rule(
    id="proliferate-ecs-awslogs",
    service="ecs",
    types=(TASK_DEFINITION,),
    description="Every container sends its logs to CloudWatch Logs (awslogs or FireLens)",
    severity="medium",
    enforcement="advisory",
    remediation=(
        "set logConfiguration={logDriver: 'awslogs', options: {awslogs-group, awslogs-region, "
        "awslogs-stream-prefix}} on the container, with a log group that has a retention"
    ),
    equivalents=("cdk-nag:AwsSolutions-ECS7",),
)
def awslogs(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """logConfiguration.logDriver is awslogs or awsfirelens."""
    containers = _containers(r)
    if containers is None:
        return
    for i, c in enumerate(containers):
        driver = text(mapping(c.get("logConfiguration")).get("logDriver"))
        if driver not in {"awslogs", "awsfirelens"}:
            yield f"{r.label} container {_container_name(c, i)!r} has log driver {driver!r}"


@resource_rule(
    id="proliferate-ecs-not-privileged",
    service="ecs",
    types=(TASK_DEFINITION,),
    description="No container runs privileged",
    severity="high",
    enforcement="mandatory",
    remediation="remove privileged: true from the container definition (Fargate rejects it anyway)",
    equivalents=("securityhub:ECS.4",),
)
def not_privileged(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """privileged is not true on any container."""
    for i, c in enumerate(_containers(r) or []):
        if flag(c.get("privileged")) is True:
            yield f"{r.label} container {_container_name(c, i)!r} is privileged"


@resource_rule(
    id="proliferate-ecs-container-insights",
    service="ecs",
    types=(CLUSTER,),
    description="ECS clusters have CloudWatch Container Insights enabled",
    severity="low",
    enforcement="advisory",
    remediation="add settings=[{name: 'containerInsights', value: 'enabled'}] (or 'enhanced') to the cluster",
    equivalents=("cdk-nag:AwsSolutions-ECS4", "checkov:CKV_AWS_65"),
)
def container_insights(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """settings containerInsights in (enabled, enhanced)."""
    settings = r.props.get("settings")
    if is_unknown(settings):
        return
    for s in items(settings):
        entry = mapping(s)
        if text(entry.get("name")) == "containerInsights":
            value = text(entry.get("value"))
            if value is None or value in {"enabled", "enhanced"}:
                return
    yield f"{r.label} does not enable Container Insights"


@resource_rule(
    id="proliferate-ecs-no-public-ip",
    service="ecs",
    types=(SERVICE,),
    description="ECS services run in private subnets without public IPs",
    severity="high",
    enforcement="mandatory",
    remediation=(
        "set network_configuration.assign_public_ip=False and use private subnets with a NAT "
        "gateway; expose the service through the load balancer"
    ),
    equivalents=("checkov:CKV_AWS_333", "securityhub:ECS.2"),
)
def no_public_ip(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """networkConfiguration.assignPublicIp not true."""
    net = mapping(r.props.get("networkConfiguration"))
    if flag(net.get("assignPublicIp")) is True:
        yield f"{r.label} gives its tasks public IP addresses"


@resource_rule(
    id="proliferate-ecs-separate-task-roles",
    service="ecs",
    types=(TASK_DEFINITION,),
    description="A task's execution role (pulls images, reads secrets) is not also its task role (the app's permissions)",
    severity="medium",
    enforcement="advisory",
    remediation="give the task definition a separate task_role_arn with only what the application calls",
    equivalents=("checkov:CKV_AWS_249",),
)
def separate_task_roles(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """executionRoleArn != taskRoleArn (when both are known)."""
    execution = r.props.get("executionRoleArn")
    task = r.props.get("taskRoleArn")
    same_source = bool(
        set(r.property_dependencies.get("executionRoleArn", ()))
        & set(r.property_dependencies.get("taskRoleArn", ()))
    )
    if (text(execution) and text(execution) == text(task)) or (execution and task and same_source):
        yield f"{r.label} uses the same role for execution and for the task"


LITELLM_HINTS: tuple[str, ...] = ("litellm", "llm-proxy")
"""Text in a container's image or name that marks it as the LLM proxy (LiteLLM)."""


def _is_litellm(c: Mapping[str, Any], extra_names: set[str]) -> bool:
    if flag(c.get("essential")) is False:
        return False  # an init container (e.g. rds-ca) serves nothing
    name = (text(c.get("name")) or "").lower()
    image = (text(c.get("image")) or "").lower()
    return name in extra_names or any(h in name or h in image for h in LITELLM_HINTS)


@resource_rule(
    id="proliferate-ecs-litellm-master-key",
    service="ecs",
    types=(TASK_DEFINITION,),
    description="The LLM proxy (LiteLLM) gets LITELLM_MASTER_KEY from Secrets Manager: without it LiteLLM serves every request unauthenticated",
    severity="critical",
    enforcement="mandatory",
    remediation=(
        "add {name: 'LITELLM_MASTER_KEY', valueFrom: '<secret-arn>:LLM_PROXY_MASTER_KEY::'} to "
        "the container's secrets (an sk- key shared with the platform's LLM_PROXY_MASTER_KEY; "
        "SecretsBundle.secrets_for('llm-proxy') does it)"
    ),
    config=(
        ConfigProperty(
            "containerNames",
            "array",
            (),
            "More container names that run LiteLLM (besides names and images containing "
            "'litellm' or 'llm-proxy').",
            items_type="string",
        ),
    ),
    equivalents=(),
)
def litellm_master_key(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """A serving LiteLLM container must have ``LITELLM_MASTER_KEY`` in ``secrets``
    (upstream's apps/llm-proxy/litellm/config.yaml: ``master_key:
    os.environ/LITELLM_MASTER_KEY``)."""
    containers = _containers(r)
    if containers is None:
        return
    extra = {str(n).lower() for n in items(config.get("containerNames"))}
    for i, c in enumerate(containers):
        if not _is_litellm(c, extra):
            continue
        secret_names = {text(mapping(e).get("name")) for e in items(c.get("secrets"))}
        if "LITELLM_MASTER_KEY" in secret_names:
            continue
        plain = {text(mapping(e).get("name")) for e in items(c.get("environment"))}
        how = (
            "as plaintext environment (anyone who can describe the task definition can use it)"
            if "LITELLM_MASTER_KEY" in plain
            else "at all, so LiteLLM accepts every request unauthenticated"
        )
        yield f"{r.label} container {_container_name(c, i)!r} runs LiteLLM without LITELLM_MASTER_KEY {how}"


@resource_rule(
    id="proliferate-ecs-readonly-root-filesystem",
    service="ecs",
    types=(TASK_DEFINITION,),
    description="Serving containers run with a read-only root filesystem (writable volumes only where needed)",
    severity="low",
    enforcement="advisory",
    remediation=(
        "set readonlyRootFilesystem=true and mount a task volume at each path the image writes "
        "to (FargateServiceArgs.readonly_root_filesystem with scratch_paths); list documented "
        "exceptions in allowedContainers"
    ),
    config=(
        ConfigProperty(
            "allowedContainers",
            "array",
            (),
            "Container names that may keep a writable root (each a documented exception).",
            items_type="string",
        ),
    ),
    equivalents=("checkov:CKV_AWS_336",),
)
def readonly_root_filesystem(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Every essential container not in allowedContainers has readonlyRootFilesystem true."""
    containers = _containers(r)
    if containers is None:
        return
    allowed = {str(n) for n in items(config.get("allowedContainers"))}
    for i, c in enumerate(containers):
        name = _container_name(c, i)
        if flag(c.get("essential")) is False or name in allowed:
            continue
        if flag(c.get("readonlyRootFilesystem")) is not True:
            yield f"{r.label} container {name!r} has a writable root filesystem"


RULES: tuple[ResourceRule, ...] = (
    no_plaintext_secrets,
    litellm_master_key,
    readonly_root_filesystem,
    awslogs,
    not_privileged,
    container_insights,
    no_public_ip,
    separate_task_roles,
)
"""The ECS rules, in catalog order."""
