"""The pack converts each Analyze request once for all its policies, and only that.

(That every rule still answers as before over the Analyzer protocol is the rest of the
policy tests, which drive the pack's process with the conversion in place.)
"""

from __future__ import annotations

import threading
from typing import Any

from google.protobuf import json_format, struct_pb2

from proliferate_components.policies import pack


def _counting() -> tuple[list[Any], Any]:
    calls: list[Any] = []

    def convert(value: Any, *more: Any, **options: Any) -> Any:
        calls.append((value, more, options))
        return {"converted": len(calls)}

    return calls, convert


def test_the_same_object_is_converted_once_an_equal_one_again() -> None:
    calls, convert = _counting()
    once = pack._once_per_argument(convert)  # pyright: ignore[reportPrivateUsage]
    first, equal = {"a": 1}, {"a": 1}
    assert once(first) is once(first)
    assert once(equal) == {"converted": 2}  # equal but another request: converted again
    assert len(calls) == 2


def test_calls_with_options_are_passed_through() -> None:
    calls, convert = _counting()
    once = pack._once_per_argument(convert)  # pyright: ignore[reportPrivateUsage]
    value = {"a": 1}
    once(value, True)
    once(value, True)
    once(value, proxy_secrets=True)
    assert len(calls) == 3


def test_each_thread_has_its_own_answers() -> None:
    calls, convert = _counting()
    once = pack._once_per_argument(convert)  # pyright: ignore[reportPrivateUsage]
    value = {"a": 1}
    once(value)
    worker = threading.Thread(target=once, args=(value,))
    worker.start()
    worker.join()
    assert len(calls) == 2


def test_the_oldest_answer_goes_first_when_full(monkeypatch: Any) -> None:
    monkeypatch.setattr(pack._LastCalls, "size", 2)  # pyright: ignore[reportPrivateUsage]
    calls, convert = _counting()
    once = pack._once_per_argument(convert)  # pyright: ignore[reportPrivateUsage]
    a, b, c = {"a": 1}, {"b": 1}, {"c": 1}
    once(a)
    once(b)
    once(c)  # a is dropped
    once(b)
    assert len(calls) == 3
    once(a)
    assert len(calls) == 4


def test_message_to_dict_of_one_message_is_shared_and_the_rest_of_the_module_unchanged() -> None:
    module = pack._JsonFormatOncePerMessage(json_format)  # pyright: ignore[reportPrivateUsage]
    message = struct_pb2.Struct()
    message.update({"engine": "redis", "nodes": 2})
    assert module.MessageToDict(message) is module.MessageToDict(message)
    assert module.MessageToDict(message) == json_format.MessageToDict(message)
    assert module.MessageToJson is json_format.MessageToJson


def test_pulumi_policy_looks_up_what_the_pack_replaces_at_call_time() -> None:
    """The conversion relies on ``Analyze`` finding these three names in
    ``pulumi_policy.policy``'s globals; a release that moved them would silently lose it."""
    import inspect

    import pulumi_policy.policy as policy_module

    source = inspect.getsource(policy_module._PolicyAnalyzerServicer.Analyze)  # pyright: ignore[reportPrivateUsage]
    for name in ("json_format.MessageToDict", "deserialize_properties", "unknown_checking_proxy"):
        assert name in source


class _Policy:
    def __init__(self, name: str) -> None:
        self.name = name


def test_analyze_visits_only_the_policies_of_the_resource_type() -> None:
    bucket, cache, stack, foreign = (_Policy(n) for n in ("bucket", "cache", "stack", "foreign"))
    policies = pack.PoliciesByType(
        [bucket, cache, stack, foreign],
        {
            id(bucket): frozenset({"aws:s3/bucket:Bucket"}),
            id(cache): frozenset({"aws:elasticache/replicationGroup:ReplicationGroup"}),
            id(stack): frozenset(),  # a stack rule is never visited by Analyze
        },
    )
    assert [p.name for p in policies] == ["bucket", "cache", "stack", "foreign"]
    pack._ANALYZING.type = "aws:s3/bucket:Bucket"  # pyright: ignore[reportPrivateUsage]
    try:
        assert [p.name for p in policies] == ["bucket", "foreign"]  # foreign: types unknown
        assert [p.name for p in policies] == ["bucket", "foreign"]  # (remembered)
    finally:
        pack._ANALYZING.type = None  # pyright: ignore[reportPrivateUsage]
    assert len(list(policies)) == 4  # AnalyzeStack, GetAnalyzerInfo: every policy


def test_the_analyze_wrapper_notes_the_type_only_while_it_runs(monkeypatch: Any) -> None:
    import pulumi_policy.policy as policy_module

    seen: list[str | None] = []

    class Servicer:
        def Analyze(self, request: Any, context: Any) -> str:
            seen.append(pack._ANALYZING.type)  # pyright: ignore[reportPrivateUsage]
            return "answer"

    monkeypatch.setattr(policy_module, "_PolicyAnalyzerServicer", Servicer)
    assert pack.analyze_with_the_policies_of_its_type()
    assert pack.analyze_with_the_policies_of_its_type()  # idempotent: wrapped once

    class Request:
        type = "aws:ec2/vpc:Vpc"

    assert Servicer().Analyze(Request(), None) == "answer"
    assert seen == ["aws:ec2/vpc:Vpc"]
    assert pack._ANALYZING.type is None  # pyright: ignore[reportPrivateUsage]
