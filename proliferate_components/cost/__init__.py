"""Monthly cost estimates of a Pulumi program, before anything is deployed.

The offline preview records every resource with its type, inputs and parent; this package
prices them from a dated AWS on-demand price table shipped with the package
(:data:`BUNDLED_PRICES_PATH`, replaceable with ``--prices FILE``) and usage assumptions with
documented defaults (:data:`USAGE_KEYS`, overridden with an Infracost-style ``--usage FILE``):
per resource, per component (through the registrations' parent chain) and in total, and
compares two configurations line by line.

Everything here is a pure function of its inputs, with no network and no AWS account::

    from proliferate_components.cost import estimate, resources_from_registrations
    from proliferate_components.testing import capture

    result = capture(program)
    cost = estimate(resources_from_registrations(result.resources), region="us-east-1")
    print(cost.total_usd)
"""

from __future__ import annotations

from .compare import Comparison, LineDelta, compare
from .estimate import DEFAULT_REGION, check_region, estimate
from .model import (
    Assumption,
    ComponentCost,
    CostEstimate,
    LineItem,
    ResourceCost,
    ResourceStatus,
    TypeCount,
)
from .prices import BUNDLED_PRICES_PATH, PriceTable, load_prices
from .resources import CostResource, resources_from_document, resources_from_registrations
from .usage import USAGE_KEYS, Usage, UsageKey, load_usage

__all__ = [
    "BUNDLED_PRICES_PATH",
    "DEFAULT_REGION",
    "USAGE_KEYS",
    "Assumption",
    "Comparison",
    "ComponentCost",
    "CostEstimate",
    "CostResource",
    "LineDelta",
    "LineItem",
    "PriceTable",
    "ResourceCost",
    "ResourceStatus",
    "TypeCount",
    "Usage",
    "UsageKey",
    "check_region",
    "compare",
    "estimate",
    "load_prices",
    "load_usage",
    "resources_from_document",
    "resources_from_registrations",
]
