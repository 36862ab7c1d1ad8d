"""`migrate resolve-rules`: placeholder ids of inline security group rules, resolved with EC2
(moto)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from proliferate_components.cli.main import main
from proliferate_components.errors import ConfigError
from proliferate_components.migrate.ruleids import parse_placeholder, resolve_rule_ids
from proliferate_components.migrate.tfstate import TfResource, rule_shape, unresolved_rule_id


def _groups() -> tuple[str, str, dict[str, str]]:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    alb = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    app = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=app,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 4000,
                "ToPort": 4000,
                "UserIdGroupPairs": [{"GroupId": alb}],
            }
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=alb,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
        ],
    )
    ids: dict[str, str] = {}
    for rule in ec2.describe_security_group_rules()["SecurityGroupRules"]:
        key = (
            f"{rule['GroupId']}/{'egress' if rule['IsEgress'] else 'ingress'}/{rule['IpProtocol']}/"
            f"{rule.get('FromPort')}"
        )
        ids[key] = rule["SecurityGroupRuleId"]
    return alb, app, ids


def _write(out: Path, entries: list[dict[str, Any]]) -> None:
    out.mkdir()
    (out / "import.json").write_text(json.dumps({"resources": entries}))


def _placeholder(group: str, direction: str, protocol: str, port: int | None, source: str) -> str:
    kind = "referenced_security_group_id" if source.startswith("sg-") else "cidr_ipv4"
    attributes: dict[str, Any] = {"security_group_id": group, "ip_protocol": protocol, kind: source}
    if port is not None:
        attributes.update(from_port=port, to_port=port)
    rule = TfResource("x", f"aws_vpc_security_group_{direction}_rule", "x", None, attributes)
    return unresolved_rule_id(rule_shape(rule)[0])


@mock_aws
def test_placeholders_are_replaced_with_the_ids_ec2_gives(tmp_path: Path) -> None:
    alb, app, ids = _groups()
    out = tmp_path / "migration"
    entries = [
        {"type": "proliferate:stack:ProliferateStack", "name": "p", "component": True},
        {"type": "t", "name": "a", "id": _placeholder(app, "ingress", "tcp", 4000, alb)},
        {"type": "t", "name": "b", "id": _placeholder(alb, "ingress", "tcp", 80, "0.0.0.0/0")},
        {"type": "t", "name": "c", "id": _placeholder(alb, "ingress", "tcp", 443, "0.0.0.0/0")},
        {"type": "t", "name": "d", "id": "vpc-1"},
    ]
    _write(out, entries)
    result = resolve_rule_ids(out, region="us-east-1")
    assert (result.resolved, result.unresolved) == (3, ())
    document = json.loads((out / "import.json").read_text())
    by_name = {e["name"]: e.get("id") for e in document["resources"]}
    assert by_name["a"] == ids[f"{app}/ingress/tcp/4000"]
    assert by_name["b"] == ids[f"{alb}/ingress/tcp/80"]
    assert by_name["c"] == ids[f"{alb}/ingress/tcp/443"]
    assert by_name["d"] == "vpc-1" and by_name["p"] is None
    assert stat.S_IMODE((out / "import.json").stat().st_mode) == 0o600


@mock_aws
def test_a_rule_that_no_longer_exists_is_reported_and_the_file_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alb, _app, _ids = _groups()
    out = tmp_path / "migration"
    missing = _placeholder(alb, "ingress", "tcp", 8443, "0.0.0.0/0")
    _write(out, [{"type": "t", "name": "a", "id": missing}])
    before = (out / "import.json").read_text()
    code = main(["migrate", "resolve-rules", "--out", str(out), "--region", "us-east-1"])
    assert code == 1
    assert missing in capsys.readouterr().err
    assert (out / "import.json").read_text() == before


def test_no_import_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "resolve-rules", "--out", str(tmp_path / "nowhere")]) == 2
    assert "--out" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text",
    [
        "sg-1/ingress/tcp/80-80/0.0.0.0/0",
        "unresolved:sg-1/sideways/tcp/80-80/x",
        "unresolved:sg-1/ingress/tcp/a-b/x",
    ],
)
def test_malformed_placeholders_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_placeholder(text)


def test_a_cidr_source_keeps_its_slash() -> None:
    assert parse_placeholder("unresolved:sg-1/egress/-1/all/0.0.0.0/0") == (
        "sg-1",
        True,
        "-1",
        None,
        None,
        "0.0.0.0/0",
    )
