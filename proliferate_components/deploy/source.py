"""The image tag of a checkout: its commit, marked when the tree is dirty.

As upstream's installer does (``scripts/install-platform.cjs`` in proliferate-ai/proliferate:
``git rev-parse --short HEAD``, then ``-dirty-<stamp>`` when ``git status --porcelain``
prints anything). Two differences: a dirty tree is refused unless the caller allows it (a
deployed tag should name a commit), and the stamp has seconds (``YYYYmmddHHMMSS`` in UTC)
because tags are immutable, so two dirty deploys in one minute must not collide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ConfigError
from .commands import CommandRunner


@dataclass(frozen=True)
class SourceTag:
    """What is being deployed.

    Attributes:
        tag: the image tag (``1a2b3c4`` or ``1a2b3c4-dirty-20261101120000``).
        commit: the short commit.
        changed: files ``git status --porcelain`` lists (empty for a clean tree).
    """

    tag: str
    commit: str
    changed: tuple[str, ...] = ()

    @property
    def dirty(self) -> bool:
        """True when the tree had uncommitted changes."""
        return bool(self.changed)


def source_tag(
    source: Path, runner: CommandRunner, *, allow_dirty: bool, now: datetime | None = None
) -> SourceTag:
    """The tag to deploy ``source`` under.

    Raises:
        ConfigError: ``source`` is not a git checkout (``--source``), or its tree is dirty
            and ``allow_dirty`` is false (``--allow-dirty``).
    """
    if runner.which("git") is None:
        raise ConfigError("--source", str(source), "a git checkout, and git on PATH (not found)")
    head = runner.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"])
    commit = head.output.strip().splitlines()[-1] if head.ok and head.output.strip() else ""
    if not commit:
        raise ConfigError(
            "--source",
            str(source),
            f"a git checkout of the platform with a commit (git rev-parse: {head.tail(2)})",
        )
    status = runner.run(["git", "-C", str(source), "status", "--porcelain"])
    if not status.ok:
        raise ConfigError("--source", str(source), f"a git checkout ({status.tail(2)})")
    changed = tuple(line[3:] for line in status.output.splitlines() if line.strip())
    if not changed:
        return SourceTag(tag=commit, commit=commit)
    if not allow_dirty:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        raise ConfigError(
            "--allow-dirty",
            False,
            f"a clean tree: {len(changed)} uncommitted change(s) ({shown}); commit them, or "
            f"pass --allow-dirty to deploy them as {commit}-dirty-<time>",
        )
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")
    return SourceTag(tag=f"{commit}-dirty-{stamp}", commit=commit, changed=changed)
