"""Running external programs (git, docker) behind a small interface tests replace."""

from __future__ import annotations

import shutil
import subprocess
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

OnLine = Callable[[str], None]
"""Receives a program's output line by line while it runs."""

TAIL_LINES = 40
"""Lines of output kept for error messages."""


@dataclass(frozen=True)
class CommandResult:
    """How a program ended.

    Attributes:
        returncode: its exit status (127 when it could not be started).
        output: the last :data:`TAIL_LINES` lines of its stdout and stderr, interleaved.
    """

    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        """True when it exited with 0."""
        return self.returncode == 0

    def tail(self, lines: int = 12) -> str:
        """The last ``lines`` lines of output."""
        return "\n".join(self.output.strip().splitlines()[-lines:])


class CommandRunner(Protocol):
    """Finds and runs programs."""

    def which(self, name: str) -> str | None:
        """The path of program ``name`` on PATH, or None."""
        ...

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        stdin: str | None = None,
        on_line: OnLine | None = None,
    ) -> CommandResult:
        """Run ``args``; ``stdin`` is written to its standard input (never logged);
        ``on_line`` sees each output line as it comes."""
        ...


class SubprocessRunner:
    """:class:`CommandRunner` with :mod:`subprocess` (no shell)."""

    def which(self, name: str) -> str | None:
        """``shutil.which``."""
        return shutil.which(name)

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        stdin: str | None = None,
        on_line: OnLine | None = None,
    ) -> CommandResult:
        """Run ``args`` and stream its output."""
        tail: deque[str] = deque(maxlen=TAIL_LINES)
        try:
            process = subprocess.Popen(
                list(args),
                cwd=cwd,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
            )
        except OSError as exc:
            return CommandResult(127, f"{args[0]}: {exc.strerror or exc}")
        if stdin is not None and process.stdin is not None:
            process.stdin.write(stdin)
            process.stdin.close()
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            tail.append(line)
            if on_line is not None:
                on_line(line)
        return CommandResult(process.wait(), "\n".join(tail))
