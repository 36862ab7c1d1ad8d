"""What an estimate is made of: line items, per-resource and per-component costs, the total.

Plain frozen dataclasses with no Pulumi or I/O: :func:`~proliferate_components.cost.estimate`
builds them, the renderers and the ``--json`` export read them (:meth:`CostEstimate.to_dict`).
Amounts are USD per month as floats; rounding happens only when they are shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Assumption",
    "AssumptionSource",
    "ComponentCost",
    "CostEstimate",
    "LineItem",
    "ResourceCost",
    "ResourceStatus",
    "TypeCount",
    "json_usd",
]

ResourceStatus = Literal["priced", "partly priced", "free", "not priced"]
"""How a resource was handled: every billed part priced, some parts not priced, nothing
billed (with a reason), or nothing priced (with a reason)."""

AssumptionSource = Literal["default", "derived", "usage file"]
"""Where a usage figure came from: a documented default, the resource's own inputs (e.g.
``desiredCount``), or the ``--usage`` file."""


@dataclass(frozen=True)
class Assumption:
    """One usage figure a line item rests on."""

    key: str
    """The usage key, e.g. ``monthly_data_processed_gb``."""
    value: float
    """The figure used."""
    unit: str
    """Its unit, e.g. ``GB``."""
    source: AssumptionSource
    """Where the figure came from."""
    detail: str = ""
    """How a derived figure was derived (e.g. ``desiredCount 2``), or which usage-file entry
    set it."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (camelCase keys)."""
        return {
            "key": self.key,
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class LineItem:
    """One billed dimension of one resource: ``quantity`` x ``unit_price`` per month."""

    key: str
    """Stable id of the line within its resource (compared across two estimates), e.g. ``hours``."""
    description: str
    """What is billed, e.g. ``NAT gateway hours``."""
    quantity: float
    """Units per month."""
    unit: str
    """The unit, e.g. ``hours``, ``GB``, ``vCPU-hours``."""
    unit_price: float
    """USD per unit."""
    price_key: str
    """The price table entry used, e.g. ``nat_gateway.hour``."""
    assumptions: tuple[Assumption, ...] = ()
    """Usage figures the quantity rests on (empty when it follows from the inputs alone)."""

    @property
    def monthly_usd(self) -> float:
        """``quantity`` x ``unit_price``."""
        return self.quantity * self.unit_price

    @property
    def rests_on_assumptions(self) -> bool:
        """True when a usage figure that is not from the ``--usage`` file feeds the quantity."""
        return any(a.source != "usage file" for a in self.assumptions)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (camelCase keys)."""
        return {
            "key": self.key,
            "description": self.description,
            "quantity": self.quantity,
            "unit": self.unit,
            "unitPrice": self.unit_price,
            "priceKey": self.price_key,
            "monthly": json_usd(self.monthly_usd),
            "assumptions": [a.to_dict() for a in self.assumptions],
        }


@dataclass(frozen=True)
class ResourceCost:
    """The monthly cost of one registered resource."""

    urn: str
    type: str
    name: str
    component: str
    """Name of the nearest component (``ComponentResource``) above it; ``""`` at the top."""
    component_urns: tuple[str, ...]
    """URNs of every component above it, nearest first (its parent chain)."""
    status: ResourceStatus
    reason: str = ""
    """Why it is free, or why (part of) it is not priced."""
    lines: tuple[LineItem, ...] = ()
    notes: tuple[str, ...] = ()
    """Remarks that do not change the figure (e.g. a free tier that applies)."""
    region: str = ""

    @property
    def monthly_usd(self) -> float:
        """Sum of the line items."""
        return sum(line.monthly_usd for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (camelCase keys)."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "component": self.component or None,
            "region": self.region,
            "status": self.status,
            "reason": self.reason or None,
            "monthly": json_usd(self.monthly_usd),
            "lines": [line.to_dict() for line in self.lines],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ComponentCost:
    """The monthly cost of a component: every priced resource below it, at any depth."""

    urn: str
    type: str
    name: str
    parent: str
    """URN of the component above it, ``""`` at the top."""
    depth: int
    """0 for a top-level component."""
    monthly_usd: float
    resource_count: int
    """Custom resources below it (priced, free or not)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (camelCase keys)."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent or None,
            "depth": self.depth,
            "monthly": json_usd(self.monthly_usd),
            "resourceCount": self.resource_count,
        }


@dataclass(frozen=True)
class TypeCount:
    """How many resources of one type were free or not priced, and why."""

    type: str
    count: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"type": self.type, "count": self.count, "reason": self.reason}


@dataclass(frozen=True)
class CostEstimate:
    """The monthly cost of a whole program: per resource, per component, in total."""

    region: str
    """The stack's region (``aws:region``)."""
    currency: str
    hours_per_month: float
    prices_source: str
    prices_as_of: str
    prices_file: str
    """``bundled`` or the ``--prices`` file."""
    resources: tuple[ResourceCost, ...]
    """Every custom resource (and every remote component), in registration order."""
    components: tuple[ComponentCost, ...]
    """Every component, parents before children."""
    warnings: tuple[str, ...] = field(default=())

    @property
    def total_usd(self) -> float:
        """Sum over every resource."""
        return sum(r.monthly_usd for r in self.resources)

    @property
    def not_priced(self) -> tuple[TypeCount, ...]:
        """Resources (or parts) left unpriced, by type, never counted as $0 silently."""
        return _count_by_type(
            r for r in self.resources if r.status in ("not priced", "partly priced")
        )

    @property
    def free(self) -> tuple[TypeCount, ...]:
        """Resources AWS does not bill, by type, with the reason."""
        return _count_by_type(r for r in self.resources if r.status == "free")

    def assumptions(self) -> tuple[tuple[ResourceCost, LineItem, Assumption], ...]:
        """Every usage figure used, with the resource and line it feeds."""
        return tuple(
            (r, line, a) for r in self.resources for line in r.lines for a in line.assumptions
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the estimate (what ``--json`` writes under ``cost``)."""
        return {
            "currency": self.currency,
            "region": self.region,
            "hoursPerMonth": self.hours_per_month,
            "prices": {
                "source": self.prices_source,
                "asOf": self.prices_as_of,
                "file": self.prices_file,
            },
            "totalMonthly": json_usd(self.total_usd),
            "components": [c.to_dict() for c in self.components],
            "resources": [r.to_dict() for r in self.resources],
            "notPriced": [t.to_dict() for t in self.not_priced],
            "free": [t.to_dict() for t in self.free],
            "warnings": list(self.warnings),
        }


def json_usd(amount: float) -> float:
    """An amount as written to JSON: 6 decimals, so float noise never changes the file."""
    return round(amount, 6)


def _count_by_type(resources: Iterable[ResourceCost]) -> tuple[TypeCount, ...]:
    counts: dict[tuple[str, str], int] = {}
    for r in resources:
        key = (r.type, r.reason)
        counts[key] = counts.get(key, 0) + 1
    return tuple(
        TypeCount(type=t, count=n, reason=reason) for (t, reason), n in sorted(counts.items())
    )
