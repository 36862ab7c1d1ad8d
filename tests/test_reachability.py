"""Network reachability of the composed stack, computed from the registered security groups.

Nothing here trusts names or the components' own description of themselves: the graph is
built from what the program registered (security groups, their inline rules, standalone
ingress rules of both the ``vpc`` and the older ``ec2`` kind) and which resources use which
security group (load balancer, ECS services, ElastiCache, RDS). The assertions are the
spec's network rules:

- from the internet (any CIDR), only 80/443 on the load balancer's security group is open;
- each service is reachable only from the load balancer, on its container port;
- the worker is reachable from nothing;
- Redis and PostgreSQL are reachable only from the services' security groups, on their port.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from proliferate_components.config import DEV_PRESET, PROD_PRESET
from proliferate_components.testing import Capture, Registration, capture_project

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "proliferate"

SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EC2_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
LB = "aws:lb/loadBalancer:LoadBalancer"
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
RDS = "aws:rds/instance:Instance"

ALL_PORTS = (0, 65535)


@dataclass(frozen=True)
class Ingress:
    """One way in: traffic from ``source`` to security group ``target`` on ``ports``."""

    target: str
    """Security group id admitting the traffic."""
    source: str
    """A CIDR (``0.0.0.0/0``, ``::/0``, ``10.0.0.0/16`` ...) or a security group id."""
    ports: tuple[int, int]
    """Inclusive TCP/UDP port range (``ALL_PORTS`` for protocol -1)."""
    rule: str
    """Name of the registration that declared it."""

    @property
    def from_cidr(self) -> bool:
        return not self.source.startswith("sg-")


def _ports(protocol: Any, from_port: Any, to_port: Any) -> tuple[int, int]:
    if str(protocol) in ("-1", "all"):
        return ALL_PORTS
    return (int(from_port), int(to_port))


def ingress_edges(cap: Capture) -> list[Ingress]:
    """Every ingress permission the program declared, in any of AWS's three spellings."""
    edges: list[Ingress] = []
    for sg in cap.of_type(SG) + cap.of_type(DEFAULT_SG):
        for rule in sg.input("ingress") or []:
            ports = _ports(rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"))
            sources = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
            sources += list(rule.get("securityGroups") or [])
            if rule.get("self"):
                sources.append(sg.id)
            edges += [Ingress(sg.id, s, ports, sg.name) for s in sources]
    for rule in cap.of_type(VPC_INGRESS):
        ports = _ports(rule.input("ipProtocol"), rule.input("fromPort"), rule.input("toPort"))
        source = (
            rule.input("cidrIpv4")
            or rule.input("cidrIpv6")
            or rule.input("referencedSecurityGroupId")
            or rule.input("prefixListId")
        )
        assert source, f"{rule.name} has no source"
        edges.append(Ingress(rule.input("securityGroupId"), source, ports, rule.name))
    for rule in cap.of_type(EC2_RULE):
        if rule.input("type") != "ingress":
            continue
        ports = _ports(rule.input("protocol"), rule.input("fromPort"), rule.input("toPort"))
        target = rule.input("securityGroupId")
        sources = [*(rule.input("cidrBlocks") or []), *(rule.input("ipv6CidrBlocks") or [])]
        if rule.input("sourceSecurityGroupId"):
            sources.append(rule.input("sourceSecurityGroupId"))
        if rule.input("self"):
            sources.append(target)
        edges += [Ingress(target, s, ports, rule.name) for s in sources]
    return edges


def _ids(value: Iterable[Any] | None) -> set[str]:
    return {str(v) for v in value or []}


@dataclass(frozen=True)
class Topology:
    """Which security groups belong to what, read from the resources that use them."""

    load_balancer: set[str]
    services: Mapping[str, set[str]]
    """ECS service name -> its security groups."""
    service_ports: Mapping[str, set[int]]
    """ECS service name -> container ports it exposes through a load balancer."""
    redis: set[str]
    postgres: set[str]
    task_sgs: set[str]
    """Every security group attached to ECS tasks (services and the migrations runner)."""


def topology(cap: Capture) -> Topology:
    (lb,) = cap.of_type(LB)
    services: dict[str, set[str]] = {}
    ports: dict[str, set[int]] = {}
    for svc in cap.of_type(ECS_SERVICE):
        network = svc.input("networkConfiguration") or {}
        assert network.get("assignPublicIp") in (None, False), f"{svc.name} has a public IP"
        services[svc.name] = _ids(network.get("securityGroups"))
        ports[svc.name] = {int(lb_["containerPort"]) for lb_ in svc.input("loadBalancers") or []}
    redis = set().union(*(_ids(r.input("securityGroupIds")) for r in cap.of_type(REDIS)))
    postgres = set().union(*(_ids(r.input("vpcSecurityGroupIds")) for r in cap.of_type(RDS)))
    task_sgs = set().union(*services.values()) | _ids(cap.output("migrationsSecurityGroupIds"))
    return Topology(
        load_balancer=_ids(lb.input("securityGroups")),
        services=services,
        service_ports=ports,
        redis=redis,
        postgres=postgres,
        task_sgs=task_sgs,
    )


def reachable_from_internet(edges: list[Ingress]) -> set[str]:
    """Security groups reachable from the internet, directly or through reachable groups."""
    reached = {e.target for e in edges if e.from_cidr and e.source in ("0.0.0.0/0", "::/0")}
    frontier = set(reached)
    while frontier:
        nxt = {e.target for e in edges if e.source in frontier} - reached
        reached |= nxt
        frontier = nxt
    return reached


@functools.cache
def _capture(preset: str, **extra: str) -> Capture:
    base = dict(DEV_PRESET if preset == "dev" else PROD_PRESET)
    return capture_project(EXAMPLE, config={**base, **extra}, stack=preset)


CASES = {
    "dev": {},
    "prod": {},
    "prod-web": {"proliferate:enableWeb": "true"},
    "dev-web-external-db": {"proliferate:enableWeb": "true", "proliferate:enableRds": "false"},
    "prod-managed-dns": {
        "proliferate:manageDns": "true",
        "proliferate:certificateArn": "",
        "proliferate:enableWeb": "true",
    },
}


def _case(case: str) -> Capture:
    preset = "prod" if case.startswith("prod") else "dev"
    return _capture(preset, **CASES[case])


@pytest.mark.parametrize("case", sorted(CASES))
def test_only_80_and_443_on_the_load_balancer_face_the_internet(case: str) -> None:
    cap = _case(case)
    edges = ingress_edges(cap)
    topo = topology(cap)
    https = any(r.input("port") == 443 for r in cap.of_type("aws:lb/listener:Listener"))
    from_cidrs = [e for e in edges if e.from_cidr]
    assert from_cidrs, "the load balancer must be reachable from somewhere"
    for edge in from_cidrs:
        assert edge.target in topo.load_balancer, (
            f"{edge.rule}: CIDR {edge.source} into {edge.target}"
        )
        assert edge.ports in ((80, 80), (443, 443)), f"{edge.rule}: ports {edge.ports}"
    open_ports = {e.ports for e in from_cidrs if e.source in ("0.0.0.0/0", "::/0")}
    assert open_ports == ({(80, 80), (443, 443)} if https else {(80, 80)})
    assert {e.source for e in from_cidrs} == {"0.0.0.0/0", "::/0"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_services_only_from_the_load_balancer_on_their_port_and_worker_from_nothing(
    case: str,
) -> None:
    cap = _case(case)
    edges = ingress_edges(cap)
    topo = topology(cap)
    assert sorted(topo.services)[-1] == "proliferate-worker-service", sorted(topo.services)
    assert topo.service_ports["proliferate-worker-service"] == set()
    # The migrations runner is a task definition without an ECS service: from nothing either.
    assert not [name for name in topo.services if "migrations" in name], sorted(topo.services)
    migrations = _ids(cap.output("migrationsSecurityGroupIds"))
    assert migrations, "no migrations security group exported"
    assert [e for e in edges if e.target in migrations] == [], "the migrations task is reachable"
    for name, sgs in topo.services.items():
        into = [e for e in edges if e.target in sgs]
        if not topo.service_ports[name]:
            # Not behind the load balancer (worker, migrations): reachable from nothing.
            assert into == [], f"{name} is reachable: {into}"
            continue
        assert into, f"{name} is reachable from nothing but sits behind the load balancer"
        for edge in into:
            assert edge.source in topo.load_balancer, f"{name}: {edge.rule} from {edge.source}"
            assert edge.ports[0] == edge.ports[1] and edge.ports[0] in topo.service_ports[name], (
                f"{name}: {edge.rule} opens {edge.ports}, container ports {topo.service_ports[name]}"
            )
    # Services do not share security groups (each opens only its own port).
    seen: list[str] = [sg for sgs in topo.services.values() for sg in sgs]
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("case", sorted(CASES))
def test_data_stores_only_from_task_security_groups(case: str) -> None:
    cap = _case(case)
    edges = ingress_edges(cap)
    topo = topology(cap)
    assert topo.redis, "Redis has no security group"
    stores = [("redis", topo.redis, 6379)]
    if cap.of_type(RDS):
        stores.append(("postgres", topo.postgres, 5432))
    for label, sgs, port in stores:
        into = [e for e in edges if e.target in sgs]
        assert into, f"{label} is reachable from nothing"
        for edge in into:
            assert edge.source in topo.task_sgs, f"{label}: {edge.rule} from {edge.source}"
            assert edge.ports == (port, port), f"{label}: {edge.rule} opens {edge.ports}"
        assert not (sgs & topo.load_balancer)
    # Redis is used by the worker (BullMQ): its tasks must be admitted.
    worker_sgs = topo.services["proliferate-worker-service"]
    assert any(e.source in worker_sgs for e in edges if e.target in topo.redis)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_worker_is_not_reachable_even_transitively(case: str) -> None:
    cap = _case(case)
    topo = topology(cap)
    reached = reachable_from_internet(ingress_edges(cap))
    worker_sgs = topo.services["proliferate-worker-service"]
    assert not (reached & worker_sgs)
    assert topo.load_balancer <= reached


def test_the_graph_sees_an_opening_the_stack_must_not_have() -> None:
    """The analysis is not vacuous: an extra rule opening Redis to the VPC is reported."""
    cap = _case("dev")
    topo = topology(cap)
    (redis_sg,) = topo.redis
    fake = Registration(
        urn="urn:fake",
        type=VPC_INGRESS,
        name="oops",
        parent="",
        custom=True,
        remote=False,
        protect=None,
        dependencies=(),
        property_dependencies={},
        provider="",
        delete_before_replace=False,
        ignore_changes=(),
        replace_on_changes=(),
        retain_on_delete=None,
        aliases=(),
        import_id="",
        inputs={
            "securityGroupId": redis_sg,
            "cidrIpv4": "0.0.0.0/0",
            "ipProtocol": "tcp",
            "fromPort": 6379,
            "toPort": 6379,
        },
    )
    tampered = Capture(cap.project, cap.stack, cap.config, [*cap.resources, fake], cap.outputs)
    edges = ingress_edges(tampered)
    bad = [e for e in edges if e.from_cidr and e.target not in topology(tampered).load_balancer]
    assert [e.rule for e in bad] == ["oops"]
    assert redis_sg in reachable_from_internet(edges)


def test_container_ports_match_the_target_groups() -> None:
    cap = _case("prod-web")
    target_groups = {tg.outputs["arn"]: tg for tg in cap.of_type("aws:lb/targetGroup:TargetGroup")}
    for svc in cap.of_type(ECS_SERVICE):
        for attachment in svc.input("loadBalancers") or []:
            tg = target_groups[attachment["targetGroupArn"]]
            assert tg.input("port") == attachment["containerPort"]
            assert tg.input("targetType") == "ip"
            task = next(
                t for t in cap.of_type(TASK_DEF) if t.outputs["arn"] == svc.input("taskDefinition")
            )
            containers = json.loads(task.input("containerDefinitions"))
            ports = {m["containerPort"] for c in containers for m in c.get("portMappings", [])}
            assert attachment["containerPort"] in ports
