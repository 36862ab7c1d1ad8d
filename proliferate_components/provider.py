"""The component provider: every component, from every Pulumi language.

``pulumi package add`` on the repository's ``provider/`` directory (see docs/languages.md)
starts this module's :func:`main` as a plugin. Pulumi infers the package schema from the
components' Python annotations and docstrings (Pulumi's ``Analyzer``) and generates an SDK
for the consumer's language - TypeScript, Go, C#, Java or YAML.

What is added to Pulumi's inference, each kept small:

- a dataclass field with a default is optional in the schema (Pulumi's analyzer only knows
  ``X | None`` and ``NotRequired``, so ``idle_timeout_seconds: int = 3600`` would be
  required);
- ``Annotated[T, constraint]`` is read as ``T``, and the constraint's
  :meth:`~proliferate_components.constraints.Constraint.describe` is appended to the
  property's description (the same words the Python docs and the errors use);
- ``Literal["a", "b"]`` is a string (or number) whose values go into the description, and
  ``tuple[X, ...]`` an array, as ``Sequence[X]`` is;
- fields and attributes marked :class:`~proliferate_components.constraints.PythonOnly`
  (a Python resource object) are left out;
- a component with a ``_provider_init`` is constructed through it (``ProliferateStack``
  takes a config and keywords from Python, one ``args`` object from the provider).

A component constructed through the provider is registered with the schema's type token
(``proliferate:index:Network``); from Python it keeps its own (``proliferate:network:Network``).
The two never meet in one stack, so neither needs an alias.
"""

import dataclasses
import inspect
import json
import re
import sys
import typing
from collections.abc import Sequence
from typing import Any, cast

import pulumi
from pulumi.provider.experimental.analyzer import (
    Analyzer,
    ComponentDefinition,
    PropertyDefinition,
)
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.schema import generate_schema
from pulumi.provider.provider import Provider

from ._args import annotations, camel
from ._version import __version__
from .constraints import describe_field, python_only

__all__ = ["PACKAGE", "ComponentsProvider", "components", "main", "schema"]

PACKAGE = "proliferate"
"""The package name: resource tokens are ``proliferate:index:<Component>``."""


def components() -> list[type[pulumi.ComponentResource]]:
    """Every public component the provider hosts, in schema order."""
    from . import (
        AccessLogBucket,
        DnsTls,
        EcsExecutionRole,
        EncryptionKey,
        FargateService,
        Network,
        PostgresDb,
        ProliferateStack,
        PublicLoadBalancer,
        RedisCache,
        SecretsBundle,
    )

    return [
        Network,
        PublicLoadBalancer,
        DnsTls,
        RedisCache,
        PostgresDb,
        SecretsBundle,
        FargateService,
        EncryptionKey,
        AccessLogBucket,
        EcsExecutionRole,
        ProliferateStack,
    ]


_ROLE = re.compile(r":[a-z]+:`(~?)([^`]+)`")


def _markdown(doc: str | None) -> str | None:
    """A docstring as the schema's Markdown: dedented, paragraphs on one line, reST roles
    and ````literals```` as code spans (``:class:`~a.b.Network``` -> ```Network```)."""
    if not doc:
        return doc
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    joined: list[str] = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        if any(line.lstrip().startswith("- ") for line in lines):
            joined.append(
                "\n".join(
                    line.strip() if line.lstrip().startswith("- ") else "  " + line.strip()
                    for line in lines
                )
            )
        else:
            joined.append(" ".join(line.strip() for line in lines))
    text = "\n\n".join(joined)
    text = _ROLE.sub(lambda m: f"`{m.group(2).split('.')[-1] if m.group(1) else m.group(2)}`", text)
    return text.replace("``", "`")


class _Analyzer(Analyzer):
    """Pulumi's analyzer, reading dataclass defaults as optional and ``Annotated`` as its
    type (with the constraint in the description)."""

    def analyze_type(
        self, typ: type, *, is_component_output: bool
    ) -> tuple[dict[str, PropertyDefinition], dict[str, str]]:
        if is_component_output and issubclass(typ, pulumi.ComponentResource):
            return self._component_outputs(typ)
        if is_component_output or not dataclasses.is_dataclass(typ):
            return super().analyze_type(cast("type", typ), is_component_output=is_component_output)
        # Pulumi's own walk over the annotations, without the Python-only fields.
        fields = [f for f in dataclasses.fields(typ) if python_only(typ, f.name) is None]
        hints = annotations(typ)
        properties: dict[str, PropertyDefinition] = {}
        mapping: dict[str, str] = {}
        for f in fields:
            schema_name = camel(f.name)
            mapping[schema_name] = f.name
            prop = self.analyze_property(
                hints[f.name], typ, f.name, can_be_plain=True, is_component_output=False
            )
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
                prop.optional = True
            valid = describe_field(typ, f.name) or _one_of(hints[f.name])
            if valid:
                prop.description = f"{prop.description or ''}\n\nValid: {valid}.".lstrip()
            properties[schema_name] = prop
        return properties, mapping

    def _component_outputs(
        self, component: type[pulumi.ComponentResource]
    ) -> tuple[dict[str, PropertyDefinition], dict[str, str]]:
        """A component's public attributes, except those marked
        :class:`~proliferate_components.constraints.PythonOnly` (the Python objects
        ``ProliferateStack`` keeps, such as its :class:`Network`)."""
        hints = {
            k: v
            for k, v in annotations(component).items()
            if not k.startswith("_")
            and k not in _RESOURCE_ATTRIBUTES
            and python_only(component, k) is None
        }
        properties = {
            camel(k): self.analyze_property(
                v, component, k, can_be_plain=False, is_component_output=True
            )
            for k, v in hints.items()
        }
        return properties, {camel(k): k for k in hints}

    def get_docstring(self, typ: type, name: str) -> str | None:
        return _markdown(super().get_docstring(typ, name))

    def analyze_component(self, component: type[pulumi.ComponentResource]) -> ComponentDefinition:
        definition = super().analyze_component(component)
        definition.description = _markdown(definition.description)
        return definition

    def analyze_property(
        self,
        arg: type,
        typ: type,
        name: str,
        *,
        can_be_plain: bool,
        is_component_output: bool,
        optional: bool | None = None,
    ) -> PropertyDefinition:
        if typing.get_origin(arg) is typing.Annotated:
            arg = typing.get_args(arg)[0]
        literal = _literal_type(arg)
        if literal is not None:
            arg = literal
        elif _is_variadic_tuple(arg):  # tuple[str, ...]: an array, as Sequence[str] is
            arg = cast("type", Sequence[typing.get_args(arg)[0]])
        elif _is_optional_annotated(arg):
            inner = next(a for a in typing.get_args(arg) if a is not type(None))
            arg = cast("type", typing.get_args(inner)[0] | None)
        return super().analyze_property(
            arg,
            typ,
            name,
            can_be_plain=can_be_plain,
            is_component_output=is_component_output,
            optional=optional,
        )


def _one_of(arg: Any) -> str:
    """``one of a, b`` for a ``Literal`` type, else ``""``."""
    values = _literal_values(arg)
    return "one of " + ", ".join(str(v) for v in values) if values else ""


def _literal_values(arg: Any) -> tuple[Any, ...]:
    """The values of ``Literal[...]`` (or ``Literal[...] | None``); ``()`` for other types."""
    if typing.get_origin(arg) is typing.Literal:
        return typing.get_args(arg)
    members = [m for m in typing.get_args(arg) if m is not type(None)]
    if len(members) == 1 and typing.get_origin(members[0]) is typing.Literal:
        return typing.get_args(members[0])
    return ()


def _literal_type(arg: Any) -> Any:
    """``Literal["a", "b"]`` as ``str`` (``| None`` kept): the schema has no literal types,
    so the values go into the description instead. None for other types."""
    values = _literal_values(arg)
    if not values:
        return None
    plain = cast("type[object]", type(values[0]))
    return plain | None if type(None) in typing.get_args(arg) else plain


_RESOURCE_ATTRIBUTES = frozenset(
    a for cls in (pulumi.ComponentResource, pulumi.Resource) for a in annotations(cls)
)
"""``urn`` and the like: declared by Pulumi's base classes, never a component's output."""


def _is_variadic_tuple(arg: Any) -> bool:
    """``tuple[X, ...]``."""
    return typing.get_origin(arg) is tuple and typing.get_args(arg)[1:] == (Ellipsis,)


def _is_optional_annotated(arg: Any) -> bool:
    """``Annotated[T, ...] | None``."""
    members = typing.get_args(arg)
    return (
        type(None) in members
        and len(members) == 2
        and any(typing.get_origin(m) is typing.Annotated for m in members)
    )


def _hosted(component: type[pulumi.ComponentResource]) -> type[pulumi.ComponentResource]:
    """``component`` registering itself under the schema's token, constructed from one
    ``args`` object: its ``_provider_init`` when it has one (``ProliferateStack`` takes a
    config and keywords from Python)."""
    namespace: dict[str, Any] = {
        "_type_token": f"{PACKAGE}:index:{component.__name__}",
        "__doc__": component.__doc__,
        # The analyzer reads attribute docstrings from the source of the class it is given:
        # point it at the component's own.
        "__module__": component.__module__,
        "__qualname__": component.__qualname__,
    }
    init = getattr(component, "_provider_init", None)
    if init is not None:
        namespace["__init__"] = init
    return type(component.__name__, (component,), namespace)


class ComponentsProvider(ComponentProvider):
    """Pulumi's ``ComponentProvider`` with :class:`_Analyzer` and schema tokens."""

    def __init__(
        self,
        hosted: Sequence[type[pulumi.ComponentResource]] | None = None,
        version: str = __version__,
    ) -> None:
        classes = list(hosted) if hosted is not None else components()
        self._name = PACKAGE
        self.analyzer = _Analyzer(PACKAGE)
        self._components = {c.__name__: _hosted(c) for c in classes}
        result = self.analyzer.analyze(list(self._components.values()))
        self._component_defs = result["component_definitions"]
        self._type_defs = result["type_definitions"]
        for definition in self._type_defs.values():
            definition.description = _markdown(definition.description)
        self._external_enum_types = result["external_enum_types"]
        self._dependencies = sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}")
        spec = generate_schema(
            PACKAGE,
            _semver(version),
            None,
            self._component_defs,
            self._type_defs,
            self._dependencies,
        )
        Provider.__init__(self, _semver(version), json.dumps(spec.to_json()))


def _semver(version: str) -> str:
    """PEP 440 ``0.2.0.dev0`` as the semver Pulumi wants (``0.2.0-dev0``)."""
    for marker in (".dev", "a", "b", "rc"):
        head, sep, tail = version.partition(marker)
        if sep and head[:1].isdigit() and tail.isdigit():
            return f"{head}-{marker.lstrip('.')}{tail}"
    return version


def schema() -> dict[str, Any]:
    """The package schema Pulumi infers (what ``pulumi package get-schema`` prints)."""
    return cast("dict[str, Any]", json.loads(cast("str", ComponentsProvider().schema)))


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the provider (the plugin's entry point; Pulumi passes the engine address)."""
    from pulumi.provider import main as serve

    serve(ComponentsProvider(), list(sys.argv[1:] if argv is None else argv))
