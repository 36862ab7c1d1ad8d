"""Arguments as a component receives them: from Python or from another Pulumi language.

From Python, a component gets its ``*Args`` dataclass. Through the component provider
(``pulumi package add``, see :mod:`proliferate_components.provider`), Pulumi hands it a plain
mapping of the schema's properties instead; :func:`coerce_args` turns either into the
dataclass, so every component validates and reads one shape.

:func:`checked` lets an argument be a ``pulumi.Input``: a value known now is checked now
(before anything is registered); an ``Output`` is checked once it resolves, with the same
:class:`~proliferate_components.errors.ConfigError`.

Private to the package.
"""

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

import pulumi

from .errors import ConfigError

__all__ = [
    "annotations",
    "camel",
    "checked",
    "coerce_args",
    "is_known",
    "known",
    "register_outputs",
]

T = TypeVar("T")
A = TypeVar("A")


def is_known(value: object) -> bool:
    """False for an ``Output`` or an awaitable (its value comes later), else True."""
    return not isinstance(value, pulumi.Output) and not inspect.isawaitable(value)


def known(value: Any) -> Any:
    """``value`` when :func:`is_known`, else ``None``."""
    return value if is_known(value) else None


def checked(value: "pulumi.Input[T]", check: Callable[[T], None]) -> "pulumi.Input[T]":
    """``value``, run through ``check`` now when known, or once resolved when it is an
    ``Output`` (the returned ``Output`` fails the run with ``check``'s error)."""
    if is_known(value):
        check(cast("T", value))
        return value

    def run(resolved: T) -> T:
        check(resolved)
        return resolved

    return pulumi.Output.from_input(value).apply(run)


def annotations(cls: type) -> dict[str, Any]:
    """The field annotations of ``cls`` and its bases, as objects (``Annotated`` kept).

    Not ``typing.get_type_hints``: ``pulumi.Input`` holds the forward reference
    ``'Output[T]'``, which only resolves inside the pulumi package."""
    merged: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        if base is not object:
            merged.update(inspect.get_annotations(base))
    return merged


def _dataclass_of(annotation: Any) -> type | None:
    """The dataclass an annotation names (directly or as ``X | None``), else None."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _dataclass_of(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found = [a for a in typing.get_args(annotation) if _dataclass_of(a) is not None]
        return _dataclass_of(found[0]) if len(found) == 1 else None
    return None


def _item_dataclass(annotation: Any) -> type | None:
    """The dataclass of a ``Sequence[X]`` (or ``Sequence[X] | None``) annotation's items."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        return _item_dataclass(args[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _item_dataclass(inner[0]) if len(inner) == 1 else None
    origin = typing.get_origin(annotation)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Sequence):
        return _dataclass_of(args[0]) if args else None
    return None


def _wants_int(annotation: Any) -> bool:
    """Whether ``annotation`` is ``int`` (possibly inside ``Annotated``, ``| None`` or
    ``pulumi.Input``) and not also ``float``."""
    seen: set[Any] = set()
    stack = [annotation]
    while stack:
        current = stack.pop()
        if typing.get_origin(current) is typing.Annotated:
            stack.append(typing.get_args(current)[0])
            continue
        if typing.get_origin(current) in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(current))
            continue
        seen.add(current)
    return int in seen and float not in seen


def coerce_args(cls: type[A], value: object, *, key: str) -> A:
    """``value`` as an instance of the ``*Args`` dataclass ``cls``: itself, ``cls()`` for
    ``None``, or built from a mapping of its fields (what the component provider passes;
    nested dataclasses and lists of them included).

    Raises:
        ConfigError: not a ``cls`` or a mapping, or a mapping with unknown fields (naming
            them and the valid ones).
    """
    if isinstance(value, cls):
        return value
    if value is None:
        return cls()
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, f"a {cls.__name__} (or a mapping of its fields)")
    given = cast("Mapping[str, Any]", value)
    hints = annotations(cls)
    names = {f.name for f in dataclasses.fields(cast("Any", cls))}
    unknown = sorted(set(given) - names)
    if unknown:
        raise ConfigError(
            f"{key}.{unknown[0]}",
            given[unknown[0]],
            f"a field of {cls.__name__}: {', '.join(sorted(names))}",
        )
    kwargs: dict[str, Any] = {}
    for name, raw in given.items():
        if raw is None:
            continue
        nested = _dataclass_of(hints.get(name))
        items = _item_dataclass(hints.get(name))
        if nested is not None and not isinstance(raw, nested):
            kwargs[name] = coerce_args(nested, raw, key=f"{key}.{name}")
        elif items is not None and isinstance(raw, Sequence) and not isinstance(raw, str):
            converted: list[object] = [
                coerce_args(cast("type[object]", items), item, key=f"{key}.{name}[{i}]")
                for i, item in enumerate(cast("Sequence[object]", raw))
            ]
            kwargs[name] = tuple(converted)
        elif isinstance(raw, float) and raw.is_integer() and _wants_int(hints.get(name)):
            # Pulumi sends every number as a float; its ComponentProvider means to turn
            # integers back into int but overwrites the conversion (pulumi 3.272).
            kwargs[name] = int(raw)
        else:
            kwargs[name] = raw
    return cls(**kwargs)


def camel(name: str) -> str:
    """``security_group_id`` -> ``securityGroupId`` (Pulumi's names for properties)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def register_outputs(component: pulumi.ComponentResource, *names: str) -> None:
    """Register the component's outputs under their camelCase names, as Pulumi packages
    name them (the Python attributes stay snake_case)."""
    component.register_outputs({camel(n): getattr(component, n) for n in names})
