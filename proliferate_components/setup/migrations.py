"""Moved to :mod:`proliferate_components.ops.migrations` (shared with ``deploy``); this name
stays importable."""

from __future__ import annotations

from ..ops.migrations import (
    DEFAULT_POLL_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    LOG_TAIL_LINES,
    OUTPUT_KEYS,
    STEP,
    MigrationResult,
    MigrationTarget,
    run_migrations,
    target_from_outputs,
    task_outcome,
)

__all__ = [
    "DEFAULT_POLL_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "LOG_TAIL_LINES",
    "OUTPUT_KEYS",
    "STEP",
    "MigrationResult",
    "MigrationTarget",
    "run_migrations",
    "target_from_outputs",
    "task_outcome",
]
