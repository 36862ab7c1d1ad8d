"""Moved to :mod:`proliferate_components.ops.aws_errors` (shared with ``deploy``); this name
stays importable."""

from __future__ import annotations

from ..ops.aws_errors import (
    ACCESS_DENIED_CODES,
    BAD_CREDENTIALS_CODES,
    DEFAULT_MAX_ATTEMPTS,
    THROTTLING_CODES,
    aws_errors,
    client_config,
    error_code,
    explain_client_error,
)

__all__ = [
    "ACCESS_DENIED_CODES",
    "BAD_CREDENTIALS_CODES",
    "DEFAULT_MAX_ATTEMPTS",
    "THROTTLING_CODES",
    "aws_errors",
    "client_config",
    "error_code",
    "explain_client_error",
]
