"""What a pricing rule receives and returns.

A rule is a pure function ``(resource, context) -> Priced | Free | NotPriced``. The context
gives it the region's prices, the hours in a month, the usage figures (with their sources)
and lookups across the program (e.g. the task definition an ECS service runs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import ConfigError
from ..model import Assumption, LineItem
from ..prices import PriceTable
from ..resources import CostResource, StackIndex
from ..usage import Usage

__all__ = [
    "Free",
    "NotPriced",
    "Outcome",
    "Priced",
    "PricingContext",
    "Rule",
    "number",
]


@dataclass(frozen=True)
class Priced:
    """The resource's billed parts, as line items."""

    lines: tuple[LineItem, ...]
    notes: tuple[str, ...] = ()
    unpriced: tuple[str, ...] = ()
    """Billed parts that could not be priced (the resource is then "partly priced")."""


@dataclass(frozen=True)
class Free:
    """AWS does not bill the resource; ``reason`` says why."""

    reason: str


@dataclass(frozen=True)
class NotPriced:
    """The resource is billed but this estimator cannot price it; ``reason`` says why."""

    reason: str


Outcome = Priced | Free | NotPriced


@dataclass(frozen=True)
class PricingContext:
    """Everything a rule may read besides the resource itself."""

    region: str
    prices: PriceTable
    usage: Usage
    stack: StackIndex

    @property
    def hours_per_month(self) -> float:
        """The price table's hours in a month (730)."""
        return self.prices.hours_per_month

    def rate(self, path: str) -> float:
        """The region's figure at dotted ``path`` of the price table."""
        return self.prices.rate(self.region, path)

    def rates(self, path: str) -> Mapping[str, float]:
        """The region's per-type table at dotted ``path``."""
        return self.prices.instance_rates(self.region, path)

    def figure(
        self,
        resource: CostResource,
        key: str,
        *,
        derived: float | None = None,
        detail: str = "",
        resource_type: str | None = None,
    ) -> Assumption:
        """The usage figure ``key`` of ``resource`` (usage file, default or ``derived``)."""
        return self.usage.figure(
            resource_type or resource.type,
            resource.name,
            resource.urn,
            key,
            derived=derived,
            derived_detail=detail,
        )

    def hours(self, resource: CostResource, resource_type: str | None = None) -> Assumption:
        """Hours the resource runs a month (``monthly_hours``; default the table's 730)."""
        return self.figure(
            resource,
            "monthly_hours",
            derived=self.hours_per_month,
            detail=f"hours_per_month {self.hours_per_month:g}",
            resource_type=resource_type,
        )

    def public_ipv4_line(
        self, description: str, address_hours: float, *assumptions: Assumption
    ) -> LineItem:
        """The ``ipv4`` line: ``address_hours`` of public IPv4 addresses (AWS bills each
        public address by the hour, wherever it is attached)."""
        return self.line(
            "ipv4", description, address_hours, "hours", "public_ipv4.hour", *assumptions
        )

    def line(
        self,
        key: str,
        description: str,
        quantity: float,
        unit: str,
        price_key: str,
        *assumptions: Assumption,
        unit_price: float | None = None,
    ) -> LineItem:
        """A line item priced at the region's ``price_key`` (or ``unit_price`` when given)."""
        return LineItem(
            key=key,
            description=description,
            quantity=quantity,
            unit=unit,
            unit_price=self.rate(price_key) if unit_price is None else unit_price,
            price_key=price_key,
            # the table's hours per month is the convention, not an assumption to report
            assumptions=tuple(
                a for a in assumptions if not (a.key == "monthly_hours" and a.source == "derived")
            ),
        )

    def unknown_type(self, resource: CostResource, key: str, value: Any, table: str) -> ConfigError:
        """The error for an instance or node type the price table does not list."""
        known = sorted(self.rates(table))
        return ConfigError(
            f"{resource.name}.{key}",
            value,
            f"a type the price table lists for {self.region} ({table}): {', '.join(known)}; "
            "or add its price to a --prices file",
        )


Rule = Callable[[CostResource, PricingContext], Outcome]
"""A pricing rule."""


def number(value: Any) -> float | None:
    """``value`` as a finite number (numbers, or numeric strings as ECS takes them), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None
