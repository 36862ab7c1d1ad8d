"""Two estimates side by side: what changes, line by line (``--compare-preset``/``--compare-config``).

Resources are matched by type and logical name (URNs differ between stacks), lines by their
key within the resource. A line present on one side only counts as $0 on the other, so a
resource the second configuration adds (a NAT gateway per AZ) shows its whole cost as delta.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import CostEstimate, LineItem, ResourceCost, json_usd

__all__ = ["Comparison", "ComponentDelta", "LineDelta", "compare"]

_EPSILON = 1e-9


@dataclass(frozen=True)
class LineDelta:
    """One line whose monthly amount differs between the two estimates."""

    type: str
    name: str
    component: str
    key: str
    description: str
    """The line's description in the second estimate (the first one's if it has none)."""
    base_usd: float
    other_usd: float

    @property
    def delta_usd(self) -> float:
        """``other_usd - base_usd``."""
        return self.other_usd - self.base_usd

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (camelCase keys)."""
        return {
            "type": self.type,
            "name": self.name,
            "component": self.component or None,
            "key": self.key,
            "description": self.description,
            "base": json_usd(self.base_usd),
            "other": json_usd(self.other_usd),
            "delta": json_usd(self.delta_usd),
        }


@dataclass(frozen=True)
class ComponentDelta:
    """A component's total in both estimates."""

    type: str
    name: str
    base_usd: float
    other_usd: float

    @property
    def delta_usd(self) -> float:
        """``other_usd - base_usd``."""
        return self.other_usd - self.base_usd

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "type": self.type,
            "name": self.name,
            "base": json_usd(self.base_usd),
            "other": json_usd(self.other_usd),
            "delta": json_usd(self.delta_usd),
        }


@dataclass(frozen=True)
class Comparison:
    """The second estimate against the first."""

    base_label: str
    """What the first estimate is, e.g. ``--preset dev``."""
    other_label: str
    """What the second is, e.g. ``--compare-preset prod``."""
    base: CostEstimate
    other: CostEstimate
    lines: tuple[LineDelta, ...]
    """Changed lines, largest change first."""
    components: tuple[ComponentDelta, ...]
    """Every component of either estimate, in the second's order then the first's."""

    @property
    def delta_usd(self) -> float:
        """Total of the second minus total of the first."""
        return self.other.total_usd - self.base.total_usd

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (what ``--json`` writes under ``cost.comparison``)."""
        return {
            "baseLabel": self.base_label,
            "otherLabel": self.other_label,
            "baseTotalMonthly": json_usd(self.base.total_usd),
            "otherTotalMonthly": json_usd(self.other.total_usd),
            "deltaMonthly": json_usd(self.delta_usd),
            "lines": [line.to_dict() for line in self.lines],
            "components": [c.to_dict() for c in self.components],
            "other": self.other.to_dict(),
        }


def compare(
    base: CostEstimate, other: CostEstimate, *, base_label: str = "", other_label: str = ""
) -> Comparison:
    """Every line that differs between ``base`` and ``other`` (see the module docstring)."""
    base_by = {(r.type, r.name): r for r in base.resources}
    other_by = {(r.type, r.name): r for r in other.resources}
    keys = list(other_by) + [k for k in base_by if k not in other_by]
    deltas: list[LineDelta] = []
    for key in keys:
        deltas.extend(_line_deltas(base_by.get(key), other_by.get(key)))
    deltas.sort(key=lambda d: (-abs(d.delta_usd), d.name, d.key))
    base_components = {(c.type, c.name): c for c in base.components}
    other_components = {(c.type, c.name): c for c in other.components}
    component_keys = list(other_components) + [
        k for k in base_components if k not in other_components
    ]
    components = tuple(
        ComponentDelta(
            type=k[0],
            name=k[1],
            base_usd=base_components[k].monthly_usd if k in base_components else 0.0,
            other_usd=other_components[k].monthly_usd if k in other_components else 0.0,
        )
        for k in component_keys
    )
    return Comparison(
        base_label=base_label,
        other_label=other_label,
        base=base,
        other=other,
        lines=tuple(deltas),
        components=components,
    )


def _line_deltas(base: ResourceCost | None, other: ResourceCost | None) -> list[LineDelta]:
    either = other if other is not None else base
    assert either is not None
    base_lines = {line.key: line for line in (base.lines if base else ())}
    other_lines = {line.key: line for line in (other.lines if other else ())}
    out: list[LineDelta] = []
    for key in list(other_lines) + [k for k in base_lines if k not in other_lines]:
        before: LineItem | None = base_lines.get(key)
        after: LineItem | None = other_lines.get(key)
        base_usd = before.monthly_usd if before else 0.0
        other_usd = after.monthly_usd if after else 0.0
        if abs(other_usd - base_usd) < _EPSILON:
            continue
        shown = after if after is not None else before
        assert shown is not None
        out.append(
            LineDelta(
                type=either.type,
                name=either.name,
                component=either.component,
                key=key,
                description=shown.description,
                base_usd=base_usd,
                other_usd=other_usd,
            )
        )
    return out
