"""Reading Terraform state files: version 4 only, clear errors naming what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from migrate_fixtures.builder import DEV, build_state

from proliferate_components.errors import ConfigError
from proliferate_components.migrate import load_state, parse_state


def test_parses_every_managed_instance_with_its_address() -> None:
    state = parse_state(build_state(DEV))
    addresses = [r.address for r in state.resources]
    assert "aws_vpc.main" in addresses
    assert "aws_subnet.public[0]" in addresses and "aws_subnet.private[1]" in addresses
    subnet = state.by_address("aws_subnet.private[1]")
    assert subnet.type == "aws_subnet" and subnet.name == "private" and subnet.index_key == 1
    assert subnet.attr("availability_zone") == "us-east-1b"
    assert state.terraform_version == "1.9.8"


def test_module_and_for_each_addresses() -> None:
    doc = {
        "version": 4,
        "resources": [
            {
                "module": "module.net",
                "mode": "managed",
                "type": "aws_subnet",
                "name": "this",
                "instances": [{"index_key": "a", "attributes": {"id": "subnet-1"}}],
            }
        ],
    }
    assert parse_state(doc).resources[0].address == 'module.net.aws_subnet.this["a"]'


def test_data_sources_are_skipped() -> None:
    doc = build_state(DEV)
    doc["resources"].append(
        {
            "mode": "data",
            "type": "aws_availability_zones",
            "name": "all",
            "instances": [{"attributes": {}}],
        }
    )
    assert all(r.type != "aws_availability_zones" for r in parse_state(doc).resources)


@pytest.mark.parametrize(
    ("mutate", "key", "fragment"),
    [
        (lambda d: d.update(version=3), "state.version", "version 4"),
        (lambda d: d.pop("version"), "state.version", "terraform state pull"),
        (lambda d: d.update(resources={}), "state.resources", "a list"),
        (lambda d: d["resources"][0].update(type=""), "state.resources[0].type", "non-empty"),
        (lambda d: d["resources"][0].update(mode="weird"), "state.resources[0].mode", "'managed'"),
        (
            lambda d: d["resources"][0]["instances"][0].pop("attributes"),
            "state.resources[0].instances[0].attributes",
            "Terraform < 0.12",
        ),
        (
            lambda d: d["resources"][1]["instances"][0].update(index_key=1.5),
            "state.resources[1].instances[0].index_key",
            "integer or a string",
        ),
    ],
)
def test_errors_name_the_json_path(mutate, key: str, fragment: str) -> None:
    doc = build_state(DEV)
    mutate(doc)
    with pytest.raises(ConfigError) as info:
        parse_state(doc)
    assert info.value.key == key
    assert fragment in str(info.value)


def test_terraform_show_json_is_recognised_and_explained() -> None:
    with pytest.raises(ConfigError, match="terraform show -json"):
        parse_state({"format_version": "1.0", "values": {}})


def test_not_an_object() -> None:
    with pytest.raises(ConfigError) as info:
        parse_state([1, 2])
    assert info.value.key == "state"


def test_load_state_missing_and_not_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_state(tmp_path / "nope.tfstate")
    assert info.value.key == "--state"
    bad = tmp_path / "bad.tfstate"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="JSONDecodeError"):
        load_state(bad)
    good = tmp_path / "terraform.tfstate"
    good.write_text(json.dumps(build_state(DEV)), encoding="utf-8")
    assert len(load_state(good).resources) == len(parse_state(build_state(DEV)).resources)


def test_errors_use_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "terraform.tfstate"
    path.write_text(json.dumps({"version": 3, "resources": []}), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_state(path)
    assert info.value.key == "terraform.tfstate.version"
