"""Define the classes of a generated SDK's type modules when they are first used.

A generated provider SDK puts every input type of a service in ``_inputs.py``, every output
type in ``outputs.py`` and every enum in ``_enums.py``: 350 input types (700 classes with their
``TypedDict``), 520 output types and an enum of 800 instance types for EC2 alone. Its resource
modules bind them all with ``from ._inputs import *`` and ``from . import outputs``. A program
creating a dozen resources uses a few dozen of them; defining the others (class bodies,
``@pulumi.input_type`` processing, enum members) was a sixth of a cold preview.

:func:`split` (compile time, used by :mod:`.sdk_loader`) cuts such a module into its header
(imports, ``__all__``, everything that is not a top-level class) and one code object per
class, with the classes each one reads (to be defined first). :func:`lazy_star_imports`
replaces ``from ._inputs import *`` (and the same of ``_enums``/``outputs``) in any module
whose code never reads one of the names it binds - only annotations mention them, and those
are strings (postponed) - by a note of where the names come from. At run time
:func:`install` gives the module a ``__getattr__`` (PEP 562) that defines a class, or fetches
a star-imported name, the first time it is asked for, and keeps it in the module's globals.

What reads a name through the module's globals without attribute access is
``typing.get_type_hints`` resolving an annotation string; :mod:`.sdk_patches` makes it ask
the module first (:func:`resolve`). Module attribute access (``outputs.Foo``,
``from pulumi_aws.ec2._inputs import FooArgs``, ``from ... import *`` with ``__all__``) works
as before. Every class is the one Python would have made: same code, same globals, same
``__qualname__`` and line numbers.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from types import CodeType, ModuleType
from typing import Any

__all__ = [
    "CLASS_MODULES",
    "FREE_NAME",
    "ModuleParts",
    "bound_names",
    "finish",
    "install",
    "lazy_star_imports",
    "resolve",
    "runtime_names",
    "split",
]

CLASS_MODULES = frozenset({"_inputs", "outputs", "_enums"})
"""Module basenames (in a generated SDK) whose top-level classes are defined lazily."""

_MARK = "__proliferate_lazy__"
FREE_NAME = re.compile(r"(?<![.\w])[A-Za-z_]\w*")
"""An identifier not preceded by a dot: a name evaluation looks up (``a`` of ``a.b``)."""


def runtime_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Every name the code of ``nodes`` reads when it runs, annotations left out (they are
    strings under postponed evaluation)."""
    found: set[str] = set()
    stack: list[ast.AST] = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                found.add(node.id)
            continue
        for field, value in ast.iter_fields(node):
            if field in ("annotation", "returns") or (
                isinstance(node, ast.AnnAssign) and field == "annotation"
            ):
                continue
            if isinstance(value, ast.AST):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))  # pyright: ignore[reportUnknownVariableType]
    return found


class ModuleParts:
    """A type module cut up: its header, then each lazily defined class."""

    def __init__(
        self,
        header: ast.Module,
        classes: dict[str, ast.Module],
        needs: dict[str, tuple[str, ...]],
    ) -> None:
        self.header = header
        self.classes = classes
        """Class name -> a module defining just that class (and what follows it by name)."""
        self.needs = needs
        """Class name -> the lazy classes its code reads (defined before it)."""


def _annotation_target(node: ast.stmt) -> str | None:
    """``X`` for ``X.__annotations__ = ...`` (what the plain ``TypedDict`` rewrite adds)."""
    if (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(target := node.targets[0], ast.Attribute)
        and target.attr == "__annotations__"
        and isinstance(target.value, ast.Name)
    ):
        return target.value.id
    return None


def split(tree: ast.Module) -> ModuleParts | None:
    """Cut ``tree`` into header and lazy classes; ``None`` when nothing can be lazy.

    A top-level class stays in the header (defined at import, in order) when the header
    reads it, or when a class that stays reads it, or when its name is bound twice."""
    bound: dict[str, int] = {}
    for node in tree.body:
        for name in bound_names(node):
            bound[name] = bound.get(name, 0) + 1
    classes: dict[str, list[ast.stmt]] = {}
    header: list[ast.stmt] = []
    for node in tree.body:
        target = _annotation_target(node)
        if isinstance(node, ast.ClassDef) and bound.get(node.name) == 1:
            classes[node.name] = [node]
        elif target is not None and target in classes:
            classes[target].append(node)
        else:
            header.append(node)
    if not classes:
        return None
    needs = {
        name: tuple(sorted((runtime_names(body) & classes.keys()) - {name}))
        for name, body in classes.items()
    }
    eager = runtime_names(header) & classes.keys()
    pending = list(eager)
    while pending:
        for name in needs[pending.pop()]:
            if name not in eager:
                eager.add(name)
                pending.append(name)
    if eager:  # keep them in place, in the module's own order
        header = [
            node
            for node in tree.body
            if not (
                (isinstance(node, ast.ClassDef) and node.name in classes and node.name not in eager)
                or ((t := _annotation_target(node)) is not None and t in classes and t not in eager)
            )
        ]
    lazy = {name: body for name, body in classes.items() if name not in eager}
    if not lazy:
        return None
    return ModuleParts(
        ast.Module(body=header, type_ignores=[]),
        {name: ast.Module(body=body, type_ignores=[]) for name, body in lazy.items()},
        {name: tuple(n for n in needs[name] if n in lazy) for name in lazy},
    )


def bound_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds (enough for generated SDK modules)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def lazy_star_imports(
    tree: ast.Module, package: str, exported: Mapping[str, Sequence[str] | None]
) -> list[tuple[str, tuple[str, ...]]]:
    """Remove from ``tree`` each ``from .M import *`` of a type module (``M`` in
    :data:`CLASS_MODULES`, ``exported[M]`` its literal ``__all__``) none of whose names the
    module's code reads; returns ``(absolute module, names)`` of each one removed.

    ``package`` is the module's package (``pulumi_aws.ec2``)."""
    reads = runtime_names(tree.body)
    removed: list[tuple[str, tuple[str, ...]]] = []
    body: list[ast.stmt] = []
    for node in tree.body:
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 1
            and node.module in CLASS_MODULES
            and [a.name for a in node.names] == ["*"]
        ):
            names = exported.get(node.module)
            if names is not None and not (reads & set(names)):
                removed.append((f"{package}.{node.module}", tuple(names)))
                continue
        body.append(node)
    if removed:
        tree.body = body
    return removed


class _Lazy:
    """What :func:`install` put on a module: its pending classes and star-import sources."""

    def __init__(
        self,
        module: ModuleType,
        classes: dict[str, CodeType],
        needs: dict[str, tuple[str, ...]],
        stars: Sequence[tuple[str, tuple[str, ...]]],
    ) -> None:
        self.module = module
        self.classes = dict(classes)
        self.needs = needs
        self.stars = [(source, frozenset(names)) for source, names in stars]
        self.lock = threading.RLock()
        self.eager = False

    def get(self, name: str) -> Any:
        namespace = self.module.__dict__
        with self.lock:
            if name in namespace:
                return namespace[name]
            code = self.classes.get(name)
            if code is not None:
                self._define(name)
                return namespace[name]
            for source, names in self.stars:
                if name in names:
                    value = getattr(importlib.import_module(source), name)
                    namespace[name] = value
                    return value
        raise AttributeError(f"module {self.module.__name__!r} has no attribute {name!r}")

    def _define(self, name: str) -> None:
        code = self.classes.pop(name, None)
        if code is None:  # defined already, or being defined (a reference from a method)
            return
        for needed in self.needs.get(name, ()):
            self._define(needed)
        exec(code, self.module.__dict__)

    def names(self) -> set[str]:
        with self.lock:
            found = set(self.classes)
        for _, names in self.stars:
            found |= names
        return found


def install(
    module: ModuleType,
    classes: dict[str, CodeType],
    needs: dict[str, tuple[str, ...]],
    stars: Sequence[tuple[str, tuple[str, ...]]],
) -> None:
    """Give ``module`` (before its header runs) a ``__getattr__`` and ``__dir__`` serving
    ``classes`` (defined on first use, each after those it ``needs``) and the names of the
    removed star imports ``stars``."""
    from . import sdk_patches

    lazy = _Lazy(module, classes, needs, stars)
    # get_type_hints must ask the lazy modules for the names it reads; where that cannot be
    # put in place, finish() defines everything once the header has run.
    lazy.eager = not sdk_patches.apply()

    def __getattr__(name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
        return lazy.get(name)

    def __dir__() -> list[str]:
        return sorted(set(module.__dict__) | lazy.names())

    namespace = module.__dict__
    namespace["__getattr__"] = __getattr__
    namespace["__dir__"] = __dir__
    namespace[_MARK] = lazy


def finish(module: ModuleType) -> None:
    """After ``module``'s header ran: define every pending class and bind every lazily
    star-imported name now, when :func:`install` found it could not be lazy."""
    lazy = module.__dict__.get(_MARK)
    if isinstance(lazy, _Lazy) and lazy.eager:
        for name in sorted(lazy.names()):
            lazy.get(name)


def resolve(module_name: str, texts: Iterable[str], namespace: dict[str, Any] | None) -> None:
    """Define or fetch, in module ``module_name`` (when :func:`install` served it), every
    name the annotation strings ``texts`` read that it does not hold yet; each one found is
    also put in ``namespace`` (the globals a ``get_type_hints`` call was given) when that
    lacks it. Names nobody serves are left alone: the evaluation reports them as before."""
    module = sys.modules.get(module_name)
    lazy = getattr(module, "__dict__", {}).get(_MARK) if module is not None else None
    if not isinstance(lazy, _Lazy):
        return
    globals_ = lazy.module.__dict__
    for text in texts:
        for name in FREE_NAME.findall(text):
            if name in globals_ and (namespace is None or name in namespace):
                continue
            try:
                value = lazy.get(name)
            except AttributeError:
                continue
            if namespace is not None and name not in namespace:
                namespace[name] = value
