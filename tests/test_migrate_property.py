"""Absent attributes: one missing attribute changes at most its resource and its direct dependents.

Property (issue 13): removing any one optional attribute (every attribute but ``id``) from any
resource of a corpus state changes the outcome (adopted as is / with a change / new revision
/ refused / retired / not adopted / not ours) of that resource and of the resources that
reference it (its direct dependents, and the inline blocks it holds) at most. The
hand-picked cases after it are the ones issue 13 met in a real hand-written state.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from proliferate_components.migrate import MigrationPlan, Status, parse_state, plan_migration
from proliferate_components.migrate.refs import References
from proliferate_components.migrate.report import adoption_rate

CORPUS = Path(__file__).parent / "tf_corpus"
NAMES = ("upstream", "tfmodules", "rds", "no-services", "for-each")


@cache
def _document(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / name / "terraform.tfstate").read_text())


@cache
def _baseline(name: str) -> tuple[MigrationPlan, References]:
    plan = plan_migration(parse_state(_document(name)))
    return plan, References(plan.state)


def _outcomes(plan: MigrationPlan) -> dict[str, Status]:
    return {r.address: r.status for r in plan.resources}


def _without(name: str, resource: int, instance: int, key: str) -> tuple[str, MigrationPlan]:
    document = copy.deepcopy(_document(name))
    res = document["resources"][resource]
    del res["instances"][instance]["attributes"][key]
    one = parse_state(
        {"version": 4, "resources": [dict(res, instances=[res["instances"][instance]])]}
    )
    return one.resources[0].address, plan_migration(parse_state(document))


def _changed(name: str, plan: MigrationPlan) -> set[str]:
    before = _outcomes(_baseline(name)[0])
    after = _outcomes(plan)
    return {a for a in before.keys() | after.keys() if before.get(a) != after.get(a)}


def _allowed(name: str, address: str) -> set[str]:
    plan, refs = _baseline(name)
    inline = {r.address for r in plan.resources if r.inline_of == address}
    return {address} | refs.dependents(address) | inline


@st.composite
def removals(draw: st.DrawFn) -> tuple[str, int, int, str]:
    name = draw(st.sampled_from(NAMES))
    document = _document(name)
    managed = [
        (i, j)
        for i, res in enumerate(document["resources"])
        if res["mode"] == "managed"
        for j in range(len(res["instances"]))
    ]
    i, j = draw(st.sampled_from(managed))
    attributes = document["resources"][i]["instances"][j]["attributes"]
    keys = sorted(k for k, v in attributes.items() if k != "id" and v not in (None, "", [], {}))
    assume(keys)
    return name, i, j, draw(st.sampled_from(keys))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(removals())
def test_removing_one_attribute_changes_at_most_its_resource_and_direct_dependents(
    case: tuple[str, int, int, str],
) -> None:
    name, i, j, key = case
    address, plan = _without(name, i, j, key)
    changed = _changed(name, plan)
    assert changed <= _allowed(name, address), (
        address,
        key,
        sorted(changed - _allowed(name, address)),
    )


# -- the cases of issue 13 ---------------------------------------------------------------------

CASES = [
    ("no-services", "aws_eip", "egress", "allocation_id"),
    ("upstream", "aws_eip", "nat", "allocation_id"),
    ("upstream", "aws_nat_gateway", "main", "allocation_id"),
    ("upstream", "aws_route_table", "public", "route"),
    ("upstream", "aws_subnet", "private", "cidr_block"),
    ("no-services", "aws_route_table_association", "dmz", "route_table_id"),
    ("upstream", "aws_lb_listener", "llm_proxy_https", "certificate_arn"),
    ("upstream", "aws_elasticache_cluster", "main", "parameter_group_name"),
    ("tfmodules", "aws_lb", "this", "arn"),
    ("for-each", "aws_iam_role", "execution", "arn"),
]


def _locate(name: str, rtype: str, rname: str) -> int:
    return next(
        i
        for i, r in enumerate(_document(name)["resources"])
        if r["mode"] == "managed" and r["type"] == rtype and r["name"] == rname
    )


def test_issue_cases_keep_the_adoption() -> None:
    for name, rtype, rname, key in CASES:
        address, plan = _without(name, _locate(name, rtype, rname), 0, key)
        changed = _changed(name, plan)
        assert changed <= _allowed(name, address), (name, address, key, sorted(changed))
        adopted, _ = adoption_rate(plan)
        assert adopted >= adoption_rate(_baseline(name)[0])[0] - 1 - len(changed), (name, key)


def test_an_eip_without_allocation_id_adopts_everything_as_before() -> None:
    address, plan = _without(
        "no-services", _locate("no-services", "aws_eip", "egress"), 0, "allocation_id"
    )
    assert _changed("no-services", plan) == set()
    eip = next(r for r in plan.resources if r.address == address)
    assert eip.adopted and eip.import_id and eip.import_id.startswith("eipalloc-")


def test_a_subnet_cidr_the_state_lacks_is_read_by_config_sh() -> None:
    index = _locate("upstream", "aws_subnet", "private")
    address, plan = _without("upstream", index, 0, "cidr_block")
    subnet = next(r for r in plan.resources if r.address == address)
    assert subnet.adopted and "cidrBlock" in subnet.unknown
    subnet_id = subnet.tf_id
    line = next(c for c in plan.config.commands("dev") if "privateSubnetCidrs[0]" in c)
    assert f'-- "$(aws ec2 describe-subnets --subnet-ids {subnet_id}' in line
    assert "Subnets[0].CidrBlock" in line
