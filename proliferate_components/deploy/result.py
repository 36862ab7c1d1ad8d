"""What a deploy did, its exit codes, and how it reports progress."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from .rollout import ServiceStatus
from .smoke import SmokeCheck

EXIT_OK = 0
"""Deployed, already deployed (nothing to do), or a dry run."""
EXIT_FAILED = 1
"""Failed before any service changed (build, push, migrations; or a smoke check of a stack
this run did not change): the stack runs what it ran before."""
EXIT_INVALID = 2
"""Invalid input or a missing prerequisite (dirty tree, no Docker, no stack outputs,
AWS credentials); nothing was done."""
EXIT_ROLLED_BACK = 3
"""The rollout or smoke check failed and the previous image tag was restored."""
EXIT_ROLLBACK_FAILED = 4
"""The rollout or smoke check failed and restoring the previous tag failed or was
impossible: the stack needs attention (the message says what to run)."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C)."""

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "deployed, already deployed, or dry run",
    EXIT_FAILED: "failed before any service changed; the stack runs what it ran before",
    EXIT_INVALID: "invalid input or missing prerequisite; nothing was done",
    EXIT_ROLLED_BACK: "rollout or smoke check failed; rolled back to the previous image tag",
    EXIT_ROLLBACK_FAILED: "rollout or smoke check failed and the rollback failed: act now",
    EXIT_INTERRUPTED: "interrupted",
}
"""Every exit code of ``proliferate-infra deploy`` and what it means (docs/deploy.md)."""

Status = Literal["deployed", "unchanged", "planned", "failed", "rolled-back", "rollback-failed"]
StepStatus = Literal["ok", "skipped", "failed", "planned"]


@dataclass(frozen=True)
class StepRecord:
    """One step of a run: its name, outcome, duration and a one-line summary."""

    name: str
    status: StepStatus
    seconds: float
    summary: str

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "name": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 1),
            "summary": self.summary,
        }


@dataclass(frozen=True)
class ImageRecord:
    """One image of the run and what happened to it."""

    service: str
    image: str
    action: Literal["exists", "build", "built", "pushed"]
    build_command: tuple[str, ...] = ()
    push_command: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "service": self.service,
            "image": self.image,
            "action": self.action,
            "buildCommand": list(self.build_command),
            "pushCommand": list(self.push_command),
        }


@dataclass
class DeployResult:
    """Everything a run did, for the summary and ``--json``.

    Attributes:
        status: the outcome.
        exit_code: the process exit code (see :data:`EXIT_CODES`).
        stack: the stack.
        tag: the image tag deployed (or planned).
        previous_tag: the tag the stack ran before.
        message: one paragraph for the user: what happened and what to do.
        steps: every step in order.
        images: every image.
        migration: the migration task (``taskArn``, ``exitCode``, ``logTail``), if it ran.
        services: the last status of each ECS service.
        smoke: the last answer of each health endpoint.
        rollback_reason: why the run rolled back, if it did.
    """

    status: Status
    exit_code: int
    stack: str
    tag: str = ""
    previous_tag: str = ""
    message: str = ""
    steps: list[StepRecord] = field(default_factory=list[StepRecord])
    images: list[ImageRecord] = field(default_factory=list[ImageRecord])
    migration: dict[str, Any] | None = None
    services: list[ServiceStatus] = field(default_factory=list[ServiceStatus])
    smoke: list[SmokeCheck] = field(default_factory=list[SmokeCheck])
    rollback_reason: str | None = None
    plan: list[str] = field(default_factory=list[str])

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "status": self.status,
            "exitCode": self.exit_code,
            "stack": self.stack,
            "tag": self.tag,
            "previousTag": self.previous_tag,
            "message": self.message,
            "rollbackReason": self.rollback_reason,
            "steps": [s.to_json() for s in self.steps],
            "images": [i.to_json() for i in self.images],
            "migration": self.migration,
            "services": [s.to_json() for s in self.services],
            "smoke": [s.to_json() for s in self.smoke],
            "plan": list(self.plan),
        }


class Progress(Protocol):
    """Receives the progress of a run (the CLI shows it with rich, or as plain lines)."""

    def step(self, name: str, title: str) -> None:
        """A step starts."""
        ...

    def line(self, text: str) -> None:
        """A line of detail within the current step."""
        ...

    def waiting(self, what: str, elapsed_seconds: float) -> None:
        """Still waiting for ``what`` after ``elapsed_seconds`` (replaces the last wait)."""
        ...

    def finished(self, record: StepRecord) -> None:
        """The current step ended."""
        ...


class RecordingProgress:
    """A :class:`Progress` that keeps everything (tests, ``--json`` runs)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def step(self, name: str, title: str) -> None:
        """Record it."""
        self.events.append(("step", f"{name}: {title}"))

    def line(self, text: str) -> None:
        """Record it."""
        self.events.append(("line", text))

    def waiting(self, what: str, elapsed_seconds: float) -> None:
        """Record it."""
        self.events.append(("waiting", f"{what} ({format_seconds(elapsed_seconds)})"))

    def finished(self, record: StepRecord) -> None:
        """Record it."""
        self.events.append(("finished", f"{record.name} {record.status}: {record.summary}"))

    def text(self, kinds: Sequence[str] = ("step", "line", "waiting", "finished")) -> str:
        """The recorded events of ``kinds`` as lines."""
        return "\n".join(text for kind, text in self.events if kind in kinds)


WAIT_LINE_EVERY_SECONDS = 30.0
"""How often :class:`LineProgress` prints a line during a long wait."""


class LineProgress:
    """Progress as plain lines (``--json`` on stderr, logs that are not a terminal, the
    setup wizard); a long wait prints a line every :data:`WAIT_LINE_EVERY_SECONDS`."""

    def __init__(
        self, echo: Callable[[str], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.echo = echo
        self.clock = clock
        self.last_wait: float | None = None

    def step(self, name: str, title: str) -> None:
        """A step starts."""
        self.last_wait = None
        self.echo(f"==> {title}")

    def line(self, text: str) -> None:
        """A detail line."""
        self.echo(f"    {text}")

    def waiting(self, what: str, elapsed_seconds: float) -> None:
        """At most one line per interval."""
        now = self.clock()
        if self.last_wait is None or now - self.last_wait >= WAIT_LINE_EVERY_SECONDS:
            self.last_wait = now
            self.echo(f"    ... {what} ({format_seconds(elapsed_seconds)})")

    def finished(self, record: StepRecord) -> None:
        """A step ended."""
        self.echo(f"    {record.status}: {record.summary} ({format_seconds(record.seconds)})")

    def close(self) -> None:
        """Nothing to clean up."""


def format_seconds(seconds: float) -> str:
    """``75`` -> ``1m15s``."""
    whole = int(seconds)
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"
