"""The component provider: every component, from every Pulumi language.

``pulumi package add`` on the repository's ``provider/`` directory (see docs/languages.md)
starts this module's :func:`main` as a plugin. Pulumi infers the package schema from the
components' Python annotations and docstrings (Pulumi's ``Analyzer``) and generates an SDK
for the consumer's language - TypeScript, Go, C#, Java or YAML.

Two things are added to Pulumi's inference, both kept small:

- a dataclass field with a default is optional in the schema (Pulumi's analyzer only knows
  ``X | None`` and ``NotRequired``, so ``idle_timeout_seconds: int = 3600`` would be
  required);
- ``Annotated[T, constraint]`` is read as ``T``, and the constraint's
  :meth:`~proliferate_components.constraints.Constraint.describe` is appended to the
  property's description (the same words the Python docs and the errors use).

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

from ._version import __version__
from .constraints import describe_field

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
        properties, mapping = super().analyze_type(typ, is_component_output=is_component_output)
        if is_component_output or not dataclasses.is_dataclass(typ):
            return properties, mapping
        defaulted = {
            f.name
            for f in dataclasses.fields(typ)
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        }
        for schema_name, prop in properties.items():
            python_name = mapping[schema_name]
            if python_name in defaulted:
                prop.optional = True
            valid = describe_field(typ, python_name)
            if valid:
                prop.description = f"{prop.description or ''}\n\nValid: {valid}.".lstrip()
        return properties, mapping

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


def _is_optional_annotated(arg: Any) -> bool:
    """``Annotated[T, ...] | None``."""
    members = typing.get_args(arg)
    return (
        type(None) in members
        and len(members) == 2
        and any(typing.get_origin(m) is typing.Annotated for m in members)
    )


def _hosted(component: type[pulumi.ComponentResource]) -> type[pulumi.ComponentResource]:
    """``component`` registering itself under the schema's token."""
    token = f"{PACKAGE}:index:{component.__name__}"
    return type(component.__name__, (component,), {"_type_token": token})


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
        result = self.analyzer.analyze(classes)
        self._components = {c.__name__: _hosted(c) for c in classes}
        self._component_defs = result["component_definitions"]
        self._type_defs = result["type_definitions"]
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
