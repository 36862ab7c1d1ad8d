"""`FargateService`: one Proliferate service on ECS Fargate, from image to running tasks.

Everything is a plain ``pulumi_aws`` resource (visible to unit tests and policy packs)
except the optional image build, which uses ``awsx.ecr.Image`` because it adds a capability
pulumi_aws lacks (building and pushing a Docker image). ``awsx.ecr.Image`` is a remote
component: under mocks it is one opaque resource whose ``imageUri`` is whatever the mock
returns, so tests see that a build is requested, not the build itself.

Child names (a public contract; ``S`` is the component name, ``i`` an index in
``ingress_security_group_ids``):

- ``S-repo`` (``aws.ecr.Repository``, scan on push) and ``S-repo-lifecycle``
  (``aws.ecr.LifecyclePolicy``), when ``create_repository``;
- ``S-image`` (``awsx.ecr.Image``), only with ``build_context``;
- ``S-logs`` (``aws.cloudwatch.LogGroup``, ``retention_days``);
- ``S-execution`` (:class:`~proliferate_components.iam.EcsExecutionRole`) when no execution
  role is given, or ``S-execution-policy`` (``aws.iam.RolePolicy`` on the shared
  ``execution_role``) granting this service's repository, log group and secrets;
- ``S-task-role`` (``aws.iam.Role``, no permissions) and ``S-task-policy`` (only with
  ``task_role_policy_statements`` or ``enable_execute_command``);
- ``S-sg`` (security group, no inline rules), ``S-ingress-i``
  (``aws.vpc.SecurityGroupIngressRule`` on the container port from each ingress security
  group) and ``S-egress`` (all egress to ``0.0.0.0/0``: tasks pull images, read secrets and
  call third-party APIs through the NAT gateway; no VPC endpoints are assumed);
- ``S-task`` (``aws.ecs.TaskDefinition``, container definitions serialised with sorted
  keys so an unchanged service never registers a new revision);
- ``S-service`` (``aws.ecs.Service``, private subnets, no public IP, circuit breaker with
  rollback), only with ``create_service`` (the default);
- ``S-scaling-target`` and ``S-scaling-cpu`` (``aws.appautoscaling``), only with
  ``autoscaling``; the service then ignores changes to ``desiredCount`` so ``pulumi up``
  never resets what the autoscaler chose.

Task-definition-only mode (``create_service=False``): everything above up to and including
``S-task``, but no ``S-service``, no load balancer attachment and no ``S-scaling-*``; the
task definition is meant for one-off ``aws ecs run-task`` runs (e.g. database migrations)
with the component's ``security_group_id`` in the given subnets. ``service_name`` is then a
``None`` output.
"""

import dataclasses
import functools
import importlib.util
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

import pulumi
import pulumi_aws as aws

from ._args import coerce_args, register_outputs
from ._options import (
    child_opts,
    merge_tags,
    physical_name,
    require_plain_list,
    validate_id_list,
)
from ._security_group import moved_child_opts, port_security_group
from .constraints import (
    KMS_KEY_ARN,
    LOG_RETENTION_DAYS,
    SECURITY_GROUP_IDS,
    TAGS,
    VPC_ID,
    AwsName,
    OneOf,
    Pattern,
    PythonOnly,
    Range,
    Rule,
    check_args,
)
from .environment import ALIASES, ENVIRONMENT, looks_secret
from .errors import ConfigError
from .iam import (
    EcsExecutionRole,
    EcsExecutionRoleArgs,
    ecs_assume_role_policy,
    ecs_exec_statements,
    execution_role_policy,
    secret_arn_of_value_from,
    task_role_policy,
    validate_statements,
)
from .platform import RDS_CA_BUNDLE_URL, RDS_CA_DIRECTORY, Runtime, rds_ca_init_command
from .sizing import validate_fargate_size

__all__ = [
    "IMAGE_TAG_MUTABILITY",
    "AutoscalingArgs",
    "CaBundleArgs",
    "FargateService",
    "FargateServiceArgs",
    "container_definitions",
    "default_health_check_command",
    "ecr_lifecycle_policy",
    "service_security_group",
    "validate_environment_names",
    "validate_mutable_tags",
]

IMAGE_TAG_MUTABILITY: tuple[str, ...] = (
    "IMMUTABLE_WITH_EXCLUSION",
    "IMMUTABLE",
    "MUTABLE",
    "MUTABLE_WITH_EXCLUSION",
)
"""Accepted ``image_tag_mutability`` values (ECR)."""

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TAG_FILTER = re.compile(r"[A-Za-z0-9._*-]{1,128}")
_SECRET_KEYS = frozenset(v.name for v in ENVIRONMENT if v.secret)
_PLAIN_KEYS = frozenset(v.name for v in ENVIRONMENT if not v.secret)


def validate_mutable_tags(tags: Sequence[str], *, key: str, with_exclusion: bool) -> None:
    """Check ECR tag-mutability exclusion filters: 1 to 5 with an ``*_WITH_EXCLUSION``
    mutability (none otherwise), each 1-128 of ``A-Z a-z 0-9 . _ - *`` with at most two
    ``*`` (the ECR API's rules, as terraform-provider-aws
    internal/service/ecr/repository.go validates them).

    Raises:
        ConfigError: naming ``key``.
    """
    if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(key, tags, "a tuple of tag filters such as ('latest',)")
    if not with_exclusion:
        if tags:
            raise ConfigError(key, tuple(tags), "empty unless the mutability is *_WITH_EXCLUSION")
        return
    if not 1 <= len(tags) <= 5:
        raise ConfigError(key, tuple(tags), "1 to 5 tag filters with *_WITH_EXCLUSION")
    for tag in tags:
        if not _TAG_FILTER.fullmatch(tag) or tag.count("*") > 2:
            raise ConfigError(
                key,
                tag,
                "1-128 letters, digits, '.', '_', '-' or '*' with at most two '*' wildcards",
            )


def default_health_check_command(port: int, path: str) -> tuple[str, ...]:
    """``CMD-SHELL`` health check fetching ``http://localhost:<port><path>``.

    Tries ``wget``, then ``curl``, then ``node`` (``fetch``), then ``python3`` (``urllib``),
    so it works in Alpine/BusyBox, Debian, Node and Python images alike. The image must have
    ``/bin/sh`` and one of these tools (distroless images have neither: pass your own
    ``health_check_command`` or ``container_health_check=False``).
    """
    url = f"http://localhost:{port}{path}"
    node = f"node -e \"fetch('{url}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))\""
    python = f"python3 -c \"import urllib.request as u; u.urlopen('{url}', timeout=4)\""
    return (
        "CMD-SHELL",
        f"wget -q -O /dev/null {url} || curl -fsS -o /dev/null {url} || {node} || {python} || exit 1",
    )


def ecr_lifecycle_policy(keep_tagged_images: int, untagged_expiry_days: int) -> str:
    """ECR lifecycle policy JSON: expire untagged images ``untagged_expiry_days`` after push
    (priority 1) and keep only the newest ``keep_tagged_images`` tagged images (priority 2)."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {untagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the last {keep_tagged_images} tagged images",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPatternList": ["*"],
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_tagged_images,
                    },
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )


def validate_environment_names(
    environment: Mapping[str, Any], secrets: Mapping[str, Any], *, key: str
) -> None:
    """Check a service's ``environment`` (plain settings) and ``secrets`` (valueFrom) names.

    A plain key is rejected when the environment schema marks it secret, or when it is not
    in the schema and its name looks secret (KEY, SECRET, TOKEN, PASSWORD, PRIVATE); schema
    keys that are public by design (e.g. ``NEXT_PUBLIC_POSTHOG_KEY``) are allowed. A name in
    both mappings is rejected. Plain ``secrets`` values must be ARNs (a ``valueFrom``), never
    the secret itself.

    Raises:
        ConfigError: naming the offending key (values of secrets are never echoed).
    """
    for name, value in environment.items():
        canonical = ALIASES.get(name, name)
        if not isinstance(name, str) or not _ENV_NAME.match(name):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigError(
                f"{key}.environment",
                name,
                "variable names of letters, digits and _ (not starting with a digit)",
            )
        if canonical in _SECRET_KEYS or (canonical not in _PLAIN_KEYS and looks_secret(name)):
            raise ConfigError(
                f"{key}.environment[{name!r}]",
                value,
                "a plain setting; this name is (or looks) secret: pass it in `secrets` as a valueFrom "
                "reference (e.g. SecretsBundle.secrets_for(service))",
                secret=True,
            )
        if name in secrets:
            raise ConfigError(
                f"{key}.environment[{name!r}]",
                "[value]",
                "a name given in either environment or secrets, not both",
            )
    for name, value in secrets.items():
        if not isinstance(name, str) or not _ENV_NAME.match(name):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigError(
                f"{key}.secrets",
                name,
                "variable names of letters, digits and _ (not starting with a digit)",
            )
        if isinstance(value, str):
            try:
                secret_arn_of_value_from(value)
            except ConfigError:
                raise ConfigError(
                    f"{key}.secrets[{name!r}]",
                    value,
                    "a valueFrom ARN (arn:aws:secretsmanager:...:secret:NAME[:KEY::] or an SSM parameter ARN), "
                    "not the secret value",
                    secret=True,
                ) from None
        elif not isinstance(value, pulumi.Output):
            raise ConfigError(f"{key}.secrets[{name!r}]", value, "a valueFrom ARN string or Output")


def container_definitions(
    *,
    container_name: str,
    image: str,
    container_port: int,
    environment: Mapping[str, str],
    secrets: Mapping[str, str],
    log_group_name: str,
    log_region: str,
    health_check_command: Sequence[str] | None,
    health_check_interval_seconds: int = 30,
    health_check_timeout_seconds: int = 5,
    health_check_retries: int = 3,
    health_check_start_period_seconds: int = 60,
    readonly_root_filesystem: bool = False,
    init_process_enabled: bool = False,
    command: Sequence[str] | None = None,
    working_directory: str | None = None,
    ca_bundle: "CaBundleArgs | None" = None,
    scratch_paths: Sequence[str] = (),
) -> str:
    """The task's container definitions as JSON, deterministic: keys sorted, environment and
    secrets sorted by name, so equal inputs give byte-identical text (no new revision).

    With ``ca_bundle``, a first, non-essential container ``rds-ca`` (same image, run as
    root only to write the task volume) fetches the bundle into :data:`RDS_CA_DIRECTORY`;
    the service container mounts it read-only, gets the ``NODE_EXTRA_CA_CERTS`` /
    ``SSL_CERT_FILE`` paths and starts only after ``rds-ca`` exited 0."""
    environment = {**environment, **(ca_bundle.environment() if ca_bundle else {})}
    logs = {"group": log_group_name, "region": log_region}
    container: dict[str, Any] = {
        "name": container_name,
        "image": image,
        "essential": True,
        "portMappings": [
            {"containerPort": container_port, "hostPort": container_port, "protocol": "tcp"}
        ],
        "environment": [{"name": k, "value": environment[k]} for k in sorted(environment)],
        "secrets": [{"name": k, "valueFrom": secrets[k]} for k in sorted(secrets)],
        "logConfiguration": _awslogs(logs, container_name),
        "readonlyRootFilesystem": readonly_root_filesystem,
        "mountPoints": [
            {"containerPath": path, "readOnly": False, "sourceVolume": f"scratch-{i}"}
            for i, path in enumerate(scratch_paths)
        ],
        "volumesFrom": [],
        "systemControls": [],
    }
    if health_check_command:
        container["healthCheck"] = {
            "command": list(health_check_command),
            "interval": health_check_interval_seconds,
            "timeout": health_check_timeout_seconds,
            "retries": health_check_retries,
            "startPeriod": health_check_start_period_seconds,
        }
    if init_process_enabled:
        container["linuxParameters"] = {"initProcessEnabled": True}
    if command:
        container["command"] = list(command)
    if working_directory:
        container["workingDirectory"] = working_directory
    if ca_bundle is None:
        return json.dumps([container], sort_keys=True)
    container["mountPoints"].append(
        {"containerPath": RDS_CA_DIRECTORY, "readOnly": True, "sourceVolume": CA_VOLUME}
    )
    container["dependsOn"] = [{"condition": "SUCCESS", "containerName": CA_CONTAINER}]
    return json.dumps([_ca_container(image, ca_bundle, logs), container], sort_keys=True)


def _awslogs(logs: Mapping[str, str], stream_prefix: str) -> dict[str, Any]:
    """A container's ``awslogs`` log configuration."""
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": logs["group"],
            "awslogs-region": logs["region"],
            "awslogs-stream-prefix": stream_prefix,
        },
    }


def _ca_container(image: str, ca_bundle: "CaBundleArgs", logs: Mapping[str, str]) -> dict[str, Any]:
    """``rds-ca``: the service's image, run as root once to write the CA bundle into the task
    volume; not essential, the service container waits for its success."""
    return {
        "name": CA_CONTAINER,
        "image": image,
        "essential": False,
        "entryPoint": list(rds_ca_init_command(cast("Runtime", ca_bundle.runtime), ca_bundle.url)),
        "user": "0",
        "environment": [],
        "secrets": [],
        "portMappings": [],
        "logConfiguration": _awslogs(logs, CA_CONTAINER),
        "readonlyRootFilesystem": True,
        "mountPoints": [
            {"containerPath": RDS_CA_DIRECTORY, "readOnly": False, "sourceVolume": CA_VOLUME}
        ],
        "volumesFrom": [],
        "systemControls": [],
    }


CA_CONTAINER = "rds-ca"
"""Name of the init container that fetches the CA bundle (with ``ca_bundle``)."""
CA_VOLUME = "rds-ca"
"""Name of the task volume holding the CA bundle."""


def _check_command(value: Sequence[str], *, key: str) -> None:
    if isinstance(value, str) or not value or not all(isinstance(c, str) and c for c in value):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(
            key, value, "a non-empty list of non-empty strings, e.g. ('pnpm', 'start')"
        )


def _check_health_check_command(value: Sequence[str], *, key: str) -> None:
    if isinstance(value, str) or len(value) < 2 or value[0] not in ("CMD", "CMD-SHELL"):
        raise ConfigError(key, value, "('CMD-SHELL', '<shell command>') or ('CMD', '<exe>', ...)")


def _check_scratch_paths(value: Sequence[str], *, key: str) -> None:
    for i, path in enumerate(value):
        if (
            not isinstance(path, str)  # pyright: ignore[reportUnnecessaryIsInstance]
            or not path.startswith("/")
            or path == "/"
            or list(value).index(path) != i
        ):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigError(f"{key}[{i}]", path, "a distinct absolute path other than /")


def _check_statements(value: Sequence[Mapping[str, Any]], *, key: str) -> None:
    validate_statements(list(value), key=key)


IMAGE_TAG = Pattern(
    r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}",
    "a Docker tag: up to 128 letters, digits, _ . - (not starting with . or -)",
)
CONTAINER_NAME = Pattern(r"[A-Za-z0-9_-]{1,255}", "1-255 letters, digits, hyphens and underscores")
ABSOLUTE_PATH = Pattern(r"/.*", "an absolute path such as /app")
COMMAND = Rule(_check_command, "a non-empty list of non-empty strings, e.g. ('pnpm', 'start')")
HEALTH_CHECK_COMMAND = Rule(
    _check_health_check_command, "('CMD-SHELL', '<shell command>') or ('CMD', '<exe>', ...)"
)
SCRATCH_PATHS = Rule(_check_scratch_paths, "distinct absolute paths other than /")
POLICY_STATEMENTS = Rule(_check_statements, "IAM statements, each with Effect, Action and Resource")
SUBNET_IDS = Rule(
    functools.partial(validate_id_list, prefix="subnet-", what="subnet", min_count=1),
    "at least one subnet id shaped subnet-<hex> (private subnets)",
)


@dataclass(frozen=True, kw_only=True)
class CaBundleArgs:
    """Trust an extra certificate authority bundle (the RDS CAs) in a service's container.

    A one-shot init container (the service's own image) downloads ``url`` into a task
    volume at :data:`~proliferate_components.platform.RDS_CA_DIRECTORY` and checks it is
    PEM; the service starts only if that succeeded. Upstream ships the same bundle in its
    Helm chart and mounts it the same way (``infra/helm/proliferate``).
    """

    runtime: Annotated[str, OneOf(("node", "python"))]
    """What the image runs, which decides the download command (``node -e`` with
    ``fetch``, ``python -c`` with ``urllib``). Required."""
    combined: bool = False
    """Also write ``combined-ca-bundle.pem`` (the image's system CAs, then the bundle) and
    point ``SSL_CERT_FILE`` at it: Python's ``SSL_CERT_FILE`` *replaces* the trust store, so
    the bundle alone would break calls to public APIs. Default False (Node:
    ``NODE_EXTRA_CA_CERTS`` adds to Node's own CAs). Needs ``runtime="python"``."""
    url: Annotated[str, Pattern(r"https://.+", "an https:// URL")] = RDS_CA_BUNDLE_URL
    """Where the bundle is fetched from at task start. Default: AWS's global RDS bundle."""

    def environment(self) -> dict[str, str]:
        """The settings pointing the runtime at the bundle."""
        bundle = f"{RDS_CA_DIRECTORY}/rds-ca-bundle.pem"
        combined = f"{RDS_CA_DIRECTORY}/combined-ca-bundle.pem"
        return {
            "NODE_EXTRA_CA_CERTS": bundle,
            "SSL_CERT_FILE": combined if self.combined else bundle,
        }


def _empty_map() -> dict[str, Any]:
    return {}


def _empty_tuple() -> tuple[Any, ...]:
    return ()


@dataclass(frozen=True, kw_only=True)
class AutoscalingArgs:
    """Target-tracking autoscaling of a :class:`FargateService` on average CPU."""

    min_capacity: Annotated[int, Range(1, 1000, unit="tasks")] = 1
    """Fewest tasks. Default 1."""
    max_capacity: Annotated[int, Range(1, 1000, unit="tasks, at least min_capacity")] = 4
    """Most tasks. Default 4."""
    cpu_target_percent: Annotated[int, Range(1, 100, unit="percent")] = 60
    """Average CPU utilisation the autoscaler aims for. Default 60."""
    scale_in_cooldown_seconds: Annotated[int, Range(0, 3600, unit="seconds")] = 300
    """Wait after a scale-in before the next. Default 300."""
    scale_out_cooldown_seconds: Annotated[int, Range(0, 3600, unit="seconds")] = 60
    """Wait after a scale-out before the next. Default 60."""


@dataclass(frozen=True, kw_only=True)
class FargateServiceArgs:
    """Arguments of :class:`FargateService`."""

    cluster_arn: Annotated[pulumi.Input[str], Pattern(r"arn:[^:]+:ecs:.+", "an ECS cluster ARN")]
    """ARN of the ECS cluster (``arn:aws:ecs:<region>:<account>:cluster/<name>``). Required."""
    vpc_id: Annotated[pulumi.Input[str], VPC_ID]
    """VPC of the service's security group. Required."""
    subnet_ids: Annotated[pulumi.Input[Sequence[pulumi.Input[str]]], SUBNET_IDS]
    """Private subnets the tasks run in (never a public IP). Required."""
    image: pulumi.Input[str] | None = None
    """Full image reference (``registry/repo:tag`` or ``@sha256:``). Default ``None``: the
    service's own ECR repository with ``image_tag`` (or the image built from
    ``build_context``)."""
    image_tag: Annotated[str, IMAGE_TAG] = "latest"
    """Tag used with the own repository. Default ``latest`` (see ``image_tag_mutability``)."""
    image_repository_arns: Sequence[pulumi.Input[str]] = field(default_factory=_empty_tuple)
    """Other ECR repositories the execution role may pull ``image`` from. Default none."""
    create_repository: bool = True
    """Create the service's ECR repository (scan on push, lifecycle policy). Default True."""
    image_tag_mutability: Annotated[str, OneOf(IMAGE_TAG_MUTABILITY)] = "IMMUTABLE"
    """ECR tag mutability. Default ``IMMUTABLE``: a pushed tag (a commit) always names the
    same image. ``IMMUTABLE_WITH_EXCLUSION`` with ``mutable_tags`` lets only those tags be
    re-pushed (e.g. a moving ``latest``). Changing it updates the repository in place."""
    mutable_tags: Sequence[str] = ()
    """Tags exempt from the mutability setting (1 to 5, ``*`` wildcards allowed, at most two
    each); only with ``IMMUTABLE_WITH_EXCLUSION`` or ``MUTABLE_WITH_EXCLUSION``, which need
    at least one. Default none."""
    keep_tagged_images: Annotated[int, Range(1, 10000, unit="images")] = 20
    """Tagged images kept by the lifecycle policy (older ones expire). Default 20."""
    untagged_expiry_days: Annotated[int, Range(1, 3650, unit="days")] = 7
    """Days after push an untagged image expires. Default 7."""
    force_delete_repository: bool = False
    """Let ``pulumi destroy`` delete the repository with its images. Default False."""
    build_context: str | None = None
    """Directory to build and push with ``awsx.ecr.Image`` on every ``pulumi up``. Default
    ``None``: no build (CI pushes images). Needs ``create_repository`` and no ``image``."""
    dockerfile: str | None = None
    """Dockerfile for ``build_context``. Default ``None``: ``<build_context>/Dockerfile``."""
    build_platform: str = "linux/amd64"
    """Platform of the built image. Default ``linux/amd64`` (matches ``cpu_architecture``)."""
    cpu: int = 256
    """Task CPU units (256, 512, 1024, ...). Default 256."""
    memory_mib: int = 512
    """Task memory in MiB, valid for ``cpu`` per the Fargate table. Default 512."""
    cpu_architecture: Annotated[str, OneOf(("X86_64", "ARM64"))] = "X86_64"
    """``X86_64`` or ``ARM64``. Default ``X86_64``."""
    container_port: Annotated[int, Range(1, 65535, unit="TCP port")] = 8080
    """Port the container listens on (and its health endpoint). Default 8080."""
    container_name: Annotated[str, CONTAINER_NAME] | None = None
    """Container name in the task. Default ``None``: the component name."""
    container_health_check: bool = True
    """Give the container an ECS health check. Default True."""
    health_check_command: Annotated[Sequence[str], HEALTH_CHECK_COMMAND] | None = None
    """Health check command (``("CMD-SHELL", "...")`` or ``("CMD", ...)``). Default ``None``:
    :func:`default_health_check_command` of ``container_port`` and ``health_check_path``
    (needs ``/bin/sh`` and wget, curl, node or python3 in the image)."""
    health_check_path: Annotated[str, ABSOLUTE_PATH] = "/health"
    """Path of the HTTP health endpoint used by the default command. Default ``/health``."""
    command: Annotated[Sequence[str], COMMAND] | None = None
    """Command the container runs instead of the image's ``CMD`` (e.g. the migrations
    task's ``("pnpm", "-C", "packages/db", "db:migrate")``). Default ``None``: the image's."""
    working_directory: Annotated[str, ABSOLUTE_PATH] | None = None
    """Working directory of ``command``. Default ``None``: the image's ``WORKDIR``."""
    ca_bundle: CaBundleArgs | None = None
    """Trust an extra CA bundle (the RDS CAs, for ``sslmode=require`` connections that
    verify the server). Default ``None``: the image's trust store only."""
    health_check_interval_seconds: Annotated[int, Range(5, 300, unit="seconds")] = 30
    """Seconds between health checks. Default 30."""
    health_check_timeout_seconds: Annotated[
        int, Range(2, 120, unit="seconds, less than the interval")
    ] = 5
    """Seconds before a check fails. Default 5."""
    health_check_retries: Annotated[int, Range(1, 10)] = 3
    """Failures before the container is unhealthy. Default 3."""
    health_check_start_period_seconds: Annotated[int, Range(0, 300, unit="seconds")] = 60
    """Grace period after start. Default 60."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=_empty_map)
    """Plain settings (never secrets: a key that is or looks secret raises ConfigError).
    Default none."""
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=_empty_map)
    """Env name -> ``valueFrom`` ARN (e.g. ``SecretsBundle.secrets_for("worker")``).
    Default none."""
    execution_role_arn: (
        Annotated[pulumi.Input[str], Pattern(r"arn:[^:]+:iam::.+", "an IAM role ARN")] | None
    ) = None
    """An existing execution role, used as is (its owner grants the image, log group and
    secrets). Default ``None``. Exclusive with ``execution_role``."""
    execution_role: (
        Annotated[EcsExecutionRole, PythonOnly("execution_role_arn of the shared role")] | None
    ) = None
    """The stack's shared :class:`EcsExecutionRole`; the service adds an inline policy for
    its own repository, log group and secrets (``S-execution-policy``). Default ``None``:
    without either, the service creates its own role ``S-execution``."""
    task_role_policy_statements: Annotated[Sequence[Mapping[str, Any]], POLICY_STATEMENTS] = field(
        default_factory=_empty_tuple
    )
    """IAM statements granted to the task role. Default none: the task role may do
    nothing."""
    desired_count: Annotated[int, Range(0, 1000, unit="tasks")] = 1
    """Tasks to run (the initial count when ``autoscaling`` is set). Default 1."""
    deployment_minimum_healthy_percent: Annotated[int, Range(0, 100, unit="percent")] = 100
    """Healthy tasks kept during a deployment, % of desired. Default 100."""
    deployment_maximum_percent: Annotated[int, Range(100, 400, unit="percent")] = 200
    """Tasks allowed during a deployment, % of desired. Default 200."""
    ingress_security_group_ids: Annotated[Sequence[pulumi.Input[str]], SECURITY_GROUP_IDS] = field(
        default_factory=_empty_tuple
    )
    """Security groups allowed to reach ``container_port`` (e.g. the load balancer's). Default
    none: nothing can connect (right for the worker). Not with ``security_group_id``."""
    security_group_id: pulumi.Input[str] | None = None
    """An existing security group for the tasks, managed by its owner (rules included): the
    component then creates no ``S-sg`` and no ``S-ingress-*``/``S-egress`` rules. Use it to
    create groups and rules before the data stores and services, so no task starts before
    its rules exist (``ProliferateStack`` does). Default ``None``: the component's own
    ``S-sg``."""
    service_depends_on: Annotated[
        Sequence[pulumi.Resource], PythonOnly("the resources' outputs as inputs order them")
    ] = field(default_factory=_empty_tuple)
    """Resources the ECS service waits for besides its own children, e.g. the listener and
    listener rule that route to its target group and the data stores' ingress rules for its
    security group. Default none."""
    kms_key_arn: Annotated[pulumi.Input[str], KMS_KEY_ARN] | None = None
    """A customer-managed KMS key encrypting the log group and the repository, and the
    secrets (the execution role gets ``kms:Decrypt`` on it). Default ``None``: AWS-managed
    keys. A repository keeps the encryption it was created with (``ignore_changes``)."""
    scratch_paths: Annotated[Sequence[str], SCRATCH_PATHS] = ()
    """Paths given an empty, writable task volume each (for ``readonly_root_filesystem``:
    e.g. ``/tmp``). Default none."""
    execution_role_name: Annotated[str, AwsName("iam_role")] | None = None
    """AWS name of the service's own execution role ``S-execution-role``. Default ``None``:
    generated by Pulumi. For adopting an existing role."""
    target_group_arn: pulumi.Input[str] | None = None
    """Load balancer target group to register tasks with. Default ``None``."""
    health_check_grace_period_seconds: Annotated[int, Range(0, 2147483647, unit="seconds")] = 60
    """With a target group, seconds ECS ignores failing load balancer checks after a task
    starts. Default 60."""
    autoscaling: AutoscalingArgs | None = None
    """Target-tracking CPU autoscaling. Default ``None``: a fixed ``desired_count``."""
    enable_execute_command: bool = False
    """Allow ``aws ecs execute-command`` (grants the ssmmessages actions to the task role and
    enables the init process). Default False."""
    retention_days: Annotated[int, LOG_RETENTION_DAYS] = 30
    """CloudWatch Logs retention of the service's log group. Default 30."""
    readonly_root_filesystem: bool = False
    """Mount the container's root filesystem read-only; give the paths the image writes to
    as ``scratch_paths``. Default False."""
    platform_version: str = "LATEST"
    """Fargate platform version (>= 1.4.0 is needed for JSON-key ``valueFrom``). Default
    ``LATEST``."""
    tags: Annotated[Mapping[str, str], TAGS] = field(default_factory=_empty_map)
    """Tags on every child (tasks get them via ``propagate_tags``). Default none."""
    create_service: bool = True
    """Register the ECS service (``S-service``) that keeps ``desired_count`` tasks running.
    Default True. False is task-definition-only mode: the repository, log group, roles,
    security group (with its ingress/egress rules) and task definition are registered, but no
    ``aws.ecs.Service``, no load balancer attachment and no autoscaling; run the task with
    ``aws ecs run-task`` (the component's ``service_name`` output is ``None``). False needs
    ``desired_count=0`` and no ``autoscaling`` or ``target_group_arn`` (each raises
    ConfigError naming the field); the service-only settings (``deployment_*_percent``,
    ``health_check_grace_period_seconds``, ``platform_version``) are then unused."""

    # Explicit AWS names, for adopting existing resources (docs/migrating-from-terraform.md).
    # Each is immutable on AWS: with another name, adoption would replace the resource.
    service_name: Annotated[str, AwsName("ecs_service")] | None = None
    """AWS name of the ECS service ``S-service``. Default ``None``: generated by Pulumi. For
    adopting an existing service; 1-255 letters, digits, hyphens and underscores. Not
    allowed with ``create_service=False``."""
    repository_name: Annotated[str, AwsName("ecr_repository")] | None = None
    """AWS name of the ECR repository ``S-repo``. Default ``None``: generated by Pulumi. For
    adopting an existing repository (and the images in it). Not allowed with
    ``create_repository=False``."""
    log_group_name: Annotated[str, AwsName("log_group")] | None = None
    """Name of the CloudWatch log group ``S-logs``. Default ``None``: generated by Pulumi.
    For adopting an existing group (and its history)."""
    task_role_name: Annotated[str, AwsName("iam_role")] | None = None
    """AWS name of the task role ``S-task-role``. Default ``None``: generated by Pulumi. For
    adopting an existing role; 1-64 letters, digits and ``+=,.@_-``."""
    security_group_name: Annotated[str, AwsName("security_group")] | None = None
    """AWS name of the security group ``S-sg``. Default ``None``: generated by Pulumi. For
    adopting an existing group."""
    security_group_description: Annotated[str, AwsName("security_group_description")] | None = None
    """Description of ``S-sg``. Default ``None``: ``S: port <container_port> from allowed
    security groups only``. For adopting an existing group (the description is
    immutable)."""
    task_family: Annotated[str, AwsName("task_family")] | None = None
    """Family of the task definition ``S-task``. Default ``None``: ``<stack>-S``. For
    continuing an existing family (its next revision is registered)."""
    execution_policy_name: Annotated[str, AwsName("iam_policy")] | None = None
    """Name of the execution role's inline policy (``S-execution-policy`` on a shared
    ``execution_role``, else the service's own role's ``S-execution-policy``). Default
    ``None``: generated by Pulumi. For adopting an existing role's inline policy; unset with
    ``execution_role_arn`` (the service adds no policy then)."""


class FargateService(pulumi.ComponentResource):
    """One ECS Fargate service with its image repository, logs, roles and security group.

    See the module docstring for the children and their names.
    """

    _type_token = "proliferate:service:FargateService"

    service_name: pulumi.Output[str | None]
    """The ECS service's name (``None`` with ``create_service=False``)."""
    task_definition_arn: pulumi.Output[str]
    """The task definition's ARN (with revision)."""
    task_definition_family: pulumi.Output[str]
    """The task definition family (for a one-off ``aws ecs run-task``)."""
    security_group_id: pulumi.Output[str]
    """The service's security group."""
    repository_url: pulumi.Output[str | None]
    """The ECR repository URL (``None`` without a repository)."""
    repository_arn: pulumi.Output[str | None]
    """The ECR repository ARN (``None`` without a repository)."""
    log_group_name: pulumi.Output[str]
    """The CloudWatch log group."""
    task_role_arn: pulumi.Output[str]
    """The task role (grant permissions with ``task_role_policy_statements``)."""
    execution_role_arn: pulumi.Output[str]
    """The execution role the tasks start with."""
    container_name: str
    """The container's name (for load balancer attachments)."""

    def __init__(
        self,
        name: str,
        args: FargateServiceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = _validate(name, coerce_args(FargateServiceArgs, args, key="FargateService.args"))
        super().__init__(self._type_token, name, None, opts)
        self._name = name
        self._tags = dict(args.tags)
        self.container_name = args.container_name or name
        repository, image = self._image(args)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=args.log_group_name,
            retention_in_days=args.retention_days,
            kms_key_id=args.kms_key_arn,
            tags=merge_tags(self._tags, f"{name}-logs"),
            opts=child_opts(self),
        )
        start_dependencies: list[pulumi.Resource] = []
        execution_role_arn = self._execution_role(args, repository, log_group, start_dependencies)
        task_role = self._task_role(args, start_dependencies)
        security_group_id: pulumi.Input[str] = (
            args.security_group_id
            if args.security_group_id is not None
            else service_security_group(
                self,
                name,
                vpc_id=args.vpc_id,
                port=args.container_port,
                sources=args.ingress_security_group_ids,
                group_name=args.security_group_name,
                description=args.security_group_description,
                tags=self._tags,
            ).id
        )
        task = self._task_definition(args, image, log_group, execution_role_arn, task_role)
        if args.create_service:
            service = self._service(args, task, security_group_id, start_dependencies)
            if args.autoscaling is not None:
                self._autoscaling(args, args.autoscaling, service)
            self.service_name = service.name
        else:  # task-definition-only mode (_validate: no scaling, no load balancer)
            self.service_name = pulumi.Output.from_input(None)
        self._finish(task, security_group_id, repository, log_group, task_role, execution_role_arn)

    def _image(
        self, args: FargateServiceArgs
    ) -> tuple[aws.ecr.Repository | None, pulumi.Input[str]]:
        """``S-repo`` (scan on push, encrypted, tag mutability) with its lifecycle, and the
        image to run: the given reference, an ``awsx`` build into the repository, or the
        repository's ``image_tag``."""
        name = self._name
        repository: aws.ecr.Repository | None = None
        if args.create_repository:
            with_exclusion = args.image_tag_mutability.endswith("_WITH_EXCLUSION")
            repository = aws.ecr.Repository(
                f"{name}-repo",
                name=args.repository_name,
                image_scanning_configuration={"scan_on_push": True},
                image_tag_mutability=args.image_tag_mutability,
                image_tag_mutability_exclusion_filters=(
                    [{"filter": t, "filter_type": "WILDCARD"} for t in args.mutable_tags]
                    if with_exclusion
                    else None
                ),
                encryption_configurations=[
                    {"encryption_type": "KMS", "kms_key": args.kms_key_arn}
                    if args.kms_key_arn is not None
                    else {"encryption_type": "AES256"}
                ],
                force_delete=args.force_delete_repository,
                tags=merge_tags(self._tags, f"{name}-repo"),
                # Encryption is fixed at creation: a repository (and its images) is never
                # replaced to change it.
                opts=pulumi.ResourceOptions(
                    parent=self, ignore_changes=["encryptionConfigurations"]
                ),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-repo-lifecycle",
                repository=repository.name,
                policy=ecr_lifecycle_policy(args.keep_tagged_images, args.untagged_expiry_days),
                opts=child_opts(self),
            )
        if args.image is not None:
            return repository, args.image
        assert repository is not None  # _validate guarantees it
        if args.build_context is not None:
            import pulumi_awsx as awsx  # only here: the build is the one capability awsx adds

            built = awsx.ecr.Image(
                f"{name}-image",
                repository_url=repository.repository_url,
                context=args.build_context,
                dockerfile=args.dockerfile,
                platform=args.build_platform,
                image_tag=args.image_tag,
                opts=child_opts(self),
            )
            return repository, built.image_uri
        return repository, pulumi.Output.concat(repository.repository_url, ":", args.image_tag)

    def _execution_role(
        self,
        args: FargateServiceArgs,
        repository: aws.ecr.Repository | None,
        log_group: aws.cloudwatch.LogGroup,
        start_dependencies: list[pulumi.Resource],
    ) -> pulumi.Input[str]:
        """The role tasks start with: the given ARN, the shared role with this service's
        ``S-execution-policy``, or its own ``S-execution``; exactly this service's
        repositories, secrets, log group and KMS key."""
        name = self._name
        repository_arns: list[pulumi.Input[str]] = [*args.image_repository_arns]
        if repository is not None:
            repository_arns.append(repository.arn)
        secret_values: list[pulumi.Input[str]] = list(args.secrets.values())
        if args.execution_role_arn is not None:
            return args.execution_role_arn
        if args.execution_role is not None:
            shared = args.execution_role
            grant = aws.iam.RolePolicy(
                f"{name}-execution-policy",
                name=args.execution_policy_name,
                role=shared.role_name,
                policy=pulumi.Output.all(
                    pulumi.Output.all(*repository_arns),
                    pulumi.Output.all(*secret_values),
                    log_group.arn,
                ).apply(
                    lambda v: execution_role_policy(
                        [str(a) for a in v[0]],
                        [str(s) for s in v[1]],
                        [str(v[2])],
                        include_authorization_token=False,
                    )
                ),
                opts=child_opts(self),
            )
            start_dependencies += [grant, shared]
            return shared.role_arn
        own = EcsExecutionRole(
            f"{name}-execution",
            EcsExecutionRoleArgs(
                repository_arns=repository_arns,
                secret_arns=secret_values,
                log_group_arns=[log_group.arn],
                kms_key_arns=[args.kms_key_arn] if args.kms_key_arn is not None else [],
                tags=self._tags,
                role_name=args.execution_role_name,
                policy_name=args.execution_policy_name,
            ),
            opts=child_opts(self),
        )
        start_dependencies.append(own)
        return own.role_arn

    def _task_role(
        self, args: FargateServiceArgs, start_dependencies: list[pulumi.Resource]
    ) -> aws.iam.Role:
        """``S-task-role`` with no permissions, plus ``S-task-policy`` when statements (or
        ECS Exec) grant some."""
        name = self._name
        task_role = aws.iam.Role(
            f"{name}-task-role",
            name=args.task_role_name,
            assume_role_policy=ecs_assume_role_policy(),
            description=f"Task role of {name}: no permissions unless granted",
            tags=merge_tags(self._tags, f"{name}-task-role"),
            opts=child_opts(self),
        )
        statements = [dict(s) for s in args.task_role_policy_statements]
        if args.enable_execute_command:
            statements += ecs_exec_statements()
        policy = task_role_policy(statements)
        if policy is not None:
            start_dependencies.append(
                aws.iam.RolePolicy(
                    f"{name}-task-policy", role=task_role.name, policy=policy, opts=child_opts(self)
                )
            )
        return task_role

    def _task_definition(
        self,
        args: FargateServiceArgs,
        image: pulumi.Input[str],
        log_group: aws.cloudwatch.LogGroup,
        execution_role_arn: pulumi.Input[str],
        task_role: aws.iam.Role,
    ) -> aws.ecs.TaskDefinition:
        """``S-task``: the container definitions (deterministic JSON) once every input is
        known, checked for secret outputs in plain settings."""
        name = self._name
        container_name = self.container_name
        health_command: Sequence[str] | None = None
        if args.container_health_check:
            health_command = args.health_check_command or default_health_check_command(
                args.container_port, args.health_check_path
            )
        env_names = sorted(args.environment)
        secret_names = sorted(args.secrets)
        definitions = pulumi.Output.all(
            image,
            log_group.name,
            log_group.arn,
            pulumi.Output.all(*[args.environment[k] for k in env_names]),
            pulumi.Output.all(*[args.secrets[k] for k in secret_names]),
            pulumi.Output.from_input(_plain_only(name, args.environment)),
        ).apply(
            lambda v: container_definitions(
                container_name=container_name,
                image=str(v[0]),
                container_port=args.container_port,
                environment={k: str(x) for k, x in zip(env_names, v[3], strict=True)},
                secrets={k: str(x) for k, x in zip(secret_names, v[4], strict=True)},
                log_group_name=str(v[1]),
                log_region=str(v[2]).split(":")[3],
                health_check_command=health_command,
                health_check_interval_seconds=args.health_check_interval_seconds,
                health_check_timeout_seconds=args.health_check_timeout_seconds,
                health_check_retries=args.health_check_retries,
                health_check_start_period_seconds=args.health_check_start_period_seconds,
                readonly_root_filesystem=args.readonly_root_filesystem,
                init_process_enabled=args.enable_execute_command,
                command=args.command,
                working_directory=args.working_directory,
                ca_bundle=args.ca_bundle,
                scratch_paths=args.scratch_paths,
            )
        )
        return aws.ecs.TaskDefinition(
            f"{name}-task",
            family=args.task_family or physical_name(pulumi.get_stack(), name, max_length=255),
            cpu=str(args.cpu),
            memory=str(args.memory_mib),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={
                "operating_system_family": "LINUX",
                "cpu_architecture": args.cpu_architecture,
            },
            execution_role_arn=execution_role_arn,
            task_role_arn=task_role.arn,
            container_definitions=definitions,
            volumes=[{"name": v} for v in _volume_names(args)] or None,
            tags=merge_tags(self._tags, f"{name}-task"),
            opts=child_opts(self),
        )

    def _service(
        self,
        args: FargateServiceArgs,
        task: aws.ecs.TaskDefinition,
        security_group_id: pulumi.Input[str],
        start_dependencies: list[pulumi.Resource],
    ) -> aws.ecs.Service:
        """``S-service``: private subnets, no public IP, circuit breaker with rollback, the
        target group attachment; it waits for its roles and ``service_depends_on``."""
        load_balancers: list[aws.ecs.ServiceLoadBalancerArgs] | None = None
        if args.target_group_arn is not None:
            load_balancers = [
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=args.target_group_arn,
                    container_name=self.container_name,
                    container_port=args.container_port,
                )
            ]
        return aws.ecs.Service(
            f"{self._name}-service",
            name=args.service_name,
            cluster=args.cluster_arn,
            task_definition=task.arn,
            desired_count=args.desired_count,
            launch_type="FARGATE",
            platform_version=args.platform_version,
            network_configuration={
                "subnets": args.subnet_ids,
                "security_groups": [security_group_id],
                "assign_public_ip": False,
            },
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=args.deployment_minimum_healthy_percent,
            deployment_maximum_percent=args.deployment_maximum_percent,
            load_balancers=load_balancers,
            health_check_grace_period_seconds=(
                args.health_check_grace_period_seconds
                if args.target_group_arn is not None
                else None
            ),
            enable_execute_command=args.enable_execute_command,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            wait_for_steady_state=False,
            tags=merge_tags(self._tags, f"{self._name}-service"),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*start_dependencies, *args.service_depends_on] or None,
                ignore_changes=["desiredCount"] if args.autoscaling is not None else None,
            ),
        )

    def _autoscaling(
        self, args: FargateServiceArgs, scaling: AutoscalingArgs, service: aws.ecs.Service
    ) -> None:
        """``S-scaling-target`` and ``S-scaling-cpu``: target tracking on average CPU."""
        name = self._name
        cluster_name = pulumi.Output.from_input(args.cluster_arn).apply(
            lambda arn: str(arn).split("/")[-1]
        )
        target = aws.appautoscaling.Target(
            f"{name}-scaling-target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", cluster_name, "/", service.name),
            min_capacity=scaling.min_capacity,
            max_capacity=scaling.max_capacity,
            tags=merge_tags(self._tags, f"{name}-scaling-target"),
            opts=child_opts(self),
        )
        aws.appautoscaling.Policy(
            f"{name}-scaling-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "predefined_metric_specification": {
                    "predefined_metric_type": "ECSServiceAverageCPUUtilization",
                },
                "target_value": float(scaling.cpu_target_percent),
                "scale_in_cooldown": scaling.scale_in_cooldown_seconds,
                "scale_out_cooldown": scaling.scale_out_cooldown_seconds,
            },
            opts=child_opts(self),
        )

    def _finish(
        self,
        task: aws.ecs.TaskDefinition,
        security_group_id: pulumi.Input[str],
        repository: aws.ecr.Repository | None,
        log_group: aws.cloudwatch.LogGroup,
        task_role: aws.iam.Role,
        execution_role_arn: pulumi.Input[str],
    ) -> None:
        """Set the output attributes (``service_name`` is set by the caller) and register them."""
        self.task_definition_arn = task.arn
        self.task_definition_family = task.family
        self.security_group_id = pulumi.Output.from_input(security_group_id)
        self.repository_url = (
            repository.repository_url if repository is not None else pulumi.Output.from_input(None)
        )
        self.repository_arn = (
            repository.arn if repository is not None else pulumi.Output.from_input(None)
        )
        self.log_group_name = log_group.name
        self.task_role_arn = task_role.arn
        self.execution_role_arn = pulumi.Output.from_input(execution_role_arn)
        register_outputs(
            self,
            "service_name",
            "task_definition_arn",
            "task_definition_family",
            "security_group_id",
            "repository_url",
            "repository_arn",
            "log_group_name",
            "task_role_arn",
            "execution_role_arn",
            "container_name",
        )


def _volume_names(args: FargateServiceArgs) -> list[str]:
    """The task's volumes: one per scratch path, and the CA bundle's."""
    names = [f"scratch-{i}" for i in range(len(args.scratch_paths))]
    return [*names, CA_VOLUME] if args.ca_bundle is not None else names


def service_security_group(
    owner: pulumi.Resource,
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    port: int,
    sources: Sequence[pulumi.Input[str]],
    group_name: str | None = None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    aliases_parent: pulumi.Input[str] | None = None,
) -> aws.ec2.SecurityGroup:
    """A service's security group as :class:`FargateService` makes it, for an owner that
    creates it ahead of the service: ``{name}-sg``, one ``{name}-ingress-i`` per source on
    ``port``, and ``{name}-egress`` (all traffic out: image pulls, Secrets Manager, logs and
    third-party APIs through the NAT gateway). ``aliases_parent`` is the URN of the parent
    they had before (a ``FargateService``), so moving them to ``owner`` replaces nothing."""
    tags = dict(tags or {})
    group = port_security_group(
        owner,
        name,
        group_name=group_name,
        vpc_id=vpc_id,
        port=port,
        sources=sources,
        description=description or f"{name}: port {port} from allowed security groups only",
        rule_description=f"{name} container port from an allowed security group",
        tags=tags,
        aliases_parent=aliases_parent,
    )
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-egress",
        security_group_id=group.id,
        cidr_ipv4="0.0.0.0/0",
        ip_protocol="-1",
        description="Image pulls, Secrets Manager, logs and third-party APIs via the NAT gateway",
        tags=merge_tags(tags, f"{name}-egress"),
        opts=moved_child_opts(owner, aliases_parent),
    )
    return group


async def _plain_only(name: str, environment: Mapping[str, pulumi.Input[str]]) -> bool:
    """Fail the run before the task definition is registered if a plain setting is a
    Pulumi secret Output (ECS would store it in plaintext in the task definition)."""
    for key in sorted(environment):
        value = environment[key]
        if isinstance(value, pulumi.Output) and await value.is_secret():
            raise ConfigError(
                f"FargateService {name!r}: FargateServiceArgs.environment[{key!r}]",
                "[secret Output]",
                "a plain value; this Output is a Pulumi secret: store it in Secrets Manager and pass "
                "its valueFrom in `secrets`",
                secret=True,
            )
    return True


def _validate(name: str, args: FargateServiceArgs) -> FargateServiceArgs:
    """Every argument check, before anything is registered: the declared constraints of each
    field (nested arguments included), then what spans fields."""
    k = "FargateServiceArgs"
    if not name:
        raise ConfigError("FargateService name", name, "a non-empty name")
    args = check_args(args, key=k)
    if args.ca_bundle is not None:
        args = dataclasses.replace(
            args,
            ca_bundle=check_args(
                coerce_args(CaBundleArgs, args.ca_bundle, key=f"{k}.ca_bundle"),
                key=f"{k}.ca_bundle",
            ),
        )
    if args.autoscaling is not None:
        args = dataclasses.replace(
            args,
            autoscaling=check_args(
                coerce_args(AutoscalingArgs, args.autoscaling, key=f"{k}.autoscaling"),
                key=f"{k}.autoscaling",
            ),
        )
    validate_fargate_size(
        args.cpu, args.memory_mib, cpu_key=f"{k}.cpu", memory_key=f"{k}.memory_mib"
    )
    require_plain_list(args.ingress_security_group_ids, key=f"{k}.ingress_security_group_ids")
    validate_mutable_tags(
        args.mutable_tags,
        key=f"{k}.mutable_tags",
        with_exclusion=args.image_tag_mutability.endswith("_WITH_EXCLUSION"),
    )
    validate_environment_names(args.environment, args.secrets, key=k)
    _validate_health_check(args)
    _validate_image(args)
    _validate_roles_and_network(args)
    _validate_service_mode(args)
    return args


def _validate_health_check(args: FargateServiceArgs) -> None:
    k = "FargateServiceArgs"
    if args.health_check_interval_seconds <= args.health_check_timeout_seconds:
        raise ConfigError(
            f"{k}.health_check_timeout_seconds",
            args.health_check_timeout_seconds,
            f"less than health_check_interval_seconds ({args.health_check_interval_seconds})",
        )
    ca = args.ca_bundle
    if ca is None:
        return
    if ca.combined and ca.runtime != "python":
        raise ConfigError(
            f"{k}.ca_bundle.combined",
            True,
            "False with runtime='node' (Node adds NODE_EXTRA_CA_CERTS to its own CAs)",
        )
    clash = sorted(set(ca.environment()) & set(args.environment))
    if clash:
        raise ConfigError(
            f"{k}.environment[{clash[0]!r}]",
            args.environment[clash[0]],
            "unset: ca_bundle sets it to the downloaded bundle",
        )


def _validate_image(args: FargateServiceArgs) -> None:
    """An image reference, the own repository's tag, or a build into it (with the extra)."""
    k = "FargateServiceArgs"
    if args.repository_name is not None and not args.create_repository:
        raise ConfigError(
            f"{k}.repository_name",
            args.repository_name,
            "None with create_repository=False (there is no repository to name)",
        )
    if args.build_context is not None:
        if importlib.util.find_spec("pulumi_awsx") is None:
            raise ConfigError(
                f"{k}.build_context",
                args.build_context,
                "a build needs the optional extra: pip install 'proliferate-components[build]' "
                "(pulumi-awsx and its Docker providers), or push the image yourself "
                "(`proliferate-infra deploy`) and leave build_context unset",
            )
        if args.image is not None:
            raise ConfigError(
                f"{k}.build_context",
                args.build_context,
                "None when `image` is given (build or reference, not both)",
            )
        if not args.create_repository:
            raise ConfigError(
                f"{k}.build_context",
                args.build_context,
                "used with create_repository=True (the push target)",
            )
    if args.image is None and not args.create_repository:
        raise ConfigError(
            f"{k}.image",
            None,
            "an image reference, or create_repository=True to use the service's own repository",
        )


def _validate_roles_and_network(args: FargateServiceArgs) -> None:
    """One execution role source; an existing security group comes with its own rules."""
    k = "FargateServiceArgs"
    if args.execution_role_arn is not None and args.execution_role is not None:
        raise ConfigError(
            f"{k}.execution_role",
            "<EcsExecutionRole>",
            "None when execution_role_arn is given (one or the other)",
        )
    if args.execution_role_name is not None and (
        args.execution_role is not None or args.execution_role_arn is not None
    ):
        raise ConfigError(
            f"{k}.execution_role_name",
            args.execution_role_name,
            "None with execution_role or execution_role_arn (the service creates no role)",
        )
    if args.execution_policy_name is not None and args.execution_role_arn is not None:
        raise ConfigError(
            f"{k}.execution_policy_name",
            args.execution_policy_name,
            "None with execution_role_arn (the service adds no policy to an existing role)",
        )
    if args.security_group_id is not None:
        for field_name in (
            "ingress_security_group_ids",
            "security_group_name",
            "security_group_description",
        ):
            if getattr(args, field_name):
                raise ConfigError(
                    f"{k}.{field_name}",
                    getattr(args, field_name),
                    "unset with security_group_id (the existing group's owner manages its rules)",
                )


def _validate_service_mode(args: FargateServiceArgs) -> None:
    """Task-definition-only mode has nothing to name, scale or attach; autoscaling bounds
    hold the desired count."""
    k = "FargateServiceArgs"
    if not args.create_service:
        for field_name, value, valid in (
            ("service_name", args.service_name, "there is no ECS service to name"),
            ("autoscaling", args.autoscaling, "there is no service to scale"),
            ("target_group_arn", args.target_group_arn, "there is no service to attach"),
        ):
            if value is not None:
                shown = "<AutoscalingArgs>" if field_name == "autoscaling" else value
                raise ConfigError(
                    f"{k}.{field_name}", shown, f"None with create_service=False ({valid})"
                )
        if args.desired_count != 0:
            raise ConfigError(
                f"{k}.desired_count",
                args.desired_count,
                "0 with create_service=False (no service keeps tasks running)",
            )
    s = args.autoscaling
    if s is None:
        return
    if s.max_capacity < s.min_capacity:
        raise ConfigError(
            f"{k}.autoscaling.max_capacity",
            s.max_capacity,
            f"at least min_capacity ({s.min_capacity})",
        )
    if not s.min_capacity <= args.desired_count <= s.max_capacity:
        raise ConfigError(
            f"{k}.desired_count",
            args.desired_count,
            f"between autoscaling.min_capacity ({s.min_capacity}) and max_capacity ({s.max_capacity})",
        )
