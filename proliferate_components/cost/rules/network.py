"""VPC pricing: NAT gateways, public IPv4 addresses (Elastic IPs), interface endpoints."""

from __future__ import annotations

from collections.abc import Mapping

from ..resources import CostResource
from .base import Free, Outcome, Priced, PricingContext, Rule

__all__ = ["RULES"]


def nat_gateway(r: CostResource, ctx: PricingContext) -> Outcome:
    """Hours plus GB processed. The public IPv4 of its Elastic IP is priced on the EIP."""
    hours = ctx.hours(r)
    gb = ctx.figure(r, "monthly_data_processed_gb")
    notes: tuple[str, ...] = ()
    if r.input("connectivityType", "public") == "public":
        notes = ("its public IPv4 address is priced on its Elastic IP",)
    return Priced(
        (
            ctx.line("hours", "NAT gateway hours", hours.value, "hours", "nat_gateway.hour", hours),
            ctx.line(
                "data",
                "NAT gateway data processed",
                gb.value,
                "GB",
                "nat_gateway.gb_processed",
                gb,
            ),
        ),
        notes=notes,
    )


def eip(r: CostResource, ctx: PricingContext) -> Outcome:
    """A public IPv4 address, billed per hour whether attached or idle."""
    pool = r.input("publicIpv4Pool")
    if pool is not None and pool != "amazon":
        return Free("an address from your own IPv4 pool (BYOIP) is not billed by the hour")
    hours = ctx.hours(r)
    return Priced(
        (
            ctx.public_ipv4_line(
                "Public IPv4 address hours",
                hours.value,
                hours,
            ),
        )
    )


def vpc_endpoint(r: CostResource, ctx: PricingContext) -> Outcome:
    """Gateway endpoints (S3, DynamoDB) are free; interface endpoints bill per AZ and per GB."""
    kind = str(r.input("vpcEndpointType", "Gateway"))
    if kind == "Gateway":
        return Free("gateway endpoints (S3, DynamoDB) have no charge")
    if kind != "Interface":
        return Priced((), unpriced=(f"{kind} endpoints",))
    azs = max(1, len(r.input_list("subnetIds")))
    hours = ctx.hours(r)
    gb = ctx.figure(r, "monthly_data_processed_gb")
    return Priced(
        (
            ctx.line(
                "hours",
                f"Interface endpoint hours ({azs} AZ)",
                hours.value * azs,
                "hours",
                "vpc_endpoint.interface_hour",
                hours,
            ),
            ctx.line(
                "data", "Endpoint data processed", gb.value, "GB", "vpc_endpoint.gb_processed", gb
            ),
        )
    )


RULES: Mapping[str, Rule] = {
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/eip:Eip": eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
}
