"""The pure validators reject what AWS would reject late, naming key, value and what is valid."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proliferate_components.errors import ConfigError
from proliferate_components.sizing import (
    CLOUDWATCH_LOG_RETENTION_DAYS,
    FARGATE_CPU_MEMORY_MIB,
    validate_az_count,
    validate_cache_node_type,
    validate_certificate_arn,
    validate_choice,
    validate_cidr_block,
    validate_db_instance_class,
    validate_domain_name,
    validate_fargate_size,
    validate_int_range,
    validate_log_retention_days,
    validate_region,
)

CPU_KEY = "proliferate:workerCpu"
MEM_KEY = "proliferate:workerMemory"

# AWS's table (reference.md, "Fargate task CPU -> memory"), written out by hand as
# (first, last, step) so the module's table is checked against an independent statement.
AWS_TABLE = {
    256: None,  # 512, 1024, 2048: not an arithmetic series
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def _error(fn: object, *args: object, **kwargs: object) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        fn(*args, **kwargs)  # type: ignore[operator]
    return info.value


# --- Fargate ---


def test_fargate_table_matches_aws() -> None:
    assert set(FARGATE_CPU_MEMORY_MIB) == set(AWS_TABLE)
    assert FARGATE_CPU_MEMORY_MIB[256] == (512, 1024, 2048)
    for cpu, series in AWS_TABLE.items():
        if series is None:
            continue
        first, last, step = series
        assert FARGATE_CPU_MEMORY_MIB[cpu] == tuple(range(first, last + 1, step))
    assert len(FARGATE_CPU_MEMORY_MIB[8192]) == 12 and len(FARGATE_CPU_MEMORY_MIB[16384]) == 12


@pytest.mark.parametrize(
    ("cpu", "memory"), [(c, m) for c, ms in FARGATE_CPU_MEMORY_MIB.items() for m in ms]
)
def test_every_valid_fargate_pair_passes(cpu: int, memory: int) -> None:
    validate_fargate_size(cpu, memory, cpu_key=CPU_KEY, memory_key=MEM_KEY)


@pytest.mark.parametrize(
    ("cpu", "memory"),
    [
        (256, 4096),
        (256, 3072),
        (512, 512),
        (1024, 1024),
        (4096, 31744),
        (8192, 18432),
        (16384, 36864),
        (16384, 131072),
    ],
)
def test_invalid_memory_names_both_keys_and_lists_valid_memory(cpu: int, memory: int) -> None:
    err = _error(validate_fargate_size, cpu, memory, cpu_key=CPU_KEY, memory_key=MEM_KEY)
    assert err.key == MEM_KEY and err.value == memory
    message = str(err)
    assert message.startswith(f"{MEM_KEY}: invalid value {memory}")
    assert f"{CPU_KEY}={cpu}" in message
    listed = [int(x) for x in re.findall(r"\d+", message.split("(MiB) of", 1)[1])]
    assert tuple(listed) == FARGATE_CPU_MEMORY_MIB[cpu]


@pytest.mark.parametrize("cpu", [0, 128, 300, 3072, 32768, True])
def test_invalid_cpu_lists_valid_cpus(cpu: int) -> None:
    err = _error(validate_fargate_size, cpu, 2048, cpu_key=CPU_KEY, memory_key=MEM_KEY)
    assert err.key == CPU_KEY and err.value is cpu
    assert "256, 512, 1024, 2048, 4096, 8192, 16384" in str(err)


@settings(deadline=None)
@given(cpu=st.integers(-100, 20000), memory=st.integers(-100, 130000))
def test_fargate_accepts_exactly_the_table(cpu: int, memory: int) -> None:
    valid = memory in FARGATE_CPU_MEMORY_MIB.get(cpu, ())
    try:
        validate_fargate_size(cpu, memory, cpu_key=CPU_KEY, memory_key=MEM_KEY)
    except ConfigError as err:
        assert not valid
        assert err.key == (MEM_KEY if cpu in FARGATE_CPU_MEMORY_MIB else CPU_KEY)
    else:
        assert valid


# --- shapes ---


@pytest.mark.parametrize(
    "value",
    [
        "cache.t3.micro",
        "cache.t3.small",
        "cache.t4g.micro",
        "cache.r7g.large",
        "cache.m6g.xlarge",
        "cache.r6gd.2xlarge",
        "cache.m5.24xlarge",
        "cache.c7gn.large",
    ],
)
def test_cache_node_types_accepted(value: str) -> None:
    validate_cache_node_type(value, key="k")


@pytest.mark.parametrize(
    "value",
    [
        "t3.micro",
        "cache.t3",
        "cache.t3.huge",
        "db.t3.micro",
        "Cache.t3.micro",
        "cache..micro",
        "cache.t3.micro ",
        "",
        "cache.serverless",
    ],
)
def test_cache_node_types_rejected(value: str) -> None:
    err = _error(validate_cache_node_type, value, key="proliferate:redisCacheNodeType")
    assert err.key == "proliferate:redisCacheNodeType" and err.value == value
    assert repr(value) in str(err) and "cache.t3.micro" in err.valid


@pytest.mark.parametrize(
    "value",
    [
        "db.t4g.micro",
        "db.t3.small",
        "db.r6g.large",
        "db.m7g.2xlarge",
        "db.r6gd.xlarge",
        "db.x2g.16xlarge",
    ],
)
def test_db_instance_classes_accepted(value: str) -> None:
    validate_db_instance_class(value, key="k")


@pytest.mark.parametrize(
    "value",
    ["t4g.micro", "db.serverless", "cache.t3.micro", "db.t4g", "db.t4g.mega", "DB.t4g.micro"],
)
def test_db_instance_classes_rejected(value: str) -> None:
    err = _error(validate_db_instance_class, value, key="db_instance_class")
    assert err.key == "db_instance_class" and err.value == value
    assert "db.t4g.micro" in err.valid


# --- domains ---


@pytest.mark.parametrize(
    "value",
    [
        "app.example.com",
        "example.io",
        "a.b.c.d.example.co.uk",
        "xn--bcher-kva.example",
        "App.Example.COM",
        "my-app1.example.com",
        "1password.com",
        f"{'a' * 63}.com",
    ],
)
def test_domains_accepted(value: str) -> None:
    validate_domain_name(value, key="k")


@pytest.mark.parametrize(
    "value",
    [
        "localhost",
        "app.example.com.",
        "https://app.example.com",
        "app.example.com/path",
        "*.example.com",
        "-app.example.com",
        "app-.example.com",
        "app..example.com",
        "under_score.example.com",
        "10.0.0.1",
        f"{'a' * 64}.com",
        ".".join(["abcdefghi"] * 26),  # 259 characters
        "",
        "app example.com",
    ],
)
def test_domains_rejected(value: str) -> None:
    err = _error(validate_domain_name, value, key="proliferate:domainName")
    assert err.key == "proliferate:domainName" and err.value == value
    assert "app.example.com" in err.valid


def test_domain_length_limit_is_253() -> None:
    labels = ["a" * 63] * 3 + ["b" * 61]
    assert len(".".join(labels)) == 253
    validate_domain_name(".".join(labels), key="k")
    too_long = ".".join(["a" * 63] * 3 + ["b" * 62])
    assert "254 characters" in str(_error(validate_domain_name, too_long, key="k"))


# --- CIDR ---


@pytest.mark.parametrize(
    "value", ["10.0.0.0/16", "172.16.0.0/20", "192.168.1.0/24", "10.255.0.0/16", "100.64.0.0/18"]
)
def test_cidrs_accepted(value: str) -> None:
    validate_cidr_block(value, key="k")


def test_cidr_host_bits_must_be_zero() -> None:
    err = _error(validate_cidr_block, "10.0.1.0/16", key="proliferate:vpcCidr")
    assert err.key == "proliferate:vpcCidr" and err.value == "10.0.1.0/16"
    assert "host bits must be zero" in str(err) and "10.0.0.0/16" in str(err)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("10.0.0.0/8", "largest VPC is a /16"),
        ("10.0.0.0/15", "largest VPC is a /16"),
        ("10.0.0.0/25", "smaller than /24"),
        ("10.0.0.0/28", "smaller than /24"),
        ("10.0.0.0", "CIDR notation"),
        ("not-a-cidr/16", "CIDR notation"),
        ("256.0.0.0/16", "CIDR notation"),
        ("fd00::/56", "IPv4"),
        ("10.0.0.0/255.255.0.0", "canonical form: 10.0.0.0/16"),
    ],
)
def test_cidrs_rejected(value: str, hint: str) -> None:
    err = _error(validate_cidr_block, value, key="vpc_cidr")
    assert err.key == "vpc_cidr" and err.value == value
    assert hint in str(err) and "/16 to /24" in str(err)


@settings(deadline=None)
@given(st.ip_addresses(v=4), st.integers(0, 32))
def test_cidr_accepts_exactly_zero_host_bits_16_to_24(
    address: ipaddress.IPv4Address, prefix: int
) -> None:
    value = f"{address}/{prefix}"
    network = ipaddress.IPv4Network(value, strict=False)
    valid = 16 <= prefix <= 24 and network.network_address == address
    try:
        validate_cidr_block(value, key="k")
    except ConfigError as err:
        assert not valid and err.key == "k"
    else:
        assert valid


# --- small ones ---


@pytest.mark.parametrize("value", [2, 3, 6])
def test_az_count_accepted(value: int) -> None:
    validate_az_count(value, key="k")


@pytest.mark.parametrize("value", [0, 1, 7, -2, True])
def test_az_count_rejected(value: int) -> None:
    err = _error(validate_az_count, value, key="proliferate:azCount")
    assert err.key == "proliferate:azCount" and "from 2 to 6" in err.valid


@pytest.mark.parametrize(
    "value",
    ["us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-north-1", "il-central-1"],
)
def test_regions_accepted(value: str) -> None:
    validate_region(value, key="k")


@pytest.mark.parametrize("value", ["us-east", "US-EAST-1", "useast1", "", "us-east-1a"])
def test_regions_rejected(value: str) -> None:
    err = _error(validate_region, value, key="aws:region")
    assert err.key == "aws:region" and "us-east-1" in err.valid


ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


@pytest.mark.parametrize(
    "value",
    [
        ARN,
        "arn:aws-cn:acm:cn-north-1:123456789012:certificate/abc",
        "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/abc",
    ],
)
def test_certificate_arns_accepted(value: str) -> None:
    validate_certificate_arn(value, key="k")


@pytest.mark.parametrize(
    "value",
    [
        "arn:aws:acm:us-east-1:12345678901:certificate/abc",  # 11-digit account
        "arn:aws:iam::123456789012:server-certificate/abc",
        "arn:aws:acm:us-east-1:123456789012:certificate/",
        "arn:aws:acm:...",
        "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
    ],
)
def test_certificate_arns_rejected(value: str) -> None:
    err = _error(validate_certificate_arn, value, key="proliferate:certificateArn")
    assert err.key == "proliferate:certificateArn" and "certificate/<id>" in err.valid


def test_certificate_must_be_in_the_stack_region() -> None:
    validate_certificate_arn(ARN, key="k", region="us-east-1")
    err = _error(validate_certificate_arn, ARN, key="k", region="eu-west-1")
    assert "eu-west-1" in err.valid and "us-east-1" in err.valid


def test_log_retention_only_cloudwatch_values() -> None:
    for days in CLOUDWATCH_LOG_RETENTION_DAYS:
        validate_log_retention_days(days, key="k")
    for days in (0, 2, 31, 366, 10000, True):
        err = _error(validate_log_retention_days, days, key="proliferate:logRetentionDays")
        assert (
            err.key == "proliferate:logRetentionDays" and "1, 3, 5, 7, 14, 30, 60, 90" in err.valid
        )


def test_int_range_and_choice() -> None:
    validate_int_range(5, key="k", minimum=1, maximum=5)
    for bad in (0, 6, True, "3"):
        err = _error(validate_int_range, bad, key="k", minimum=1, maximum=5)
        assert "from 1 to 5" in err.valid
    validate_choice("single", key="k", choices=("single", "one_per_az"))
    err = _error(
        validate_choice, "Single", key="proliferate:natStrategy", choices=("single", "one_per_az")
    )
    assert str(err) == "proliferate:natStrategy: invalid value 'Single'; one of single, one_per_az"
