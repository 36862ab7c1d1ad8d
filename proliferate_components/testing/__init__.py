"""Test and offline-run support: run Pulumi programs under mocks and record registrations."""

from .harness import (
    SECRET_MARKER,
    Capture,
    RecordingMonitor,
    Registration,
    capture,
    capture_project,
    redact,
    unwrap,
)
from .mocks import ACCOUNT_ID, OfflineMocks

__all__ = [
    "ACCOUNT_ID",
    "SECRET_MARKER",
    "Capture",
    "OfflineMocks",
    "RecordingMonitor",
    "Registration",
    "capture",
    "capture_project",
    "redact",
    "unwrap",
]
