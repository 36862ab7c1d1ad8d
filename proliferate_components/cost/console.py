"""The terminal form of an estimate, printed by ``proliferate-infra preview --offline --cost``.

``rich`` is imported inside the functions, as in :mod:`proliferate_components.preview.report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .compare import Comparison
from .model import CostEstimate
from .render import assumption_rows, basis, money, short_type, signed_money

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["print_cost"]


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _table(*columns: str) -> Table:
    """A borderless table: the first column folds, the others (figures) never wrap."""
    from rich.table import Table

    table = Table(show_edge=False, box=None, pad_edge=False, show_header=True)
    for index, name in enumerate(columns):
        if index == 0:
            table.add_column(name, ratio=1, overflow="fold")
        else:
            table.add_column(name, justify="right", no_wrap=True)
    return table


def print_cost(
    console: Console, estimate: CostEstimate, comparison: Comparison | None = None
) -> None:
    """Print components, priced resources with their lines, assumptions, what is not priced
    and what is free, then the comparison (if any) and the total."""
    console.print(
        f"[bold]Estimated monthly cost[/bold] in {_esc(estimate.region)} "
        f"[dim](prices as of {_esc(estimate.prices_as_of)}, {_esc(estimate.prices_file)}: "
        f"{_esc(estimate.prices_source)}; {estimate.hours_per_month:g} h/month)[/dim]",
        soft_wrap=True,
    )
    if estimate.components:
        components = _table("component", "resources", "monthly")
        for c in estimate.components:
            components.add_row(
                "  " * c.depth + f"{_esc(c.name)} [dim]{_esc(short_type(c.type))}[/dim]",
                str(c.resource_count),
                money(c.monthly_usd),
            )
        console.print(components)

    resources = _table("resource / line", "quantity x price", "monthly")
    for r in sorted(estimate.resources, key=lambda r: (-r.monthly_usd, r.name)):
        if not r.lines and r.status != "partly priced":
            continue
        where = f" in {r.component}" if r.component else ""
        resources.add_row(
            f"[bold]{_esc(r.name)}[/bold] [dim]{_esc(short_type(r.type))}{_esc(where)}[/dim]",
            "",
            f"[bold]{money(r.monthly_usd)}[/bold]",
        )
        for line in r.lines:
            mark = "*" if line.rests_on_assumptions else " "
            resources.add_row(
                "  " + _esc(line.description), _esc(basis(line)), money(line.monthly_usd) + mark
            )
        if r.status == "partly priced":
            resources.add_row("  " + _esc(r.reason), "", "[yellow]not priced[/yellow] ")
    console.print(resources)

    rows = assumption_rows(estimate)
    if rows:
        console.print("[dim]* rests on these usage figures; set your own with --usage FILE:[/dim]")
        for resource_type, key, figure, source, count in rows:
            many = f", {count} resources" if count > 1 else ""
            console.print(
                f"  {_esc(short_type(resource_type))} {_esc(key)} = {_esc(figure)} "
                f"[dim]({_esc(source)}{many})[/dim]",
                soft_wrap=True,
            )
    for t in estimate.not_priced:
        console.print(
            f"[yellow]not priced:[/yellow] {_esc(t.type)} x{t.count}: {_esc(t.reason)}",
            soft_wrap=True,
        )
    by_reason: dict[str, list[str]] = {}
    for t in estimate.free:
        by_reason.setdefault(t.reason, []).append(f"{_service_type(t.type)} x{t.count}")
    for reason, kinds in by_reason.items():
        console.print(f"[dim]free: {_esc(', '.join(kinds))}: {_esc(reason)}[/dim]", soft_wrap=True)
    for warning in estimate.warnings:
        console.print(f"[yellow]warning:[/yellow] {_esc(warning)}", soft_wrap=True)
    if comparison is not None:
        _print_comparison(console, comparison)
    console.print(f"[bold]Estimated total: {money(estimate.total_usd)} per month[/bold]")


def _service_type(resource_type: str) -> str:
    """``ec2/securityGroup`` for ``aws:ec2/securityGroup:SecurityGroup``."""
    parts = resource_type.split(":")
    return parts[1] if len(parts) == 3 else resource_type


def _print_comparison(console: Console, comparison: Comparison) -> None:
    base = comparison.base_label or "first"
    other = comparison.other_label or "second"
    console.print(
        f"[bold]Change with {_esc(other)}[/bold] (against {_esc(base)}): "
        f"{money(comparison.base.total_usd)} -> {money(comparison.other.total_usd)} per month, "
        f"[bold]{signed_money(comparison.delta_usd)}[/bold]",
        soft_wrap=True,
    )
    if not comparison.lines:
        console.print("  no line changes")
        return
    lines = _table("resource: line", "before", "after", "change")
    for d in comparison.lines:
        lines.add_row(
            f"{_esc(d.name)}: [dim]{_esc(d.description)}[/dim]",
            money(d.base_usd),
            money(d.other_usd),
            signed_money(d.delta_usd),
        )
    console.print(lines)
