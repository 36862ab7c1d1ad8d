"""VPC and security group rules: nothing but a load balancer's 80/443 is open to the internet."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .rule import (
    ConfigProperty,
    Resource,
    ResourceRule,
    StackRule,
    resource_rule,
    stack_rule,
)
from .values import flag, identities, is_unknown, items, mapping, number, of_type, refers_to, text

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")

_ANYWHERE = frozenset({"0.0.0.0/0", "::/0"})
_ALL_PROTOCOLS = frozenset({"-1", "all"})


@dataclass(frozen=True)
class _Ingress:
    """One ingress permission open to the internet."""

    owner: Resource
    """The resource that declares it (the group itself or a rule resource)."""
    group_keys: frozenset[str]
    """URNs/ids that identify the security group it opens."""
    protocol: str
    from_port: float | None
    to_port: float | None
    cidr: str

    def describe(self) -> str:
        if self.protocol in _ALL_PROTOCOLS:
            return f"all traffic from {self.cidr}"
        if self.from_port == self.to_port:
            return f"{self.protocol} port {self.from_port:g} from {self.cidr}"
        lo = "?" if self.from_port is None else f"{self.from_port:g}"
        hi = "?" if self.to_port is None else f"{self.to_port:g}"
        return f"{self.protocol} ports {lo}-{hi} from {self.cidr}"


def _group_keys(group: Resource) -> frozenset[str]:
    keys = set(identities(group))
    if group.urn:
        keys.add(group.urn)
    return frozenset(keys)


def _rule_group_keys(rule: Resource) -> frozenset[str]:
    keys = set(rule.property_dependencies.get("securityGroupId", ()))
    value = text(rule.props.get("securityGroupId"))
    if value and not is_unknown(value):
        keys.add(value)
    return frozenset(keys)


def _open_ingress(resources: Sequence[Resource]) -> Iterator[_Ingress]:
    """Every ingress permission whose source is 0.0.0.0/0 or ::/0, however it is declared."""
    for group in of_type(resources, SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for entry in items(group.props.get("ingress")):
            e = mapping(entry)
            cidrs = [text(c) for c in items(e.get("cidrBlocks")) + items(e.get("ipv6CidrBlocks"))]
            for cidr in cidrs:
                if cidr in _ANYWHERE:
                    yield _Ingress(
                        group,
                        _group_keys(group),
                        (text(e.get("protocol")) or "-1").lower(),
                        number(e.get("fromPort")),
                        number(e.get("toPort")),
                        cidr,
                    )
    for rule in of_type(resources, INGRESS_RULE):
        for key in ("cidrIpv4", "cidrIpv6"):
            cidr = text(rule.props.get(key))
            if cidr in _ANYWHERE:
                yield _Ingress(
                    rule,
                    _rule_group_keys(rule),
                    (text(rule.props.get("ipProtocol")) or "-1").lower(),
                    number(rule.props.get("fromPort")),
                    number(rule.props.get("toPort")),
                    cidr,
                )
    for rule in of_type(resources, SECURITY_GROUP_RULE):
        if text(rule.props.get("type")) != "ingress":
            continue
        cidrs = [
            text(c)
            for c in items(rule.props.get("cidrBlocks")) + items(rule.props.get("ipv6CidrBlocks"))
        ]
        for cidr in cidrs:
            if cidr in _ANYWHERE:
                yield _Ingress(
                    rule,
                    _rule_group_keys(rule),
                    (text(rule.props.get("protocol")) or "-1").lower(),
                    number(rule.props.get("fromPort")),
                    number(rule.props.get("toPort")),
                    cidr,
                )


def _load_balancer_group_keys(resources: Sequence[Resource]) -> set[str]:
    """URNs and ids of every security group attached to a load balancer of the stack."""
    keys: set[str] = set()
    for lb in of_type(resources, *LOAD_BALANCERS):
        keys.update(lb.property_dependencies.get("securityGroups", ()))
        for value in items(lb.props.get("securityGroups")):
            t = text(value)
            if t:
                keys.add(t)
    return keys


@stack_rule(
    id="proliferate-ec2-no-public-ingress",
    service="ec2",
    types=(
        SECURITY_GROUP,
        DEFAULT_SECURITY_GROUP,
        INGRESS_RULE,
        SECURITY_GROUP_RULE,
        *LOAD_BALANCERS,
    ),
    description=(
        "No security group accepts traffic from 0.0.0.0/0 or ::/0, except TCP 80/443 on a "
        "group attached to a load balancer"
    ),
    severity="critical",
    enforcement="mandatory",
    remediation=(
        "allow the source security group instead of a CIDR (e.g. services accept only the load "
        "balancer's group; data stores only the services' groups); only a load balancer's group "
        "may be open to the internet, on TCP 80/443"
    ),
    config=(
        ConfigProperty(
            "loadBalancerPorts",
            "array",
            (80, 443),
            "TCP ports a load balancer's security group may open to the internet.",
            items_type="integer",
        ),
    ),
    equivalents=(
        "cdk-nag:AwsSolutions-EC23",
        "checkov:CKV_AWS_24",
        "checkov:CKV_AWS_25",
        "checkov:CKV_AWS_260",
        "checkov:CKV_AWS_277",
    ),
)
def no_public_ingress(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """Open ingress is only tolerated for single allowed TCP ports on load balancer groups."""
    allowed = {number(p) for p in items(config.get("loadBalancerPorts"))}
    lb_keys = _load_balancer_group_keys(resources)
    for ing in _open_ingress(resources):
        on_lb = bool(ing.group_keys & lb_keys)
        single_port = ing.from_port is not None and ing.from_port == ing.to_port
        if on_lb and ing.protocol in {"tcp", "6"} and single_port and ing.from_port in allowed:
            continue
        where = "a load balancer's group" if on_lb else "a group not attached to any load balancer"
        yield ing.owner, f"{ing.owner.label} allows {ing.describe()} on {where}"


@resource_rule(
    id="proliferate-ec2-default-security-group-closed",
    service="ec2",
    types=(DEFAULT_SECURITY_GROUP,),
    description="A managed VPC default security group has no ingress or egress rules",
    severity="medium",
    enforcement="mandatory",
    remediation="declare aws.ec2.DefaultSecurityGroup with no ingress and no egress; give resources their own groups",
    equivalents=("checkov:CKV2_AWS_12",),
)
def default_security_group_closed(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """No inline rules on the default group."""
    for direction in ("ingress", "egress"):
        if items(r.props.get(direction)):
            yield f"{r.label} has {direction} rules; resources that forget a group would inherit them"


@stack_rule(
    id="proliferate-vpc-flow-logs",
    service="ec2",
    types=(VPC, FLOW_LOG),
    description="Every VPC of the stack records flow logs",
    severity="low",
    enforcement="advisory",
    remediation="add an aws.ec2.FlowLog with vpc_id=<vpc>.id and traffic_type='ALL' to a log group with a retention",
    equivalents=("cdk-nag:AwsSolutions-VPC7", "checkov:CKV2_AWS_11"),
)
def vpc_flow_logs(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """A FlowLog refers to each VPC."""
    logs = list(of_type(resources, FLOW_LOG))
    for vpc in of_type(resources, VPC):
        if not any(refers_to(fl, "vpcId", vpc) for fl in logs):
            yield vpc, f"{vpc.label} has no flow log"


@resource_rule(
    id="proliferate-ec2-subnet-no-auto-public-ip",
    service="ec2",
    types=("aws:ec2/subnet:Subnet",),
    description="Subnets do not give every launched interface a public IP",
    severity="low",
    enforcement="advisory",
    remediation="leave map_public_ip_on_launch False; only load balancers and NAT gateways need public addresses",
    equivalents=("checkov:CKV_AWS_130",),
)
def subnet_no_auto_public_ip(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """mapPublicIpOnLaunch not true."""
    if flag(r.props.get("mapPublicIpOnLaunch")) is True:
        yield f"{r.label} assigns a public IP to everything launched in it"


RULES: tuple[ResourceRule | StackRule, ...] = (
    no_public_ingress,
    default_security_group_closed,
    vpc_flow_logs,
    subnet_no_auto_public_ip,
)
"""The VPC / security group rules, in catalog order."""
