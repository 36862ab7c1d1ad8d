"""Moved to :mod:`proliferate_components.ops.fake_pulumi` (shared with ``deploy``); this name
stays importable."""

from __future__ import annotations

from ..ops.fake_pulumi import MUTATING, FakeStack, InMemoryPulumiBackend, OutputsFactory

__all__ = ["MUTATING", "FakeStack", "InMemoryPulumiBackend", "OutputsFactory"]
