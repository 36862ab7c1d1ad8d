"""AWS Secrets Manager entries for every secret value the Proliferate services receive.

:class:`SecretsBundle` turns the secret keys of the environment schema
(:mod:`proliferate_components.environment`) into Secrets Manager secrets and hands services
``valueFrom`` references for their task definitions; no secret value ever reaches a task
definition, a stack output or Pulumi state in plaintext (every value is a Pulumi secret,
encrypted in state by the stack's secrets provider).

Grouping decision: **one JSON secret per set of readers, not one secret per key.**
Secrets Manager grants a whole secret, never one JSON key of it, so a key shares a secret
only with keys read by exactly the same services; each service's execution role then reads
exactly the secrets its containers reference, and no task can read a value it does not
consume (:data:`SECRET_GROUPS`):

* ``<name>-generated``, ``<name>-data``, ``<name>-user``: what only the Node services (web,
  worker, gateway, trigger-service) read, split by source (generated with
  ``pulumi_random``; the data tier's ``REDIS_URL``; the operator's API keys);
* ``<name>-database``: ``DATABASE_URL`` (the Node services and the migrations task);
* ``<name>-llm``: ``ANTHROPIC_API_KEY`` and ``LLM_PROXY_MASTER_KEY`` (the Node services and
  the LLM proxy, which gets the master key as ``LITELLM_MASTER_KEY``);
* ``<name>-llm-proxy``: ``LITELLM_DATABASE_URL`` (the LLM proxy only).

Why not one secret per key: cost is $0.40 per secret per month, so ~25 per-key secrets
would cost ~$10/month for nothing gained; six cost $2.40. ECS injects only the JSON keys a
task definition names (``valueFrom = "<arn>:<KEY>::"``, Fargate platform >= 1.4.0). A group
is created only when it holds a value. Rotation follows the values: a new secret version is
picked up by the next deployment of the services.

Missing values: a key that the platform requires (given the plain ``settings``, e.g. the
sandbox provider's keys) but that has no value is *never* silently deployed: during a
preview (``pulumi preview`` or an offline preview of the bundled example) the bundle logs a
warning naming the keys and leaves them out; during ``pulumi up`` it raises
:class:`~proliferate_components.errors.ConfigError` naming them, unless ``strict=False`` is
passed explicitly (then the services start without them and the platform's own start-up
validation fails loudly, which the deployment circuit breaker rolls back).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from ._args import coerce_args, register_outputs
from .constraints import KMS_KEY_ARN, TAGS, OneOf, check_args
from .environment import (
    ENVIRONMENT,
    SERVICES,
    EnvVar,
    Source,
    check_value,
    config_key,
    env_var,
    is_required,
)
from .errors import ConfigError
from .platform import litellm_database_url
from .secret_formats import format_named

__all__ = [
    "LEGACY_GENERATED_SECRET_LENGTH",
    "SECRET_GROUPS",
    "SecretsBundle",
    "SecretsBundleArgs",
    "bundle_keys",
    "check_environment_config",
    "group_of",
    "readers",
    "settings_from_config",
    "user_values_from_config",
    "value_from_reference",
]

LEGACY_GENERATED_SECRET_LENGTH = 44
"""What stacks created before release 0.2 hold: 44 characters of ``[A-Za-z0-9]`` per
generated key. They keep them: the random inputs are in ``ignore_changes`` (see
:class:`SecretsBundle`)."""

_RANDOM_SHAPE = ("length", "upper", "lower", "numeric", "special", "overrideSpecial")
"""RandomPassword inputs that decide a value's shape; a stack keeps the shape it was
created with (changing any would replace the resource: a new value)."""

SECRET_GROUPS: tuple[str, ...] = ("generated", "data", "user", "database", "llm", "llm-proxy")
"""The JSON secrets a bundle can create, as child-name suffixes: ``<name>-<group>`` (the
first three names are kept from release 0.1, so existing secrets are updated in place)."""

_NODE_ONLY = frozenset({"web", "worker", "gateway", "trigger-service"})
_GROUP_BY_READERS: Mapping[frozenset[str], str] = {
    _NODE_ONLY | {"migrations"}: "database",
    _NODE_ONLY | {"llm-proxy"}: "llm",
    frozenset({"llm-proxy"}): "llm-proxy",
}

RECOVERY_WINDOW_DAYS = OneOf(
    (0, *range(7, 31)), "days a deleted secret stays recoverable (0 = delete at once)"
)


def bundle_keys() -> tuple[str, ...]:
    """Every key a bundle may hold: the secret keys that at least one service receives,
    except those that carry another key's value (:attr:`EnvVar.value_of`)."""
    return tuple(v.name for v in ENVIRONMENT if v.secret and v.services and not v.value_of)


def readers(name: str) -> frozenset[str]:
    """The services that read key ``name``'s value: its own and, through
    :attr:`EnvVar.value_of`, those of every key that carries it."""
    var = env_var(name)
    out = set(var.services)
    for other in ENVIRONMENT:
        if other.value_of == var.name:
            out |= other.services
    return frozenset(out)


def group_of(name: str) -> str:
    """The group (see :data:`SECRET_GROUPS`) that holds key ``name``: decided by the set of
    services that read it (:func:`readers`), then, for the Node services alone, by source."""
    var = env_var(name)
    who = readers(var.name)
    if who <= _NODE_ONLY:
        if var.source is Source.GENERATED:
            return "generated"
        if var.source is Source.STACK_OUTPUT:
            return "data"
        return "user"
    group = _GROUP_BY_READERS.get(who)
    if group is None:  # pragma: no cover - tests/test_secrets.py checks every bundle key
        raise ConfigError(f"secret group of {var.name}", sorted(who), "a known set of readers")
    return group


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

    Raises:
        ConfigError: a set value the platform cannot use (empty or whitespace only, or not in
            the shape its code reads, e.g. ``USER_SECRETS_ENCRYPTION_KEY`` not 64 hex
            characters), naming the config key; the value itself is never shown.
    """
    out: dict[str, pulumi.Output[str]] = {}
    for name in bundle_keys():
        if env_var(name).source is Source.DERIVED:
            continue
        full = config_key(name)
        raw = pulumi.runtime.get_config(full)  # plaintext, without the SDK's secret warning
        if raw is None:
            continue
        problem = check_value(name, str(raw))
        if problem is not None:
            raise ConfigError(full, "[secret]", problem, secret=True)
        out[name] = pulumi.Output.secret(str(raw))
    return out


def settings_from_config() -> dict[str, str]:
    """Plain (non-secret) settings set in Pulumi config as ``proliferate:<KEY>``.

    Only keys that some service receives are read; unset keys are left out. Call it inside a
    Pulumi program only.

    Raises:
        ConfigError: a set value the platform cannot use (empty or whitespace only, or not
            in the shape its code reads), naming the config key.
    """
    out: dict[str, str] = {}
    for var in ENVIRONMENT:
        if var.secret or not var.services:
            continue
        namespace, _, key = config_key(var.name).partition(":")
        value = pulumi.Config(namespace).get(key)
        if value is not None:
            problem = check_value(var.name, value)
            if problem is not None:
                raise ConfigError(config_key(var.name), value, problem)
            out[var.name] = value
    return out


def check_environment_config(*, settings: bool = True, secrets: bool = True) -> None:
    """Refuse a ``proliferate:<KEY>`` config value the platform cannot use, before anything
    is registered: empty or whitespace only (never counted as set), or not in the shape the
    platform's code reads (e.g. ``USER_SECRETS_ENCRYPTION_KEY`` not 64 hex characters).

    :class:`~proliferate_components.stack.ProliferateStack` calls it first, for what it will
    read from config: plain ``settings`` (:func:`settings_from_config`) and user ``secrets``
    (:func:`user_values_from_config`). Call it inside a Pulumi program only.

    Raises:
        ConfigError: naming the config key; a secret value is never shown.
    """
    wanted: set[str] = set(bundle_keys()) if secrets else set()
    if settings:
        wanted |= {v.name for v in ENVIRONMENT if not v.secret and v.services}
    for var in ENVIRONMENT:
        if var.name not in wanted or var.source is Source.DERIVED:
            continue
        full = config_key(var.name)
        raw = pulumi.runtime.get_config(full)  # plaintext, without the SDK's secret warning
        if raw is None:
            continue
        problem = check_value(var.name, str(raw))
        if problem is not None:
            shown = "[secret]" if var.secret else str(raw)
            raise ConfigError(full, shown, problem, secret=var.secret)


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
    recovery_window_days: Annotated[int, RECOVERY_WINDOW_DAYS] = 30
    """Days Secrets Manager keeps a deleted secret recoverable. Default 30, the AWS
    default."""
    kms_key_id: Annotated[pulumi.Input[str], KMS_KEY_ARN] | None = None
    """KMS key encrypting the secrets. Default ``None``: the account's ``aws/secretsmanager``
    managed key."""
    protect: bool = True
    """Protect the secrets and the generated random values from deletion and replacement
    (a generated value cannot be recovered once deleted: sessions break and user secrets
    become unreadable). Default ``True``; pass ``False`` only for throw-away stacks."""
    tags: Annotated[Mapping[str, str], TAGS] = field(default_factory=_empty_str_map)
    """Tags added to every secret. Default none."""


_DEFAULT_ARGS = SecretsBundleArgs()


class SecretsBundle(pulumi.ComponentResource):
    """Secrets Manager entries for the platform's secret environment keys.

    One JSON secret per set of readers (see the module docstring for why grouped):
    children ``<name>-<group>`` (``aws.secretsmanager.Secret``, groups in
    :data:`SECRET_GROUPS`) each with ``<name>-<group>-version`` (``SecretVersion``, its
    ``secret_string`` a Pulumi secret), and one ``<name>-<key-in-kebab-case>``
    ``random.RandomPassword`` per generated key without a supplied value (e.g.
    ``<name>-better-auth-secret``). A group with no values is not created.

    From Python, :attr:`keys` lists the keys the bundle holds (in environment order),
    :attr:`missing_required` the required keys without a value (only non-empty when not
    strict), and :meth:`secrets_for` gives a service's ``secrets`` mapping.
    """

    _type_token = "proliferate:secrets:SecretsBundle"

    secret_arns: pulumi.Output[list[str]]
    """Every secret's ARN (what an execution role may read)."""
    group_arns: dict[str, pulumi.Output[str]]
    """Group (``generated``, ``data``, ``user``, ...) -> its secret's ARN."""
    references: dict[str, pulumi.Output[str]]
    """Environment key -> its ECS ``valueFrom`` reference ``<secret-arn>:<KEY>::``, for a
    container's ``secrets`` (a key carrying another's value, e.g. ``LITELLM_MASTER_KEY``,
    refers to that key)."""

    def __init__(
        self,
        name: str,
        args: SecretsBundleArgs = _DEFAULT_ARGS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(
            coerce_args(SecretsBundleArgs, args, key="SecretsBundle.args"), key="SecretsBundleArgs"
        )
        _validate_settings(args.settings)
        if args.user_values is not None:
            _validate_user_values(args.user_values)
        values = _supplied_values(args)
        generated = [
            v.name for v in ENVIRONMENT if v.source is Source.GENERATED and v.name in bundle_keys()
        ]
        missing = _missing_required(args, values, generated)
        super().__init__(self._type_token, name, None, opts)
        self.missing_required = missing
        if missing:
            pulumi.log.warn(
                f"{name}: required secrets without a value: {', '.join(missing)}. The services would "
                "fail their start-up validation; `pulumi up` refuses to deploy until they are set "
                f"(pulumi config set --secret {config_key(missing[0])} ...).",
                resource=self,
            )
        all_values = self._all_values(name, args, values, generated)
        order = {n: i for i, n in enumerate(bundle_keys())}
        self.keys = tuple(sorted(all_values, key=lambda k: order[k]))
        self._create_groups(name, args, all_values)
        self.references = {
            key: self.value_from(key)
            for key in bundle_keys()
            if (env_var(key).value_of or key) in self._secret_of
        }
        register_outputs(self, "secret_arns", "group_arns", "references")

    def _all_values(
        self,
        name: str,
        args: SecretsBundleArgs,
        values: Mapping[str, pulumi.Input[str]],
        generated: list[str],
    ) -> dict[str, pulumi.Input[str]]:
        """Supplied values (checked once known), generated ones in upstream's formats (an
        existing stack keeps its values), and ``LITELLM_DATABASE_URL`` from the database's."""
        all_values: dict[str, pulumi.Input[str]] = {}
        for key in generated:
            all_values[key] = (
                _checked(key, values[key])
                if key in values
                else _generated(name, key, args.protect, self)
            )
        for key, value in values.items():
            all_values.setdefault(key, _checked(key, value))
        if "DATABASE_URL" in all_values:
            all_values["LITELLM_DATABASE_URL"] = pulumi.Output.from_input(
                all_values["DATABASE_URL"]
            ).apply(litellm_database_url)
        return all_values

    def _create_groups(
        self, name: str, args: SecretsBundleArgs, all_values: Mapping[str, pulumi.Input[str]]
    ) -> None:
        """One JSON secret (and its version) per set of readers."""
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
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            document = pulumi.Output.all(**{k: all_values[k] for k in members}).apply(
                lambda doc: json.dumps(doc, sort_keys=True)
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-{group}-version",
                secret_id=secret.id,
                secret_string=pulumi.Output.secret(document),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for k in members:
                self._secret_of[k] = secret
            self.group_arns[group] = secret.arn
        self.secret_arns = pulumi.Output.all(*self.group_arns.values()).apply(
            lambda arns: [str(a) for a in arns]
        )

    def value_from(self, name: str) -> pulumi.Output[str]:
        """The ECS ``valueFrom`` of key ``name``: ``<secret-arn>:<NAME>::`` (for a key that
        carries another's value, e.g. ``LITELLM_MASTER_KEY``, that key's reference).

        Raises:
            ConfigError: the bundle holds no value for ``name``.
        """
        var = env_var(name)
        key = var.value_of or var.name
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
        holds, under the name the container sees (:attr:`EnvVar.env_name`; for
        :attr:`FargateServiceArgs.secrets`).

        Raises:
            ConfigError: unknown service.
        """
        if service not in SERVICES:
            raise ConfigError("service", service, f"one of {', '.join(SERVICES)}")
        out: dict[str, pulumi.Output[str]] = {}
        for var in ENVIRONMENT:
            if (
                service in var.services
                and var.secret
                and (var.value_of or var.name) in self._secret_of
            ):
                out[var.env_name] = self.value_from(var.name)
        return out

    def group_arn_of(self, name: str) -> pulumi.Output[str]:
        """The ARN of the secret holding key ``name`` (or the key it carries).

        Raises:
            ConfigError: the bundle holds no value for ``name``.
        """
        var = env_var(name)
        secret = self._secret_of.get(var.value_of or var.name)
        if secret is None:
            raise ConfigError(
                "SecretsBundle.group_arn_of",
                name,
                f"one of the bundle's keys: {', '.join(self.keys)}",
            )
        return secret.arn


def _validate_settings(settings: Mapping[str, str]) -> None:
    """Plain settings only, each a known key with one of its choices."""
    for key, value in settings.items():
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
                f"SecretsBundleArgs.settings[{key!r}]", value, f"one of {', '.join(var.choices)}"
            )


def _validate_user_values(user_values: Mapping[str, pulumi.Input[str]]) -> None:
    """Secret keys some service receives, known values in their format."""
    allowed = set(bundle_keys())
    for key, value in user_values.items():
        var = _known(key, "SecretsBundleArgs.user_values")
        if var.name not in allowed:
            why = (
                "not a secret: pass it as a plain setting"
                if not var.secret
                else "received by no service"
                if not var.value_of
                else f"it carries {var.value_of}: set that key"
            )
            raise ConfigError(
                f"SecretsBundleArgs.user_values[{key!r}]",
                "[value]",
                f"a secret key some service receives ({why})",
            )
        if isinstance(value, str):
            problem = check_value(var.name, value)
            if problem is not None:
                raise ConfigError(
                    f"SecretsBundleArgs.user_values[{key!r}]", "[secret]", problem, secret=True
                )


def _supplied_values(args: SecretsBundleArgs) -> dict[str, pulumi.Input[str]]:
    """The values given (or read from secret config), with the data tier's URLs."""
    values: dict[str, pulumi.Input[str]] = (
        {env_var(k).name: v for k, v in args.user_values.items()}
        if args.user_values is not None
        else dict(user_values_from_config())
    )
    if args.database_url is not None:
        values["DATABASE_URL"] = args.database_url
    if args.redis_url is not None:
        values["REDIS_URL"] = args.redis_url
    return values


def _missing_required(
    args: SecretsBundleArgs, values: Mapping[str, pulumi.Input[str]], generated: list[str]
) -> tuple[str, ...]:
    """Required keys without a value; a ConfigError when strict (default: during ``up``)."""
    present = set(values) | set(generated)
    if "DATABASE_URL" in present:
        present.add("LITELLM_DATABASE_URL")
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
    return missing


def _generated(bundle: str, key: str, protect: bool, parent: pulumi.Resource) -> pulumi.Output[str]:
    """A generated value in upstream's format (:mod:`~proliferate_components.secret_formats`).

    The random value is hex (``RandomPassword`` over the 16 hex digits: digits plus
    ``override_special="abcdef"``); its shape inputs are ``ignore_changes``, so a stack
    created with the earlier 44-character alphanumeric values keeps them (no rotation)."""
    fmt = format_named(env_var(key).generated_format or "hex64")
    password = random.RandomPassword(
        f"{bundle}-{key.lower().replace('_', '-')}",
        length=fmt.random_length,
        upper=False,
        lower=False,
        numeric=True,
        special=True,
        override_special="abcdef",
        opts=pulumi.ResourceOptions(
            parent=parent, protect=protect, ignore_changes=list(_RANDOM_SHAPE)
        ),
    )
    value = password.result.apply(fmt.from_random)
    if key == "USER_SECRETS_ENCRYPTION_KEY":
        value = value.apply(lambda v: _warn_unusable_key(parent, v))
    return pulumi.Output.secret(value)


def _warn_unusable_key(parent: pulumi.Resource, value: str) -> str:
    """Warn (once per run, naming no value) when a stack's encryption key is in the shape
    the platform's code rejects: a stack created before release 0.2 holds 44 alphanumerics,
    which ``packages/services/src/db/crypto.ts`` refuses, so no user secret was ever stored
    with it. Rotating it is then safe, but only deliberately (docs/upgrading.md)."""
    if check_value("USER_SECRETS_ENCRYPTION_KEY", value) is not None:
        pulumi.log.warn(
            "USER_SECRETS_ENCRYPTION_KEY of this stack is not 64 hex characters, so the platform "
            "cannot encrypt user secrets with it (it refuses other keys). Nothing was ever "
            "encrypted with it: replace it once, deliberately, as docs/upgrading.md shows.",
            resource=parent,
        )
    return value


def _checked(key: str, value: pulumi.Input[str]) -> pulumi.Input[str]:
    """``value``, checked once known (plain strings were checked before registration)."""
    if isinstance(value, str):
        return value

    def check(v: str) -> str:
        problem = check_value(key, v)
        if problem is not None:
            raise ConfigError(f"SecretsBundle value of {key}", "[secret]", problem, secret=True)
        return v

    return pulumi.Output.from_input(value).apply(check)


def _known(key: str, where: str) -> EnvVar:
    try:
        return env_var(key)
    except ConfigError:
        raise ConfigError(
            f"{where}[{key!r}]",
            "[value]",
            "a key of proliferate_components.environment.ENVIRONMENT",
        ) from None
