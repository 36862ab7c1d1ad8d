"""Two exact shortcuts in the Pulumi SDK's per-class work, for the offline preview.

With postponed annotations (:mod:`.sdk_loader`), the return annotation of every property
getter of a provider class is a string. The first time a program registers a resource of a
class, the SDK resolves all of them (``pulumi._types._raw_return_hints``: one
``typing.get_type_hints`` per getter, about 1,600 for the prod example, each compiling and
evaluating its string): about an eighth of a cold preview. The same few strings
(``pulumi.Output[Optional[builtins.str]]``, ...) come back in nearly every class.

:func:`apply` replaces, in ``pulumi._types`` only, ``get_type_hints`` with
:func:`memoized_get_type_hints` of it: for a function whose only annotation is its return
(a getter), the result is reused when the same annotation string was resolved before with
every name in it bound to the very same objects (so it is exactly the result the call would
give); any other call goes to ``typing.get_type_hints`` as before.

It also gives ``pulumi._utils.is_empty_function`` (called for every ``@pulumi.getter`` of
every class a provider module defines while it loads: thousands) a fast negative answer: a
function whose bytecode is none of the four empty functions' bytecode is not empty, which is
the first condition of each of the function's own tests; any other function is passed on.

Both are pure memoization of deterministic functions: ``tests/test_preview_speed.py`` checks
that the types the SDK reads and the whole ``--json`` export stay byte for byte those of the
plain path. ``PROLIFERATE_FAST_IMPORTS=0`` turns them off with the rest of the fast path.
Nothing runs at import time.
"""

from __future__ import annotations

import builtins
import inspect
import types
from collections.abc import Callable, Mapping
from typing import Any, cast

from . import lazy_classes, sdk_loader

__all__ = ["applied", "apply", "fast_is_empty_function", "memoized_get_type_hints"]

_BUILTINS: Mapping[str, Any] = vars(builtins)
_UNBOUND = object()
_APPLIED: list[bool] = []


def memoized_get_type_hints(original: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    """``original`` (``typing.get_type_hints``) reusing its answer for a function whose only
    annotation is a ``return`` string already resolved with every name it looks up bound (in
    ``localns``, then ``globalns``, then the builtins) to the same objects as now. Names a
    lazy type module serves (:mod:`.lazy_classes`) are defined first, for every call."""
    names_of: dict[str, tuple[str, ...]] = {}
    answers: dict[tuple[str, tuple[int, ...]], tuple[tuple[Any, ...], dict[str, Any]]] = {}

    def get_type_hints(
        obj: Any,
        globalns: dict[str, Any] | None = None,
        localns: Mapping[str, Any] | None = None,
        include_extras: bool = False,
    ) -> dict[str, Any]:
        found: Any = obj.__annotations__ if isinstance(obj, types.FunctionType) else None
        annotations: dict[str, Any] = (
            cast("dict[str, Any]", found) if isinstance(found, dict) else {}
        )
        text: Any = annotations.get("return")
        if include_extras or globalns is None or not isinstance(text, str) or len(annotations) != 1:
            _define_lazy_names(obj, globalns)
            return original(obj, globalns, localns, include_extras)
        names = names_of.get(text)
        if names is None:
            names = names_of[text] = tuple(sorted(set(lazy_classes.FREE_NAME.findall(text))))
        local: Mapping[str, Any] = localns or {}

        def lookup() -> tuple[Any, ...]:
            return tuple(
                local[n] if n in local else globalns.get(n, _BUILTINS.get(n, _UNBOUND))
                for n in names
            )

        bound = lookup()
        if any(b is _UNBOUND for b in bound):  # a lazy module may define it
            _define_lazy_names(obj, globalns)
            bound = lookup()
        key = (text, tuple(map(id, bound)))
        seen = answers.get(key)
        if seen is not None and all(a is b for a, b in zip(seen[0], bound, strict=True)):
            return dict(seen[1])
        hints = original(obj, globalns, localns, include_extras)
        answers[key] = (bound, hints)  # holds the bound objects: their ids stay theirs
        return dict(hints)

    return get_type_hints


def _define_lazy_names(obj: Any, globalns: dict[str, Any] | None) -> None:
    """Have the lazy type modules (:mod:`.lazy_classes`) define the names ``obj``'s
    annotation strings read, in their modules and in ``globalns``, before they are
    evaluated."""
    if isinstance(obj, types.FunctionType):
        owners: list[Any] = [obj]
    elif isinstance(obj, type):
        owners = list(obj.__mro__)
    else:
        return
    for owner in owners:
        annotations: Any = inspect.get_annotations(owner)
        if not isinstance(annotations, dict):
            continue
        texts = [v for v in cast("dict[str, Any]", annotations).values() if isinstance(v, str)]
        if texts:
            lazy_classes.resolve(str(getattr(owner, "__module__", "")), texts, globalns)


def fast_is_empty_function(
    original: Callable[[Any], bool], empty_functions: tuple[Any, ...]
) -> Callable[[Any], bool]:
    """``original`` (``pulumi._utils.is_empty_function``) answering ``False`` at once for a
    function whose bytecode is none of ``empty_functions``' bytecode."""
    empty_codes = frozenset(f.__code__.co_code for f in empty_functions)

    def is_empty_function(fn: Any) -> bool:
        code = getattr(fn, "__code__", None)
        if code is not None and code.co_code not in empty_codes:
            return False
        return original(fn)

    return is_empty_function


def apply() -> bool:
    """Install both shortcuts in the imported Pulumi SDK (idempotent); whether they are in
    place. Call before the program imports its provider modules. A no-op with
    ``PROLIFERATE_FAST_IMPORTS=0`` or when the SDK does not have what they replace."""
    if _APPLIED:
        return _APPLIED[0]
    if sdk_loader.disabled():
        return False
    import pulumi._types as pulumi_types
    import pulumi._utils as pulumi_utils

    hints: Any = getattr(pulumi_types, "get_type_hints", None)
    empty: Any = getattr(pulumi_utils, "is_empty_function", None)
    empty_functions = tuple(
        getattr(pulumi_utils, name, None)
        for name in ("_empty", "_empty_doc", "_empty_lambda", "_empty_lambda_doc")
    )
    if hints is None or empty is None or None in empty_functions:
        _APPLIED.append(False)
        return False
    setattr(pulumi_types, "get_type_hints", memoized_get_type_hints(hints))  # noqa: B010
    setattr(  # noqa: B010
        pulumi_utils, "is_empty_function", fast_is_empty_function(empty, empty_functions)
    )
    _APPLIED.append(True)
    return True


def applied() -> bool:
    """Whether :func:`apply` installed the shortcuts in this process."""
    return bool(_APPLIED and _APPLIED[0])
