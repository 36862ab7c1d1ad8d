"""The declared argument constraints (``proliferate_components.constraints``): one checker
for every component's ``*Args``, on known values at once and on outputs once resolved."""

from dataclasses import dataclass
from typing import Annotated

import pulumi
import pytest

from proliferate_components.constraints import (
    AwsName,
    OneOf,
    Pattern,
    PythonOnly,
    Range,
    check_args,
    describe_field,
    python_only,
)
from proliferate_components.errors import ConfigError
from proliferate_components.testing import capture


@dataclass(frozen=True, kw_only=True)
class _Args:
    vpc_id: Annotated[pulumi.Input[str], Pattern(r"vpc-.+", "a VPC id")]
    timeout_seconds: Annotated[int, Range(1, 60, unit="seconds")] = 5
    mode: Annotated[str, OneOf(("a", "b"))] = "a"
    enabled: bool = True
    role_name: Annotated[str, AwsName("iam_role")] | None = None
    owner: Annotated[object, PythonOnly("an id output")] | None = None


def test_known_values_are_checked_now_naming_field_value_and_valid() -> None:
    with pytest.raises(ConfigError) as caught:
        check_args(_Args(vpc_id="vpc-1", timeout_seconds=61), key="X")
    assert caught.value.key == "X.timeout_seconds"
    assert "61" in str(caught.value) and "from 1 to 60 (seconds)" in str(caught.value)
    with pytest.raises(ConfigError, match=r"X\.mode.*one of a, b"):
        check_args(_Args(vpc_id="vpc-1", mode="c"), key="X")


def test_plain_types_are_enforced_a_string_is_not_a_bool_and_a_bool_not_an_int() -> None:
    with pytest.raises(ConfigError, match=r"X\.enabled.*true or false"):
        check_args(_Args(vpc_id="vpc-1", enabled="false"), key="X")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"X\.timeout_seconds"):
        check_args(_Args(vpc_id="vpc-1", timeout_seconds=True), key="X")


def test_none_is_refused_where_the_type_does_not_allow_it_and_accepted_where_it_does() -> None:
    with pytest.raises(ConfigError, match=r"X\.enabled.*true or false"):
        check_args(_Args(vpc_id="vpc-1", enabled=None), key="X")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"X\.vpc_id.*a VPC id \(required\)"):
        check_args(_Args(vpc_id=None), key="X")  # type: ignore[arg-type]
    ok = check_args(_Args(vpc_id="vpc-1", role_name=None), key="X")
    assert ok.role_name is None


def test_an_output_is_checked_once_it_resolves() -> None:
    def good() -> None:
        args = check_args(_Args(vpc_id=pulumi.Output.from_input("vpc-9")), key="X")
        pulumi.export("vpc", args.vpc_id)

    assert capture(good).output("vpc") == "vpc-9"

    def bad() -> None:
        args = check_args(_Args(vpc_id=pulumi.Output.from_input("subnet-1")), key="X")
        pulumi.export("vpc", args.vpc_id)

    with pytest.raises(Exception, match=r"X\.vpc_id: invalid value 'subnet-1'"):
        capture(bad)


def test_descriptions_and_python_only_markers_are_read_from_the_annotations() -> None:
    assert describe_field(_Args, "timeout_seconds") == "an integer from 1 to 60 (seconds)"
    assert describe_field(_Args, "enabled") == ""
    assert "64" in describe_field(_Args, "role_name")
    marker = python_only(_Args, "owner")
    assert marker is not None and marker.why == "an id output"
    assert python_only(_Args, "vpc_id") is None
