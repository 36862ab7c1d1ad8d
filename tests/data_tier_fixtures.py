"""Helpers shared by the data-tier tests (network, cache, database)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from proliferate_components.errors import ConfigError
from proliferate_components.testing import Capture, Registration, capture

SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
SOURCES = ["sg-0aaaaaaaaaaaaaaa1", "sg-0bbbbbbbbbbbbbbb2"]
VPC = "vpc-0123456789abcdef0"


def snapshot(cap: Capture) -> dict[str, tuple[str, dict[str, Any], bool | None, str]]:
    """Every registration by name: (type, unwrapped inputs, protect, parent urn)."""
    out: dict[str, tuple[str, dict[str, Any], bool | None, str]] = {}
    for r in cap.resources:
        assert r.name not in out, f"duplicate resource name {r.name}"
        out[r.name] = (r.type, {k: r.input(k) for k in r.inputs}, r.protect, r.parent)
    return out


def assert_no_churn(program: Callable[[], Any], **kwargs: Any) -> Capture:
    """Run ``program`` twice; every resource must get byte-identical inputs and options."""
    first = capture(program, **kwargs)
    second = capture(program, **kwargs)
    a, b = snapshot(first), snapshot(second)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], f"{name} differs between two runs with the same args"
    return first


def rejected(build: Callable[[], Any]) -> tuple[ConfigError, Capture]:
    """Run ``build`` under the harness, expecting a ConfigError; return it and the capture.

    The error is caught inside the program so the capture (what got registered before the
    error) is still returned and can be checked to be empty.
    """
    errors: list[ConfigError] = []

    def program() -> None:
        try:
            build()
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program)
    assert errors, "expected a ConfigError"
    return errors[0], cap


def component_children(
    cap: Capture, component_type: str
) -> tuple[Registration, list[Registration]]:
    """The single component of ``component_type`` and every other registration."""
    component = cap.one(component_type)
    others = [r for r in cap.resources if r.urn != component.urn]
    return component, others
