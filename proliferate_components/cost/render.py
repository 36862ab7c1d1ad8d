"""Plain-text and Markdown forms of an estimate (``--cost-report FILE`` and the docs).

No ``rich`` here: the terminal form is :mod:`proliferate_components.cost.console`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .compare import Comparison
from .model import CostEstimate, LineItem, ResourceCost

__all__ = [
    "assumption_rows",
    "basis",
    "markdown_report",
    "money",
    "quantity",
    "short_type",
    "signed_money",
    "table",
]


def money(usd: float) -> str:
    """``$1,234.56`` (``-$3.50`` below zero)."""
    sign = "-" if usd < -0.004 else ""
    return f"{sign}${abs(usd):,.2f}"


def signed_money(usd: float) -> str:
    """``+$12.00``, ``-$3.50`` or ``$0.00``."""
    if abs(usd) < 0.005:
        return "$0.00"
    return ("+" if usd > 0 else "-") + f"${abs(usd):,.2f}"


def quantity(value: float) -> str:
    """A quantity with at most 3 decimals and thousands separators (``1,460``, ``0.25``)."""
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return text or "0"


def short_type(resource_type: str) -> str:
    """The class part of a type token (``aws:ec2/natGateway:NatGateway`` -> ``NatGateway``)."""
    return resource_type.rsplit(":", 1)[-1]


def basis(line: LineItem) -> str:
    """``730 hours x $0.045`` for a line."""
    price = f"{line.unit_price:.6f}".rstrip("0").rstrip(".")
    return f"{quantity(line.quantity)} {line.unit} x ${price}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table (cells must already be single-line)."""
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines.extend(
        "| " + " | ".join(c.replace("|", "\\|") or "-" for c in row) + " |" for row in rows
    )
    return "\n".join(lines) + "\n"


def assumption_rows(estimate: CostEstimate) -> list[tuple[str, str, str, str, int]]:
    """``(type, key, figure, source, resources)`` per distinct usage figure used."""
    seen: dict[tuple[str, str, str, str], set[str]] = {}
    for resource, _line, a in estimate.assumptions():
        source = a.source if not a.detail else f"{a.source}: {a.detail}"
        figure = f"{quantity(a.value)} {a.unit}"
        seen.setdefault((resource.type, a.key, figure, source), set()).add(resource.urn)
    return [(t, k, f, s, len(urns)) for (t, k, f, s), urns in sorted(seen.items())]


def _resource_rows(resource: ResourceCost) -> list[list[str]]:
    rows: list[list[str]] = []
    for line in resource.lines:
        mark = " \\*" if line.rests_on_assumptions else ""
        rows.append(
            [
                f"`{resource.name}`",
                line.description,
                basis(line),
                money(line.monthly_usd) + mark,
            ]
        )
    if resource.status == "partly priced":
        rows.append([f"`{resource.name}`", resource.reason, "-", "not priced"])
    return rows


def markdown_report(
    estimate: CostEstimate, comparison: Comparison | None = None, *, title: str = ""
) -> str:
    """The whole estimate (and comparison) as a Markdown document."""
    parts: list[str] = [
        f"# {title or 'Estimated monthly cost'}\n",
        f"**{money(estimate.total_usd)} per month** in {estimate.region}: "
        f"{estimate.prices_source}, as of {estimate.prices_as_of}, "
        f"{estimate.hours_per_month:g} hours a month (prices: {estimate.prices_file}).\n",
        "## Per component\n",
        table(
            ["Component", "Type", "Resources", "Monthly"],
            (
                [
                    "&nbsp;" * 4 * c.depth + f"`{c.name}`",
                    short_type(c.type),
                    str(c.resource_count),
                    money(c.monthly_usd),
                ]
                for c in estimate.components
            ),
        ),
        "## Per resource\n",
        table(
            ["Resource", "Line", "Quantity x price", "Monthly"],
            (row for r in estimate.resources for row in _resource_rows(r)),
        ),
        "\\* rests on a usage assumption (below); set your own figures with `--usage FILE`.\n",
    ]
    rows = assumption_rows(estimate)
    if rows:
        parts += [
            "## Assumptions\n",
            table(
                ["Type", "Usage key", "Figure", "Source", "Resources"],
                ([f"`{t}`", f"`{k}`", f, s, str(n)] for t, k, f, s, n in rows),
            ),
        ]
    if estimate.not_priced:
        parts += [
            "## Not priced\n",
            table(
                ["Type", "Count", "Why"],
                ([f"`{t.type}`", str(t.count), t.reason] for t in estimate.not_priced),
            ),
        ]
    if estimate.free:
        parts += [
            "## Free\n",
            table(
                ["Type", "Count", "Why"],
                ([f"`{t.type}`", str(t.count), t.reason] for t in estimate.free),
            ),
        ]
    if estimate.warnings:
        parts += ["## Warnings\n", "".join(f"- {w}\n" for w in estimate.warnings)]
    if comparison is not None:
        parts.append(markdown_comparison(comparison))
    return "\n".join(parts)


def markdown_comparison(comparison: Comparison) -> str:
    """The comparison's changed lines and component totals as Markdown."""
    base, other = comparison.base_label or "first", comparison.other_label or "second"
    head = (
        f"## {base} compared with {other}\n\n"
        f"{money(comparison.base.total_usd)} -> {money(comparison.other.total_usd)} per month "
        f"({signed_money(comparison.delta_usd)}).\n"
    )
    lines = table(
        ["Resource", "Line", base, other, "Change"],
        (
            [
                f"`{d.name}`",
                d.description,
                money(d.base_usd),
                money(d.other_usd),
                signed_money(d.delta_usd),
            ]
            for d in comparison.lines
        ),
    )
    components = table(
        ["Component", base, other, "Change"],
        (
            [f"`{c.name}`", money(c.base_usd), money(c.other_usd), signed_money(c.delta_usd)]
            for c in comparison.components
        ),
    )
    return f"{head}\n{lines}\n{components}"
