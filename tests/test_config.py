"""StackConfig: defaults, profiles, presets, validation messages, Pulumi config and Pulumi.yaml."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proliferate_components.config import (
    CONFIG_KEYS,
    DEV_PRESET,
    PROD_DEFAULTS,
    PROD_PRESET,
    AdoptConfig,
    AdoptService,
    ConfigKey,
    ServiceSizing,
    StackConfig,
    config_key,
    config_keys_markdown,
    pulumi_yaml_config_schema,
)
from proliferate_components.engine_versions import ELASTICACHE_VERSIONS, POSTGRES_MINOR_VERSIONS
from proliferate_components.errors import ConfigError
from proliferate_components.sizing import CLOUDWATCH_LOG_RETENTION_DAYS, FARGATE_CPU_MEMORY_MIB
from proliferate_components.testing import OfflineMocks, capture

ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
SPEC_PHASE3_KEYS = {
    # key: type in the spec's Phase 3 Pulumi.yaml ("number" is not a Pulumi type: integer)
    "workerCpu": "integer",
    "workerMemory": "integer",
    "llmProxyCpu": "integer",
    "llmProxyMemory": "integer",
    "gatewayCpu": "integer",
    "gatewayMemory": "integer",
    "redisCacheNodeType": "string",
    "enableRds": "boolean",
    "enableHttps": "boolean",
    "certificateArn": "string",
    "domainName": "string",
}


def _error(build: Callable[[], object]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        build()
    return info.value


# --- defaults, profiles, presets ---


def test_defaults_are_the_spec_dev_sizing() -> None:
    c = StackConfig()
    assert (c.worker_cpu, c.worker_memory_mib) == (256, 512)
    assert (c.llm_proxy_cpu, c.llm_proxy_memory_mib) == (512, 1024)
    assert (c.gateway_cpu, c.gateway_memory_mib) == (256, 512)
    assert c.redis_cache_node_type == "cache.t3.micro"
    assert c.enable_rds is True and c.enable_https is False
    assert c.region == "us-east-1" and c.profile == "dev"
    assert c.log_retention_days == 30 and c.enable_web is False and c.image_tag == "latest"
    assert c.protect_data_stores is True and c.enable_execute_command is False
    assert c.redis_num_cache_clusters == 2 and c.redis_snapshot_retention_days >= 1
    assert c.db_engine_version == "16" and c.db_backup_retention_days == 7
    assert StackConfig.dev() == c


def test_prod_is_the_spec_prod_sizing_plus_protections() -> None:
    p = StackConfig.prod()
    assert (p.worker_cpu, p.worker_memory_mib) == (512, 1024)
    assert (p.llm_proxy_cpu, p.llm_proxy_memory_mib) == (1024, 2048)
    assert (p.gateway_cpu, p.gateway_memory_mib) == (512, 1024)
    assert p.redis_cache_node_type == "cache.t3.small"
    assert p.nat_strategy == "one_per_az" and p.db_multi_az is True
    assert p.redis_snapshot_retention_days == 7 and p.db_backup_retention_days == 14
    assert p.profile == "prod" and p.protect_data_stores is True
    assert StackConfig.prod(worker_desired_count=3).worker_desired_count == 3


def test_presets_mirror_the_spec_cli_lines() -> None:
    # The spec's "Stack Config (CLI Only, No YAML Files)" `pulumi config set` lines.
    assert dict(DEV_PRESET) == {
        "aws:region": "us-east-1",
        "proliferate:workerCpu": "256",
        "proliferate:workerMemory": "512",
        "proliferate:redisCacheNodeType": "cache.t3.micro",
        "proliferate:enableHttps": "false",
    }
    prod = dict(PROD_PRESET)
    arn = prod.pop("proliferate:certificateArn")
    # The spec's prod lines plus the prod profile (its protections make the set production-ready).
    assert prod.pop("proliferate:profile") == "prod"
    assert prod == {
        "aws:region": "us-east-1",
        "proliferate:workerCpu": "512",
        "proliferate:workerMemory": "1024",
        "proliferate:llmProxyCpu": "1024",
        "proliferate:llmProxyMemory": "2048",
        "proliferate:gatewayCpu": "512",
        "proliferate:gatewayMemory": "1024",
        "proliferate:redisCacheNodeType": "cache.t3.small",
        "proliferate:enableHttps": "true",
        "proliferate:domainName": "app.example.com",
    }
    assert arn.startswith("arn:aws:acm:us-east-1:")


def test_presets_build_valid_configs() -> None:
    dev = StackConfig.from_mapping(DEV_PRESET)
    assert dev == StackConfig()
    prod = StackConfig.from_mapping(PROD_PRESET, secret_keys={"proliferate:certificateArn"})
    assert prod.enable_https and prod.domain_name == "app.example.com"
    assert prod.certificate_arn == PROD_PRESET["proliferate:certificateArn"]
    for field in (
        "worker_cpu",
        "worker_memory_mib",
        "llm_proxy_cpu",
        "llm_proxy_memory_mib",
        "gateway_cpu",
        "gateway_memory_mib",
        "redis_cache_node_type",
    ):
        assert getattr(prod, field) == PROD_DEFAULTS[field]
    assert prod.profile == "prod" and prod.nat_strategy == "one_per_az" and prod.db_multi_az
    assert prod == StackConfig.prod(
        enable_https=True,
        certificate_arn=PROD_PRESET["proliferate:certificateArn"],
        domain_name="app.example.com",
    )


def test_priority_explicit_over_profile_over_builtin() -> None:
    c = StackConfig.from_mapping(
        {
            "proliferate:profile": "prod",
            "proliferate:workerCpu": "512",
            "proliferate:workerMemory": "2048",
        }
    )
    assert c.worker_memory_mib == 2048  # explicit beats the prod default 1024
    assert c.nat_strategy == "one_per_az"  # prod profile beats the built-in "single"
    assert c.log_retention_days == 365  # prod profile beats the built-in 30
    assert c.access_log_retention_days == 90  # built-in (no prod override)
    assert (
        StackConfig.from_mapping(
            {"proliferate:natStrategy": "single", "proliferate:profile": "prod"}
        ).nat_strategy
        == "single"
    )


def test_errors_say_which_values_came_from_the_profile() -> None:
    err = _error(
        lambda: StackConfig.from_mapping(
            {"proliferate:profile": "prod", "proliferate:workerMemory": "512"}
        )
    )
    assert err.key == "proliferate:workerMemory" and err.value == 512
    assert "(proliferate:workerCpu=512 from proliferate:profile=prod)" in err.valid
    explicit = _error(
        lambda: StackConfig.from_mapping(
            {
                "proliferate:profile": "prod",
                "proliferate:workerCpu": "512",
                "proliferate:workerMemory": "512",
            }
        )
    )
    assert "profile" not in explicit.valid
    dev = _error(lambda: StackConfig.from_mapping({"proliferate:workerMemory": "4096"}))
    assert "profile" not in dev.valid


# --- CONFIG_KEYS as the single source ---


def test_config_keys_cover_every_field_once_with_matching_defaults_and_types() -> None:
    fields = {f.name: f for f in dataclasses.fields(StackConfig)}
    assert sorted(k.field for k in CONFIG_KEYS) == sorted(fields)
    assert len({k.full_key for k in CONFIG_KEYS}) == len(CONFIG_KEYS)
    python_type = {"integer": int, "boolean": bool, "string": str}
    for ck in CONFIG_KEYS:
        assert ck.default == fields[ck.field].default
        if ck.default is not None:
            assert type(ck.default) is python_type[ck.type], ck
        if ck.prod_default is not None:
            assert type(ck.prod_default) is python_type[ck.type], ck
            assert ck.field in PROD_DEFAULTS
        assert ck.description and ck.key[0].islower() and "_" not in ck.key


def test_spec_phase3_keys_are_all_defined_with_their_types() -> None:
    for key, type_ in SPEC_PHASE3_KEYS.items():
        ck = config_key(f"proliferate:{key}")
        assert ck.type == type_, key
    assert config_key("certificateArn").secret is True
    assert [k.key for k in CONFIG_KEYS if k.secret] == ["certificateArn"]
    assert config_key("aws:region").namespace == "aws"
    assert config_key("worker_memory_mib").key == "workerMemory"
    with pytest.raises(KeyError):
        config_key("nope")


def test_markdown_table_lists_every_key() -> None:
    table = config_keys_markdown()
    for ck in CONFIG_KEYS:
        assert f"`{ck.full_key}`" in table
    assert "| `proliferate:workerCpu` | integer | `256` | `512` |" in table
    assert "string (secret)" in table


# --- validation table: each key named with the bad value and what is valid ---

INVALID: list[tuple[str, Any, str, dict[str, Any]]] = [
    # field, bad value, text that must appear in "what is valid", other overrides
    ("worker_cpu", 300, "256, 512, 1024, 2048, 4096, 8192, 16384", {}),
    ("worker_memory_mib", 4096, "512, 1024, 2048", {}),
    ("llm_proxy_memory_mib", 512, "1024, 2048, 3072, 4096", {}),
    ("gateway_cpu", 128, "256, 512", {}),
    ("gateway_memory_mib", 8192, "512, 1024, 2048", {}),
    ("web_memory_mib", 100, "1024, 2048", {}),
    ("worker_desired_count", -1, "from 0 to 100", {}),
    (
        "autoscaling_max_count",
        2,
        "desired count",
        {"enable_autoscaling": True, "gateway_desired_count": 3},
    ),
    ("az_count", 1, "from 2 to 6", {}),
    ("az_count", 7, "from 2 to 6", {}),
    ("vpc_cidr", "10.0.0.0/8", "/16 to /24", {}),
    ("vpc_cidr", "10.0.3.0/16", "host bits must be zero", {}),
    ("nat_strategy", "double", "single, one_per_az", {}),
    ("flow_log_retention_days", 10, "1, 3, 5, 7, 14, 30", {}),
    ("log_retention_days", 31, "1, 3, 5, 7, 14, 30", {}),
    ("region", "us-east", "us-east-1", {}),
    ("image_tag", "-oops", "Docker tag", {}),
    ("mutable_image_tags", "a,b,c,d,e,f", "1 to 5", {}),
    ("mutable_image_tags", "a*b*c*", "two * wildcards", {}),
    ("mutable_image_tags", "has space", "comma-separated", {}),
    ("redis_cache_node_type", "t3.micro", "cache.t3.micro", {}),
    ("redis_engine", "memcached", "redis, valkey", {}),
    ("redis_engine_version", "6.2", "redis_engine=redis one of 7.0 or 7.1", {}),
    ("redis_engine_version", "7.9", "redis_engine=redis one of 7.0 or 7.1", {}),
    (
        "redis_engine_version",
        "9.0",
        "redis_engine=valkey one of 7.2, 8.0, 8.1 or 8.2",
        {"redis_engine": "valkey"},
    ),
    ("redis_num_cache_clusters", 1, "redis_allow_single_node=true", {}),
    ("redis_num_cache_clusters", 7, "from 1 to 6", {}),
    ("redis_snapshot_retention_days", 0, "from 1 to 35", {}),
    ("redis_snapshot_retention_days", 36, "from 1 to 35", {}),
    ("db_instance_class", "db.serverless", "db.t4g.micro", {}),
    ("db_engine_version", "13", "14, 15, 16 or 17", {}),
    ("db_engine_version", "16.99", "16.1 to 16.13", {}),
    ("db_engine_version", "15.1", "15.2 to 15.17", {}),
    ("db_engine_version", "16.04", "14, 15, 16 or 17", {}),
    ("db_allocated_storage_gib", 10, "from 20 to 65536", {}),
    ("db_max_allocated_storage_gib", 15, "db_allocated_storage_gib=20", {}),
    ("db_backup_retention_days", 3, "from 7 to 35", {}),
    ("db_backup_retention_days", 36, "from 7 to 35", {}),
    ("domain_name", "https://app.example.com", "app.example.com", {}),
    ("certificate_arn", "arn:aws:acm:...", "certificate/<id>", {}),
    ("certificate_arn", ARN.replace("us-east-1", "eu-west-1"), "stack's region us-east-1", {}),
    ("hosted_zone_id", "Z123ABC", "manage_dns=true", {}),
    (
        "hosted_zone_id",
        "zone-1",
        "Z0123456789",
        {"manage_dns": True, "domain_name": "app.example.com"},
    ),
    ("manage_dns", True, "domain_name", {}),
    ("enable_https", True, "certificate_arn", {}),
    ("profile", "staging", "dev, prod", {}),
    # wrong Python types
    ("worker_cpu", "256", "an int", {}),
    ("worker_cpu", True, "an int", {}),
    ("enable_rds", "yes", "a bool", {}),
    ("az_count", 2.0, "an int", {}),
    ("domain_name", 42, "a str or None", {}),
]


@pytest.mark.parametrize(("field", "value", "valid", "others"), INVALID)
def test_python_errors_name_the_field_value_and_what_is_valid(
    field: str, value: Any, valid: str, others: dict[str, Any]
) -> None:
    kwargs = {**others, field: value}
    err = _error(lambda: StackConfig(**kwargs))
    assert err.key == field
    assert err.value == value and type(err.value) is type(value)
    assert str(err).startswith(f"{field}: invalid value {value!r}")
    assert valid in err.valid


def _as_config(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


CONFIG_INVALID = [
    case
    for case in INVALID
    if not isinstance(case[1], float)
    and not (case[0] == "domain_name" and case[1] == 42)
    and case[2] not in ("an int", "a bool")
]


@pytest.mark.parametrize(("field", "value", "valid", "others"), CONFIG_INVALID)
def test_config_errors_name_the_pulumi_key(
    field: str, value: Any, valid: str, others: dict[str, Any]
) -> None:
    mapping = {config_key(f).full_key: _as_config(v) for f, v in others.items() if v is not None}
    ck = config_key(field)
    mapping[ck.full_key] = _as_config(value)
    err = _error(lambda: StackConfig.from_mapping(mapping))
    assert err.key == ck.full_key
    assert str(err).startswith(f"{ck.full_key}: invalid value ")
    assert str(value) in str(err)
    # what is valid names other settings by their Pulumi keys too
    expected = valid
    for f in (
        "redis_allow_single_node",
        "redis_engine",
        "db_allocated_storage_gib",
        "manage_dns",
        "domain_name",
        "certificate_arn",
    ):
        expected = expected.replace(f, config_key(f).full_key)
    assert expected in err.valid
    assert not any(f.name in err.valid for f in dataclasses.fields(StackConfig) if "_" in f.name)


@pytest.mark.parametrize(
    ("key", "text", "valid"),
    [
        ("workerCpu", "abc", "an integer, Fargate CPU units, one of 256, 512, 1024"),
        ("workerMemory", "1.5", "an integer, MiB"),
        ("azCount", "two", "an integer, from 2 to 6"),
        ("enableRds", "yes", "a boolean, true or false"),
        ("enableHttps", "1", "a boolean, true or false"),
    ],
)
def test_config_type_errors(key: str, text: str, valid: str) -> None:
    err = _error(lambda: StackConfig.from_mapping({f"proliferate:{key}": text}))
    assert str(err) == f"proliferate:{key}: invalid value {text!r}; {err.valid}"
    assert err.valid.startswith(valid)


def test_config_accepts_the_cli_spellings() -> None:
    c = StackConfig.from_mapping(
        {
            "proliferate:enableRds": "False",
            "proliferate:enableWeb": "True",
            "proliferate:azCount": " 3 ",
            "proliferate:domainName": "",
        }
    )
    assert (
        c.enable_rds is False and c.enable_web is True and c.az_count == 3 and c.domain_name is None
    )


def test_typos_of_known_keys_are_rejected_with_a_suggestion() -> None:
    for typo, meant in [
        ("workerMemroy", "workerMemory"),
        ("workermemory", "workerMemory"),
        ("enableHTTPS", "enableHttps"),
        ("certificateARN", "certificateArn"),
        ("redisCacheNodetype", "redisCacheNodeType"),
    ]:
        err = _error(lambda typo=typo: StackConfig.from_mapping({f"proliferate:{typo}": "1"}))
        assert err.key == f"proliferate:{typo}"
        assert f"did you mean proliferate:{meant}?" in err.valid


def test_env_secrets_other_namespaces_and_unrelated_keys_are_left_alone() -> None:
    c = StackConfig.from_mapping(
        {
            "proliferate:ANTHROPIC_API_KEY": "sk-ant-xyz",
            "proliferate:GITHUB_APP_PRIVATE_KEY": "-----BEGIN",
            "proliferate:E2B_API_KEY": "e2b",
            "aws:profile": "default",
            "aws:skipCredentialsValidation": "true",
            "pulumi:disable-default-providers": "[]",
            "proliferate:myOwnSetting": "x",
        }
    )
    assert c == StackConfig()


def test_secret_values_are_not_echoed_when_they_come_from_secret_config() -> None:
    wrong_region = ARN.replace("us-east-1", "eu-west-1")
    from_config = _error(
        lambda: StackConfig.from_mapping(
            {"proliferate:enableHttps": "true", "proliferate:certificateArn": wrong_region},
            secret_keys={"proliferate:certificateArn"},
        )
    )
    assert from_config.key == "proliferate:certificateArn"
    assert wrong_region not in str(from_config) and "[secret]" in str(from_config)
    typo = _error(
        lambda: StackConfig.from_mapping(
            {"proliferate:certificateARN": ARN}, secret_keys={"proliferate:certificateARN"}
        )
    )
    assert ARN not in str(typo)
    # Built in Python, the value is the caller's own: it is shown.
    in_python = _error(lambda: StackConfig(certificate_arn=wrong_region))
    assert wrong_region in str(in_python)


# --- HTTPS / DNS combinations ---


def test_https_certificate_sources() -> None:
    assert (
        StackConfig(enable_https=True, certificate_arn=ARN).https_enabled_with_managed_certificate
        is False
    )
    managed = StackConfig(enable_https=True, manage_dns=True, domain_name="app.example.com")
    assert managed.https_enabled_with_managed_certificate is True
    zone = StackConfig(
        manage_dns=True, domain_name="app.example.com", hosted_zone_id="Z0123456789ABCDEFGHIJ"
    )
    assert zone.hosted_zone_id == "Z0123456789ABCDEFGHIJ"
    err = _error(lambda: StackConfig(enable_https=True, manage_dns=True))
    assert err.key == "manage_dns"  # managing DNS needs the domain first


def test_redis_engine_versions_and_family() -> None:
    assert StackConfig().resolved_redis_engine_version == "7.1"
    assert StackConfig().redis_parameter_group_family == "redis7"
    valkey = StackConfig(redis_engine="valkey")
    assert (
        valkey.resolved_redis_engine_version == "8.0"
        and valkey.redis_parameter_group_family == "valkey8"
    )
    assert (
        StackConfig(redis_engine="valkey", redis_engine_version="7.2").redis_parameter_group_family
        == "valkey7"
    )
    single = StackConfig(redis_num_cache_clusters=1, redis_allow_single_node=True)
    assert single.redis_num_cache_clusters == 1


def test_derived_helpers() -> None:
    c = StackConfig.prod(az_count=3)
    assert len(c.subnet_layout.private) == 3
    assert c.service_sizing("llm-proxy") == ServiceSizing(
        cpu=1024, memory_mib=2048, desired_count=2
    )
    assert c.service_sizing("worker").cpu == 512
    assert _error(lambda: c.service_sizing("api")).key == "service"
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.worker_cpu = 1024  # type: ignore[misc]
    assert c.with_overrides(worker_cpu=1024, worker_memory_mib=4096).worker_cpu == 1024
    assert _error(lambda: c.with_overrides(worker_cpu=1024)).key == "worker_memory_mib"


# --- Hypothesis: every valid combination builds and round-trips; every invalid one is named ---

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]


@st.composite
def valid_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    kw["profile"] = draw(st.sampled_from(["dev", "prod"]))
    kw["region"] = region = draw(st.sampled_from(REGIONS))
    prefix = draw(st.integers(16, 24))
    kw["vpc_cidr"] = str(
        ipaddress.IPv4Network(f"{draw(st.ip_addresses(v=4))}/{prefix}", strict=False)
    )
    kw["az_count"] = draw(st.integers(2, 6))
    kw["nat_strategy"] = draw(st.sampled_from(["single", "one_per_az"]))
    kw["enable_flow_logs"] = draw(st.booleans())
    kw["flow_log_retention_days"] = draw(st.sampled_from(CLOUDWATCH_LOG_RETENTION_DAYS))
    for service in ("worker", "llm_proxy", "gateway", "web"):
        cpu = draw(st.sampled_from(sorted(FARGATE_CPU_MEMORY_MIB)))
        kw[f"{service}_cpu"] = cpu
        kw[f"{service}_memory_mib"] = draw(st.sampled_from(FARGATE_CPU_MEMORY_MIB[cpu]))
        kw[f"{service}_desired_count"] = draw(st.integers(0, 100))
    kw["enable_web"] = draw(st.booleans())
    kw["enable_autoscaling"] = draw(st.booleans())
    floor = max(1, *(kw[f"{s}_desired_count"] for s in ("worker", "llm_proxy", "gateway", "web")))
    kw["autoscaling_max_count"] = draw(st.integers(floor if kw["enable_autoscaling"] else 1, 100))
    kw["image_tag"] = draw(st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}\Z"))
    kw["log_retention_days"] = draw(st.sampled_from(CLOUDWATCH_LOG_RETENTION_DAYS))
    kw["enable_execute_command"] = draw(st.booleans())
    kw["redis_cache_node_type"] = draw(
        st.sampled_from(
            ["cache.t3.micro", "cache.t4g.small", "cache.r7g.large", "cache.m6g.xlarge"]
        )
    )
    engine = kw["redis_engine"] = draw(st.sampled_from(["redis", "valkey"]))
    versions = [None, *ELASTICACHE_VERSIONS[engine]]
    kw["redis_engine_version"] = draw(st.sampled_from(versions))
    nodes = kw["redis_num_cache_clusters"] = draw(st.integers(1, 6))
    kw["redis_allow_single_node"] = True if nodes == 1 else draw(st.booleans())
    kw["redis_snapshot_retention_days"] = draw(st.integers(1, 35))
    kw["enable_rds"] = draw(st.booleans())
    kw["db_instance_class"] = draw(
        st.sampled_from(["db.t4g.micro", "db.t3.small", "db.r6g.large", "db.m7g.2xlarge"])
    )
    major = draw(st.sampled_from(sorted(POSTGRES_MINOR_VERSIONS)))
    first, last = POSTGRES_MINOR_VERSIONS[major]
    minor = draw(st.one_of(st.none(), st.integers(first, last)))
    kw["db_engine_version"] = str(major) if minor is None else f"{major}.{minor}"
    allocated = kw["db_allocated_storage_gib"] = draw(st.integers(20, 65536))
    kw["db_max_allocated_storage_gib"] = draw(st.one_of(st.just(0), st.integers(allocated, 65536)))
    kw["db_multi_az"] = draw(st.booleans())
    kw["db_backup_retention_days"] = draw(st.integers(7, 35))
    kw["protect_data_stores"] = draw(st.booleans())
    mode = draw(st.sampled_from(["http", "certificate", "managed"]))
    kw["enable_https"] = mode != "http"
    kw["manage_dns"] = mode == "managed" or (mode == "http" and draw(st.booleans()))
    needs_domain = kw["manage_dns"]
    kw["domain_name"] = (
        draw(st.sampled_from(["app.example.com", "proliferate.acme.io"]))
        if needs_domain or draw(st.booleans())
        else None
    )
    kw["certificate_arn"] = (
        f"arn:aws:acm:{region}:123456789012:certificate/abc-123" if mode == "certificate" else None
    )
    kw["hosted_zone_id"] = (
        draw(st.sampled_from([None, "Z0123456789ABCDEFGHIJ"])) if kw["manage_dns"] else None
    )
    return kw


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kw=valid_kwargs())
def test_every_valid_combination_builds_and_round_trips(kw: dict[str, Any]) -> None:
    c = StackConfig(**kw)
    assert StackConfig.from_mapping(c.to_pulumi_config()) == c
    assert StackConfig.from_mapping(c.to_pulumi_config(include_defaults=True)) == c
    assert all(isinstance(v, str) for v in c.to_pulumi_config().values())


# field -> invalid values (each breaks only that field, whatever the rest of a valid config is)
BREAKERS: dict[str, list[Any]] = {
    "profile": ["staging", "Prod"],
    "region": ["us-east", "moon-base-1a"],
    "vpc_cidr": ["10.0.0.0/8", "10.0.0.1/16", "x/16", "10.0.0.0/25"],
    "az_count": [0, 1, 7],
    "nat_strategy": ["double", "SINGLE"],
    "flow_log_retention_days": [0, 2, 31],
    "worker_cpu": [0, 100, 3000],
    "worker_memory_mib": [0, 500, 999999],
    "llm_proxy_cpu": [1, 32768],
    "llm_proxy_memory_mib": [511, 200000],
    "gateway_cpu": [257],
    "gateway_memory_mib": [1000],
    "web_cpu": [64],
    "web_memory_mib": [123],
    "worker_desired_count": [-1, 101],
    "gateway_desired_count": [-5],
    "autoscaling_max_count": [0, 101],
    "image_tag": ["-bad", "has space", "a" * 129, ".hidden"],
    "mutable_image_tags": [",", "a/b", "x" * 129],
    "log_retention_days": [0, 4, 100],
    "redis_cache_node_type": ["t3.micro", "cache.t3", "db.t3.micro"],
    "redis_engine": ["memcached"],
    "redis_num_cache_clusters": [0, 7],
    "redis_snapshot_retention_days": [0, 36],
    "db_instance_class": ["db.serverless", "t4g.micro"],
    "db_engine_version": ["13", "18", "latest", "16.x", "16.99", "17.0", "14.23", "16."],
    "redis_engine_version": ["7.9", "6.2", "9.0", "7", "latest"],
    "db_allocated_storage_gib": [19, 65537],
    "db_max_allocated_storage_gib": [-1, 65537],
    "db_backup_retention_days": [0, 6, 36],
    "domain_name": ["localhost", "bad..name.com", "app.example.com."],
    "certificate_arn": ["arn:aws:acm:...", "not-an-arn"],
    "hosted_zone_id": ["zone-1", "z123", "/hostedzone/Z123"],
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kw=valid_kwargs(), field=st.sampled_from(sorted(BREAKERS)), data=st.data())
def test_every_invalid_value_is_rejected_naming_its_key(
    kw: dict[str, Any], field: str, data: st.DataObject
) -> None:
    bad = data.draw(st.sampled_from(BREAKERS[field]))
    broken = {**kw, field: bad}
    err = _error(lambda: StackConfig(**broken))
    assert err.key == field and err.value == bad

    mapping = StackConfig(**kw).to_pulumi_config(include_defaults=True)
    ck = config_key(field)
    mapping[ck.full_key] = str(bad)
    err = _error(lambda: StackConfig.from_mapping(mapping))
    assert err.key == ck.full_key and str(bad) in str(err.value)


@settings(max_examples=100, deadline=None)
@given(
    field=st.sampled_from([k.field for k in CONFIG_KEYS]),
    bad=st.one_of(st.floats(), st.lists(st.integers(), max_size=2), st.just(object())),
)
def test_wrong_python_types_are_rejected_naming_the_field(field: str, bad: Any) -> None:
    err = _error(lambda: StackConfig(**{field: bad}))
    assert err.key == field


# --- from the Pulumi runtime, through the capture harness ---


class _CountingMocks(OfflineMocks):
    def __init__(self) -> None:
        super().__init__()
        self.created: list[str] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[Any, Any]]:
        self.created.append(args.typ)
        return super().new_resource(args)


def test_from_pulumi_config_in_a_program() -> None:
    seen: list[StackConfig] = []

    def program() -> None:
        seen.append(StackConfig.from_pulumi_config())
        pulumi.export("workerCpu", seen[-1].worker_cpu)

    config = {
        **PROD_PRESET,
        "proliferate:profile": "prod",
        "aws:region": "us-east-1",
        "proliferate:ANTHROPIC_API_KEY": "sk",
    }
    cap = capture(
        program,
        config=config,
        secret_keys=["proliferate:certificateArn", "proliferate:ANTHROPIC_API_KEY"],
    )
    assert cap.output("workerCpu") == 512
    assert seen[0].certificate_arn == PROD_PRESET["proliferate:certificateArn"]
    assert seen[0].nat_strategy == "one_per_az" and seen[0].enable_https is True


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"proliferate:workerMemory": "4096"}, "proliferate:workerMemory"),
        ({"proliferate:workerCpu": "abc"}, "proliferate:workerCpu"),
        ({"proliferate:enableHttps": "true"}, "proliferate:enableHttps"),
        ({"proliferate:gatewayMemroy": "1024"}, "proliferate:gatewayMemroy"),
        ({"aws:region": "mars"}, "aws:region"),
    ],
)
def test_config_error_is_raised_before_any_registration(config: dict[str, str], key: str) -> None:
    mocks = _CountingMocks()

    def program() -> None:
        stack_config = StackConfig.from_pulumi_config()
        pulumi.ComponentResource("proliferate:test:AfterConfig", "after", None)
        pulumi.export("cpu", stack_config.worker_cpu)

    with pytest.raises(ConfigError) as info:
        capture(program, config=config, mocks=mocks)
    assert info.value.key == key
    assert mocks.created == []


def test_from_pulumi_config_reads_the_environment_like_pulumi_config_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "PULUMI_CONFIG",
        json.dumps({"proliferate:workerCpu": "512", "proliferate:workerMemory": "4096"}),
    )
    monkeypatch.setenv("PULUMI_CONFIG_PROLIFERATE_AZCOUNT", "3")
    c = StackConfig.from_pulumi_config()
    assert (c.worker_cpu, c.worker_memory_mib, c.az_count) == (512, 4096, 3)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"proliferate:workerCpuu": "512"}))
    assert _error(StackConfig.from_pulumi_config).key == "proliferate:workerCpuu"


def test_secret_config_is_not_echoed_from_the_runtime() -> None:
    wrong = ARN.replace("us-east-1", "eu-west-1")
    with pytest.raises(ConfigError) as info:
        capture(
            lambda: StackConfig.from_pulumi_config(),
            config={"proliferate:enableHttps": "true", "proliferate:certificateArn": wrong},
            secret_keys=["proliferate:certificateArn"],
        )
    assert info.value.key == "proliferate:certificateArn" and wrong not in str(info.value)


# --- the generated Pulumi.yaml config block obeys Pulumi's rules ---

_ALLOWED_ATTRIBUTES = {"type", "description", "items", "default", "value", "secret"}
_TYPES = {"string", "integer", "boolean", "array", "object"}


def _pulumi_value_ok(type_: str, value: Any) -> bool:
    """sdk/go/common/workspace/project.go ValidateConfigValue, for the scalar types."""
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.lstrip("-").isdigit()
        )
    if type_ == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    return False


def pulumi_config_block_errors(project: str, block: Mapping[str, Any]) -> list[str]:
    """What ``pulumi`` would refuse (or silently turn into a required value) in a config block.

    Rules from sdk/go/common/workspace/project.go (Project.Validate) and config.go (mergeConfig,
    validateStackConfigValue), as summarized in reference.md.
    """
    errors: list[str] = []
    for key, decl in block.items():
        if not isinstance(decl, dict):
            errors.append(f"{key}: use the full form (type/default or value)")
            continue
        unknown = set(decl) - _ALLOWED_ATTRIBUTES
        if unknown:
            errors.append(f"{key}: unknown attributes {sorted(unknown)}")
        if "default" in decl and "value" in decl:
            errors.append(f"{key}: cannot have both default and value")
        own = ":" not in key or key.startswith(f"{project}:")
        if not own:
            if "type" in decl:
                errors.append(f"{key}: not namespaced by the project, must not define a type")
            if "default" in decl:
                errors.append(f"{key}: not namespaced by the project, must not define a default")
            if "value" not in decl:
                errors.append(f"{key}: namespaced key must provide a value")
            continue
        type_ = decl.get("type")
        if type_ is not None and type_ not in _TYPES:
            errors.append(f"{key}: unknown type {type_!r}")
        if type_ == "array" and "items" not in decl:
            errors.append(f"{key}: array without items")
        if (
            "default" in decl
            and type_ in ("string", "integer", "boolean")
            and not _pulumi_value_ok(type_, decl["default"])
        ):
            errors.append(f"{key}: default {decl['default']!r} is not of type {type_}")
        if "default" not in decl and "value" not in decl:
            errors.append(f"{key}: no default, so every stack must set it (required)")
        if decl.get("secret") and ("default" in decl or "value" in decl):
            errors.append(f"{key}: secret with a plaintext default fails 'must be encrypted'")
    return errors


def test_validator_catches_the_spec_snippet() -> None:
    # The spec's Phase 3 Pulumi.yaml, as written: Pulumi rejects or mis-reads it.
    spec_block = {
        "aws:region": {"type": "string", "default": "us-east-1"},
        "proliferate:workerCpu": {"type": "number", "default": 256},
        "proliferate:certificateArn": {"type": "string", "secret": True},
        "proliferate:domainName": {"type": "string"},
    }
    errors = pulumi_config_block_errors("proliferate", spec_block)
    assert any(
        "aws:region: not namespaced by the project, must not define a type" in e for e in errors
    )
    assert any("unknown type 'number'" in e for e in errors)
    assert any(e.startswith("proliferate:certificateArn: no default") for e in errors)
    assert any(e.startswith("proliferate:domainName: no default") for e in errors)


def test_generated_schema_obeys_pulumi_rules_after_a_yaml_round_trip() -> None:
    block = pulumi_yaml_config_schema()
    loaded = yaml.safe_load(
        yaml.safe_dump({"name": "proliferate", "runtime": "python", "config": block})
    )
    assert loaded["config"] == block
    assert pulumi_config_block_errors("proliferate", loaded["config"]) == []
    assert loaded["config"]["aws:region"] == {"value": "us-east-1"}
    assert all(key == "aws:region" or key.startswith("proliferate:") for key in block)
    assert not any(decl.get("secret") for decl in block.values())


def test_generated_schema_declares_only_what_cannot_change_meaning() -> None:
    block = pulumi_yaml_config_schema()
    declared = {key.split(":", 1)[1] for key in block if key.startswith("proliferate:")}
    for ck in CONFIG_KEYS:
        if ck.namespace != "proliferate":
            continue
        declarable = ck.default is not None and not ck.secret and not ck.profile_dependent
        assert (ck.key in declared) == declarable, ck.key
        if declarable:
            assert block[ck.full_key] == {
                "type": ck.type,
                "description": ck.description,
                "default": ck.default,
            }


def _apply_project_defaults(stack: Mapping[str, str]) -> dict[str, str]:
    """What the Pulumi CLI hands the program: stack values plus project defaults/values."""
    merged = dict(stack)
    for key, decl in pulumi_yaml_config_schema().items():
        if key not in merged:
            value = decl.get("default", decl.get("value"))
            merged[key] = _as_config(value)
    return merged


@pytest.mark.parametrize(
    "stack",
    [
        {},
        dict(DEV_PRESET),
        dict(PROD_PRESET),
        {**PROD_PRESET, "proliferate:profile": "dev"},
        {"proliferate:profile": "prod"},
    ],
)
def test_project_defaults_do_not_change_what_a_stack_means(stack: dict[str, str]) -> None:
    assert StackConfig.from_mapping(_apply_project_defaults(stack)) == StackConfig.from_mapping(
        stack
    )


def test_config_key_dataclass_helpers() -> None:
    ck = ConfigKey(key="x", field="x", type="integer", default=1, description="d", prod_default=2)
    assert (
        ck.full_key == "proliferate:x"
        and ck.default_for("prod") == 2
        and ck.default_for("dev") == 1
    )
    assert ck.profile_dependent
    assert not ConfigKey(
        key="y", field="y", type="integer", default=1, description="d"
    ).profile_dependent


# --- proliferate:adopt (existing names and network layout) ---

ADOPT_JSON: dict[str, Any] = {
    "clusterName": "proliferate-cluster",
    "executionRoleName": "proliferate-ecs-execution",
    "services": {
        "worker": {"serviceName": "proliferate-worker", "logGroupName": "/ecs/proliferate-worker"},
        "llm-proxy": {"targetGroupName": "proliferate-llm-proxy"},
    },
    "redis": {"replicationGroupId": "proliferate-redis", "snapshotName": "seed-1"},
    "loadBalancer": {"name": "proliferate-alb"},
    "network": {
        "availabilityZones": ["us-east-1a", "us-east-1b"],
        "publicSubnetCidrs": ["10.0.0.0/24", "10.0.1.0/24"],
        "privateSubnetCidrs": ["10.0.10.0/24", "10.0.11.0/24"],
    },
}


def test_adopt_is_unset_by_default_and_not_written_back() -> None:
    assert StackConfig().adopt is None
    assert "proliferate:adopt" not in StackConfig().to_pulumi_config(include_defaults=True)
    assert config_key("adopt").type == "object" and config_key("adopt").default is None


def test_adopt_parses_into_typed_frozen_dataclasses_and_round_trips() -> None:
    c = StackConfig.from_mapping({"proliferate:adopt": json.dumps(ADOPT_JSON)})
    adopt = c.adopt
    assert isinstance(adopt, AdoptConfig)
    assert adopt.services["worker"] == AdoptService(
        service_name="proliferate-worker", log_group_name="/ecs/proliferate-worker"
    )
    assert adopt.redis is not None and adopt.redis.snapshot_name == "seed-1"
    assert adopt.network is not None
    assert adopt.network.availability_zones == ("us-east-1a", "us-east-1b")
    assert adopt.to_json() == ADOPT_JSON
    assert StackConfig.from_mapping(c.to_pulumi_config()) == c
    with pytest.raises(dataclasses.FrozenInstanceError):
        adopt.cluster_name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        adopt.services["web"] = AdoptService()  # type: ignore[index]


@pytest.mark.parametrize(
    ("mutate", "key", "fragment"),
    [
        (
            lambda a: a["services"]["worker"].update(serviceNmae="x"),
            "services.worker.serviceNmae",
            "did you mean serviceName",
        ),
        (lambda a: a.update(clusterNam="x"), "clusterNam", "did you mean clusterName"),
        (lambda a: a["services"].update(wroker={}), "services.wroker", "did you mean worker"),
        (
            lambda a: a["services"]["worker"].update(serviceName="has space"),
            "services.worker.serviceName",
            "letters, digits",
        ),
        (
            lambda a: a["services"]["worker"].update(targetGroupName="tg"),
            "services.worker.targetGroupName",
            "not behind the load balancer",
        ),
        (
            lambda a: a["redis"].update(replicationGroupId="r" * 41),
            "redis.replicationGroupId",
            "1 to 40",
        ),
        (lambda a: a["loadBalancer"].update(name="a" * 33), "loadBalancer.name", "1 to 32"),
        (
            lambda a: a["network"].update(availabilityZones=["us-east-1a"]),
            "network.availabilityZones",
            "exactly azCount=2",
        ),
        (
            lambda a: a["network"].update(availabilityZones=["eu-west-1a", "eu-west-1b"]),
            "network.availabilityZones",
            "region us-east-1",
        ),
        (
            lambda a: a["network"].update(publicSubnetCidrs=["10.1.0.0/24", "10.0.1.0/24"]),
            "network.publicSubnetCidrs[0]",
            "inside the VPC",
        ),
        (
            lambda a: a["network"].update(privateSubnetCidrs=["10.0.0.0/24", "10.0.11.0/24"]),
            "network.privateSubnetCidrs[0]",
            "does not overlap",
        ),
        (
            lambda a: a["network"].pop("privateSubnetCidrs"),
            "network.privateSubnetCidrs",
            "together",
        ),
        (
            lambda a: a["services"].update(web={"serviceName": "w"}),
            "services.web",
            "enableWeb=true",
        ),
        (lambda a: a.update(services=["worker"]), "services", "a JSON object"),
    ],
)
def test_bad_adopt_entries_are_rejected_naming_the_full_path(
    mutate: Callable[[dict[str, Any]], Any], key: str, fragment: str
) -> None:
    adopt = json.loads(json.dumps(ADOPT_JSON))
    mutate(adopt)
    err = _error(lambda: StackConfig.from_mapping({"proliferate:adopt": json.dumps(adopt)}))
    assert err.key == f"proliferate:adopt.{key}", err
    assert fragment in err.valid, err


def test_adopt_that_is_not_json_is_rejected() -> None:
    err = _error(lambda: StackConfig.from_mapping({"proliferate:adopt": "{not json"}))
    assert err.key == "proliferate:adopt" and "JSON object" in err.valid


def test_adopt_errors_in_python_name_the_field() -> None:
    err = _error(lambda: AdoptConfig(services={"worker": AdoptService(service_name="a b")}))
    assert err.key == "adopt.services['worker'].service_name"
    err = _error(lambda: StackConfig(adopt=AdoptConfig(cluster_name="")))
    assert err.key == "adopt.cluster_name"
    err = _error(lambda: StackConfig(adopt={"clusterName": "x"}))  # type: ignore[arg-type]
    assert err.key == "adopt" and "AdoptConfig" in err.valid


def test_adopt_config_paths_are_the_pulumi_config_set_path_arguments() -> None:
    adopt = AdoptConfig.from_json(ADOPT_JSON)
    paths = dict(adopt.config_paths())
    assert paths["proliferate:adopt.clusterName"] == "proliferate-cluster"
    assert (
        paths['proliferate:adopt.services["llm-proxy"].targetGroupName'] == "proliferate-llm-proxy"
    )
    assert paths["proliferate:adopt.network.privateSubnetCidrs[1]"] == "10.0.11.0/24"
    assert len(paths) == 14  # one per leaf: 8 names and 6 list entries


@pytest.mark.parametrize(
    ("cidr", "kind"),
    [
        ("8.8.0.0/16", "publicly routable"),
        ("52.10.0.0/20", "publicly routable"),
        ("100.64.0.0/16", "not an RFC 1918 private range"),
        ("10.0.0.0/16", None),
        ("172.31.0.0/16", None),
        ("192.168.10.0/24", None),
    ],
)
def test_a_vpc_outside_rfc_1918_is_accepted_with_a_warning(cidr: str, kind: str | None) -> None:
    config = StackConfig(vpc_cidr=cidr)
    assert config.vpc_cidr == cidr
    if kind is None:
        assert config.warnings() == [] and config.warnings(pulumi_keys=True) == []
        return
    [field_warning] = config.warnings()
    assert field_warning.startswith(f"vpc_cidr={cidr} is {kind}")
    [key_warning] = config.warnings(pulumi_keys=True)
    assert key_warning.startswith(f"proliferate:vpcCidr={cidr} is {kind}")


def test_from_pulumi_config_logs_the_warnings_before_any_registration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mocks = _CountingMocks()
    created_when_warned: list[int] = []

    def program() -> None:
        StackConfig.from_pulumi_config()
        created_when_warned.append(len(mocks.created))

    capture(program, config={"proliferate:vpcCidr": "8.8.0.0/16"}, mocks=mocks)
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert [w for w in warned if w.startswith("proliferate:vpcCidr=8.8.0.0/16 is publicly")]
    assert created_when_warned == [0]


# --- every key fuzzed: empty, blank, unicode and out-of-range values ---

_BLANKS = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", min_size=1, max_size=6)
_DIGITS = st.text(alphabet="0123456789\u0660\u0661\uff15\uff11\uff12\u00b2", min_size=1, max_size=8)


def _fuzzed_values(ck: ConfigKey) -> st.SearchStrategy[str]:
    """Values a user could type for ``ck``: empty, blank, any unicode text, numbers far out
    of range (also in other scripts' digits), the valid default padded or with a suffix."""
    default = "" if ck.default is None else _as_config(ck.default)
    return st.one_of(
        st.just(""),
        _BLANKS,
        st.text(max_size=40),
        st.integers(-(10**30), 10**30).map(str),
        st.sampled_from(["0", "-1", "2147483648", "1e3", "512.0", "0x200", "+7", "NaN", "∞"]),
        _DIGITS,
        st.builds(lambda pad, text: pad + text + pad, _BLANKS, st.just(default)),
        st.builds(lambda extra: default + extra, st.text(min_size=1, max_size=5)),
        st.sampled_from(["TRUE", "yes", "1", "null", "{}", "[]", '{"clusterName": ""}']),
    )


@st.composite
def _key_and_value(draw: st.DrawFn) -> tuple[ConfigKey, str, dict[str, str]]:
    ck = draw(st.sampled_from(CONFIG_KEYS))
    base = dict(draw(st.sampled_from([{}, DEV_PRESET, PROD_PRESET])))
    return ck, draw(_fuzzed_values(ck)), base


def _names_the_key(err: ConfigError, full_key: str) -> bool:
    return (
        err.key == full_key
        or err.key.startswith((full_key + ".", full_key + "["))
        or (full_key in str(err))
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_key_and_value())
def test_every_key_fuzzed_parses_or_fails_naming_it(
    case: tuple[ConfigKey, str, dict[str, str]],
) -> None:
    ck, value, base = case
    try:
        StackConfig.from_mapping({**base, ck.full_key: value})
    except ConfigError as err:
        assert _names_the_key(err, ck.full_key), (ck.full_key, value, str(err))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_key_and_value())
def test_every_key_fuzzed_in_a_program_registers_nothing_before_its_error(
    case: tuple[ConfigKey, str, dict[str, str]],
) -> None:
    ck, value, base = case
    mocks = _CountingMocks()

    def program() -> None:
        StackConfig.from_pulumi_config()
        pulumi.ComponentResource("proliferate:test:AfterConfig", "after", None)

    try:
        capture(program, config={**base, ck.full_key: value}, mocks=mocks)
    except ConfigError as err:
        assert _names_the_key(err, ck.full_key), (ck.full_key, value, str(err))
        assert mocks.created == []
    else:
        assert mocks.created == ["proliferate:test:AfterConfig"]


_NASTY = [
    "",
    " ",
    "   ",
    "\t\n",
    "\u00a0",
    "ünïcødé",
    "日本語",
    "\uff15\uff11\uff12",
    "١٢",
    "-1",
    "0",
]
_NASTY += [str(10**30), "-" + str(10**30), "1e309", "true\n", "💥", "\x00", "a" * 5000]


def test_every_key_with_every_nasty_value_parses_or_fails_naming_it() -> None:
    outcomes: dict[str, set[str]] = {}
    for ck in CONFIG_KEYS:
        for value in _NASTY:
            try:
                StackConfig.from_mapping({ck.full_key: value})
                outcomes.setdefault(ck.full_key, set()).add("parsed")
            except ConfigError as err:
                assert _names_the_key(err, ck.full_key), (ck.full_key, value, str(err))
                outcomes.setdefault(ck.full_key, set()).add("refused")
    assert set(outcomes) == {ck.full_key for ck in CONFIG_KEYS}
    # every key refuses something; a blank value is refused by every key (it never counts
    # as set), while "" is "unset" for every key (Pulumi's convention)
    assert all("refused" in seen for seen in outcomes.values()), outcomes
    for ck in CONFIG_KEYS:
        for blank in (" ", "\t\n", "\u00a0"):
            with pytest.raises(ConfigError) as info:
                StackConfig.from_mapping({ck.full_key: blank})
            assert _names_the_key(info.value, ck.full_key)
    assert all(StackConfig.from_mapping({ck.full_key: ""}) for ck in CONFIG_KEYS)
