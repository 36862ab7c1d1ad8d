"""Carve a VPC into one public and one private subnet per availability zone.

The layout is a pure function of ``(vpc_cidr, az_count)`` and part of the public contract:
changing it would replace every subnet (and everything in them), so it never changes for
the same inputs.

Layout (``slots`` = the smallest power of two >= ``az_count``: 2, 4 or 8):

- the first half of the VPC holds the private subnets (services, Redis, PostgreSQL live
  there), split into ``slots`` equal blocks; AZ ``i`` gets block ``i``;
- the third quarter holds the public subnets (load balancers and NAT gateways only), split
  the same way, so each public subnet is half the size of a private one;
- the last quarter is left free for later tiers (e.g. isolated database subnets) so they
  can be added without renumbering.

If that would make a public subnet smaller than AWS's minimum (/28), which happens only
for a /24 VPC with 5 or 6 AZs, the public subnets take the whole second half instead and
are the same size as the private ones (/28 each, 11 usable addresses).

Growing ``az_count`` within the same slot count (3 -> 4, 5 -> 6) keeps the existing
subnets; crossing a power of two (2 -> 3, 4 -> 5) changes every subnet's size.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .errors import ConfigError
from .sizing import validate_az_count, validate_cidr_block

__all__ = ["MIN_SUBNET_PREFIX", "SubnetLayout", "plan_subnets"]

MIN_SUBNET_PREFIX = 28
"""The smallest subnet AWS allows: a /28 (16 addresses, 11 usable)."""


@dataclass(frozen=True)
class SubnetLayout:
    """The subnets of a VPC, index ``i`` of each tuple belonging to availability zone ``i``."""

    public: tuple[str, ...]
    """Public subnet CIDRs (route to the internet gateway), one per AZ."""
    private: tuple[str, ...]
    """Private subnet CIDRs (route through NAT), one per AZ, each at least as large as the
    public subnet of the same AZ."""


def _slots(az_count: int) -> int:
    slots = 1
    while slots < az_count:
        slots *= 2
    return slots


def plan_subnets(
    vpc_cidr: str,
    az_count: int,
    *,
    cidr_key: str = "vpc_cidr",
    az_count_key: str = "az_count",
) -> SubnetLayout:
    """Plan one public and one private subnet per AZ inside ``vpc_cidr``.

    Args:
        vpc_cidr: the VPC network, IPv4 /16 to /24 with zero host bits, e.g. ``10.0.0.0/16``.
        az_count: number of availability zones, 2 to 6.
        cidr_key: the name reported in errors about ``vpc_cidr`` (e.g. ``proliferate:vpcCidr``
            or ``NetworkArgs.vpc_cidr``).
        az_count_key: the name reported in errors about ``az_count``.

    Returns:
        A :class:`SubnetLayout` with ``az_count`` public and ``az_count`` private subnets,
        pairwise disjoint, all inside the VPC (see the module docstring for the layout).

    Raises:
        ConfigError: if ``vpc_cidr`` or ``az_count`` is invalid (naming the key given).
    """
    validate_cidr_block(vpc_cidr, key=cidr_key)
    validate_az_count(az_count, key=az_count_key)
    vpc = ipaddress.IPv4Network(vpc_cidr)
    bits = _slots(az_count).bit_length() - 1
    private_prefix = vpc.prefixlen + 1 + bits
    public_prefix = private_prefix + 1
    first_half, second_half = vpc.subnets(prefixlen_diff=1)
    public_space = next(second_half.subnets(prefixlen_diff=1))
    if public_prefix > MIN_SUBNET_PREFIX:
        public_prefix, public_space = private_prefix, second_half
    if private_prefix > MIN_SUBNET_PREFIX:  # unreachable for /16../24 and 2..6 AZs; kept as a guard
        raise ConfigError(
            cidr_key,
            vpc_cidr,
            f"a VPC large enough for {az_count} AZs (private subnets would be /{private_prefix}, "
            f"smaller than AWS's minimum /{MIN_SUBNET_PREFIX})",
        )
    private = tuple(str(s) for s in first_half.subnets(new_prefix=private_prefix))[:az_count]
    public = tuple(str(s) for s in public_space.subnets(new_prefix=public_prefix))[:az_count]
    return SubnetLayout(public=public, private=private)
