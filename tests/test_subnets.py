"""plan_subnets: disjoint, inside the VPC, one public and one private per AZ, deterministic."""

from __future__ import annotations

import ipaddress
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proliferate_components.errors import ConfigError
from proliferate_components.subnets import MIN_SUBNET_PREFIX, SubnetLayout, plan_subnets


@st.composite
def vpc_cidrs(draw: st.DrawFn) -> str:
    """Any valid VPC network: /16 to /24 with zero host bits."""
    prefix = draw(st.integers(16, 24))
    address = draw(st.ip_addresses(v=4))
    return str(ipaddress.IPv4Network(f"{address}/{prefix}", strict=False))


az_counts = st.integers(2, 6)


def _nets(cidrs: tuple[str, ...]) -> list[ipaddress.IPv4Network]:
    return [ipaddress.IPv4Network(c) for c in cidrs]


@settings(deadline=None)
@given(vpc=vpc_cidrs(), az_count=az_counts)
def test_layout_properties(vpc: str, az_count: int) -> None:
    layout = plan_subnets(vpc, az_count)
    network = ipaddress.IPv4Network(vpc)
    public, private = _nets(layout.public), _nets(layout.private)
    assert len(public) == az_count and len(private) == az_count
    everything = public + private
    for subnet in everything:
        assert subnet.subnet_of(network)
        assert subnet.prefixlen <= MIN_SUBNET_PREFIX  # AWS's smallest subnet is a /28
    for a, b in itertools.combinations(everything, 2):
        assert not a.overlaps(b), (a, b)
    for pub, priv in zip(public, private, strict=True):
        assert priv.num_addresses >= pub.num_addresses
    # canonical strings, so they can be passed to AWS and compared as is
    assert all(str(n) == c for n, c in zip(everything, layout.public + layout.private, strict=True))


@settings(deadline=None)
@given(vpc=vpc_cidrs(), az_count=az_counts)
def test_layout_is_deterministic(vpc: str, az_count: int) -> None:
    assert plan_subnets(vpc, az_count) == plan_subnets(vpc, az_count)


@settings(deadline=None)
@given(vpc=vpc_cidrs(), az_count=st.sampled_from([3, 5]))
def test_adding_an_az_within_a_slot_size_keeps_existing_subnets(vpc: str, az_count: int) -> None:
    smaller, larger = plan_subnets(vpc, az_count), plan_subnets(vpc, az_count + 1)
    assert larger.public[:az_count] == smaller.public
    assert larger.private[:az_count] == smaller.private


def test_default_vpc_layout_is_stable() -> None:
    # This exact layout is a public contract: changing it replaces every subnet.
    assert plan_subnets("10.0.0.0/16", 2) == SubnetLayout(
        public=("10.0.128.0/19", "10.0.160.0/19"),
        private=("10.0.0.0/18", "10.0.64.0/18"),
    )


def test_private_subnets_are_larger_and_last_quarter_is_free() -> None:
    layout = plan_subnets("10.0.0.0/16", 3)
    assert [ipaddress.IPv4Network(c).prefixlen for c in layout.private] == [19, 19, 19]
    assert [ipaddress.IPv4Network(c).prefixlen for c in layout.public] == [20, 20, 20]
    reserve = ipaddress.IPv4Network("10.0.192.0/18")
    assert not any(
        ipaddress.IPv4Network(c).overlaps(reserve) for c in layout.public + layout.private
    )


def test_smallest_vpc_with_most_azs_works_with_equal_28s() -> None:
    layout = plan_subnets("10.0.0.0/24", 6)
    assert len(layout.public) == len(layout.private) == 6
    assert {ipaddress.IPv4Network(c).prefixlen for c in layout.public + layout.private} == {28}


def test_smallest_vpc_with_four_azs_keeps_private_larger() -> None:
    layout = plan_subnets("192.168.10.0/24", 4)
    assert {ipaddress.IPv4Network(c).prefixlen for c in layout.private} == {27}
    assert {ipaddress.IPv4Network(c).prefixlen for c in layout.public} == {28}


@pytest.mark.parametrize(
    ("vpc", "az_count", "key"),
    [
        ("10.0.0.0/8", 2, "vpc_cidr"),
        ("10.0.0.0/25", 2, "vpc_cidr"),
        ("10.0.0.1/16", 2, "vpc_cidr"),
        ("garbage", 2, "vpc_cidr"),
        ("10.0.0.0/16", 1, "az_count"),
        ("10.0.0.0/16", 7, "az_count"),
        ("10.0.0.0/16", 0, "az_count"),
    ],
)
def test_invalid_inputs_name_the_key(vpc: str, az_count: int, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        plan_subnets(vpc, az_count)
    assert info.value.key == key
    assert info.value.value == (vpc if key == "vpc_cidr" else az_count)


def test_callers_choose_the_key_names() -> None:
    with pytest.raises(ConfigError) as info:
        plan_subnets("10.0.0.0/12", 2, cidr_key="proliferate:vpcCidr")
    assert str(info.value).startswith("proliferate:vpcCidr: invalid value '10.0.0.0/12'")
    with pytest.raises(ConfigError) as info:
        plan_subnets("10.0.0.0/16", 9, az_count_key="NetworkArgs.az_count")
    assert info.value.key == "NetworkArgs.az_count" and "from 2 to 6" in info.value.valid


@settings(deadline=None)
@given(prefix=st.integers(0, 32).filter(lambda p: not 16 <= p <= 24), az_count=az_counts)
def test_any_out_of_range_prefix_is_rejected(prefix: int, az_count: int) -> None:
    vpc = str(ipaddress.IPv4Network(f"10.0.0.0/{prefix}", strict=False))
    with pytest.raises(ConfigError) as info:
        plan_subnets(vpc, az_count)
    assert info.value.key == "vpc_cidr"


@settings(deadline=None)
@given(vpc=vpc_cidrs(), az_count=st.integers(-10, 20).filter(lambda n: not 2 <= n <= 6))
def test_any_out_of_range_az_count_is_rejected(vpc: str, az_count: int) -> None:
    with pytest.raises(ConfigError) as info:
        plan_subnets(vpc, az_count)
    assert info.value.key == "az_count"
