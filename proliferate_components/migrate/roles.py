"""Roles: what part a resource plays in the deployment, on both sides of the migration.

A role is a short string ``<group>/<child>`` where ``<group>`` is the component that owns
the resource (``network``, ``lb``, ``redis``, ``execution``, a service such as ``worker``,
or ``stack`` for the stack's own children) and ``<child>`` the component's documented child
suffix (``vpc``, ``public-subnet-0``, ``repo``, ``replication-group``, ...).

- :func:`component_roles` reads the roles off a capture of ``ProliferateStack`` (the child
  names are the components' public contract: ``<component name>-<suffix>``), so nothing
  here hard-codes a URN or a full logical name.
- :func:`terraform_roles` infers the roles of a Terraform state's resources from how they
  are wired (which route table routes to the internet gateway, which task definition a
  service runs, which image repository and log group that task definition uses, which
  security group a rule opens to which, ...), falling back to names only to tell the
  services apart (``worker``, ``llm-proxy``, ``gateway``, ``web``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ..testing import Capture, Registration
from .tfstate import TfResource, TfState

__all__ = [
    "SERVICES",
    "ComponentChild",
    "RoleAssignment",
    "component_roles",
    "service_of_text",
    "terraform_roles",
]

SERVICES: tuple[str, ...] = ("worker", "llm-proxy", "gateway", "web")
"""The long-running services a Terraform deployment may have, as the stack names them."""

_SERVICE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("llm-proxy", re.compile(r"llm|litellm|proxy")),
    ("gateway", re.compile(r"gateway|gw\b|websocket")),
    ("worker", re.compile(r"worker|jobs|bullmq")),
    ("web", re.compile(r"\bweb|frontend|next|app\b")),
)


def service_of_text(text: str) -> str | None:
    """The service a Terraform name or address refers to (``llm_proxy`` -> ``llm-proxy``)."""
    lowered = text.lower().replace("_", "-")
    for service, pattern in _SERVICE_PATTERNS:
        if pattern.search(lowered):
            return service
    return None


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
    """The role inferred for one Terraform resource (``role`` is ``None`` when none fits)."""

    resource: TfResource
    """The Terraform resource instance."""
    role: str | None
    """``<group>/<child>``, or ``None``."""
    why: str
    """How the role was inferred, or why none fits."""


def _arn_tail(value: str) -> str:
    return value.rsplit("/", 1)[-1] if value else ""


def _containers(task: TfResource) -> list[Mapping[str, Any]]:
    raw = task.attr("container_definitions", "[]")
    try:
        parsed: Any = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return []
    if isinstance(parsed, list):
        return [c for c in cast("list[Any]", parsed) if isinstance(c, dict)]
    return []


def _first(items: Sequence[Any]) -> Any:
    return items[0] if items else None


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


def _subnet_tiers(
    subnets: Sequence[TfResource],
    associations: Sequence[TfResource],
    public_table_ids: set[str],
) -> dict[str, str]:
    """Subnet id -> ``public`` (associated with a route table to the internet gateway; with
    no such table, mapping public IPs on launch) or ``private``."""
    public_subnet_ids = {
        a.attr("subnet_id") for a in associations if a.attr("route_table_id") in public_table_ids
    }
    tiers: dict[str, str] = {}
    for s in subnets:
        public = s.id in public_subnet_ids or (
            not public_subnet_ids and bool(s.attr("map_public_ip_on_launch"))
        )
        tiers[s.id] = "public" if public else "private"
    return tiers


class _Inference:
    """Role inference over one Terraform state (see :func:`terraform_roles`)."""

    def __init__(self, state: TfState) -> None:
        self.state = state
        self.roles: dict[str, tuple[str, str]] = {}  # address -> (role, why)
        self.taken: set[str] = set()

    def assign(self, res: TfResource | None, role: str, why: str) -> None:
        if res is None or res.address in self.roles or role in self.taken:
            return
        self.roles[res.address] = (role, why)
        self.taken.add(role)

    def find(self, types: Sequence[str], **attrs: Any) -> list[TfResource]:
        found: list[TfResource] = []
        for r in self.state.of_type(*types):
            if all(r.attributes.get(k) == v for k, v in attrs.items()):
                found.append(r)
        return found

    def run(self) -> None:
        self.network()
        self.services()
        self.load_balancer()
        self.cache()
        self.rules()

    # -- network ----------------------------------------------------------------------------
    def network(self) -> None:
        vpcs = self.state.of_type("aws_vpc")
        subnets_all = self.state.of_type("aws_subnet")
        if not vpcs:
            return
        vpc = max(vpcs, key=lambda v: sum(1 for s in subnets_all if s.attr("vpc_id") == v.id))
        self.assign(vpc, "network/vpc", "the VPC that holds the subnets")
        subnets = [s for s in subnets_all if s.attr("vpc_id") == vpc.id]
        zones = sorted({str(s.attr("availability_zone", "")) for s in subnets})
        igws = self.find(["aws_internet_gateway"], vpc_id=vpc.id)
        igw = _first(igws)
        self.assign(igw, "network/igw", "the internet gateway attached to the VPC")
        igw_id = igw.id if igw is not None else None
        tables = self.find(["aws_route_table"], vpc_id=vpc.id)
        routes = self.state.of_type("aws_route")
        nats = [
            n
            for n in self.state.of_type("aws_nat_gateway")
            if n.attr("subnet_id") in {s.id for s in subnets}
        ]
        public_tables = [
            t
            for t in tables
            if any(r.get("gateway_id") == igw_id and igw_id for r in _default_routes(t, routes))
        ]
        associations = self.state.of_type("aws_route_table_association")
        public_table_ids = {t.id for t in public_tables}
        tiers = _subnet_tiers(subnets, associations, public_table_ids)
        self.subnets(subnets, zones, tiers)
        subnet_index = {s.id: zones.index(str(s.attr("availability_zone", ""))) for s in subnets}
        nat_index = self.nat_gateways(nats, tiers, subnet_index)
        for t in public_tables[:1]:
            self.assign(
                t, "network/public-rt", "route table with the default route to the internet gateway"
            )
        private_rt_index = self.private_route_tables(tables, routes, nat_index)
        self.routes(routes, public_table_ids, private_rt_index)
        for a in associations:
            subnet_id = str(a.attr("subnet_id", ""))
            if subnet_id not in subnet_index:
                continue
            i = subnet_index[subnet_id]
            self.assign(
                a,
                f"network/{tiers[subnet_id]}-rta-{i}",
                f"associates the {tiers[subnet_id]} subnet #{i}",
            )

    def subnets(self, subnets: list[TfResource], zones: list[str], tiers: dict[str, str]) -> None:
        """Public subnets, then private ones, each numbered by its zone."""
        for tier in ("public", "private"):
            for s in sorted(
                subnets, key=lambda x: (str(x.attr("availability_zone", "")), x.address)
            ):
                if tiers[s.id] != tier:
                    continue
                i = zones.index(str(s.attr("availability_zone", "")))
                self.assign(
                    s, f"network/{tier}-subnet-{i}", f"{tier} subnet in AZ #{i} ({zones[i]})"
                )

    def nat_gateways(
        self, nats: list[TfResource], tiers: dict[str, str], subnet_index: dict[str, int]
    ) -> dict[str, int]:
        """The NAT gateways in public subnets (in zone order) and their Elastic IPs; returns
        NAT gateway id -> its number."""
        public_nats = sorted(
            (n for n in nats if tiers.get(str(n.attr("subnet_id"))) == "public"),
            key=lambda n: (subnet_index.get(str(n.attr("subnet_id")), 99), n.address),
        )
        nat_index: dict[str, int] = {}
        for j, nat in enumerate(public_nats):
            nat_index[nat.id] = j
            self.assign(nat, f"network/nat-{j}", f"NAT gateway #{j} (in a public subnet)")
            eip = _first(
                [
                    e
                    for e in self.state.of_type("aws_eip")
                    if e.attr("allocation_id", e.id) == nat.attr("allocation_id")
                ]
            )
            self.assign(eip, f"network/nat-eip-{j}", f"the Elastic IP of NAT gateway #{j}")
        return nat_index

    def private_route_tables(
        self, tables: list[TfResource], routes: list[TfResource], nat_index: dict[str, int]
    ) -> dict[str, int]:
        """The route tables whose default route goes to a NAT gateway; returns table id ->
        that NAT gateway's number."""
        private_rt_index: dict[str, int] = {}
        for t in tables:
            for r in _default_routes(t, routes):
                nat_id = r.get("nat_gateway_id")
                if nat_id in nat_index:
                    j = nat_index[str(nat_id)]
                    self.assign(
                        t,
                        f"network/private-rt-{j}",
                        f"route table with the default route to NAT gateway #{j}",
                    )
                    private_rt_index[t.id] = j
        return private_rt_index

    def routes(
        self,
        routes: list[TfResource],
        public_table_ids: set[str],
        private_rt_index: dict[str, int],
    ) -> None:
        """The ``aws_route`` default routes: to the internet gateway, or to a NAT gateway."""
        for r in routes:
            if r.attr("destination_cidr_block") != "0.0.0.0/0":
                continue
            table_id = r.attr("route_table_id")
            if table_id in public_table_ids:
                self.assign(
                    r, "network/public-default-route", "default route to the internet gateway"
                )
            elif table_id in private_rt_index:
                j = private_rt_index[str(table_id)]
                self.assign(
                    r, f"network/private-default-route-{j}", f"default route to NAT gateway #{j}"
                )

    # -- services ---------------------------------------------------------------------------
    def services(self) -> None:
        clusters = self.state.of_type("aws_ecs_cluster")
        if clusters:
            self.assign(clusters[0], "stack/cluster", "the ECS cluster")
        tasks = self.state.of_type("aws_ecs_task_definition")
        execution_assigned = False
        for svc_res in self.state.of_type("aws_ecs_service"):
            service = service_of_text(f"{svc_res.attr('name', '')} {svc_res.address}")
            if service is None:
                continue
            self.assign(svc_res, f"{service}/service", f"ECS service named like the {service}")
            task_ref = str(svc_res.attr("task_definition", ""))
            task = _first(
                [
                    t
                    for t in tasks
                    if task_ref
                    and task_ref
                    in (t.attr("arn"), t.attr("family"), _arn_tail(str(t.attr("arn", ""))), t.id)
                ]
            )
            if task is None:
                task = _first(
                    [
                        t
                        for t in tasks
                        if service_of_text(f"{t.attr('family', '')} {t.address}") == service
                    ]
                )
            self._service_children(service, svc_res, task)
            if task is not None and not execution_assigned:
                role = self._role_by_arn(str(task.attr("execution_role_arn", "")))
                if role is not None:
                    self.assign(
                        role, "execution/role", "the execution role of the task definitions"
                    )
                    execution_assigned = True
        # Standalone task definitions (e.g. a migrations task) of services with no ECS service.
        for t in tasks:
            service = service_of_text(f"{t.attr('family', '')} {t.address}")
            if service is not None:
                self.assign(t, f"{service}/task", f"task definition of the {service}")

    def _role_by_arn(self, arn: str) -> TfResource | None:
        if not arn:
            return None
        return _first([r for r in self.state.of_type("aws_iam_role") if r.attr("arn") == arn])

    def _service_children(self, service: str, svc_res: TfResource, task: TfResource | None) -> None:
        network = svc_res.block("network_configuration")
        sgs = cast("list[Any]", network.get("security_groups") or [])
        if sgs:
            sg = _first([g for g in self.state.of_type("aws_security_group") if g.id in sgs])
            self.assign(sg, f"{service}/sg", f"security group of the {service} service")
        lb = svc_res.block("load_balancer")
        tg_arn = lb.get("target_group_arn")
        if tg_arn:
            tg = _first(
                [
                    t
                    for t in self.state.of_type("aws_lb_target_group", "aws_alb_target_group")
                    if t.attr("arn") == tg_arn
                ]
            )
            self.assign(tg, f"lb/tg-{service}", f"target group of the {service} service")
        if task is None:
            return
        self.assign(task, f"{service}/task", f"task definition run by the {service} service")
        task_role = self._role_by_arn(str(task.attr("task_role_arn", "")))
        if task_role is not None and task_role.attr("arn") != task.attr("execution_role_arn"):
            self.assign(task_role, f"{service}/task-role", f"task role of the {service}")
        containers = _containers(task)
        container: Mapping[str, Any] = containers[0] if containers else {}
        image = str(container.get("image", ""))
        repos = self.state.of_type("aws_ecr_repository")
        repo = _first(
            [
                r
                for r in repos
                if r.attr("repository_url") and image.startswith(str(r.attr("repository_url")))
            ]
        ) or _first(
            [r for r in repos if service_of_text(f"{r.attr('name', '')} {r.address}") == service]
        )
        if repo is not None:
            self.assign(repo, f"{service}/repo", f"image repository of the {service}")
            policy = _first(
                [
                    p
                    for p in self.state.of_type("aws_ecr_lifecycle_policy")
                    if p.attr("repository") == repo.attr("name")
                ]
            )
            self.assign(
                policy, f"{service}/repo-lifecycle", f"lifecycle policy of the {service} repository"
            )
        log_config = cast("Mapping[str, Any]", container.get("logConfiguration") or {})
        options = cast("Mapping[str, Any]", log_config.get("options") or {})
        group_name = options.get("awslogs-group")
        group = _first(
            [
                g
                for g in self.state.of_type("aws_cloudwatch_log_group")
                if group_name and g.attr("name") == group_name
            ]
        )
        self.assign(group, f"{service}/logs", f"log group of the {service} containers")

    # -- load balancer ----------------------------------------------------------------------
    def load_balancer(self) -> None:
        lbs = [
            r
            for r in self.state.of_type("aws_lb", "aws_alb")
            if r.attr("load_balancer_type", "application") == "application"
        ]
        if not lbs:
            return
        lb = lbs[0]
        self.assign(lb, "lb/alb", "the application load balancer")
        sg_ids = cast("list[Any]", lb.attr("security_groups", []))
        sg = _first([g for g in self.state.of_type("aws_security_group") if g.id in sg_ids])
        self.assign(sg, "lb/sg", "security group of the load balancer")
        for listener in self.state.of_type("aws_lb_listener", "aws_alb_listener"):
            if listener.attr("load_balancer_arn") != lb.attr("arn"):
                continue
            port = int(listener.attr("port", 0))
            if port == 80:
                self.assign(listener, "lb/http", "listener on port 80")
            elif port == 443:
                self.assign(listener, "lb/https", "listener on port 443")

    # -- cache ------------------------------------------------------------------------------
    def cache(self) -> None:
        groups = self.state.of_type("aws_elasticache_replication_group")
        clusters = [
            c
            for c in self.state.of_type("aws_elasticache_cluster")
            if not c.attr("replication_group_id")
        ]
        store = _first(groups) or _first(clusters)
        if store is None:
            return
        what = (
            "replication group"
            if store.type.endswith("replication_group")
            else "single cache cluster"
        )
        self.assign(store, "redis/replication-group", f"the Redis {what}")
        pg = _first(
            [
                p
                for p in self.state.of_type("aws_elasticache_parameter_group")
                if p.attr("name") == store.attr("parameter_group_name")
            ]
        )
        self.assign(pg, "redis/params", "parameter group of the Redis store")
        sn = _first(
            [
                p
                for p in self.state.of_type("aws_elasticache_subnet_group")
                if p.attr("name") == store.attr("subnet_group_name")
            ]
        )
        self.assign(sn, "redis/subnets", "subnet group of the Redis store")
        sg_ids = cast("list[Any]", store.attr("security_group_ids", []))
        sg = _first([g for g in self.state.of_type("aws_security_group") if g.id in sg_ids])
        self.assign(sg, "redis/sg", "security group of the Redis store")

    # -- security group rules ---------------------------------------------------------------
    def rules(self) -> None:
        sg_role = {
            r.id: role.split("/")[0]
            for addr, (role, _why) in self.roles.items()
            for r in [self.state.by_address(addr)]
            if role.endswith("/sg")
        }
        for rule in self.state.of_type(
            "aws_security_group_rule",
            "aws_vpc_security_group_ingress_rule",
            "aws_vpc_security_group_egress_rule",
        ):
            direction, on, port, source, cidr = _rule_shape(rule)
            owner = sg_role.get(on)
            if owner is None:
                continue
            peer = sg_role.get(source or "")
            if direction == "ingress":
                if owner == "redis" and peer in SERVICES:
                    self.assign(rule, f"stack/redis-from-{peer}", f"Redis ingress from the {peer}")
                elif owner == "lb" and port in (80, 443) and cidr in ("0.0.0.0/0", "::/0"):
                    label = "http" if port == 80 else "https"
                    family = "ipv4" if cidr == "0.0.0.0/0" else "ipv6"
                    self.assign(
                        rule,
                        f"lb/{label}-{family}",
                        f"load balancer {label.upper()} ingress ({family})",
                    )
                elif owner in SERVICES and peer == "lb":
                    self.assign(
                        rule, f"{owner}/ingress-0", f"{owner} ingress from the load balancer"
                    )
            elif owner in SERVICES and cidr == "0.0.0.0/0" and port is None:
                self.assign(rule, f"{owner}/egress", f"all egress of the {owner}")
            elif owner == "lb" and peer in SERVICES:
                self.assign(rule, f"lb/to-{peer}", f"load balancer egress to the {peer}")


def _rule_shape(rule: TfResource) -> tuple[str, str, int | None, str | None, str | None]:
    """(direction, security group, port or None for all, source SG, CIDR) of a rule."""
    if rule.type == "aws_security_group_rule":
        direction = str(rule.attr("type", ""))
        protocol = str(rule.attr("protocol", ""))
        cidrs = cast("list[Any]", rule.attr("cidr_blocks", [])) or cast(
            "list[Any]", rule.attr("ipv6_cidr_blocks", [])
        )
        source = rule.attr("source_security_group_id")
        port = None if protocol in ("-1", "all") else int(rule.attr("from_port", 0))
        return direction, str(rule.attr("security_group_id", "")), port, source, _first(cidrs)
    direction = "ingress" if rule.type.endswith("ingress_rule") else "egress"
    protocol = str(rule.attr("ip_protocol", ""))
    port = None if protocol in ("-1", "all") else int(rule.attr("from_port", 0) or 0)
    cidr = rule.attr("cidr_ipv4") or rule.attr("cidr_ipv6")
    return (
        direction,
        str(rule.attr("security_group_id", "")),
        port,
        rule.attr("referenced_security_group_id"),
        cidr,
    )


def terraform_roles(state: TfState) -> list[RoleAssignment]:
    """The role of every resource of ``state`` (``role=None`` where none fits), in state order."""
    inference = _Inference(state)
    inference.run()
    out: list[RoleAssignment] = []
    for res in state.resources:
        if res.address in inference.roles:
            role, why = inference.roles[res.address]
            out.append(RoleAssignment(resource=res, role=role, why=why))
        else:
            out.append(
                RoleAssignment(resource=res, role=None, why="no component child plays this part")
            )
    return out
