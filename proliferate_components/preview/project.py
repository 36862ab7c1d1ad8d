"""Load a Pulumi project (``Pulumi.yaml``) and resolve a stack's config as the Pulumi CLI would.

The rules mirror ``sdk/go/common/workspace/project.go`` and ``config.go`` of the Pulumi CLI:

* ``name`` (non-empty string) and ``runtime`` (a string or ``{name, options}``) are required;
  this offline preview only runs ``python`` programs. ``main`` points at the program's
  directory or file.
* A config key belongs to the project when it has no colon or starts with ``<name>:``. Only
  project keys may declare a schema (``type``, ``items``, ``default``, ``secret``); other
  namespaces (``aws:region``) may only give a ``value``. A shorthand scalar is a ``default``
  for project keys and a ``value`` for the others. ``default`` and ``value`` exclude each other.
* Types are ``string``, ``integer``, ``boolean``, ``array`` (which needs ``items``) and
  ``object``; a ``default`` must match its type.
* Stack values: a typed project key with no default, no value and no stack value is missing;
  a stack value must match the declared type (integers as in ``strconv.Atoi``, booleans
  exactly ``true``/``false``, arrays and objects as JSON).

Every problem raises :class:`~proliferate_components.errors.ConfigError` (for the project
file, :class:`ProjectFileError`) naming the key, before any program code runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..errors import ConfigError

__all__ = [
    "CONFIG_TYPES",
    "ConfigDeclaration",
    "ConfigItems",
    "ProjectFileError",
    "PulumiProject",
    "ResolvedConfig",
    "load_project",
]

CONFIG_TYPES: tuple[str, ...] = ("string", "integer", "boolean", "array", "object")
"""The ``type`` values Pulumi accepts in a project's ``config`` block."""

_DECLARATION_ATTRIBUTES = frozenset({"type", "items", "description", "secret", "default", "value"})
_PROJECT_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_MISSING: Any = object()


class ProjectFileError(ConfigError):
    """``Pulumi.yaml`` (or a stack file) is invalid; the message starts with the file's path.

    Attributes:
        path: the file that holds the error.
    """

    def __init__(self, path: Path, key: str, value: Any, valid: str) -> None:
        super().__init__(key, value, valid)
        self.path = path
        self.args = (f"{path}: {self.args[0]}",)


@dataclass(frozen=True)
class ConfigItems:
    """The element type of an ``array`` config key (``items:`` in ``Pulumi.yaml``)."""

    type: str
    """Element type: one of :data:`CONFIG_TYPES` except ``object``."""
    items: ConfigItems | None = None
    """Element type of nested arrays; ``None`` for scalars."""

    def type_name(self) -> str:
        """Pulumi's spelling of the full type, e.g. ``array<string>``."""
        return f"array<{self.items.type_name()}>" if self.items is not None else self.type


@dataclass(frozen=True)
class ConfigDeclaration:
    """One entry of the ``config:`` block of ``Pulumi.yaml``."""

    key: str
    """The key as written in ``Pulumi.yaml`` (``workerCpu``, ``proliferate:workerCpu``, ``aws:region``)."""
    full_key: str
    """The namespaced key the program reads (``proliferate:workerCpu``)."""
    project_owned: bool
    """Whether the key is in the project's own namespace (only those may declare a schema)."""
    type: str | None = None
    """Declared type, or ``None`` when the key is untyped (then values are not checked)."""
    items: ConfigItems | None = None
    """Element type for ``array`` keys."""
    description: str = ""
    """Free text shown in errors and reports."""
    secret: bool = False
    """Values of this key are secret (never printed; the program sees a secret)."""
    default: Any = None
    """The default applied when the stack sets no value (see ``has_default``)."""
    has_default: bool = False
    """Whether ``default`` was given (a default can legitimately be ``null``-free falsy)."""
    value: Any = None
    """The fixed value for keys of other namespaces (see ``has_value``)."""
    has_value: bool = False
    """Whether ``value`` was given."""

    def type_name(self) -> str:
        """Pulumi's spelling of the declared type (``integer``, ``array<string>``...)."""
        if self.type == "array" and self.items is not None:
            return f"array<{self.items.type_name()}>"
        return self.type or "any"


@dataclass(frozen=True)
class ResolvedConfig:
    """The config a stack's program sees: every value as the Pulumi CLI passes it (a string)."""

    values: Mapping[str, str]
    """Full key -> value string (arrays and objects as JSON)."""
    secret_keys: frozenset[str]
    """Keys whose values are secret."""
    sources: Mapping[str, str]
    """Full key -> where the value came from (``Pulumi.yaml default``, ``--preset prod``...)."""
    warnings: tuple[str, ...] = ()
    """Non-fatal remarks, e.g. a ``--config`` key the project does not declare."""


@dataclass(frozen=True)
class PulumiProject:
    """A validated ``Pulumi.yaml``."""

    directory: Path
    """The directory holding ``Pulumi.yaml``."""
    name: str
    """The project name (also the default config namespace)."""
    runtime: str
    """The runtime name (always ``python`` once validated)."""
    runtime_options: Mapping[str, Any] = field(default_factory=dict[str, Any])
    """``runtime.options`` as written (virtualenv etc.; the offline preview uses the current interpreter)."""
    main: str | None = None
    """``main`` as written, or ``None`` for the project directory."""
    description: str = ""
    """``description`` as written."""
    config: tuple[ConfigDeclaration, ...] = ()
    """The ``config:`` block, in file order."""
    stack_config_dir: str | None = None
    """``stackConfigDir`` (where ``Pulumi.<stack>.yaml`` lives), or ``None`` for the project directory."""

    @property
    def program(self) -> Path:
        """The file the language host would run (``__main__.py`` of ``main`` or of the project)."""
        entry = self.directory / (self.main or "")
        return entry / "__main__.py" if entry.is_dir() else entry

    def declaration(self, full_key: str) -> ConfigDeclaration | None:
        """The declaration of a namespaced key, or ``None``."""
        for decl in self.config:
            if decl.full_key == full_key:
                return decl
        return None

    def full_key(self, key: str) -> str:
        """Namespace a key as the Pulumi CLI does: a key without a colon is the project's."""
        return key if ":" in key else f"{self.name}:{key}"

    def stack_file(self, stack: str) -> Path:
        """Where ``Pulumi.<stack>.yaml`` would be (it need not exist)."""
        base = self.directory / (self.stack_config_dir or "")
        return base / f"Pulumi.{stack.replace('/', '-')}.yaml"

    def resolve_config(
        self,
        stack: str,
        overrides: Mapping[str, str] | None = None,
        *,
        secret_overrides: Mapping[str, str] | None = None,
        override_source: str = "--config",
        layers: tuple[tuple[str, Mapping[str, str]], ...] = (),
        known_keys: frozenset[str] = frozenset(),
        secret_known_keys: frozenset[str] = frozenset(),
    ) -> ResolvedConfig:
        """Merge config like ``pulumi preview`` and type-check it against the declarations.

        Order (later wins): ``Pulumi.yaml`` defaults and values, ``Pulumi.<stack>.yaml``
        plain values, each of ``layers`` (``(source, {key: value})``, e.g. a preset), then
        ``overrides`` and ``secret_overrides`` (both ``{key: value}``; keys without a colon get
        the project namespace). ``known_keys`` are keys the program reads without declaring them
        (no "not declared" warning for them); ``secret_known_keys`` are always treated as secret.

        Raises:
            ConfigError: a value does not match its declared type, a secret value in the stack
                file cannot be decrypted offline and is not overridden, or a typed project key
                has no value at all.
        """
        values, sources, secret = self._merged_values(
            stack,
            overrides or {},
            secret_overrides or {},
            override_source=override_source,
            layers=layers,
            secret_known_keys=secret_known_keys,
        )
        self._apply_declarations(stack, values, sources, secret)
        explicit = {self.full_key(k) for k in [*(overrides or {}), *(secret_overrides or {})]}
        return ResolvedConfig(
            values=dict(sorted(values.items())),
            secret_keys=frozenset(secret),
            sources=dict(sorted(sources.items())),
            warnings=self._undeclared_warnings(explicit, known_keys),
        )

    def _merged_values(
        self,
        stack: str,
        overrides: Mapping[str, str],
        secret_overrides: Mapping[str, str],
        *,
        override_source: str,
        layers: tuple[tuple[str, Mapping[str, str]], ...],
        secret_known_keys: frozenset[str],
    ) -> tuple[dict[str, str], dict[str, str], set[str]]:
        """The stack file's plain values, then each layer, then the overrides (later wins):
        values, where each came from, and the secret keys. A value the stack file holds
        encrypted must be overridden, as it cannot be decrypted offline."""
        values: dict[str, str] = {}
        sources: dict[str, str] = {}
        secret: set[str] = {d.full_key for d in self.config if d.secret} | set(secret_known_keys)
        encrypted: set[str] = set()
        for key, value, is_secure in self._stack_file_values(stack):
            if is_secure:
                encrypted.add(key)
                secret.add(key)
                continue
            values[key] = value
            sources[key] = self.stack_file(stack).name
        for source, layer in layers:
            for key, value in layer.items():
                full = self.full_key(key)
                values[full] = value
                sources[full] = source
                encrypted.discard(full)
        for mapping, is_secret in ((overrides, False), (secret_overrides, True)):
            for key, value in mapping.items():
                full = self.full_key(key)
                values[full] = value
                sources[full] = override_source if not is_secret else f"{override_source} (secret)"
                encrypted.discard(full)
                if is_secret:
                    secret.add(full)
        if encrypted:
            key = sorted(encrypted)[0]
            raise ConfigError(
                key,
                "secure: ...",
                f"{self.stack_file(stack).name} holds it encrypted and an offline preview cannot "
                f"decrypt it; pass it with --config {key}=VALUE (or --secret {key}=VALUE)",
                secret=True,
            )
        return values, sources, secret

    def _apply_declarations(
        self, stack: str, values: dict[str, str], sources: dict[str, str], secret: set[str]
    ) -> None:
        """Type-check each declared key's value, fill in the ``Pulumi.yaml`` defaults and
        values (into ``values`` and ``sources``), and refuse typed project keys left unset."""
        missing: list[ConfigDeclaration] = []
        for decl in self.config:
            if decl.full_key in values:
                if decl.type is not None:
                    _check_stack_value(
                        decl, values[decl.full_key], stack, secret=decl.full_key in secret
                    )
                continue
            if decl.has_value or decl.has_default:
                raw = decl.default if decl.has_default else decl.value
                values[decl.full_key] = _config_string(raw)
                sources[decl.full_key] = "Pulumi.yaml"
                continue
            if decl.project_owned:
                missing.append(decl)
        if missing:
            names = ", ".join(repr(d.full_key) for d in missing)
            first = missing[0]
            raise ConfigError(
                first.full_key,
                None,
                f"stack {stack!r} is missing configuration value(s) {names}: the project declares "
                f"them ({first.type_name()}) without a default; pass --config {first.full_key}=VALUE",
            )

    def _undeclared_warnings(
        self, explicit: set[str], known_keys: frozenset[str]
    ) -> tuple[str, ...]:
        """A warning (with the closest declared key) for each explicitly given project key that
        ``Pulumi.yaml`` does not declare and the program is not known to read."""
        warnings: list[str] = []
        declared = {d.full_key for d in self.config}
        if declared or known_keys:
            import difflib

            candidates = sorted(declared | set(known_keys))
            for key in sorted(explicit):
                if (
                    key.startswith(f"{self.name}:")
                    and key not in declared
                    and key not in known_keys
                ):
                    close = difflib.get_close_matches(key, candidates, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    warnings.append(f"config key {key!r} is not declared in Pulumi.yaml{hint}")
        return tuple(warnings)

    def _stack_file_values(self, stack: str) -> list[tuple[str, str, bool]]:
        path = self.stack_file(stack)
        if not path.is_file():
            return []
        data = _read_yaml(path)
        if data is None:
            return []
        if not isinstance(data, dict):
            raise ProjectFileError(
                path, "config", data, "a stack file is a mapping with a 'config:' block"
            )
        config: Any = cast("dict[str, Any]", data).get("config") or {}
        if not isinstance(config, dict):
            raise ProjectFileError(path, "config", config, "'config:' must map keys to values")
        out: list[tuple[str, str, bool]] = []
        for key, value in cast("dict[Any, Any]", config).items():
            full = self.full_key(str(key))
            if isinstance(value, dict) and set(cast("dict[str, Any]", value)) == {"secure"}:
                out.append((full, "", True))
            else:
                out.append((full, _config_string(value), False))
        return out


def load_project(project_dir: str | Path) -> PulumiProject:
    """Read and validate ``Pulumi.yaml`` (or ``Pulumi.yml``) in ``project_dir``.

    Raises:
        ConfigError: the directory or project file is missing (key ``PROJECT_DIR``).
        ProjectFileError: the file breaks one of Pulumi's rules (the key names the attribute
            or config key).
    """
    directory, path = _project_file(project_dir)
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ProjectFileError(
            path, "Pulumi.yaml", data, "a mapping with at least 'name' and 'runtime'"
        )
    doc = cast("dict[str, Any]", data)
    name = _project_name(path, doc.get("name"))
    runtime, options = _runtime(path, doc.get("runtime", _MISSING))
    main = _main(path, directory, doc.get("main"))
    description = doc.get("description")
    if description is not None and not isinstance(description, str):
        raise ProjectFileError(path, "description", description, "a string")
    stack_config_dir, config_raw = _stack_config_dir_and_config(path, doc)
    decls = _declarations(path, name, config_raw or {})
    project = PulumiProject(
        directory=directory,
        name=name,
        runtime=runtime,
        runtime_options=options,
        main=main,
        description=description or "",
        config=decls,
        stack_config_dir=stack_config_dir,
    )
    if not project.program.is_file():
        raise ProjectFileError(
            path,
            "main" if main else "runtime",
            main or runtime,
            f"a Python program at {project.program} (not found)",
        )
    return project


# -- helpers ------------------------------------------------------------------------------


def _project_file(project_dir: str | Path) -> tuple[Path, Path]:
    """The project directory, resolved, and its ``Pulumi.yaml`` (or ``Pulumi.yml``)."""
    directory = Path(project_dir).expanduser().resolve()
    if not directory.is_dir():
        raise ConfigError("PROJECT_DIR", str(project_dir), "a directory holding a Pulumi.yaml")
    path = next(
        (directory / n for n in ("Pulumi.yaml", "Pulumi.yml") if (directory / n).is_file()), None
    )
    if path is None:
        raise ConfigError(
            "PROJECT_DIR", str(project_dir), "a directory holding a Pulumi.yaml (none found)"
        )
    return directory, path


def _project_name(path: Path, name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise ProjectFileError(path, "name", name, "a non-empty string (the project name)")
    if not _PROJECT_NAME.match(name):
        raise ProjectFileError(
            path, "name", name, "letters, digits, hyphens, underscores and periods only"
        )
    return name


def _main(path: Path, directory: Path, main: Any) -> str | None:
    """``main``: ``None``, or a path to the program that exists."""
    if main is None:
        return None
    if not isinstance(main, str) or not main:
        raise ProjectFileError(
            path, "main", main, "a path (relative to Pulumi.yaml) to the program"
        )
    target = directory / main
    if not target.exists():
        raise ProjectFileError(
            path, "main", main, f"an existing file or directory ({target} does not exist)"
        )
    return main


def _stack_config_dir_and_config(
    path: Path, doc: Mapping[str, Any]
) -> tuple[str | None, dict[Any, Any] | None]:
    """``stackConfigDir`` (also spelled as a ``config`` string, the legacy way) and the
    ``config:`` block of declarations."""
    stack_config_dir = doc.get("stackConfigDir")
    config_raw = doc.get("config")
    if isinstance(config_raw, str):  # legacy spelling of stackConfigDir
        if stack_config_dir is not None:
            raise ProjectFileError(
                path,
                "config",
                config_raw,
                "use only stackConfigDir (not both it and a 'config' string)",
            )
        stack_config_dir, config_raw = config_raw, None
    if stack_config_dir is not None and not isinstance(stack_config_dir, str):
        raise ProjectFileError(path, "stackConfigDir", stack_config_dir, "a directory path")
    if config_raw is not None and not isinstance(config_raw, dict):
        raise ProjectFileError(
            path, "config", config_raw, "a mapping of config keys to declarations"
        )
    return stack_config_dir, cast("dict[Any, Any] | None", config_raw)


def _yaml12_loader() -> Any:
    """A safe loader with YAML 1.2 booleans (only true/false), as Pulumi's Go YAML reads them:
    ``on``, ``yes`` and ``no`` stay strings. libyaml's parser when PyYAML has it (ten times
    faster; the values are the same, the resolvers below apply to both)."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):
        pass

    resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    for first, entries in resolvers.items():
        resolvers[first] = [(tag, rx) for tag, rx in entries if tag != "tag:yaml.org,2002:bool"]
    Loader.yaml_implicit_resolvers = resolvers
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    return Loader


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_yaml12_loader())
    except yaml.YAMLError as exc:
        raise ProjectFileError(path, path.name, "<unparsable>", f"valid YAML ({exc})") from None


def _runtime(path: Path, raw: Any) -> tuple[str, dict[str, Any]]:
    if raw is _MISSING or raw is None:
        raise ProjectFileError(
            path, "runtime", None, "a runtime: 'python' (the project is missing a 'runtime')"
        )
    options: dict[str, Any] = {}
    if isinstance(raw, dict):
        spec = cast("dict[str, Any]", raw)
        extra = set(spec) - {"name", "options"}
        if extra:
            raise ProjectFileError(
                path, f"runtime.{sorted(extra)[0]}", spec, "only 'name' and 'options'"
            )
        name = spec.get("name")
        opts: Any = spec.get("options") or {}
        if not isinstance(opts, dict):
            raise ProjectFileError(path, "runtime.options", opts, "a mapping")
        options = cast("dict[str, Any]", opts)
    else:
        name = raw
    if not isinstance(name, str) or not name:
        raise ProjectFileError(path, "runtime", raw, "a string or {name: ..., options: {...}}")
    if name != "python":
        raise ProjectFileError(
            path,
            "runtime",
            name,
            "python (the offline preview runs Python programs; use `pulumi preview` for others)",
        )
    return name, options


def _items(path: Path, key: str, raw: Any) -> ConfigItems:
    if not isinstance(raw, dict) or "type" not in raw:
        raise ProjectFileError(
            path, f"{key}.items", raw, "a mapping with a 'type' (e.g. {type: string})"
        )
    spec = cast("dict[str, Any]", raw)
    typ = spec["type"]
    if typ not in ("string", "integer", "boolean", "array"):
        raise ProjectFileError(
            path, f"{key}.items.type", typ, "one of string, integer, boolean, array"
        )
    nested = None
    if typ == "array":
        if "items" not in spec:
            raise ProjectFileError(
                path, f"{key}.items", spec, "an array item type needs its own 'items'"
            )
        nested = _items(path, f"{key}.items", spec["items"])
    return ConfigItems(type=typ, items=nested)


def _declarations(
    path: Path, project: str, config: dict[Any, Any]
) -> tuple[ConfigDeclaration, ...]:
    """The ``config:`` block, checked against Pulumi's rules, in file order."""
    out: list[ConfigDeclaration] = []
    seen: dict[str, str] = {}
    for raw_key, raw in config.items():
        key = str(raw_key)
        full = key if ":" in key else f"{project}:{key}"
        if full in seen:
            raise ProjectFileError(path, key, raw, f"declared once (it duplicates {seen[full]!r})")
        seen[full] = key
        out.append(_declaration(path, project, key, full, raw))
    return tuple(out)


def _declaration(path: Path, project: str, key: str, full: str, raw: Any) -> ConfigDeclaration:
    """One config key's declaration (``raw`` a mapping, or a shorthand scalar)."""
    owned = ":" not in key or key.startswith(f"{project}:")
    spec = _declaration_spec(path, key, raw, owned=owned)
    has_default, has_value = "default" in spec, "value" in spec
    if has_default and has_value:
        raise ProjectFileError(path, key, spec, "either a 'default' or a 'value', not both")
    typ = spec.get("type")
    secret = spec.get("secret", False)
    if not isinstance(secret, bool):
        raise ProjectFileError(path, f"{key}.secret", secret, "true or false")
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise ProjectFileError(path, f"{key}.description", description, "a string")
    if not owned:
        _check_foreign_key(path, project, key, spec)
    items = _declared_items(path, key, spec)
    decl = ConfigDeclaration(
        key=key,
        full_key=full,
        project_owned=owned,
        type=typ,
        items=items,
        description=description,
        secret=secret,
        default=spec.get("default"),
        has_default=has_default,
        value=spec.get("value"),
        has_value=has_value,
    )
    if typ is not None and has_default and not _matches(typ, items, decl.default):
        raise ProjectFileError(
            path,
            key,
            decl.default,
            f"a default of type {decl.type_name()} (the default does not match the declared type)",
        )
    return decl


def _declaration_spec(path: Path, key: str, raw: Any, *, owned: bool) -> dict[str, Any]:
    """The declaration as a mapping of known attributes; a shorthand scalar is a default for
    project keys and a value for the others."""
    if not isinstance(raw, dict):
        spec: dict[str, Any] = {"default": raw} if owned else {"value": raw}
    else:
        spec = cast("dict[str, Any]", raw)
    unknown = sorted(set(spec) - _DECLARATION_ATTRIBUTES)
    if unknown:
        raise ProjectFileError(
            path,
            key,
            {unknown[0]: spec[unknown[0]]},
            f"only {', '.join(sorted(_DECLARATION_ATTRIBUTES))}",
        )
    return spec


def _check_foreign_key(path: Path, project: str, key: str, spec: Mapping[str, Any]) -> None:
    """A key outside the project namespace (``aws:region``) may only give a ``value``."""
    for attr in ("type", "items", "default", "secret"):
        if attr in spec:
            raise ProjectFileError(
                path,
                key,
                {attr: spec[attr]},
                f"only a 'value': keys outside the project namespace {project!r} may not "
                f"declare '{attr}' (Pulumi: configuration key {key!r} is not namespaced by the "
                "project" + (", use 'value' instead of 'default')" if attr == "default" else ")"),
            )
    if "value" not in spec:
        raise ProjectFileError(path, key, spec, "a 'value' (it is outside the project namespace)")


def _declared_items(path: Path, key: str, spec: Mapping[str, Any]) -> ConfigItems | None:
    """Check the declared ``type``; the element type of an ``array`` (``None`` otherwise)."""
    typ = spec.get("type")
    if typ is None:
        if "items" in spec:
            raise ProjectFileError(
                path, f"{key}.items", spec["items"], "'items' only with type: array"
            )
        return None
    if typ not in CONFIG_TYPES:
        raise ProjectFileError(
            path,
            f"{key}.type",
            typ,
            f"one of {', '.join(CONFIG_TYPES)} (Pulumi has no {typ!r} type)",
        )
    if typ != "array":
        return None
    if "items" not in spec:
        raise ProjectFileError(
            path, f"{key}.items", None, "an 'items' type: an array must say what it holds"
        )
    return _items(path, key, spec["items"])


def _matches(typ: str, items: ConfigItems | None, value: Any) -> bool:
    """Pulumi's ``ValidateConfigValue`` for a YAML or JSON value."""
    if typ == "string":
        return isinstance(value, str)
    if typ == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, str) and bool(_INTEGER.match(value))
    if typ == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if typ == "object":
        return isinstance(value, dict)
    if typ == "array":
        if not isinstance(value, list) or items is None:
            return False
        return all(_matches(items.type, items.items, v) for v in cast("list[Any]", value))
    return False


def _check_stack_value(decl: ConfigDeclaration, value: str, stack: str, *, secret: bool) -> None:
    typ = decl.type or "string"
    content: Any = value
    if typ in ("array", "object"):
        try:
            content = json.loads(value)
        except ValueError:
            content = _MISSING
    if content is _MISSING or not _matches(typ, decl.items, content):
        examples = {
            "integer": "a whole number such as 512",
            "boolean": "exactly true or false",
            "array": 'a JSON array such as ["a", "b"]',
            "object": 'a JSON object such as {"k": "v"}',
            "string": "a string",
        }
        raise ConfigError(
            decl.full_key,
            value,
            f"stack {stack!r}: Pulumi.yaml declares {decl.full_key} as {decl.type_name()}; "
            f"give {examples.get(typ, typ)}",
            secret=secret,
        )


def _config_string(value: Any) -> str:
    """How the Pulumi CLI turns a YAML value into a config string (``%v`` or JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int, float)):
        return str(value)
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))
