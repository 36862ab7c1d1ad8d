"""Elastic Load Balancing: ALB hours and LCUs, NLB hours and NLCUs, the ALB's public IPv4s."""

from __future__ import annotations

from collections.abc import Mapping

from ..resources import CostResource
from .base import NotPriced, Outcome, Priced, PricingContext, Rule

__all__ = ["RULES"]

_TYPE = "aws:lb/loadBalancer:LoadBalancer"


def load_balancer(r: CostResource, ctx: PricingContext) -> Outcome:
    """Hours plus capacity units, plus one public IPv4 address per AZ when internet-facing."""
    kind = str(r.input("loadBalancerType", "application"))
    if kind not in ("application", "network"):
        return NotPriced(f"{kind} load balancers are not in the price table")
    prefix = "alb" if kind == "application" else "nlb"
    unit = "LCU" if kind == "application" else "NLCU"
    hours = ctx.hours(r, _TYPE)
    lcus = ctx.figure(r, "average_lcus", resource_type=_TYPE)
    label = "Application" if kind == "application" else "Network"
    lines = [
        ctx.line(
            "hours",
            f"{label} load balancer hours",
            hours.value,
            "hours",
            f"load_balancer.{prefix}_hour",
            hours,
        ),
        ctx.line(
            "capacity",
            f"{unit}-hours ({lcus.value:g} {unit} on average)",
            lcus.value * hours.value,
            f"{unit}-hours",
            f"load_balancer.{prefix}_{unit.lower()}_hour",
            lcus,
            hours,
        ),
    ]
    notes: list[str] = []
    public = not r.input("internal", False) and r.input("ipAddressType", "ipv4") != (
        "dualstack-without-public-ipv4"
    )
    if public:
        azs = _az_count(r)
        if azs is None:
            return Priced(tuple(lines), unpriced=("public IPv4 addresses (subnets unknown)",))
        lines.append(
            ctx.public_ipv4_line(
                f"Public IPv4 address hours ({azs} AZ, one address each)",
                azs * hours.value,
                hours,
            )
        )
    else:
        notes.append("internal: no public IPv4 addresses")
    return Priced(tuple(lines), notes=tuple(notes))


def _az_count(r: CostResource) -> int | None:
    count = len(r.input_list("subnets")) or len(r.input_list("subnetMappings"))
    return count or None


RULES: Mapping[str, Rule] = {
    _TYPE: load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": load_balancer,  # the aws.alb alias of the same resource
}
