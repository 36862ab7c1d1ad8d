"""What the bundled example costs per profile, and what each config option adds.

The docs' cost tables (docs/cost.md, docs/security.md, docs/configuration.md) are generated
from here by ``python -m proliferate_components.docgen``: each figure is an offline preview
of ``examples/proliferate`` priced with the bundled table and the default usage figures, so
the tables change when the stack or the prices do. Options come from the config reference
itself: every profile-dependent key (:attr:`ConfigKey.profile_dependent`) set to its
``profile=prod`` default, one option at a time, on top of the dev preset.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..errors import ConfigError
from .compare import Comparison, compare
from .estimate import DEFAULT_REGION, estimate
from .model import CostEstimate
from .prices import PriceTable, load_prices
from .resources import CostResource, resources_from_registrations

__all__ = [
    "OptionCost",
    "PriceOption",
    "bundled_prices",
    "config_examples",
    "option_costs",
    "preset_estimate",
    "preset_resources",
    "profile_only_option",
    "profile_options",
]

OptionKind = Literal["protection", "capacity", "other"]

_CAPACITY = re.compile(r"(Cpu|Memory|NodeType|InstanceClass|AllocatedStorageGib)$")
_COMPANIONS: Mapping[str, str] = {
    "proliferate:flowLogRetentionDays": "proliferate:enableFlowLogs",
    "proliferate:autoscalingMaxCount": "proliferate:enableAutoscaling",
    "proliferate:dbMaxAllocatedStorageGib": "proliferate:dbAllocatedStorageGib",
}
"""Keys that only matter together with another one: priced as one option."""

_EXAMPLES: tuple[tuple[tuple[str, str], ...], ...] = (
    (("proliferate:enableWeb", "true"),),
    (("proliferate:manageDns", "true"), ("proliferate:domainName", "app.example.com")),
    (("proliferate:azCount", "3"),),
    (("proliferate:redisNumCacheClusters", "3"),),
    (("proliferate:redisEngine", "valkey"),),
    (("proliferate:logRetentionDays", "365"),),
    (("proliferate:enableRds", "false"),),
)
"""Changes to keys that are not profile-dependent, priced in the configuration reference."""


@dataclass(frozen=True)
class PriceOption:
    """One config change, priced against the dev preset."""

    changes: tuple[tuple[str, str], ...]
    """``(full key, value)`` pairs, as ``pulumi config set`` takes them."""
    kind: OptionKind

    @property
    def label(self) -> str:
        """``natStrategy one_per_az`` (keys without their namespace)."""
        return ", ".join(f"{k.split(':', 1)[-1]} {v}" for k, v in self.changes)


@dataclass(frozen=True)
class OptionCost:
    """An option's monthly change against the dev preset."""

    option: PriceOption
    comparison: Comparison

    @property
    def delta_usd(self) -> float:
        """The monthly change in USD."""
        return self.comparison.delta_usd


@functools.lru_cache(maxsize=64)
def preset_resources(
    preset: str, changes: tuple[tuple[str, str], ...] = ()
) -> tuple[CostResource, ...]:
    """The bundled example's resources with ``preset`` and ``changes``, previewed offline
    (cached per process).

    Raises:
        ConfigError: the changes are not a valid config.
    """
    from ..preview.runner import run_preview

    result = run_preview(None, preset=preset, config=dict(changes), policy_pack=None)
    return tuple(resources_from_registrations(result.capture.resources))


@functools.lru_cache(maxsize=128)
def preset_estimate(
    preset: str, changes: tuple[tuple[str, str], ...] = (), *, region: str = DEFAULT_REGION
) -> CostEstimate:
    """The estimate of :func:`preset_resources` in ``region`` with the bundled prices and
    the default usage figures (cached per process).

    Raises:
        ConfigError: the changes are not a valid config.
    """
    return estimate(preset_resources(preset, changes), prices=bundled_prices(), region=region)


@functools.lru_cache(maxsize=1)
def bundled_prices() -> PriceTable:
    """The bundled price table, read once per process."""
    return load_prices()


def profile_options() -> list[PriceOption]:
    """Every profile-dependent config key at its ``profile=prod`` default, companions together."""
    from ..config import CONFIG_KEYS

    keys = [ck for ck in CONFIG_KEYS if ck.profile_dependent and ck.namespace == "proliferate"]
    values = {ck.full_key: _config_text(ck.prod_default) for ck in keys}
    grouped: dict[str, list[str]] = {}
    for ck in keys:
        grouped.setdefault(_leader(ck.full_key, values), []).append(ck.full_key)
    options: list[PriceOption] = []
    for leader, members in grouped.items():
        changes = tuple((k, values[k]) for k in [leader, *[m for m in members if m != leader]])
        kind: OptionKind = "capacity" if _CAPACITY.search(leader) else "protection"
        options.append(PriceOption(changes=changes, kind=kind))
    return options


def config_examples() -> list[PriceOption]:
    """Changes to other cost-relevant keys (those that exist in the config reference)."""
    from ..config import CONFIG_KEYS

    known = {ck.full_key for ck in CONFIG_KEYS}
    return [
        PriceOption(changes=changes, kind="other")
        for changes in _EXAMPLES
        if all(k in known for k, _ in changes)
    ]


def option_costs(
    options: Sequence[PriceOption], *, base_preset: str = "dev"
) -> tuple[list[OptionCost], list[tuple[PriceOption, str]]]:
    """Each option's comparison with the base preset, and the options that cannot be applied
    alone (with the error)."""
    base = preset_estimate(base_preset)
    priced: list[OptionCost] = []
    refused: list[tuple[PriceOption, str]] = []
    for option in options:
        try:
            other = preset_estimate(base_preset, option.changes)
        except ConfigError as exc:
            refused.append((option, str(exc)))
            continue
        priced.append(
            OptionCost(
                option,
                compare(
                    base, other, base_label=f"--preset {base_preset}", other_label=option.label
                ),
            )
        )
    return priced, refused


def profile_only_option() -> PriceOption:
    """``profile prod`` with every profile-dependent key pinned to its dev default: what the
    profile changes beyond its keys."""
    from ..config import CONFIG_KEYS

    pinned = tuple(
        (ck.full_key, _config_text(ck.default))
        for ck in CONFIG_KEYS
        if ck.profile_dependent and ck.namespace == "proliferate" and ck.default is not None
    )
    return PriceOption(changes=(("proliferate:profile", "prod"), *pinned), kind="protection")


def _leader(key: str, values: Mapping[str, str]) -> str:
    companion = _COMPANIONS.get(key)
    if companion is not None and companion in values:
        return companion
    match = re.match(r"^(proliferate:[a-z][A-Za-z]*?)Memory$", key)
    if match and f"{match.group(1)}Cpu" in values:
        return f"{match.group(1)}Cpu"
    return key


def _config_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
