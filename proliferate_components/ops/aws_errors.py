"""Turning AWS failures into clear :class:`~.errors.StepError` messages (never a traceback)."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

from .errors import StepError

DEFAULT_MAX_ATTEMPTS = 8
"""Attempts per AWS call (botocore "standard" retry mode backs off between them)."""

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "Forbidden",
        "403",
        "AllAccessDisabled",
    }
)
"""Error codes meaning the identity lacks a permission."""

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
    }
)
"""Error codes meaning AWS rate-limited the caller (after botocore's own retries)."""

BAD_CREDENTIALS_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "InvalidToken",
        "AuthFailure",
    }
)
"""Error codes meaning the credentials are wrong or expired."""


def client_config(max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Any:
    """A botocore ``Config`` with standard retries (``max_attempts`` per call)."""
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": max_attempts})


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response: Any = getattr(exc, "response", None)
    try:
        return str(response["Error"]["Code"])
    except (TypeError, KeyError):
        return ""


def explain_client_error(exc: BaseException, action: str) -> str:
    """A one-paragraph explanation of a ``ClientError`` raised while doing ``action``."""
    code = error_code(exc)
    response: Any = getattr(exc, "response", {})
    message = str(response.get("Error", {}).get("Message", "")) or str(exc)
    operation = str(getattr(exc, "operation_name", "") or "the call")
    if code in ACCESS_DENIED_CODES:
        return (
            f"AWS denied {action} ({operation}: {code}): {message}. Grant this identity the "
            f"permission for {operation}, or use another profile with --profile."
        )
    if code in THROTTLING_CODES:
        return (
            f"AWS throttled {action} ({operation}: {code}) even after retries: {message}. "
            "Wait a minute and run the wizard again; it resumes where it stopped."
        )
    if code == "BucketAlreadyExists":
        return (
            f"{action} failed: the bucket name is taken by another AWS account (S3 bucket names "
            "are global). Choose another name with --backend-bucket."
        )
    if code in BAD_CREDENTIALS_CODES:
        return (
            f"AWS rejected the credentials while {action} ({code}): {message}. Refresh them "
            "(e.g. `aws sso login --profile NAME`) or pass another --profile."
        )
    return f"{action} failed ({operation}: {code or 'error'}): {message}"


@contextmanager
def aws_errors(action: str, *, step: str) -> Generator[None]:
    """Run AWS calls for ``action``; turn botocore failures into :class:`StepError`.

    Raises:
        StepError: on ``ClientError``, missing credentials or a connection failure.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        NoRegionError,
    )

    try:
        yield
    except ClientError as exc:
        raise StepError(explain_client_error(exc, action), step=step) from None
    except NoCredentialsError:
        raise StepError(
            f"no AWS credentials while {action}; pass --profile, set AWS_PROFILE, or set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            step=step,
        ) from None
    except NoRegionError:
        raise StepError(f"no AWS region while {action}; pass --region", step=step) from None
    except BotoCoreError as exc:
        raise StepError(f"{action} failed: {exc}", step=step) from None
