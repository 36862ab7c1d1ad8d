"""The replacement-forcing property table stays true to pulumi-aws."""

from __future__ import annotations

import importlib
import inspect

import pytest

from proliferate_components.migrate import PULUMI_TYPES, REPLACEMENT_PROPERTIES
from proliferate_components.migrate.forcenew import camel, import_id, normalize, snake, values_equal
from proliferate_components.migrate.tfstate import TfResource


def _args_class(token: str) -> type:
    package, module_path, name = token.split(":")
    module = module_path.split("/")[0]
    mod = importlib.import_module(f"pulumi_{package}.{module}")
    return getattr(mod, f"{name}Args")


def test_every_adoptable_type_has_a_table() -> None:
    assert set(PULUMI_TYPES.values()) <= set(REPLACEMENT_PROPERTIES)


@pytest.mark.parametrize("token", sorted(REPLACEMENT_PROPERTIES))
def test_every_property_is_an_input_of_the_pulumi_resource(token: str) -> None:
    parameters = inspect.signature(_args_class(token).__init__).parameters
    for prop in REPLACEMENT_PROPERTIES[token]:
        assert snake(prop.pulumi_input) in parameters, (token, prop.pulumi_input)


def test_camel_and_snake_round_trip() -> None:
    for name in ("cidr_block", "replication_group_id", "at_rest_encryption_enabled", "name"):
        assert snake(camel(name)) == name


def test_normalize_equates_terraform_and_pulumi_shapes() -> None:
    assert values_equal(6379, 6379.0)
    assert values_equal(
        [{"encryption_type": "AES256", "kms_key": ""}], [{"encryptionType": "AES256"}]
    )
    assert values_equal('{"b": 1, "a": [2]}', {"a": [2], "b": 1})
    assert values_equal(None, "") and values_equal([], None)
    assert not values_equal("10.0.0.0/16", "10.1.0.0/16")
    assert not values_equal(True, False)
    assert values_equal(["sg-2", "sg-1"], ["sg-1", "sg-2"], unordered=True)
    assert not values_equal(["sg-2", "sg-1"], ["sg-1", "sg-2"])
    assert normalize(1.5) == 1.5


def _res(rtype: str, **attrs: object) -> TfResource:
    return TfResource(address=f"{rtype}.x", type=rtype, name="x", index_key=None, attributes=attrs)


def test_import_ids_follow_pulumi_aws() -> None:
    assert (
        import_id(
            _res(
                "aws_route",
                id="r-rtb-1123",
                route_table_id="rtb-1",
                destination_cidr_block="0.0.0.0/0",
            )
        )
        == "rtb-1_0.0.0.0/0"
    )
    assert (
        import_id(
            _res(
                "aws_route_table_association",
                id="rtbassoc-1",
                subnet_id="subnet-1",
                route_table_id="rtb-1",
            )
        )
        == "subnet-1/rtb-1"
    )
    assert (
        import_id(
            _res(
                "aws_ecs_service",
                id="arn:...",
                name="svc",
                cluster="arn:aws:ecs:us-east-1:1:cluster/main",
            )
        )
        == "main/svc"
    )
    assert (
        import_id(_res("aws_ecs_cluster", id="arn:aws:ecs:us-east-1:1:cluster/main", name="main"))
        == "main"
    )
    assert (
        import_id(_res("aws_security_group_rule", id="sgrule-123", security_group_rule_id="sgr-9"))
        == "sgr-9"
    )
    assert import_id(_res("aws_security_group_rule", id="sgrule-123")) == ""
    assert import_id(_res("aws_vpc", id="vpc-1")) == "vpc-1"
    assert (
        import_id(_res("aws_ecs_task_definition", id="fam", arn="arn:task/fam:3"))
        == "arn:task/fam:3"
    )
