"""The price table and the usage file: what the bundled table holds, and every malformed
file rejected with a ConfigError naming the file and the entry."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from proliferate_components.cost import BUNDLED_PRICES_PATH, USAGE_KEYS, load_prices, load_usage
from proliferate_components.cost.prices import INSTANCE_TABLES, REQUIRED_RATES
from proliferate_components.errors import ConfigError

RAW: dict[str, Any] = json.loads(BUNDLED_PRICES_PATH.read_text(encoding="utf-8"))


# -- the bundled table -------------------------------------------------------------------------


def test_bundled_table_is_dated_names_its_source_and_terms() -> None:
    table = load_prices()
    assert table.file == "bundled"
    assert table.as_of == RAW["metadata"]["as_of"]
    assert "AWS" in table.source and "on-demand" in table.source
    assert "free tier" in table.metadata["terms"] and "Savings Plans" in table.metadata["terms"]
    assert table.hours_per_month == 730
    for section in ("nat_gateway", "fargate", "elasticache", "rds", "cloudwatch", "kms"):
        assert table.metadata["sources"][section].startswith("https://aws.amazon.com/")


def test_bundled_table_has_us_east_1_and_at_least_four_more_regions() -> None:
    table = load_prices()
    assert "us-east-1" in table.regions
    assert len(set(table.regions) - {"us-east-1"}) >= 4
    assert {"us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"} <= set(table.regions)


def test_every_region_prices_the_stack_defaults_and_both_profiles() -> None:
    from proliferate_components.config import CONFIG_KEYS

    table = load_prices()
    keys = {ck.full_key: ck for ck in CONFIG_KEYS}
    node_types = {keys["proliferate:redisCacheNodeType"].default}
    node_types.add(keys["proliferate:redisCacheNodeType"].prod_default)
    classes = {keys["proliferate:dbInstanceClass"].default}
    classes.add(keys["proliferate:dbInstanceClass"].prod_default)
    for region in table.regions:
        assert node_types <= set(table.instance_rates(region, "elasticache.node_hour")), region
        assert classes <= set(table.instance_rates(region, "rds.instance_hour.postgres")), region
        assert classes <= set(table.rds_vcpus)


def test_arm_fargate_is_cheaper_than_x86_and_multi_az_doubles() -> None:
    table = load_prices()
    for region in table.regions:
        assert table.rate(region, "fargate.arm_vcpu_hour") < table.rate(
            region, "fargate.x86_vcpu_hour"
        )
        assert table.rate(region, "rds.multi_az_factor") == 2


# -- malformed price tables ----------------------------------------------------------------------


def _write(tmp_path: Path, document: Any) -> Path:
    target = tmp_path / "prices.json"
    target.write_text(json.dumps(document), encoding="utf-8")
    return target


def _broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(RAW)
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "key_tail", "valid"),
    [
        (
            lambda d: d["regions"]["eu-west-1"]["nat_gateway"].pop("hour"),
            "regions.eu-west-1.nat_gateway.hour",
            "missing",
        ),
        (
            lambda d: d["regions"]["us-east-1"]["kms"].__setitem__("key_month", -1),
            "regions.us-east-1.kms.key_month",
            "non-negative",
        ),
        (
            lambda d: d["regions"]["us-east-1"]["fargate"].__setitem__("x86_vcpu_hour", "cheap"),
            "regions.us-east-1.fargate.x86_vcpu_hour",
            "non-negative",
        ),
        (
            lambda d: d["regions"]["us-east-1"]["elasticache"]["node_hour"].__setitem__(
                "cache.t3.micro", None
            ),
            "regions.us-east-1.elasticache.node_hour.cache.t3.micro",
            "non-negative",
        ),
        (
            lambda d: d["regions"]["us-east-1"]["rds"]["instance_hour"].pop("postgres"),
            "regions.us-east-1.rds.instance_hour.postgres",
            "type -> USD",
        ),
        (lambda d: d["metadata"].__setitem__("as_of", "June 2026"), "metadata.as_of", "YYYY-MM-DD"),
        (lambda d: d["metadata"].pop("source"), "metadata.source", "where the prices come from"),
        (lambda d: d["metadata"].__setitem__("currency", "EUR"), "metadata.currency", "USD"),
        (
            lambda d: d["metadata"].__setitem__("hours_per_month", 0),
            "metadata.hours_per_month",
            "above 0",
        ),
        (lambda d: d.__setitem__("regions", {}), "regions", "at least one region"),
        (lambda d: d.__setitem__("schema_version", 2), "schema_version", "1"),
        (
            lambda d: d["specs"]["rds_vcpus"].__setitem__("db.t4g.micro", 0),
            "specs.rds_vcpus.db.t4g.micro",
            "whole number",
        ),
    ],
    ids=[
        "missing-rate",
        "negative",
        "not-a-number",
        "null-node-price",
        "missing-engine-table",
        "bad-date",
        "no-source",
        "currency",
        "zero-hours",
        "no-regions",
        "schema-version",
        "zero-vcpus",
    ],
)
def test_malformed_price_table_names_the_entry(
    tmp_path: Path, change: Any, key_tail: str, valid: str
) -> None:
    path = _write(tmp_path, _broken(change))
    with pytest.raises(ConfigError) as caught:
        load_prices(path)
    assert caught.value.key == f"--prices {path}: {key_tail}"
    assert valid in caught.value.valid


def test_price_file_that_is_not_json_or_missing(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_prices(path)
    assert (caught.value.key, caught.value.value) == ("--prices", str(path))
    assert "line 1" in caught.value.valid
    with pytest.raises(ConfigError) as missing:
        load_prices(tmp_path / "absent.json")
    assert "readable" in missing.value.valid
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ConfigError) as listed:
        load_prices(path)
    assert "JSON object" in listed.value.valid


def test_a_replacement_table_is_used_as_given(tmp_path: Path) -> None:
    document = copy.deepcopy(RAW)
    document["regions"] = {"eu-west-2": document["regions"]["eu-west-1"]}
    document["regions"]["eu-west-2"]["nat_gateway"]["hour"] = 0.05
    table = load_prices(_write(tmp_path, document))
    assert list(table.regions) == ["eu-west-2"]
    assert table.rate("eu-west-2", "nat_gateway.hour") == 0.05
    assert table.file == str(tmp_path / "prices.json")


def test_required_rates_cover_every_rate_the_rules_read() -> None:
    """Every `ctx.rate("...")`/`ctx.line(..., "...")` key in the rules is checked on load."""
    import re

    rules = Path(__file__).resolve().parents[1] / "proliferate_components" / "cost" / "rules"
    used: set[str] = set()
    for source in rules.glob("*.py"):
        used |= set(re.findall(r'"((?:[a-z0-9]+_?)+\.[a-z0-9_.]+)"', source.read_text()))
    used = {u for u in used if u.split(".")[0] in RAW["regions"]["us-east-1"]}
    assert len(used) > 25  # the scan finds the literal keys
    per_type_tables = {t.rsplit(".", 1)[0] for t in INSTANCE_TABLES} | set(INSTANCE_TABLES)
    assert {u for u in used if u not in REQUIRED_RATES and u not in per_type_tables} == set()


# -- usage files ---------------------------------------------------------------------------------


def _usage(tmp_path: Path, text: str) -> Path:
    target = tmp_path / "usage.yml"
    target.write_text(text, encoding="utf-8")
    return target


def test_usage_file_reads_type_defaults_and_resources(tmp_path: Path) -> None:
    path = _usage(
        tmp_path,
        "version: 0.1\n"
        "resource_type_default_usage:\n"
        "  aws:ecr/repository:Repository:\n"
        "    storage_gb: 4\n"
        "resource_usage:\n"
        "  my-nat:\n"
        "    monthly_data_processed_gb: 250.5\n"
        "    monthly_hours: 360\n",
    )
    usage = load_usage(path)
    assert usage.type_defaults == {"aws:ecr/repository:Repository": {"storage_gb": 4.0}}
    assert usage.resources == {"my-nat": {"monthly_data_processed_gb": 250.5, "monthly_hours": 360}}
    figure = usage.figure(
        "aws:ec2/natGateway:NatGateway", "my-nat", "urn:x", "monthly_data_processed_gb"
    )
    assert (figure.value, figure.source, figure.detail) == (
        250.5,
        "usage file",
        "resource_usage.my-nat",
    )
    default = usage.figure(
        "aws:ec2/natGateway:NatGateway", "other", "urn:y", "monthly_data_processed_gb"
    )
    assert (default.value, default.source) == (25.0, "default")


@pytest.mark.parametrize(
    ("text", "key_tail", "valid"),
    [
        ("resource_usage: {}\n", "version", "0.1"),
        ("version: 2\n", "version", "0.1"),
        ("version: 0.1\nresources: {}\n", "resources", "resource_usage"),
        (
            "version: 0.1\nresource_type_default_usage:\n  aws:sqs/queue:Queue:\n    x: 1\n",
            "resource_type_default_usage.aws:sqs/queue:Queue",
            "aws:ec2/natGateway:NatGateway",
        ),
        (
            "version: 0.1\nresource_type_default_usage:\n  aws:ec2/natGateway:NatGateway:\n"
            "    monthly_gb: 1\n",
            "resource_type_default_usage.aws:ec2/natGateway:NatGateway.monthly_gb",
            "monthly_data_processed_gb",
        ),
        (
            "version: 0.1\nresource_usage:\n  nat:\n    monthly_data_processed_gb: -5\n",
            "resource_usage.nat.monthly_data_processed_gb",
            "non-negative number (GB)",
        ),
        (
            "version: 0.1\nresource_usage:\n  nat:\n    monthly_data_processed_gb: lots\n",
            "resource_usage.nat.monthly_data_processed_gb",
            "non-negative number",
        ),
        (
            "version: 0.1\nresource_usage:\n  nat:\n    monthly_hours: 800\n",
            "resource_usage.nat.monthly_hours",
            "at most 744 hours",
        ),
        (
            "version: 0.1\nresource_usage:\n  nat:\n    no_such_key: 1\n",
            "resource_usage.nat.no_such_key",
            "average_lcus",
        ),
        ("version: 0.1\nresource_usage:\n  nat: 5\n", "resource_usage.nat", "mapping"),
        ("version: 0.1\nresource_usage: [1]\n", "resource_usage", "a mapping"),
    ],
    ids=[
        "no-version",
        "wrong-version",
        "unknown-section",
        "unknown-type",
        "unknown-type-key",
        "negative",
        "not-a-number",
        "above-maximum",
        "unknown-key",
        "entry-not-a-mapping",
        "section-not-a-mapping",
    ],
)
def test_malformed_usage_file_names_the_entry(
    tmp_path: Path, text: str, key_tail: str, valid: str
) -> None:
    path = _usage(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_usage(path)
    assert caught.value.key == f"--usage {path}: {key_tail}"
    assert valid in caught.value.valid


def test_usage_file_that_is_not_yaml_or_not_a_mapping(tmp_path: Path) -> None:
    path = _usage(tmp_path, "version: [0.1\n")
    with pytest.raises(ConfigError) as caught:
        load_usage(path)
    assert caught.value.key == "--usage"
    assert "YAML" in caught.value.valid and "line" in caught.value.valid
    path = _usage(tmp_path, "- just\n- a list\n")
    with pytest.raises(ConfigError) as listed:
        load_usage(path)
    assert "mapping" in listed.value.valid
    with pytest.raises(ConfigError) as missing:
        load_usage(tmp_path / "absent.yml")
    assert "readable" in missing.value.valid


def test_every_usage_key_is_documented_with_a_default_or_a_derivation() -> None:
    for resource_type, keys in USAGE_KEYS.items():
        assert keys, resource_type
        for key in keys:
            assert key.description, (resource_type, key.name)
            assert (key.default is None) == bool(key.derived), (resource_type, key.name)
            assert key.default is None or key.default >= 0
