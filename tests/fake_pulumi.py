"""An in-memory :class:`~proliferate_components.ops.pulumi_backend.PulumiBackend` for the tests.

It keeps stacks, config and outputs in memory (share one instance between runs to model a
persistent backend), counts every mutating call, and can raise at a chosen call to simulate
an interruption.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from proliferate_components.ops.errors import StepError
from proliferate_components.ops.pulumi_backend import (
    ChangeSummary,
    ConfigEntry,
    OnOutput,
    OutputEntry,
)

OutputsFactory = Callable[[Mapping[str, ConfigEntry]], Mapping[str, OutputEntry]]
"""Computes the outputs of ``up`` from the stack config."""


@dataclass
class FakeStack:
    """One stack of the fake backend."""

    secrets_provider: str
    config: dict[str, ConfigEntry] = field(default_factory=dict[str, ConfigEntry])
    outputs: dict[str, OutputEntry] = field(default_factory=dict[str, OutputEntry])
    updates: int = 0
    applied: dict[str, ConfigEntry] | None = None
    """The config of the last successful ``up`` (None before the first)."""

    def pending(self) -> ChangeSummary:
        """What an update would do: create everything the first time, update when the
        config changed since the last ``up``, else nothing."""
        if self.applied is None:
            return {"create": 1}
        if self.applied != self.config:
            return {"update": 1, "same": 1}
        return {"same": 1}


MUTATING = frozenset({"login", "create_stack", "set_config", "up"})
"""Names of fake calls that change state."""


class InMemoryPulumiBackend:
    """A fake Pulumi backend.

    Args:
        installed: whether the CLI is "installed".
        outputs_factory: computes the outputs of ``up`` (default: none).
        fail_at: call name -> exception to raise the next time that call is made (once);
            ``"name#N"`` raises at the N-th call of that name (counted from construction).
        up_lines: lines streamed to ``on_output`` during ``up``.

    Attributes:
        stacks: stacks by name.
        logged_in: the current backend URL.
        calls: every call as ``(name, args)``.
    """

    def __init__(
        self,
        *,
        installed: bool = True,
        outputs_factory: OutputsFactory | None = None,
        fail_at: dict[str, BaseException] | None = None,
        up_lines: tuple[str, ...] = ("Updating (dev):", "Resources: 42 created"),
    ) -> None:
        self.installed = installed
        self.outputs_factory = outputs_factory
        self.fail_at: dict[str, BaseException] = dict(fail_at or {})
        self.up_lines = up_lines
        self.stacks: dict[str, FakeStack] = {}
        self.logged_in: str | None = None
        self.selected: str | None = None
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        count = sum(1 for call in self.calls if call[0] == name)
        error = self.fail_at.pop(name, None) or self.fail_at.pop(f"{name}#{count}", None)
        if error is not None:
            raise error

    def mutating_calls(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The calls that changed state, in order."""
        return [call for call in self.calls if call[0] in MUTATING]

    def _stack(self, stack: str) -> FakeStack:
        if self.logged_in is None:
            raise StepError("not logged in to a backend", step="stack")
        if stack not in self.stacks:
            raise StepError(f"no stack named {stack!r}", step="stack")
        return self.stacks[stack]

    def is_installed(self) -> bool:
        """The ``installed`` flag."""
        return self.installed

    def version(self) -> str | None:
        """``3.272.0`` when installed."""
        return "3.272.0" if self.installed else None

    def current_backend(self) -> str | None:
        """The URL logged in to."""
        return self.logged_in

    def login(self, url: str) -> None:
        """Remember ``url``."""
        self._call("login", url)
        self.logged_in = url

    def stack_exists(self, stack: str) -> bool:
        """Whether the stack exists."""
        return self.logged_in is not None and stack in self.stacks

    def select_or_create_stack(self, stack: str, *, secrets_provider: str) -> bool:
        """Select or create."""
        if self.logged_in is None:
            raise StepError("not logged in to a backend", step="stack")
        created = stack not in self.stacks
        if created:
            self._call("create_stack", stack, secrets_provider)
            self.stacks[stack] = FakeStack(secrets_provider=secrets_provider)
        self.selected = stack
        return created

    def get_all_config(self, stack: str) -> dict[str, ConfigEntry]:
        """A copy of the config."""
        return dict(self._stack(stack).config)

    def set_config(self, stack: str, key: str, value: str, *, secret: bool) -> None:
        """Set one value."""
        target = self._stack(stack)
        self._call("set_config", stack, key, secret)
        target.config[key] = ConfigEntry(value=value, secret=secret)

    def up(self, stack: str, *, on_output: OnOutput) -> ChangeSummary:
        """Stream ``up_lines``, compute the outputs, return what changed."""
        target = self._stack(stack)
        self._call("up", stack)
        changes = target.pending()
        for line in self.up_lines:
            on_output(line)
        if self.outputs_factory is not None:
            target.outputs = dict(self.outputs_factory(target.config))
        target.updates += 1
        target.applied = dict(target.config)
        return changes

    def preview(self, stack: str, *, on_output: OnOutput) -> ChangeSummary:
        """What ``up`` would change (see :meth:`FakeStack.pending`); changes nothing."""
        target = self._stack(stack)
        self._call("preview", stack)
        on_output(f"Previewing update ({stack}):")
        return target.pending()

    def outputs(self, stack: str) -> dict[str, OutputEntry]:
        """A copy of the outputs."""
        return dict(self._stack(stack).outputs)
