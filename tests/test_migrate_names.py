"""The names the migration carries that the components did not take before issue 13: a
service's task family and execution-policy name, and the database's names."""

from __future__ import annotations

import pytest

from proliferate_components.config import (
    AdoptConfig,
    AdoptDatabase,
    AdoptService,
    StackConfig,
)
from proliferate_components.errors import ConfigError
from proliferate_components.migrate.plan import stack_program
from proliferate_components.testing import capture


def _stack(adopt: AdoptConfig, **values: str):  # type: ignore[no-untyped-def]
    config = StackConfig.from_mapping(
        {"proliferate:adopt": adopt.to_json(), **values}  # type: ignore[dict-item]
    )
    return capture(stack_program(config, "proliferate"))


def test_task_family_and_execution_policy_name_reach_the_children() -> None:
    adopt = AdoptConfig(
        services={
            "worker": AdoptService(
                task_family="proliferate-worker", execution_policy_name="secrets-access"
            )
        }
    )
    result = _stack(adopt)
    task = next(r for r in result.resources if r.name == "proliferate-worker-task")
    assert task.input("family") == "proliferate-worker"
    policy = next(r for r in result.resources if r.name == "proliferate-worker-execution-policy")
    assert policy.input("name") == "secrets-access"
    other = next(r for r in result.resources if r.name == "proliferate-gateway-task")
    assert other.input("family") == "dev-proliferate-gateway"  # unchanged default


def test_database_names_reach_the_children() -> None:
    adopt = AdoptConfig(
        database=AdoptDatabase(
            identifier="acme-postgres",
            db_name="acme",
            username="acme_admin",
            subnet_group_name="acme-postgres",
            parameter_group_name="acme-postgres16",
            parameter_group_description="acme postgres 16",
            security_group_name="acme-postgres",
            security_group_description="acme PostgreSQL",
        )
    )
    result = _stack(adopt, **{"proliferate:enableRds": "true"})
    by_name = {r.name: r for r in result.resources}
    instance = by_name["proliferate-postgres-instance"]
    assert (instance.input("identifier"), instance.input("dbName"), instance.input("username")) == (
        "acme-postgres",
        "acme",
        "acme_admin",
    )
    assert by_name["proliferate-postgres-subnets"].input("name") == "acme-postgres"
    params = by_name["proliferate-postgres-params"]
    assert (params.input("name"), params.input("description")) == (
        "acme-postgres16",
        "acme postgres 16",
    )
    group = by_name["proliferate-postgres-sg"]
    assert (group.input("name"), group.input("description")) == ("acme-postgres", "acme PostgreSQL")


@pytest.mark.parametrize(
    ("json", "key"),
    [
        (
            {"services": {"worker": {"taskFamily": "bad family"}}},
            "proliferate:adopt.services.worker.taskFamily",
        ),
        (
            {"services": {"worker": {"executionPolicyName": "x" * 129}}},
            "proliferate:adopt.services.worker.executionPolicyName",
        ),
        ({"database": {"identifier": "Acme--db"}}, "proliferate:adopt.database.identifier"),
        ({"database": {"dbName": "1db"}}, "proliferate:adopt.database.dbName"),
        (
            {"database": {"subnetGroupName": "default"}},
            "proliferate:adopt.database.subnetGroupName",
        ),
        (
            {"database": {"parameterGroupName": "pg-"}},
            "proliferate:adopt.database.parameterGroupName",
        ),
        ({"database": {"idenitfier": "x"}}, "proliferate:adopt.database.idenitfier"),
    ],
)
def test_bad_names_are_refused_naming_the_path(json: dict, key: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as info:
        AdoptConfig.from_json(json)
    assert info.value.key == key


def test_a_database_section_needs_rds() -> None:
    adopt = AdoptConfig(database=AdoptDatabase(identifier="acme-postgres"))
    with pytest.raises(ConfigError) as info:
        StackConfig.from_mapping(
            {"proliferate:adopt": adopt.to_json(), "proliferate:enableRds": "false"}  # type: ignore[dict-item]
        )
    assert info.value.key == "proliferate:adopt.database"
    assert (
        StackConfig.from_mapping(
            {"proliferate:adopt": adopt.to_json(), "proliferate:enableRds": "true"}  # type: ignore[dict-item]
        ).adopt
        == adopt
    )


def test_round_trip_keeps_the_new_names() -> None:
    adopt = AdoptConfig(
        services={"llm-proxy": AdoptService(task_family="f", execution_policy_name="p")},
        database=AdoptDatabase(db_name="acme"),
    )
    assert AdoptConfig.from_json(adopt.to_json()) == adopt
    paths = dict(adopt.config_paths())
    assert paths['proliferate:adopt.services["llm-proxy"].taskFamily'] == "f"
    assert paths["proliferate:adopt.database.dbName"] == "acme"


def _service(**extra: object):  # type: ignore[no-untyped-def]
    from proliferate_components.service import FargateService, FargateServiceArgs

    def program() -> None:
        FargateService(
            "svc",
            FargateServiceArgs(
                cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/c",
                vpc_id="vpc-1",
                subnet_ids=["subnet-1"],
                image="nginx:1",
                execution_policy_name="secrets-access",
                **extra,  # type: ignore[arg-type]
            ),
        )

    return capture(program)


def test_an_execution_policy_name_names_the_policy_on_the_services_own_role() -> None:
    result = _service(execution_role_name="proliferate-ecs-execution")
    by_name = {r.name: r for r in result.resources}
    assert by_name["svc-execution-role"].input("name") == "proliferate-ecs-execution"
    policy = by_name["svc-execution-policy"]
    assert policy.input("name") == "secrets-access"
    assert policy.parent == by_name["svc-execution"].urn


def test_an_execution_policy_name_needs_a_policy_the_service_adds() -> None:
    with pytest.raises(ConfigError) as info:
        _service(execution_role_arn="arn:aws:iam::123456789012:role/existing")
    assert info.value.key == "FargateServiceArgs.execution_policy_name"
