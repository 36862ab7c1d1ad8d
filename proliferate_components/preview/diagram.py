"""An architecture diagram (Mermaid flowchart) derived from what a program registered.

Nothing here is hard-coded to the bundled example: the picture is computed from the
registrations of any program using plain ``pulumi_aws`` resources (directly or inside
components):

* network boundaries: each VPC is a subgraph holding a "public subnets" and a "private
  subnets" subgraph. A subnet is public when it maps public IPs on launch or its route
  table routes to an internet gateway.
* nodes: load balancers, ECS services and EC2 instances, data stores (RDS, ElastiCache,
  ElastiCache Serverless), NAT gateways, placed in the tier of the subnets they use (via
  ``subnets``, ``networkConfiguration.subnets``, or their DB/cache subnet group).
* one-off tasks: an ECS task definition that no ECS service runs (e.g. a migrations runner
  started with ``aws ecs run-task``). Its network is only given at run time, so it is placed
  through the security groups registered beside it (same parent component, ``awsvpc``
  network mode; or, when its component's group was made ahead of it, the group named
  ``<component>-sg``): in their VPC, in no tier, with their ingress and egress edges.
* edges: who talks to whom, from security-group ingress rules (inline ``ingress`` blocks,
  ``aws.ec2.SecurityGroupRule`` and ``aws.vpc.SecurityGroupIngressRule``): every resource in
  the source group -> every resource in the target group, labelled with protocol and port.
  CIDR sources become an "Internet" node (``0.0.0.0/0``, ``::/0``) or a node per CIDR.

References between resources are resolved through the values (ids, ARNs, names the mocks
returned) and, where a value is not recognised, through the input's property dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from ..testing import Registration

__all__ = ["Architecture", "Node", "architecture", "render_mermaid", "write_diagram"]

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
_SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
_SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
_IGW = "aws:ec2/internetGateway:InternetGateway"
_ROUTE = "aws:ec2/route:Route"
_ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
_RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
_ECS_SERVICE = "aws:ecs/service:Service"
_SUBNET_GROUPS = frozenset(
    {"aws:rds/subnetGroup:SubnetGroup", "aws:elasticache/subnetGroup:SubnetGroup"}
)

# kind, label, where its subnets and security groups are (input paths), shape
_KINDS: dict[str, tuple[str, str]] = {
    "aws:lb/loadBalancer:LoadBalancer": ("lb", "load balancer"),
    "aws:alb/loadBalancer:LoadBalancer": ("lb", "load balancer"),
    "aws:elb/loadBalancer:LoadBalancer": ("lb", "classic load balancer"),
    "aws:ecs/service:Service": ("service", "ECS service"),
    "aws:ec2/instance:Instance": ("service", "EC2 instance"),
    "aws:rds/instance:Instance": ("store", "RDS"),
    "aws:rds/cluster:Cluster": ("store", "Aurora"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("store", "ElastiCache"),
    "aws:elasticache/cluster:Cluster": ("store", "ElastiCache"),
    "aws:elasticache/serverlessCache:ServerlessCache": ("store", "ElastiCache Serverless"),
    "aws:ec2/natGateway:NatGateway": ("nat", "NAT gateway"),
}
_SUBNET_PATHS: dict[str, tuple[str, ...]] = {
    "aws:lb/loadBalancer:LoadBalancer": ("subnets", "subnetMappings.subnetId"),
    "aws:alb/loadBalancer:LoadBalancer": ("subnets", "subnetMappings.subnetId"),
    "aws:elb/loadBalancer:LoadBalancer": ("subnets",),
    "aws:ecs/service:Service": ("networkConfiguration.subnets",),
    "aws:ec2/instance:Instance": ("subnetId",),
    "aws:elasticache/serverlessCache:ServerlessCache": ("subnetIds",),
    "aws:ec2/natGateway:NatGateway": ("subnetId",),
}
_SUBNET_GROUP_PATHS: dict[str, str] = {
    "aws:rds/instance:Instance": "dbSubnetGroupName",
    "aws:rds/cluster:Cluster": "dbSubnetGroupName",
    "aws:elasticache/replicationGroup:ReplicationGroup": "subnetGroupName",
    "aws:elasticache/cluster:Cluster": "subnetGroupName",
}
_SG_PATHS: dict[str, tuple[str, ...]] = {
    "aws:lb/loadBalancer:LoadBalancer": ("securityGroups",),
    "aws:alb/loadBalancer:LoadBalancer": ("securityGroups",),
    "aws:elb/loadBalancer:LoadBalancer": ("securityGroups",),
    "aws:ecs/service:Service": ("networkConfiguration.securityGroups",),
    "aws:ec2/instance:Instance": ("vpcSecurityGroupIds", "securityGroups"),
    "aws:rds/instance:Instance": ("vpcSecurityGroupIds",),
    "aws:rds/cluster:Cluster": ("vpcSecurityGroupIds",),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("securityGroupIds",),
    "aws:elasticache/cluster:Cluster": ("securityGroupIds",),
    "aws:elasticache/serverlessCache:ServerlessCache": ("securityGroupIds",),
}
_KIND_ORDER = {"lb": 0, "nat": 1, "service": 2, "task": 3, "store": 4}
_WORLD = frozenset({"0.0.0.0/0", "::/0"})


@dataclass(frozen=True)
class Node:
    """One box of the diagram."""

    id: str
    """Mermaid node id (derived from the resource name, unique)."""
    kind: str
    """``lb``, ``service``, ``task`` (one-off), ``store``, ``nat``, ``internet`` or ``cidr``."""
    label: str
    """Text shown in the box."""
    urn: str = ""
    """The resource's URN (empty for Internet/CIDR nodes)."""
    vpc: str = ""
    """URN of the VPC it sits in, or empty."""
    tier: str = ""
    """``public``, ``private`` or empty (in the VPC but not in one tier, or outside)."""


@dataclass
class Architecture:
    """The diagram's model: VPCs, placed nodes and labelled edges."""

    vpcs: dict[str, str] = field(default_factory=dict[str, str])
    """VPC URN -> label."""
    nodes: list[Node] = field(default_factory=list[Node])
    """Every node, sorted by kind then label."""
    edges: dict[tuple[str, str], list[str]] = field(
        default_factory=dict[tuple[str, str], list[str]]
    )
    """(source node id, target node id) -> port labels."""


class _Index:
    """Resolves references (ids, ARNs, names, property dependencies) to registrations."""

    def __init__(self, resources: Sequence[Registration]) -> None:
        self.by_urn: dict[str, Registration] = {r.urn: r for r in resources}
        self.by_value: dict[str, str] = {}
        for r in resources:
            if not r.custom:
                continue
            for value in (r.id, r.outputs.get("arn"), r.outputs.get("name"), r.outputs.get("id")):
                if isinstance(value, str) and value and value not in ("none",):
                    self.by_value.setdefault(value, r.urn)

    def refs(self, reg: Registration, path: str, types: Iterable[str]) -> list[str]:
        """URNs of resources of ``types`` referenced by the input at dotted ``path``."""
        wanted = frozenset(types)
        found: list[str] = []
        for value in _strings(_dig(reg.input(path.split(".")[0]), path.split(".")[1:])):
            urn = self.by_value.get(value)
            if urn and self.by_urn[urn].type in wanted and urn not in found:
                found.append(urn)
        if not found:
            for urn in reg.property_dependencies.get(path.split(".")[0], ()):
                dep = self.by_urn.get(urn)
                if dep is not None and dep.type in wanted and urn not in found:
                    found.append(urn)
        return found


def _dig(value: Any, path: Sequence[str]) -> Any:
    if not path:
        return value
    if isinstance(value, list):
        return [_dig(v, path) for v in cast("list[Any]", value)]
    if isinstance(value, Mapping):
        return _dig(cast("Mapping[str, Any]", value).get(path[0]), path[1:])
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for v in cast("Iterable[Any]", value) for s in _strings(v)]
    return []


def _port_label(protocol: Any, from_port: Any, to_port: Any) -> str:
    proto = str(protocol if protocol is not None else "tcp").lower()
    if proto in ("-1", "all"):
        return "all traffic"
    names = {"6": "tcp", "17": "udp", "1": "icmp"}
    proto = names.get(proto, proto)
    lo = int(from_port) if isinstance(from_port, (int, float)) else None
    hi = int(to_port) if isinstance(to_port, (int, float)) else lo
    if lo is None:
        return proto
    if proto == "icmp":
        return "icmp"
    if (lo, hi) == (0, 65535):
        return f"{proto} all ports"
    return f"{proto} {lo}" if lo == hi else f"{proto} {lo}-{hi}"


def _public_subnets(index: _Index, resources: Sequence[Registration]) -> set[str]:
    igws = {r.urn for r in resources if r.type == _IGW}
    public_tables: set[str] = set()
    for r in resources:
        if r.type == _ROUTE and index.refs(r, "gatewayId", [_IGW]):
            public_tables.update(index.refs(r, "routeTableId", [_ROUTE_TABLE]))
        if r.type == _ROUTE_TABLE:
            raw_routes: Any = r.input("routes")
            routes = cast("list[Any]", raw_routes) if isinstance(raw_routes, list) else []
            for route in routes:
                gw: Any = (
                    cast("dict[str, Any]", route).get("gatewayId")
                    if isinstance(route, dict)
                    else None
                )
                if isinstance(gw, str) and index.by_value.get(gw) in igws:
                    public_tables.add(r.urn)
    public: set[str] = set()
    for r in resources:
        if r.type == SUBNET and r.input("mapPublicIpOnLaunch") is True:
            public.add(r.urn)
        if r.type == _RTA and set(index.refs(r, "routeTableId", [_ROUTE_TABLE])) & public_tables:
            public.update(index.refs(r, "subnetId", [SUBNET]))
    return public


def architecture(resources: Sequence[Registration]) -> Architecture:
    """Build the diagram model from registrations (see the module docstring for the rules)."""
    index = _Index(resources)
    arch = Architecture()
    places = _places(index, resources, arch)
    one_off = _one_off_tasks(index, resources)
    kinds = {**_KINDS, TASK_DEFINITION: ("task", "one-off ECS task")}
    used_ids: set[str] = set()
    members: dict[str, list[str]] = {}  # security group URN -> node ids
    for r in sorted(
        resources,
        key=lambda x: (_KIND_ORDER.get(kinds.get(x.type, ("", ""))[0], 9), x.name, x.urn),
    ):
        if r.type not in _KINDS and r.urn not in one_off:
            continue
        subnets, groups = _subnets_and_groups(index, r, one_off)
        node = _node(r, kinds[r.type], subnets, groups, places, used_ids)
        arch.nodes.append(node)
        for g in groups:
            members.setdefault(g, []).append(node.id)
    extra = _add_ingress_edges(index, resources, members, arch)
    arch.nodes = [*sorted(extra.values(), key=lambda n: (n.kind != "internet", n.id)), *arch.nodes]
    for labels in arch.edges.values():
        labels.sort(key=_label_sort_key)
    return arch


@dataclass(frozen=True)
class _Places:
    """Where things sit: the VPC of each subnet and security group, and the public subnets."""

    subnet_vpc: dict[str, str]
    sg_vpc: dict[str, str]
    """Security group URN -> its VPC's URN (empty when unknown)."""
    public: set[str]


def _places(index: _Index, resources: Sequence[Registration], arch: Architecture) -> _Places:
    """Add each VPC (with its CIDR) to ``arch``; where each subnet and security group sits."""
    public = _public_subnets(index, resources)
    subnet_vpc: dict[str, str] = {}
    for r in resources:
        if r.type == VPC:
            cidr = r.input("cidrBlock")
            arch.vpcs[r.urn] = f"VPC {r.name}" + (f" {cidr}" if isinstance(cidr, str) else "")
        if r.type == SUBNET:
            vpcs = index.refs(r, "vpcId", [VPC])
            if vpcs:
                subnet_vpc[r.urn] = vpcs[0]
    sg_vpc = {
        r.urn: (index.refs(r, "vpcId", [VPC]) or [""])[0]
        for r in resources
        if r.type == SECURITY_GROUP
    }
    return _Places(subnet_vpc=subnet_vpc, sg_vpc=sg_vpc, public=public)


def _subnets_and_groups(
    index: _Index, r: Registration, one_off: Mapping[str, list[str]]
) -> tuple[list[str], list[str]]:
    """The subnets a resource sits in (directly or through its subnet group) and its
    security groups (for a one-off task, the groups registered beside it)."""
    subnets: list[str] = []
    for path in _SUBNET_PATHS.get(r.type, ()):
        subnets += index.refs(r, path, [SUBNET])
    group_path = _SUBNET_GROUP_PATHS.get(r.type)
    if group_path:
        for group in index.refs(r, group_path, _SUBNET_GROUPS):
            subnets += index.refs(index.by_urn[group], "subnetIds", [SUBNET])
    groups: list[str] = list(one_off.get(r.urn, ()))
    for path in _SG_PATHS.get(r.type, ()):
        groups += index.refs(r, path, [SECURITY_GROUP])
    return subnets, groups


def _node(
    r: Registration,
    kind_and_what: tuple[str, str],
    subnets: list[str],
    groups: list[str],
    places: _Places,
    used_ids: set[str],
) -> Node:
    """The box of one resource: in its VPC and tier when they are unambiguous."""
    kind, what = kind_and_what
    vpcs = {places.subnet_vpc[s] for s in subnets if s in places.subnet_vpc} or {
        places.sg_vpc[g] for g in groups if places.sg_vpc.get(g)
    }
    vpc = sorted(vpcs)[0] if len(vpcs) == 1 else ""
    tiers = {"public" if s in places.public else "private" for s in subnets}
    tier = tiers.pop() if len(tiers) == 1 and vpc else ""
    engine = r.input("engine")
    detail = f"{what} {engine}" if kind == "store" and isinstance(engine, str) else what
    if r.type == "aws:lb/loadBalancer:LoadBalancer" and r.input("loadBalancerType") == "network":
        detail = "network load balancer"
    return Node(
        id=_unique(_slug(f"{kind}_{r.name}"), used_ids),
        kind=kind,
        label=f"{r.name}<br/>{detail}",
        urn=r.urn,
        vpc=vpc,
        tier=tier,
    )


def _add_ingress_edges(
    index: _Index,
    resources: Sequence[Registration],
    members: Mapping[str, list[str]],
    arch: Architecture,
) -> dict[str, Node]:
    """Add an edge (labelled with its ports) for each ingress rule between the nodes of two
    security groups, or from the Internet or a CIDR; returns those Internet and CIDR nodes."""
    extra: dict[str, Node] = {}
    for target, source, label in _ingress_rules(index, resources):
        targets = members.get(target, [])
        if not targets:
            continue
        if source.startswith("urn:"):
            sources = members.get(source, [])
        else:
            key = "internet" if source in _WORLD else _slug(f"cidr_{source}")
            if key not in extra:
                extra[key] = Node(
                    id=key,
                    kind="internet" if source in _WORLD else "cidr",
                    label="Internet" if source in _WORLD else source,
                )
            sources = [key]
        for s in sources:
            for t in targets:
                if s == t:
                    continue
                labels = arch.edges.setdefault((s, t), [])
                if label not in labels:
                    labels.append(label)
    return extra


def _one_off_tasks(index: _Index, resources: Sequence[Registration]) -> dict[str, list[str]]:
    """Task definitions no ECS service runs -> the security groups registered beside them
    (same parent component, else the one named ``<component>-sg``; none unless the task uses
    ``awsvpc`` networking)."""
    run_by_service = {
        urn
        for r in resources
        if r.type == _ECS_SERVICE
        for urn in index.refs(r, "taskDefinition", [TASK_DEFINITION])
    }
    names = {r.urn: r.name for r in resources}
    tasks: dict[str, list[str]] = {}
    for r in resources:
        if r.type != TASK_DEFINITION or r.urn in run_by_service:
            continue
        if r.input("networkMode") != "awsvpc" or not r.parent:
            tasks[r.urn] = []
            continue
        groups = [g for g in resources if g.type == SECURITY_GROUP]
        beside = [g.urn for g in groups if g.parent == r.parent]
        if not beside:  # a group made for the component ahead of it: named "<component>-sg"
            owner = names.get(r.parent)
            beside = [g.urn for g in groups if owner and g.name == f"{owner}-sg"]
        tasks[r.urn] = beside
    return tasks


def _label_sort_key(label: str) -> tuple[str, int, str]:
    match = re.search(r"(\d+)", label)
    return (label.split(" ")[0], int(match.group(1)) if match else -1, label)


def _ingress_rules(index: _Index, resources: Sequence[Registration]) -> list[tuple[str, str, str]]:
    """(target SG URN, source SG URN or CIDR, port label) for every ingress rule."""
    rules: list[tuple[str, str, str]] = []
    for r in resources:
        if r.type == SECURITY_GROUP:
            for rule in cast("list[Any]", r.input("ingress") or []):
                if not isinstance(rule, dict):
                    continue
                spec = cast("dict[str, Any]", rule)
                label = _port_label(spec.get("protocol"), spec.get("fromPort"), spec.get("toPort"))
                for sg in _strings(spec.get("securityGroups")):
                    urn = index.by_value.get(sg)
                    if urn:
                        rules.append((r.urn, urn, label))
                if spec.get("self"):
                    rules.append((r.urn, r.urn, label))
                for cidr in _strings(spec.get("cidrBlocks")) + _strings(spec.get("ipv6CidrBlocks")):
                    rules.append((r.urn, cidr, label))
        elif r.type == _SG_RULE and r.input("type") == "ingress":
            targets = index.refs(r, "securityGroupId", [SECURITY_GROUP])
            label = _port_label(r.input("protocol"), r.input("fromPort"), r.input("toPort"))
            sources = index.refs(r, "sourceSecurityGroupId", [SECURITY_GROUP])
            if r.input("self"):
                sources += targets
            cidrs = _strings(r.input("cidrBlocks")) + _strings(r.input("ipv6CidrBlocks"))
            rules += [(t, s, label) for t in targets for s in [*sources, *cidrs]]
        elif r.type == _SG_INGRESS:
            targets = index.refs(r, "securityGroupId", [SECURITY_GROUP])
            label = _port_label(r.input("ipProtocol"), r.input("fromPort"), r.input("toPort"))
            sources = index.refs(r, "referencedSecurityGroupId", [SECURITY_GROUP])
            cidrs = _strings(r.input("cidrIpv4")) + _strings(r.input("cidrIpv6"))
            rules += [(t, s, label) for t in targets for s in [*sources, *cidrs]]
    return rules


def _slug(text: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", text)).strip("_") or "node"


def _unique(base: str, used: set[str]) -> str:
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    used.add(candidate)
    return candidate


def _quote(label: str) -> str:
    return '"' + label.replace('"', "#quot;") + '"'


def _shape(node: Node) -> str:
    text = _quote(node.label)
    return {
        "lb": f"{node.id}{{{{{text}}}}}",
        "service": f"{node.id}[{text}]",
        "task": f"{node.id}[[{text}]]",
        "store": f"{node.id}[({text})]",
        "nat": f"{node.id}([{text}])",
        "internet": f"{node.id}(({text}))",
        "cidr": f"{node.id}>{text}]",
    }.get(node.kind, f"{node.id}[{text}]")


def render_mermaid(resources: Sequence[Registration], *, title: str | None = None) -> str:
    """The architecture of ``resources`` as Mermaid flowchart source (deterministic)."""
    arch = architecture(resources)
    lines: list[str] = []
    if title:
        lines += ["---", f"title: {title}", "---"]
    lines.append("flowchart TB")
    placed: set[str] = set()
    vpc_ids: set[str] = set()
    for vpc_urn, vpc_label in sorted(arch.vpcs.items(), key=lambda kv: kv[1]):
        inside = [n for n in arch.nodes if n.vpc == vpc_urn]
        vpc_id = _unique(_slug("vpc_" + vpc_urn.rsplit("::", 1)[-1]), vpc_ids)
        lines.append(f"  subgraph {vpc_id}[{_quote(vpc_label)}]")
        for tier, tier_label in (("public", "public subnets"), ("private", "private subnets")):
            tier_nodes = [n for n in inside if n.tier == tier]
            if not tier_nodes:
                continue
            lines.append(f"    subgraph {vpc_id}_{tier}[{_quote(tier_label)}]")
            lines += [f"      {_shape(n)}" for n in tier_nodes]
            lines.append("    end")
        lines += [f"    {_shape(n)}" for n in inside if not n.tier]
        lines.append("  end")
        placed.update(n.id for n in inside)
    lines += [f"  {_shape(n)}" for n in arch.nodes if n.id not in placed]
    for (src, dst), labels in sorted(arch.edges.items()):
        lines.append(f"  {src} -->|{_quote(', '.join(labels))}| {dst}")
    return "\n".join(lines) + "\n"


def write_diagram(
    resources: Sequence[Registration], path: str | Path, *, title: str | None = None
) -> Path:
    """Write the diagram to ``path``: raw Mermaid for ``.mmd``, a fenced block for ``.md``.

    Raises:
        ConfigError: the extension is neither ``.mmd`` nor ``.md`` (key ``--diagram``).
    """
    from ..errors import ConfigError

    target = Path(path)
    body = render_mermaid(resources, title=title)
    header = "generated by `proliferate-infra preview --offline`; regenerate instead of editing"
    if target.suffix == ".mmd":
        text = f"%% {header}\n{body}"
    elif target.suffix == ".md":
        text = f"<!-- {header} -->\n\n```mermaid\n{body}```\n"
    else:
        raise ConfigError(
            "--diagram",
            str(path),
            "a file ending in .mmd (Mermaid) or .md (Markdown with a mermaid block)",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
