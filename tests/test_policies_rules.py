"""The pure rule functions, called directly on engine-shaped fixtures (no Pulumi, no gRPC)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_fixtures import (
    CASES,
    EC_CLUSTER,
    INGRESS_RULE,
    SG_RULE,
    Res,
    load_balancer,
    open_ingress,
    parameter_group,
    replication_group,
    res,
    resource,
    security_group,
)

from proliferate_components.policies import (
    RULES,
    Resource,
    ResourceRule,
    StackRule,
    catalog,
    get_rule,
    rules_markdown_table,
)
from proliferate_components.policies.values import UNKNOWN, flag, number


def run(
    rule_id: str, resources: list[Res], config: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """(resource name, message) for every violation of ``rule_id`` among ``resources``."""
    r = get_rule(rule_id)
    if isinstance(r, StackRule):
        found = r.evaluate([resource(x, outputs=True) for x in resources], config)
        return [(key.split("::")[-1], msg) for key, msg in found]
    assert isinstance(r, ResourceRule)
    return [(x["name"], m) for x in resources for m in r.evaluate(resource(x), config)]


def test_every_rule_has_a_fixture_pair_and_unique_id() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert set(CASES) == set(ids)
    assert len(ids) >= 35


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_compliant_fixture_passes(rule_id: str) -> None:
    assert run(rule_id, CASES[rule_id].compliant) == []


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_noncompliant_fixture_fails_naming_resource_and_fix(rule_id: str) -> None:
    case = CASES[rule_id]
    found = run(rule_id, case.noncompliant)
    assert found, f"{rule_id} accepted its non-compliant fixture"
    names = {name for name, _ in found}
    assert names == {case.offender}
    for _, message in found:
        assert repr(case.offender) in message
        assert "Fix: " in message and message.endswith(get_rule(rule_id).remediation)


def test_metadata_is_complete() -> None:
    for r in RULES:
        assert r.id.startswith(
            f"proliferate-{r.service if r.service != 'protection' else 'protect'}"
        ) or r.id.startswith("proliferate-vpc")
        assert r.severity in {"low", "medium", "high", "critical"}
        assert r.enforcement in {"advisory", "mandatory", "disabled"}
        assert r.description and r.remediation and r.resource_types
        for eq in r.equivalents:
            assert eq.split(":", 1)[0] in {"cdk-nag", "checkov", "securityhub"}
    entries = {e["id"]: e for e in catalog()}
    assert entries["proliferate-rds-backup-retention"]["config"]["minRetentionDays"]["default"] == 7
    assert (
        entries["proliferate-elasticache-snapshot-retention"]["config"]["minRetentionDays"][
            "default"
        ]
        == 1
    )
    table = rules_markdown_table()
    assert table.count("\n") == len(RULES) + 2
    assert "| `proliferate-elasticache-noeviction` | elasticache | critical | mandatory |" in table


# -- noeviction: every way a replication group can miss it ------------------------------------
def test_noeviction_unset_parameter_group_is_a_violation() -> None:
    found = run(
        "proliferate-elasticache-noeviction",
        [parameter_group(), replication_group(parameterGroupName=None)],
    )
    assert len(found) == 1 and "volatile-lru" in found[0][1]


def test_noeviction_group_without_the_parameter_is_a_violation() -> None:
    pg = parameter_group(policy="allkeys-lru")
    found = run("proliferate-elasticache-noeviction", [pg, replication_group(pg=pg)])
    assert len(found) == 1 and "'allkeys-lru'" in found[0][1]
    pg = parameter_group(policy=None)
    assert run("proliferate-elasticache-noeviction", [pg, replication_group(pg=pg)])


def test_noeviction_resolves_by_name_without_dependencies() -> None:
    ok = parameter_group("by-name")
    assert (
        run(
            "proliferate-elasticache-noeviction",
            [ok, replication_group(parameterGroupName="by-name")],
        )
        == []
    )


def test_noeviction_resolves_by_dependency_when_the_name_is_unknown() -> None:
    pg = parameter_group(policy="volatile-lru")
    rg = replication_group(pg=pg, parameterGroupName=UNKNOWN)
    assert len(run("proliferate-elasticache-noeviction", [pg, rg])) == 1


def test_noeviction_external_group_needs_trust() -> None:
    rg = replication_group(parameterGroupName="shared-noeviction")
    assert run("proliferate-elasticache-noeviction", [rg])
    assert (
        run(
            "proliferate-elasticache-noeviction",
            [rg],
            {"trustedParameterGroups": ["shared-noeviction"]},
        )
        == []
    )


def test_noeviction_checks_standalone_clusters_but_not_members() -> None:
    alone = res(EC_CLUSTER, "solo", {"engine": "redis", "numCacheNodes": 1})
    member = res(EC_CLUSTER, "member", {"replicationGroupId": "queue"})
    found = run("proliferate-elasticache-noeviction", [alone, member])
    assert [n for n, _ in found] == ["solo"]


# -- values as v7 and the engine send them ------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), ("true", True), ("false", False), (False, False), (None, None), (UNKNOWN, None)],
)
def test_flag_accepts_v7_string_booleans(raw: Any, expected: bool | None) -> None:
    assert flag(raw) is expected


def test_string_boolean_encryption_is_accepted() -> None:
    assert (
        run(
            "proliferate-elasticache-encryption-at-rest",
            [replication_group(atRestEncryptionEnabled="true")],
        )
        == []
    )
    assert run(
        "proliferate-elasticache-encryption-at-rest",
        [replication_group(atRestEncryptionEnabled="false")],
    )


def test_valkey_is_encrypted_at_rest_by_default() -> None:
    assert (
        run(
            "proliferate-elasticache-encryption-at-rest",
            [replication_group(engine="valkey", atRestEncryptionEnabled=None)],
        )
        == []
    )
    assert run(
        "proliferate-elasticache-encryption-at-rest",
        [replication_group(atRestEncryptionEnabled=None)],
    )


def test_numbers_arrive_as_floats() -> None:
    assert number(7.0) == 7 and number("7") == 7 and number(True) is None
    assert (
        run(
            "proliferate-rds-backup-retention",
            [res("aws:rds/instance:Instance", "db", {"backupRetentionPeriod": 7.0})],
        )
        == []
    )


def test_unknown_values_are_not_judged() -> None:
    assert (
        run(
            "proliferate-rds-deletion-protection",
            [res("aws:rds/instance:Instance", "db", {"deletionProtection": UNKNOWN})],
        )
        == []
    )
    td = res("aws:ecs/taskDefinition:TaskDefinition", "t", {"containerDefinitions": UNKNOWN})
    assert run("proliferate-ecs-no-plaintext-secrets", [td]) == []


# -- thresholds ---------------------------------------------------------------------------------
def test_thresholds_change_the_outcome() -> None:
    rg = [replication_group(snapshotRetentionLimit=3)]
    assert run("proliferate-elasticache-snapshot-retention", rg) == []
    assert run("proliferate-elasticache-snapshot-retention", rg, {"minRetentionDays": 5})
    db = [res("aws:rds/instance:Instance", "db", {"backupRetentionPeriod": 14})]
    assert run("proliferate-rds-backup-retention", db) == []
    assert run("proliferate-rds-backup-retention", db, {"minRetentionDays": 30})
    logs = [res("aws:cloudwatch/logGroup:LogGroup", "l", {"retentionInDays": 30})]
    assert run("proliferate-logs-retention", logs) == []
    assert run("proliferate-logs-retention", logs, {"minRetentionDays": 365})


def test_final_snapshot_needs_an_identifier() -> None:
    found = run(
        "proliferate-rds-final-snapshot",
        [res("aws:rds/instance:Instance", "db", {"skipFinalSnapshot": False})],
    )
    assert len(found) == 1 and "finalSnapshotIdentifier" in found[0][1]


def test_failover_is_only_required_with_several_nodes() -> None:
    one = replication_group(
        numCacheClusters=1, automaticFailoverEnabled=False, multiAzEnabled=False
    )
    assert run("proliferate-elasticache-automatic-failover", [one]) == []


def test_auth_token_without_transit_encryption_is_a_violation() -> None:
    found = run(
        "proliferate-elasticache-auth-token", [replication_group(transitEncryptionEnabled=False)]
    )
    assert len(found) == 1 and "without transit encryption" in found[0][1]


def test_protect_can_include_secrets() -> None:
    s = res("aws:secretsmanager/secret:Secret", "keys", {"name": "keys"})
    assert run("proliferate-protect-data-stores", [s]) == []
    assert run("proliferate-protect-data-stores", [s], {"includeSecrets": True})


# -- security groups: every declaration style ---------------------------------------------------
def _lb_group() -> tuple[Res, Res]:
    sg = security_group("lb")
    return sg, load_balancer(groups=[sg])


@pytest.mark.parametrize(
    ("ingress", "violates"),
    [
        (open_ingress(443), False),
        (open_ingress(80, "::/0"), False),
        (open_ingress(8080), True),
        (open_ingress(80, to_port=443), True),
        (open_ingress(0, protocol="-1", to_port=0), True),
        (open_ingress(443, "10.0.0.0/16"), False),
    ],
)
def test_inline_ingress_on_a_load_balancer_group(ingress: dict[str, Any], violates: bool) -> None:
    sg = security_group("lb", [ingress])
    lb = load_balancer(groups=[sg])
    assert bool(run("proliferate-ec2-no-public-ingress", [sg, lb])) is violates


def test_443_open_on_a_group_without_load_balancer_is_a_violation() -> None:
    sg = security_group("app", [open_ingress(443)])
    found = run("proliferate-ec2-no-public-ingress", [sg])
    assert len(found) == 1 and "not attached to any load balancer" in found[0][1]


@pytest.mark.parametrize("style", ["vpc-rule", "ec2-rule"])
@pytest.mark.parametrize(("port", "violates"), [(443, False), (22, True)])
def test_standalone_rules_resolve_their_group_by_id_output(
    style: str, port: int, violates: bool
) -> None:
    sg, lb = _lb_group()
    if style == "vpc-rule":
        props = {
            "securityGroupId": sg["id"],
            "cidrIpv6": "::/0",
            "ipProtocol": "tcp",
            "fromPort": port,
            "toPort": port,
        }
        rule_res = res(INGRESS_RULE, "r", props)
    else:
        props = {
            "type": "ingress",
            "securityGroupId": sg["id"],
            "cidrBlocks": ["0.0.0.0/0"],
            "protocol": "tcp",
            "fromPort": port,
            "toPort": port,
        }
        rule_res = res(SG_RULE, "r", props)
    found = run("proliferate-ec2-no-public-ingress", [sg, lb, rule_res])
    assert bool(found) is violates
    if violates:
        assert found[0][0] == "r"


def test_standalone_rule_resolves_by_dependency_when_ids_are_unknown() -> None:
    sg = security_group("lb")
    lb = res(
        "aws:lb/loadBalancer:LoadBalancer",
        "web",
        {"securityGroups": [UNKNOWN]},
        property_dependencies={"securityGroups": [sg["urn"]]},
    )
    rule_res = res(
        INGRESS_RULE,
        "r",
        {
            "securityGroupId": UNKNOWN,
            "cidrIpv4": "0.0.0.0/0",
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
        },
        property_dependencies={"securityGroupId": [sg["urn"]]},
    )
    assert run("proliferate-ec2-no-public-ingress", [sg, lb, rule_res]) == []


def test_egress_rules_are_ignored() -> None:
    egress = res(
        SG_RULE,
        "out",
        {
            "type": "egress",
            "securityGroupId": "sg-x",
            "cidrBlocks": ["0.0.0.0/0"],
            "protocol": "-1",
            "fromPort": 0,
            "toPort": 0,
        },
    )
    assert run("proliferate-ec2-no-public-ingress", [egress]) == []


def test_load_balancer_ports_are_configurable() -> None:
    sg = security_group("lb", [open_ingress(8443)])
    lb = load_balancer(groups=[sg])
    assert run("proliferate-ec2-no-public-ingress", [sg, lb])
    assert run("proliferate-ec2-no-public-ingress", [sg, lb], {"loadBalancerPorts": [8443]}) == []


# -- task definitions ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "ANTHROPIC_API_KEY",
        "NEXTAUTH_SECRET",
        "GITHUB_TOKEN",
        "DB_PASSWORD",
        "PRIVATE_KEY_PEM",
        "AWS_CREDENTIALS",
        "DATABASE_URL",
        "REDIS_URL",
        "redis_url",
    ],
)
def test_secret_looking_names_are_caught(name: str) -> None:
    container = {"name": "web", "environment": [{"name": name, "value": "x"}]}
    td = res(
        "aws:ecs/taskDefinition:TaskDefinition",
        "web",
        {"containerDefinitions": json.dumps([container])},
    )
    found = run("proliferate-ecs-no-plaintext-secrets", [td])
    assert len(found) == 1 and name in found[0][1] and "'web'" in found[0][1]
    assert run("proliferate-ecs-no-plaintext-secrets", [td], {"allowedNames": [name]}) == []


def test_secrets_list_is_fine() -> None:
    container = {
        "name": "web",
        "secrets": [{"name": "API_KEY", "valueFrom": "arn:...:API_KEY::"}],
        "environment": [{"name": "PORT", "value": "3000"}],
    }
    td = res(
        "aws:ecs/taskDefinition:TaskDefinition",
        "web",
        {"containerDefinitions": json.dumps([container])},
    )
    assert run("proliferate-ecs-no-plaintext-secrets", [td]) == []


def test_resource_rules_ignore_other_types() -> None:
    other = Resource(type="aws:s3/bucket:Bucket", name="b", props={"deletionProtection": False})
    for r in RULES:
        if isinstance(r, ResourceRule):
            assert r.evaluate(other) == []


def test_pack_readme_table_matches_the_catalog() -> None:
    from proliferate_components.analyzer import BUNDLED_PACK_DIR

    readme = (BUNDLED_PACK_DIR / "README.md").read_text(encoding="utf-8")
    assert rules_markdown_table() in readme, (
        "regenerate the table in policies/README.md from rules_markdown_table()"
    )
