"""The Docker commands of a deploy and the checks that make their failures clear.

Builds use ``docker buildx build`` (BuildKit, cross-platform with QEMU), one image per
service, loaded into the local image store (``--load``) and pushed with ``docker push``
afterwards, as upstream's installer builds every image and then pushes every image
(``scripts/install-platform.cjs`` in proliferate-ai/proliferate). Logging in pipes an ECR
authorization token to ``docker login --password-stdin``, never on a command line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..ops.errors import StepError
from .commands import CommandRunner

STEP = "preflight"


def build_command(
    *,
    image: str,
    context: Path,
    dockerfile: Path,
    platform: str,
    build_args: Mapping[str, str] | None = None,
) -> list[str]:
    """``docker buildx build`` of one image, loaded into the local store under ``image``."""
    args = ["docker", "buildx", "build", "--platform", platform, "-f", str(dockerfile)]
    args += ["-t", image]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    return [*args, "--load", str(context)]


def push_command(image: str) -> list[str]:
    """``docker push IMAGE``."""
    return ["docker", "push", image]


def login_command(registry: str) -> list[str]:
    """``docker login`` to ``registry`` with the password on standard input."""
    return ["docker", "login", "--username", "AWS", "--password-stdin", registry]


def check_docker(runner: CommandRunner, platforms: Sequence[str]) -> str:
    """Check Docker can build ``platforms``: the CLI, its daemon, buildx and a builder
    that targets each platform. Returns the server version.

    Raises:
        StepError: what is missing and how to get it.
    """
    if runner.which("docker") is None:
        raise StepError(
            "docker is not installed (not on PATH); install Docker Desktop or Docker Engine "
            "with the buildx plugin (https://docs.docker.com/get-docker/), or deploy from CI "
            "(proliferate-infra init-ci)",
            step=STEP,
        )
    server = runner.run(["docker", "version", "--format", "{{.Server.Version}}"])
    if not server.ok:
        raise StepError(
            "the Docker daemon is not running or not reachable (docker version: "
            f"{server.tail(2)}); start Docker Desktop, or `sudo systemctl start docker`, and "
            "check that your user may use it (`docker info`)",
            step=STEP,
        )
    buildx = runner.run(["docker", "buildx", "version"])
    if not buildx.ok:
        raise StepError(
            f"docker buildx is not available ({buildx.tail(2)}); install the buildx plugin "
            "(Docker Desktop has it; Debian/Ubuntu: `apt-get install docker-buildx-plugin`)",
            step=STEP,
        )
    inspect = runner.run(["docker", "buildx", "inspect", "--bootstrap"])
    if not inspect.ok:
        raise StepError(f"no usable buildx builder ({inspect.tail(3)})", step=STEP)
    available = builder_platforms(inspect.output)
    missing = [p for p in platforms if p not in available]
    if missing:
        raise StepError(
            f"the buildx builder cannot build {', '.join(missing)} (it builds "
            f"{', '.join(available) or 'nothing it reports'}); ECS Fargate runs linux/amd64: "
            "install QEMU emulation (`docker run --privileged --rm tonistiigi/binfmt --install "
            "amd64`) or select a builder for it (`docker buildx create --use --platform "
            "linux/amd64`)",
            step=STEP,
        )
    return server.output.strip().splitlines()[-1] if server.output.strip() else ""


def builder_platforms(inspect_output: str) -> list[str]:
    """The platforms ``docker buildx inspect`` lists (``linux/amd64*`` counts as amd64)."""
    found: list[str] = []
    for line in inspect_output.splitlines():
        key, _, value = line.partition(":")
        if key.strip() != "Platforms":
            continue
        for item in value.split(","):
            name = re.sub(r"[*\s]", "", item)
            if name and name not in found:
                found.append(name)
    return found
