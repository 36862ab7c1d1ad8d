"""RedisCache: the inputs ElastiCache would receive, protection, secrets and validation."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pulumi
import pytest
from data_tier_fixtures import SOURCES, SUBNETS, VPC, assert_no_churn, rejected
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pulumi.runtime import rpc

from proliferate_components.cache import (
    DEFAULT_ENGINE_VERSIONS,
    ENGINE_FAMILIES,
    FORCES_REPLACEMENT,
    RedisCache,
    RedisCacheArgs,
    parameter_group_family,
)
from proliferate_components.errors import ConfigError
from proliferate_components.testing import Capture, capture, unwrap

T_CACHE = "proliferate:cache:RedisCache"
T_RG = "aws:elasticache/replicationGroup:ReplicationGroup"
T_PG = "aws:elasticache/parameterGroup:ParameterGroup"
T_SNG = "aws:elasticache/subnetGroup:SubnetGroup"
T_SG = "aws:ec2/securityGroup:SecurityGroup"
T_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
T_PW = "random:index/randomPassword:RandomPassword"

URL_RE = re.compile(
    r"^rediss://:(?P<token>[A-Za-z0-9]{16,128})@(?P<host>[a-z0-9.-]+):(?P<port>[0-9]+)$"
)


def make_args(**overrides: Any) -> RedisCacheArgs:
    base: dict[str, Any] = {
        "vpc_id": VPC,
        "subnet_ids": SUBNETS,
        "allowed_security_group_ids": SOURCES,
    }
    return RedisCacheArgs(**{**base, **overrides})


def run(args: RedisCacheArgs | None = None, name: str = "cache", **kwargs: Any) -> Capture:
    def program() -> None:
        cache = RedisCache(name, args or make_args())
        pulumi.export("redis_url", cache.redis_url)
        pulumi.export("auth_token", cache.auth_token)
        pulumi.export("primary_endpoint", cache.primary_endpoint)
        pulumi.export("port", cache.port)
        pulumi.export("security_group_id", cache.security_group_id)
        pulumi.export("replication_group_id", cache.replication_group_id)

    return capture(program, **kwargs)


def test_parameter_group_is_noeviction_of_the_matching_family() -> None:
    cap = run()
    pg = cap.one(T_PG, "cache-params")
    assert pg.input("family") == "redis7"
    assert pg.input("parameters") == [{"name": "maxmemory-policy", "value": "noeviction"}]
    assert "redis7" in pg.input("name")
    rg = cap.one(T_RG)
    assert rg.input("parameterGroupName") == pg.input("name")
    assert rg.input("engine") == "redis"
    assert rg.input("engineVersion") == DEFAULT_ENGINE_VERSIONS["redis"] == "7.1"


@pytest.mark.parametrize(("engine", "version"), sorted(ENGINE_FAMILIES))
def test_every_engine_version_gets_its_family(engine: str, version: str) -> None:
    cap = run(make_args(engine=engine, engine_version=version))
    pg = cap.one(T_PG)
    family = ENGINE_FAMILIES[(engine, version)]
    assert pg.input("family") == family
    assert pg.input("name").endswith(f"-{family}")
    rg = cap.one(T_RG)
    assert (rg.input("engine"), rg.input("engineVersion")) == (engine, version)


def test_a_family_change_gives_the_parameter_group_a_new_name() -> None:
    # A new physical name is what lets Pulumi create the new group before deleting the old.
    redis = run().one(T_PG)
    valkey = run(make_args(engine="valkey")).one(T_PG)
    assert valkey.input("family") == "valkey8"
    assert redis.name == valkey.name == "cache-params", "logical name is stable"
    assert redis.input("name") != valkey.input("name")
    same_family = run(make_args(engine_version="7.0")).one(T_PG)
    assert same_family.input("name") == redis.input("name"), "same family keeps the group"


def test_security_group_admits_the_port_only_from_the_allowed_groups() -> None:
    cap = run()
    sg = cap.one(T_SG, "cache-sg")
    assert sg.input("vpcId") == VPC
    assert not sg.input("ingress") and not sg.input("egress"), "no inline rules"
    rules = cap.of_type(T_RULE)
    assert sorted(r.input("referencedSecurityGroupId") for r in rules) == sorted(SOURCES)
    for rule in rules:
        assert rule.input("securityGroupId") == sg.id
        assert rule.input("ipProtocol") == "tcp"
        assert rule.input("fromPort") == rule.input("toPort") == 6379
        for cidr_key in ("cidrIpv4", "cidrIpv6", "prefixListId"):
            assert rule.input(cidr_key) is None
    assert [r.name for r in sorted(rules, key=lambda r: r.name)] == [
        "cache-ingress-0",
        "cache-ingress-1",
    ]
    assert not cap.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert not cap.of_type("aws:ec2/securityGroupRule:SecurityGroupRule")
    assert cap.one(T_RG).input("securityGroupIds") == [sg.id]
    assert cap.output("security_group_id") == sg.id


def test_custom_port_is_used_everywhere() -> None:
    cap = run(make_args(port=6380))
    assert cap.one(T_RG).input("port") == 6380
    assert {r.input("fromPort") for r in cap.of_type(T_RULE)} == {6380}
    assert cap.output("port") == 6380
    assert cap.output("redis_url").endswith(":6380")


def test_no_allowed_groups_means_no_ingress_at_all() -> None:
    cap = run(make_args(allowed_security_group_ids=[]))
    assert not cap.of_type(T_RULE)


def test_replication_group_is_encrypted_highly_available_and_protected() -> None:
    cap = run()
    rg = cap.one(T_RG, "cache-replication-group")
    assert rg.protect is True
    assert rg.input("atRestEncryptionEnabled") is True
    assert rg.input("transitEncryptionEnabled") is True
    assert rg.input("numCacheClusters") == 2
    assert rg.input("automaticFailoverEnabled") is True
    assert rg.input("multiAzEnabled") is True
    assert rg.input("clusterMode") == "disabled", "BullMQ needs a non-cluster endpoint"
    assert rg.input("nodeType") == "cache.t3.micro"
    assert rg.input("applyImmediately") is False
    assert rg.input("description")
    sng = cap.one(T_SNG, "cache-subnets")
    assert sng.input("subnetIds") == SUBNETS
    assert rg.input("subnetGroupName") == sng.input("name")


def test_snapshots_and_windows() -> None:
    rg = run().one(T_RG)
    assert rg.input("snapshotRetentionLimit") == 1
    assert rg.input("snapshotWindow") == "03:00-04:00"
    assert rg.input("maintenanceWindow") == "sun:05:00-sun:06:00"
    assert rg.input("replicationGroupId") == "cache-dev"
    assert rg.input("finalSnapshotIdentifier") == "cache-dev-final"
    prod = run(make_args(snapshot_retention_days=7), stack="prod").one(T_RG)
    assert prod.input("snapshotRetentionLimit") == 7
    assert prod.input("replicationGroupId") == "cache-prod"
    assert prod.input("finalSnapshotIdentifier") == "cache-prod-final"


def test_explicit_replication_group_id_names_everything_derived() -> None:
    cap = run(make_args(replication_group_id="queues"))
    assert cap.one(T_RG).input("replicationGroupId") == "queues"
    assert cap.one(T_RG).input("finalSnapshotIdentifier") == "queues-final"
    assert cap.one(T_PG).input("name") == "queues-redis7"
    assert cap.one(T_SNG).input("name") == "queues-subnets"
    assert cap.output("replication_group_id") == "queues"


def test_long_names_fit_elasticache_limits_and_stay_distinct() -> None:
    a = (
        run(name="a-very-long-component-name-for-the-bullmq-cache-one")
        .one(T_RG)
        .input("replicationGroupId")
    )
    b = (
        run(name="a-very-long-component-name-for-the-bullmq-cache-two")
        .one(T_RG)
        .input("replicationGroupId")
    )
    for gid in (a, b):
        assert len(gid) <= 40
        assert re.fullmatch(r"[a-z][a-z0-9-]*[a-z0-9]", gid) and "--" not in gid
    assert a != b


def test_protect_false_is_the_explicit_opt_out() -> None:
    cap = run(make_args(protect=False))
    assert cap.one(T_RG).protect is False
    assert cap.one(T_PW).protect is False  # the same escape hatch for its credential


def test_the_data_store_and_its_token_are_protected_and_all_children_are_parented() -> None:
    cap = run()
    component = cap.one(T_CACHE, "cache")
    children = [r for r in cap.resources if r.urn != component.urn]
    assert {r.type for r in children} == {T_RG, T_PG, T_SNG, T_SG, T_RULE, T_PW}
    for child in children:
        assert child.parent == component.urn, child.name
        assert child.name.startswith("cache-")
        # a new AUTH token is a new credential for the running cache: protected too
        assert (child.protect is True) == (child.type in (T_RG, T_PW)), child.name


def test_auth_token_and_url_are_secret_and_well_formed() -> None:
    cap = run()
    pw = cap.one(T_PW, "cache-auth-token")
    assert 16 <= pw.input("length") <= 128
    assert pw.input("special") is False, 'no / " @ in an AUTH token that sits in a URL'
    rg = cap.one(T_RG)
    assert rg.is_secret("authToken")
    token = rg.input("authToken")
    assert token == unwrap(pw.outputs["result"])
    for key in ("redis_url", "auth_token"):
        assert rpc.is_rpc_secret(cap.outputs[key]), key
    url = cap.output("redis_url")
    match = URL_RE.match(url)
    assert match, url
    assert match["token"] == token == cap.output("auth_token")
    assert match["host"] == cap.output("primary_endpoint") == rg.outputs["primaryEndpointAddress"]
    assert int(match["port"]) == 6379
    assert not rpc.is_rpc_secret(cap.outputs["primary_endpoint"])


def test_single_node_needs_the_explicit_opt_out() -> None:
    error, cap = rejected(lambda: RedisCache("cache", make_args(num_cache_clusters=1)))
    assert error.key == "RedisCacheArgs.num_cache_clusters"
    assert "allow_single_node" in str(error)
    assert cap.resources == []
    rg = run(make_args(num_cache_clusters=1, allow_single_node=True)).one(T_RG)
    assert rg.input("numCacheClusters") == 1
    assert rg.input("automaticFailoverEnabled") is False
    assert rg.input("multiAzEnabled") is False


def test_same_args_give_identical_inputs() -> None:
    def program() -> None:
        RedisCache("cache", make_args(engine="valkey", num_cache_clusters=3, tags={"env": "dev"}))

    cap = assert_no_churn(program)
    assert cap.one(T_RG).input("tags") == {"Name": "cache-replication-group", "env": "dev"}


def test_subnet_and_security_group_outputs_are_accepted() -> None:
    def program() -> None:
        subnets = [pulumi.Output.from_input(s) for s in SUBNETS]
        RedisCache(
            "cache",
            make_args(
                vpc_id=pulumi.Output.from_input(VPC),
                subnet_ids=subnets,
                allowed_security_group_ids=[pulumi.Output.from_input(SOURCES[0])],
            ),
        )

    cap = capture(program)
    assert cap.one(T_SNG).input("subnetIds") == SUBNETS
    assert [r.input("referencedSecurityGroupId") for r in cap.of_type(T_RULE)] == [SOURCES[0]]


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"vpc_id": "subnet-123"}, "vpc_id"),
        ({"subnet_ids": []}, "subnet_ids"),
        ({"subnet_ids": [SUBNETS[0]]}, "subnet_ids"),
        ({"subnet_ids": "subnet-123"}, "subnet_ids"),
        ({"subnet_ids": [SUBNETS[0], SUBNETS[0]]}, "subnet_ids"),
        ({"subnet_ids": [SUBNETS[0], "sg-123"]}, "subnet_ids"),
        ({"allowed_security_group_ids": ["10.0.0.0/16"]}, "allowed_security_group_ids"),
        ({"allowed_security_group_ids": [SOURCES[0], SOURCES[0]]}, "allowed_security_group_ids"),
        (
            {"allowed_security_group_ids": pulumi.Output.from_input(SOURCES)},
            "allowed_security_group_ids",
        ),
        ({"node_type": "t3.micro"}, "node_type"),
        ({"node_type": "cache.t3"}, "node_type"),
        ({"engine": "memcached"}, "engine"),
        ({"engine_version": "6.2"}, "engine_version"),
        ({"engine": "valkey", "engine_version": "7.1"}, "engine_version"),
        ({"engine_version": "8.0"}, "engine_version"),
        ({"engine_version": "7.9"}, "engine_version"),
        ({"port": 80}, "port"),
        ({"num_cache_clusters": 0}, "num_cache_clusters"),
        ({"num_cache_clusters": 7}, "num_cache_clusters"),
        ({"allow_single_node": "yes"}, "allow_single_node"),
        ({"snapshot_retention_days": 0}, "snapshot_retention_days"),
        ({"snapshot_retention_days": 36}, "snapshot_retention_days"),
        ({"snapshot_window": "3-4"}, "snapshot_window"),
        ({"snapshot_window": "03:00-03:30"}, "snapshot_window"),
        ({"maintenance_window": "sunday 5am"}, "maintenance_window"),
        ({"snapshot_window": "05:00-06:00"}, "maintenance_window"),
        ({"maintenance_window": "mon:02:30-mon:03:30"}, "maintenance_window"),
        ({"kms_key_id": "my-key"}, "kms_key_id"),
        ({"replication_group_id": "Bad_Id"}, "replication_group_id"),
        ({"replication_group_id": "x" * 41}, "replication_group_id"),
        ({"protect": "false"}, "protect"),
        ({"apply_immediately": 1}, "apply_immediately"),
        ({"tags": {"aws:x": "y"}}, "tags"),
    ],
)
def test_invalid_args_are_rejected_before_anything_is_registered(
    overrides: dict[str, Any], key: str
) -> None:
    error, cap = rejected(lambda: RedisCache("cache", make_args(**overrides)))
    assert error.key == f"RedisCacheArgs.{key}"
    assert f"RedisCacheArgs.{key}" in str(error)
    assert cap.resources == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(nodes=1, retention=0, single_ok=False)  # both wrong: the field's own range first
@given(
    nodes=st.integers(min_value=-3, max_value=10),
    retention=st.integers(min_value=-3, max_value=40),
    single_ok=st.booleans(),
)
def test_node_count_and_retention_are_valid_or_rejected_by_key(
    nodes: int, retention: int, single_ok: bool
) -> None:
    args = make_args(
        num_cache_clusters=nodes, snapshot_retention_days=retention, allow_single_node=single_ok
    )
    valid_nodes = 2 <= nodes <= 6 or (nodes == 1 and single_ok)
    valid_retention = 1 <= retention <= 35
    if valid_nodes and valid_retention:
        rg = run(args).one(T_RG)
        assert rg.input("numCacheClusters") == nodes
        assert rg.input("automaticFailoverEnabled") is (nodes >= 2)
        assert rg.input("multiAzEnabled") is (nodes >= 2)
        assert rg.input("snapshotRetentionLimit") == retention
    else:
        error, cap = rejected(lambda: RedisCache("cache", args))
        # Each field's own range first (in field order), then the rule across fields
        # (one node only with allow_single_node).
        if not 1 <= nodes <= 6:
            expected = "num_cache_clusters"
        elif not valid_retention:
            expected = "snapshot_retention_days"
        else:
            expected = "num_cache_clusters"
        assert error.key == f"RedisCacheArgs.{expected}"
        assert cap.resources == []


def test_parameter_group_family_helper() -> None:
    assert parameter_group_family("redis", "7.1") == "redis7"
    assert parameter_group_family("valkey", "8.1") == "valkey8"
    with pytest.raises(ConfigError, match=r"7\.2"):
        parameter_group_family("valkey", "9.9")


def test_forces_replacement_names_real_args_and_is_documented() -> None:
    fields = {f.name for f in dataclasses.fields(RedisCacheArgs)}
    assert {"replication_group_id", "port"} <= set(FORCES_REPLACEMENT) <= fields
    assert "kms_key_id" not in FORCES_REPLACEMENT  # kept with ignore_changes instead
    doc = RedisCacheArgs.__doc__ or ""
    for key in FORCES_REPLACEMENT:
        assert f"``{key}``" in doc, key


# -- explicit names (adopting existing resources) -------------------------------------------


def test_default_names_are_unchanged_without_explicit_names() -> None:
    cap = run()
    sg = cap.one("aws:ec2/securityGroup:SecurityGroup")
    assert "name" not in sg.inputs  # Pulumi generates it
    group = cap.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert "snapshotName" not in group.inputs
    params = cap.one("aws:elasticache/parameterGroup:ParameterGroup")
    assert params.input("name") == f"{group.input('replicationGroupId')}-redis7"


def test_explicit_names_reach_the_children() -> None:
    cap = run(
        make_args(
            replication_group_id="proliferate-redis",
            subnet_group_name="proliferate-redis-subnets",
            parameter_group_name="proliferate-bullmq",
            parameter_group_description="Redis parameters for BullMQ",
            security_group_name="proliferate-redis-sg",
            security_group_description="Redis security group",
            snapshot_name="proliferate-migrate",
        )
    )
    params = cap.one("aws:elasticache/parameterGroup:ParameterGroup")
    assert (params.input("name"), params.input("description")) == (
        "proliferate-bullmq",
        "Redis parameters for BullMQ",
    )
    assert cap.one("aws:elasticache/subnetGroup:SubnetGroup").input("name") == (
        "proliferate-redis-subnets"
    )
    sg = cap.one("aws:ec2/securityGroup:SecurityGroup")
    assert (sg.input("name"), sg.input("description")) == (
        "proliferate-redis-sg",
        "Redis security group",
    )
    group = cap.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.input("replicationGroupId") == "proliferate-redis"
    assert group.input("snapshotName") == "proliferate-migrate"
    assert group.input("parameterGroupName") == "proliferate-bullmq"
    assert group.input("subnetGroupName") == "proliferate-redis-subnets"


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("subnet_group_name", "has space"),
        ("parameter_group_name", "9starts-with-digit"),
        ("parameter_group_name", "double--hyphen"),
        ("security_group_name", "sg-reserved"),
        ("security_group_description", "bad\u00e9char"),
        ("snapshot_name", "x" * 256),
        ("parameter_group_description", ""),
    ],
)
def test_bad_names_fail_naming_the_field(field: str, bad: str) -> None:
    err, cap = rejected(lambda: RedisCache("cache", make_args(**{field: bad})))
    assert err.key == f"RedisCacheArgs.{field}" and err.value == bad
    assert not [r for r in cap.resources if r.custom]
