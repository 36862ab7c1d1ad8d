"""Declarative validation: the one place a value's valid range is written down.

A component argument carries its constraint in its annotation::

    idle_timeout_seconds: Annotated[pulumi.Input[int], Range(1, 4000, unit="seconds")] = 3600

and a config key (:class:`~proliferate_components.config.ConfigKey`) names the same
constraint object. Three readers use it and nothing else:

- :func:`check_args` checks every constrained field of an ``*Args`` dataclass before the
  component registers anything; a field that is a ``pulumi.Output`` is checked once it
  resolves, with the same :class:`~proliferate_components.errors.ConfigError`;
- the stack configuration checks ``proliferate:<key>`` values with it;
- the generated reference tables (``docs/components.md``, ``docs/configuration.md``) print
  :meth:`Constraint.describe` as the valid values, and the component provider's schema
  appends it to each property's description.

Why ``Annotated`` and not pydantic: an argument may be a ``pulumi.Output`` whose value is
unknown while the program runs, which pydantic cannot hold or validate later; the args stay
plain dataclasses that Pulumi's schema inference reads (``Annotated`` is unwrapped by
:mod:`proliferate_components.provider`); and the package gains no dependency. See
docs/decisions.md.
"""

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from ._args import annotations, checked
from ._options import validate_id_list, validate_kms_key_arn, validate_tags
from .awsnames import NAME_RULES, validate_name
from .errors import ConfigError
from .sizing import CLOUDWATCH_LOG_RETENTION_DAYS

__all__ = [
    "KMS_KEY_ARN",
    "LOG_RETENTION_DAYS",
    "SECURITY_GROUP_IDS",
    "SUBNET_IDS",
    "TAGS",
    "VPC_ID",
    "AwsName",
    "Constraint",
    "OneOf",
    "Pattern",
    "PythonOnly",
    "Range",
    "Rule",
    "check_args",
    "constraints_of",
    "describe_field",
    "python_only",
]

A = TypeVar("A")


@runtime_checkable
class Constraint(Protocol):
    """What a value must be: checked by :meth:`check`, told to humans by :meth:`describe`."""

    def check(self, value: Any, key: str) -> None:
        """Raise :class:`ConfigError` on ``key`` when ``value`` is not valid."""
        ...

    def describe(self) -> str:
        """What is valid, as a phrase (``an integer from 1 to 4000 (seconds)``)."""
        ...


def _listing(values: Iterable[object]) -> str:
    return ", ".join(str(v) for v in values)


@dataclass(frozen=True)
class Range:
    """An integer (never a bool) from ``minimum`` to ``maximum`` inclusive."""

    minimum: int
    maximum: int
    unit: str = ""
    """Shown after the range, e.g. ``seconds``."""

    def describe(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"an integer from {self.minimum} to {self.maximum}{unit}"

    def check(self, value: Any, key: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, value, self.describe())
        if not self.minimum <= value <= self.maximum:
            raise ConfigError(key, value, self.describe())


@dataclass(frozen=True)
class OneOf:
    """One of a fixed set of values (case-sensitive; a bool never counts as an int)."""

    choices: tuple[Any, ...]
    what: str = ""
    """What the values are, e.g. ``a CloudWatch Logs retention in days``."""

    def describe(self) -> str:
        head = f"{self.what}, one of" if self.what else "one of"
        return f"{head} {_listing(self.choices)}"

    def check(self, value: Any, key: str) -> None:
        if isinstance(value, bool) and not any(isinstance(c, bool) for c in self.choices):
            raise ConfigError(key, value, self.describe())
        try:
            ok = value in self.choices
        except TypeError:  # unhashable values compare fine with `in` on a tuple; be safe
            ok = False
        if not ok:
            raise ConfigError(key, value, self.describe())


@dataclass(frozen=True)
class Pattern:
    """A string matching ``regex`` (whole string)."""

    regex: str
    what: str
    """What a valid value looks like, e.g. ``a single path segment such as /gateway``."""

    def describe(self) -> str:
        return self.what

    def check(self, value: Any, key: str) -> None:
        if not isinstance(value, str) or re.fullmatch(self.regex, value) is None:
            raise ConfigError(key, value, self.what)


@dataclass(frozen=True)
class Rule:
    """A check too rich for a range or a pattern (a table lookup, a name's AWS rules):
    ``function(value, key=...)`` raises the ConfigError itself; ``what`` describes it."""

    function: Callable[..., None]
    what: str

    def describe(self) -> str:
        return self.what

    def check(self, value: Any, key: str) -> None:
        self.function(value, key=key)


@dataclass(frozen=True)
class PythonOnly:
    """Marks an argument that holds a Python object (a resource, a component): it is left
    out of the component provider's schema, so other languages do not see it."""

    why: str
    """What other languages use instead."""


@dataclass(frozen=True)
class AwsName:
    """A physical name AWS accepts for one kind of resource
    (:data:`~proliferate_components.awsnames.NAME_RULES`)."""

    kind: str

    def describe(self) -> str:
        return NAME_RULES[self.kind].valid

    def check(self, value: Any, key: str) -> None:
        validate_name(value, kind=self.kind, key=key)


# --- shared constraints --------------------------------------------------------------------

VPC_ID = Pattern(r"vpc-.+", "a VPC id shaped vpc-<hex> (or another resource's output)")
"""A VPC id."""

SUBNET_IDS = Rule(
    functools.partial(validate_id_list, prefix="subnet-", what="subnet", min_count=2),
    "at least two distinct subnet ids shaped subnet-<hex> (in different availability zones)",
)
"""Subnets of a data store or service."""

SECURITY_GROUP_IDS = Rule(
    functools.partial(validate_id_list, prefix="sg-", what="security group", min_count=0),
    "a list of distinct security group ids shaped sg-<hex>, each possibly another "
    "resource's output",
)
"""Security groups admitted by a data store (one ingress rule per entry)."""

LOG_RETENTION_DAYS = OneOf(CLOUDWATCH_LOG_RETENTION_DAYS, "a CloudWatch Logs retention in days")
"""What CloudWatch Logs accepts as a log group's retention."""

KMS_KEY_ARN = Rule(validate_kms_key_arn, "a KMS key ARN (arn:aws:kms:...)")
"""A customer-managed KMS key."""

TAGS = Rule(
    validate_tags,
    "a mapping of at most 40 tags, keys 1-128 characters not starting with 'aws:', values "
    "strings of at most 256 characters",
)
"""Tags a component adds to its children."""


def constraints_of(cls: type, field_name: str) -> tuple[Constraint, ...]:
    """The constraints in the ``Annotated`` annotation of ``cls.field_name`` (outermost
    first; an ``X | None`` around it is looked through)."""
    return _constraints_in(annotations(cls).get(field_name))


def _constraints_in(annotation: Any) -> tuple[Constraint, ...]:
    if annotation is None:
        return ()
    if typing.get_origin(annotation) is typing.Annotated:
        found = [m for m in annotation.__metadata__ if isinstance(m, Constraint)]
        return (*found, *_constraints_in(typing.get_args(annotation)[0]))
    for inner in typing.get_args(annotation):
        if inner is not type(None) and typing.get_origin(inner) is typing.Annotated:
            return _constraints_in(inner)
    return ()


def python_only(cls: type, field_name: str) -> PythonOnly | None:
    """The :class:`PythonOnly` marker of ``cls.field_name``, if it has one."""
    annotation = annotations(cls).get(field_name)
    while annotation is not None:
        if typing.get_origin(annotation) is typing.Annotated:
            found = [m for m in annotation.__metadata__ if isinstance(m, PythonOnly)]
            if found:
                return found[0]
            annotation = typing.get_args(annotation)[0]
            continue
        is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = inner[0] if is_union and len(inner) == 1 else None
    return None


def describe_field(cls: type, field_name: str) -> str:
    """What ``cls.field_name`` accepts, from its constraints (``""`` when it has none)."""
    return "; ".join(c.describe() for c in constraints_of(cls, field_name))


_PLAIN: dict[type, str] = {bool: "true or false", int: "an integer", str: "a string"}


def _plain_type(annotation: Any) -> type | None:
    """``bool``, ``int`` or ``str`` when that is all the annotation allows (through
    ``Annotated`` and ``| None``); None for anything else (an ``Input`` may be an Output)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    members = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is not None and len(members) == 1:
        return _plain_type(members[0]) if type(None) in typing.get_args(annotation) else None
    return annotation if annotation in _PLAIN else None


def _allows_none(annotation: Any) -> bool:
    """Whether ``None`` is a valid value of the annotation (``X | None``, ``Any``, or no
    annotation at all)."""
    if annotation is None or annotation is Any:
        return True
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_allows_none(a) or a is type(None) for a in typing.get_args(annotation))
    return annotation is type(None)


def check_args(args: A, *, key: str) -> A:
    """Check every field of the ``*Args`` dataclass ``args``: a field typed plain ``bool``,
    ``int`` or ``str`` must hold one (``"false"`` is not a bool), and every constraint in
    its ``Annotated`` annotation must hold.

    Known values are checked now (ConfigError on ``<key>.<field>``); ``None`` (not given)
    is skipped; a field holding a ``pulumi.Output`` is replaced by one that runs the same
    check once it resolves. Returns ``args`` (or a copy with those outputs swapped in).
    """
    changes: dict[str, Any] = {}
    hints = annotations(type(args))
    for f in dataclasses.fields(cast("Any", args)):
        rules = constraints_of(type(args), f.name)
        value = getattr(args, f.name)
        field_key = f"{key}.{f.name}"
        plain = _plain_type(hints.get(f.name))
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if value is None and (required or not _allows_none(hints.get(f.name))):
            what = "; ".join(r.describe() for r in rules) or _PLAIN.get(plain or object, "a value")
            raise ConfigError(field_key, None, f"{what} (required)" if required else what)
        if plain is not None and value is not None:
            wrong = not isinstance(value, plain) or (plain is int and isinstance(value, bool))
            if wrong:
                raise ConfigError(field_key, value, _PLAIN[plain])
        if not rules or value is None:
            continue

        def run(resolved: Any, rules: tuple[Constraint, ...] = rules, k: str = field_key) -> None:
            if resolved is None:
                return
            for rule in rules:
                rule.check(resolved, k)

        result = checked(value, run)
        if result is not value:
            changes[f.name] = result
    return dataclasses.replace(cast("Any", args), **changes) if changes else args
