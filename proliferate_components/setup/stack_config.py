"""The stack's Pulumi config: what the wizard wants, validated, then applied key by key.

A key is written only when it is missing or differs. A key that already has a *different*
value is changed only when the new value was asked for explicitly (flag, environment,
answers file, prompt, ``.env.local``) and the change is confirmed; preset defaults never
replace an existing value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config import CONFIG_KEYS, DEV_PRESET, PROD_PRESET, StackConfig
from ..environment import ENVIRONMENT, config_key
from ..errors import ConfigError
from ..ops.pulumi_backend import ConfigEntry, PulumiBackend
from .context import SetupContext, mask
from .env_resolution import validate_env_value

STEP = "stack"

DOMAIN_KEYS = frozenset(
    {
        "proliferate:domainName",
        "proliferate:certificateArn",
        "proliferate:enableHttps",
        "proliferate:manageDns",
        "proliferate:hostedZoneId",
    }
)
"""Keys the domain/TLS answers decide (never taken from a preset)."""

SECRET_KEYS = frozenset(k.full_key for k in CONFIG_KEYS if k.secret)
"""Stack config keys stored as Pulumi secrets (``proliferate:certificateArn``)."""


@dataclass(frozen=True)
class Desired:
    """A wanted config value.

    Attributes:
        value: the value as ``pulumi config`` stores it.
        secret: store it with ``--secret``.
        explicit: asked for by the user (may replace a different existing value after
            confirmation); False for preset defaults (never replace an existing value).
    """

    value: str
    secret: bool = False
    explicit: bool = True


def preset_values(preset: str) -> dict[str, str]:
    """The spec's ``pulumi config set`` lines for ``preset`` without region and domain keys,
    plus ``proliferate:profile``."""
    source = PROD_PRESET if preset == "prod" else DEV_PRESET
    values = {k: v for k, v in source.items() if k not in DOMAIN_KEYS and k != "aws:region"}
    values["proliferate:profile"] = preset
    return values


_ENV_BY_CONFIG_KEY = {config_key(v.name): v for v in ENVIRONMENT}


def check_config_value(key: str, value: str, *, secret: bool = False) -> None:
    """Refuse a value the wizard must never write into the stack's config: an empty or
    whitespace-only value (it would count as set; ``pulumi config rm`` unsets a key), or,
    for a platform key ``proliferate:<NAME>``, a value its schema rejects (e.g. not the 64
    hex characters of ``USER_SECRETS_ENCRYPTION_KEY``).

    Raises:
        ConfigError: naming the Pulumi key; a secret value is never shown.
    """
    var = _ENV_BY_CONFIG_KEY.get(key)
    hidden = secret or (var is not None and var.secret)
    if not value.strip():
        raise ConfigError(
            key,
            value,
            f"a non-empty value (empty and whitespace-only values count as unset; to unset "
            f"the key: pulumi config rm {key})",
            secret=hidden,
        )
    if var is not None:
        problem = validate_env_value(var, value)
        if problem is not None:
            raise ConfigError(key, value, problem, secret=hidden)


def validate_stack_config(
    current: Mapping[str, ConfigEntry], desired: Mapping[str, Desired]
) -> None:
    """Validate the config the stack will have (current overlaid with ``desired``).

    Raises:
        ConfigError: naming the Pulumi key (the stack's own validation, before any write):
            also an empty, blank or malformed desired value (:func:`check_config_value`).
    """
    for key, want in desired.items():
        check_config_value(key, want.value, secret=want.secret)
    merged = {k: e.value for k, e in current.items()}
    merged.update({k: d.value for k, d in desired.items()})
    secret_keys = {k for k, e in current.items() if e.secret} | {
        k for k, d in desired.items() if d.secret
    }
    StackConfig.from_mapping(merged, secret_keys=secret_keys)


def apply_config(
    ctx: SetupContext,
    pulumi: PulumiBackend,
    stack: str,
    current: Mapping[str, ConfigEntry],
    desired: Mapping[str, Desired],
) -> list[str]:
    """Write the keys of ``desired`` that are missing or (confirmed) different.

    Returns:
        the keys written (or, in a dry run, that would be written).
    """
    written: list[str] = []
    for key, want in desired.items():
        have = current.get(key)
        if have is not None and have.value == want.value:
            if have.secret or not want.secret:
                continue
            reason = "store as secret"
        elif have is None:
            reason = "set"
        elif not want.explicit:
            ctx.echo(
                f"  keeping {key} = {mask(have.value, secret=have.secret)} (preset default differs)"
            )
            continue
        elif ctx.confirm_change(
            f"Pulumi config {key}", have.value, want.value, secret=want.secret or have.secret
        ):
            reason = "change"
        else:
            ctx.echo(f"  keeping {key}")
            continue
        shown = mask(want.value, secret=want.secret)
        ctx.mutate(
            f"{reason} Pulumi config {key} = {shown}",
            lambda key=key, want=want: pulumi.set_config(
                stack, key, want.value, secret=want.secret
            ),
        )
        written.append(key)
    return written
