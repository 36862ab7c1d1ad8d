"""A refusal spreads only to the resources whose own adoption truly depends on it, naming the
attribute that decided it; other references move in place."""

from __future__ import annotations

from typing import Any

from migrate_fixtures.builder import DEV, build_state
from migrate_fixtures.checks import replacement_mismatches

from proliferate_components.migrate import Status, parse_state, plan_migration


def _with(document: dict[str, Any], rtype: str, rname: str, **attributes: Any) -> None:
    res = next(r for r in document["resources"] if r["type"] == rtype and r["name"] == rname)
    res["instances"][0]["attributes"].update(attributes)


def _plan(document: dict[str, Any]):
    plan = plan_migration(parse_state(document))
    return plan, {r.address: r for r in plan.resources}


def test_a_refused_nat_gateway_moves_the_private_route_in_place_and_keeps_the_network() -> None:
    document = build_state(DEV)
    _with(document, "aws_nat_gateway", "main", connectivity_type="private")
    plan, r = _plan(document)
    nat = r["aws_nat_gateway.main[0]"]
    assert nat.status is Status.BLOCKED and nat.decided_by == "connectivity_type"
    # Its Elastic IP: the new NAT gateway cannot share it while the old one holds it.
    eip = r["aws_eip.nat[0]"]
    assert eip.status is Status.BLOCKED and eip.decided_by == "allocation_id"
    # The private default route moves to the component's new NAT gateway, in place.
    route = next(p for a, p in r.items() if p.role == "network/private-default-route-0")
    assert route.adopted, route.reason
    move = next(d for d in route.differences if d.property == "natGatewayId")
    assert not move.forces_replacement and "aws_nat_gateway.main[0]" in str(move.component_value)
    # Nothing else of the network is refused.
    refused = {p.address for p in plan.by_status(Status.BLOCKED)}
    assert refused - {"aws_elasticache_cluster.redis"} == {
        "aws_nat_gateway.main[0]",
        "aws_eip.nat[0]",
    }
    for address in ("aws_vpc.main", "aws_subnet.public[0]", "aws_route_table.private[0]"):
        assert r[address].adopted, address
    assert replacement_mismatches(plan, plan.state) == []


def test_a_replacement_forcing_reference_refuses_and_names_the_attribute() -> None:
    document = build_state(DEV)
    # A security group whose name the components would generate: refused (name), and the
    # rules on it follow through their replacement-forcing security_group_id.
    _with(document, "aws_security_group", "redis", name="", name_prefix="redis-")
    plan, r = _plan(document)
    group = r["aws_security_group.redis"]
    assert group.status is Status.BLOCKED and group.decided_by == "name"
    rules = [p for p in plan.resources if p.role and p.role.startswith("stack/redis-from-")]
    assert rules and all(p.status is Status.BLOCKED for p in rules)
    assert {p.decided_by for p in rules} == {"security_group_id"}
    # The services using Redis are not refused: their own adoption does not depend on it.
    assert r["aws_ecs_service.worker"].adopted


def test_an_attachment_refuses_the_internet_gateway_of_a_refused_vpc() -> None:
    plan = plan_migration(parse_state(build_state(DEV)), adopt_names=False)
    r = {p.address: p for p in plan.resources}
    igw = r["aws_internet_gateway.main"]
    assert igw.status is Status.BLOCKED and igw.decided_by == "vpc_id"
    assert "take it away from what still runs on the old one" in igw.reason


def test_a_shared_execution_role_becomes_its_first_services_own() -> None:
    """Per-service execution roles: upstream's shared role is the first service's (the
    worker's), its policy stays with it, and the other service's policy (left on that role)
    is retired with Terraform."""
    from pathlib import Path

    from proliferate_components.migrate import load_state, terraform_roles

    state = load_state(Path(__file__).parent / "tf_corpus" / "upstream" / "terraform.tfstate")
    parts = {a.resource.address: (a.role, a.part) for a in terraform_roles(state)}
    assert parts["aws_iam_role.ecs_execution"] == ("worker-execution/role", "role")
    assert parts["aws_iam_role_policy.ecs_execution_secrets"] == ("worker-execution/policy", "role")
    assert parts["aws_iam_role_policy.ecs_execution_llm_proxy_secrets"] == (None, "superseded")
