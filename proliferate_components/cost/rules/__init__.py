"""Pricing rules, one module per AWS service, and the types AWS does not bill.

:data:`RULES` maps a resource type token to its pricing rule; :func:`classify` decides how
any resource is handled: priced by a rule, free with a reason, or not priced.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..resources import CostResource
from . import ecs, elasticache, loadbalancing, monitoring, network, rds, security, storage
from .base import Free, NotPriced, Outcome, Priced, PricingContext, Rule
from .free import FREE_PACKAGES, FREE_TYPES, free_reason

__all__ = [
    "FREE_PACKAGES",
    "FREE_TYPES",
    "RULES",
    "Free",
    "NotPriced",
    "Outcome",
    "Priced",
    "PricingContext",
    "Rule",
    "classify",
    "coverage",
]

RULES: Mapping[str, Rule] = {
    **network.RULES,
    **loadbalancing.RULES,
    **ecs.RULES,
    **elasticache.RULES,
    **rds.RULES,
    **monitoring.RULES,
    **security.RULES,
    **storage.RULES,
}
"""Resource type token -> its pricing rule."""


def coverage(resource_type: str) -> str:
    """``priced``, ``free`` or ``not priced``: how resources of ``resource_type`` are handled."""
    if resource_type in RULES:
        return "priced"
    if free_reason(resource_type) is not None or resource_type.startswith("pulumi:providers:"):
        return "free"
    return "not priced"


def classify(resource: CostResource, ctx: PricingContext) -> Outcome:
    """Price one resource (rules may raise ConfigError for an unknown instance type)."""
    rule = RULES.get(resource.type)
    if rule is not None:
        return rule(resource, ctx)
    reason = free_reason(resource.type)
    if reason is not None:
        return Free(reason)
    if resource.type.startswith("pulumi:providers:"):
        return Free("provider configuration, not a cloud resource")
    if resource.remote:
        return NotPriced("a multi-language component: its children are not visible offline")
    return NotPriced("no price for this resource type in the table")
