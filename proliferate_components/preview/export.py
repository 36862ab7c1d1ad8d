"""The stable JSON form of an offline preview (``--json FILE``) and secret redaction.

The document is::

    {"project", "stack",
     "resources": [{"urn", "type", "name", "parent", "custom", "protect",
                    "dependencies", "provider", "inputs"}],
     "outputs", "violations": [{"policy", "urn", "enforcement", "message"}],
     "cost": {...}}   # only with --cost (proliferate_components.cost)

and is described by the JSON Schema shipped next to this module (:data:`SCHEMA_PATH`).
Secret values are replaced by :data:`~proliferate_components.testing.SECRET_MARKER`
everywhere: values the engine would treat as secret, and also any copy of a secret value
that leaked into a plain string (a connection URL, a policy message). Order is stable:
resources by URN, dependencies and object keys sorted, violations by policy, URN, message.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .runner import PreviewResult

__all__ = [
    "SCHEMA_PATH",
    "UNKNOWN_MARKER",
    "Redactor",
    "load_schema",
    "preview_document",
    "write_json",
]

SCHEMA_PATH = Path(__file__).with_name("schema.json")
"""The JSON Schema (draft 2020-12) of :func:`preview_document`'s result."""

UNKNOWN_MARKER = "[unknown]"
"""What a value unknown during a preview (computed by the cloud at deploy time) becomes."""

_MIN_SUBSTRING_SECRET = 6
"""Secrets at least this long are also scrubbed from inside longer strings."""


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the ``--json`` document."""
    return cast("dict[str, Any]", json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


class Redactor:
    """Turns recorded values into plain JSON values with every secret replaced by the marker.

    Args:
        secrets: known secret strings (e.g. secret config values); more are learnt from the
            values passed to :meth:`learn`.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        from ..testing import SECRET_MARKER

        self.marker = SECRET_MARKER
        self._secrets: set[str] = {s for s in secrets if s}

    def learn(self, value: Any) -> None:
        """Remember every string inside Pulumi secrets found in ``value`` (recursively)."""
        from pulumi.runtime import rpc

        if rpc.is_rpc_secret(value):
            self._learn_all(rpc.unwrap_rpc_secret(value))
        elif isinstance(value, Mapping):
            for v in cast("Mapping[str, Any]", value).values():
                self.learn(v)
        elif isinstance(value, (list, tuple)):
            for v in cast("Iterable[Any]", value):
                self.learn(v)

    def _learn_all(self, value: Any) -> None:
        from pulumi.runtime import rpc

        if rpc.is_rpc_secret(value):
            self._learn_all(rpc.unwrap_rpc_secret(value))
        elif isinstance(value, str):
            if value and value not in ("true", "false"):
                self._secrets.add(value)
        elif isinstance(value, Mapping):
            for v in cast("Mapping[str, Any]", value).values():
                self._learn_all(v)
        elif isinstance(value, (list, tuple)):
            for v in cast("Iterable[Any]", value):
                self._learn_all(v)

    def text(self, value: str) -> str:
        """``value`` with every known secret (exact, or inside it when long enough) replaced."""
        if value in self._secrets:
            return self.marker
        for secret in sorted(self._secrets, key=len, reverse=True):
            if len(secret) >= _MIN_SUBSTRING_SECRET and secret in value:
                value = value.replace(secret, self.marker)
        return value

    def plain(self, value: Any) -> Any:
        """A JSON-ready copy of ``value``: secrets, unknowns and resource references replaced,
        whole floats turned into ints (protobuf carries every number as a float)."""
        import pulumi
        from pulumi.output import Unknown
        from pulumi.runtime import rpc

        if rpc.is_rpc_secret(value):
            return self.marker
        if isinstance(value, Unknown) or value == rpc.UNKNOWN:
            return UNKNOWN_MARKER
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, float):
            if math.isfinite(value) and value.is_integer():
                return int(value)
            return value if math.isfinite(value) else str(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            items = cast("Mapping[Any, Any]", value).items()
            return {str(k): self.plain(v) for k, v in sorted(items, key=lambda kv: str(kv[0]))}
        if isinstance(value, (list, tuple)):
            return [self.plain(v) for v in cast("Iterable[Any]", value)]
        if isinstance(value, pulumi.Resource):
            return "<resource>"
        return self.text(str(value))


def redactor_for(result: PreviewResult) -> Redactor:
    """A :class:`Redactor` that knows every secret of ``result`` (config and recorded values)."""
    secrets = [
        result.config.values[k] for k in result.config.secret_keys if k in result.config.values
    ]
    redactor = Redactor(secrets)
    for reg in result.capture.resources:
        redactor.learn(reg.inputs)
        redactor.learn(reg.outputs)
    redactor.learn(result.capture.outputs)
    return redactor


def preview_document(
    result: PreviewResult,
    redactor: Redactor | None = None,
    *,
    cost: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``--json`` document of ``result`` (see the module docstring and :data:`SCHEMA_PATH`);
    ``cost`` (a :class:`~proliferate_components.cost.preview.CostOutcome` as a dict) is added
    under ``cost`` when given."""
    red = redactor or redactor_for(result)
    resources: list[dict[str, Any]] = []
    for reg in sorted(result.capture.resources, key=lambda r: r.urn):
        resources.append(
            {
                "urn": reg.urn,
                "type": reg.type,
                "name": reg.name,
                "parent": reg.parent or None,
                "custom": reg.custom,
                "protect": bool(reg.protect),
                "dependencies": sorted(set(reg.dependencies)),
                "provider": reg.provider or None,
                "inputs": red.plain(dict(reg.inputs)),
            }
        )
    violations = [
        {
            "policy": v.policy,
            "urn": v.urn or None,
            "enforcement": v.enforcement,
            "message": red.text(v.message),
        }
        for v in result.violations
    ]
    violations.sort(key=lambda v: (v["policy"], v["urn"] or "", v["message"]))
    document: dict[str, Any] = {
        "project": result.project.name,
        "stack": result.stack,
        "resources": resources,
        "outputs": red.plain(dict(result.capture.outputs)),
        "violations": violations,
    }
    if cost is not None:
        document["cost"] = dict(cost)
    return document


def write_json(
    result: PreviewResult,
    path: str | Path,
    redactor: Redactor | None = None,
    *,
    cost: Mapping[str, Any] | None = None,
) -> Path | None:
    """Write :func:`preview_document` to ``path`` (UTF-8, 2-space indent, trailing newline);
    ``"-"`` writes it to stdout (and returns None)."""
    document = preview_document(result, redactor, cost=cost)
    text = json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
