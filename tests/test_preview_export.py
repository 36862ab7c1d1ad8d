"""Redaction and JSON conversion of recorded values (no program run needed)."""

from __future__ import annotations

import pulumi
from pulumi.output import Unknown
from pulumi.runtime import rpc

from proliferate_components.preview.export import UNKNOWN_MARKER, Redactor, load_schema
from proliferate_components.testing import SECRET_MARKER


def test_secrets_are_replaced_and_learnt() -> None:
    red = Redactor()
    inputs = {"password": rpc.wrap_rpc_secret("correct-horse-battery"), "user": "app"}
    red.learn(inputs)
    assert red.plain(inputs) == {"password": SECRET_MARKER, "user": "app"}
    # a copy of the secret inside a plain string is scrubbed too
    assert red.plain({"url": "postgres://app:correct-horse-battery@db:5432/app"}) == {
        "url": f"postgres://app:{SECRET_MARKER}@db:5432/app"
    }


def test_nested_secrets_inside_lists_and_maps_are_learnt() -> None:
    red = Redactor()
    red.learn(
        {"env": [{"name": "TOKEN", "value": rpc.wrap_rpc_secret({"inner": ["tok-123456789"]})}]}
    )
    assert red.text("Bearer tok-123456789") == f"Bearer {SECRET_MARKER}"


def test_short_secrets_are_only_replaced_when_whole() -> None:
    red = Redactor(["abc"])
    assert red.text("abc") == SECRET_MARKER
    assert red.text("abcdef") == "abcdef"  # too short to scrub inside other text safely


def test_booleans_are_never_learnt_as_secrets() -> None:
    red = Redactor()
    red.learn({"flag": rpc.wrap_rpc_secret("true")})
    assert red.text("true") == "true"


def test_numbers_unknowns_and_resources() -> None:
    red = Redactor()
    assert red.plain(20.0) == 20 and isinstance(red.plain(20.0), int)
    assert red.plain(2.5) == 2.5
    assert red.plain(float("inf")) == "inf"
    assert red.plain(True) is True
    assert red.plain(None) is None
    assert red.plain(Unknown()) == UNKNOWN_MARKER
    assert red.plain(rpc.UNKNOWN) == UNKNOWN_MARKER
    assert red.plain({"b": 1.0, "a": [3.0]}) == {"a": [3], "b": 1}
    assert list(red.plain({"b": 1, "a": 2})) == ["a", "b"]


def test_resource_values_are_not_dumped() -> None:
    class Fake(pulumi.Resource):  # never registered: only the isinstance check matters
        def __init__(self) -> None:
            pass

    assert Redactor().plain(Fake()) == "<resource>"


def test_schema_is_valid_draft_2020_12() -> None:
    import jsonschema

    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["project", "stack", "resources", "outputs", "violations"]
    resource = schema["$defs"]["resource"]
    assert resource["required"] == [
        "urn",
        "type",
        "name",
        "parent",
        "custom",
        "protect",
        "dependencies",
        "provider",
        "inputs",
    ]
    assert schema["$defs"]["violation"]["required"] == ["policy", "urn", "enforcement", "message"]
