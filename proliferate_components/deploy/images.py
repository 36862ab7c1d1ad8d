"""Which images a deploy builds, from the platform contract and the stack, and what ECR holds.

Each enabled service with an image of its own (:attr:`PlatformService.image
<proliferate_components.platform.PlatformService.image>`: worker, gateway, llm-proxy; web with
``proliferate:enableWeb``; trigger-service with ``proliferate:enableTriggerService``) is built
from its context and Dockerfile in the checkout and pushed to the repository the stack
exports for it. The migrations task runs the worker's image, so it has none.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..environment import config_key, env_var
from ..errors import ConfigError
from ..ops.aws_errors import aws_errors, error_code, explain_client_error
from ..ops.errors import StepError
from ..ops.pulumi_backend import ConfigEntry, OutputEntry
from ..platform import PLATFORM_SERVICES

ENABLE_KEYS: Mapping[str, str] = {
    "web": "proliferate:enableWeb",
    "trigger-service": "proliferate:enableTriggerService",
}
"""Optional services and the config key that turns each on."""

IMAGE_TAG_KEY = "proliferate:imageTag"
"""The stack config key holding the deployed tag."""

DEFAULT_IMAGE_TAG = "latest"
"""The tag a stack deploys before ``proliferate:imageTag`` is set."""

OUTPUT_URLS: Mapping[str, tuple[str, ...]] = {
    "NEXT_PUBLIC_APP_URL": ("appUrl",),
    "NEXT_PUBLIC_API_URL": ("appUrl",),
    "NEXT_PUBLIC_GATEWAY_URL": ("gatewayUrl",),
}
"""Web build arguments taken from stack outputs (the URLs exist only once the stack does)."""


@dataclass(frozen=True)
class StackState:
    """A stack's config and outputs as a deploy reads them (nothing here writes)."""

    stack: str
    config: Mapping[str, ConfigEntry]
    outputs: Mapping[str, OutputEntry]

    @property
    def image_tag(self) -> str:
        """The tag the stack deploys now."""
        entry = self.config.get(IMAGE_TAG_KEY)
        return entry.value if entry is not None and entry.value else DEFAULT_IMAGE_TAG

    def enabled(self, service: str) -> bool:
        """Whether the stack runs ``service`` (optional ones by their config key)."""
        key = ENABLE_KEYS.get(service)
        if key is None:
            return PLATFORM_SERVICES[service].enabled_by_default
        entry = self.config.get(key)
        return entry is not None and entry.value.strip().lower() == "true"

    def output(self, key: str) -> Any:
        """An output's value (None when missing)."""
        entry = self.outputs.get(key)
        return None if entry is None else entry.value

    def require(self, key: str) -> Any:
        """An output's value.

        Raises:
            StepError: the output is missing (the stack was not updated with this version).
        """
        value = self.output(key)
        if value in (None, "", [], {}):
            raise StepError(
                f"stack {self.stack} has no {key} output: run `pulumi up` once with this "
                "version of proliferate-components (or `proliferate-infra setup`), then deploy",
                step="stack",
            )
        return value

    def setting(self, name: str) -> str | None:
        """A platform setting the user set in config (``proliferate:<NAME>``)."""
        entry = self.config.get(config_key(name))
        return entry.value if entry is not None else None


@dataclass(frozen=True)
class ImagePlan:
    """One image to have in ECR under the deploy's tag.

    Attributes:
        service: the service it runs.
        repository_url: ``<account>.dkr.ecr.<region>.amazonaws.com/<name>``.
        tag: the tag.
        context: the build context (absolute).
        dockerfile: the Dockerfile (absolute).
        platform: the target platform.
        build_args: ``--build-arg`` values.
        exists: ECR already holds the tag (nothing to build or push).
    """

    service: str
    repository_url: str
    tag: str
    context: Path
    dockerfile: Path
    platform: str
    build_args: Mapping[str, str] = field(default_factory=dict[str, str])
    exists: bool = False

    @property
    def image(self) -> str:
        """``repository_url:tag``."""
        return f"{self.repository_url}:{self.tag}"

    @property
    def registry(self) -> str:
        """The registry host."""
        return self.repository_url.split("/", 1)[0]

    @property
    def repository_name(self) -> str:
        """The repository's name in the registry."""
        return self.repository_url.split("/", 1)[1] if "/" in self.repository_url else ""

    @property
    def registry_id(self) -> str:
        """The AWS account of the registry (the host's first label)."""
        return self.registry.split(".", 1)[0]


def image_services(state: StackState) -> list[str]:
    """The enabled services that have an image of their own, in contract order."""
    return [
        name
        for name, service in PLATFORM_SERVICES.items()
        if service.image is not None and state.enabled(name)
    ]


def web_build_args(state: StackState) -> dict[str, str]:
    """The web image's ``NEXT_PUBLIC_*`` build arguments: the stack's URLs, then the user's
    ``proliferate:NEXT_PUBLIC_*`` settings, then the schema default, else empty (as
    upstream's installer passes ``${env.X || ""}`` so that the Dockerfile's placeholder
    defaults never reach a real build)."""
    spec = PLATFORM_SERVICES["web"].image
    assert spec is not None
    out: dict[str, str] = {}
    for name in spec.build_args:
        value: Any = None
        for output in OUTPUT_URLS.get(name, ()):
            value = state.output(output) or value
        if value is None:
            value = state.setting(name)
        if value is None:
            value = env_var(name).default
        out[name] = "" if value is None else str(value)
    return out


def plan_images(state: StackState, source: Path, tag: str) -> list[ImagePlan]:
    """What to build for each enabled service (``exists`` still False).

    Raises:
        ConfigError: the checkout lacks a build context or Dockerfile (``--source``).
        StepError: the stack exports no repository for an enabled service.
    """
    from ..contract import REPOSITORY_OUTPUTS  # here: contract imports pulumi

    plans: list[ImagePlan] = []
    outputs = dict(REPOSITORY_OUTPUTS)
    for service in image_services(state):
        spec = PLATFORM_SERVICES[service].image
        assert spec is not None
        context = (source / spec.context).resolve()
        dockerfile = (source / spec.dockerfile).resolve()
        for path, what in ((dockerfile, "Dockerfile"), (context, "build context")):
            if not path.exists():
                raise ConfigError(
                    "--source",
                    str(source),
                    f"a checkout of the platform (proliferate-ai/proliferate): the {service} "
                    f"{what} {path.relative_to(source.resolve())} is missing",
                )
        repository = str(state.require(outputs[service]))
        plans.append(
            ImagePlan(
                service=service,
                repository_url=repository,
                tag=tag,
                context=context,
                dockerfile=dockerfile,
                platform=spec.platform,
                build_args=web_build_args(state) if spec.build_args else {},
            )
        )
    return plans


def image_exists(ecr: Any, plan: ImagePlan) -> bool:
    """Whether ECR holds ``plan.tag`` in its repository.

    Raises:
        StepError: the repository does not exist, or ECR refused the call.
    """
    from botocore.exceptions import ClientError

    try:
        ecr.describe_images(
            registryId=plan.registry_id,
            repositoryName=plan.repository_name,
            imageIds=[{"imageTag": plan.tag}],
        )
    except ClientError as exc:
        code = error_code(exc)
        if code == "ImageNotFoundException":
            return False
        if code == "RepositoryNotFoundException":
            raise StepError(
                f"the ECR repository {plan.repository_name} of the {plan.service} does not "
                "exist; run `pulumi up` (or the setup wizard) before deploying",
                step="images",
            ) from None
        raise StepError(
            explain_client_error(exc, f"checking {plan.image} in ECR"), step="images"
        ) from None
    return True


def registry_password(ecr: Any, registry_id: str) -> tuple[str, str]:
    """An ECR authorization token for ``registry_id``: (registry host, password).

    Raises:
        StepError: ECR refused (the message names the permission).
    """
    with aws_errors("getting an ECR authorization token", step="push"):
        data = ecr.get_authorization_token(registryIds=[registry_id])["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    if user != "AWS" or not password:
        raise StepError("ECR returned an authorization token of an unknown form", step="push")
    return str(data["proxyEndpoint"]).removeprefix("https://"), password
