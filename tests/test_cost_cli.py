"""`proliferate-infra preview --offline --cost` end to end: the terminal report, the JSON
export (against its schema), the Markdown report, usage and price files, comparisons, and
every bad input rejected with exit 2 before anything is written."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from proliferate_components.cli.main import main
from proliferate_components.cost import BUNDLED_PRICES_PATH
from proliferate_components.preview import load_schema

# importing pulumi_aws.ec2 warns about its deprecated classes; not this module's concern
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws.*")

FIXTURES = Path(__file__).parent / "preview_fixtures"
PLAIN = FIXTURES / "plain_aws"  # a user's own program, in us-west-2
TABLE: dict[str, Any] = json.loads(BUNDLED_PRICES_PATH.read_text(encoding="utf-8"))
HOURS = TABLE["metadata"]["hours_per_month"]


def preview(*args: str) -> int:
    return main(["preview", "--offline", "--no-policy", *args])


def _json(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema()).validate(document)
    return document


def _line(cost: dict[str, Any], name: str, key: str) -> dict[str, Any]:
    resource = next(r for r in cost["resources"] if r["name"] == name)
    return next(line for line in resource["lines"] if line["key"] == key)


# -- a user's own program ------------------------------------------------------------------


def test_cost_of_a_users_own_program(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "preview.json"
    assert preview(str(PLAIN), "--cost", "--json", str(out_file)) == 0
    out = capsys.readouterr().out
    assert "Estimated monthly cost in us-west-2" in out
    assert "app-db" in out and "RDS postgres db.t4g.micro instance hours" in out
    assert "free: index/randomPassword x1: computed by the random provider" in out
    cost = _json(out_file)["cost"]
    assert cost["region"] == "us-west-2"
    assert cost["comparison"] is None
    assert cost["totalMonthly"] == pytest.approx(sum(r["monthly"] for r in cost["resources"]))
    prices = TABLE["regions"]["us-west-2"]
    db = _line(cost, "app-db", "instance")
    assert db["monthly"] == pytest.approx(
        HOURS * prices["rds"]["instance_hour"]["postgres"]["db.t4g.micro"]
    )
    service = next(r for r in cost["resources"] if r["name"] == "app-service")
    assert service["component"] is None
    assert f"Estimated total: ${cost['totalMonthly']:,.2f} per month" in out
    assert {r["status"] for r in cost["resources"]} <= {"priced", "free"}


def test_without_cost_nothing_is_estimated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "preview.json"
    assert preview(str(PLAIN), "--json", str(out_file)) == 0
    assert "Estimated" not in capsys.readouterr().out
    assert "cost" not in _json(out_file)


# -- the bundled example -------------------------------------------------------------------


def test_compare_preset_prod_shows_the_delta_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file, report = tmp_path / "preview.json", tmp_path / "cost.md"
    code = preview(
        "--preset",
        "dev",
        "--cost",
        "--compare-preset",
        "prod",
        "--json",
        str(out_file),
        "--cost-report",
        str(report),
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Change with --preset prod (against --preset dev)" in out
    assert "proliferate-network-nat-1: NAT gateway hours" in out
    assert "(Multi-AZ)" in out
    cost = _json(out_file)["cost"]
    comparison = cost["comparison"]
    assert comparison["baseLabel"] == "--preset dev"
    assert comparison["otherLabel"] == "--preset prod"
    assert comparison["baseTotalMonthly"] == pytest.approx(cost["totalMonthly"])
    assert comparison["deltaMonthly"] == pytest.approx(
        comparison["otherTotalMonthly"] - comparison["baseTotalMonthly"]
    )
    assert comparison["deltaMonthly"] == pytest.approx(
        sum(line["delta"] for line in comparison["lines"])
    )
    nat = next(
        line
        for line in comparison["lines"]
        if (line["name"], line["key"]) == ("proliferate-network-nat-1", "hours")
    )
    us = TABLE["regions"]["us-east-1"]
    assert (nat["base"], nat["other"]) == (0, pytest.approx(HOURS * us["nat_gateway"]["hour"]))
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Estimated monthly cost")
    assert f"${cost['totalMonthly']:,.2f} per month" in text
    assert "## --preset dev compared with --preset prod" in text
    assert f"wrote {report}" in out


def test_compare_config_prices_one_nat_per_az(tmp_path: Path) -> None:
    out_file = tmp_path / "preview.json"
    assert (
        preview(
            "--preset",
            "dev",
            "--cost",
            "--compare-config",
            "natStrategy=one_per_az",
            "--json",
            str(out_file),
        )
        == 0
    )
    comparison = _json(out_file)["cost"]["comparison"]
    us = TABLE["regions"]["us-east-1"]
    added = HOURS * us["nat_gateway"]["hour"] + 25 * us["nat_gateway"]["gb_processed"]
    added += HOURS * us["public_ipv4"]["hour"]  # the second NAT gateway's Elastic IP
    assert comparison["deltaMonthly"] == pytest.approx(added)
    assert {line["name"] for line in comparison["lines"]} == {
        "proliferate-network-nat-1",
        "proliferate-network-nat-eip-1",
    }
    assert comparison["otherLabel"] == "natStrategy=one_per_az"


def test_usage_file_changes_the_figures_it_names(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yml"
    usage.write_text(
        "version: 0.1\n"
        "resource_type_default_usage:\n"
        "  aws:ec2/natGateway:NatGateway:\n"
        "    monthly_data_processed_gb: 400\n"
        "resource_usage:\n"
        "  proliferate-lb-alb:\n"
        "    average_lcus: 3\n",
        encoding="utf-8",
    )
    out_file = tmp_path / "preview.json"
    assert preview("--cost", "--usage", str(usage), "--json", str(out_file)) == 0
    cost = _json(out_file)["cost"]
    data = _line(cost, "proliferate-network-nat-0", "data")
    assert data["quantity"] == 400
    assert data["assumptions"][0]["source"] == "usage file"
    lcus = _line(cost, "proliferate-lb-alb", "capacity")
    assert lcus["quantity"] == 3 * HOURS


def test_prices_file_replaces_the_table(tmp_path: Path) -> None:
    table = copy.deepcopy(TABLE)
    table["regions"]["us-east-1"]["nat_gateway"]["hour"] = 0.09
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(table), encoding="utf-8")
    out_file = tmp_path / "preview.json"
    assert preview("--cost", "--prices", str(prices), "--json", str(out_file)) == 0
    cost = _json(out_file)["cost"]
    assert cost["prices"]["file"] == str(prices)
    assert _line(cost, "proliferate-network-nat-0", "hours")["monthly"] == pytest.approx(
        HOURS * 0.09
    )


# -- bad input: exit 2 before anything runs or is written ------------------------------------


def _broken_prices(tmp_path: Path) -> Path:
    table = copy.deepcopy(TABLE)
    del table["regions"]["us-east-1"]["kms"]["key_month"]
    target = tmp_path / "prices.json"
    target.write_text(json.dumps(table), encoding="utf-8")
    return target


def _bad_usage(tmp_path: Path) -> Path:
    target = tmp_path / "usage.yml"
    target.write_text(
        "version: 0.1\nresource_usage:\n  nat:\n    monthly_data_processed_gb: -1\n",
        encoding="utf-8",
    )
    return target


BAD_INPUTS: list[tuple[str, list[str], list[str]]] = [
    (
        "unknown-region",
        ["--cost", "--config", "aws:region=ca-central-1"],
        ["aws:region", "'ca-central-1'", "us-east-1", "eu-west-1", "--prices"],
    ),
    (
        "unknown-instance-class",
        ["--cost", "--config", "dbInstanceClass=db.t4g.mirco"],
        ["proliferate:dbInstanceClass", "'db.t4g.mirco'", "db.t4g.micro"],
    ),
    (
        "unknown-node-type",
        ["--cost", "--config", "redisCacheNodeType=cache.x9.huge"],
        ["proliferate:redisCacheNodeType", "'cache.x9.huge'", "cache.t3.micro"],
    ),
    (
        "region-of-the-comparison",
        ["--cost", "--compare-config", "aws:region=ca-central-1"],
        ["aws:region", "'ca-central-1'"],
    ),
    (
        "malformed-usage",
        ["--cost", "--usage", "{usage}"],
        ["resource_usage.nat.monthly_data_processed_gb", "-1", "non-negative"],
    ),
    (
        "malformed-prices",
        ["--cost", "--prices", "{prices}"],
        ["regions.us-east-1.kms.key_month", "missing"],
    ),
    ("usage-without-cost", ["--usage", "{usage}"], ["--usage", "only together with --cost"]),
    (
        "compare-without-cost",
        ["--compare-preset", "prod"],
        ["--compare-preset", "'prod'", "only together with --cost"],
    ),
    ("report-not-markdown", ["--cost", "--cost-report", "cost.txt"], ["--cost-report", ".md"]),
    (
        "compare-config-without-value",
        ["--cost", "--compare-config", "natStrategy"],
        ["--compare-config", "KEY=VALUE"],
    ),
]


@pytest.mark.parametrize(
    ("args", "expected"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_cost_input_exits_2_before_the_program_runs(
    args: list[str], expected: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    usage, prices = _bad_usage(tmp_path), _broken_prices(tmp_path)
    out_file = tmp_path / "preview.json"
    filled = [a.format(usage=usage, prices=prices) for a in args]
    assert preview(*filled, "--json", str(out_file)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing ran: no tree, no report
    assert captured.err.startswith("error: ")
    for word in expected:
        assert word in captured.err, (word, captured.err)
    assert not out_file.exists()


def test_unpriced_instance_class_in_a_users_program_fails_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = copy.deepcopy(TABLE)
    del table["regions"]["us-west-2"]["rds"]["instance_hour"]["postgres"]["db.t4g.micro"]
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(table), encoding="utf-8")
    out_file, report = tmp_path / "preview.json", tmp_path / "cost.md"
    code = preview(
        str(PLAIN),
        "--cost",
        "--prices",
        str(prices),
        "--json",
        str(out_file),
        "--cost-report",
        str(report),
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "app-db.instanceClass: invalid value 'db.t4g.micro'" in err
    assert "rds.instance_hour.postgres" in err
    assert not out_file.exists() and not report.exists()
