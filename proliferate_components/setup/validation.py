"""Test calls that check the user's API credentials before they are deployed.

Each check makes one cheap, read-only call with a short timeout, with the base URL
injectable (tests use a server on 127.0.0.1):

- **Anthropic** ``ANTHROPIC_API_KEY``: ``GET /v1/models`` with ``x-api-key`` and
  ``anthropic-version: 2023-06-01`` (docs.anthropic.com, "List Models").
- **GitHub App** ``GITHUB_APP_ID`` + ``GITHUB_APP_PRIVATE_KEY``: a JWT signed with the key
  (RS256, ``iss`` the app id, ``iat`` 60 s in the past, ``exp`` 9 minutes ahead), then
  ``GET /app`` (docs.github.com, "Authenticating as a GitHub App"); the answer's ``slug`` is
  compared with ``NEXT_PUBLIC_GITHUB_APP_SLUG``. Skipped when ``NEXT_PUBLIC_USE_NANGO_GITHUB``
  is true (Nango holds the GitHub credentials then).
- **E2B** ``E2B_API_KEY`` (sandbox provider ``e2b``): ``GET /sandboxes`` with ``X-API-Key``
  (e2b.dev API).
- **Modal** ``MODAL_TOKEN_ID`` + ``MODAL_TOKEN_SECRET`` (sandbox provider ``modal``): the
  ``ClientHello`` call the Modal client makes first, over gRPC with the token in the
  ``x-modal-token-id``/``x-modal-token-secret`` metadata (modal-labs/modal-client,
  ``modal/client.py``); ``UNAUTHENTICATED`` means rejected.

A check ends **accepted**, **rejected** (the provider said no: the wizard stops and names
the keys) or **not verified** (unreachable, timed out, throttled, an unexpected answer: a
warning, the wizard goes on). ``--skip-validation`` skips every check (offline use).
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import SetupError

STEP = "validation"
DEFAULT_TIMEOUT_SECONDS = 5.0
"""Timeout of each test call."""


@dataclass(frozen=True)
class Endpoints:
    """Where the test calls go (tests point them at 127.0.0.1)."""

    anthropic: str = "https://api.anthropic.com"
    github: str = "https://api.github.com"
    e2b: str = "https://api.e2b.dev"
    modal: str = "api.modal.com:443"
    """gRPC target ``host:port``."""
    modal_tls: bool = True


@dataclass(frozen=True)
class CredentialCheck:
    """The outcome of one test call.

    Attributes:
        what: what was checked, e.g. ``the Anthropic API key``.
        keys: the environment keys it covers.
        where: the host asked.
        accepted: True accepted, False rejected, None not verified.
        detail: the provider's answer in a few words.
    """

    what: str
    keys: tuple[str, ...]
    where: str
    accepted: bool | None
    detail: str


def _get(url: str, headers: Mapping[str, str], timeout: float) -> tuple[int | None, str]:
    request = urllib.request.Request(url, headers={"User-Agent": "proliferate-infra", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(4096).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason: Any = getattr(exc, "reason", exc)
        return None, str(reason)


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


def _message(body: str) -> str:
    """The error message of a JSON error body, else the body's start."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body.strip()[:120]
    if isinstance(data, dict):
        fields: dict[str, Any] = dict(data)  # pyright: ignore[reportUnknownArgumentType]
        error: Any = fields.get("error", fields)
        if isinstance(error, dict):
            inner: dict[str, Any] = dict(error)  # pyright: ignore[reportUnknownArgumentType]
            return str(inner.get("message", "") or inner)[:120]
        return str(fields.get("message", error))[:120]
    return str(data)[:120]


def _http_check(
    what: str, keys: tuple[str, ...], url: str, headers: Mapping[str, str], timeout: float
) -> tuple[CredentialCheck, str]:
    status, body = _get(url, headers, timeout)
    where = _host(url)
    if status == 200:
        return CredentialCheck(what, keys, where, True, "accepted"), body
    if status in (401, 403):
        return CredentialCheck(what, keys, where, False, f"HTTP {status}: {_message(body)}"), body
    if status is None:
        return CredentialCheck(what, keys, where, None, f"could not reach it ({body})"), body
    return CredentialCheck(what, keys, where, None, f"HTTP {status}: {_message(body)}"), body


def check_anthropic(key: str, endpoints: Endpoints, timeout: float) -> CredentialCheck:
    """``GET /v1/models`` with the key."""
    check, _ = _http_check(
        "the Anthropic API key",
        ("ANTHROPIC_API_KEY",),
        endpoints.anthropic.rstrip("/") + "/v1/models",
        {"x-api-key": key, "anthropic-version": "2023-06-01"},
        timeout,
    )
    return check


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def github_app_jwt(app_id: str, private_key_pem: str, now: float) -> str:
    """A GitHub App JWT (RS256) for ``app_id``, valid from 60 s ago for 10 minutes.

    Raises:
        ValueError: the key is not an RSA private key in PEM form.
    """
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    issued = int(now) - 60
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = {
        "iat": issued,
        "exp": issued + 600,
        "iss": int(app_id) if app_id.isdigit() else app_id,
    }
    payload = _b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{_b64url(signature)}"


def check_github_app(
    app_id: str,
    private_key: str,
    slug: str | None,
    endpoints: Endpoints,
    timeout: float,
    now: float,
) -> CredentialCheck:
    """``GET /app`` as the app; its slug must match ``NEXT_PUBLIC_GITHUB_APP_SLUG``."""
    keys = ("GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY")
    what = "the GitHub App id and private key"
    try:
        token = github_app_jwt(app_id, private_key, now)
    except (ValueError, TypeError) as exc:
        return CredentialCheck(
            what, ("GITHUB_APP_PRIVATE_KEY",), "(local)", False, f"the key cannot sign: {exc}"
        )
    check, body = _http_check(
        what,
        keys,
        endpoints.github.rstrip("/") + "/app",
        {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        timeout,
    )
    if check.accepted and slug:
        try:
            actual = str(json.loads(body).get("slug", ""))
        except (ValueError, AttributeError):
            actual = ""
        if actual and actual != slug:
            return CredentialCheck(
                "NEXT_PUBLIC_GITHUB_APP_SLUG",
                ("NEXT_PUBLIC_GITHUB_APP_SLUG",),
                check.where,
                False,
                f"it is {slug!r}, but GitHub App {app_id} is {actual!r}",
            )
    return check


def check_e2b(key: str, endpoints: Endpoints, timeout: float) -> CredentialCheck:
    """``GET /sandboxes`` with the key."""
    check, _ = _http_check(
        "the E2B API key",
        ("E2B_API_KEY",),
        endpoints.e2b.rstrip("/") + "/sandboxes",
        {"X-API-Key": key},
        timeout,
    )
    return check


def _empty_message(_request: object) -> bytes:
    return b""  # google.protobuf.Empty serializes to nothing


def _raw(data: bytes) -> bytes:
    return data


def check_modal(
    token_id: str, token_secret: str, endpoints: Endpoints, timeout: float
) -> CredentialCheck:
    """Modal's ``ClientHello`` with the token (an empty request; the answer is not read)."""
    import grpc

    what, keys = "the Modal token", ("MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET")
    where = endpoints.modal.rsplit(":", 1)[0]
    channel = (
        grpc.secure_channel(endpoints.modal, grpc.ssl_channel_credentials())
        if endpoints.modal_tls
        else grpc.insecure_channel(endpoints.modal)
    )
    try:
        hello: Any = channel.unary_unary(  # pyright: ignore[reportUnknownVariableType]
            "/modal.client.ModalClient/ClientHello",
            request_serializer=_empty_message,
            response_deserializer=_raw,
        )
        hello(
            None,
            timeout=timeout,
            metadata=(
                ("x-modal-token-id", token_id),
                ("x-modal-token-secret", token_secret),
                ("x-modal-client-type", "1"),  # CLIENT_TYPE_CLIENT
                ("x-modal-client-version", "1.0.0"),
            ),
        )
    except grpc.RpcError as exc:
        code: Any = exc.code()  # pyright: ignore[reportAttributeAccessIssue,reportUnknownMemberType]
        details: Any = exc.details()  # pyright: ignore[reportAttributeAccessIssue,reportUnknownMemberType]
        if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            return CredentialCheck(what, keys, where, False, f"{code.name}: {details}")
        return CredentialCheck(what, keys, where, None, f"{code.name}: {details}")
    finally:
        channel.close()
    return CredentialCheck(what, keys, where, True, "accepted")


def check_credentials(
    values: Mapping[str, str | None],
    *,
    endpoints: Endpoints,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    clock: Callable[[], float] = time.time,
) -> list[CredentialCheck]:
    """Every check that applies to ``values`` (keys without a value are not checked)."""

    def value(name: str) -> str:
        return (values.get(name) or "").strip()

    checks: list[CredentialCheck] = []
    if value("ANTHROPIC_API_KEY"):
        checks.append(check_anthropic(value("ANTHROPIC_API_KEY"), endpoints, timeout))
    nango = value("NEXT_PUBLIC_USE_NANGO_GITHUB").lower() == "true"
    if not nango and value("GITHUB_APP_ID") and value("GITHUB_APP_PRIVATE_KEY"):
        checks.append(
            check_github_app(
                value("GITHUB_APP_ID"),
                values.get("GITHUB_APP_PRIVATE_KEY") or "",
                value("NEXT_PUBLIC_GITHUB_APP_SLUG") or None,
                endpoints,
                timeout,
                clock(),
            )
        )
    provider = value("DEFAULT_SANDBOX_PROVIDER")
    if provider == "e2b" and value("E2B_API_KEY"):
        checks.append(check_e2b(value("E2B_API_KEY"), endpoints, timeout))
    if provider == "modal" and value("MODAL_TOKEN_ID") and value("MODAL_TOKEN_SECRET"):
        checks.append(
            check_modal(value("MODAL_TOKEN_ID"), value("MODAL_TOKEN_SECRET"), endpoints, timeout)
        )
    return checks


def require_accepted(checks: list[CredentialCheck]) -> None:
    """Stop when a provider rejected a credential.

    Raises:
        SetupError: naming every rejected key, who rejected it and what it said.
    """
    rejected = [c for c in checks if c.accepted is False]
    if not rejected:
        return
    lines = "; ".join(f"{', '.join(c.keys)} rejected by {c.where} ({c.detail})" for c in rejected)
    raise SetupError(
        f"{lines}. Fix the value (flag, PROLIFERATE_ENV_<NAME>, answers file or the env file) "
        "and run the wizard again, or pass --skip-validation to skip these checks",
        step=STEP,
    )
