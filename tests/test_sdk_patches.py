"""The Pulumi SDK shortcuts of the offline preview answer exactly as the functions they wrap.

(The whole preview's export staying byte for byte the same is in ``test_preview_speed.py``.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import typing
from types import ModuleType
from typing import Any

import pulumi._types as pulumi_types
import pulumi._utils as pulumi_utils
import pulumi_aws as aws
import pytest

from proliferate_components.preview.sdk_patches import (
    fast_is_empty_function,
    memoized_get_type_hints,
)


def _getters(cls: type) -> list[Any]:
    return [prop.fget for _, _, prop in pulumi_types._py_properties(cls)]  # pyright: ignore[reportPrivateUsage]


_COMPARE = textwrap.dedent(
    """
    import json, typing
    from proliferate_components.preview import sdk_loader
    from proliferate_components.preview.sdk_patches import memoized_get_type_hints
    assert sdk_loader.install(None) is not None  # postponed annotations, as in a preview
    import pulumi, pulumi_aws as aws
    from pulumi import _types
    calls = []
    def counting(*args):
        calls.append(args[0])
        return typing.get_type_hints(*args)
    memo = memoized_get_type_hints(counting)
    localns = {"Output": pulumi.Output, "T": type(None)}
    rounds = []
    for _ in range(2):  # the second round answers from the memo
        compared = strings = 0
        for cls in (aws.ec2.SecurityGroup, aws.rds.Instance, aws.ecs.Service, aws.lb.Listener):
            globalns = _types._globals_for_cls(cls)
            for _, _, prop in _types._py_properties(cls):
                strings += isinstance(prop.fget.__annotations__.get("return"), str)
                expected = typing.get_type_hints(prop.fget, globalns=globalns, localns=localns)
                assert memo(prop.fget, globalns, localns) == expected, prop.fget
                compared += 1
        rounds.append({"compared": compared, "strings": strings, "calls": len(calls)})
    print(json.dumps(rounds))
    """
)


def test_return_hints_of_provider_getters_are_those_of_typing() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _COMPARE], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    first, second = json.loads(proc.stdout)
    assert first["compared"] > 150
    assert first["strings"] == first["compared"]  # the memo's case: every one postponed
    assert first["calls"] < first["compared"] / 2  # repeated strings resolved once
    assert second["calls"] == first["calls"]  # and nothing twice


def _module(name: str, **names: Any) -> dict[str, Any]:
    module = ModuleType(name)
    module.__dict__.update(names)
    return module.__dict__


class _First:
    pass


class _Second:
    pass


def test_the_same_string_with_other_bindings_is_resolved_again() -> None:
    calls: list[str] = []

    def counting(obj: Any, globalns: Any = None, localns: Any = None, extras: bool = False) -> Any:
        calls.append(obj.__name__)
        return typing.get_type_hints(obj, globalns, localns, extras)

    memo = memoized_get_type_hints(counting)

    def getter(self: Any) -> Any:
        return None

    getter.__annotations__ = {"return": "outputs.Thing"}
    first = _module("first", outputs=_module_object(Thing=_First))
    second = _module("second", outputs=_module_object(Thing=_Second))
    assert memo(getter, first)["return"] is _First
    assert memo(getter, first)["return"] is _First  # memoized
    assert memo(getter, second)["return"] is _Second  # `outputs` is another module here
    assert len(calls) == 2


def _module_object(**names: Any) -> ModuleType:
    module = ModuleType("outputs")
    module.__dict__.update(names)
    return module


def test_functions_with_parameters_and_options_go_to_typing() -> None:
    calls: list[object] = []

    def counting(obj: Any, globalns: Any = None, localns: Any = None, extras: bool = False) -> Any:
        calls.append(obj)
        return typing.get_type_hints(obj, globalns, localns, extras)

    memo = memoized_get_type_hints(counting)

    def with_parameter(x: int | None = None) -> str:
        return str(x)

    with_parameter.__annotations__ = {"x": "int", "return": "str"}

    def getter(self: Any) -> Any:
        return None

    getter.__annotations__ = {"return": "str"}
    for _ in range(2):
        assert memo(with_parameter, {}) == typing.get_type_hints(with_parameter, {})
        memo(getter, None)  # no globals given
        memo(getter, {}, None, True)  # include_extras
    assert len(calls) == 6


@pytest.mark.parametrize(
    "fn",
    [
        *(
            getattr(pulumi_utils, n)
            for n in ("_empty", "_empty_doc", "_empty_lambda", "_empty_lambda_doc")
        ),
        lambda: None,
        lambda: 1,
        _getters(aws.ec2.SecurityGroup)[0],
        test_functions_with_parameters_and_options_go_to_typing,
    ],
)
def test_the_fast_empty_check_answers_as_pulumi(fn: Any) -> None:
    empties = tuple(
        getattr(pulumi_utils, n)
        for n in ("_empty", "_empty_doc", "_empty_lambda", "_empty_lambda_doc")
    )
    original = pulumi_utils.is_empty_function
    assert fast_is_empty_function(original, empties)(fn) == original(fn)


def test_an_empty_getter_is_still_found_empty() -> None:
    def empty_getter(self: Any) -> str: ...

    empties = tuple(
        getattr(pulumi_utils, n)
        for n in ("_empty", "_empty_doc", "_empty_lambda", "_empty_lambda_doc")
    )
    assert fast_is_empty_function(pulumi_utils.is_empty_function, empties)(empty_getter) is True
