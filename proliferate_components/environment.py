"""Every environment key the Proliferate platform uses, described once.

This module is the single source of truth for environment variables: the
:class:`~proliferate_components.secrets.SecretsBundle` creates a Secrets Manager entry for
each *secret* key a service receives, the services get their plain settings and ``valueFrom``
references from :func:`service_keys`, the setup wizard prompts for and resolves keys in
:data:`ENVIRONMENT` order, the docs list them, and :func:`render_env_example` writes the
repository's ``.env.example`` (a test fails when the committed file drifts).

The keys are those of the spec (its Required / Auto-Generated / Optional tables and its
"CLI Setup Spec") plus the rest of the platform's own environment schema
(``packages/environment/src/schema.ts``), because the platform validates its *whole* schema
at start-up when ``NODE_ENV=production``: a Node service missing a required key refuses to
start. Hence every Node service (web, worker, gateway) receives every key the platform
validates, while the LLM proxy and the one-off migrations task receive only what they use.

Decisions worth knowing:

* **Sandbox provider.** The platform reads ``DEFAULT_SANDBOX_PROVIDER`` (``modal`` or
  ``e2b``); that is the key here. ``SANDBOX_PROVIDER`` is accepted by :func:`env_var` as an
  alias (see :data:`ALIASES`) but never written. Provider keys use
  :attr:`EnvVar.required_when`: e.g. ``MODAL_TOKEN_ID`` has ``required=False`` and
  ``required_when=(("DEFAULT_SANDBOX_PROVIDER", "modal"),)``. :func:`is_required` evaluates
  it against a mapping of known values.
* **AWS credentials** (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``) are for the machine
  that runs the wizard and ``pulumi up`` only: ``services`` is empty, they are never stored
  in Secrets Manager or given to a task (tasks use their IAM task role). ``AWS_REGION`` is
  the Pulumi config ``aws:region``; Fargate sets ``AWS_REGION`` in every task itself.
* **Generated secrets** (``BETTER_AUTH_SECRET``, ``SERVICE_TO_SERVICE_AUTH_TOKEN``,
  ``USER_SECRETS_ENCRYPTION_KEY``, ``GATEWAY_JWT_SECRET``, ``BILLING_JWT_SECRET``,
  ``LLM_PROXY_MASTER_KEY``) come from ``pulumi_random`` in the stack (stable across
  ``pulumi up``) and from the wizard's generator in local ``.env`` files.
  ``GATEWAY_JWT_SECRET`` is not in the spec's table but is required by the platform schema.
* **Stack outputs** (``DATABASE_URL``, ``REDIS_URL``, the public URLs) name the stack output
  that holds them in :attr:`EnvVar.stack_output`.
* **Pulumi config.** A user-supplied value reaches the stack as the Pulumi config key
  :func:`config_key` returns: ``proliferate:<ENV_NAME>`` (set with ``--secret`` for secret
  keys), except keys that map onto the stack's own config (``AWS_REGION`` ->
  ``aws:region``, ``DOMAIN_NAME`` -> ``proliferate:domainName``, ``ACM_CERTIFICATE_ARN`` ->
  ``proliferate:certificateArn``).

Pure data and pure functions: no Pulumi, no AWS, no I/O at import or call time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from .errors import ConfigError

__all__ = [
    "ALIASES",
    "ENVIRONMENT",
    "GROUPS",
    "NODE_SERVICES",
    "SECRET_NAME_PATTERN",
    "SERVICES",
    "EnvVar",
    "ServiceKeys",
    "Source",
    "check_value",
    "config_key",
    "env_var",
    "generated_keys",
    "is_required",
    "looks_secret",
    "missing_required",
    "plain_environment",
    "render_env_example",
    "requirement",
    "service_keys",
]


class Source(str, Enum):
    """Where a key's value comes from."""

    USER = "user"
    """Supplied by the operator (wizard prompt, ``.env`` file or Pulumi config)."""
    GENERATED = "generated"
    """Random value generated once (``pulumi_random`` in the stack, the wizard locally)."""
    STACK_OUTPUT = "stack_output"
    """Read from a Pulumi stack output (see :attr:`EnvVar.stack_output`)."""
    DERIVED = "derived"
    """Computed from other settings (e.g. ``NODE_ENV=production`` on every service)."""


SERVICES: tuple[str, ...] = (
    "web",
    "worker",
    "gateway",
    "llm-proxy",
    "trigger-service",
    "migrations",
)
"""Every service name an :class:`EnvVar` may list, in deployment order."""

NODE_SERVICES: frozenset[str] = frozenset({"web", "worker", "gateway", "trigger-service"})
"""Services that load the platform's environment schema and validate it at start-up
(``@proliferate/environment/server``: every Node app imports it; the stack runs them with
``NODE_ENV=production``, which turns the validation on)."""

SCHEMA_FILE = "packages/environment/src/schema.ts"
"""Where the platform's environment schema lives (repo proliferate-ai/proliferate)."""

_NODE = NODE_SERVICES
_NONE: frozenset[str] = frozenset()

ALIASES: Mapping[str, str] = MappingProxyType({"SANDBOX_PROVIDER": "DEFAULT_SANDBOX_PROVIDER"})
"""Other names :func:`env_var` accepts for a key (never written to any file or task)."""

SECRET_NAME_PATTERN = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD|PRIVATE)")
"""Key names matching this look secret (see :func:`looks_secret`)."""


@dataclass(frozen=True, kw_only=True)
class EnvVar:
    """One environment key of the platform."""

    name: str
    """The variable name, e.g. ``ANTHROPIC_API_KEY``."""
    description: str
    """What the platform uses it for (one sentence, written into ``.env.example``)."""
    required: bool
    """True when the platform cannot run without it. Conditional requirements (e.g. only for
    the chosen sandbox provider) have ``required=False`` and a :attr:`required_when`."""
    secret: bool
    """True when the value must never be in plaintext: services receive it from Secrets
    Manager (``valueFrom``), ``.env.example`` leaves it empty, Pulumi config holds it as a
    secret."""
    source: Source
    """Where the value comes from."""
    services: frozenset[str]
    """The services (subset of :data:`SERVICES`) whose containers receive it; empty for keys
    used only by the setup machine, builds or local scripts."""
    group: str
    """Heading it is listed under in ``.env.example`` and the docs (one of :data:`GROUPS`)."""
    default: str | None
    """Value used when none is given (``None``: no default). Never set for secrets."""
    when_missing: str
    """What happens when it has no value (for required keys: why that is an error)."""
    stack_output: str | None = None
    """Name of the stack output holding the value when :attr:`source` is ``STACK_OUTPUT``."""
    choices: tuple[str, ...] = ()
    """Allowed values, when the platform restricts them (empty: free-form)."""
    required_when: tuple[tuple[str, str], ...] = ()
    """``(other key, value)`` pairs: the key is required when any other key has that value
    (compared case-insensitively; ``"true"`` also matches ``"1"``). Empty: no condition."""
    multiline: bool = False
    """The value spans lines (PEM keys): ``.env`` writers must quote and escape it."""
    pulumi_config: str | None = None
    """The Pulumi config key holding a user value when it is not ``proliferate:<name>``."""
    required_unless: tuple[tuple[str, str], ...] = ()
    """``(other key, value)`` pairs: the key is required unless any other key has that value
    (e.g. the GitHub App keys unless ``NEXT_PUBLIC_USE_NANGO_GITHUB=true``). Empty: no
    condition."""
    platform_default: str | None = None
    """The value the platform's own schema applies when the key is absent (``None``: the
    schema has no default). The stack passes :attr:`default` only where it differs, so a
    task definition holds what was chosen, not what the platform assumes anyway."""
    generated_format: str | None = None
    """For generated keys: the :mod:`~proliferate_components.secret_formats` format name."""
    value_pattern: str | None = None
    """A regular expression every value must match because the code that reads it requires
    it (``None``: any non-empty value)."""
    value_of: str | None = None
    """The key whose value this one carries (``LITELLM_MASTER_KEY`` is
    ``LLM_PROXY_MASTER_KEY``): never stored twice, the service's ``valueFrom`` points at
    that key."""
    container_name: str | None = None
    """The variable name inside the container when it differs from the key
    (``LITELLM_DATABASE_URL`` reaches LiteLLM as ``DATABASE_URL``)."""
    derived_from: str | None = None
    """The key this one's value is computed from (``LITELLM_DATABASE_URL`` from
    ``DATABASE_URL``): it has a value exactly when that key has one."""
    source_file: str = SCHEMA_FILE
    """The upstream file (repo proliferate-ai/proliferate) that defines the key and whether
    it is required."""

    @property
    def env_name(self) -> str:
        """The name the service's container sees."""
        return self.container_name or self.name


def _v(
    name: str,
    description: str,
    *,
    group: str,
    required: bool = False,
    secret: bool = False,
    source: Source = Source.USER,
    services: frozenset[str] = _NODE,
    default: str | None = None,
    when_missing: str = "",
    stack_output: str | None = None,
    choices: tuple[str, ...] = (),
    required_when: tuple[tuple[str, str], ...] = (),
    multiline: bool = False,
    pulumi_config: str | None = None,
    required_unless: tuple[tuple[str, str], ...] = (),
    platform_default: str | None = None,
    generated_format: str | None = None,
    value_pattern: str | None = None,
    value_of: str | None = None,
    container_name: str | None = None,
    derived_from: str | None = None,
    source_file: str = SCHEMA_FILE,
) -> EnvVar:
    if not when_missing:
        if required:
            when_missing = (
                "the platform's schema validation fails at start-up (NODE_ENV=production)"
            )
        elif default is not None:
            when_missing = f"the default {default!r} is used"
        else:
            when_missing = "the feature it enables stays off"
    return EnvVar(
        name=name,
        description=description,
        required=required,
        secret=secret,
        source=source,
        services=services,
        group=group,
        default=default,
        when_missing=when_missing,
        stack_output=stack_output,
        choices=choices,
        required_when=required_when,
        multiline=multiline,
        pulumi_config=pulumi_config,
        required_unless=required_unless,
        platform_default=platform_default,
        generated_format=generated_format,
        value_pattern=value_pattern,
        value_of=value_of,
        container_name=container_name,
        derived_from=derived_from,
        source_file=source_file,
    )


_G_DEPLOY = "Deployment"
_G_AWS = "AWS (setup machine only)"
_G_URLS = "Domain and URLs"
_G_RUNTIME = "Ports and runtime flags"
_G_DATA = "Data stores (stack outputs)"
_G_GEN = "Generated server secrets"
_G_LLM = "LLM providers and proxy"
_G_GH_APP = "GitHub App"
_G_GH_OAUTH = "GitHub OAuth"
_G_GOOGLE = "Google OAuth"
_G_SANDBOX = "Sandbox provider"
_G_EMAIL = "Email"
_G_BILLING = "Billing"
_G_INTEGRATIONS = "Integrations (Nango, Composio)"
_G_SLACK = "Slack"
_G_S3 = "Object storage (S3)"
_G_OBS = "Observability"
_G_DEV = "Development and tests"

GROUPS: tuple[str, ...] = (
    _G_DEPLOY,
    _G_AWS,
    _G_URLS,
    _G_RUNTIME,
    _G_DATA,
    _G_GEN,
    _G_LLM,
    _G_GH_APP,
    _G_GH_OAUTH,
    _G_GOOGLE,
    _G_SANDBOX,
    _G_EMAIL,
    _G_BILLING,
    _G_INTEGRATIONS,
    _G_SLACK,
    _G_S3,
    _G_OBS,
    _G_DEV,
)
"""Group headings in ``.env.example`` order."""

_GENERATED_WHEN_MISSING = (
    "generated: the stack's SecretsBundle creates it with pulumi-random (stable across "
    "`pulumi up`); the wizard generates one for local .env files"
)
_SPEC = "infra/SPEC.md"
_SERVER = "packages/environment/src/server.ts"
_INSTALLER = "scripts/install-platform.cjs"
_LITELLM_CONFIG = "apps/llm-proxy/litellm/config.yaml"
_WITH_DB = frozenset({"web", "worker", "gateway", "trigger-service", "migrations"})
_MODAL = (("DEFAULT_SANDBOX_PROVIDER", "modal"),)
_NANGO_GITHUB = (("NEXT_PUBLIC_USE_NANGO_GITHUB", "true"),)
_E2B = (("DEFAULT_SANDBOX_PROVIDER", "e2b"),)
_EMAIL_ON = (
    ("EMAIL_ENABLED", "true"),
    ("NEXT_PUBLIC_ENFORCE_EMAIL_VERIFICATION", "true"),
    ("DEPLOYMENT_PROFILE", "cloud"),
)
_BILLING_ON = (("NEXT_PUBLIC_BILLING_ENABLED", "true"), ("DEPLOYMENT_PROFILE", "cloud"))
_INTEGRATIONS_ON = (("NEXT_PUBLIC_INTEGRATIONS_ENABLED", "true"), ("DEPLOYMENT_PROFILE", "cloud"))

ENVIRONMENT: tuple[EnvVar, ...] = (
    # -- Deployment -------------------------------------------------------------------------
    _v(
        "NODE_ENV",
        "Node.js runtime mode; 'production' makes the platform validate its whole environment at start-up.",
        group=_G_DEPLOY,
        source=Source.DERIVED,
        default="production",
        choices=("production", "development", "test"),
        source_file=_SERVER,
    ),
    _v(
        "DEPLOYMENT_PROFILE",
        "Deployment flavour; 'cloud' turns on billing, integrations and email requirements.",
        group=_G_DEPLOY,
        default="self_host",
        platform_default="self_host",
        choices=("self_host", "cloud"),
    ),
    # -- AWS ------------------------------------------------------------------------------
    _v(
        "AWS_REGION",
        "AWS region to deploy to (Pulumi config aws:region); Fargate sets it inside tasks itself.",
        group=_G_AWS,
        required=True,
        services=_NONE,
        default="us-east-1",
        when_missing="the default 'us-east-1' is used",
        pulumi_config="aws:region",
        source_file=_SPEC,
    ),
    _v(
        "AWS_ACCESS_KEY_ID",
        "AWS access key for the machine running the wizard and `pulumi up` (never given to services).",
        group=_G_AWS,
        secret=True,
        services=_NONE,
        when_missing="the default AWS credential chain is used (AWS_PROFILE, SSO, instance role)",
        source_file=_SPEC,
    ),
    _v(
        "AWS_SECRET_ACCESS_KEY",
        "Secret of AWS_ACCESS_KEY_ID, for the setup machine only (never given to services).",
        group=_G_AWS,
        secret=True,
        services=_NONE,
        when_missing="the default AWS credential chain is used (AWS_PROFILE, SSO, instance role)",
        source_file=_SPEC,
    ),
    # -- Domain and URLs --------------------------------------------------------------------
    _v(
        "DOMAIN_NAME",
        "Custom domain of the app, e.g. app.example.com (Pulumi config proliferate:domainName).",
        group=_G_URLS,
        services=_NONE,
        when_missing="the load balancer's default DNS name is used",
        pulumi_config="proliferate:domainName",
        source_file=_SPEC,
    ),
    _v(
        "ACM_CERTIFICATE_ARN",
        "ACM certificate for HTTPS on the load balancer (Pulumi config proliferate:certificateArn).",
        group=_G_URLS,
        services=_NONE,
        when_missing="HTTP only (not recommended), unless the stack manages DNS and TLS itself",
        pulumi_config="proliferate:certificateArn",
        source_file=_SPEC,
    ),
    _v(
        "NEXT_PUBLIC_APP_URL",
        "Public URL of the web app (OAuth callbacks, links in emails).",
        group=_G_URLS,
        required=True,
        source=Source.STACK_OUTPUT,
        stack_output="appUrl",
        default="http://localhost:3000",
        when_missing="taken from the stack output appUrl; required by the platform",
    ),
    _v(
        "NEXT_PUBLIC_API_URL",
        "Public URL of the platform API (served by the web app unless deployed separately).",
        group=_G_URLS,
        required=True,
        source=Source.DERIVED,
        default="http://localhost:3000",
        when_missing="derived from the app URL; required by the platform",
    ),
    _v(
        "NEXT_PUBLIC_GATEWAY_URL",
        "Public URL of the WebSocket gateway that browsers connect to.",
        group=_G_URLS,
        required=True,
        source=Source.STACK_OUTPUT,
        stack_output="gatewayUrl",
        default="ws://localhost:8787",
        when_missing="taken from the stack output gatewayUrl; required by the platform",
    ),
    # -- Ports and runtime flags ------------------------------------------------------------
    _v(
        "WEB_PORT",
        "Port the Next.js web app listens on (the stack sets it to the web container's port).",
        group=_G_RUNTIME,
        services=frozenset({"web"}),
        default="3000",
        platform_default="3000",
    ),
    _v(
        "WORKER_PORT",
        "Port of the worker's health endpoint (the stack sets it to the worker's container port).",
        group=_G_RUNTIME,
        services=frozenset({"worker"}),
        default="8080",
        platform_default="3002",
    ),
    _v(
        "GATEWAY_PORT",
        "Port the gateway listens on (the stack sets it to the gateway's container port).",
        group=_G_RUNTIME,
        services=frozenset({"gateway"}),
        default="8787",
        platform_default="8787",
    ),
    _v(
        "API_PORT",
        "Port of the standalone API server.",
        group=_G_RUNTIME,
        default="3001",
        platform_default="3001",
    ),
    _v(
        "LOG_LEVEL",
        "Log level.",
        group=_G_RUNTIME,
        default="info",
        choices=("trace", "debug", "info", "warn", "error", "fatal", "silent"),
    ),
    _v(
        "LOG_PRETTY",
        "Human-readable logs instead of JSON.",
        group=_G_RUNTIME,
        default="false",
        platform_default="false",
        choices=("true", "false"),
    ),
    _v(
        "STRICT_ENV",
        "Validate the environment even outside production.",
        group=_G_RUNTIME,
        default="false",
        platform_default="false",
        choices=("true", "false"),
    ),
    _v(
        "NEXT_BUILD_STANDALONE",
        "Build Next.js in standalone mode (container images).",
        group=_G_RUNTIME,
        services=_NONE,
        default="true",
        platform_default="false",
        choices=("true", "false"),
    ),
    _v(
        "SUPER_ADMIN_EMAILS",
        "Comma-separated emails of platform super-admins.",
        group=_G_RUNTIME,
        default="",
        platform_default="",
        when_missing="no super-admins",
    ),
    # -- Data stores ------------------------------------------------------------------------
    _v(
        "DATABASE_URL",
        "PostgreSQL connection URL (contains the password).",
        group=_G_DATA,
        required=True,
        secret=True,
        source=Source.STACK_OUTPUT,
        services=_WITH_DB,
        stack_output="databaseUrl",
        when_missing="taken from the stack output databaseUrl (RDS) or the external database's URL; required",
    ),
    _v(
        "LITELLM_DATABASE_URL",
        "DATABASE_URL as the LLM proxy (LiteLLM) receives it: the same database with "
        "`schema=litellm`, so LiteLLM's tables stay out of the platform's schema.",
        group=_G_DATA,
        required=True,
        secret=True,
        source=Source.DERIVED,
        services=frozenset({"llm-proxy"}),
        container_name="DATABASE_URL",
        derived_from="DATABASE_URL",
        when_missing="derived from DATABASE_URL (appends schema=litellm); required by LiteLLM",
        source_file=_INSTALLER,
    ),
    _v(
        "REDIS_URL",
        "Redis (ElastiCache) URL for BullMQ queues; rediss:// with the auth token.",
        group=_G_DATA,
        required=True,
        secret=True,
        source=Source.STACK_OUTPUT,
        stack_output="redisUrl",
        when_missing="taken from the stack output redisUrl; required",
    ),
    # -- Generated server secrets -----------------------------------------------------------
    *(
        _v(
            name,
            description,
            group=_G_GEN,
            required=required,
            secret=True,
            source=Source.GENERATED,
            services=_NODE,
            when_missing=_GENERATED_WHEN_MISSING,
            generated_format=fmt,
            value_pattern=pattern,
            required_when=required_when,
        )
        for name, description, required, fmt, pattern, required_when in (
            (
                "BETTER_AUTH_SECRET",
                "Signs Better Auth sessions and cookies.",
                True,
                "base64-32",
                None,
                (),
            ),
            (
                "SERVICE_TO_SERVICE_AUTH_TOKEN",
                "Shared token authenticating calls between services; also the key of the "
                "gateway's WebSocket JWTs.",
                True,
                "base64-32",
                None,
                (),
            ),
            (
                "USER_SECRETS_ENCRYPTION_KEY",
                "AES-256-GCM key (64 hex characters) encrypting user-stored secrets; changing "
                "it makes them unreadable.",
                True,
                "hex64",
                "[0-9a-fA-F]{64}",
                (),
            ),
            (
                "GATEWAY_JWT_SECRET",
                "Signs users' WebSocket auth JWTs for the gateway (newer platform versions).",
                True,
                "hex64",
                None,
                (),
            ),
            (
                "BILLING_JWT_SECRET",
                "Signs billing tokens.",
                False,
                "hex64",
                None,
                _BILLING_ON,
            ),
            (
                "LLM_PROXY_MASTER_KEY",
                "Admin key of the LLM proxy (LiteLLM's master key); the platform mints "
                "per-session keys with it.",
                False,
                "sk-hex48",
                r"sk-\S+",
                (),
            ),
        )
    ),
    _v(
        "LITELLM_MASTER_KEY",
        "LiteLLM's master key: the value of LLM_PROXY_MASTER_KEY. Without it LiteLLM serves "
        "every request unauthenticated.",
        group=_G_GEN,
        required=True,
        secret=True,
        source=Source.DERIVED,
        services=frozenset({"llm-proxy"}),
        value_of="LLM_PROXY_MASTER_KEY",
        value_pattern=r"sk-\S+",
        when_missing="derived: the stack gives LiteLLM the value of LLM_PROXY_MASTER_KEY",
        source_file=_LITELLM_CONFIG,
    ),
    # -- LLM providers and proxy ------------------------------------------------------------
    _v(
        "ANTHROPIC_API_KEY",
        "Anthropic API key for Claude.",
        group=_G_LLM,
        required=True,
        secret=True,
        services=frozenset({"web", "worker", "gateway", "trigger-service", "llm-proxy"}),
    ),
    _v(
        "OPENAI_API_KEY",
        "OpenAI API key for the features that use OpenAI models.",
        group=_G_LLM,
        secret=True,
        when_missing="OpenAI-backed features are disabled",
    ),
    _v(
        "LLM_PROXY_REQUIRED",
        "Route every model call through the LLM proxy.",
        group=_G_LLM,
        default="false",
        platform_default="false",
        choices=("true", "false"),
    ),
    _v(
        "LLM_PROXY_URL",
        "Internal URL of the LLM proxy.",
        group=_G_LLM,
        source=Source.STACK_OUTPUT,
        stack_output="llmProxyUrl",
        when_missing="sandboxes call model providers directly",
    ),
    _v(
        "LLM_PROXY_ADMIN_URL",
        "Admin URL of the LLM proxy, when it differs from LLM_PROXY_URL.",
        group=_G_LLM,
        when_missing="LLM_PROXY_URL is used",
    ),
    _v(
        "LLM_PROXY_PUBLIC_URL",
        "URL of the LLM proxy as seen from sandboxes, when it differs from LLM_PROXY_URL.",
        group=_G_LLM,
        when_missing="LLM_PROXY_URL is used",
    ),
    _v(
        "LLM_PROXY_KEY_DURATION",
        "Lifetime of per-session LLM proxy keys (e.g. 24h).",
        group=_G_LLM,
        when_missing="the platform's default lifetime",
    ),
    # -- GitHub App -------------------------------------------------------------------------
    _v(
        "GITHUB_APP_ID",
        "Numeric id of the GitHub App used for repository access and webhooks.",
        group=_G_GH_APP,
        required_unless=_NANGO_GITHUB,
        when_missing="required unless NEXT_PUBLIC_USE_NANGO_GITHUB=true; the platform refuses to start",
    ),
    _v(
        "GITHUB_APP_PRIVATE_KEY",
        "PEM private key of the GitHub App (multiline).",
        group=_G_GH_APP,
        required_unless=_NANGO_GITHUB,
        secret=True,
        multiline=True,
        when_missing="required unless NEXT_PUBLIC_USE_NANGO_GITHUB=true; the platform refuses to start",
    ),
    _v(
        "GITHUB_APP_WEBHOOK_SECRET",
        "Secret GitHub signs the App's webhook deliveries with.",
        group=_G_GH_APP,
        required_unless=_NANGO_GITHUB,
        secret=True,
        when_missing="required unless NEXT_PUBLIC_USE_NANGO_GITHUB=true; the platform refuses to start",
    ),
    _v(
        "NEXT_PUBLIC_GITHUB_APP_SLUG",
        "URL slug of the GitHub App (github.com/apps/<slug>).",
        group=_G_GH_APP,
        required_unless=_NANGO_GITHUB,
        when_missing="required unless NEXT_PUBLIC_USE_NANGO_GITHUB=true; the platform refuses to start",
    ),
    # -- GitHub OAuth -----------------------------------------------------------------------
    _v(
        "GITHUB_OAUTH_APP_ID",
        "Client id of the GitHub OAuth app for user login.",
        group=_G_GH_OAUTH,
        when_missing="no GitHub login (optional in the platform's schema)",
    ),
    _v(
        "GITHUB_OAUTH_APP_SECRET",
        "Client secret of the GitHub OAuth app.",
        group=_G_GH_OAUTH,
        secret=True,
        when_missing="no GitHub login (optional in the platform's schema)",
    ),
    # -- Google OAuth -----------------------------------------------------------------------
    _v(
        "GOOGLE_CLIENT_ID",
        "Google OAuth client id for Google login.",
        group=_G_GOOGLE,
        when_missing="GitHub-only auth",
    ),
    _v(
        "GOOGLE_CLIENT_SECRET",
        "Google OAuth client secret.",
        group=_G_GOOGLE,
        secret=True,
        when_missing="GitHub-only auth",
    ),
    # -- Sandbox provider -------------------------------------------------------------------
    _v(
        "DEFAULT_SANDBOX_PROVIDER",
        "Sandbox runtime for agent sessions (alias SANDBOX_PROVIDER).",
        group=_G_SANDBOX,
        required=True,
        default="modal",
        choices=("modal", "e2b"),
        when_missing="the default 'modal' is used",
    ),
    _v(
        "MODAL_TOKEN_ID",
        "Modal token id.",
        group=_G_SANDBOX,
        secret=True,
        required_when=_MODAL,
        when_missing="required when DEFAULT_SANDBOX_PROVIDER=modal",
    ),
    _v(
        "MODAL_TOKEN_SECRET",
        "Modal token secret.",
        group=_G_SANDBOX,
        secret=True,
        required_when=_MODAL,
        when_missing="required when DEFAULT_SANDBOX_PROVIDER=modal",
    ),
    _v(
        "MODAL_APP_NAME",
        "Name of the Modal app that runs sandboxes.",
        group=_G_SANDBOX,
        default="proliferate-sandbox",
        required_when=_MODAL,
    ),
    _v(
        "MODAL_APP_SUFFIX",
        "Optional suffix of the Modal app name (per developer).",
        group=_G_SANDBOX,
        when_missing="no suffix",
    ),
    _v(
        "MODAL_BASE_SNAPSHOT_ID",
        "Pre-baked Modal base snapshot for fast session start.",
        group=_G_SANDBOX,
        when_missing="sessions start from the base image",
    ),
    _v(
        "E2B_API_KEY",
        "E2B API key.",
        group=_G_SANDBOX,
        secret=True,
        required_when=_E2B,
        when_missing="required when DEFAULT_SANDBOX_PROVIDER=e2b",
    ),
    _v("E2B_DOMAIN", "E2B API domain.", group=_G_SANDBOX, default="e2b.app", required_when=_E2B),
    _v(
        "E2B_TEMPLATE",
        "E2B sandbox template id.",
        group=_G_SANDBOX,
        required_when=_E2B,
        when_missing="required when DEFAULT_SANDBOX_PROVIDER=e2b",
    ),
    _v(
        "E2B_TEMPLATE_ALIAS",
        "E2B sandbox template alias.",
        group=_G_SANDBOX,
        required_when=_E2B,
        when_missing="required when DEFAULT_SANDBOX_PROVIDER=e2b",
    ),
    _v(
        "SANDBOX_TIMEOUT_SECONDS",
        "Maximum sandbox lifetime.",
        group=_G_SANDBOX,
        default="3600",
        platform_default="3600",
    ),
    _v(
        "IDLE_SNAPSHOT_DELAY_SECONDS",
        "Idle time before a sandbox is snapshotted.",
        group=_G_SANDBOX,
        default="300",
        platform_default="300",
    ),
    _v(
        "SNAPSHOT_RETENTION_DAYS",
        "Maximum age of session snapshots.",
        group=_G_SANDBOX,
        default="14",
        platform_default="14",
    ),
    _v(
        "SANDBOX_GIT_PULL_ON_RESTORE",
        "Run `git pull --ff-only` on restored snapshots.",
        group=_G_SANDBOX,
        default="false",
        platform_default="false",
        choices=("true", "false"),
    ),
    _v(
        "SANDBOX_GIT_PULL_CADENCE_SECONDS",
        "Minimum seconds between git pulls on restore (0: always).",
        group=_G_SANDBOX,
        default="0",
        platform_default="0",
    ),
    # -- Email ------------------------------------------------------------------------------
    _v(
        "EMAIL_ENABLED",
        "Send emails (invitations, verification).",
        group=_G_EMAIL,
        default="false",
        platform_default="false",
        choices=("true", "false"),
    ),
    _v(
        "NEXT_PUBLIC_ENFORCE_EMAIL_VERIFICATION",
        "Require verified emails (needs email).",
        group=_G_EMAIL,
        default="false",
        platform_default="false",
        choices=("true", "false"),
    ),
    _v(
        "RESEND_API_KEY",
        "Resend API key for outgoing email.",
        group=_G_EMAIL,
        secret=True,
        required_when=_EMAIL_ON,
        when_missing="invites disabled; required when email is enabled",
    ),
    _v(
        "EMAIL_FROM",
        "Sender address of outgoing email.",
        group=_G_EMAIL,
        required_when=_EMAIL_ON,
        when_missing="required when email is enabled",
    ),
    # -- Billing ----------------------------------------------------------------------------
    _v(
        "NEXT_PUBLIC_BILLING_ENABLED",
        "Usage-based billing through Autumn.",
        group=_G_BILLING,
        default="false",
        platform_default="false",
        choices=("true", "false"),
    ),
    _v(
        "AUTUMN_API_KEY",
        "Autumn API key for usage-based billing.",
        group=_G_BILLING,
        secret=True,
        required_when=_BILLING_ON,
        when_missing="no billing metering; required when billing is enabled",
    ),
    _v(
        "AUTUMN_API_URL",
        "Autumn API base URL.",
        group=_G_BILLING,
        required_when=_BILLING_ON,
        when_missing="required when billing is enabled",
    ),
    # -- Integrations -----------------------------------------------------------------------
    _v(
        "NEXT_PUBLIC_INTEGRATIONS_ENABLED",
        "Third-party integrations through Nango.",
        group=_G_INTEGRATIONS,
        default="false",
        platform_default="false",
        choices=("true", "false"),
    ),
    _v(
        "NANGO_SECRET_KEY",
        "Nango secret key.",
        group=_G_INTEGRATIONS,
        secret=True,
        required_when=_INTEGRATIONS_ON,
        when_missing="integrations disabled; required when integrations are enabled",
    ),
    *(
        _v(
            f"NEXT_PUBLIC_NANGO_{tool.upper()}_INTEGRATION_ID",
            f"Nango integration id for {tool}.",
            group=_G_INTEGRATIONS,
            required_when=_INTEGRATIONS_ON,
            when_missing="required when integrations are enabled",
        )
        for tool in ("github", "linear", "sentry")
    ),
    _v(
        "NEXT_PUBLIC_USE_NANGO_GITHUB",
        "Use Nango instead of the GitHub App for GitHub access.",
        group=_G_INTEGRATIONS,
        default="false",
        platform_default="false",
        choices=("true", "false"),
    ),
    _v(
        "COMPOSIO_API_KEY",
        "Composio API key.",
        group=_G_INTEGRATIONS,
        secret=True,
        when_missing="Composio tools disabled",
    ),
    _v(
        "COMPOSIO_BASE_URL",
        "Composio API base URL.",
        group=_G_INTEGRATIONS,
        when_missing="Composio's default URL",
    ),
    _v(
        "TRIGGER_SERVICE_URL",
        "URL of the trigger service.",
        group=_G_INTEGRATIONS,
        when_missing="triggers disabled",
    ),
    # -- Slack ------------------------------------------------------------------------------
    _v(
        "SLACK_CLIENT_ID",
        "Slack app client id.",
        group=_G_SLACK,
        when_missing="Slack integration disabled",
    ),
    _v(
        "SLACK_CLIENT_SECRET",
        "Slack app client secret.",
        group=_G_SLACK,
        secret=True,
        when_missing="Slack integration disabled",
    ),
    _v(
        "SLACK_SIGNING_SECRET",
        "Secret Slack signs requests with.",
        group=_G_SLACK,
        secret=True,
        when_missing="Slack integration disabled",
    ),
    _v(
        "PROLIFERATE_SLACK_BOT_TOKEN",
        "Bot token of Proliferate's own Slack workspace connection.",
        group=_G_SLACK,
        secret=True,
        when_missing="no Slack Connect notifications",
    ),
    _v(
        "PROLIFERATE_SLACK_CONNECT_EMAILS",
        "Comma-separated emails invited to Slack Connect channels.",
        group=_G_SLACK,
        when_missing="no Slack Connect invitations",
    ),
    # -- Object storage ---------------------------------------------------------------------
    _v(
        "S3_BUCKET",
        "Bucket for verification media.",
        group=_G_S3,
        required_when=(("DEPLOYMENT_PROFILE", "cloud"),),
        when_missing="verification media storage disabled; required in the cloud profile",
    ),
    _v(
        "S3_REGION",
        "Region of S3_BUCKET.",
        group=_G_S3,
        required_when=(("DEPLOYMENT_PROFILE", "cloud"),),
        when_missing="required in the cloud profile",
    ),
    _v(
        "S3_ENDPOINT_URL", "Endpoint of an S3-compatible store.", group=_G_S3, when_missing="AWS S3"
    ),
    _v(
        "S3_ACCESS_KEY",
        "Access key for the S3 store.",
        group=_G_S3,
        secret=True,
        when_missing="the task role's credentials are used",
    ),
    _v(
        "S3_SECRET_KEY",
        "Secret key for the S3 store.",
        group=_G_S3,
        secret=True,
        when_missing="the task role's credentials are used",
    ),
    # -- Observability ----------------------------------------------------------------------
    _v(
        "NEXT_PUBLIC_SENTRY_DSN",
        "Sentry DSN for error reports.",
        group=_G_OBS,
        when_missing="no error reporting",
    ),
    _v(
        "SENTRY_AUTH_TOKEN",
        "Sentry token for uploading source maps at build time.",
        group=_G_OBS,
        secret=True,
        services=_NONE,
        when_missing="no source map upload",
    ),
    _v(
        "SENTRY_ORG",
        "Sentry organisation (build time).",
        group=_G_OBS,
        services=_NONE,
        when_missing="no source map upload",
    ),
    _v(
        "SENTRY_PROJECT",
        "Sentry project (build time).",
        group=_G_OBS,
        services=_NONE,
        when_missing="no source map upload",
    ),
    _v(
        "NEXT_PUBLIC_POSTHOG_HOST",
        "PostHog host.",
        group=_G_OBS,
        when_missing="no product analytics",
    ),
    _v(
        "NEXT_PUBLIC_POSTHOG_KEY",
        "PostHog project key (public by design).",
        group=_G_OBS,
        when_missing="no product analytics",
    ),
    _v(
        "NEXT_PUBLIC_INTERCOM_APP_ID",
        "Intercom app id.",
        group=_G_OBS,
        when_missing="no Intercom widget",
    ),
    _v(
        "INTERCOM_SECRET_KEY",
        "Intercom identity verification secret.",
        group=_G_OBS,
        secret=True,
        when_missing="no identity verification",
    ),
    # -- Development and tests --------------------------------------------------------------
    *(
        _v(
            name,
            description,
            group=_G_DEV,
            secret=secret,
            services=_NONE,
            when_missing="only local scripts and tests use it; the wizard can generate one",
        )
        for name, description, secret in (
            ("AUTH_TOKEN", "Auth token used by test scripts.", True),
            ("TEST_TOKEN", "Token used by test scripts.", True),
            ("TEST_REPO_ID", "Repository id used by test scripts.", False),
            ("DEV_USER_ID", "User id for local development.", False),
        )
    ),
    _v(
        "WORKSPACE_DIR",
        "Local workspace directory (local development).",
        group=_G_DEV,
        services=_NONE,
        when_missing="not used outside local development",
    ),
    _v(
        "MODAL_ENDPOINT_URL",
        "Modal endpoint override (test scripts).",
        group=_G_DEV,
        services=_NONE,
        when_missing="not used in production",
    ),
    _v(
        "CI",
        "Set in continuous integration.",
        group=_G_DEV,
        services=_NONE,
        default="false",
        platform_default="false",
        choices=("true", "false"),
    ),
)
"""Every key, in ``.env.example`` order (grouped as :data:`GROUPS`)."""

_BY_NAME: Mapping[str, EnvVar] = MappingProxyType({v.name: v for v in ENVIRONMENT})


def env_var(name: str) -> EnvVar:
    """The :class:`EnvVar` called ``name`` (or one of its :data:`ALIASES`).

    Raises:
        ConfigError: no such key.
    """
    found = _BY_NAME.get(ALIASES.get(name, name))
    if found is None:
        raise ConfigError(
            "environment key",
            name,
            "one of the keys in proliferate_components.environment.ENVIRONMENT",
        )
    return found


def config_key(name: str) -> str:
    """The Pulumi config key that holds a user-supplied value of ``name``.

    ``proliferate:<ENV_NAME>`` (set it with ``pulumi config set --secret`` for secret keys),
    or the stack's own key for the few environment keys that map onto stack config
    (``AWS_REGION`` -> ``aws:region``).
    """
    var = env_var(name)
    return var.pulumi_config or f"proliferate:{var.name}"


def looks_secret(name: str) -> bool:
    """True if the name looks like it holds a secret (KEY, SECRET, TOKEN, PASSWORD, PRIVATE)."""
    return SECRET_NAME_PATTERN.search(name.upper()) is not None


def _matches(actual: str | None, expected: str) -> bool:
    if actual is None:
        return False
    a, e = actual.strip().lower(), expected.lower()
    return a == e or (e == "true" and a == "1")


def is_required(name: str, values: Mapping[str, str] | None = None) -> bool:
    """Whether ``name`` needs a value, given the other keys' ``values``.

    Unconditionally required keys are always required; a key with
    :attr:`EnvVar.required_when` is required when any of its conditions holds in ``values``,
    one with :attr:`EnvVar.required_unless` when none of them holds (a condition on a key
    missing from ``values`` is evaluated against that key's default).
    """
    var = env_var(name)
    if var.required:
        return True
    known = values or {}

    def holds(other: str, expected: str) -> bool:
        actual = known.get(other)
        if actual is None or actual == "":
            actual = _BY_NAME[other].default
        return _matches(actual, expected)

    if var.required_unless:
        return not any(holds(o, e) for o, e in var.required_unless)
    return any(holds(o, e) for o, e in var.required_when)


def check_value(name: str, value: str) -> str | None:
    """Why ``value`` cannot be the value of key ``name`` (``None`` when it can): an empty or
    whitespace-only value, or one the code that reads it rejects
    (:attr:`EnvVar.value_pattern`, e.g. ``USER_SECRETS_ENCRYPTION_KEY`` must be 64 hex
    characters)."""
    var = env_var(name)
    if not value.strip():
        return "a non-empty value (empty and whitespace-only values count as unset)"
    if var.value_pattern and re.fullmatch(var.value_pattern, value) is None:
        return f"a value matching {var.value_pattern} (what the platform's code accepts)"
    return None


def requirement(var: EnvVar) -> str:
    """Whether ``var`` is required, in words: ``required``, ``required when A=x or B=y``,
    ``required unless A=x`` or ``optional``."""
    if var.required:
        return "required"
    if var.required_unless:
        return "required unless " + " or ".join(f"{k}={v}" for k, v in var.required_unless)
    if var.required_when:
        return "required when " + " or ".join(f"{k}={v}" for k, v in var.required_when)
    return "optional"


def missing_required(values: Mapping[str, str], *, names: Iterable[str] | None = None) -> list[str]:
    """Keys (of ``names``, default all) that are required given ``values`` but have no value
    there and no default, in :data:`ENVIRONMENT` order."""
    wanted = set(names) if names is not None else None
    out: list[str] = []
    for var in ENVIRONMENT:
        if wanted is not None and var.name not in wanted:
            continue
        if values.get(var.name) or values.get(var.value_of or var.derived_from or ""):
            continue
        if var.default:
            continue
        if is_required(var.name, values):
            out.append(var.name)
    return out


def generated_keys() -> tuple[str, ...]:
    """Names of the keys generated once per stack (:attr:`Source.GENERATED`)."""
    return tuple(v.name for v in ENVIRONMENT if v.source is Source.GENERATED)


@dataclass(frozen=True)
class ServiceKeys:
    """The keys one service receives, split the way ECS takes them."""

    environment: tuple[str, ...]
    """Plain settings (task definition ``environment``)."""
    secrets: tuple[str, ...]
    """Secret values (task definition ``secrets`` with ``valueFrom``)."""


def _check_service(service: str) -> None:
    if service not in SERVICES:
        raise ConfigError("service", service, f"one of {', '.join(SERVICES)}")


def service_keys(service: str) -> ServiceKeys:
    """Which keys ``service`` receives, plain vs secret, in :data:`ENVIRONMENT` order.

    Raises:
        ConfigError: ``service`` is not one of :data:`SERVICES`.
    """
    _check_service(service)
    env = tuple(v.name for v in ENVIRONMENT if service in v.services and not v.secret)
    sec = tuple(v.name for v in ENVIRONMENT if service in v.services and v.secret)
    return ServiceKeys(environment=env, secrets=sec)


def plain_environment(service: str, values: Mapping[str, str] | None = None) -> dict[str, str]:
    """The plain (non-secret) settings of ``service``: ``values`` first, else each key's
    :attr:`~EnvVar.default` where it differs from the platform's own
    :attr:`~EnvVar.platform_default` (the platform's schema applies that one itself, so the
    task definition holds only what was chosen); keys with neither are left out (the
    platform treats absent and empty alike).

    Raises:
        ConfigError: ``service`` is unknown, or ``values`` holds a secret key (secrets go
            through Secrets Manager, never plaintext) or a value outside a key's choices.
    """
    _check_service(service)
    given = dict(values or {})
    for name, value in given.items():
        var = _BY_NAME.get(ALIASES.get(name, name))
        if var is not None and var.secret:
            raise ConfigError(
                name,
                value,
                "a secret key: pass it through SecretsBundle, not as a plain value",
                secret=True,
            )
        if var is not None and var.choices and value and value not in var.choices:
            raise ConfigError(name, value, f"one of {', '.join(var.choices)}")
    out: dict[str, str] = {}
    for name in service_keys(service).environment:
        value = given.get(name)
        if value is None:
            alias = next(
                (a for a, target in ALIASES.items() if target == name and a in given), None
            )
            value = given.get(alias) if alias else None
        if value is None:
            var = _BY_NAME[name]
            value = var.default if var.default != var.platform_default else None
            if var.required_when and not is_required(name, given):
                value = None  # a default that only matters when its condition holds
        if value:
            out[name] = value
    return out


def _comment(text: str) -> list[str]:
    words = text.split()
    lines: list[str] = []
    line = "#"
    for w in words:
        if len(line) + 1 + len(w) > 96 and line != "#":
            lines.append(line)
            line = "#"
        line += " " + w
    lines.append(line)
    return lines


def render_env_example() -> str:
    """The repository's ``.env.example``: every key of :data:`ENVIRONMENT`, grouped and
    commented (purpose, required or not, secret or not, source, services, behaviour when
    missing). Non-secret keys carry their default; secret keys are always empty."""
    out: list[str] = [
        "# Proliferate environment - generated by proliferate_components.environment.render_env_example().",
        "# Do not edit by hand: change proliferate_components/environment.py and regenerate with",
        '#   python -c "from proliferate_components.environment import render_env_example as r; '
        "open('.env.example', 'w').write(r())\"",
        "# Secrets are empty here on purpose: the setup wizard fills them in .env.local, and the stack",
        "# stores them in AWS Secrets Manager (user values: `pulumi config set --secret proliferate:<KEY>`).",
    ]
    for group in GROUPS:
        members = [v for v in ENVIRONMENT if v.group == group]
        if not members:
            continue
        out.append("")
        out.append(f"# {'=' * 4} {group} {'=' * max(4, 84 - len(group))}")
        for var in members:
            out.append("")
            out.extend(_comment(var.description))
            need = requirement(var)
            facts = [need, "secret" if var.secret else "plain", f"source: {var.source.value}"]
            if var.stack_output:
                facts.append(f"stack output: {var.stack_output}")
            facts.append(
                "services: " + (", ".join(s for s in SERVICES if s in var.services) or "none")
            )
            out.extend(_comment("[" + "; ".join(facts) + "]"))
            if var.choices:
                out.extend(_comment("One of: " + ", ".join(var.choices)))
            if var.multiline:
                out.extend(
                    _comment("Multiline: keep it in double quotes with \\n for line breaks.")
                )
            out.extend(_comment(f"Without it: {var.when_missing}."))
            value = "" if var.secret or var.default is None else var.default
            out.append(f"{var.name}={value}")
    return "\n".join(out) + "\n"
