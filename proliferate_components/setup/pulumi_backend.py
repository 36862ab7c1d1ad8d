"""Moved to :mod:`proliferate_components.ops.pulumi_backend` (shared with ``deploy``); this
name stays importable."""

from __future__ import annotations

from ..ops.pulumi_backend import (
    AutomationPulumiBackend,
    ChangeSummary,
    ConfigEntry,
    OnOutput,
    OutputEntry,
    PulumiBackend,
    find_pulumi,
    has_changes,
)

__all__ = [
    "AutomationPulumiBackend",
    "ChangeSummary",
    "ConfigEntry",
    "OnOutput",
    "OutputEntry",
    "PulumiBackend",
    "find_pulumi",
    "has_changes",
]
