"""No function in the package is longer than 80 lines (issue 15: readable components).

A function's length runs from its ``def`` line to the last line of its body, docstring
included (decorators not). Methods and nested functions count on their own, and a nested
function's lines also count towards the function that holds it. A long body is split into
named steps; the allow-list below holds what may stay long for now, each with its reason.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "proliferate_components"
MAX_LINES = 80

ALLOWED_LONG: dict[str, str] = {
    # Empty: every function of the package is within the limit. A body that has to stay
    # longer for a while goes here with its reason, and comes out once it is split.
}
"""``module:qualname`` -> why it may be longer than :data:`MAX_LINES` for now."""


def function_lengths(source: str, module: str) -> dict[str, int]:
    """``module:qualname`` -> lines from ``def`` to the end of the body, for every function
    and method in ``source`` (nested ones named like ``__qualname__``: ``f.<locals>.g``)."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = prefix + child.name
                end = child.end_lineno if child.end_lineno is not None else child.lineno
                lengths[f"{module}:{qualname}"] = end - child.lineno + 1
                visit(child, qualname + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return lengths


def package_lengths() -> dict[str, int]:
    lengths: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        lengths.update(function_lengths(path.read_text(encoding="utf-8"), module))
    return lengths


def too_long(lengths: dict[str, int], limit: int = MAX_LINES) -> list[str]:
    return [
        f"{name} ({n} lines)"
        for name, n in sorted(lengths.items(), key=lambda item: (-item[1], item[0]))
        if n > limit and name not in ALLOWED_LONG
    ]


def test_no_function_is_longer_than_the_limit() -> None:
    lengths = package_lengths()
    assert len(lengths) > 500, "the walk found too few functions: is PACKAGE right?"
    long = too_long(lengths)
    assert not long, (
        f"{len(long)} function(s) longer than {MAX_LINES} lines; split each into named steps:\n"
        + "\n".join(long)
    )


def test_the_allow_list_has_no_stale_entry() -> None:
    lengths = package_lengths()
    stale = [
        f"{name} ({'gone' if name not in lengths else f'{lengths[name]} lines'})"
        for name in ALLOWED_LONG
        if lengths.get(name, 0) <= MAX_LINES
    ]
    assert not stale, "remove from ALLOWED_LONG (no longer too long):\n" + "\n".join(stale)


SAMPLE = '''
import functools


def short():
    return 1


@functools.cache
def long_one():
    """Docstring lines count."""
{body}


class Box:
    def method(self):
{deeper}

    async def fine(self):
        return 2


def outer():
    def inner():
{deeper}
    return inner
'''


@pytest.mark.parametrize("limit", [MAX_LINES, 10])
def test_the_walk_finds_long_functions_methods_and_nested_ones(limit: int) -> None:
    lines = "x = 1\n" * limit
    source = SAMPLE.format(
        body=textwrap.indent(lines, " " * 4).rstrip("\n"),
        deeper=textwrap.indent(lines, " " * 8).rstrip("\n"),
    )
    lengths = function_lengths(source, "sample")
    assert lengths["sample:short"] == 2
    assert lengths["sample:long_one"] == limit + 2  # def + docstring, not the decorator
    assert lengths["sample:Box.method"] == limit + 1
    assert lengths["sample:Box.fine"] == 2
    assert lengths["sample:outer.<locals>.inner"] == limit + 1
    assert lengths["sample:outer"] == limit + 3
    assert too_long(lengths, limit) == [
        f"sample:outer ({limit + 3} lines)",
        f"sample:long_one ({limit + 2} lines)",
        f"sample:Box.method ({limit + 1} lines)",
        f"sample:outer.<locals>.inner ({limit + 1} lines)",
    ]
