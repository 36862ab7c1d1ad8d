"""Reading property values the way the engine sends them.

Numbers arrive as floats (protobuf ``Struct``), some booleans are strings in pulumi-aws v7
(e.g. ElastiCache ``Cluster.autoMinorVersionUpgrade``), and values not known during a
preview are sentinel strings. These helpers normalise all of that; a check that meets an
unknown value does not report (it cannot decide).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from .rule import Resource

UNKNOWN_SENTINELS: frozenset[str] = frozenset(
    {
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string (also the SDK's rpc.UNKNOWN)
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
"""The engine's markers for values that cannot be known during a preview."""

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The unknown marker used when a test or fixture needs one."""


SECRET_SIGNATURE = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")
"""The (key, value) pair that marks a secret value on the wire (``{sig: ..., "value": v}``)."""


def secret_paths(raw: Any, prefix: str = "") -> frozenset[str]:
    """Dotted paths of the secret-wrapped values in ``raw`` (properties as the engine sends
    them, before any unwrapping): ``{"users": [{"password": <secret>}]}`` -> ``users.0.password``."""
    found: set[str] = set()
    if isinstance(raw, Mapping):
        obj = cast("Mapping[str, Any]", raw)
        if obj.get(SECRET_SIGNATURE[0]) == SECRET_SIGNATURE[1]:
            return frozenset({prefix})
        for key, value in obj.items():
            found |= secret_paths(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(raw, (list, tuple)):
        for i, value in enumerate(cast("Sequence[Any]", raw)):
            found |= secret_paths(value, f"{prefix}.{i}" if prefix else str(i))
    return frozenset(found)


def is_secret(resource: Resource, path: str) -> bool | None:
    """Whether the value at ``path`` (or a value containing it) reached the policy as a
    secret; None when the resource does not say (:attr:`Resource.secret_paths` is None)."""
    if resource.secret_paths is None:
        return None
    parts = path.split(".")
    return any(".".join(parts[:n]) in resource.secret_paths for n in range(1, len(parts) + 1))


def is_unknown(value: Any) -> bool:
    """True if ``value`` is an engine unknown marker."""
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def flag(value: Any) -> bool | None:
    """A boolean input as a bool: accepts ``True``/``"true"``; None if unset or unknown."""
    if value is None or is_unknown(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in {"true", "yes", "1", "enabled"}:
            return True
        if low in {"false", "no", "0", "disabled", ""}:
            return False
        return None
    if isinstance(value, (int, float)):
        return bool(value)
    return None


def number(value: Any) -> float | None:
    """A numeric input as a float (accepts numeric strings); None if unset or unknown."""
    if value is None or isinstance(value, bool) or is_unknown(value):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def unless_true(label: str, value: Any, problem: str) -> Iterator[str]:
    """``"<label> <problem>"`` when a boolean input is known and not true (set false, or
    unset); nothing while it is unknown. The body of every one-flag rule."""
    if not is_unknown(value) and flag(value) is not True:
        yield f"{label} {problem}"


def text(value: Any) -> str | None:
    """A string input; None if unset or unknown."""
    if value is None or is_unknown(value):
        return None
    return str(value)


def items(value: Any) -> list[Any]:
    """A list input as a list (unset or unknown -> empty)."""
    if value is None or is_unknown(value) or isinstance(value, (str, bytes)):
        return []
    if isinstance(value, Sequence):
        return list(cast("Sequence[Any]", value))
    return []


def mapping(value: Any) -> Mapping[str, Any]:
    """An object input as a mapping (unset or unknown -> empty)."""
    if isinstance(value, Mapping):
        return cast("Mapping[str, Any]", value)
    return {}


def json_list(value: Any) -> list[Mapping[str, Any]] | None:
    """A JSON-encoded list of objects (e.g. ``containerDefinitions``); None if unknown/invalid."""
    if value is None or is_unknown(value):
        return None
    data: Any = value
    if isinstance(value, str):
        try:
            data = json.loads(value)
        except ValueError:
            return None
    if not isinstance(data, list):
        return None
    return [cast("Mapping[str, Any]", d) for d in cast("list[Any]", data) if isinstance(d, Mapping)]


def unset(value: Any) -> bool | None:
    """True when an input is absent or empty, False when it holds a value, None while it is
    unknown (during a preview an unknown value may still be set: give no verdict)."""
    if is_unknown(value):
        return None
    return value is None or value == "" or value == [] or value == {}


def of_type(resources: Sequence[Resource], *types: str) -> Iterator[Resource]:
    """Resources whose ``type`` is one of ``types``, in order."""
    return (r for r in resources if r.type in types)


def identities(resource: Resource) -> set[str]:
    """Values other resources may use to refer to ``resource``: id, name, ARN (known ones)."""
    out: set[str] = set()
    for key in ("id", "name", "arn"):
        value = text(resource.props.get(key))
        if value:
            out.add(value)
    return out


def refers_to(referrer: Resource, prop: str, target: Resource) -> bool:
    """True if ``referrer.<prop>`` (a value or a list) points at ``target``.

    Uses the property dependencies first (they hold the target's URN even when its id is
    unknown during a preview), then compares the value with the target's id/name/ARN.
    """
    if target.urn and target.urn in referrer.property_dependencies.get(prop, ()):
        return True
    value = referrer.props.get(prop)
    values = items(value) if isinstance(value, (list, tuple)) else [value]
    wanted = identities(target)
    return any(text(v) in wanted for v in values if text(v))
