"""The cost tables of the docs, rendered by ``python -m proliferate_components.docgen``.

Every figure is computed here from the same code the CLI runs (:mod:`.profiles`): offline
previews of the bundled example, priced with the bundled table and the default usage.
"""

from __future__ import annotations

from .compare import compare
from .profiles import (
    OptionCost,
    bundled_prices,
    config_examples,
    option_costs,
    preset_estimate,
    profile_only_option,
    profile_options,
)
from .render import money, quantity, short_type, signed_money, table
from .usage import USAGE_KEYS

__all__ = [
    "render_cost_config",
    "render_cost_hardening",
    "render_cost_presets",
    "render_cost_regions",
    "render_cost_usage",
]

_MIN_SHOWN = 0.005  # changes below half a cent are not listed


def _intro() -> str:
    prices = bundled_prices()
    return (
        f"Bundled example (`examples/proliferate`), us-east-1, bundled prices as of "
        f"{prices.as_of}, default usage figures, {prices.hours_per_month:g} hours a month."
    )


def render_cost_presets() -> str:
    """Dev against prod preset: per component, in total, then every line that changes."""
    dev, prod = preset_estimate("dev"), preset_estimate("prod")
    comparison = compare(dev, prod, base_label="dev", other_label="prod")
    roots = {c.name for c in dev.components if c.depth == 0}
    rows = [
        [
            f"`{c.name}` ({short_type(c.type)})",
            money(c.base_usd),
            money(c.other_usd),
            signed_money(c.delta_usd),
        ]
        for c in sorted(comparison.components, key=lambda c: (-c.other_usd, c.name))
        if c.name not in roots
    ]
    rows.append(
        [
            "**Total**",
            f"**{money(dev.total_usd)}**",
            f"**{money(prod.total_usd)}**",
            f"**{signed_money(comparison.delta_usd)}**",
        ]
    )
    lines = [
        [
            f"`{d.name}`",
            d.description,
            money(d.base_usd),
            money(d.other_usd),
            signed_money(d.delta_usd),
        ]
        for d in comparison.lines
        if abs(d.delta_usd) >= _MIN_SHOWN
    ]
    return (
        _intro()
        + "\n\n"
        + table(["Component", "dev", "prod", "Change"], rows)
        + "\nEvery line the prod preset changes, largest first:\n\n"
        + table(["Resource", "Line (prod)", "dev", "prod", "Change"], lines)
    )


def render_cost_regions() -> str:
    """The dev and prod presets in every region of the bundled table, with headline rates."""
    prices = bundled_prices()
    rows: list[list[str]] = []
    for region in sorted(prices.regions):
        rows.append(
            [
                f"`{region}`",
                money(preset_estimate("dev", region=region).total_usd),
                money(preset_estimate("prod", region=region).total_usd),
                _rate(prices.rate(region, "nat_gateway.hour")),
                _rate(prices.rate(region, "load_balancer.alb_hour")),
                _rate(prices.rate(region, "fargate.x86_vcpu_hour")),
                _rate(prices.rate(region, "cloudwatch.logs_ingested_gb")),
            ]
        )
    return table(
        [
            "Region",
            "dev",
            "prod",
            "NAT gateway / hour",
            "ALB / hour",
            "Fargate vCPU-hour (x86)",
            "Logs ingested / GB",
        ],
        rows,
    )


def render_cost_usage() -> str:
    """Every usage figure with its default (or how it is derived)."""
    rows: list[list[str]] = []
    for resource_type, keys in sorted(USAGE_KEYS.items()):
        for key in keys:
            default = (
                f"{quantity(key.default)} {key.unit}"
                if key.default is not None
                else f"derived: {key.derived}"
            )
            rows.append([f"`{resource_type}`", f"`{key.name}`", default, key.description])
    return table(["Resource type", "Usage key", "Default", "Meaning"], rows)


def _option_rows(costs: list[OptionCost]) -> list[list[str]]:
    rows: list[list[str]] = []
    for cost in costs:
        changes = ", ".join(f"`{k}={v}`" for k, v in cost.option.changes)
        rows.append([changes, signed_money(cost.delta_usd), _what_changes(cost)])
    return rows


def _what_changes(cost: OptionCost, limit: int = 3) -> str:
    """The largest changed lines, alike lines of several resources summed (``x3``)."""
    summed: dict[str, tuple[float, int]] = {}
    for d in cost.comparison.lines:
        total, count = summed.get(d.description, (0.0, 0))
        summed[d.description] = (total + d.delta_usd, count + 1)
    ranked = sorted(summed.items(), key=lambda kv: (-abs(kv[1][0]), kv[0]))
    parts = [
        f"{description}{f' x{count}' if count > 1 else ''} ({signed_money(total)})"
        for description, (total, count) in ranked[:limit]
        if abs(total) >= _MIN_SHOWN
    ]
    return "; ".join(parts) or "no billed change"


def _rate(usd: float) -> str:
    """A unit price: at least 2 decimals, no trailing zeros beyond them (``$0.70``, ``$0.0225``)."""
    text = f"{usd:.6f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


def render_cost_hardening() -> str:
    """What each production protection of the prod profile costs on its own (docs/security.md)."""
    options = [o for o in profile_options() if o.kind == "protection"]
    costs, _ = option_costs(options)
    shown = [c for c in costs if abs(c.delta_usd) >= _MIN_SHOWN]
    idle = [c for c in costs if abs(c.delta_usd) < _MIN_SHOWN]
    profile_only, _ = option_costs([profile_only_option()])
    dev, prod = preset_estimate("dev"), preset_estimate("prod")
    text = _intro() + " Each row is one option set on top of the dev preset.\n\n"
    text += table(["Option", "Monthly", "What changes (largest lines)"], _option_rows(shown))
    if idle:
        text += (
            "\nNo billed change with the example's defaults: "
            + ", ".join(f"`{c.option.label}`" for c in idle)
            + ".\n"
        )
    if profile_only:
        text += (
            f"\n`proliferate:profile prod` itself, with every key above at its dev value, "
            f"changes the bill by {signed_money(profile_only[0].delta_usd)} a month. "
        )
    text += (
        f"The whole prod preset (these options plus prod sizing) costs {money(prod.total_usd)} "
        f"a month against {money(dev.total_usd)} for dev; see [the cost estimate](cost.md).\n"
    )
    return text


def render_cost_config() -> str:
    """Monthly change of each cost-relevant config change against the dev preset."""
    costs, refused = option_costs([*profile_options(), *config_examples()])
    rows = _option_rows([c for c in costs if abs(c.delta_usd) >= _MIN_SHOWN])
    text = (
        _intro()
        + " Each row is one change on top of the dev preset; "
        + "`proliferate-infra preview --offline --cost --compare-config KEY=VALUE` prices any "
        + "other.\n\n"
        + table(["Change", "Monthly", "What changes (largest lines)"], rows)
    )
    if refused:
        text += (
            "\nNot priced alone (they need other keys): "
            + ", ".join(f"`{o.label}`" for o, _ in refused)
            + ".\n"
        )
    return text
