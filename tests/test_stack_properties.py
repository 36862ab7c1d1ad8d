"""Properties of the composed stack over generated valid configs (Hypothesis).

Every valid StackConfig yields a consistent stack: every child parented inside the stack,
every data store protected (unless protection is explicitly off), no security group open to
the internet except the load balancer's on 80/443, and Fargate sizes from the config.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proliferate_components.config import StackConfig
from proliferate_components.sizing import FARGATE_CPU_MEMORY_MIB
from proliferate_components.stack import ProliferateStack
from proliferate_components.testing import Capture, capture

DATA_STORES = {"aws:elasticache/replicationGroup:ReplicationGroup", "aws:rds/instance:Instance"}
OPEN = {"0.0.0.0/0", "::/0"}

_fargate = st.sampled_from(
    [(cpu, mem) for cpu, mems in FARGATE_CPU_MEMORY_MIB.items() if cpu <= 4096 for mem in mems[:3]]
)


@st.composite
def stack_configs(draw: st.DrawFn) -> StackConfig:
    worker, gateway, llm = draw(_fargate), draw(_fargate), draw(_fargate)
    overrides: dict[str, Any] = {
        "worker_cpu": worker[0],
        "worker_memory_mib": worker[1],
        "gateway_cpu": gateway[0],
        "gateway_memory_mib": gateway[1],
        "llm_proxy_cpu": llm[0],
        "llm_proxy_memory_mib": llm[1],
        "az_count": draw(st.integers(2, 4)),
        "nat_strategy": draw(st.sampled_from(["single", "one_per_az"])),
        "enable_rds": draw(st.booleans()),
        "enable_web": draw(st.booleans()),
        "protect_data_stores": draw(st.booleans()),
        "redis_engine": draw(st.sampled_from(["redis", "valkey"])),
        "vpc_cidr": draw(st.sampled_from(["10.0.0.0/16", "172.20.0.0/18", "10.8.0.0/20"])),
    }
    if draw(st.booleans()):
        overrides.update(enable_https=True, manage_dns=True, domain_name="app.example.com")
    profile = draw(st.sampled_from(["dev", "prod"]))
    return StackConfig.prod(**overrides) if profile == "prod" else StackConfig.dev(**overrides)


def _build(config: StackConfig) -> Capture:
    return capture(lambda: ProliferateStack("proliferate", config).export_outputs(), stack="prop")


def _public_ingress(cap: Capture) -> list[tuple[str, int, int]]:
    """(security group id, from port, to port) of every ingress open to the internet."""
    found: list[tuple[str, int, int]] = []
    for r in cap.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        if r.input("cidrIpv4") in OPEN or r.input("cidrIpv6") in OPEN:
            found.append(
                (r.input("securityGroupId"), int(r.input("fromPort")), int(r.input("toPort")))
            )
    for r in cap.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in r.input("ingress") or []:
            if OPEN & {*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])}:
                found.append((r.id, int(rule["fromPort"]), int(rule["toPort"])))
    return found


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stack_configs())
def test_every_valid_config_yields_a_consistent_stack(config: StackConfig) -> None:
    cap = _build(config)
    top = cap.one("proliferate:stack:ProliferateStack")
    urns = {r.urn for r in cap.resources}
    for r in cap.resources:
        if r is not top:
            assert r.parent in urns, f"{r.name} is not parented inside the stack"

    stores = [r for r in cap.resources if r.type in DATA_STORES]
    assert len(stores) == (2 if config.enable_rds else 1)
    for store in stores:
        assert bool(store.protect) is config.protect_data_stores, store.name

    alb_groups = {
        sg
        for lb in cap.of_type("aws:lb/loadBalancer:LoadBalancer")
        for sg in lb.input("securityGroups")
    }
    for group, low, high in _public_ingress(cap):
        assert group in alb_groups and (low, high) in {(80, 80), (443, 443)}, (group, low, high)

    services = {r.name: r for r in cap.of_type("aws:ecs/service:Service")}
    expected = {"worker", "gateway", "llm-proxy"} | ({"web"} if config.enable_web else set())
    assert {n.removeprefix("proliferate-").removesuffix("-service") for n in services} == expected
    for name in ("worker", "gateway", "llm-proxy"):
        task = cap.one("aws:ecs/taskDefinition:TaskDefinition", f"proliferate-{name}-task")
        sizing = config.service_sizing(name)
        assert (int(task.input("cpu")), int(task.input("memory"))) == (
            sizing.cpu,
            sizing.memory_mib,
        )

    for td in cap.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        for container in json.loads(td.input("containerDefinitions")):
            names = {e["name"] for e in container.get("environment", [])}
            assert not names & {"DATABASE_URL", "REDIS_URL", "BETTER_AUTH_SECRET"}, td.name
