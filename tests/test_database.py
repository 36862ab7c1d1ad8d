"""PostgresDb: the inputs RDS would receive, protection, secrets, validation; and the data
tier composed (Network + RedisCache + PostgresDb) the way a user program would."""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pulumi
import pytest
from data_tier_fixtures import SOURCES, SUBNETS, VPC, assert_no_churn, rejected
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.runtime import rpc

from proliferate_components._options import physical_name, validate_identifier, validate_windows
from proliferate_components.cache import RedisCache, RedisCacheArgs
from proliferate_components.database import (
    FORCES_REPLACEMENT,
    POSTGRES_MAJOR_VERSIONS,
    PostgresDb,
    PostgresDbArgs,
    parameter_group_family,
)
from proliferate_components.errors import ConfigError
from proliferate_components.network import Network, NetworkArgs
from proliferate_components.testing import Capture, capture, unwrap

T_DB = "proliferate:database:PostgresDb"
T_INSTANCE = "aws:rds/instance:Instance"
T_PG = "aws:rds/parameterGroup:ParameterGroup"
T_SNG = "aws:rds/subnetGroup:SubnetGroup"
T_SG = "aws:ec2/securityGroup:SecurityGroup"
T_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
T_PW = "random:index/randomPassword:RandomPassword"


def make_args(**overrides: Any) -> PostgresDbArgs:
    base: dict[str, Any] = {
        "vpc_id": VPC,
        "subnet_ids": SUBNETS,
        "allowed_security_group_ids": SOURCES,
    }
    return PostgresDbArgs(**{**base, **overrides})


def run(args: PostgresDbArgs | None = None, name: str = "db", **kwargs: Any) -> Capture:
    def program() -> None:
        db = PostgresDb(name, args or make_args())
        for key in (
            "endpoint",
            "address",
            "port",
            "database_url",
            "password",
            "security_group_id",
            "identifier",
        ):
            pulumi.export(key, getattr(db, key))

    return capture(program, **kwargs)


def test_instance_gets_the_protective_defaults() -> None:
    cap = run()
    db = cap.one(T_INSTANCE, "db-instance")
    expected = {
        "engine": "postgres",
        "engineVersion": "16",
        "instanceClass": "db.t4g.micro",
        "allocatedStorage": 20,
        "maxAllocatedStorage": 100,
        "storageType": "gp3",
        "storageEncrypted": True,
        "publiclyAccessible": False,
        "multiAz": False,
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "db-dev-final",
        "identifier": "db-dev",
        "backupRetentionPeriod": 7,
        "backupWindow": "03:00-04:00",
        "maintenanceWindow": "sun:05:00-sun:06:00",
        "copyTagsToSnapshot": True,
        "deleteAutomatedBackups": False,
        "autoMinorVersionUpgrade": True,
        "allowMajorVersionUpgrade": False,
        "applyImmediately": False,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "dbName": "proliferate",
        "username": "proliferate",
        "port": 5432,
    }
    assert {k: db.input(k) for k in expected} == expected
    assert db.protect is True
    assert db.input("manageMasterUserPassword") is None, "conflicts with password"


def test_parameter_group_forces_tls_and_is_named_by_family() -> None:
    cap = run()
    pg = cap.one(T_PG, "db-params")
    assert pg.input("family") == "postgres16"
    assert pg.input("parameters") == [
        {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"}
    ]
    assert pg.input("name") == "db-dev-postgres16"
    assert cap.one(T_INSTANCE).input("parameterGroupName") == pg.input("name")


@pytest.mark.parametrize("major", POSTGRES_MAJOR_VERSIONS)
def test_each_major_version_gets_its_own_parameter_group_name(major: int) -> None:
    pg = run(make_args(engine_version=str(major))).one(T_PG)
    assert pg.input("family") == f"postgres{major}"
    assert pg.input("name").endswith(f"-postgres{major}")


def test_a_major_upgrade_creates_a_differently_named_group() -> None:
    old = run().one(T_PG)
    new = run(make_args(engine_version="17", allow_major_version_upgrade=True)).one(T_PG)
    assert old.name == new.name == "db-params"
    assert old.input("name") != new.input("name")
    minor = run(make_args(engine_version="16.4")).one(T_PG)
    assert minor.input("name") == old.input("name")


def test_security_group_admits_5432_only_from_the_allowed_groups() -> None:
    cap = run()
    sg = cap.one(T_SG, "db-sg")
    assert sg.input("vpcId") == VPC
    assert not sg.input("ingress") and not sg.input("egress")
    rules = cap.of_type(T_RULE)
    assert sorted(r.input("referencedSecurityGroupId") for r in rules) == sorted(SOURCES)
    for rule in rules:
        assert rule.input("securityGroupId") == sg.id
        assert (rule.input("ipProtocol"), rule.input("fromPort"), rule.input("toPort")) == (
            "tcp",
            5432,
            5432,
        )
        assert rule.input("cidrIpv4") is None and rule.input("cidrIpv6") is None
    db = cap.one(T_INSTANCE)
    assert db.input("vpcSecurityGroupIds") == [sg.id]
    sng = cap.one(T_SNG, "db-subnets")
    assert sng.input("subnetIds") == SUBNETS
    assert db.input("dbSubnetGroupName") == sng.input("name") == "db-dev-subnets"


def test_password_and_database_url_are_secret_and_composable() -> None:
    cap = run()
    pw = cap.one(T_PW, "db-password")
    assert pw.input("special") is False, 'no / @ " or space in a password that sits in a URL'
    assert 16 <= pw.input("length") <= 128
    db = cap.one(T_INSTANCE)
    assert db.is_secret("password")
    password = db.input("password")
    assert password == unwrap(pw.outputs["result"])
    assert re.fullmatch(r"[A-Za-z0-9]+", password)
    for key in ("database_url", "password"):
        assert rpc.is_rpc_secret(cap.outputs[key]), key
    url = urlsplit(cap.output("database_url"))
    assert url.scheme == "postgresql"
    assert (url.username, url.password) == ("proliferate", password)
    assert url.hostname == cap.output("address") == db.outputs["address"]
    assert url.port == 5432 == cap.output("port")
    assert url.path == "/proliferate"
    assert parse_qs(url.query) == {"sslmode": ["require"]}
    assert cap.output("endpoint") == f"{url.hostname}:5432"
    assert not rpc.is_rpc_secret(cap.outputs["address"])


def test_the_instance_and_its_password_are_protected_and_all_children_are_parented() -> None:
    cap = run()
    component = cap.one(T_DB, "db")
    children = [r for r in cap.resources if r.urn != component.urn]
    assert {r.type for r in children} == {T_INSTANCE, T_PG, T_SNG, T_SG, T_RULE, T_PW}
    for child in children:
        assert child.parent == component.urn, child.name
        assert child.name.startswith("db-")
        # a new password is a new credential for the running database: protected too
        assert (child.protect is True) == (child.type in (T_INSTANCE, T_PW)), child.name


def test_protection_opt_outs_are_explicit_and_independent() -> None:
    cap = run(make_args(protect=False))
    db = cap.one(T_INSTANCE)
    assert db.protect is False
    assert cap.one(T_PW).protect is False  # the same escape hatch for its credential
    assert db.input("deletionProtection") is True
    db = run(make_args(deletion_protection=False, skip_final_snapshot=True)).one(T_INSTANCE)
    assert db.protect is True
    assert db.input("deletionProtection") is False
    assert db.input("skipFinalSnapshot") is True


def test_prod_profile_shape() -> None:
    cap = run(
        make_args(
            multi_az=True,
            instance_class="db.r6g.large",
            backup_retention_days=14,
            identifier="proliferate-prod",
        ),
        stack="prod",
    )
    db = cap.one(T_INSTANCE)
    assert db.input("multiAz") is True
    assert db.input("instanceClass") == "db.r6g.large"
    assert db.input("backupRetentionPeriod") == 14
    assert db.input("identifier") == "proliferate-prod"
    assert db.input("finalSnapshotIdentifier") == "proliferate-prod-final"
    assert cap.output("identifier") == "proliferate-prod"


def test_same_args_give_identical_inputs() -> None:
    def program() -> None:
        PostgresDb(
            "db", make_args(multi_az=True, kms_key_id="arn:aws:kms:us-east-1:123456789012:key/abc")
        )

    cap = assert_no_churn(program)
    assert cap.one(T_INSTANCE).input("kmsKeyId") == "arn:aws:kms:us-east-1:123456789012:key/abc"


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"vpc_id": ""}, "vpc_id"),
        ({"subnet_ids": []}, "subnet_ids"),
        ({"subnet_ids": [SUBNETS[0]]}, "subnet_ids"),
        ({"allowed_security_group_ids": ["0.0.0.0/0"]}, "allowed_security_group_ids"),
        ({"instance_class": "t4g.micro"}, "instance_class"),
        ({"instance_class": "db.serverless"}, "instance_class"),
        ({"engine_version": "13"}, "engine_version"),
        ({"engine_version": "18"}, "engine_version"),
        ({"engine_version": "16.x"}, "engine_version"),
        ({"engine_version": "16.99"}, "engine_version"),
        ({"engine_version": "16.0"}, "engine_version"),
        ({"engine_version": 16}, "engine_version"),
        ({"allocated_storage_gib": 10}, "allocated_storage_gib"),
        ({"allocated_storage_gib": 70000}, "allocated_storage_gib"),
        (
            {"allocated_storage_gib": 200, "max_allocated_storage_gib": 100},
            "max_allocated_storage_gib",
        ),
        ({"max_allocated_storage_gib": 70000}, "max_allocated_storage_gib"),
        ({"multi_az": "true"}, "multi_az"),
        ({"port": 80}, "port"),
        ({"db_name": "Proliferate-DB"}, "db_name"),
        ({"db_name": "template1"}, "db_name"),
        ({"username": "rdsadmin"}, "username"),
        ({"username": "1user"}, "username"),
        ({"backup_retention_days": 0}, "backup_retention_days"),
        ({"backup_retention_days": 36}, "backup_retention_days"),
        ({"backup_window": "03:00-03:10"}, "backup_window"),
        ({"backup_window": "sun:05:30-sun:06:30"}, "backup_window"),
        ({"maintenance_window": "sat:23:30-sun:03:30"}, "maintenance_window"),
        ({"deletion_protection": None}, "deletion_protection"),
        ({"protect": 0}, "protect"),
        ({"skip_final_snapshot": "no"}, "skip_final_snapshot"),
        ({"kms_key_id": "alias/mine"}, "kms_key_id"),
        ({"identifier": "db--x"}, "identifier"),
        ({"identifier": "x" * 64}, "identifier"),
        ({"tags": {"": "empty"}}, "tags"),
    ],
)
def test_invalid_args_are_rejected_before_anything_is_registered(
    overrides: dict[str, Any], key: str
) -> None:
    error, cap = rejected(lambda: PostgresDb("db", make_args(**overrides)))
    assert error.key == f"PostgresDbArgs.{key}"
    assert f"PostgresDbArgs.{key}" in str(error)
    assert cap.resources == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    allocated=st.integers(min_value=0, max_value=70000),
    ceiling=st.integers(min_value=0, max_value=70000),
)
def test_storage_sizes_are_valid_or_rejected_by_key(allocated: int, ceiling: int) -> None:
    args = make_args(allocated_storage_gib=allocated, max_allocated_storage_gib=ceiling)
    if not 20 <= allocated <= 65536:
        error, cap = rejected(lambda: PostgresDb("db", args))
        assert error.key == "PostgresDbArgs.allocated_storage_gib"
        assert cap.resources == []
    elif not allocated <= ceiling <= 65536:
        error, cap = rejected(lambda: PostgresDb("db", args))
        assert error.key == "PostgresDbArgs.max_allocated_storage_gib"
        assert cap.resources == []
    else:
        db = run(args).one(T_INSTANCE)
        assert (db.input("allocatedStorage"), db.input("maxAllocatedStorage")) == (
            allocated,
            ceiling,
        )


def test_parameter_group_family_helper() -> None:
    assert parameter_group_family("14") == "postgres14"
    assert parameter_group_family("17.2") == "postgres17"


def test_forces_replacement_names_real_args_and_is_documented() -> None:
    fields = {f.name for f in dataclasses.fields(PostgresDbArgs)}
    assert {"db_name", "username"} <= set(FORCES_REPLACEMENT) <= fields
    assert "kms_key_id" not in FORCES_REPLACEMENT  # kept with ignore_changes instead
    doc = PostgresDbArgs.__doc__ or ""
    for key in FORCES_REPLACEMENT:
        assert f"``{key}``" in doc, key


def test_data_tier_composes_from_network_outputs() -> None:
    """The README-style program: the stores land in the network's private subnets."""

    def program() -> None:
        net = Network("net", NetworkArgs(nat_strategy="one_per_az"))
        app_sg = pulumi.Output.from_input(SOURCES[0])
        cache = RedisCache(
            "cache",
            RedisCacheArgs(
                vpc_id=net.vpc_id,
                subnet_ids=net.private_subnet_ids,
                allowed_security_group_ids=[app_sg],
            ),
        )
        db = PostgresDb(
            "db",
            PostgresDbArgs(
                vpc_id=net.vpc_id,
                subnet_ids=net.private_subnet_ids,
                allowed_security_group_ids=[app_sg],
            ),
        )
        pulumi.export("redis_url", cache.redis_url)
        pulumi.export("database_url", db.database_url)
        pulumi.export("private_subnet_ids", net.private_subnet_ids)

    cap = capture(program)
    private = cap.output("private_subnet_ids")
    vpc_id = cap.one("aws:ec2/vpc:Vpc").id
    assert cap.one("aws:elasticache/subnetGroup:SubnetGroup").input("subnetIds") == private
    assert cap.one(T_SNG).input("subnetIds") == private
    assert {sg.input("vpcId") for sg in cap.of_type(T_SG)} == {vpc_id}
    assert rpc.is_rpc_secret(cap.outputs["redis_url"]) and rpc.is_rpc_secret(
        cap.outputs["database_url"]
    )
    protected = {r.type for r in cap.resources if r.protect}
    assert protected == {
        T_INSTANCE,
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "random:index/randomPassword:RandomPassword",
    }


# -- shared helpers (used by RedisCache and PostgresDb alike) ---------------------------------

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes_daily(start: int, length: int) -> set[int]:
    return {(day * 1440 + start + m) % (7 * 1440) for day in range(7) for m in range(length)}


def _minutes_weekly(start: int, length: int) -> set[int]:
    return {(start + m) % (7 * 1440) for m in range(length)}


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


@settings(max_examples=150, deadline=None)
@given(
    d_start=st.integers(0, 1439),
    d_len=st.integers(60, 300),
    w_start=st.integers(0, 7 * 1440 - 1),
    w_len=st.integers(60, 600),
)
def test_windows_overlap_exactly_when_they_share_a_minute(
    d_start: int, d_len: int, w_start: int, w_len: int
) -> None:
    daily = f"{_hhmm(d_start)}-{_hhmm(d_start + d_len)}"
    w_end = (w_start + w_len) % (7 * 1440)
    weekly = f"{_DAYS[w_start // 1440]}:{_hhmm(w_start)}-{_DAYS[w_end // 1440]}:{_hhmm(w_end)}"
    overlap = bool(_minutes_daily(d_start, d_len) & _minutes_weekly(w_start, w_len))
    if overlap:
        with pytest.raises(ConfigError) as info:
            validate_windows(daily, weekly, daily_key="d", weekly_key="w", min_minutes=60)
        assert info.value.key == "w"
    else:
        validate_windows(daily, weekly, daily_key="d", weekly_key="w", min_minutes=60)


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=3),
    limit=st.integers(12, 63),
)
def test_physical_names_are_always_valid_identifiers(parts: list[str], limit: int) -> None:
    name = physical_name(*parts, max_length=limit)
    validate_identifier(name, key="k", max_length=limit)
    assert physical_name(*parts, max_length=limit) == name
