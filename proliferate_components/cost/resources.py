"""The estimator's view of a program: each registration's type, name, parent, inputs.

:class:`CostResource` holds plain JSON-like values only (secrets replaced by a marker,
values unknown during a preview by ``None``), so the estimator is a pure function over them.
Two adapters build them: :func:`resources_from_registrations` from a capture (the offline
preview, the test harness) and :func:`resources_from_document` from the ``--json`` export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from ..testing import Registration

__all__ = [
    "CostResource",
    "StackIndex",
    "resources_from_document",
    "resources_from_registrations",
]

_UNKNOWN_MARKER = "[unknown]"


@dataclass(frozen=True)
class CostResource:
    """One registered resource as the estimator sees it."""

    urn: str
    type: str
    name: str
    parent: str = ""
    """URN of the parent (``""`` or the stack's URN at the top)."""
    custom: bool = True
    """True for a cloud resource, False for a component."""
    remote: bool = False
    """True for a multi-language component (e.g. ``awsx``) whose children are not visible."""
    inputs: Mapping[str, Any] = field(default_factory=dict[str, Any])
    """Inputs with camelCase keys; unknown values are ``None``."""
    dependencies: tuple[str, ...] = ()
    """URNs this resource depends on."""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict[str, tuple[str, ...]]
    )
    """Input name -> URNs it was computed from (empty when not recorded)."""
    provider: str = ""
    """The explicit provider reference (``URN::id``), ``""`` for the default provider."""

    def input(self, key: str, default: Any = None) -> Any:
        """An input, or ``default`` when absent or unknown."""
        value = self.inputs.get(key)
        return default if value is None else value

    def input_list(self, key: str) -> list[Any]:
        """A list input; ``[]`` when absent, unknown or not a list."""
        value = self.inputs.get(key)
        return list(cast("list[Any]", value)) if isinstance(value, list) else []

    def input_map(self, key: str) -> Mapping[str, Any]:
        """An object input; ``{}`` when absent, unknown or not an object."""
        value = self.inputs.get(key)
        return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}

    def input_maps(self, key: str) -> list[Mapping[str, Any]]:
        """The objects of a list-of-objects input (other items skipped)."""
        return [
            cast("Mapping[str, Any]", item)
            for item in self.input_list(key)
            if isinstance(item, Mapping)
        ]


class StackIndex:
    """Lookups across a program's resources (by URN, by dependency)."""

    def __init__(self, resources: Sequence[CostResource]) -> None:
        self.resources = tuple(resources)
        self.by_urn: dict[str, CostResource] = {r.urn: r for r in self.resources}
        self._dependents: dict[str, list[CostResource]] = {}
        for r in self.resources:
            for urn in set(r.dependencies) | {
                u for urns in r.property_dependencies.values() for u in urns
            }:
                self._dependents.setdefault(urn, []).append(r)

    def dependencies_of(
        self, resource: CostResource, resource_type: str, *, prop: str | None = None
    ) -> list[CostResource]:
        """Resources of ``resource_type`` that ``resource`` depends on (through input ``prop``
        when its property dependencies were recorded)."""
        urns: Iterable[str] = resource.dependencies
        if prop is not None and prop in resource.property_dependencies:
            urns = resource.property_dependencies[prop]
        found = [self.by_urn[u] for u in dict.fromkeys(urns) if u in self.by_urn]
        return [r for r in found if r.type == resource_type]

    def dependents_of(self, resource: CostResource, resource_type: str) -> list[CostResource]:
        """Resources of ``resource_type`` that depend on ``resource``."""
        return [r for r in self._dependents.get(resource.urn, []) if r.type == resource_type]


def resources_from_registrations(registrations: Iterable[Registration]) -> list[CostResource]:
    """:class:`CostResource` views of captured registrations (secrets never unwrapped)."""
    out: list[CostResource] = []
    for reg in registrations:
        out.append(
            CostResource(
                urn=reg.urn,
                type=reg.type,
                name=reg.name,
                parent=reg.parent,
                custom=reg.custom,
                remote=reg.remote,
                inputs=cast("dict[str, Any]", _plain(dict(reg.inputs))),
                dependencies=tuple(reg.dependencies),
                property_dependencies=dict(reg.property_dependencies),
                provider=reg.provider,
            )
        )
    return out


def resources_from_document(document: Mapping[str, Any]) -> list[CostResource]:
    """:class:`CostResource` views of the ``resources`` of a ``--json`` export document."""
    out: list[CostResource] = []
    for item in cast("Sequence[Mapping[str, Any]]", document.get("resources", [])):
        inputs = cast("Mapping[str, Any]", item.get("inputs") or {})
        out.append(
            CostResource(
                urn=str(item["urn"]),
                type=str(item["type"]),
                name=str(item["name"]),
                parent=str(item.get("parent") or ""),
                custom=bool(item.get("custom", True)),
                inputs=cast("dict[str, Any]", _unknowns_to_none(dict(inputs))),
                dependencies=tuple(str(u) for u in item.get("dependencies") or ()),
                provider=str(item.get("provider") or ""),
            )
        )
    return out


def _plain(value: Any) -> Any:
    """A JSON-like copy: secrets become the marker, unknowns ``None``, whole floats ints."""
    from pulumi.runtime import rpc

    from ..testing import SECRET_MARKER

    if rpc.is_rpc_secret(value):
        return SECRET_MARKER
    if value is None or isinstance(value, (bool, str, int)):
        return None if value == rpc.UNKNOWN else value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        items = cast("Mapping[Any, Any]", value).items()
        return {str(k): _plain(v) for k, v in items}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in cast("Iterable[Any]", value)]
    return None  # an Unknown, a resource reference...


def _unknowns_to_none(value: Any) -> Any:
    if value == _UNKNOWN_MARKER:
        return None
    if isinstance(value, Mapping):
        return {str(k): _unknowns_to_none(v) for k, v in cast("Mapping[Any, Any]", value).items()}
    if isinstance(value, list):
        return [_unknowns_to_none(v) for v in cast("list[Any]", value)]
    return value
