"""`Network`: the VPC every other Proliferate component lives in.

One public and one private subnet per availability zone (layout from
:func:`~proliferate_components.subnets.plan_subnets`), an internet gateway, NAT gateway(s),
route tables, a closed default security group, the VPC's default network ACL (allow-all, as
AWS creates it) and default route table (no routes besides ``local``), and optional VPC flow
logs. Only plain
``pulumi_aws`` resources are used, so every child is visible to unit tests and policies.

Child names (a public contract; ``N`` is the component name, ``i`` the AZ index from 0):

- ``N-vpc``
- ``N-public-subnet-i``, ``N-private-subnet-i``
- ``N-igw``
- ``N-nat-eip-j``, ``N-nat-j`` (``j`` = 0 with ``nat_strategy="single"``, else one per AZ)
- ``N-public-rt``, ``N-public-default-route``, ``N-public-rta-i``
- ``N-private-rt-j``, ``N-private-default-route-j``, ``N-private-rta-i``
- ``N-default-sg``
- ``N-default-nacl`` (unless ``manage_default_network_acl=False``), ``N-default-rt`` (unless
  ``manage_default_route_table=False``)
- with flow logs: ``N-flow-logs`` (log group), ``N-flow-logs-role``,
  ``N-flow-logs-policy``, ``N-flow-log``

Switching ``nat_strategy`` from ``single`` to ``one_per_az`` keeps ``N-nat-0`` and
``N-private-rt-0`` and adds the others; private subnets are re-associated in place.
"""

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from ._args import coerce_args, is_known, register_outputs
from ._options import child_opts, merge_tags, physical_name, validate_bool, validate_tags
from .errors import ConfigError
from .sizing import validate_az_count, validate_choice, validate_log_retention_days
from .subnets import plan_subnets

__all__ = [
    "FORCES_REPLACEMENT",
    "NAT_STRATEGIES",
    "Network",
    "NetworkArgs",
    "subnet_cidrs",
    "validate_subnet_cidrs",
]

NAT_STRATEGIES: tuple[str, ...] = ("single", "one_per_az")
"""Accepted values of :attr:`NetworkArgs.nat_strategy`."""

FORCES_REPLACEMENT: Mapping[str, str] = MappingProxyType(
    {
        "cidr_block": "the VPC's primary CIDR is immutable: a new VPC and new subnets are created, "
        "which replaces everything placed in them (cache, database, services)",
        "availability_zone_count": "the subnet layout depends on the AZ count: crossing a power "
        "of two (2->3, 4->5) resizes, and so replaces, every subnet",
        "availability_zones": "a subnet's availability zone is immutable: changing the zone of "
        "index i replaces that AZ's subnets",
    }
)
"""Arguments whose change replaces network resources (and so the data stores inside them)."""

_AZ_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$")


_ALLOW_ALL_IPV4: dict[str, Any] = {
    "action": "allow",
    "cidr_block": "0.0.0.0/0",
    "from_port": 0,
    "to_port": 0,
    "protocol": "-1",
    "rule_no": 100,
}
"""Rule 100 of a default network ACL, inbound and outbound, as AWS creates it."""


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """Arguments of :class:`Network`.

    Replacement: changing ``cidr_block``, or an AZ, or crossing a power of two in
    ``availability_zone_count`` replaces subnets and so everything inside them; see
    :data:`FORCES_REPLACEMENT`.
    """

    cidr_block: pulumi.Input[str] = "10.0.0.0/16"
    """The VPC's IPv4 network, /16 to /24 with zero host bits. Default ``10.0.0.0/16``.
    Changing it replaces the VPC and everything in it. May be another resource's output
    (an IPAM allocation): it is then checked once known."""

    availability_zone_count: int = 2
    """How many availability zones to spread over, 2 to 6. Default 2 (one public and one
    private subnet in each)."""

    availability_zones: pulumi.Input[Sequence[str]] | None = None
    """Explicit zone names (a list, or another resource's output), e.g. ``["us-east-1a", "us-east-1b"]``, exactly
    ``availability_zone_count`` distinct ones. Default ``None``: the first
    ``availability_zone_count`` zones of the region that are available and need no opt-in
    (looked up with ``aws.get_availability_zones``). An explicit list avoids the lookup
    and pins the zones should AWS ever reorder them."""

    nat_strategy: str = "single"
    """``"single"`` (default, the dev profile): one NAT gateway in the first public subnet
    that every private subnet routes through - cheapest, but egress from every AZ fails if
    that AZ fails. ``"one_per_az"`` (the prod profile): a NAT gateway and private route
    table per AZ, so an AZ failure only affects that AZ."""

    enable_flow_logs: bool = False
    """Record VPC flow logs (all traffic) to a CloudWatch log group through an IAM role.
    Default ``False`` (no log group, no role, no cost)."""

    flow_log_retention_days: int = 30
    """Days CloudWatch keeps flow logs (one of CloudWatch's accepted periods). Default 30.
    Only used with ``enable_flow_logs``."""

    flow_log_kms_key_id: pulumi.Input[str] | None = None
    """ARN of a customer-managed KMS key encrypting the flow-log group (its key policy must
    let CloudWatch Logs use it, as :class:`~proliferate_components.kms.EncryptionKey`'s
    does). Default ``None``: CloudWatch's own encryption."""

    public_subnet_cidrs: pulumi.Input[Sequence[str]] | None = None
    """Explicit public subnet CIDRs, one per AZ in zone order (index ``i`` is
    ``N-public-subnet-i``). Default ``None``: the layout of
    :func:`~proliferate_components.subnets.plan_subnets`. For adopting an existing network
    whose subnets are laid out differently (e.g. Terraform's ``cidrsubnet(var.vpc_cidr, 8,
    i)``): a subnet's CIDR is immutable, so without the existing CIDRs adoption would
    replace it. Given together with ``private_subnet_cidrs``; every CIDR must lie inside
    ``cidr_block`` and no two may overlap (ConfigError otherwise)."""

    private_subnet_cidrs: pulumi.Input[Sequence[str]] | None = None
    """Explicit private subnet CIDRs, one per AZ in zone order (``N-private-subnet-i``).
    Default ``None``: :func:`plan_subnets`'s layout. Same rules as
    ``public_subnet_cidrs``, with which it is given."""

    manage_default_network_acl: bool = True
    """Take over the VPC's default network ACL as ``N-default-nacl`` (as terraform-aws-modules'
    ``manage_default_network_acl``) with the rules AWS gives it: allow all IPv4 traffic in
    and out (rule 100), so subnet traffic is unchanged and any rule added by hand is
    removed. Every subnet uses this ACL (the component creates no other); its subnet
    associations are left to AWS (``subnetIds`` ignored). Default ``True``. On a network
    that already exists the provider's first take-over deletes the ACL's rules and writes
    them again, a moment without rules; adopting with ``pulumi import`` (``migrate
    terraform``) does not. ``False``: the ACL is left unmanaged."""

    manage_default_route_table: bool = True
    """Take over the VPC's default (main) route table as ``N-default-rt`` with no routes
    besides ``local`` (as terraform-aws-modules' ``manage_default_route_table``): every
    subnet of the component is associated with its own route tables, so nothing should
    route through it. Default ``True``. ``False``: the table is left unmanaged."""

    tags: Mapping[str, str] = field(default_factory=dict[str, str])
    """Tags added to every taggable child (plus ``Name``). Default: none besides ``Name``."""


def subnet_cidrs(args: "NetworkArgs") -> tuple[list[str], list[str]]:
    """The (public, private) subnet CIDRs ``args`` lays out: the explicit lists when given,
    else :func:`plan_subnets`'s layout. Call after validation, with known values."""
    if args.public_subnet_cidrs is not None and args.private_subnet_cidrs is not None:
        return list(cast("Sequence[str]", args.public_subnet_cidrs)), list(
            cast("Sequence[str]", args.private_subnet_cidrs)
        )
    layout = plan_subnets(cast("str", args.cidr_block), args.availability_zone_count)
    return list(layout.public), list(layout.private)


def validate_subnet_cidrs(
    vpc_cidr: str,
    az_count: int,
    public: Sequence[str] | None,
    private: Sequence[str] | None,
    *,
    public_key: str,
    private_key: str,
) -> None:
    """Check explicit subnet CIDRs: both lists or neither, ``az_count`` IPv4 networks each
    (zero host bits, /16 to /28 as AWS allows), inside ``vpc_cidr``, pairwise disjoint.

    Raises:
        ConfigError: naming ``public_key`` or ``private_key``.
    """
    if public is None and private is None:
        return
    if public is None or private is None:
        missing = public_key if public is None else private_key
        raise ConfigError(
            missing, None, f"given together with {private_key if public is None else public_key}"
        )
    vpc = ipaddress.ip_network(vpc_cidr, strict=False)
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for key, cidrs in ((public_key, public), (private_key, private)):
        if isinstance(cidrs, str) or not isinstance(cidrs, (list, tuple)):
            raise ConfigError(key, cidrs, "a list of IPv4 CIDRs, one per availability zone")
        entries: Sequence[Any] = cidrs
        if len(entries) != az_count:
            raise ConfigError(
                key, list(entries), f"exactly {az_count} CIDRs, one per availability zone"
            )
        for i, cidr in enumerate(entries):
            where = f"{key}[{i}]"
            try:
                net = ipaddress.IPv4Network(cidr, strict=True)
            except (ValueError, TypeError):
                raise ConfigError(
                    where, cidr, "an IPv4 CIDR with zero host bits, e.g. 10.0.1.0/24"
                ) from None
            if not 16 <= net.prefixlen <= 28:
                raise ConfigError(where, cidr, "a /16 to /28 network (AWS subnet sizes)")
            if not net.subnet_of(vpc):  # pyright: ignore[reportArgumentType]
                raise ConfigError(where, cidr, f"a network inside the VPC's {vpc_cidr}")
            for other_key, other in seen:
                if net.overlaps(other):
                    raise ConfigError(
                        where, cidr, f"a network that does not overlap {other_key} ({other})"
                    )
            seen.append((where, net))


_LAYOUT_INPUTS = ("cidr_block", "availability_zones", "public_subnet_cidrs", "private_subnet_cidrs")


def _validate(args: NetworkArgs) -> None:
    """Every check that needs no resolved output; the layout's when its inputs are known
    (else :class:`Network` checks it once they resolve)."""
    validate_az_count(args.availability_zone_count, key="NetworkArgs.availability_zone_count")
    validate_choice(args.nat_strategy, key="NetworkArgs.nat_strategy", choices=NAT_STRATEGIES)
    validate_bool(args.enable_flow_logs, key="NetworkArgs.enable_flow_logs")
    validate_bool(args.manage_default_network_acl, key="NetworkArgs.manage_default_network_acl")
    validate_bool(args.manage_default_route_table, key="NetworkArgs.manage_default_route_table")
    validate_log_retention_days(
        args.flow_log_retention_days, key="NetworkArgs.flow_log_retention_days"
    )
    validate_tags(args.tags, key="NetworkArgs.tags")
    if all(is_known(getattr(args, f)) for f in _LAYOUT_INPUTS):
        _validate_layout(args)


def _validate_layout(args: NetworkArgs) -> None:
    # plan_subnets validates the CIDR (shape, /16../24, host bits) and the AZ count.
    plan_subnets(
        cast("str", args.cidr_block),
        args.availability_zone_count,
        cidr_key="NetworkArgs.cidr_block",
        az_count_key="NetworkArgs.availability_zone_count",
    )
    azs: object = args.availability_zones
    if azs is not None:
        key = "NetworkArgs.availability_zones"
        if isinstance(azs, str) or not isinstance(azs, (list, tuple)):
            raise ConfigError(
                key, azs, "a list of availability zone names, or None to look them up"
            )
        zones: list[Any] = list(cast("Sequence[Any]", azs))
        if len(zones) != args.availability_zone_count:
            raise ConfigError(
                key,
                list(zones),
                f"exactly availability_zone_count={args.availability_zone_count} zone names "
                "(or None to use the region's first ones)",
            )
        for zone in zones:
            if not isinstance(zone, str) or not _AZ_RE.match(zone):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise ConfigError(
                    key, list(zones), f"zone names such as us-east-1a; bad entry {zone!r}"
                )
        if len(set(zones)) != len(zones):
            raise ConfigError(key, list(zones), "distinct zone names (each AZ once)")
        regions = {z[:-1] for z in zones}
        if len(regions) != 1:
            raise ConfigError(key, list(zones), "zones of a single region")
    validate_subnet_cidrs(
        cast("str", args.cidr_block),
        args.availability_zone_count,
        cast("Sequence[str] | None", args.public_subnet_cidrs),
        cast("Sequence[str] | None", args.private_subnet_cidrs),
        public_key="NetworkArgs.public_subnet_cidrs",
        private_key="NetworkArgs.private_subnet_cidrs",
    )


@dataclass(frozen=True)
class _Layout:
    """Per AZ index: the public and private subnet CIDRs and the explicit zone (None: look
    the zones up). Values, or outputs when an input was another resource's output."""

    public: list[pulumi.Input[str]]
    private: list[pulumi.Input[str]]
    zones: list[pulumi.Input[str]] | None


def _layout(args: NetworkArgs) -> _Layout:
    """The subnet layout, checked: now when its inputs are known, else once they resolve
    (the same ConfigError fails the run)."""
    count = args.availability_zone_count
    if all(is_known(getattr(args, f)) for f in _LAYOUT_INPUTS):
        public, private = subnet_cidrs(args)
        azs = args.availability_zones
        zones = list(cast("Sequence[str]", azs)) if azs is not None else None
        return _Layout(list(public), list(private), cast("Any", zones))

    def resolve(values: dict[str, Any]) -> dict[str, list[str] | None]:
        known = replace(args, **values)
        _validate_layout(known)
        public, private = subnet_cidrs(known)
        zones = values["availability_zones"]
        return {"public": public, "private": private, "zones": list(zones) if zones else None}

    resolved = pulumi.Output.all(**{f: getattr(args, f) for f in _LAYOUT_INPUTS}).apply(resolve)

    def at(part: str, i: int) -> pulumi.Output[str]:
        return resolved.apply(lambda r: str(cast("list[str]", r[part])[i]))

    return _Layout(
        [at("public", i) for i in range(count)],
        [at("private", i) for i in range(count)],
        [at("zones", i) for i in range(count)] if args.availability_zones is not None else None,
    )


def _pick_zones(names: Sequence[str], count: int) -> list[str]:
    if len(names) < count:
        raise ConfigError(
            "NetworkArgs.availability_zone_count",
            count,
            f"at most {len(names)} (the region has only these available zones: {', '.join(names)})",
        )
    return list(names[:count])


_DEFAULT_ARGS = NetworkArgs()


class Network(pulumi.ComponentResource):
    """A VPC with public and private subnets across availability zones."""

    _type_token = "proliferate:network:Network"

    vpc_id: pulumi.Output[str]
    """The VPC's id."""
    vpc_cidr: pulumi.Output[str]
    """The VPC's IPv4 CIDR."""
    public_subnet_ids: list[pulumi.Output[str]]
    """One public subnet id per AZ (for load balancers; the NAT gateways live here)."""
    private_subnet_ids: list[pulumi.Output[str]]
    """One private subnet id per AZ (services, cache, database)."""
    availability_zones: pulumi.Output[list[str]]
    """The zone names, index ``i`` matching the subnet lists."""
    nat_gateway_ids: list[pulumi.Output[str]]
    """The NAT gateways (one, or one per AZ)."""
    public_route_table_id: pulumi.Output[str]
    """The public subnets' route table (default route to the internet gateway)."""
    private_route_table_ids: list[pulumi.Output[str]]
    """The private route tables (default route to a NAT gateway), for extra routes."""
    default_security_group_id: pulumi.Output[str]
    """The VPC's default security group, closed (no rules)."""
    default_network_acl_id: pulumi.Output[str]
    """The VPC's default network ACL (every subnet's; allow-all when managed)."""
    default_route_table_id: pulumi.Output[str]
    """The VPC's default (main) route table (no routes besides ``local`` when managed)."""

    def __init__(
        self,
        name: str,
        args: NetworkArgs = _DEFAULT_ARGS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Validate ``args`` (raising :class:`ConfigError` before anything is registered),
        then create the network. ``args`` defaults to ``NetworkArgs()``."""
        args = coerce_args(NetworkArgs, args, key="Network.args")
        _validate(args)
        super().__init__(self._type_token, name, None, opts)
        self._name = name
        self._tags = dict(args.tags)
        layout = _layout(args)
        zones, zone_at = self._zones(layout, args.availability_zone_count)
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=self._tagged(f"{name}-vpc"),
            opts=child_opts(self),
        )
        public_subnets = self._subnets(vpc, "public", layout.public, zone_at)
        private_subnets = self._subnets(vpc, "private", layout.private, zone_at)
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=self._tagged(f"{name}-igw"), opts=child_opts(self)
        )
        nat_count = 1 if args.nat_strategy == "single" else args.availability_zone_count
        nats = self._nat_gateways(igw, public_subnets[:nat_count])
        public_rt = self._public_routes(vpc, igw, public_subnets)
        private_rts = self._private_routes(vpc, nats, private_subnets)
        # Adopt the VPC's default security group and strip every rule from it: nothing
        # should ever use it, and an open default SG is a classic audit finding.
        default_sg = aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=self._tagged(f"{name}-default-sg"),
            opts=child_opts(self),
        )
        default_nacl_id, default_rt_id = self._vpc_defaults(vpc, args)
        if args.enable_flow_logs:
            self._flow_logs(name, args, vpc, self._tagged)

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = [s.id for s in public_subnets]
        self.private_subnet_ids = [s.id for s in private_subnets]
        self.availability_zones = zones
        self.nat_gateway_ids = [n.id for n in nats]
        self.public_route_table_id = public_rt.id
        self.private_route_table_ids = [rt.id for rt in private_rts]
        self.default_security_group_id = default_sg.id
        self.default_network_acl_id = default_nacl_id
        self.default_route_table_id = default_rt_id
        register_outputs(
            self,
            "vpc_id",
            "vpc_cidr",
            "public_subnet_ids",
            "private_subnet_ids",
            "availability_zones",
            "nat_gateway_ids",
            "public_route_table_id",
            "private_route_table_ids",
            "default_security_group_id",
            "default_network_acl_id",
            "default_route_table_id",
        )

    def _vpc_defaults(
        self, vpc: aws.ec2.Vpc, args: NetworkArgs
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """``N-default-nacl`` (allow-all, as AWS creates it) and ``N-default-rt`` (no routes),
        each unless opted out; returns the default ACL's and route table's ids."""
        name = self._name
        nacl_id: pulumi.Output[str] = vpc.default_network_acl_id
        rt_id: pulumi.Output[str] = vpc.default_route_table_id
        if args.manage_default_network_acl:
            nacl = aws.ec2.DefaultNetworkAcl(
                f"{name}-default-nacl",
                default_network_acl_id=vpc.default_network_acl_id,
                ingress=[aws.ec2.DefaultNetworkAclIngressArgs(**_ALLOW_ALL_IPV4)],
                egress=[aws.ec2.DefaultNetworkAclEgressArgs(**_ALLOW_ALL_IPV4)],
                tags=self._tagged(f"{name}-default-nacl"),
                # Subnets not associated with another ACL are always this one's; listing
                # them would only fight AWS (terraform-aws-modules ignores them the same way).
                opts=pulumi.ResourceOptions.merge(
                    child_opts(self), pulumi.ResourceOptions(ignore_changes=["subnetIds"])
                ),
            )
            nacl_id = nacl.id
        if args.manage_default_route_table:
            rt = aws.ec2.DefaultRouteTable(
                f"{name}-default-rt",
                default_route_table_id=vpc.default_route_table_id,
                routes=[],
                tags=self._tagged(f"{name}-default-rt"),
                opts=child_opts(self),
            )
            rt_id = rt.id
        return nacl_id, rt_id

    def _tagged(self, child: str) -> dict[str, str]:
        return merge_tags(self._tags, child)

    def _zones(
        self, layout: "_Layout", count: int
    ) -> tuple[pulumi.Output[list[str]], list[pulumi.Input[str]]]:
        """The zone names (all, and one per AZ index): the explicit ones, or the region's
        first ``count`` available zones that need no opt-in."""
        if layout.zones is not None:
            zone_at: list[pulumi.Input[str]] = layout.zones
            zones: pulumi.Output[list[str]] = pulumi.Output.all(*zone_at).apply(
                lambda z: [str(x) for x in z]
            )
            return zones, zone_at
        found = aws.get_availability_zones_output(
            state="available",
            filters=[
                aws.GetAvailabilityZonesFilterArgs(
                    name="opt-in-status", values=["opt-in-not-required"]
                )
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        zones = found.names.apply(lambda names: _pick_zones(names, count))
        return zones, [zones.apply(lambda z, i=i: z[i]) for i in range(count)]

    def _subnets(
        self,
        vpc: aws.ec2.Vpc,
        tier: str,
        cidrs: Sequence[pulumi.Input[str]],
        zone_at: Sequence[pulumi.Input[str]],
    ) -> list[aws.ec2.Subnet]:
        """``N-<tier>-subnet-i``: one subnet of the tier per AZ (no public IPs on launch)."""
        return [
            aws.ec2.Subnet(
                f"{self._name}-{tier}-subnet-{i}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zone_at[i],
                map_public_ip_on_launch=False,
                tags={**self._tagged(f"{self._name}-{tier}-subnet-{i}"), "proliferate:tier": tier},
                opts=child_opts(self),
            )
            for i, cidr in enumerate(cidrs)
        ]

    def _nat_gateways(
        self, igw: aws.ec2.InternetGateway, subnets: Sequence[aws.ec2.Subnet]
    ) -> list[aws.ec2.NatGateway]:
        """``N-nat-j`` with its Elastic IP ``N-nat-eip-j`` in each of ``subnets``."""
        nats: list[aws.ec2.NatGateway] = []
        for j, subnet in enumerate(subnets):
            eip = aws.ec2.Eip(
                f"{self._name}-nat-eip-{j}",
                domain="vpc",
                tags=self._tagged(f"{self._name}-nat-eip-{j}"),
                opts=child_opts(self, depends_on=[igw]),
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{self._name}-nat-{j}",
                    allocation_id=eip.allocation_id,
                    subnet_id=subnet.id,
                    connectivity_type="public",
                    tags=self._tagged(f"{self._name}-nat-{j}"),
                    opts=child_opts(self, depends_on=[igw]),
                )
            )
        return nats

    def _public_routes(
        self, vpc: aws.ec2.Vpc, igw: aws.ec2.InternetGateway, subnets: Sequence[aws.ec2.Subnet]
    ) -> aws.ec2.RouteTable:
        """``N-public-rt`` with the default route to the internet gateway, for every public
        subnet."""
        name = self._name
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            tags=self._tagged(f"{name}-public-rt"),
            opts=child_opts(self),
        )
        aws.ec2.Route(
            f"{name}-public-default-route",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child_opts(self),
        )
        for i, subnet in enumerate(subnets):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{i}",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                opts=child_opts(self),
            )
        return public_rt

    def _private_routes(
        self,
        vpc: aws.ec2.Vpc,
        nats: Sequence[aws.ec2.NatGateway],
        subnets: Sequence[aws.ec2.Subnet],
    ) -> list[aws.ec2.RouteTable]:
        """``N-private-rt-j`` per NAT gateway with its default route; each private subnet
        uses its AZ's table (or the single one)."""
        name = self._name
        private_rts: list[aws.ec2.RouteTable] = []
        for j, nat in enumerate(nats):
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{j}",
                vpc_id=vpc.id,
                tags=self._tagged(f"{name}-private-rt-{j}"),
                opts=child_opts(self),
            )
            aws.ec2.Route(
                f"{name}-private-default-route-{j}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child_opts(self),
            )
            private_rts.append(rt)
        for i, subnet in enumerate(subnets):
            rt = private_rts[i if len(private_rts) > 1 else 0]
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{i}",
                subnet_id=subnet.id,
                route_table_id=rt.id,
                opts=child_opts(self),
            )
        return private_rts

    def _flow_logs(
        self,
        name: str,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        tagged: Any,
    ) -> None:
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/vpc/flow-logs/{physical_name(name, pulumi.get_stack(), max_length=200)}",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.flow_log_kms_key_id,
            tags=tagged(f"{name}-flow-logs"),
            opts=child_opts(self),
        )
        assume = vpc.owner_id.apply(
            lambda account: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                        }
                    ],
                },
                sort_keys=True,
            )
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=assume,
            description="Lets VPC Flow Logs write to its CloudWatch log group",
            tags=tagged(f"{name}-flow-logs-role"),
            opts=child_opts(self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogGroups",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    },
                    sort_keys=True,
                )
            ),
            opts=child_opts(self),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=600,
            tags=tagged(f"{name}-flow-log"),
            opts=child_opts(self, depends_on=[policy]),
        )
