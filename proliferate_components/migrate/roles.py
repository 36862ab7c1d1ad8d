"""Roles: what part a resource plays in the deployment, on both sides of the migration.

A role is a short string ``<group>/<child>`` (see :mod:`~proliferate_components.migrate.childmap`,
the one table of the stack's children).

- :func:`component_roles` reads the roles off a capture of ``ProliferateStack`` (the child
  names are the components' public contract: ``<component name>-<suffix>``), so nothing
  here hard-codes a URN or a full logical name.
- :func:`terraform_roles` infers the part every resource of a Terraform state plays, first
  from how resources are wired (which route table routes to the internet gateway, which task
  definition a service runs, which repository, log group, roles and secrets that task
  definition uses, which security group a rule opens to which, which Redis the ``REDIS_URL``
  points at, ...), then, for what the wiring leaves open (a state without ECS services, an
  attribute an older provider did not write), from names, ``Name`` tags and module paths.
  Services are told apart by name (``worker``, ``llm``/``proxy``, ``gateway``, ``web``,
  ``migrat``). Where several resources could play one role, the best-wired one is chosen
  and the choice is reported (:attr:`RoleAssignment.ambiguity`).

Every resource gets one :attr:`RoleAssignment.part`: ``role`` (a component child takes it
over), ``superseded`` (a component resource does its job: a managed-policy attachment, a
Terraform secret whose values move into the bundle), ``ours`` (part of the deployment, no
component counterpart) or ``foreign`` (another application's resource in the same state).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

from ..testing import Capture, Registration
from . import childmap
from .childmap import SERVICES, role_for
from .refs import References
from .tfstate import TfResource, TfState, rule_shape

__all__ = [
    "SERVICES",
    "ComponentChild",
    "RoleAssignment",
    "cidr_supernet",
    "component_roles",
    "containers",
    "service_of_text",
    "terraform_roles",
]

_SERVICE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("llm-proxy", re.compile(r"llm|litellm|proxy")),
    ("gateway", re.compile(r"gateway|\bgw\b|websocket")),
    ("migrations", re.compile(r"migrat")),
    ("worker", re.compile(r"worker|\bjobs\b|bullmq")),
    ("web", re.compile(r"\bweb\b|\bwebapp\b|frontend|nextjs|\bnext\b|\bapp\b")),
)
_LB = re.compile(r"\balb\b|\belb\b|\blb\b|load-?balancer")
_REDIS = re.compile(r"redis|valkey|elasticache|\bcache\b|bullmq|\bqueue\b")
_POSTGRES = re.compile(r"postgres|\bpg\b|\brds\b|\bdb\b|database")
_EXECUTION = re.compile(r"exec")
_TASK = re.compile(r"\btasks?\b|task-role|task_role")


def _words(text: str) -> str:
    return re.sub(r"[_.\[\]\"/:]+", "-", text.lower())


def service_of_text(text: str) -> str | None:
    """The service a Terraform name or address refers to (``llm_proxy`` -> ``llm-proxy``)."""
    lowered = _words(text)
    for service, pattern in _SERVICE_PATTERNS:
        if pattern.search(lowered):
            return service
    return None


def _text(res: TfResource) -> str:
    """The names a resource goes by: its name-like attributes, ``Name`` tag and address."""
    tags = res.attr("tags", {})
    name_tag = cast("Mapping[str, Any]", tags).get("Name", "") if isinstance(tags, dict) else ""
    parts = [
        str(res.attr(k, ""))
        for k in ("name", "family", "cluster_id", "replication_group_id", "identifier")
    ]
    return " ".join([*parts, str(name_tag), res.address])


def containers(task: TfResource) -> list[Mapping[str, Any]]:
    """The container definitions of a task definition (``[]`` when absent or not JSON)."""
    raw = task.attr("container_definitions", "[]")
    try:
        parsed: Any = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return []
    if isinstance(parsed, list):
        return [c for c in cast("list[Any]", parsed) if isinstance(c, dict)]
    return []


@dataclass(frozen=True)
class ComponentChild:
    """A custom resource registered by ``ProliferateStack``, with its role."""

    role: str
    """``<group>/<child>``, e.g. ``network/vpc``."""
    registration: Registration
    """What the capture recorded (type, logical name, inputs, parent)."""
    ancestors: tuple[Registration, ...]
    """Component ancestors, outermost first (the stack component, then e.g. the Network)."""


def component_roles(capture: Capture, component_name: str) -> dict[str, ComponentChild]:
    """Role -> child for every custom resource under the ``ProliferateStack`` named
    ``component_name`` in ``capture``.

    Raises:
        LookupError: if the capture holds no such stack component.
    """
    by_urn = {r.urn: r for r in capture.resources}
    stacks = [
        r
        for r in capture.resources
        if r.type == "proliferate:stack:ProliferateStack" and r.name == component_name
    ]
    if not stacks:
        raise LookupError(f"no ProliferateStack named {component_name!r} was registered")
    root = stacks[0]
    roles: dict[str, ComponentChild] = {}
    for reg in capture.resources:
        if not reg.custom:
            continue
        chain: list[Registration] = []
        parent = by_urn.get(reg.parent)
        while parent is not None:
            chain.insert(0, parent)
            parent = by_urn.get(parent.parent)
        if not chain or chain[0].urn != root.urn:
            continue
        owner = chain[-1]
        group = "stack" if owner.urn == root.urn else _strip(owner.name, f"{component_name}-")
        child = _strip(reg.name, f"{owner.name}-")
        roles[f"{group}/{child}"] = ComponentChild(
            role=f"{group}/{child}", registration=reg, ancestors=tuple(chain)
        )
    return roles


def _strip(text: str, prefix: str) -> str:
    return text[len(prefix) :] if text.startswith(prefix) else text


@dataclass(frozen=True)
class RoleAssignment:
    """The part inferred for one Terraform resource."""

    resource: TfResource
    """The Terraform resource instance."""
    role: str | None
    """``<group>/<child>`` of the component child that takes it over, or ``None``."""
    why: str
    """How the role or part was inferred."""
    part: str = "role"
    """``role``, ``superseded``, ``ours``, ``kept`` (ours, but other applications need it
    in Terraform) or ``foreign`` (see the module docstring)."""
    ambiguity: str = ""
    """The other candidates for its role, when there were several."""
    service: str | None = None
    """The service it belongs to, where that is known (a Terraform secret: its reader)."""


def _first(items: Sequence[Any]) -> Any:
    return items[0] if items else None


@dataclass
class _VpcLayout:
    """What the network inference learns about the chosen VPC, step by step."""

    subnets: list[TfResource]
    """The VPC's subnets."""
    tables: list[TfResource]
    """The VPC's route tables."""
    routes: list[TfResource]
    """Every ``aws_route`` of the state."""
    associations: list[TfResource]
    """Every route table association of the state."""
    table_of: dict[str, str] = field(default_factory=dict[str, str])
    """Subnet id -> the id of its route table."""
    subnet_of: dict[str, str] = field(default_factory=dict[str, str])
    """Association address -> subnet id, where the state does not hold it."""
    tiers: dict[str, str] = field(default_factory=dict[str, str])
    """Subnet id -> ``public`` or ``private``."""
    zones: list[str] = field(default_factory=list[str])
    """The subnets' zones, sorted (AZ #0 first)."""
    zone_of: dict[str, str] = field(default_factory=dict[str, str])
    """Subnet id -> its zone (by elimination where the state does not hold it)."""
    subnet_index: dict[str, int] = field(default_factory=dict[str, int])
    """Subnet id -> its zone's number, for the subnets assigned a role."""
    public_nats: list[TfResource] = field(default_factory=list[TfResource])
    """The NAT gateways in public subnets, in zone order."""
    nat_index: dict[str, int] = field(default_factory=dict[str, int])
    """NAT gateway id -> its number."""
    private_rt_index: dict[str, int] = field(default_factory=dict[str, int])
    """Private route table id -> the number of the NAT gateway it routes to."""


def _default_routes(table: TfResource, routes: Sequence[TfResource]) -> list[Mapping[str, Any]]:
    """The default (``0.0.0.0/0``) routes of a route table: ``aws_route`` resources and
    inline ``route`` blocks."""
    found: list[Mapping[str, Any]] = [
        r.attributes
        for r in routes
        if r.attr("route_table_id") == table.id and r.attr("destination_cidr_block") == "0.0.0.0/0"
    ]
    for inline in cast("list[Any]", table.attr("route", [])):
        if isinstance(inline, dict) and inline.get("cidr_block") == "0.0.0.0/0":
            found.append(cast("Mapping[str, Any]", inline))
    return found


def _tables_routing_to_igw(net: _VpcLayout, igw_id: str | None) -> list[TfResource]:
    """The route tables whose default route goes to the internet gateway (or to any
    ``igw-``)."""
    return [
        t
        for t in net.tables
        if any(
            (igw_id and r.get("gateway_id") == igw_id)
            or str(r.get("gateway_id") or "").startswith("igw-")
            for r in _default_routes(t, net.routes)
        )
    ]


def _link_subnets_to_tables(net: _VpcLayout) -> None:
    """Fill ``net.table_of`` from the associations. An association whose subnet the state
    does not hold belongs to the one subnet of the VPC that has no association
    (``net.subnet_of``)."""
    net.table_of.update(
        {
            str(a.attr("subnet_id")): str(a.attr("route_table_id", ""))
            for a in net.associations
            if a.attr("subnet_id") and a.attr("route_table_id")
        }
    )
    associated = {str(a.attr("subnet_id")) for a in net.associations}
    loose = [s for s in net.subnets if s.id not in associated]
    for a in net.associations:
        if not a.attr("subnet_id") and a.attr("route_table_id") and len(loose) == 1:
            net.subnet_of[a.address] = loose[0].id
            net.table_of[loose[0].id] = str(a.attr("route_table_id"))


def _tier_subnets(net: _VpcLayout, public_table_ids: set[str]) -> None:
    """Fill ``net.tiers``: public when the subnet's route table is public. No route table
    says it: the tier of its siblings (the same count/for_each block), else its name, else
    whether it maps public IPs."""
    tiers = net.tiers
    for s in net.subnets:
        if s.id in net.table_of:
            tiers[s.id] = "public" if net.table_of[s.id] in public_table_ids else "private"
    for s in net.subnets:
        if s.id in tiers:
            continue
        siblings = {
            tiers[o.id]
            for o in net.subnets
            if o.id in tiers and (o.module, o.name) == (s.module, s.name)
        }
        words = _words(_text(s))
        if len(siblings) == 1:
            tiers[s.id] = siblings.pop()
        elif "public" in words:
            tiers[s.id] = "public"
        elif "private" in words:
            tiers[s.id] = "private"
        else:
            tiers[s.id] = "public" if s.attr("map_public_ip_on_launch") else "private"


def _zone_subnets(net: _VpcLayout) -> None:
    """Fill ``net.zones`` and ``net.zone_of``. Each tier has one subnet per zone; a subnet
    whose zone the state does not hold takes the one zone its tier lacks (by elimination)."""
    subnets = net.subnets
    known = {str(s.attr("availability_zone")) for s in subnets if s.attr("availability_zone")}
    net.zones = sorted(known)
    for tier in ("public", "private"):
        members = [s for s in subnets if net.tiers[s.id] == tier]
        have = {str(s.attr("availability_zone")) for s in members if s.attr("availability_zone")}
        lacking = [z for z in net.zones if z not in have]
        for s in members:
            zone = str(s.attr("availability_zone") or "")
            if not zone and len(lacking) == 1:
                zone = lacking.pop()
            net.zone_of[s.id] = zone


def _forwards(listener: TfResource) -> set[str]:
    """The ARNs of the target groups a listener's default actions forward to."""
    out: set[str] = set()
    for action in cast("list[Any]", listener.attr("default_action", [])):
        if isinstance(action, dict):
            a = cast("dict[str, Any]", action)
            if a.get("target_group_arn"):
                out.add(str(a["target_group_arn"]))
            for fwd in cast("list[Any]", a.get("forward") or []):
                for tg in cast("list[Any]", cast("dict[str, Any]", fwd).get("target_group") or []):
                    out.add(str(cast("dict[str, Any]", tg).get("arn", "")))
    return out


def _exec_log_group_of(cluster: TfResource) -> str | None:
    """The CloudWatch log group a cluster's ``execute_command_configuration`` logs to."""

    def first(value: Any) -> Mapping[str, Any]:
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return cast("Mapping[str, Any]", value[0])
        return {}

    execute = first(first(cluster.attr("configuration")).get("execute_command_configuration"))
    logging = first(execute.get("log_configuration"))
    return str(logging.get("cloud_watch_log_group_name") or "") or None


class _Inference:
    """Role inference over one Terraform state (see :func:`terraform_roles`)."""

    def __init__(self, state: TfState, refs: References | None = None) -> None:
        self.state = state
        self.refs = refs if refs is not None else References(state)
        self.roles: dict[str, tuple[str, str]] = {}  # address -> (role, why)
        self.by_role: dict[str, TfResource] = {}
        self.parts: dict[str, tuple[str, str, str | None]] = {}  # address -> (part, why, service)
        self.ambiguity: dict[str, str] = {}
        self.vpc: TfResource | None = None
        self.subnets: set[str] = set()
        self.cluster: TfResource | None = None
        self.services: dict[str, TfResource] = {}  # service -> aws_ecs_service
        self.tasks: dict[str, TfResource] = {}  # service -> task definition
        self.store: TfResource | None = None
        self.nat_subnet: dict[str, str] = {}  # NAT address -> subnet, where the state lacks it

    # -- bookkeeping ------------------------------------------------------------------------
    def assign(self, res: TfResource | None, role: str, why: str) -> bool:
        if res is None or res.address in self.roles or role in self.by_role:
            return False
        if res.address in self.parts:
            return False
        self.roles[res.address] = (role, why)
        self.by_role[role] = res
        return True

    def part(self, res: TfResource, part: str, why: str, service: str | None = None) -> None:
        if res.address not in self.roles and res.address not in self.parts:
            self.parts[res.address] = (part, why, service)

    def choose(
        self,
        role: str,
        candidates: Sequence[TfResource],
        score: Callable[[TfResource], tuple[Any, ...]],
        why: str,
    ) -> TfResource | None:
        """Assign ``role`` to the best-scoring free candidate; report the others."""
        free = [
            c for c in candidates if c.address not in self.roles and c.address not in self.parts
        ]
        if not free or role in self.by_role:
            return None
        ranked = sorted(enumerate(free), key=lambda p: (score(p[1]), -p[0]), reverse=True)
        best = ranked[0][1]
        self.assign(best, role, why)
        if len(ranked) > 1:
            others = ", ".join(f"`{c.address}`" for _, c in ranked[1:])
            self.ambiguity[best.address] = (
                f"{len(ranked)} candidates for {role}: chose `{best.address}` ({why}) over {others}"
            )
        return best

    def of_type(self, *types: str) -> list[TfResource]:
        out: list[TfResource] = []
        for t in types:
            out += self.state.of_type(t)
        return out

    def free(self, *types: str) -> list[TfResource]:
        return [
            r
            for r in self.of_type(*types)
            if r.address not in self.roles and r.address not in self.parts
        ]

    def find(self, types: Sequence[str], **attrs: Any) -> list[TfResource]:
        return [
            r
            for r in self.of_type(*types)
            if all(r.attributes.get(k) == v for k, v in attrs.items())
        ]

    def by_value(self, types: Sequence[str], attribute: str, value: Any) -> TfResource | None:
        if value in (None, ""):
            return None
        return _first([r for r in self.of_type(*types) if r.attributes.get(attribute) == value])

    def run(self) -> None:
        self.network()
        self.ecs_cluster()
        self.ecs_services()
        self.load_balancer()
        self.cache()
        self.database()
        self.by_name()
        self.iam()
        self.secrets()
        self.rules()
        self.rest()

    # -- network ----------------------------------------------------------------------------
    def network(self) -> None:
        """The VPC that holds the subnets the services use, and its parts the Network
        component has: internet gateway, subnets by tier and zone, NAT gateways and their
        Elastic IPs, route tables, default routes, associations and the VPC's defaults."""
        vpcs = self.of_type("aws_vpc")
        subnets_all = self.of_type("aws_subnet")
        if not vpcs:
            return
        vpc = self._choose_vpc(vpcs, subnets_all)
        if vpc is None:
            return
        self.vpc = vpc
        net = _VpcLayout(
            subnets=[s for s in subnets_all if s.attr("vpc_id") == vpc.id],
            tables=[t for t in self.of_type("aws_route_table") if t.attr("vpc_id") == vpc.id],
            routes=self.of_type("aws_route"),
            associations=self.of_type("aws_route_table_association"),
        )
        self.subnets = {s.id for s in net.subnets}
        igw = self.choose(
            "network/igw",
            self.find(["aws_internet_gateway"], vpc_id=vpc.id)
            or [g for g in self.of_type("aws_internet_gateway") if not g.attr("vpc_id")],
            lambda g: (1,),
            "the internet gateway attached to the VPC",
        )
        public_tables = _tables_routing_to_igw(net, igw.id if igw is not None else None)
        _link_subnets_to_tables(net)
        if not public_tables:
            public_tables = self._public_tables_without_routes(net)
        _tier_subnets(net, {t.id for t in public_tables})
        _zone_subnets(net)
        self._assign_subnets(net)
        self._assign_nat_gateways(net, self._nat_gateways(net, single_vpc=len(vpcs) == 1))
        public_rt = self.choose(
            "network/public-rt",
            public_tables,
            lambda t: (sum(1 for v in net.table_of.values() if v == t.id),),
            "route table with the default route to the internet gateway",
        )
        self._assign_private_tables_by_route(net)
        self._assign_private_tables_by_zone(net, public_rt)
        self._assign_default_routes(net, public_rt)
        self._assign_associations(net)
        self._vpc_defaults(vpc)

    def _choose_vpc(
        self, vpcs: list[TfResource], subnets_all: list[TfResource]
    ) -> TfResource | None:
        """The VPC whose subnets most of the platform's resources use (then: the one with
        the most subnets)."""

        def platform_refs(vpc: TfResource) -> int:
            ids = {s.id for s in subnets_all if s.attr("vpc_id") == vpc.id}
            count = 0
            for t in (
                "aws_ecs_service",
                "aws_lb",
                "aws_alb",
                "aws_elasticache_subnet_group",
                "aws_db_subnet_group",
            ):
                for r in self.of_type(t):
                    if self.refs.references(r.address) & {
                        s.address for s in subnets_all if s.id in ids
                    }:
                        count += 1
            return count

        return self.choose(
            "network/vpc",
            vpcs,
            lambda v: (
                platform_refs(v),
                sum(1 for s in subnets_all if s.attr("vpc_id") == v.id),
            ),
            "the VPC that holds the subnets the services use",
        )

    def _public_tables_without_routes(self, net: _VpcLayout) -> list[TfResource]:
        """No table's routes say which is public (the state does not hold them): the table
        of the subnets that hold the NAT gateways, or one named public."""
        nat_subnets = {str(n.attr("subnet_id")) for n in self.of_type("aws_nat_gateway")}
        held = {net.table_of[s] for s in nat_subnets if s in net.table_of}
        return [t for t in net.tables if t.id in held] or [
            t for t in net.tables if "public" in _words(_text(t))
        ]

    def _assign_subnets(self, net: _VpcLayout) -> None:
        """Public subnets, then private ones, each numbered by its zone (a second subnet of
        a tier in one zone is reported, not assigned); fills ``net.subnet_index``."""
        zones, zone_of = net.zones, net.zone_of
        for tier in ("public", "private"):
            members = sorted(
                (s for s in net.subnets if net.tiers[s.id] == tier and zone_of.get(s.id) in zones),
                key=lambda x: (zone_of[x.id], x.address),
            )
            for s in members:
                i = zones.index(zone_of[s.id])
                if self.assign(
                    s, f"network/{tier}-subnet-{i}", f"{tier} subnet in AZ #{i} ({zones[i]})"
                ):
                    net.subnet_index[s.id] = i
                else:
                    other = self.by_role.get(f"network/{tier}-subnet-{i}")
                    if other is not None:
                        self.ambiguity.setdefault(
                            other.address,
                            f"several {tier} subnets in {zones[i]}: chose `{other.address}` "
                            f"over `{s.address}`",
                        )

    def _nat_gateways(self, net: _VpcLayout, *, single_vpc: bool) -> list[TfResource]:
        """The NAT gateways in the VPC's subnets; with a single VPC, also those whose subnet
        the state does not hold, each given a free public subnet (:attr:`nat_subnet`)."""
        nats = [n for n in self.of_type("aws_nat_gateway") if n.attr("subnet_id") in self.subnets]
        if single_vpc:  # a NAT gateway whose subnet the state does not hold
            held = {str(n.attr("subnet_id")) for n in nats}
            free_public = sorted(
                (s for s in net.subnets if net.tiers[s.id] == "public" and s.id not in held),
                key=lambda x: (net.zone_of.get(x.id, ""), x.address),
            )
            for n in self.of_type("aws_nat_gateway"):
                if not n.attr("subnet_id") and free_public:
                    nats.append(n)
                    self.nat_subnet[n.address] = free_public.pop(0).id
        return nats

    def _nat_subnet_of(self, nat: TfResource) -> str:
        """The subnet id of a NAT gateway (the one given to it when the state lacks it)."""
        return str(nat.attr("subnet_id") or self.nat_subnet.get(nat.address, ""))

    def _assign_nat_gateways(self, net: _VpcLayout, nats: list[TfResource]) -> None:
        """The NAT gateways in public subnets, in zone order, and their Elastic IPs; fills
        ``net.public_nats`` and ``net.nat_index``."""
        net.public_nats = sorted(
            (n for n in nats if net.tiers.get(self._nat_subnet_of(n)) == "public"),
            key=lambda n: (net.subnet_index.get(self._nat_subnet_of(n), 99), n.address),
        )
        for j, nat in enumerate(net.public_nats):
            net.nat_index[nat.id] = j
            self.assign(nat, f"network/nat-{j}", f"NAT gateway #{j} (in a public subnet)")
            eip = self.by_value(["aws_eip"], "allocation_id", nat.attr("allocation_id"))
            if eip is None:
                eip = _first(
                    [
                        e
                        for e in self.of_type("aws_eip")
                        if e.attr("public_ip") and e.attr("public_ip") == nat.attr("public_ip")
                    ]
                )
            self.assign(eip, f"network/nat-eip-{j}", f"the Elastic IP of NAT gateway #{j}")

    def _assign_private_tables_by_route(self, net: _VpcLayout) -> None:
        """The route tables whose default route goes to NAT gateway #j; fills
        ``net.private_rt_index``."""
        for t in net.tables:
            for r in _default_routes(t, net.routes):
                nat_id = r.get("nat_gateway_id")
                if nat_id in net.nat_index:
                    j = net.nat_index[str(nat_id)]
                    if self.assign(
                        t,
                        f"network/private-rt-{j}",
                        f"route table with the default route to NAT gateway #{j}",
                    ):
                        net.private_rt_index[t.id] = j

    def _assign_private_tables_by_zone(self, net: _VpcLayout, public_rt: TfResource | None) -> None:
        """A private table whose default route the state does not show: the one of the
        private subnets of NAT gateway #j's zone (or of the single NAT gateway)."""
        public_nats = net.public_nats
        nat_of_zone = {
            net.zone_of.get(self._nat_subnet_of(n), ""): j for j, n in enumerate(public_nats)
        }
        for t in net.tables:
            if t.address in self.roles or (public_rt is not None and t.id == public_rt.id):
                continue
            served = [s for s, table in net.table_of.items() if table == t.id]
            if not served or any(net.tiers.get(s) != "private" for s in served):
                continue
            zones_served = sorted({net.zone_of.get(s, "") for s in served})
            j = nat_of_zone.get(zones_served[0]) if len(public_nats) > 1 else 0
            if (
                j is not None
                and public_nats
                and self.assign(
                    t,
                    f"network/private-rt-{j}",
                    f"route table of the private subnets of NAT gateway #{j}'s zone",
                )
            ):
                net.private_rt_index[t.id] = j

    def _assign_default_routes(self, net: _VpcLayout, public_rt: TfResource | None) -> None:
        """The ``aws_route`` default routes: to the internet gateway, or to a NAT gateway."""
        for r in net.routes:
            if r.attr("destination_cidr_block") != "0.0.0.0/0":
                continue
            table_id = r.attr("route_table_id")
            if public_rt is not None and table_id == public_rt.id:
                self.assign(
                    r, "network/public-default-route", "default route to the internet gateway"
                )
            elif table_id in net.private_rt_index:
                j = net.private_rt_index[str(table_id)]
                self.assign(
                    r, f"network/private-default-route-{j}", f"default route to NAT gateway #{j}"
                )

    def _assign_associations(self, net: _VpcLayout) -> None:
        """The route table association of each assigned subnet."""
        for a in net.associations:
            subnet_id = str(a.attr("subnet_id") or net.subnet_of.get(a.address, ""))
            if subnet_id not in net.subnet_index:
                continue
            i = net.subnet_index[subnet_id]
            self.assign(
                a,
                f"network/{net.tiers[subnet_id]}-rta-{i}",
                f"associates the {net.tiers[subnet_id]} subnet #{i}",
            )

    def _vpc_defaults(self, vpc: TfResource) -> None:
        """The VPC's default security group, network ACL and route table (the ``Network``'s
        ``default-sg``, ``default-nacl`` and ``default-rt`` take them over); its DHCP
        options go with it (ours, no child)."""
        ids = {
            "aws_default_network_acl": vpc.attr("default_network_acl_id"),
            "aws_default_route_table": vpc.attr("default_route_table_id"),
        }
        for tf_type, role in childmap.VPC_DEFAULTS.items():
            for d in self.of_type(tf_type):
                if d.attr("vpc_id") == vpc.id or (ids.get(tf_type) and d.id == ids[tf_type]):
                    self.assign(d, role, f"the VPC's {tf_type.removeprefix('aws_default_')}")
        for d in self.of_type("aws_vpc_dhcp_options"):
            if d.attr("vpc_id", vpc.id) == vpc.id or self.refs.references(d.address) & {
                vpc.address
            }:
                self.part(
                    d,
                    "ours",
                    "a default of the adopted VPC: it goes with the VPC, no component child "
                    "manages it",
                )

    # -- ECS --------------------------------------------------------------------------------
    def ecs_cluster(self) -> None:
        clusters = self.of_type("aws_ecs_cluster")
        services = self.of_type("aws_ecs_service")

        def score(c: TfResource) -> tuple[int, int]:
            used = sum(
                1
                for s in services
                if s.attr("cluster") in (c.attr("arn"), c.id, c.attr("name"))
                and service_of_text(_text(s))
            )
            return used, 1 if service_of_text(_text(c)) or "proliferate" in _text(c) else 0

        self.cluster = self.choose(
            "stack/cluster", clusters, score, "the ECS cluster the services run in"
        )
        if self.cluster is not None:
            self._cluster_parts(self.cluster)

    def _cluster_parts(self, cluster: TfResource) -> None:
        """The cluster's capacity providers, and the log group its ECS Exec sessions are
        logged to (named in its ``execute_command_configuration``, else
        ``/aws/ecs/<cluster name>`` as terraform-aws-modules/ecs names it)."""
        name = str(cluster.attr("name") or "")
        for cp in self.of_type("aws_ecs_cluster_capacity_providers"):
            if name and cp.attr("cluster_name") == name:
                self.assign(
                    cp,
                    childmap.CLUSTER_PARTS["capacity-providers"],
                    "the cluster's capacity providers",
                )
        group_name = _exec_log_group_of(cluster) or (f"/aws/ecs/{name}" if name else None)
        self.assign(
            self.by_value(["aws_cloudwatch_log_group"], "name", group_name),
            childmap.CLUSTER_PARTS["exec-logs"],
            "the log group of the cluster's ECS Exec sessions",
        )

    def _in_cluster(self, svc: TfResource) -> bool:
        c = self.cluster
        if c is None:
            return True
        ref = svc.attr("cluster")
        return ref in (None, "", c.attr("arn"), c.id, c.attr("name"))

    def ecs_services(self) -> None:
        found: dict[str, list[TfResource]] = {}
        for svc in self.of_type("aws_ecs_service"):
            service = service_of_text(_text(svc))
            if service is None or service == "migrations" or not self._in_cluster(svc):
                continue
            found.setdefault(service, []).append(svc)
        # Several services named like one of ours (``pf-worker`` and
        # ``pf-analytics-worker``): prefer the one whose name, without the prefix the
        # platform's services share, is the service itself.
        unique = [c[0] for c in found.values() if len(c) == 1]
        prefix = _common_prefix([_tokens(str(c.attr("name", ""))) for c in unique])

        def score(svc: TfResource, service: str) -> tuple[int, int, int, int]:
            tokens = _tokens(str(svc.attr("name", "")))
            rest = tokens[len(prefix) :] if tokens[: len(prefix)] == prefix else tokens
            exact = 1 if "-".join(rest) == service else 0
            return (
                exact,
                -len(rest),
                int(int(svc.attr("desired_count", 0) or 0) > 0),
                int(bool(svc.attr("task_definition"))),
            )

        for service in SERVICES:
            candidates = found.get(service, [])
            chosen = self.choose(
                f"{service}/service",
                candidates,
                lambda s, service=service: score(s, service),
                f"ECS service named like the {service}",
            )
            if chosen is None:
                continue
            self.services[service] = chosen
            task = self._task_of(chosen, service)
            self._service_children(service, chosen, task)
        # Task definitions that no ECS service runs (a migrations task, a state without
        # services): matched by their family.
        for t in self.free("aws_ecs_task_definition"):
            service = service_of_text(_text(t))
            if service is not None and f"{service}/task" not in self.by_role:
                self._service_children(service, None, t)

    def _task_of(self, svc: TfResource, service: str) -> TfResource | None:
        ref = str(svc.attr("task_definition", ""))
        tasks = self.of_type("aws_ecs_task_definition")
        if ref:
            for t in tasks:
                arn = str(t.attr("arn", ""))
                family = str(t.attr("family", ""))
                if ref in (arn, t.id, family, arn.rsplit("/", 1)[-1]) or (
                    family
                    and (
                        ref == family
                        or ref.startswith(f"{family}:")
                        or ref.endswith(f"/{family}")
                        or f"/{family}:" in ref
                    )
                ):
                    return t
        return _first([t for t in tasks if service_of_text(_text(t)) == service])

    def _role_by_arn(self, arn: str) -> TfResource | None:
        if not arn:
            return None
        return _first(
            [
                r
                for r in self.of_type("aws_iam_role")
                if arn in (r.attr("arn"), r.attr("name"), r.id)
            ]
        )

    def _service_children(
        self, service: str, svc: TfResource | None, task: TfResource | None
    ) -> None:
        if svc is not None:
            network = svc.block("network_configuration")
            sgs = cast("list[Any]", network.get("security_groups") or [])
            if sgs:
                sg = _first([g for g in self.of_type("aws_security_group") if g.id in sgs])
                self.assign(
                    sg,
                    role_for(childmap.SECURITY_GROUP["service"], service=service),
                    f"security group of the {service} service",
                )
            lb = svc.block("load_balancer")
            tg_arn = lb.get("target_group_arn")
            if tg_arn:
                tg = _first(
                    [
                        t
                        for t in self.of_type("aws_lb_target_group", "aws_alb_target_group")
                        if tg_arn in (t.attr("arn"), t.id)
                    ]
                )
                self.assign(tg, f"lb/tg-{service}", f"target group of the {service} service")
        if task is None:
            return
        self.tasks[service] = task
        self.assign(task, f"{service}/task", f"task definition of the {service}")
        execution_arn = str(task.attr("execution_role_arn", ""))
        task_role = self._role_by_arn(str(task.attr("task_role_arn", "")))
        if task_role is not None and task_role.attr("arn") != execution_arn:
            self.assign(
                task_role,
                role_for(childmap.TASK_ROLE, service=service),
                f"task role of the {service}",
            )
        execution = self._role_by_arn(execution_arn)
        if execution is not None:
            self.assign(
                execution,
                role_for(childmap.EXECUTION_ROLE, service=service),
                f"the execution role of the {service}'s task definition",
            )
        defs = containers(task)
        container: Mapping[str, Any] = defs[0] if defs else {}
        image = str(container.get("image", ""))
        repo = _first(
            [
                r
                for r in self.of_type("aws_ecr_repository")
                if r.attr("repository_url") and image.startswith(str(r.attr("repository_url")))
            ]
        )
        if repo is not None:
            self.assign(repo, f"{service}/repo", f"image repository of the {service}")
        log_config = cast("Mapping[str, Any]", container.get("logConfiguration") or {})
        options = cast("Mapping[str, Any]", log_config.get("options") or {})
        group = self.by_value(["aws_cloudwatch_log_group"], "name", options.get("awslogs-group"))
        self.assign(group, f"{service}/logs", f"log group of the {service} containers")

    # -- load balancer ----------------------------------------------------------------------
    def load_balancer(self) -> None:
        """The application load balancer that serves the services, its security group and
        listeners; target groups named like a service; listener rules forwarding to one."""
        listeners = self.of_type("aws_lb_listener", "aws_alb_listener")
        lb = self._choose_load_balancer(listeners)
        if lb is None:
            return
        sg_ids = cast("list[Any]", lb.attr("security_groups", []))
        sg = _first([g for g in self.of_type("aws_security_group") if g.id in sg_ids])
        self.assign(sg, childmap.SECURITY_GROUP["lb"], "security group of the load balancer")
        self._assign_listeners(lb, listeners)
        self._target_groups_by_name()
        self._assign_listener_rules()

    def _choose_load_balancer(self, listeners: list[TfResource]) -> TfResource | None:
        """The application load balancer whose listeners forward to the services' target
        groups (then: in the VPC, then named like the platform's)."""
        lbs = [
            r
            for r in self.of_type("aws_lb", "aws_alb")
            if r.attr("load_balancer_type", "application") == "application"
        ]
        our_tgs = {
            self.by_role[role].attr("arn") for role in self.by_role if role.startswith("lb/tg-")
        }

        def score(lb: TfResource) -> tuple[int, int, int]:
            mine = [x for x in listeners if x.attr("load_balancer_arn") in (lb.attr("arn"), lb.id)]
            serving = sum(1 for x in mine if _forwards(x) & our_tgs)
            in_vpc = 1 if self.vpc is not None and lb.attr("vpc_id") in (None, self.vpc.id) else 0
            named = 1 if service_of_text(_text(lb)) or "proliferate" in _text(lb) else 0
            return serving, in_vpc, named

        candidates = [lb for lb in lbs if score(lb) != (0, 0, 0)] or lbs
        return self.choose(
            "lb/alb", candidates, score, "the application load balancer of the services"
        )

    def _assign_listeners(self, lb: TfResource, listeners: list[TfResource]) -> None:
        """The load balancer's listeners on port 80 and 443."""
        for listener in listeners:
            if listener.attr("load_balancer_arn") not in (lb.attr("arn"), lb.id):
                continue
            port = int(listener.attr("port", 0) or 0)
            protocol = str(listener.attr("protocol", "") or "")
            if port == 80 or (not port and protocol == "HTTP"):
                self.assign(listener, "lb/http", "listener on port 80")
            elif port == 443 or (not port and protocol == "HTTPS"):
                self.assign(listener, "lb/https", "listener on port 443")

    def _target_groups_by_name(self) -> None:
        """Free target groups named like a routed service (not used by another
        application)."""
        for tg in self.free("aws_lb_target_group", "aws_alb_target_group"):
            if self.used_elsewhere(tg):
                continue
            service = service_of_text(_text(tg))
            if service in SERVICES and service != "worker":
                self.assign(tg, f"lb/tg-{service}", f"target group named like the {service}")

    def _assign_listener_rules(self) -> None:
        """The rules of our listeners that forward to one service's target group."""
        tg_service = {
            str(self.by_role[role].attr("arn")): role[len("lb/tg-") :]
            for role in self.by_role
            if role.startswith("lb/tg-")
        }
        for rule in self.of_type("aws_lb_listener_rule", "aws_alb_listener_rule"):
            if rule.attr("listener_arn") not in {
                self.by_role[r].attr("arn") for r in ("lb/http", "lb/https") if r in self.by_role
            }:
                continue
            targets = _forwards(
                TfResource(
                    rule.address,
                    rule.type,
                    rule.name,
                    None,
                    {"default_action": rule.attr("action", [])},
                )
            )
            services = {tg_service[t] for t in targets if t in tg_service}
            if len(services) == 1:
                service = services.pop()
                self.assign(
                    rule, f"lb/rule-{service}", f"listener rule forwarding to the {service}"
                )

    # -- Redis ------------------------------------------------------------------------------
    def cache(self) -> None:
        groups = [
            g
            for g in self.of_type("aws_elasticache_replication_group")
            if str(g.attr("engine", "redis") or "redis") in ("redis", "valkey")
        ]
        clusters = [
            c
            for c in self.of_type("aws_elasticache_cluster")
            if not c.attr("replication_group_id")
            and str(c.attr("engine", "redis") or "redis") in ("redis", "valkey")
        ]
        env_text = " ".join(
            json.dumps(c.get("environment", [])) for t in self.tasks.values() for c in containers(t)
        )

        def endpoints(store: TfResource) -> list[str]:
            found = [
                str(store.attr(k) or "")
                for k in (
                    "primary_endpoint_address",
                    "configuration_endpoint_address",
                    "cluster_address",
                    "reader_endpoint_address",
                )
            ]
            for node in cast("list[Any]", store.attr("cache_nodes", [])):
                if isinstance(node, dict):
                    found.append(str(cast("dict[str, Any]", node).get("address") or ""))
            return [e for e in found if e]

        def score(store: TfResource) -> tuple[int, int, int]:
            used = 1 if any(e in env_text for e in endpoints(store)) else 0
            named = 1 if _REDIS.search(_words(_text(store))) else 0
            subnet_group = self.by_value(
                ["aws_elasticache_subnet_group"], "name", store.attr("subnet_group_name")
            )
            in_vpc = (
                1
                if subnet_group is not None
                and set(map(str, cast("list[Any]", subnet_group.attr("subnet_ids", []))))
                & self.subnets
                else 0
            )
            return used, in_vpc, named

        candidates = [s for s in [*groups, *clusters] if score(s) != (0, 0, 0)] or [
            *groups,
            *clusters,
        ]
        what = "the Redis store the services use"
        store = self.choose("redis/replication-group", candidates, score, what)
        if store is None:
            return
        self.store = store
        pg = self.by_value(
            ["aws_elasticache_parameter_group"], "name", store.attr("parameter_group_name")
        )
        self.assign(pg, "redis/params", "parameter group of the Redis store")
        sn = self.by_value(
            ["aws_elasticache_subnet_group"], "name", store.attr("subnet_group_name")
        )
        self.assign(sn, "redis/subnets", "subnet group of the Redis store")
        sg_ids = cast("list[Any]", store.attr("security_group_ids", []))
        sg = _first([g for g in self.of_type("aws_security_group") if g.id in sg_ids])
        self.assign(sg, childmap.SECURITY_GROUP["redis"], "security group of the Redis store")

    # -- PostgreSQL -------------------------------------------------------------------------
    def database(self) -> None:
        instances = [
            d
            for d in self.of_type("aws_db_instance")
            if str(d.attr("engine", "postgres") or "postgres").startswith("postgres")
        ]

        def score(db: TfResource) -> tuple[int, int]:
            subnet_group = self.by_value(
                ["aws_db_subnet_group"], "name", db.attr("db_subnet_group_name")
            )
            in_vpc = (
                1
                if subnet_group is not None
                and set(map(str, cast("list[Any]", subnet_group.attr("subnet_ids", []))))
                & self.subnets
                else 0
            )
            named = 1 if _POSTGRES.search(_words(_text(db))) or service_of_text(_text(db)) else 0
            return in_vpc, named

        candidates = [d for d in instances if score(d) != (0, 0)] or instances
        db = self.choose(
            "postgres/instance", candidates, score, "the PostgreSQL database of the platform"
        )
        if db is None:
            return
        pg = self.by_value(["aws_db_parameter_group"], "name", db.attr("parameter_group_name"))
        self.assign(pg, "postgres/params", "parameter group of the database")
        sn = self.by_value(["aws_db_subnet_group"], "name", db.attr("db_subnet_group_name"))
        self.assign(sn, "postgres/subnets", "subnet group of the database")
        sg_ids = cast("list[Any]", db.attr("vpc_security_group_ids", []))
        sg = _first([g for g in self.of_type("aws_security_group") if g.id in sg_ids])
        self.assign(sg, childmap.SECURITY_GROUP["postgres"], "security group of the database")
        og = self.by_value(["aws_db_option_group"], "name", db.attr("option_group_name"))
        if og is not None:
            self.part(og, "ours", "option group of the database: the component uses the default")

    # -- names, tags and references where the wiring says nothing ------------------------------
    _APP_TYPES = frozenset(
        {
            "aws_ecs_service",
            "aws_ecs_task_definition",
            "aws_lb",
            "aws_alb",
            "aws_elasticache_replication_group",
            "aws_elasticache_cluster",
            "aws_db_instance",
            "aws_lambda_function",
            "aws_instance",
        }
    )

    _APP_TYPES_WIDE = _APP_TYPES | frozenset(
        {
            "aws_security_group",
            "aws_lb_target_group",
            "aws_alb_target_group",
            "aws_lb_listener",
            "aws_alb_listener",
            "aws_lb_listener_rule",
            "aws_alb_listener_rule",
            "aws_subnet",
            "aws_route_table",
            "aws_nat_gateway",
            "aws_ecr_repository",
            "aws_cloudwatch_log_group",
            "aws_iam_role",
        }
    )

    def used_elsewhere(self, res: TfResource) -> bool:
        """Whether an application resource that is not the platform's uses ``res`` (then a
        name alone does not make it ours)."""
        for address in self.refs.dependents(res.address):
            other = self.state.by_address(address)
            if other.type in self._APP_TYPES and address not in self.roles:
                return True
        return False

    def by_name(self) -> None:
        """Match what the wiring left open by name (``Name`` tag, module path): a state
        without ECS services still has the repositories, log groups, roles and security
        groups that the stack creates for every service."""
        self._security_groups_by_name()
        self._service_resources_by_name(
            "aws_ecr_repository", "repo", "image repository named like the {service}"
        )
        self._service_resources_by_name(
            "aws_cloudwatch_log_group", "logs", "log group named like the {service}'s"
        )
        self._iam_roles_by_name()
        self._store_groups_by_name()
        self._lifecycle_policies()

    def _security_groups_by_name(self) -> None:
        """Free security groups in the VPC named like the load balancer's, Redis', the
        database's or a service's (not used by another application)."""
        for sg in self.free("aws_security_group"):
            in_vpc = self.vpc is None or sg.attr("vpc_id") in (None, "", self.vpc.id)
            if not in_vpc or self.used_elsewhere(sg):
                continue
            words = _words(_text(sg))
            if _LB.search(words):
                self.assign(
                    sg,
                    childmap.SECURITY_GROUP["lb"],
                    "security group named like the load balancer's",
                )
            elif _REDIS.search(words):
                self.assign(
                    sg, childmap.SECURITY_GROUP["redis"], "security group named like Redis'"
                )
            elif _POSTGRES.search(words):
                self.assign(
                    sg,
                    childmap.SECURITY_GROUP["postgres"],
                    "security group named like the database's",
                )
            else:
                service = service_of_text(words)
                if service is not None:
                    self.assign(
                        sg,
                        role_for(childmap.SECURITY_GROUP["service"], service=service),
                        f"security group named like the {service}'s",
                    )

    def _service_resources_by_name(self, rtype: str, child: str, why: str) -> None:
        """Free resources of ``rtype`` named like a service: its ``<service>/<child>`` (not
        used by another application)."""
        for res in self.free(rtype):
            if self.used_elsewhere(res):
                continue
            service = service_of_text(_text(res))
            if service is not None:
                self.assign(res, f"{service}/{child}", why.format(service=service))

    def _iam_roles_by_name(self) -> None:
        """Free roles ECS tasks assume, named like an execution role or a task role (a task
        role without a service name goes to the first service without one)."""
        for role in self.free("aws_iam_role"):
            if self.used_elsewhere(role) or "ecs-tasks" not in str(
                role.attr("assume_role_policy", "")
            ):
                continue
            words = _words(_text(role))
            service = service_of_text(words)
            if _EXECUTION.search(words):
                target = role_for(
                    childmap.EXECUTION_ROLE, service=service or childmap.SERVICE_ORDER[0]
                )
                self.assign(role, target, "role named like an execution role")
            elif _TASK.search(words) or service is not None:
                for candidate in [service] if service else list(childmap.SERVICE_ORDER):
                    if self.assign(
                        role,
                        role_for(childmap.TASK_ROLE, service=candidate),
                        f"role named like the {candidate}'s task role",
                    ):
                        break

    def _store_groups_by_name(self) -> None:
        """The parameter and subnet groups of an assigned Redis store or database that the
        wiring did not find: the only free one of the state, or the only one named like the
        store."""
        for role, types, pattern in (
            ("redis/params", ("aws_elasticache_parameter_group",), _REDIS),
            ("redis/subnets", ("aws_elasticache_subnet_group",), _REDIS),
            ("postgres/params", ("aws_db_parameter_group",), _POSTGRES),
            ("postgres/subnets", ("aws_db_subnet_group",), _POSTGRES),
        ):
            store = self.by_role.get(
                role.split("/")[0]
                + ("/replication-group" if role.startswith("redis") else "/instance")
            )
            if role in self.by_role or store is None:
                continue
            free = [g for g in self.free(*types) if not self.used_elsewhere(g)]
            named = [g for g in free if pattern.search(_words(_text(g)))]
            chosen = named[0] if len(named) == 1 else free[0] if len(free) == 1 else None
            self.assign(chosen, role, f"the only {types[0]} of the state, named like the store's")

    def _lifecycle_policies(self) -> None:
        """The lifecycle policy of each assigned repository."""
        for repo_role in [r for r in self.by_role if r.endswith("/repo")]:
            repo = self.by_role[repo_role]
            policy = _first(
                [
                    p
                    for p in self.of_type("aws_ecr_lifecycle_policy")
                    if p.attr("repository") in (repo.attr("name"), repo.id)
                ]
            )
            self.assign(
                policy,
                f"{repo_role}-lifecycle",
                f"lifecycle policy of the {repo_role.split('/')[0]} repository",
            )

    # -- IAM --------------------------------------------------------------------------------
    def iam(self) -> None:
        """Execution roles no component role takes, inline policies (on an execution role:
        placed by what they grant), managed-policy attachments on adopted roles and the
        managed policies only they attach."""
        self._superseded_execution_roles()
        role_owner = self._iam_role_owners()
        granted = self._granted_arns()
        for policy in self.free("aws_iam_role_policy"):
            owner = role_owner.get(str(policy.attr("role", "")))
            if owner is None:
                continue
            if (
                owner == childmap.SHARED_EXECUTION_ROLE
                or owner.endswith("execution/role")
                or owner.endswith("-execution/role")
            ):
                self._execution_role_policy(policy, owner, granted)
            else:
                self.part(
                    policy,
                    "superseded",
                    "inline policy on an adopted role: the components grant with their own "
                    "least-privilege policies",
                )
        self._managed_policy_attachments(role_owner)

    def _superseded_execution_roles(self) -> None:
        """The execution roles of the services' task definitions that no component role
        takes (several Terraform roles, one shared role in the stack): the stack's role does
        their job."""
        for service, task in self.tasks.items():
            execution = self._role_by_arn(str(task.attr("execution_role_arn", "")))
            if execution is not None and execution.address not in self.roles:
                self.part(
                    execution,
                    "superseded",
                    f"execution role of the {service}: the stack's execution role "
                    f"({childmap.EXECUTION_ROLE}) takes over its job",
                    service,
                )

    def _iam_role_owners(self) -> dict[str, str]:
        """Role name -> the component role that takes it over (or ``superseded``)."""
        role_owner: dict[str, str] = {}
        for role, res in self.by_role.items():
            if res.type == "aws_iam_role":
                role_owner[str(res.attr("name") or res.id)] = role
        for address, (part, _why, _service) in self.parts.items():
            res = self.state.by_address(address)
            if res.type == "aws_iam_role" and part == "superseded":
                role_owner[str(res.attr("name") or res.id)] = "superseded"
        return role_owner

    def _granted_arns(self) -> dict[str, set[str]]:
        """Service -> the ARNs its task definition uses (its secrets and its resources)."""
        granted: dict[str, set[str]] = {}
        for service, task in self.tasks.items():
            arns: set[str] = set()
            for c in containers(task):
                for s in cast("list[Any]", c.get("secrets") or []):
                    if isinstance(s, dict):
                        arns.add(str(cast("dict[str, Any]", s).get("valueFrom", "")))
            for role, res in self.by_role.items():
                if role.startswith(f"{service}/") and res.attr("arn"):
                    arns.add(str(res.attr("arn")))
            granted[service] = arns
        return granted

    def _execution_role_policy(
        self, policy: TfResource, owner: str, granted: Mapping[str, set[str]]
    ) -> None:
        """An inline policy on an adopted execution role: the execution policy of the
        service whose reads it grants (named like it first). With per-service execution
        roles only the service owning the role can take it; a grant for another service
        goes with Terraform (that service's own role grants it)."""
        ordered = _grantees(policy, granted)
        grants = ordered[0] if ordered else None
        owners: list[str] = []
        if "{service}" in childmap.EXECUTION_ROLE:
            # Per-service execution roles: a policy can only stay on the role it is
            # on, so only the service owning that role takes it.
            owners = [
                s
                for s in childmap.TASK_SERVICES
                if role_for(childmap.EXECUTION_ROLE, service=s) == owner
            ]
            ordered = [s for s in ordered if s in owners][:1]
        placed = False
        for service in ordered:
            if self.assign(
                policy,
                role_for(childmap.EXECUTION_POLICY, service=service),
                f"inline policy on the execution role granting what the {service} reads",
            ):
                placed = True
                break
        if not placed and grants is not None and owners and grants not in owners:
            # A shared Terraform role is the first service's now: what it granted the
            # others, their own execution roles grant.
            self.part(
                policy,
                "superseded",
                f"grants what the {grants} reads, on the execution role the "
                f"{owners[0]} adopts: the {grants} gets an execution role of its own "
                f"({role_for(childmap.EXECUTION_ROLE, service=grants)}), so this policy "
                "goes with Terraform",
                grants,
            )
        elif not placed:
            self.part(
                policy,
                "superseded",
                "inline policy on an adopted role: the components grant with their own policies",
            )

    def _managed_policy_attachments(self, role_owner: Mapping[str, str]) -> None:
        """Attachments of managed policies to adopted roles, and the managed policies only
        they attach: superseded."""
        for attachment in self.free("aws_iam_role_policy_attachment"):
            if str(attachment.attr("role", "")) in role_owner:
                self.part(
                    attachment,
                    "superseded",
                    f"attaches {attachment.attr('policy_arn', 'a managed policy')} to an adopted "
                    "role: the components grant with their own least-privilege inline policies",
                )
        attached = {
            str(a.attr("policy_arn", ""))
            for a in self.of_type("aws_iam_role_policy_attachment")
            if a.address in self.parts
        }
        for policy in self.free("aws_iam_policy"):
            if policy.attr("arn") in attached:
                self.part(policy, "superseded", "managed policy attached only to adopted roles")

    # -- secrets ----------------------------------------------------------------------------
    def secrets(self) -> None:
        readers: dict[str, str] = {}  # secret ARN -> service
        for service, task in self.tasks.items():
            for c in containers(task):
                for s in cast("list[Any]", c.get("secrets") or []):
                    if isinstance(s, dict):
                        value_from = str(cast("dict[str, Any]", s).get("valueFrom", ""))
                        readers.setdefault(_secret_arn(value_from), service)
        for secret in self.free("aws_secretsmanager_secret"):
            service = readers.get(str(secret.attr("arn") or secret.id))
            if service is None:
                service = service_of_text(_text(secret))
                if service is None:
                    continue
            self.part(
                secret,
                "superseded",
                f"holds the {service}'s secret values: they move into the stack's secrets "
                "bundle (secrets.sh), the Terraform secret goes with Terraform",
                service,
            )
        known = _bundle_keys()
        for holder in self.free("aws_ssm_parameter", "aws_secretsmanager_secret"):
            # Named after one of the platform's secret keys, though no task definition of
            # the state reads it (/app/GATEWAY_JWT_SECRET): the platform's too.
            last = re.split(r"[/:]", str(holder.attr("name", "")))[-1]
            key = childmap.SECRET_KEY_ALIASES.get(last, last)
            if (
                key in known
                and not self.used_elsewhere(holder)
                and not (
                    readers.get(str(holder.attr("arn", "")))
                    or readers.get(str(holder.attr("name", "")))
                )
            ):
                self.part(
                    holder,
                    "superseded",
                    f"holds the platform's {key} (by its name): set it with secrets.sh or "
                    "`pulumi config set --secret`; the Terraform one goes with Terraform",
                )
        for parameter in self.free("aws_ssm_parameter"):
            service = readers.get(str(parameter.attr("arn", ""))) or readers.get(
                str(parameter.attr("name", ""))
            )
            if service is not None:
                self.part(
                    parameter,
                    "superseded",
                    f"holds a value the {service} reads: it moves into the stack's secrets "
                    "bundle (secrets.sh), the Terraform parameter goes with Terraform",
                    service,
                )
        superseded = {a for a, (p, _w, _s) in self.parts.items() if p == "superseded"}
        for version in self.free("aws_secretsmanager_secret_version"):
            if self.refs.references(version.address) & superseded:
                self.part(version, "superseded", "a version of a superseded secret")

    # -- security group rules ---------------------------------------------------------------
    def rules(self) -> None:
        sg_owner: dict[str, str] = {}  # group id -> owner ("lb", "redis", "postgres", service)
        for role, res in self.by_role.items():
            if res.type != "aws_security_group":
                continue
            for owner, template in childmap.SECURITY_GROUP.items():
                if owner == "service":
                    for service in childmap.TASK_SERVICES:
                        if role == role_for(template, service=service):
                            sg_owner[res.id] = service
                elif role == template:
                    sg_owner[res.id] = owner
        store_users = {"redis": _users_of("REDIS_URL"), "postgres": _users_of("DATABASE_URL")}
        routed = {r[len("lb/tg-") :] for r in self.by_role if r.startswith("lb/tg-")}
        https = "lb/https" in self.by_role
        leftovers: list[tuple[TfResource, str, str]] = []
        for rule in self.free(
            "aws_security_group_rule",
            "aws_vpc_security_group_ingress_rule",
            "aws_vpc_security_group_egress_rule",
        ):
            shapes = rule_shape(rule)
            if not shapes:
                continue
            group, direction, protocol, from_port, _to, source = shapes[0]
            owner = sg_owner.get(group)
            if owner is None:
                continue
            peer = sg_owner.get(source)
            if peer is None and source.startswith("sg-"):
                continue  # a rule for a group that is not ours: decided with the rest
            role: str | None = None
            what = ""
            if direction == "ingress":
                if owner in childmap.STORES and peer in store_users[owner]:
                    role = role_for(childmap.RULE["store-from-service"], store=owner, service=peer)
                    what = f"{owner} ingress from the {peer}"
                elif owner == "lb" and from_port in (80, 443) and source in ("0.0.0.0/0", "::/0"):
                    label = "http" if from_port == 80 else "https"
                    family = "ipv4" if source == "0.0.0.0/0" else "ipv6"
                    if label == "http" or https:
                        role = role_for(childmap.RULE["lb-ingress"], label=label, family=family)
                        what = f"load balancer {label.upper()} ingress ({family})"
                elif owner in childmap.TASK_SERVICES and peer == "lb" and owner in routed:
                    role = role_for(childmap.RULE["service-from-lb"], service=owner)
                    what = f"{owner} ingress from the load balancer"
            elif owner in childmap.TASK_SERVICES and source == "0.0.0.0/0" and protocol == "-1":
                role = role_for(childmap.RULE["service-egress"], service=owner)
                what = f"all egress of the {owner}"
            elif owner == "lb" and peer in routed:
                role = role_for(childmap.RULE["lb-to-service"], service=peer)
                what = f"load balancer egress to the {peer}"
            if role is None or not self.assign(rule, role, what):
                leftovers.append((rule, owner, direction))
        # A broader egress rule of the load balancer (all traffic, or all of the VPC) takes
        # the place of a component egress rule that nothing else took: AWS narrows it in place
        # (ModifySecurityGroupRules) to the service's port instead of deleting one rule and
        # creating another.
        free_egress = [
            role_for(childmap.RULE["lb-to-service"], service=s)
            for s in sorted(routed, key=childmap.SERVICE_ORDER.index)
            if role_for(childmap.RULE["lb-to-service"], service=s) not in self.by_role
        ]
        for rule, owner, direction in leftovers:
            if owner == "lb" and direction == "egress" and free_egress:
                role = free_egress.pop(0)
                self.assign(
                    rule,
                    role,
                    "a broader egress rule of the load balancer, narrowed in place to the "
                    f"{role.rsplit('to-', 1)[-1]}",
                )
                continue
            self.part(
                rule,
                "ours",
                f"a rule of the adopted {owner} security group that the components do not have",
            )

    # -- the rest ---------------------------------------------------------------------------
    def rest(self) -> None:
        """Resources with no role: the deployment's own or another application's.

        Ours: what the deployment uses (something of ours references it, transitively); an
        application-level resource (a service, task definition, security group, target
        group, repository, log group, role, store) named like the platform's that no other
        application uses; and the satellites (policies, attachments, capacity providers,
        defaults, ...) that reference ours and no other application. Everything else is
        another application's: sharing the VPC, the cluster, the load balancer or even the
        execution role with the platform does not make it ours."""
        ours = set(self.roles) | set(self.parts)
        unassigned = [
            r
            for r in self.state.resources
            if r.address not in self.roles and r.address not in self.parts
        ]
        grew = True
        while grew:  # what the deployment uses is ours, transitively
            grew = False
            for res in unassigned:
                if res.address in ours:
                    continue
                if self.refs.dependents(res.address) & ours or (
                    res.inline_of is not None and res.inline_of in ours and res.address in ours
                ):
                    self._ours(res, "used by the deployment, no component child plays this part")
                    ours.add(res.address)
                    grew = True
        apps = {
            r.address
            for r in unassigned
            if r.type in self._APP_TYPES_WIDE and r.address not in ours
        }
        for res in unassigned:
            if res.address not in apps or res.type in (
                "aws_ecs_service",
                "aws_ecs_task_definition",
            ):
                continue
            service = service_of_text(_words(_text(res)))
            named = service is not None and not self._part_taken(res, service)
            if named and self._plausibly_ours(res) and not self.refs.dependents(res.address) & apps:
                self.part(
                    res, "ours", "named like the platform's, no component child plays this part"
                )
                ours.add(res.address)
                apps.discard(res.address)
        for res in unassigned:
            if res.address in ours or res.address in apps:
                continue
            uses = self.refs.references(res.address)
            parent = res.inline_of
            mine = parent in ours if parent is not None else bool(uses & ours) and not uses & apps
            if mine:
                self._ours(res, "part of the deployment, no component child plays this part")
                ours.add(res.address)
        for res in unassigned:
            if res.address not in ours:
                self.part(
                    res,
                    "foreign",
                    "not ours: nothing of the platform's deployment uses it, and it belongs to "
                    "no part of it (sharing the network, cluster, load balancer or a role does "
                    "not make it the platform's)",
                )
        self._shared_roles(apps)

    def _ours(self, res: TfResource, why: str) -> None:
        """Mark ``res`` the deployment's own; a grant (policy, attachment) is superseded."""
        if res.type in _GRANTS:
            self.part(
                res,
                "superseded",
                "a grant of the deployment: the components grant with their own "
                "least-privilege inline policies",
            )
        else:
            self.part(res, "ours", why)

    _PART_OF_TYPE: Mapping[str, str] = MappingProxyType(
        {
            "aws_security_group": "{service}/sg",
            "aws_ecr_repository": "{service}/repo",
            "aws_cloudwatch_log_group": "{service}/logs",
            "aws_iam_role": "{service}/task-role",
            "aws_lb_target_group": "lb/tg-{service}",
            "aws_alb_target_group": "lb/tg-{service}",
        }
    )

    def _part_taken(self, res: TfResource, service: str) -> bool:
        """Whether the part a resource's name suggests is already played by another (then
        the name alone does not make it the platform's: ``pf-analytics-worker`` next to
        ``pf-worker``)."""
        template = self._PART_OF_TYPE.get(res.type)
        return template is not None and template.format(service=service) in self.by_role

    def _shared_roles(self, apps: set[str]) -> None:
        """A managed-policy attachment on an adopted role that other applications' tasks
        also use stays: detaching it would cut them off."""
        for address, (part, _why, service) in list(self.parts.items()):
            res = self.state.by_address(address)
            if part != "superseded" or res.type != "aws_iam_role_policy_attachment":
                continue
            role = _first(
                [r for r in self.of_type("aws_iam_role") if r.attr("name") == res.attr("role")]
            )
            if role is None:
                continue
            users = sorted(self.refs.dependents(role.address) & apps)
            if users:
                self.parts[address] = (
                    "kept",
                    f"kept with Terraform: other applications ({', '.join(users)}) run with "
                    f"{role.attr('name')} and need what this managed policy grants",
                    service,
                )

    def _plausibly_ours(self, res: TfResource) -> bool:
        vpc_id = res.attr("vpc_id")
        return self.vpc is None or vpc_id in (None, "", self.vpc.id)


_GRANTS = frozenset({"aws_iam_policy", "aws_iam_role_policy_attachment", "aws_iam_role_policy"})


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[-_./]+", name.lower()) if t]


def _common_prefix(names: list[list[str]]) -> list[str]:
    if len(names) < 2:
        return []
    out: list[str] = []
    for parts in zip(*names, strict=False):
        if len(set(parts)) != 1:
            break
        out.append(parts[0])
    return out


def _bundle_keys() -> frozenset[str]:
    from ..secrets import bundle_keys

    return frozenset(bundle_keys())


def _users_of(key: str) -> frozenset[str]:
    """The services whose containers get the secret ``key`` (as the stack admits them to a
    data store: LiteLLM gets ``DATABASE_URL`` from ``LITELLM_DATABASE_URL``)."""
    from ..platform import env_keys

    return frozenset(
        s
        for s in childmap.TASK_SERVICES
        if any(v.secret and v.env_name == key for v in env_keys(s))
    )


def _secret_arn(value_from: str) -> str:
    match = re.match(r"^(arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:[^:]+)", value_from)
    return match.group(1) if match else value_from


def _policy_resources(document: Any) -> list[str]:
    try:
        parsed: Any = json.loads(document) if isinstance(document, str) else document
    except json.JSONDecodeError:
        return []
    if not isinstance(parsed, dict):
        return []
    raw: Any = cast("dict[str, Any]", parsed).get("Statement", [])
    statements: list[Any] = [raw] if isinstance(raw, dict) else list(cast("list[Any]", raw))
    out: list[str] = []
    for st in statements:
        if not isinstance(st, dict):
            continue
        resources: Any = cast("dict[str, Any]", st).get("Resource", [])
        items: list[Any] = (
            list(cast("list[Any]", resources)) if isinstance(resources, list) else [resources]
        )
        out += [str(r) for r in items]
    return out


def _grantees(policy: TfResource, granted: Mapping[str, set[str]]) -> list[str]:
    """The services whose task definitions use what ``policy`` grants, in service order;
    the one it is named like first (and last, when it grants nothing a service uses)."""
    resources = _policy_resources(policy.attr("policy"))
    users = [
        s
        for s in childmap.SERVICE_ORDER
        if s in granted
        and any(any(g.startswith(r.rstrip("*")) for g in granted[s]) for r in resources if r != "*")
    ]
    named = service_of_text(_text(policy))
    return ([named] if named in users else []) + users + ([named] if named else [])


def terraform_roles(state: TfState, refs: References | None = None) -> list[RoleAssignment]:
    """The part every resource of ``state`` plays, in state order (see the module
    docstring). ``refs``: the state's references, when already built."""
    inference = _Inference(state, refs)
    inference.run()
    out: list[RoleAssignment] = []
    for res in state.resources:
        if res.address in inference.roles:
            role, why = inference.roles[res.address]
            out.append(
                RoleAssignment(
                    resource=res,
                    role=role,
                    why=why,
                    ambiguity=inference.ambiguity.get(res.address, ""),
                    service=role.split("/")[0]
                    if role.split("/")[0] in childmap.TASK_SERVICES
                    else None,
                )
            )
        else:
            part, why, service = inference.parts[res.address]
            out.append(RoleAssignment(resource=res, role=None, why=why, part=part, service=service))
    return out


def cidr_supernet(cidrs: Iterable[str]) -> str | None:
    """The /16 that holds every one of ``cidrs`` (``None`` when they span several)."""
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    if not nets:
        return None
    first = nets[0].supernet(new_prefix=16) if nets[0].prefixlen >= 16 else None
    if first is None or not all(n.subnet_of(first) for n in nets):  # type: ignore[arg-type]
        return None
    return str(first)
