"""Network: what AWS would receive, for both NAT strategies and every AZ count."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from data_tier_fixtures import assert_no_churn, rejected, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proliferate_components.errors import ConfigError
from proliferate_components.network import FORCES_REPLACEMENT, Network, NetworkArgs
from proliferate_components.subnets import plan_subnets
from proliferate_components.testing import Capture, OfflineMocks, Registration, capture

T_NET = "proliferate:network:Network"
T_SUBNET = "aws:ec2/subnet:Subnet"
T_RT = "aws:ec2/routeTable:RouteTable"
T_ROUTE = "aws:ec2/route:Route"
T_RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
T_NAT = "aws:ec2/natGateway:NatGateway"
T_EIP = "aws:ec2/eip:Eip"
T_IGW = "aws:ec2/internetGateway:InternetGateway"
AZ_INVOKE = "aws:index/getAvailabilityZones:getAvailabilityZones"


def run(args: NetworkArgs | None = None, name: str = "net", **kwargs: Any) -> Capture:
    def program() -> None:
        net = Network(name, args)
        pulumi.export("vpc_id", net.vpc_id)
        pulumi.export("vpc_cidr", net.vpc_cidr)
        pulumi.export("public_subnet_ids", net.public_subnet_ids)
        pulumi.export("private_subnet_ids", net.private_subnet_ids)
        pulumi.export("availability_zones", net.availability_zones)

    return capture(program, **kwargs)


def by_id(cap: Capture) -> dict[str, Registration]:
    return {r.id: r for r in cap.resources if r.custom}


def check_routing(cap: Capture, az_count: int, strategy: str, cidr: str = "10.0.0.0/16") -> None:
    """The invariants of a correct network, checked on the recorded registrations."""
    ids = by_id(cap)
    vpc = cap.one("aws:ec2/vpc:Vpc")
    igw = cap.one(T_IGW)
    assert igw.input("vpcId") == vpc.id
    subnets = cap.of_type(T_SUBNET)
    public = {r.name: r for r in subnets if r.name.startswith("net-public-subnet-")}
    private = {r.name: r for r in subnets if r.name.startswith("net-private-subnet-")}
    assert len(public) == len(private) == az_count
    assert vpc.input("cidrBlock") == cidr
    layout = plan_subnets(cidr, az_count)
    zones = [public[f"net-public-subnet-{i}"].input("availabilityZone") for i in range(az_count)]
    assert len(set(zones)) == az_count, "one AZ per subnet index"
    for i in range(az_count):
        pub, prv = public[f"net-public-subnet-{i}"], private[f"net-private-subnet-{i}"]
        assert pub.input("cidrBlock") == layout.public[i]
        assert prv.input("cidrBlock") == layout.private[i]
        assert prv.input("availabilityZone") == zones[i]
        assert pub.input("vpcId") == prv.input("vpcId") == vpc.id
        assert prv.input("mapPublicIpOnLaunch") is False

    nats = cap.of_type(T_NAT)
    assert len(nats) == (1 if strategy == "single" else az_count)
    assert len(cap.of_type(T_EIP)) == len(nats)
    for nat in nats:
        eip = ids[nat.input("allocationId")]
        assert eip.type == T_EIP and eip.input("domain") == "vpc"
        assert ids[nat.input("subnetId")].name.startswith("net-public-subnet-"), (
            "NAT must sit in a public subnet"
        )
        assert igw.urn in nat.dependencies

    routes = {r.input("routeTableId"): r for r in cap.of_type(T_ROUTE)}
    assert len(routes) == len(cap.of_type(T_ROUTE)), "one default route per table"
    for route in routes.values():
        assert route.input("destinationCidrBlock") == "0.0.0.0/0"
    associations = {
        ids[a.input("subnetId")].name: a.input("routeTableId") for a in cap.of_type(T_RTA)
    }
    assert set(associations) == set(public) | set(private), "every subnet associated exactly once"
    assert len(cap.of_type(T_RTA)) == 2 * az_count

    for i in range(az_count):
        pub_route = routes[associations[f"net-public-subnet-{i}"]]
        assert pub_route.input("gatewayId") == igw.id
        assert pub_route.input("natGatewayId") is None
        prv_route = routes[associations[f"net-private-subnet-{i}"]]
        assert prv_route.input("gatewayId") is None
        nat = ids[prv_route.input("natGatewayId")]
        nat_zone = ids[nat.input("subnetId")].input("availabilityZone")
        if strategy == "one_per_az":
            assert nat_zone == zones[i], "private subnet i must route through the NAT of its own AZ"
        else:
            assert nat.name == "net-nat-0"
    private_tables = {associations[n] for n in private}
    assert len(private_tables) == (1 if strategy == "single" else az_count)
    assert not private_tables & {associations[n] for n in public}


def test_defaults_are_the_dev_network() -> None:
    cap = run()
    vpc = cap.one("aws:ec2/vpc:Vpc", "net-vpc")
    assert vpc.input("cidrBlock") == "10.0.0.0/16"
    assert vpc.input("enableDnsHostnames") is True
    assert vpc.input("enableDnsSupport") is True
    check_routing(cap, 2, "single")
    assert cap.output("availability_zones") == ["us-east-1a", "us-east-1b"]
    assert cap.output("vpc_cidr") == "10.0.0.0/16"
    assert cap.output("vpc_id") == vpc.id
    subnets = {r.id: r.name for r in cap.of_type(T_SUBNET)}
    assert [subnets[s] for s in cap.output("private_subnet_ids")] == [
        "net-private-subnet-0",
        "net-private-subnet-1",
    ]
    assert [subnets[s] for s in cap.output("public_subnet_ids")] == [
        "net-public-subnet-0",
        "net-public-subnet-1",
    ]
    assert not cap.of_type("aws:ec2/flowLog:FlowLog")
    assert not cap.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert not cap.of_type("aws:iam/role:Role")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    az_count=st.integers(min_value=2, max_value=6),
    strategy=st.sampled_from(["single", "one_per_az"]),
    cidr=st.sampled_from(["10.0.0.0/16", "172.16.0.0/20", "192.168.10.0/24"]),
)
def test_routing_invariants_for_every_az_count_and_nat_strategy(
    az_count: int, strategy: str, cidr: str
) -> None:
    args = NetworkArgs(cidr_block=cidr, availability_zone_count=az_count, nat_strategy=strategy)  # type: ignore[arg-type]
    check_routing(run(args), az_count, strategy, cidr)


def test_one_per_az_keeps_the_single_nat_names() -> None:
    single = {r.name for r in run().resources}
    per_az = {r.name for r in run(NetworkArgs(nat_strategy="one_per_az")).resources}
    assert single <= per_az, "switching to one_per_az must only add children"
    assert per_az - single == {
        "net-nat-eip-1",
        "net-nat-1",
        "net-private-rt-1",
        "net-private-default-route-1",
    }


def test_default_security_group_is_closed() -> None:
    cap = run()
    sg = cap.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "net-default-sg")
    assert sg.input("ingress") == []
    assert sg.input("egress") == []
    assert sg.input("vpcId") == cap.one("aws:ec2/vpc:Vpc").id


T_NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
T_DEFAULT_RT = "aws:ec2/defaultRouteTable:DefaultRouteTable"
ALLOW_ALL = {
    "action": "allow",
    "cidrBlock": "0.0.0.0/0",
    "fromPort": 0,
    "toPort": 0,
    "protocol": "-1",
    "ruleNo": 100,
}


def test_default_network_acl_keeps_the_allow_all_rules_aws_creates() -> None:
    cap = run(NetworkArgs(tags={"team": "platform"}))
    nacl = cap.one(T_NACL, "net-default-nacl")
    vpc = cap.one("aws:ec2/vpc:Vpc")
    assert nacl.input("defaultNetworkAclId") == vpc.outputs["defaultNetworkAclId"]
    assert nacl.input("ingress") == [ALLOW_ALL]
    assert nacl.input("egress") == [ALLOW_ALL]
    assert nacl.input("tags") == {"Name": "net-default-nacl", "team": "platform"}
    # Subnets without another ACL are the default ACL's: listing them would fight AWS.
    assert nacl.input("subnetIds") is None
    assert nacl.ignore_changes == ("subnetIds",)
    assert nacl.id == vpc.outputs["defaultNetworkAclId"]


def test_default_route_table_has_no_routes_and_no_subnet_uses_it() -> None:
    cap = run(NetworkArgs(tags={"team": "platform"}, availability_zone_count=3))
    rt = cap.one(T_DEFAULT_RT, "net-default-rt")
    vpc = cap.one("aws:ec2/vpc:Vpc")
    assert rt.input("defaultRouteTableId") == vpc.outputs["defaultRouteTableId"]
    assert rt.input("routes") == []
    assert rt.input("tags") == {"Name": "net-default-rt", "team": "platform"}
    associated = {a.input("subnetId") for a in cap.of_type(T_RTA)}
    assert associated == {s.id for s in cap.of_type(T_SUBNET)}
    assert rt.id not in {a.input("routeTableId") for a in cap.of_type(T_RTA)}


def test_network_outputs_name_the_vpc_defaults() -> None:
    def program() -> None:
        net = Network("net")
        pulumi.export("nacl", net.default_network_acl_id)
        pulumi.export("rt", net.default_route_table_id)

    cap = capture(program)
    vpc = cap.one("aws:ec2/vpc:Vpc")
    assert cap.outputs["nacl"] == vpc.outputs["defaultNetworkAclId"]
    assert cap.outputs["rt"] == vpc.outputs["defaultRouteTableId"]


@pytest.mark.parametrize(
    ("overrides", "absent"),
    [
        ({"manage_default_network_acl": False}, T_NACL),
        ({"manage_default_route_table": False}, T_DEFAULT_RT),
    ],
)
def test_vpc_defaults_can_be_left_unmanaged(overrides: dict[str, Any], absent: str) -> None:
    cap = run(NetworkArgs(**overrides))
    assert cap.of_type(absent) == []
    kept = T_DEFAULT_RT if absent == T_NACL else T_NACL
    assert len(cap.of_type(kept)) == 1
    assert len(cap.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")) == 1


def test_flow_logs_when_enabled() -> None:
    cap = run(NetworkArgs(enable_flow_logs=True, flow_log_retention_days=90))
    group = cap.one("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs")
    assert group.input("retentionInDays") == 90
    role = cap.one("aws:iam/role:Role", "net-flow-logs-role")
    trust = json.loads(role.input("assumeRolePolicy"))
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    policy = json.loads(
        cap.one("aws:iam/rolePolicy:RolePolicy", "net-flow-logs-policy").input("policy")
    )
    (grant,) = policy["Statement"]
    group_arn = group.outputs["arn"]
    assert grant["Resource"] == [group_arn, f"{group_arn}:*"]
    assert "logs:PutLogEvents" in grant["Action"]
    flow = cap.one("aws:ec2/flowLog:FlowLog", "net-flow-log")
    assert flow.input("vpcId") == cap.one("aws:ec2/vpc:Vpc").id
    assert flow.input("trafficType") == "ALL"
    assert flow.input("logDestinationType") == "cloud-watch-logs"
    assert flow.input("logDestination") == group_arn
    assert flow.input("iamRoleArn") == role.outputs["arn"]


def test_every_child_is_parented_to_the_component() -> None:
    cap = run(NetworkArgs(enable_flow_logs=True, nat_strategy="one_per_az"))
    component = cap.one(T_NET, "net")
    children = [r for r in cap.resources if r.urn != component.urn]
    assert children
    for child in children:
        assert child.parent == component.urn, child.name
        assert child.name.startswith("net-"), child.name
        assert child.protect is not True, "network children hold no data"


def test_explicit_zones_skip_the_lookup() -> None:
    def refuse(_args: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("availability zones must not be looked up when given")

    mocks = OfflineMocks(invokes={AZ_INVOKE: refuse})
    zones = ["us-east-1d", "us-east-1f", "us-east-1a"]
    cap = run(NetworkArgs(availability_zone_count=3, availability_zones=zones), mocks=mocks)
    got = [cap.one(T_SUBNET, f"net-private-subnet-{i}").input("availabilityZone") for i in range(3)]
    assert got == zones
    assert cap.output("availability_zones") == zones


def test_lookup_takes_the_first_zones_of_the_region() -> None:
    mocks = OfflineMocks(
        region="eu-west-1", availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    )
    cap = run(
        NetworkArgs(availability_zone_count=3), mocks=mocks, config={"aws:region": "eu-west-1"}
    )
    assert cap.output("availability_zones") == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


def test_region_with_too_few_zones_fails_naming_the_key() -> None:
    mocks = OfflineMocks(availability_zones=["us-east-1a", "us-east-1b"])
    with pytest.raises(Exception, match=r"NetworkArgs\.availability_zone_count"):
        run(NetworkArgs(availability_zone_count=3), mocks=mocks)


def test_tags_reach_every_taggable_child() -> None:
    cap = run(NetworkArgs(tags={"team": "infra"}, enable_flow_logs=True))
    for r in cap.resources:
        if r.custom and "tags" in r.inputs:
            assert r.input("tags")["team"] == "infra", r.name
            assert r.input("tags")["Name"] == r.name
    tagged = {r.type for r in cap.resources if r.custom and "tags" in r.inputs}
    assert {"aws:ec2/vpc:Vpc", T_SUBNET, T_NAT, T_EIP, T_RT, T_IGW} <= tagged


def test_same_args_give_identical_inputs() -> None:
    def program() -> None:
        Network(
            "net",
            NetworkArgs(
                availability_zone_count=3, nat_strategy="one_per_az", enable_flow_logs=True
            ),
        )

    cap = assert_no_churn(program)
    assert len(snapshot(cap)) > 20


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (lambda: NetworkArgs(cidr_block="10.0.0.0/8"), "NetworkArgs.cidr_block"),
        (lambda: NetworkArgs(cidr_block="10.0.1.0/16"), "NetworkArgs.cidr_block"),
        (lambda: NetworkArgs(cidr_block="not-a-cidr"), "NetworkArgs.cidr_block"),
        (lambda: NetworkArgs(availability_zone_count=1), "NetworkArgs.availability_zone_count"),
        (lambda: NetworkArgs(availability_zone_count=7), "NetworkArgs.availability_zone_count"),
        (lambda: NetworkArgs(availability_zones=["us-east-1a"]), "NetworkArgs.availability_zones"),
        (
            lambda: NetworkArgs(availability_zones=["us-east-1a", "us-east-1a"]),
            "NetworkArgs.availability_zones",
        ),
        (
            lambda: NetworkArgs(availability_zones=["us-east-1a", "eu-west-1b"]),
            "NetworkArgs.availability_zones",
        ),
        (
            lambda: NetworkArgs(availability_zones=["us-east-1a", "bogus"]),
            "NetworkArgs.availability_zones",
        ),
        (lambda: NetworkArgs(availability_zones="us-east-1a"), "NetworkArgs.availability_zones"),  # type: ignore[arg-type]
        (lambda: NetworkArgs(nat_strategy="two"), "NetworkArgs.nat_strategy"),  # type: ignore[arg-type]
        (lambda: NetworkArgs(enable_flow_logs="yes"), "NetworkArgs.enable_flow_logs"),  # type: ignore[arg-type]
        (
            lambda: NetworkArgs(manage_default_network_acl="no"),  # type: ignore[arg-type]
            "NetworkArgs.manage_default_network_acl",
        ),
        (
            lambda: NetworkArgs(manage_default_route_table=1),  # type: ignore[arg-type]
            "NetworkArgs.manage_default_route_table",
        ),
        (lambda: NetworkArgs(flow_log_retention_days=31), "NetworkArgs.flow_log_retention_days"),
        (lambda: NetworkArgs(tags={"aws:owner": "me"}), "NetworkArgs.tags"),
    ],
)
def test_invalid_args_are_rejected_before_anything_is_registered(args: Any, key: str) -> None:
    error, cap = rejected(lambda: Network("net", args()))
    assert error.key == key
    assert key in str(error)
    assert cap.resources == []


def test_forces_replacement_names_real_args() -> None:
    fields = set(NetworkArgs.__dataclass_fields__)
    assert FORCES_REPLACEMENT and set(FORCES_REPLACEMENT) <= fields
    assert all(why.strip() for why in FORCES_REPLACEMENT.values())


def test_config_error_is_a_value_error_for_callers() -> None:
    with pytest.raises(ValueError, match="nat_strategy"):
        run(NetworkArgs(nat_strategy="none"))  # type: ignore[arg-type]
    assert issubclass(ConfigError, ValueError)


# -- explicit subnet CIDRs (adopting an existing network) ----------------------------------

TF_PUBLIC = ["10.0.0.0/24", "10.0.1.0/24"]
TF_PRIVATE = ["10.0.10.0/24", "10.0.11.0/24"]


def test_explicit_subnet_cidrs_replace_the_planned_layout() -> None:
    cap = run(
        NetworkArgs(
            availability_zones=["us-east-1a", "us-east-1b"],
            public_subnet_cidrs=TF_PUBLIC,
            private_subnet_cidrs=TF_PRIVATE,
        )
    )
    by_name = {s.name: s for s in cap.of_type(T_SUBNET)}
    assert [by_name[f"net-public-subnet-{i}"].input("cidrBlock") for i in range(2)] == TF_PUBLIC
    assert [by_name[f"net-private-subnet-{i}"].input("cidrBlock") for i in range(2)] == TF_PRIVATE
    assert [by_name[f"net-public-subnet-{i}"].input("availabilityZone") for i in range(2)] == [
        "us-east-1a",
        "us-east-1b",
    ]


def test_without_explicit_cidrs_the_layout_is_plan_subnets() -> None:
    layout = plan_subnets("10.0.0.0/16", 2)
    cidrs = sorted(s.input("cidrBlock") for s in run().of_type(T_SUBNET))
    assert cidrs == sorted([*layout.public, *layout.private])


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        ({"public_subnet_cidrs": TF_PUBLIC}, "NetworkArgs.private_subnet_cidrs", "together"),
        (
            {"public_subnet_cidrs": TF_PUBLIC[:1], "private_subnet_cidrs": TF_PRIVATE},
            "NetworkArgs.public_subnet_cidrs",
            "exactly 2",
        ),
        (
            {
                "public_subnet_cidrs": ["10.1.0.0/24", TF_PUBLIC[1]],
                "private_subnet_cidrs": TF_PRIVATE,
            },
            "NetworkArgs.public_subnet_cidrs[0]",
            "inside the VPC",
        ),
        (
            {
                "public_subnet_cidrs": TF_PUBLIC,
                "private_subnet_cidrs": ["10.0.1.0/25", TF_PRIVATE[1]],
            },
            "NetworkArgs.private_subnet_cidrs[0]",
            "does not overlap NetworkArgs.public_subnet_cidrs[1]",
        ),
        (
            {
                "public_subnet_cidrs": ["10.0.0.1/24", TF_PUBLIC[1]],
                "private_subnet_cidrs": TF_PRIVATE,
            },
            "NetworkArgs.public_subnet_cidrs[0]",
            "zero host bits",
        ),
        (
            {
                "public_subnet_cidrs": ["10.0.0.0/29", TF_PUBLIC[1]],
                "private_subnet_cidrs": TF_PRIVATE,
            },
            "NetworkArgs.public_subnet_cidrs[0]",
            "/16 to /28",
        ),
    ],
)
def test_bad_explicit_cidrs_fail_before_anything_is_registered(
    overrides: dict[str, Any], key: str, fragment: str
) -> None:
    err, cap = rejected(lambda: Network("net", NetworkArgs(**overrides)))
    assert err.key == key and fragment in err.valid, err
    assert cap.resources == [] or all(r.type == "pulumi:pulumi:Stack" for r in cap.resources)
