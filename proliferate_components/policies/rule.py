"""The rule model: a policy is a small pure function plus the metadata a pack and docs need.

A :class:`ResourceRule` looks at one resource's inputs (camelCase, as the Pulumi engine sends
them to ``Analyze``); a :class:`StackRule` looks at every resource of the stack with its
outputs and options (as sent to ``AnalyzeStack``). Both are plain Python: they take
:class:`Resource` values built from dicts and return messages, so they can be unit-tested
without Pulumi, and :mod:`proliferate_components.policies.pack` wraps them for CrossGuard.

Every message names the resource and ends with the rule's remediation hint, so a violation
always says what to change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

Severity = Literal["low", "medium", "high", "critical"]
"""How bad a violation is (maps to ``pulumi_policy.Severity``)."""

Enforcement = Literal["advisory", "mandatory", "remediate", "disabled"]
"""What a violation does: ``mandatory`` fails the preview/update, ``advisory`` warns."""

ENFORCEMENT_LEVELS: tuple[Enforcement, ...] = ("advisory", "mandatory", "remediate", "disabled")
"""Every enforcement level the engine accepts, in the engine's order."""


@dataclass(frozen=True)
class Resource:
    """A resource as a policy sees it: type, name, camelCase properties and options.

    For resource rules ``props`` are the inputs; for stack rules they are the outputs
    (which include the inputs and the provider's computed values such as ``id``).
    """

    type: str
    """The Pulumi type token, e.g. ``aws:rds/instance:Instance``."""
    name: str
    """The resource's logical name (the last part of its URN)."""
    props: Mapping[str, Any] = field(default_factory=dict[str, Any])
    """camelCase properties; secrets already unwrapped; unknowns are the engine's sentinels."""
    urn: str = ""
    """The resource's URN (empty in unit tests that do not need one)."""
    protect: bool = False
    """The ``protect`` resource option (default: not protected)."""
    parent: str = ""
    """URN of the parent resource (empty: the stack)."""
    dependencies: tuple[str, ...] = ()
    """URNs this resource depends on."""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict[str, tuple[str, ...]]
    )
    """For each input property, the URNs of the resources its value came from."""
    secret_paths: frozenset[str] | None = None
    """Dotted paths (``password``, ``users.0.password``) of the values that reached the
    policy as Pulumi secrets; ``None`` when that is not known (then no rule may judge
    secretness)."""

    @property
    def label(self) -> str:
        """How messages name the resource: ``aws:rds/instance:Instance 'app-db'``."""
        return f"{self.type} {self.name!r}"

    @property
    def key(self) -> str:
        """The URN if known, else the name: what a stack violation is reported against."""
        return self.urn or self.name


def _jsonable(value: Any) -> Any:
    """Tuples (immutable defaults) as lists, as JSON and the engine see them."""
    if isinstance(value, tuple):
        return list(cast("tuple[Any, ...]", value))
    return value


@dataclass(frozen=True)
class ConfigProperty:
    """One configurable threshold or switch of a rule (part of its JSON config schema)."""

    name: str
    """camelCase property name used in ``--policy-pack-config``, e.g. ``minRetentionDays``."""
    type: Literal["integer", "boolean", "string", "array"]
    """JSON schema type."""
    default: Any
    """Value used when the user does not configure the property."""
    description: str
    """What the property changes."""
    minimum: int | None = None
    """Smallest accepted integer (only for ``integer``; default: no minimum)."""
    items_type: Literal["integer", "string"] | None = None
    """Element type of an ``array`` property (default: unconstrained)."""

    def schema(self) -> dict[str, Any]:
        """This property as a JSON schema fragment (with its default)."""
        out: dict[str, Any] = {
            "type": self.type,
            "default": _jsonable(self.default),
            "description": self.description,
        }
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.items_type is not None:
            out["items"] = {"type": self.items_type}
        return out


@dataclass(frozen=True)
class Rule:
    """Metadata shared by resource and stack rules."""

    id: str
    """Policy name, unique in the pack, e.g. ``proliferate-elasticache-noeviction``."""
    service: str
    """The AWS service module the rule lives in (``elasticache``, ``rds``, ...)."""
    description: str
    """One sentence saying what compliant resources look like."""
    severity: Severity
    """How bad a violation is."""
    enforcement: Enforcement
    """Default enforcement level (overridable with ``--policy-pack-config``)."""
    remediation: str
    """How to fix a violation; appended to every message."""
    resource_types: tuple[str, ...]
    """Type tokens the rule looks at."""
    config: tuple[ConfigProperty, ...] = ()
    """Configurable properties with defaults (default: none)."""
    equivalents: tuple[str, ...] = ()
    """Equivalent checks of other tools, e.g. ``cdk-nag:AwsSolutions-RDS10``, ``checkov:CKV_AWS_293``."""

    @property
    def kind(self) -> Literal["resource", "stack"]:
        """``resource`` (checked per resource) or ``stack`` (checked across the stack)."""
        raise NotImplementedError

    def defaults(self) -> dict[str, Any]:
        """The configuration used when nothing is configured."""
        return {p.name: _jsonable(p.default) for p in self.config}

    def merged_config(self, config: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with ``config`` (unknown keys are kept, the engine validates)."""
        merged = self.defaults()
        merged.update(config or {})
        return merged

    def config_schema(self) -> dict[str, Any]:
        """JSON schema ``properties`` of the rule's configuration."""
        return {p.name: p.schema() for p in self.config}

    def message(self, problem: str) -> str:
        """A violation message: the problem (naming the resource) and how to fix it."""
        return f"{problem.rstrip('.')}. Fix: {self.remediation}"


ResourceCheck = Callable[[Resource, Mapping[str, Any]], Iterable[str]]
"""A resource check: yields one problem sentence (naming the resource) per violation."""

StackCheck = Callable[[Sequence[Resource], Mapping[str, Any]], Iterable[tuple[Resource, str]]]
"""A stack check: yields ``(offending resource, problem sentence)`` per violation."""


@dataclass(frozen=True)
class ResourceRule(Rule):
    """A rule evaluated on one resource's inputs (CrossGuard ``ResourceValidationPolicy``)."""

    check: ResourceCheck = field(default=lambda _r, _c: (), repr=False)
    """The pure check."""

    @property
    def kind(self) -> Literal["resource", "stack"]:
        return "resource"

    def evaluate(self, resource: Resource, config: Mapping[str, Any] | None = None) -> list[str]:
        """Messages for ``resource`` (empty when compliant or of another type)."""
        if resource.type not in self.resource_types:
            return []
        cfg = self.merged_config(config)
        return [self.message(p) for p in self.check(resource, cfg)]


@dataclass(frozen=True)
class StackRule(Rule):
    """A rule evaluated across all resources (CrossGuard ``StackValidationPolicy``)."""

    check: StackCheck = field(default=lambda _r, _c: (), repr=False)
    """The pure check."""

    @property
    def kind(self) -> Literal["resource", "stack"]:
        return "stack"

    def evaluate(
        self, resources: Sequence[Resource], config: Mapping[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        """``(urn or name, message)`` per violation across ``resources``."""
        cfg = self.merged_config(config)
        return [(r.key, self.message(p)) for r, p in self.check(resources, cfg)]


R = TypeVar("R", ResourceRule, StackRule)


def _rule(
    kind: type[R],
    *,
    id: str,
    service: str,
    types: Sequence[str],
    description: str,
    severity: Severity,
    enforcement: Enforcement,
    remediation: str,
    config: Sequence[ConfigProperty] = (),
    equivalents: Sequence[str] = (),
) -> Callable[[Callable[..., Iterable[Any]]], R]:
    """Decorator turning a check function into a rule of ``kind``; its metadata (id,
    message, explanation) lives beside the function."""

    def wrap(fn: Callable[..., Iterable[Any]]) -> R:
        return kind(
            id=id,
            service=service,
            description=description,
            severity=severity,
            enforcement=enforcement,
            remediation=remediation,
            resource_types=tuple(types),
            config=tuple(config),
            equivalents=tuple(equivalents),
            check=fn,
        )

    return wrap


resource_rule = functools.partial(_rule, ResourceRule)
"""``@resource_rule(id=..., ...)`` over a :data:`ResourceCheck`: a :class:`ResourceRule`."""

stack_rule = functools.partial(_rule, StackRule)
"""``@stack_rule(id=..., ...)`` over a :data:`StackCheck`: a :class:`StackRule`."""
