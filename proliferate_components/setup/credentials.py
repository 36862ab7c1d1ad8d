"""Preflight for AWS: find working credentials (STS) or let the user choose some.

Missing or invalid credentials: interactively, the user picks a profile (SSO profiles get
the offer to run ``aws sso login``) or types access keys, used for this run only and never
written to disk by this step; non-interactively, a clear error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from ..ops.aws_errors import BAD_CREDENTIALS_CODES, client_config, error_code
from .context import SetupContext
from .errors import SetupError

STEP = "preflight"

ENTER_KEYS = "enter access keys"
"""The choice that asks for an access key pair instead of a profile."""

MAX_LOGIN_TRIES = 5
"""How many credential choices an interactive user gets before the wizard gives up."""


@dataclass(frozen=True, kw_only=True)
class AwsCredentials:
    """How to build an AWS session.

    Attributes:
        region: region of the session.
        profile: named profile; None uses the default chain (environment, default profile,
            instance role...).
        access_key_id: explicit access key (with ``secret_access_key``); None for a profile.
        secret_access_key: explicit secret key.
        session_token: session token of temporary keys; None otherwise.
    """

    region: str
    profile: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None


SessionFactory = Callable[[AwsCredentials], Any]
"""Builds a boto3 ``Session`` from :class:`AwsCredentials` (tests inject their own)."""


def default_session_factory(creds: AwsCredentials) -> Any:
    """A boto3 session for ``creds``."""
    import boto3

    return boto3.Session(
        region_name=creds.region,
        profile_name=creds.profile,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
    )


@dataclass(frozen=True)
class AwsIdentity:
    """Who the credentials belong to (STS ``GetCallerIdentity``)."""

    account_id: str
    arn: str


@dataclass
class AwsLogin:
    """Working AWS credentials for the rest of the run.

    Attributes:
        session: the boto3 session.
        identity: the caller identity.
        credentials: how the session was built.
        max_attempts: attempts per AWS call.
        region: region of the clients (the stack's region; may differ from the session's).
        clients: clients created so far, by service and region.
    """

    session: Any
    identity: AwsIdentity
    credentials: AwsCredentials
    max_attempts: int
    region: str = ""
    clients: dict[str, Any] = field(default_factory=dict[str, Any])

    def client(self, service: str) -> Any:
        """A (cached) client for ``service`` in :attr:`region`, with standard retries."""
        region = self.region or self.credentials.region
        key = f"{service}@{region}"
        if key not in self.clients:
            self.clients[key] = self.session.client(
                service, region_name=region, config=client_config(self.max_attempts)
            )
        return self.clients[key]

    def pulumi_env(self) -> dict[str, str]:
        """Environment for the Pulumi CLI so it uses the same credentials and region."""
        creds = self.credentials
        env = {"AWS_REGION": self.region or creds.region}
        if creds.access_key_id and creds.secret_access_key:
            env["AWS_ACCESS_KEY_ID"] = creds.access_key_id
            env["AWS_SECRET_ACCESS_KEY"] = creds.secret_access_key
            if creds.session_token:
                env["AWS_SESSION_TOKEN"] = creds.session_token
        elif creds.profile:
            env["AWS_PROFILE"] = creds.profile
        return env


class CredentialsProblem(Exception):
    """The credentials do not work; ``reason`` says why."""

    def __init__(self, reason: str, *, sso_profile: str | None = None) -> None:
        self.reason = reason
        self.sso_profile = sso_profile
        super().__init__(reason)


def available_profiles() -> list[str]:
    """Profile names from ``~/.aws/config`` and ``~/.aws/credentials``."""
    import botocore.session

    profiles = cast("list[str]", botocore.session.Session().available_profiles)
    return sorted(str(name) for name in profiles)


def is_sso_profile(profile: str | None) -> bool:
    """True when ``profile`` is configured for IAM Identity Center (SSO)."""
    if not profile:
        return False
    import botocore.session

    full = cast("dict[str, Any]", botocore.session.Session().full_config)
    config = cast("dict[str, Any]", full.get("profiles", {}).get(profile, {}))
    return "sso_start_url" in config or "sso_session" in config


def check_identity(
    factory: SessionFactory, creds: AwsCredentials, *, max_attempts: int
) -> tuple[Any, AwsIdentity]:
    """Build a session for ``creds`` and call STS ``GetCallerIdentity`` with it.

    Returns:
        the session and the identity.

    Raises:
        CredentialsProblem: no credentials, an unknown profile, expired or rejected ones.
        SetupError: any other AWS failure (e.g. access denied), with a clear message.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
        SSOError,
        TokenRetrievalError,
        UnauthorizedSSOTokenError,
    )

    from ..ops.aws_errors import explain_client_error

    profile = creds.profile
    sso = profile if is_sso_profile(profile) else None
    try:
        session = factory(creds)
        found = session.client("sts", config=client_config(max_attempts)).get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError):
        raise CredentialsProblem("no AWS credentials found") from None
    except ProfileNotFound:
        raise CredentialsProblem(f"AWS profile {profile!r} does not exist") from None
    except (SSOError, TokenRetrievalError, UnauthorizedSSOTokenError):
        raise CredentialsProblem(
            f"the SSO session of profile {profile!r} is missing or expired", sso_profile=profile
        ) from None
    except ClientError as exc:
        if error_code(exc) in BAD_CREDENTIALS_CODES:
            raise CredentialsProblem(
                f"AWS rejected the credentials ({error_code(exc)})", sso_profile=sso
            ) from None
        raise SetupError(
            explain_client_error(exc, "checking AWS credentials (sts:GetCallerIdentity)"),
            step=STEP,
        ) from None
    except BotoCoreError as exc:
        raise SetupError(f"checking AWS credentials failed: {exc}", step=STEP) from None
    return session, AwsIdentity(account_id=str(found["Account"]), arn=str(found["Arn"]))


def _offer_sso_login(ctx: SetupContext, profile: str) -> None:
    command = ["aws", "sso", "login", "--profile", profile]
    shown = " ".join(command)
    if shutil.which("aws") is None:
        ctx.echo(f"  run `{shown}` in another terminal (AWS CLI v2), then continue")
        return
    if ctx.confirm("sso_login", f"Run `{shown}` now?", default=True):
        subprocess.run(command, check=False)


def login(
    ctx: SetupContext,
    *,
    region: str,
    profile: str | None,
    factory: SessionFactory = default_session_factory,
    max_attempts: int = 8,
) -> AwsLogin:
    """Find working AWS credentials, asking the user when the given ones do not work.

    Raises:
        SetupError: non-interactive with no working credentials, or too many failed tries.
    """
    creds = AwsCredentials(region=region, profile=profile)
    for _ in range(MAX_LOGIN_TRIES):
        try:
            session, identity = check_identity(factory, creds, max_attempts=max_attempts)
        except CredentialsProblem as problem:
            if not ctx.interactive:
                hint = (
                    f"run `aws sso login --profile {problem.sso_profile}`"
                    if problem.sso_profile
                    else "pass --profile, set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY"
                )
                raise SetupError(
                    f"AWS credentials do not work: {problem.reason}; {hint}", step=STEP
                ) from None
            ctx.echo(f"AWS credentials do not work: {problem.reason}")
            if problem.sso_profile:
                _offer_sso_login(ctx, problem.sso_profile)
            creds = _choose_credentials(ctx, region=region, current=creds.profile)
            continue
        ctx.echo(f"AWS identity {identity.arn} (account {identity.account_id}, region {region})")
        return AwsLogin(
            session=session, identity=identity, credentials=creds, max_attempts=max_attempts
        )
    raise SetupError("no working AWS credentials after several tries", step=STEP)


def _choose_credentials(ctx: SetupContext, *, region: str, current: str | None) -> AwsCredentials:
    profiles = available_profiles()
    choices = [*profiles, ENTER_KEYS]
    default = current if current in profiles else (profiles[0] if profiles else ENTER_KEYS)
    choice = ctx.choose("aws_credentials", "Which AWS credentials?", choices, default=default)
    if choice != ENTER_KEYS:
        if is_sso_profile(choice):
            _offer_sso_login(ctx, choice)
        return AwsCredentials(region=region, profile=choice)
    assert ctx.prompter is not None
    key_id = ctx.prompter.text("aws_access_key_id", "AWS access key id").strip()
    secret = ctx.prompter.text("aws_secret_access_key", "AWS secret access key", secret=True)
    token = ctx.prompter.text(
        "aws_session_token", "AWS session token (empty for long-lived keys)", secret=True
    )
    return AwsCredentials(
        region=region,
        access_key_id=key_id,
        secret_access_key=secret.strip(),
        session_token=token.strip() or None,
    )


def default_region(profile: str | None) -> str:
    """The region to offer: ``AWS_REGION``/``AWS_DEFAULT_REGION``, the profile's, us-east-1."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        import botocore.session

        full = cast("dict[str, Any]", botocore.session.Session().full_config)
        profiles = cast("dict[str, dict[str, Any]]", full.get("profiles", {}))
        region = profiles.get(profile or "default", {}).get("region")
        if region:
            return str(region)
    except Exception:
        pass
    return "us-east-1"
