"""Build the CrossGuard ``PolicyPack`` from the rules library.

Only a policy pack's ``__main__.py`` may call :func:`build_pack`: constructing a
``pulumi_policy.PolicyPack`` starts a gRPC Analyzer server, prints its port and blocks
forever. Tests drive the pack in a subprocess through
:class:`proliferate_components.analyzer.AnalyzerProcess` instead.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from .catalog import RULES
from .rule import Enforcement, Resource, ResourceRule, StackRule
from .values import secret_paths

if TYPE_CHECKING:
    from pulumi_policy import (
        PolicyPack,
        ReportViolation,
        ResourceValidationArgs,
        StackValidationArgs,
    )

DEFAULT_PACK_NAME = "proliferate-aws"
"""Name of the bundled pack (what ``pulumi preview --policy-pack`` reports)."""


def plain(value: Any) -> Any:
    """Deep copy of a ``pulumi_policy`` property proxy as plain dicts/lists.

    The proxies raise on access to an unknown value; the rules prefer to see the engine's
    unknown markers and skip what they cannot decide, so unwrap without touching values.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, (Mapping, Sequence)):
        return value
    target: Any = cast("Any", value)
    with contextlib.suppress(KeyError, TypeError, IndexError):
        target = cast("Any", value)["__target"]  # a pulumi_policy proxy
    if isinstance(target, Mapping):
        return {str(k): plain(v) for k, v in cast("Mapping[Any, Any]", target).items()}
    return [plain(v) for v in cast("Sequence[Any]", target)]


class _PropsWithSecrets(dict[str, Any]):
    """Deserialized properties that remember which paths arrived as secrets."""

    secret_paths: frozenset[str] | None = None


def _secret_paths_of(props: Any) -> frozenset[str] | None:
    """What :func:`keep_secret_paths` recorded on a ``pulumi_policy`` property proxy (None
    when it could not: the rules then do not judge secretness)."""
    return getattr(props, "secret_paths", None)


def keep_secret_paths() -> bool:
    """Let the rules see which inputs were secrets; returns whether that is in place.

    The engine sends secret inputs marked (``KeepSecrets`` in pulumi/pulumi
    ``sdk/go/common/resource/plugin/analyzer_plugin.go``), but ``pulumi_policy`` (1.x)
    unwraps them before a validation policy sees its ``props``. ``Analyze`` and
    ``AnalyzeStack`` call ``deserialize_properties`` then ``unknown_checking_proxy``, both
    looked up in ``pulumi_policy.policy`` at call time: the first is wrapped to note the
    secret paths of the wire properties, the second to put them on the proxy the policy
    receives (as ``secret_paths``). Values and every other behaviour are unchanged. Called by
    :func:`build_pack`, i.e. only in the pack's process.
    """
    try:
        import pulumi_policy.policy as policy_module
    except ImportError:  # pragma: no cover - the pack's own dependency
        return False
    deserialize: Any = getattr(policy_module, "deserialize_properties", None)
    proxy: Any = getattr(policy_module, "unknown_checking_proxy", None)
    if deserialize is None or proxy is None:
        return False
    if getattr(deserialize, "keeps_secret_paths", False):
        return True

    def deserialize_properties(props: Any, proxy_secrets: bool = False) -> Any:
        result = deserialize(props, proxy_secrets)
        if proxy_secrets or not isinstance(result, dict):
            return result
        out = _PropsWithSecrets(cast("dict[str, Any]", result))
        out.secret_paths = secret_paths(props)
        return out

    def unknown_checking_proxy(props: Any) -> Any:
        wrapped = proxy(props)
        paths = getattr(props, "secret_paths", None)
        if paths is not None:
            with contextlib.suppress(AttributeError):
                wrapped.secret_paths = paths
        return wrapped

    deserialize_properties.keeps_secret_paths = True  # type: ignore[attr-defined]
    setattr(policy_module, "deserialize_properties", deserialize_properties)  # noqa: B010
    setattr(policy_module, "unknown_checking_proxy", unknown_checking_proxy)  # noqa: B010
    return True


class _LastCalls(threading.local):
    """Per gRPC worker thread: the last (argument, result) pairs of one function, by the
    argument's ``id``."""

    size = 1024
    """Enough for every resource of an ``AnalyzeStack`` request of a large stack: its
    policies each convert every resource again, one policy after the other."""

    def __init__(self) -> None:
        self.entries: dict[int, tuple[Any, Any]] = {}


def _once_per_argument(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` answering again, on the same thread, for the very same argument object
    (``is``, not ``==``): the request objects of one ``Analyze`` or ``AnalyzeStack`` call.
    Calls with more than that one argument are passed through. The cache holds the
    arguments themselves, so an ``id`` is never reused while it is cached."""
    last = _LastCalls()

    def once(argument: Any, *more: Any, **options: Any) -> Any:
        if more or options:
            return function(argument, *more, **options)
        entries = last.entries
        hit = entries.get(id(argument))
        if hit is not None and hit[0] is argument:
            return hit[1]
        result = function(argument)
        if len(entries) >= _LastCalls.size:
            del entries[next(iter(entries))]  # the oldest
        entries[id(argument)] = (argument, result)
        return result

    return once


class _JsonFormatOncePerMessage:
    """``google.protobuf.json_format`` whose ``MessageToDict(message)`` (no options) converts
    a given message object once per thread; every other name is the module's own."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.MessageToDict = _once_per_argument(module.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def convert_each_request_once() -> bool:
    """Convert each ``Analyze`` request's properties once, not once per policy; returns
    whether that is in place.

    ``pulumi_policy`` (1.x) ``Analyze`` loops over the policies and, for each one, converts
    the same request again: ``json_format.MessageToDict`` of the properties (and of the
    provider's), ``deserialize_properties`` and ``unknown_checking_proxy``, all looked up in
    ``pulumi_policy.policy`` at call time. With 48 resource policies that was 48 conversions
    of every resource, most of the pack's time. Each of the three now answers again for the
    very object it was last given on the same thread (see :func:`_once_per_argument`), so a
    request is converted once and every policy receives the same read-only proxy. Sharing
    it is safe here: each validator of this pack copies the proxy into plain data
    (:func:`plain`) before a rule sees it, and never writes to it. Call after
    :func:`keep_secret_paths` (whose wrappers it then memoizes). Only in the pack's process.
    """
    try:
        import pulumi_policy.policy as policy_module
    except ImportError:  # pragma: no cover - the pack's own dependency
        return False
    json_format: Any = getattr(policy_module, "json_format", None)
    deserialize: Any = getattr(policy_module, "deserialize_properties", None)
    proxy: Any = getattr(policy_module, "unknown_checking_proxy", None)
    if json_format is None or deserialize is None or proxy is None:
        return False
    if isinstance(json_format, _JsonFormatOncePerMessage):
        return True
    setattr(policy_module, "json_format", _JsonFormatOncePerMessage(json_format))  # noqa: B010
    setattr(policy_module, "deserialize_properties", _once_per_argument(deserialize))  # noqa: B010
    setattr(policy_module, "unknown_checking_proxy", _once_per_argument(proxy))  # noqa: B010
    return True


class _Analyzing(threading.local):
    """The resource type an ``Analyze`` call on this thread is judging (``None`` outside)."""

    type: str | None = None


_ANALYZING = _Analyzing()


class PoliciesByType(list[Any]):
    """The pack's policies. Iterated during an ``Analyze`` of a resource of type ``T`` (see
    :func:`analyze_with_the_policies_of_its_type`), it yields only those that can report on
    ``T``: the resource policies of rules whose ``resource_types`` hold ``T``, and every
    policy it was not told the types of. Anywhere else (``AnalyzeStack``, ``Remediate``,
    ``GetAnalyzerInfo``) it is the whole list."""

    def __init__(self, policies: Sequence[Any], types: Mapping[int, frozenset[str]]) -> None:
        super().__init__(policies)
        self._types = dict(types)  # id(policy) -> the types it judges
        self._for_type: dict[str, list[Any]] = {}

    def __iter__(self) -> Any:
        wanted = _ANALYZING.type
        if wanted is None:
            return super().__iter__()
        found = self._for_type.get(wanted)
        if found is None:
            everything = list(super().__iter__())
            found = [p for p in everything if wanted in self._types.get(id(p), (wanted,))]
            self._for_type[wanted] = found
        return iter(found)


def analyze_with_the_policies_of_its_type() -> bool:
    """Let ``Analyze`` visit only the policies that can report on the resource's type;
    returns whether that is in place.

    ``pulumi_policy`` (1.x) ``Analyze`` builds the arguments of every resource policy for
    every resource and calls it; each validator of this pack then returns at once unless
    the resource's type is one of its rule's (:func:`_resource_validator`), so 48 calls
    gave at most a handful of answers. ``Analyze`` is wrapped to note the request's type on
    its thread while it runs, and :func:`build_pack` hands ``pulumi_policy`` a
    :class:`PoliciesByType`, which then yields only the policies of that type: the same
    answers, without the calls that could not report anything. Only in the pack's process.
    """
    try:
        import pulumi_policy.policy as policy_module
    except ImportError:  # pragma: no cover - the pack's own dependency
        return False
    servicer: Any = getattr(policy_module, "_PolicyAnalyzerServicer", None)
    analyze: Any = getattr(servicer, "Analyze", None)
    if analyze is None:
        return False
    if getattr(analyze, "by_type", False):
        return True

    def by_type(self: Any, request: Any, context: Any) -> Any:
        _ANALYZING.type = request.type
        try:
            return analyze(self, request, context)
        finally:
            _ANALYZING.type = None

    by_type.by_type = True  # type: ignore[attr-defined]
    setattr(servicer, "Analyze", by_type)  # noqa: B010
    return True


def _resource_validator(rule: ResourceRule) -> Any:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.resource_types:
            return
        resource = Resource(
            type=args.resource_type,
            name=args.name,
            urn=args.urn,
            props=plain(args.props),
            protect=bool(args.opts.protect),
            parent=args.opts.parent or "",
            secret_paths=_secret_paths_of(args.props),
        )
        for message in rule.evaluate(resource, args.get_config()):
            report_violation(message, None)

    return validate


def _stack_validator(rule: StackRule) -> Any:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = rule.merged_config(args.get_config())
        # Convert only the types the rule reads (plus configured extra types): converting
        # every resource for every stack policy dominated AnalyzeStack's cost.
        wanted = set(rule.resource_types) | {str(t) for t in config.get("extraTypes") or ()}
        resources = [
            Resource(
                type=r.resource_type,
                name=r.name,
                urn=r.urn,
                props=plain(r.props),
                protect=bool(r.opts.protect),
                parent=r.parent.urn if r.parent is not None else (r.opts.parent or ""),
                dependencies=tuple(d.urn for d in r.dependencies),
                property_dependencies={
                    k: tuple(d.urn for d in v) for k, v in r.property_dependencies.items()
                },
                secret_paths=_secret_paths_of(r.props),
            )
            for r in args.resources
            if r.resource_type in wanted
        ]
        for urn, message in rule.evaluate(resources, config):
            report_violation(message, urn if urn.startswith("urn:") else None)

    return validate


def build_pack(
    name: str = DEFAULT_PACK_NAME,
    enforcement_level: Enforcement | None = None,
    rules: Sequence[ResourceRule | StackRule] = RULES,
) -> PolicyPack:
    """Build (and thereby serve, forever) the policy pack.

    Args:
        name: pack name (letters, digits, ``-``, ``_``, ``.``; default ``proliferate-aws``).
        enforcement_level: one level for every rule (default: each rule's own default,
            e.g. mandatory for noeviction, advisory for access logs, disabled for rotation).
        rules: the rules to serve (default: all of :data:`RULES`).
    """
    from pulumi_policy import (
        EnforcementLevel,
        PolicyConfigSchema,
        PolicyPack,
        ResourceValidationPolicy,
        Severity,
        StackValidationPolicy,
    )

    keep_secret_paths()
    convert_each_request_once()
    analyze_with_the_policies_of_its_type()
    policies: list[Any] = []
    types: dict[int, frozenset[str]] = {}
    for rule in rules:
        level = None if enforcement_level is not None else EnforcementLevel(rule.enforcement)
        common: dict[str, Any] = {
            "name": rule.id,
            "description": rule.description,
            "enforcement_level": level,
            "config_schema": PolicyConfigSchema(rule.config_schema()) if rule.config else None,
            "severity": Severity(rule.severity),
            "tags": [rule.service, *rule.equivalents],
            "remediation_steps": rule.remediation,
        }
        if isinstance(rule, StackRule):
            policies.append(StackValidationPolicy(validate=_stack_validator(rule), **common))
        else:
            policy = ResourceValidationPolicy(validate=_resource_validator(rule), **common)
            types[id(policy)] = frozenset(rule.resource_types)
            policies.append(policy)
    return PolicyPack(
        name=name,
        policies=PoliciesByType(policies, types),
        enforcement_level=EnforcementLevel(enforcement_level) if enforcement_level else None,
        description="Guards a self-hosted Proliferate stack on AWS (proliferate-components).",
        provider="aws",
        tags=["proliferate", "aws", "bullmq"],
    )
