"""Console report of an offline preview: resource tree, policy report, one-line summary.

``rich`` is imported inside the functions, so importing this module stays cheap. Every
string shown goes through a :class:`~proliferate_components.preview.export.Redactor`:
no secret value reaches the terminal, even one copied into a policy message or a log line.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from .export import Redactor, redactor_for

if TYPE_CHECKING:
    from rich.console import Console
    from rich.tree import Tree

    from ..analyzer import Violation
    from ..cost.preview import CostOutcome
    from ..testing import Registration
    from .runner import PreviewResult

__all__ = ["print_report", "summary_line"]

_LEVEL_STYLE = {
    "mandatory": "bold red",
    "remediate": "yellow",
    "advisory": "yellow",
    "disabled": "dim",
}


def summary_line(result: PreviewResult) -> str:
    """One line: resource counts, violation counts, wall time (plain text)."""
    resources = result.capture.resources
    custom = sum(1 for r in resources if r.custom)
    protected = sum(1 for r in resources if r.protect)
    mandatory = len(result.mandatory)
    advisory = sum(1 for v in result.violations if v.enforcement in ("advisory", "remediate"))
    t = result.timings_seconds
    if result.policy_pack is None:
        policy = "policies skipped"
    elif result.every_policy_disabled:
        policy = f"every policy disabled ({len(result.policy_levels)}), nothing checked"
    else:
        policy = (
            f"{mandatory} mandatory, {advisory} advisory violation{'s' if advisory != 1 else ''}"
        )
    timing = f"{t.get('total', 0.0):.2f} s (program {t.get('program', 0.0):.2f} s"
    timing += f", policy {t['policy']:.2f} s)" if "policy" in t else ")"
    return (
        f"{len(resources)} resources ({custom} custom, {len(resources) - custom} components, "
        f"{protected} protected) · {policy} · {timing}"
    )


def print_report(
    result: PreviewResult,
    *,
    file: IO[str] | None = None,
    verbose: bool = False,
    redactor: Redactor | None = None,
    cost: CostOutcome | None = None,
) -> None:
    """Print the tree, the policy report, warnings, the cost estimate (``cost``, with
    ``--cost``) and the summary to ``file`` (stdout)."""
    from rich.console import Console

    red = redactor or redactor_for(result)
    console = Console(file=file, highlight=False, soft_wrap=False)
    title = f"{result.project.name} / {result.stack}"
    console.print(
        f"[bold]Offline preview[/bold] of {_esc(title)} ({_esc(str(result.project.directory))})"
    )
    if verbose:
        _print_config(console, result, red)
    console.print(_tree(result, red))
    _print_policy(console, result, red)
    for level, message in result.log:
        console.print(f"[yellow]{level}:[/yellow] {_esc(red.text(message))}")
    for warning in result.config.warnings:
        console.print(f"[yellow]warning:[/yellow] {_esc(warning)}")
    if cost is not None:
        from ..cost.console import print_cost

        print_cost(console, cost.estimate, cost.comparison)
    style = (
        "bold red"
        if result.mandatory
        else "bold yellow"
        if result.every_policy_disabled
        else "bold green"
    )
    verdict = "FAILED" if result.mandatory else "passed"
    console.print(f"[{style}]{verdict}[/{style}] {_esc(summary_line(result))}", soft_wrap=True)


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _print_config(console: Console, result: PreviewResult, red: Redactor) -> None:
    from rich.table import Table

    table = Table(title="Config", title_justify="left", show_edge=False)
    table.add_column("key")
    table.add_column("value")
    table.add_column("from", style="dim")
    for key, value in result.config.values.items():
        shown = red.marker if key in result.config.secret_keys else red.text(value)
        table.add_row(_esc(key), _esc(shown), _esc(result.config.sources.get(key, "")))
    console.print(table)


def _tree(result: PreviewResult, red: Redactor) -> Tree:
    from rich.tree import Tree

    resources = result.capture.resources
    root_urn = next(
        (r.parent for r in resources if r.parent and r.parent not in {x.urn for x in resources}), ""
    )
    root = Tree(
        f"[bold]pulumi:pulumi:Stack[/bold] {_esc(result.project.name)}-{_esc(result.stack)}"
    )
    children: dict[str, list[Registration]] = {}
    for r in resources:
        children.setdefault(r.parent or root_urn, []).append(r)

    def add(branch: Tree, parent: str) -> None:
        for r in sorted(children.get(parent, []), key=lambda x: (x.custom, x.type, x.name)):
            flags = " [bold magenta]protect[/bold magenta]" if r.protect else ""
            label = f"[dim]{_esc(r.type)}[/dim] {_esc(red.text(r.name))}{flags}"
            add(branch.add(label), r.urn)

    add(root, root_urn)
    return root


def _print_policy(console: Console, result: PreviewResult, red: Redactor) -> None:
    if result.policy_pack is None:
        console.print("[dim]Policies: skipped (--no-policy)[/dim]")
        return
    if result.every_policy_disabled:
        count = len(result.policy_levels)
        console.print(
            f"[bold yellow]Policies: every policy is disabled[/bold yellow] ({count} of {count} "
            f"in {_esc(str(result.policy_pack))}, by the policy config): nothing was checked",
            soft_wrap=True,
        )
        return
    if not result.violations:
        console.print(f"[green]Policies:[/green] no violations ({_esc(str(result.policy_pack))})")
        return
    packs = sorted({v.pack for v in result.violations if v.pack}) or [result.policy_pack.name]
    console.print(f"[bold]Policy report[/bold] ({_esc(', '.join(packs))})")
    by_rule: dict[tuple[str, str], list[Violation]] = {}
    for v in result.violations:
        by_rule.setdefault((v.enforcement, v.policy), []).append(v)
    order = {"mandatory": 0, "remediate": 1, "advisory": 2}
    for (level, policy), found in sorted(
        by_rule.items(), key=lambda kv: (order.get(kv[0][0], 3), kv[0][1])
    ):
        style = _LEVEL_STYLE.get(level, "")
        description = found[0].description
        head = f"  [{style}]{_esc(level)}[/{style}] [bold]{_esc(policy)}[/bold] ({len(found)})"
        if description:
            head += f" [dim]{_esc(red.text(description))}[/dim]"
        console.print(head, soft_wrap=True)
        for v in found:
            message = v.message
            if description and message.startswith(description):
                message = message[len(description) :].lstrip("\n")
            line = f"    - {_esc(_short_urn(v.urn))}: {_esc(red.text(message.strip()))}"
            console.print(line, soft_wrap=True)


def _short_urn(urn: str) -> str:
    """``type::name`` of a URN (the stack for an empty URN)."""
    if not urn:
        return "(stack)"
    tail = urn.rsplit("::", 2)
    if len(tail) < 2:
        return urn
    typ = tail[-2].rsplit("$", 1)[-1]
    return f"{typ}::{tail[-1]}"
