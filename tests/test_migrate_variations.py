"""Generated variations of the spec's Terraform deployment (Hypothesis)."""

from __future__ import annotations

import ipaddress

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from migrate_fixtures.builder import TfDeployment, build_state
from migrate_fixtures.checks import replacement_mismatches

from proliferate_components.migrate import (
    IMPORT_FILE_SCHEMA,
    build_import_file,
    parse_state,
    plan_migration,
    terraform_roles,
)
from proliferate_components.sizing import FARGATE_CPU_MEMORY_MIB

NODE_TYPES = (
    "cache.t3.micro",
    "cache.t3.small",
    "cache.t4g.medium",
    "cache.r7g.large",
    "cache.m7g.xlarge",
)
SMALL_SIZES = [
    (cpu, mem) for cpu, mems in FARGATE_CPU_MEMORY_MIB.items() if cpu <= 4096 for mem in mems
]


@st.composite
def vpc_cidrs(draw: st.DrawFn) -> str:
    prefix = draw(st.integers(min_value=16, max_value=20))
    base = draw(st.sampled_from(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]))
    net = ipaddress.IPv4Network(base)
    if prefix < net.prefixlen:
        prefix = net.prefixlen
    index = draw(st.integers(min_value=0, max_value=2 ** (prefix - net.prefixlen) - 1))
    return str(
        list(net.subnets(new_prefix=prefix))[index]
        if prefix - net.prefixlen < 12
        else next(net.subnets(new_prefix=prefix))
    )


@st.composite
def deployments(draw: st.DrawFn) -> TfDeployment:
    worker = draw(st.sampled_from(SMALL_SIZES))
    proxy = draw(st.sampled_from(SMALL_SIZES))
    kind = draw(st.sampled_from(["cluster", "replication_group"]))
    return TfDeployment(
        vpc_cidr=draw(vpc_cidrs()),
        az_count=draw(st.integers(min_value=2, max_value=4)),
        subnet_layout=draw(st.sampled_from(["terraform", "component"])),
        nat_per_az=draw(st.booleans()),
        inline_routes=draw(st.booleans()),
        worker_cpu=worker[0],
        worker_memory=worker[1],
        llm_proxy_cpu=proxy[0],
        llm_proxy_memory=proxy[1],
        desired_count=draw(st.integers(min_value=1, max_value=4)),
        https=draw(st.booleans()),
        redis_kind=kind,  # type: ignore[arg-type]
        redis_node_type=draw(st.sampled_from(NODE_TYPES)),
        redis_engine_version=draw(st.sampled_from(["7.0", "7.1"])),
        redis_nodes=draw(st.integers(min_value=1, max_value=3))
        if kind == "replication_group"
        else 1,
        redis_encrypted=draw(st.booleans()),
        redis_snapshot_retention=draw(st.integers(min_value=0, max_value=35)),
        rule_style=draw(st.sampled_from(["standalone", "vpc"])),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deployments())
def test_roles_follow_the_wiring(d: TfDeployment) -> None:
    state = parse_state(build_state(d))
    roles = {a.resource.address: a.role for a in terraform_roles(state)}
    for i in range(d.az_count):
        assert roles[f"aws_subnet.public[{i}]"] == f"network/public-subnet-{i}"
        assert roles[f"aws_subnet.private[{i}]"] == f"network/private-subnet-{i}"
    nat_count = d.az_count if d.nat_per_az else 1
    for j in range(nat_count):
        assert roles[f"aws_nat_gateway.main[{j}]"] == f"network/nat-{j}"
        assert roles[f"aws_eip.nat[{j}]"] == f"network/nat-eip-{j}"
        assert roles[f"aws_route_table.private[{j}]"] == f"network/private-rt-{j}"
    assert roles["aws_ecs_service.llm_proxy"] == "llm-proxy/service"
    assert roles["aws_lb_target_group.llm_proxy"] == "lb/tg-llm-proxy"
    assert roles["aws_ecr_repository.worker"] == "worker/repo"
    assert roles["aws_cloudwatch_log_group.llm_proxy"] == "llm-proxy/logs"
    assert roles["aws_security_group.redis"] == "redis/sg"
    given_roles = [r for r in roles.values() if r is not None]
    assert len(given_roles) == len(set(given_roles))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deployments())
def test_plans_are_safe_for_any_variation(d: TfDeployment) -> None:
    state = parse_state(build_state(d))
    plan = plan_migration(state)
    config = plan.config.stack_config()
    assert config.vpc_cidr == d.vpc_cidr and config.az_count == d.az_count
    assert (config.worker_cpu, config.worker_memory_mib) == (d.worker_cpu, d.worker_memory)
    assert (config.llm_proxy_cpu, config.llm_proxy_memory_mib) == (
        d.llm_proxy_cpu,
        d.llm_proxy_memory,
    )
    assert config.redis_cache_node_type == d.redis_node_type
    assert config.enable_https is d.https
    if d.redis_snapshot_retention >= 1:
        assert config.redis_snapshot_retention_days == d.redis_snapshot_retention
    jsonschema.validate(build_import_file(plan), IMPORT_FILE_SCHEMA)
    assert replacement_mismatches(plan, plan.state) == []
    # The existing zones and subnet CIDRs are carried, whatever the layout: the network adopts.
    by_address = {r.address: r for r in plan.resources}
    assert by_address["aws_vpc.main"].adopted
    for i in range(d.az_count):
        assert by_address[f"aws_subnet.private[{i}]"].adopted
    # So do the named resources: their existing names are carried too.
    for address in ("aws_ecs_cluster.main", "aws_ecs_service.worker", "aws_lb.main"):
        assert by_address[address].adopted, (address, by_address[address].reason)
    # A standalone cache node never becomes a replication group; an unencrypted group is
    # replaced (encryption at rest forces it): both are refused, never adopted.
    store = (
        by_address.get("aws_elasticache_cluster.redis")
        or by_address["aws_elasticache_replication_group.redis"]
    )
    assert store.adopted is (d.redis_kind == "replication_group" and d.redis_encrypted)
