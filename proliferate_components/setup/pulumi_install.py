"""Offering to install the Pulumi CLI when it is missing (never silently)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from ..ops.pulumi_backend import PulumiBackend
from .context import SetupContext
from .errors import SetupError

STEP = "preflight"

Runner = Callable[[Sequence[str]], int]
"""Runs an install command and returns its exit code (tests inject their own)."""


def install_command() -> list[str]:
    """Homebrew's ``brew install pulumi/tap/pulumi`` where brew exists, else the official
    installer ``curl -fsSL https://get.pulumi.com | sh``."""
    if shutil.which("brew"):
        return ["brew", "install", "pulumi/tap/pulumi"]
    return ["sh", "-c", "curl -fsSL https://get.pulumi.com | sh"]


def shown_command(command: Sequence[str]) -> str:
    """The command as the user would type it."""
    if list(command[:2]) == ["sh", "-c"]:
        return command[2]
    return " ".join(command)


def _run(command: Sequence[str]) -> int:
    return subprocess.run(list(command), check=False).returncode


def ensure_pulumi(ctx: SetupContext, pulumi: PulumiBackend, *, runner: Runner = _run) -> None:
    """Make sure the Pulumi CLI is there, installing it only with the user's consent.

    Consent is ``--install-pulumi`` or a "yes" to the prompt; without either (e.g.
    non-interactive) the wizard stops and shows the command.

    Raises:
        SetupError: not installed and not allowed to install, or the install failed.
    """
    if pulumi.is_installed():
        ctx.echo(f"Pulumi CLI {pulumi.version()}")
        return
    command = install_command()
    shown = shown_command(command)
    explicit = ctx.answers.get("install_pulumi")
    if explicit is not None:
        allowed = bool(explicit.value)
    elif ctx.interactive:
        allowed = ctx.confirm(
            "install_pulumi", f"The Pulumi CLI is missing. Install it with `{shown}`?", default=True
        )
    else:
        allowed = False
    if not allowed:
        raise SetupError(
            f"the Pulumi CLI is not installed; install it with `{shown}` (or pass "
            "--install-pulumi to let the wizard run that) and run the wizard again",
            step=STEP,
        )
    if ctx.dry_run:
        ctx.mutate(f"run `{shown}`", lambda: None)
        return
    code = ctx.mutate(f"run `{shown}`", lambda: runner(command))
    bin_dir = Path.home() / ".pulumi" / "bin"
    if str(bin_dir) not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.environ.get("PATH", "") + os.pathsep + str(bin_dir)
    if code != 0 or not pulumi.is_installed():
        raise SetupError(
            f"`{shown}` failed (exit code {code}); install the Pulumi CLI by hand "
            "(https://www.pulumi.com/docs/install/) and run the wizard again",
            step=STEP,
        )
    ctx.echo(f"Pulumi CLI {pulumi.version()} installed")
