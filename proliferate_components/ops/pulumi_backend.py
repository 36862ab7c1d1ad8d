"""Everything the wizard and ``deploy`` ask of Pulumi, behind ONE narrow interface.

:class:`PulumiBackend` is the protocol; :class:`AutomationPulumiBackend` implements it with
the Automation API (``pulumi.automation.LocalWorkspace``, which drives the ``pulumi`` binary
and is therefore constructed only when first needed), and
``tests/fake_pulumi.py`` implements it in memory for the tests (not shipped).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .errors import StepError

OnOutput = Callable[[str], None]
"""Receives the progress of ``pulumi up`` line by line."""

ChangeSummary = dict[str, int]
"""Resource operations of an update or preview and their counts, e.g. ``{"same": 40,
"update": 2}`` (Pulumi's ``OpType`` names)."""


def has_changes(summary: Mapping[str, int]) -> bool:
    """True when ``summary`` counts any operation other than ``same``."""
    return any(count for op, count in summary.items() if op != "same")


@dataclass(frozen=True)
class ConfigEntry:
    """One stack config value (secrets decrypted) and whether it is stored as a secret."""

    value: str
    secret: bool


@dataclass(frozen=True)
class OutputEntry:
    """One stack output and whether it is a secret."""

    value: Any
    secret: bool


@runtime_checkable
class PulumiBackend(Protocol):
    """The Pulumi operations of the wizard and ``deploy``; every method may raise
    :class:`StepError`."""

    def is_installed(self) -> bool:
        """True when the ``pulumi`` CLI can be run."""
        ...

    def version(self) -> str | None:
        """The CLI version, e.g. ``3.200.0`` (None when not installed)."""
        ...

    def current_backend(self) -> str | None:
        """The URL of the backend currently logged in to, or None."""
        ...

    def login(self, url: str) -> None:
        """``pulumi login URL``."""
        ...

    def stack_exists(self, stack: str) -> bool:
        """True when ``stack`` exists in the current backend."""
        ...

    def select_or_create_stack(self, stack: str, *, secrets_provider: str) -> bool:
        """Select ``stack``, creating it with ``secrets_provider`` when missing.

        Returns True when it was created.
        """
        ...

    def get_all_config(self, stack: str) -> dict[str, ConfigEntry]:
        """Every config value of ``stack`` (secrets decrypted), by full key (``ns:key``)."""
        ...

    def set_config(self, stack: str, key: str, value: str, *, secret: bool) -> None:
        """``pulumi config set [--secret] KEY VALUE`` on ``stack``."""
        ...

    def up(self, stack: str, *, on_output: OnOutput) -> ChangeSummary:
        """``pulumi up --yes`` on ``stack``, streaming progress to ``on_output``; returns
        the operations it made.

        Raises:
            StepError: the update failed (the message carries the end of its output).
        """
        ...

    def preview(self, stack: str, *, on_output: OnOutput) -> ChangeSummary:
        """``pulumi preview`` on ``stack`` (changes nothing); returns the operations an
        update would make.

        Raises:
            StepError: the preview failed.
        """
        ...

    def outputs(self, stack: str) -> dict[str, OutputEntry]:
        """The stack outputs (secrets decrypted); empty before the first update."""
        ...


def find_pulumi() -> str | None:
    """Path of the ``pulumi`` binary: PATH, else ``~/.pulumi/bin/pulumi``, else None."""
    found = shutil.which("pulumi")
    if found:
        return found
    home = Path(os.environ.get("PULUMI_HOME", Path.home() / ".pulumi")) / "bin" / "pulumi"
    return str(home) if home.is_file() and os.access(home, os.X_OK) else None


class AutomationPulumiBackend:
    """:class:`PulumiBackend` through the Automation API and the ``pulumi`` binary.

    Args:
        project_dir: the Pulumi project directory (holds ``Pulumi.yaml``).
        env: extra environment for every Pulumi command (AWS credentials, passphrase); a
            dict is kept by reference, so credentials found later reach later commands.
    """

    def __init__(self, project_dir: str | Path, *, env: Mapping[str, str] | None = None) -> None:
        self.project_dir = Path(project_dir)
        self.env: dict[str, str] = env if isinstance(env, dict) else dict(env or {})
        self._workspace: Any = None
        self._command: Any = None

    def _pulumi_command(self) -> Any:
        if self._command is None:
            from pulumi.automation import PulumiCommand

            path = find_pulumi()
            if path is None:
                raise StepError("the pulumi CLI is not installed", step="preflight")
            if shutil.which("pulumi"):
                self._command = PulumiCommand()
            else:
                self._command = PulumiCommand(root=str(Path(path).parent.parent))
        return self._command

    def _ws(self) -> Any:
        if self._workspace is None:
            from pulumi.automation import LocalWorkspace

            self._workspace = LocalWorkspace(
                work_dir=str(self.project_dir),
                env_vars=self.env,
                pulumi_command=self._pulumi_command(),
            )
            # LocalWorkspace replaces an empty mapping with a new dict: share ours so that
            # credentials added after construction reach every later command
            self._workspace.env_vars = self.env
        return self._workspace

    def _run(self, args: list[str]) -> str:
        from pulumi.automation import CommandError

        try:
            result = self._pulumi_command().run(args, str(self.project_dir), self.env)
        except CommandError as exc:
            raise StepError(f"`pulumi {' '.join(args)}` failed: {_tail(str(exc))}") from None
        return str(result.stdout)

    def is_installed(self) -> bool:
        """True when a ``pulumi`` binary is found."""
        return find_pulumi() is not None

    def version(self) -> str | None:
        """The CLI version (``pulumi version``)."""
        if not self.is_installed():
            return None
        return self._run(["version"]).strip().lstrip("v")

    def current_backend(self) -> str | None:
        """``pulumi whoami --verbose``'s backend URL (None when not logged in)."""
        try:
            return self._ws().who_am_i().url
        except Exception:
            return None

    def login(self, url: str) -> None:
        """``pulumi login URL``."""
        self._run(["login", url])

    def stack_exists(self, stack: str) -> bool:
        """True when ``stack`` is listed by ``pulumi stack ls``."""
        from pulumi.automation import CommandError

        try:
            names = {summary.name for summary in self._ws().list_stacks()}
        except CommandError as exc:
            raise StepError(f"listing stacks failed: {_tail(str(exc))}", step="stack") from None
        return stack in names or any(name.endswith(f"/{stack}") for name in names)

    def select_or_create_stack(self, stack: str, *, secrets_provider: str) -> bool:
        """Select ``stack`` or create it with ``secrets_provider``."""
        from pulumi.automation import CommandError

        ws = self._ws()
        try:
            if self.stack_exists(stack):
                ws.select_stack(stack)
                return False
            ws.secrets_provider = secrets_provider
            ws.create_stack(stack)
        except CommandError as exc:
            raise StepError(
                f"selecting stack {stack} failed: {_tail(str(exc))}", step="stack"
            ) from None
        return True

    def get_all_config(self, stack: str) -> dict[str, ConfigEntry]:
        """``pulumi config --show-secrets --json``."""
        from pulumi.automation import CommandError

        try:
            values = self._ws().get_all_config(stack)
        except CommandError as exc:
            raise StepError(f"reading config failed: {_tail(str(exc))}", step="stack") from None
        return {
            key: ConfigEntry(value=str(item.value), secret=bool(item.secret))
            for key, item in values.items()
        }

    def set_config(self, stack: str, key: str, value: str, *, secret: bool) -> None:
        """``pulumi config set [--secret] KEY VALUE``."""
        from pulumi.automation import CommandError, ConfigValue

        try:
            self._ws().set_config(stack, key, ConfigValue(value=value, secret=secret))
        except CommandError as exc:
            raise StepError(f"setting {key} failed: {_tail(str(exc))}", step="stack") from None

    def up(self, stack: str, *, on_output: OnOutput) -> ChangeSummary:
        """``pulumi up --yes`` with streamed output."""
        from pulumi.automation import CommandError, Stack

        try:
            result = Stack.select(stack, self._ws()).up(on_output=on_output, color="never")
        except CommandError as exc:
            raise StepError(f"pulumi up failed:\n{_tail(str(exc), 30)}", step="up") from None
        return _summary(result.summary.resource_changes)

    def preview(self, stack: str, *, on_output: OnOutput) -> ChangeSummary:
        """``pulumi preview`` with streamed output."""
        from pulumi.automation import CommandError, Stack

        try:
            result = Stack.select(stack, self._ws()).preview(on_output=on_output, color="never")
        except CommandError as exc:
            raise StepError(
                f"pulumi preview failed:\n{_tail(str(exc), 30)}", step="preview"
            ) from None
        return _summary(result.change_summary)

    def outputs(self, stack: str) -> dict[str, OutputEntry]:
        """``pulumi stack output --json --show-secrets``."""
        from pulumi.automation import CommandError

        try:
            values = self._ws().stack_outputs(stack)
        except CommandError as exc:
            raise StepError(f"reading outputs failed: {_tail(str(exc))}", step="outputs") from None
        return {
            key: OutputEntry(value=item.value, secret=bool(item.secret))
            for key, item in values.items()
        }


def _summary(changes: Mapping[Any, int] | None) -> ChangeSummary:
    """Pulumi's op map (``OpType`` keys, a ``str`` enum) as plain names."""
    return {str(getattr(op, "value", op)): int(count) for op, count in (changes or {}).items()}


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
