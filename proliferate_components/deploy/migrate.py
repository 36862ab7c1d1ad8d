"""The migrations of the new version, before any service changes.

The stack's migrations task definition runs the worker's image at the *deployed* tag
(``migrationsTaskDefinitionArn``). To migrate the database for the *new* version before the
services roll, as upstream's Helm chart does with a pre-upgrade hook job on the worker image
(``infra/helm/proliferate/templates/migrate-job.yaml`` in proliferate-ai/proliferate), a
deploy registers one revision of that family with the new worker image (everything else
copied), runs it with :func:`~proliferate_components.ops.migrations.run_migrations` and
deregisters it afterwards. The next ``pulumi up`` registers the stack's own revision with the
same image. A failed migration therefore changes no service and no stack config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..ops.aws_errors import aws_errors
from ..ops.errors import StepError

STEP = "migrate"

_COPIED = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "ephemeralStorage",
    "runtimePlatform",
)
"""``describe_task_definition`` fields that ``register_task_definition`` takes back."""


def with_image(
    definition: Mapping[str, Any], image: str, *, repository: str, container: str = "migrations"
) -> dict[str, Any]:
    """The ``register_task_definition`` arguments of ``definition`` with ``image`` in the
    migrations container (the one named ``container``, else every container whose image is
    from ``repository``).

    Raises:
        StepError: no container runs the worker's image.
    """
    containers = [dict(c) for c in definition.get("containerDefinitions", [])]
    named = [c for c in containers if c.get("name") == container]
    chosen = named or [
        c for c in containers if str(c.get("image", "")).rsplit(":", 1)[0] == repository
    ]
    if not chosen:
        raise StepError(
            f"the migrations task definition {definition.get('taskDefinitionArn', '')} has no "
            f"container {container!r} and none runs an image of {repository}",
            step=STEP,
        )
    for item in chosen:
        item["image"] = image
    args = {key: definition[key] for key in _COPIED if definition.get(key) not in (None, [], {})}
    args["containerDefinitions"] = containers
    return args


def register_revision(ecs: Any, task_definition_arn: str, image: str, *, repository: str) -> str:
    """Register a revision of the migrations task definition running ``image``; its ARN.

    Untagged on purpose: tags on ``RegisterTaskDefinition`` need ``ecs:TagResource`` too,
    and the revision lives only until :func:`deregister_revision`."""
    with aws_errors("reading the migrations task definition", step=STEP):
        definition = ecs.describe_task_definition(taskDefinition=task_definition_arn)[
            "taskDefinition"
        ]
    args = with_image(definition, image, repository=repository)
    with aws_errors("registering the migrations task definition for the new image", step=STEP):
        registered = ecs.register_task_definition(**args)["taskDefinition"]
    return str(registered["taskDefinitionArn"])


def deregister_revision(ecs: Any, arn: str) -> None:
    """Deregister the revision again (a deregistered revision can no longer start tasks)."""
    with aws_errors("deregistering the migrations task definition revision", step=STEP):
        ecs.deregister_task_definition(taskDefinition=arn)
