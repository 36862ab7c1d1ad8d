"""AWS Secrets Manager entries for every secret value the Proliferate services receive.

:class:`SecretsBundle` turns the secret keys of the environment schema
(:mod:`proliferate_components.environment`) into Secrets Manager secrets and hands services
``valueFrom`` references for their task definitions; no secret value ever reaches a task
definition, a stack output or Pulumi state in plaintext (every value is a Pulumi secret,
encrypted in state by the stack's secrets provider).

Grouping decision: **one JSON secret per source, not one secret per key.**

* ``<name>-generated``: the server secrets generated with ``pulumi_random``
  (``BETTER_AUTH_SECRET``, ``SERVICE_TO_SERVICE_AUTH_TOKEN``, ``USER_SECRETS_ENCRYPTION_KEY``,
  ``GATEWAY_JWT_SECRET``, ``BILLING_JWT_SECRET``, ``LLM_PROXY_MASTER_KEY``);
* ``<name>-data``: the data tier's connection URLs (``DATABASE_URL``, ``REDIS_URL``);
* ``<name>-user``: the operator's API keys and OAuth secrets.

Why: cost is $0.40 per secret per month, so ~25 per-key secrets would cost ~$10/month for
nothing gained, three cost $1.20. IAM scope is the same either way: the stack shares one
execution role across services and ECS injects only the JSON keys a task definition names
(``valueFrom = "<arn>:<KEY>::"``, Fargate platform >= 1.4.0), so a container never sees keys
it was not given. Rotation follows the groups: each group changes for one reason (a random
value is regenerated, the data tier is replaced, the operator changes a key) and a new
secret version is picked up by the next deployment of the services. The price of grouping:
the execution role can read a whole group, and a 64 KiB limit per secret (far above what the
platform needs).

Missing values: a key that the platform requires (given the plain ``settings``, e.g. the
sandbox provider's keys) but that has no value is *never* silently deployed: during a
preview (``pulumi preview`` or an offline preview of the bundled example) the bundle logs a
warning naming the keys and leaves them out; during ``pulumi up`` it raises
:class:`~proliferate_components.errors.ConfigError` naming them, unless ``strict=False`` is
passed explicitly (then the services start without them and the platform's own start-up
validation fails loudly, which the deployment circuit breaker rolls back).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from .environment import (
    ENVIRONMENT,
    SERVICES,
    EnvVar,
    Source,
    config_key,
    env_var,
    is_required,
    service_keys,
)
from .errors import ConfigError

__all__ = [
    "GENERATED_SECRET_LENGTH",
    "SECRET_GROUPS",
    "SecretsBundle",
    "SecretsBundleArgs",
    "bundle_keys",
    "group_of",
    "settings_from_config",
    "user_values_from_config",
    "value_from_reference",
]

GENERATED_SECRET_LENGTH = 44
"""Length of each generated secret: the length of ``openssl rand -base64 32``. The alphabet
is [A-Za-z0-9] (62 symbols), so 44 characters carry ~262 bits of entropy (> 32 bytes) and
need no quoting in ``.env`` files, URLs or shell commands. Changing it regenerates every
generated secret (sessions are signed out, user secrets become unreadable)."""

SECRET_GROUPS: tuple[str, ...] = ("generated", "data", "user")
"""The JSON secrets a bundle can create, as child-name suffixes: ``<name>-<group>``."""

_RECOVERY_WINDOW_DAYS = (0, *range(7, 31))


def bundle_keys() -> tuple[str, ...]:
    """Every key a bundle may hold: the secret keys that at least one service receives."""
    return tuple(v.name for v in ENVIRONMENT if v.secret and v.services)


def group_of(name: str) -> str:
    """The group (see :data:`SECRET_GROUPS`) that holds key ``name``."""
    var = env_var(name)
    if var.source is Source.GENERATED:
        return "generated"
    if var.source is Source.STACK_OUTPUT:
        return "data"
    return "user"


def value_from_reference(secret_arn: str, key: str) -> str:
    """ECS ``valueFrom`` for one JSON key of a secret: ``<arn>:<key>::`` (the trailing
    empty version stage and version id select the current version)."""
    return f"{secret_arn}:{key}::"


def user_values_from_config() -> dict[str, pulumi.Output[str]]:
    """User-supplied secret values set in Pulumi config, as Pulumi secrets.

    Reads ``proliferate:<KEY>`` (see :func:`~proliferate_components.environment.config_key`)
    for every key of :func:`bundle_keys`: user keys, ``DATABASE_URL``/``REDIS_URL`` (for an
    external database or Redis) and generated keys (to keep an existing value, e.g. when
    migrating a running deployment). Keys that are not set are left out. Call it inside a
    Pulumi program only.
    """
    out: dict[str, pulumi.Output[str]] = {}
    for name in bundle_keys():
        namespace, _, key = config_key(name).partition(":")
        value = pulumi.Config(namespace).get_secret(key)
        if value is not None:
            out[name] = value
    return out


def settings_from_config() -> dict[str, str]:
    """Plain (non-secret) settings set in Pulumi config as ``proliferate:<KEY>``.

    Only keys that some service receives are read; unset keys are left out. Call it inside a
    Pulumi program only.
    """
    out: dict[str, str] = {}
    for var in ENVIRONMENT:
        if var.secret or not var.services:
            continue
        namespace, _, key = config_key(var.name).partition(":")
        value = pulumi.Config(namespace).get(key)
        if value is not None:
            out[var.name] = value
    return out


def _empty_str_map() -> dict[str, str]:
    return {}


@dataclass(frozen=True, kw_only=True)
class SecretsBundleArgs:
    """Arguments of :class:`SecretsBundle`."""

    database_url: pulumi.Input[str] | None = None
    """The data tier's ``DATABASE_URL`` (a secret output of
    :class:`~proliferate_components.database.PostgresDb`). Default ``None``: taken from
    ``user_values["DATABASE_URL"]`` (an external database), else reported missing."""
    redis_url: pulumi.Input[str] | None = None
    """The data tier's ``REDIS_URL`` (a secret output of
    :class:`~proliferate_components.cache.RedisCache`). Default ``None``: taken from
    ``user_values["REDIS_URL"]``, else reported missing."""
    user_values: Mapping[str, pulumi.Input[str]] | None = None
    """Secret values by environment key (user keys, an external ``DATABASE_URL``, or an
    existing value of a generated key to keep). Plain strings are wrapped as Pulumi secrets.
    Default ``None``: read from Pulumi secret config with :func:`user_values_from_config`
    (an explicit mapping, even empty, means config is not read)."""
    settings: Mapping[str, str] = field(default_factory=_empty_str_map)
    """Plain settings used to decide conditional requirements (e.g.
    ``{"DEFAULT_SANDBOX_PROVIDER": "e2b"}`` makes ``E2B_API_KEY`` required instead of the
    Modal keys). Default empty: each key's default applies (sandbox provider ``modal``)."""
    strict: bool | None = None
    """What a required key without a value does. ``True``: raise ConfigError naming the
    keys. ``False``: log a warning and leave them out. Default ``None``: warn during a
    preview, raise during ``pulumi up``."""
    recovery_window_days: int = 30
    """Days Secrets Manager keeps a deleted secret recoverable (0 = delete at once, else
    7-30). Default 30, the AWS default."""
    kms_key_id: pulumi.Input[str] | None = None
    """KMS key encrypting the secrets. Default ``None``: the account's ``aws/secretsmanager``
    managed key."""
    protect: bool = True
    """Protect the secrets and the generated random values from deletion and replacement
    (a generated value cannot be recovered once deleted: sessions break and user secrets
    become unreadable). Default ``True``; pass ``False`` only for throw-away stacks."""
    tags: Mapping[str, str] = field(default_factory=_empty_str_map)
    """Tags added to every secret. Default none."""


class SecretsBundle(pulumi.ComponentResource):
    """Secrets Manager entries for the platform's secret environment keys.

    Three JSON secrets at most (see the module docstring for why grouped): children
    ``<name>-generated``, ``<name>-data``, ``<name>-user`` (``aws.secretsmanager.Secret``)
    each with ``<name>-<group>-version`` (``SecretVersion``, its ``secret_string`` a Pulumi
    secret), and one ``<name>-<key-in-kebab-case>`` ``random.RandomPassword`` per generated
    key without a supplied value (e.g. ``<name>-better-auth-secret``). A group with no
    values is not created.

    Attributes:
        keys: the keys the bundle holds, in environment order.
        missing_required: required keys without a value (only non-empty when not strict).
        secret_arns: ``Output[list[str]]`` of every secret's ARN (for the execution role).
        group_arns: group -> ``Output[str]`` ARN.
    """

    keys: tuple[str, ...]
    missing_required: tuple[str, ...]
    secret_arns: pulumi.Output[list[str]]
    group_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: SecretsBundleArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or SecretsBundleArgs()
        # -- validation (nothing registered yet) ------------------------------------------
        if args.recovery_window_days not in _RECOVERY_WINDOW_DAYS:
            raise ConfigError(
                "SecretsBundleArgs.recovery_window_days",
                args.recovery_window_days,
                "0 (delete immediately) or 7 to 30 days",
            )
        for key, value in args.settings.items():
            var = _known(key, "SecretsBundleArgs.settings")
            if var.secret:
                raise ConfigError(
                    f"SecretsBundleArgs.settings[{key!r}]",
                    value,
                    "plain settings only: pass secret values in user_values",
                    secret=True,
                )
            if var.choices and value and value not in var.choices:
                raise ConfigError(
                    f"SecretsBundleArgs.settings[{key!r}]",
                    value,
                    f"one of {', '.join(var.choices)}",
                )
        explicit = args.user_values is not None
        allowed = set(bundle_keys())
        if explicit:
            for key in args.user_values or {}:
                var = _known(key, "SecretsBundleArgs.user_values")
                if var.name not in allowed:
                    why = (
                        "not a secret: pass it as a plain setting"
                        if not var.secret
                        else "received by no service"
                    )
                    raise ConfigError(
                        f"SecretsBundleArgs.user_values[{key!r}]",
                        "[value]",
                        f"a secret key some service receives ({why})",
                    )
        values: dict[str, pulumi.Input[str]] = (
            {env_var(k).name: v for k, v in (args.user_values or {}).items()}
            if explicit
            else dict(user_values_from_config())
        )
        if args.database_url is not None:
            values["DATABASE_URL"] = args.database_url
        if args.redis_url is not None:
            values["REDIS_URL"] = args.redis_url
        generated = [
            v.name for v in ENVIRONMENT if v.source is Source.GENERATED and v.name in allowed
        ]
        present = set(values) | set(generated)
        settings = {env_var(k).name: v for k, v in args.settings.items()}
        missing = tuple(n for n in bundle_keys() if n not in present and is_required(n, settings))
        strict = args.strict if args.strict is not None else not pulumi.runtime.is_dry_run()
        if missing and strict:
            raise ConfigError(
                "SecretsBundle: required secrets",
                list(missing),
                "set each with `pulumi config set --secret "
                + " / ".join(config_key(m) for m in missing[:3])
                + (" ..." if len(missing) > 3 else "")
                + " <value>` (or pass SecretsBundleArgs.user_values / database_url / redis_url)",
            )

        super().__init__("proliferate:secrets:SecretsBundle", name, None, opts)
        if missing:
            pulumi.log.warn(
                f"{name}: required secrets without a value: {', '.join(missing)}. The services would "
                "fail their start-up validation; `pulumi up` refuses to deploy until they are set "
                f"(pulumi config set --secret {config_key(missing[0])} ...).",
                resource=self,
            )
        self.missing_required = missing
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=args.protect)

        # -- generated values ---------------------------------------------------------------
        all_values: dict[str, pulumi.Input[str]] = {}
        for key in generated:
            if key in values:
                all_values[key] = values[key]
                continue
            password = random.RandomPassword(
                f"{name}-{key.lower().replace('_', '-')}",
                length=GENERATED_SECRET_LENGTH,
                special=False,
                opts=protected,
            )
            all_values[key] = password.result
        for key, value in values.items():
            all_values.setdefault(key, value)

        # -- one JSON secret per group --------------------------------------------------------
        order = {n: i for i, n in enumerate(bundle_keys())}
        self.keys = tuple(sorted(all_values, key=lambda k: order[k]))
        self._secret_of: dict[str, aws.secretsmanager.Secret] = {}
        self.group_arns = {}
        for group in SECRET_GROUPS:
            members = [k for k in self.keys if group_of(k) == group]
            if not members:
                continue
            secret = aws.secretsmanager.Secret(
                f"{name}-{group}",
                description=f"Proliferate {group} secrets ({', '.join(members)}); managed by Pulumi",
                recovery_window_in_days=args.recovery_window_days,
                kms_key_id=args.kms_key_id,
                tags={**args.tags, "proliferate:secret-group": group},
                opts=protected,
            )
            document = pulumi.Output.all(**{k: all_values[k] for k in members}).apply(
                lambda doc: json.dumps(doc, sort_keys=True)
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-{group}-version",
                secret_id=secret.id,
                secret_string=pulumi.Output.secret(document),
                opts=child,
            )
            for k in members:
                self._secret_of[k] = secret
            self.group_arns[group] = secret.arn
        self.secret_arns = pulumi.Output.all(*self.group_arns.values()).apply(
            lambda arns: [str(a) for a in arns]
        )
        self.register_outputs(
            {
                "secret_arns": self.secret_arns,
                "group_arns": dict(self.group_arns),
                "keys": list(self.keys),
            }
        )

    def value_from(self, name: str) -> pulumi.Output[str]:
        """The ECS ``valueFrom`` of key ``name``: ``<secret-arn>:<NAME>::``.

        Raises:
            ConfigError: the bundle holds no value for ``name``.
        """
        key = env_var(name).name
        secret = self._secret_of.get(key)
        if secret is None:
            raise ConfigError(
                "SecretsBundle.value_from",
                name,
                f"one of the bundle's keys: {', '.join(self.keys)}",
            )
        return secret.arn.apply(lambda arn: value_from_reference(arn, key))

    def secrets_for(self, service: str) -> dict[str, pulumi.Output[str]]:
        """``{ENV_NAME: valueFrom}`` for every secret key ``service`` receives and the bundle
        holds (for :attr:`FargateServiceArgs.secrets`).

        Raises:
            ConfigError: unknown service.
        """
        if service not in SERVICES:
            raise ConfigError("service", service, f"one of {', '.join(SERVICES)}")
        return {
            k: self.value_from(k) for k in service_keys(service).secrets if k in self._secret_of
        }


def _known(key: str, where: str) -> EnvVar:
    try:
        return env_var(key)
    except ConfigError:
        raise ConfigError(
            f"{where}[{key!r}]",
            "[value]",
            "a key of proliferate_components.environment.ENVIRONMENT",
        ) from None
