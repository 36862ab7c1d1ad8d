"""Reference tables of the docs, generated from their single sources.

Each generated block of a Markdown page sits between two markers::

    <!-- BEGIN GENERATED: config -->
    ...
    <!-- END GENERATED: config -->

and is produced by one generator here from the code that defines it:

==============  ======================  ===================================================
block           page                    source
==============  ======================  ===================================================
config          docs/configuration.md   ``config.CONFIG_KEYS``
presets         docs/configuration.md   ``config.DEV_PRESET`` / ``config.PROD_PRESET``
environment     docs/environment.md     ``environment.ENVIRONMENT`` (+ ``GROUPS``)
platform        docs/platform.md        ``platform.PLATFORM_SERVICES`` (+ secret formats)
policies        docs/policies.md        ``policies.RULES``
components      docs/components.md      each component module: the ComponentResource, its
                                        ``*Args`` dataclass (field docstrings), outputs and
                                        ``FORCES_REPLACEMENT``
cli             docs/self-hosting.md    ``proliferate-infra`` argument parsers
cost-presets    docs/cost.md            ``cost.doctables``: dev and prod presets priced
cost-regions    docs/cost.md            ``cost.doctables``: both presets in every region
cost-usage      docs/cost.md            ``cost.usage.USAGE_KEYS``
cost-hardening  docs/security.md        ``cost.doctables``: each prod protection priced
cost-config     docs/configuration.md   ``cost.doctables``: each cost-relevant change priced
==============  ======================  ===================================================

``python -m proliferate_components.docgen`` rewrites the blocks in place;
``python -m proliferate_components.docgen --check`` exits 1 and names the stale blocks
(tests/test_docs.py fails the same way). Output is deterministic: no paths, dates or
memory addresses.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import importlib.util
import inspect
import re
import shlex
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .platform import PlatformService

BEGIN = "<!-- BEGIN GENERATED: {name} -->"
END = "<!-- END GENERATED: {name} -->"

COMPONENT_MODULES: tuple[str, ...] = (
    "network",
    "cache",
    "database",
    "secrets",
    "iam",
    "service",
    "loadbalancer",
    "dns",
    "kms",
    "accesslogs",
    "stack",
)
"""Modules of ``proliferate_components`` whose components are documented, in page order
(modules that do not exist are left out)."""

CLI_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("preview",),
    ("setup",),
    ("deploy",),
    ("policy-pack", "path"),
    ("policy-pack", "write"),
    ("policy-pack", "config"),
    ("init-ci",),
    ("migrate", "terraform"),
)
"""``proliferate-infra`` subcommands whose ``--help`` is documented (missing ones skipped)."""


class DocgenError(Exception):
    """A page lacks a marker, or a source cannot be documented."""


@dataclass(frozen=True)
class Block:
    """One generated block: its marker name, the page holding it and its generator."""

    name: str
    """Marker name, e.g. ``config``."""
    page: str
    """Page path relative to the repository root, e.g. ``docs/configuration.md``."""
    render: Callable[[], str]
    """Returns the Markdown between the markers (ending with a newline)."""


# --- Markdown helpers ---------------------------------------------------------------------


_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def _escape(text: str) -> str:
    """Escape Markdown/HTML specials outside code spans (``<dir>`` must not become a tag,
    ``__main__`` must not become bold)."""
    out: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_escape_plain(text[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_escape_plain(text[position:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([_*\[\]])", r"\\\1", text)


def _cell(text: object) -> str:
    """One table cell: a single line, pipes outside code spans escaped (Python-Markdown's
    tables do not split cells on a pipe inside a code span, and would show ``\\|`` there)."""
    flat = " ".join(str(text).split())
    if not flat:
        return "-"
    out: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(flat):
        out.append(flat[position : match.start()].replace("|", "\\|"))
        out.append(match.group(0))
        position = match.end()
    out.append(flat[position:].replace("|", "\\|"))
    return "".join(out)


def _code(text: object) -> str:
    value = str(text)
    if "`" in value:
        return f"`` {value} ``"
    return f"`{value}`"


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def _format_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rst_to_md(text: str) -> str:
    """Turn the reST roles and literals of docstrings into Markdown code spans (on one line:
    a literal that a docstring wraps across lines is still one code span, so its ``<`` and
    ``_`` stay as they are)."""
    text = " ".join(text.split())
    text = re.sub(r":[a-z]+:`~?([^`]+)`", lambda m: f"`{m.group(1).split('.')[-1]}`", text)
    return _escape(text.replace("``", "`"))


def _first_paragraph(doc: str | None) -> str:
    if not doc:
        return ""
    cleaned = inspect.cleandoc(doc)
    return _rst_to_md(" ".join(cleaned.split("\n\n", 1)[0].split()))


# --- config -------------------------------------------------------------------------------


def render_config() -> str:
    """The table of every Pulumi config key (``config.CONFIG_KEYS``)."""
    from .config import CONFIG_KEYS

    rows: list[list[str]] = []
    for ck in CONFIG_KEYS:
        dev = "(unset)" if ck.default is None else _code(_format_value(ck.default))
        prod = _code(_format_value(ck.prod_default)) if ck.profile_dependent else "same"
        kind = f"{ck.type}, secret" if ck.secret else ck.type
        valid = ck.valid or (", ".join(ck.choices) if ck.choices else "")
        rows.append(
            [
                _code(ck.full_key),
                kind,
                dev,
                prod,
                _rst_to_md(ck.description),
                _rst_to_md(valid) if valid else "-",
            ]
        )
    header = ["Key", "Type", "Default", "Default with `profile=prod`", "Description", "Valid"]
    return _table(header, rows)


def _config_set_lines(preset: Mapping[str, str], secret_keys: frozenset[str]) -> str:
    lines: list[str] = []
    for key, value in preset.items():
        flag = "--secret " if key in secret_keys else ""
        lines.append(f"pulumi config set {flag}{key} {shlex.quote(value)}")
    return "\n".join(lines)


def render_presets() -> str:
    """The spec's dev and prod ``pulumi config set`` lines (``DEV_PRESET``, ``PROD_PRESET``)."""
    from .config import CONFIG_KEYS, DEV_PRESET, PROD_PRESET

    secret = frozenset(ck.full_key for ck in CONFIG_KEYS if ck.secret)
    return (
        "Dev (small and cheap; the built-in defaults):\n\n"
        "```bash\n" + _config_set_lines(DEV_PRESET, secret) + "\n```\n\n"
        "Prod (sized for production; replace the certificate ARN and domain with yours, and "
        "add `pulumi config set proliferate:profile prod` for the production protections):\n\n"
        "```bash\n" + _config_set_lines(PROD_PRESET, secret) + "\n```\n"
    )


# --- environment --------------------------------------------------------------------------


def render_environment() -> str:
    """One table per group of every platform environment key (``environment.ENVIRONMENT``)."""
    from .environment import ENVIRONMENT, GROUPS, Source, config_key, requirement
    from .platform import UPSTREAM_REPOSITORY

    parts: list[str] = []
    for group in GROUPS:
        variables = [v for v in ENVIRONMENT if v.group == group]
        if not variables:
            continue
        rows: list[list[str]] = []
        for var in variables:
            required = {"required": "yes", "optional": "no"}.get(
                requirement(var), requirement(var).removeprefix("required ")
            )
            source = var.source.value
            if var.source is Source.STACK_OUTPUT and var.stack_output:
                source = f"stack output {_code(var.stack_output)}"
            elif var.source is Source.USER:
                source = f"you ({_code(config_key(var.name))})"
            if var.value_of:
                source = f"= {_code(var.value_of)}"
            elif var.derived_from:
                source = f"from {_code(var.derived_from)}"
            services = ", ".join(sorted(var.services)) or "setup only"
            if var.container_name:
                services += f" (as {_code(var.container_name)})"
            default = _code(var.default) if var.default is not None else "-"
            if var.services and var.default != var.platform_default:
                platform = (
                    _code(var.platform_default) if var.platform_default is not None else "none"
                )
                default += f" (platform: {platform})"
            if var.choices:
                default += " (one of " + ", ".join(var.choices) + ")"
            if var.generated_format:
                default = f"{var.generated_format} format"
            defined = f"[{var.source_file.rsplit('/', 1)[-1]}](https://github.com/{UPSTREAM_REPOSITORY}/blob/03d4bb1/{var.source_file})"
            rows.append(
                [
                    _code(var.name),
                    required,
                    "yes" if var.secret else "no",
                    source,
                    services,
                    default,
                    _rst_to_md(f"{var.description} Without it: {var.when_missing}"),
                    defined,
                ]
            )
        header = [
            "Name",
            "Required",
            "Secret",
            "Source",
            "Services",
            "Default",
            "Purpose",
            "Defined in",
        ]
        parts.append(f"### {group}\n\n" + _table(header, rows))
    return "\n".join(parts)


# --- platform contract --------------------------------------------------------------------


def render_platform() -> str:
    """One section per service of the platform contract (``platform.PLATFORM_SERVICES``):
    each fact with the upstream file and line it was read from."""
    from .platform import PLATFORM_SERVICES
    from .secret_formats import FORMATS

    parts: list[str] = []
    for svc in PLATFORM_SERVICES.values():
        rows = [*_sourced_rows(svc, _service_facts(svc)), *_environment_rows(svc)]
        parts.append(
            f"### {svc.name}\n\n{svc.description}\n\n"
            + _table(["Fact", "Value", "Read from"], rows)
        )
    formats = [[_code(f.name), f.description, _rst_to_md(f.upstream)] for f in FORMATS]
    parts.append(
        "### Generated secret formats\n\n" + _table(["Format", "Shape", "Upstream"], formats)
    )
    return "\n".join(parts)


def _service_facts(svc: PlatformService) -> list[tuple[str, str, str]]:
    """``(field, label, value)`` for each fact a service has, in the table's order."""
    from .platform import health_check_command

    facts: list[tuple[str, str, str]] = [
        ("enabled_by_default", "Runs by default", "yes" if svc.enabled_by_default else "no")
    ]
    if svc.image is not None:
        image = f"{_code('docker buildx build --platform ' + svc.image.platform)} "
        image += f"{_code('-f ' + svc.image.dockerfile)} context {_code(svc.image.context)}"
        if svc.image.build_args:
            image += " with build args " + ", ".join(_code(a) for a in svc.image.build_args)
        facts.append(("image", "Image", image))
    if svc.image_of is not None:
        facts.append(("image_of", "Image", f"the {svc.image_of}'s"))
    facts.append(("runtime", "Runtime", svc.runtime))
    if svc.port is not None:
        facts.append(("port", "Port", str(svc.port)))
    if svc.port_environment:
        facts.append(
            (
                "port_environment",
                "Port setting",
                ", ".join(_code(f"{k}={v}") for k, v in svc.port_environment.items()),
            )
        )
    if svc.health_path is not None and svc.port is not None:
        check = " ".join(health_check_command(svc.runtime, svc.port, svc.health_path)[1:3])
        facts.append(("health_path", "Health", f"{_code(svc.health_path)} ({_code(check)})"))
        facts.append(("start_period_seconds", "Health grace", f"{svc.start_period_seconds} s"))
    if svc.command is not None:
        facts.append(("command", "Command", _code(" ".join(svc.command))))
    if svc.working_directory is not None:
        facts.append(("working_directory", "Working directory", _code(svc.working_directory)))
    if svc.environment:
        facts.append(
            (
                "environment",
                "Fixed settings",
                ", ".join(_code(f"{k}={v}") for k, v in svc.environment.items()),
            )
        )
    facts.append(
        ("validates_schema", "Validates the schema", "yes" if svc.validates_schema else "no")
    )
    if svc.rds_ca is not None:
        facts.append(("rds_ca", "Trusts the RDS CA", svc.rds_ca))
    if svc.writable_paths:
        facts.append(
            ("writable_paths", "Writes to", ", ".join(_code(p) for p in svc.writable_paths))
        )
    facts.append(
        ("readonly_root", "Read-only root filesystem", "yes" if svc.readonly_root else "no")
    )
    return facts


def _sourced_rows(svc: PlatformService, facts: list[tuple[str, str, str]]) -> list[list[str]]:
    """``[label, value, where it was read from]`` for each fact (the upstream file and quote,
    or "this project's choice")."""
    rows: list[list[str]] = []
    for field, label, value in facts:
        src = svc.sources.get(field)
        where = (
            f"[{src.path}@{src.commit}]({src.url}): {_code(src.quote)}"
            if src
            else "this project's choice"
        )
        rows.append([label, value, where])
    return rows


def _environment_rows(svc: PlatformService) -> list[list[str]]:
    """The secrets and the settings a service reads (with how each is required)."""
    from .environment import requirement
    from .platform import env_keys

    keys = env_keys(svc.name)
    secret = [k for k in keys if k.secret]
    plain = [k for k in keys if not k.secret]

    def listed(vars_: Sequence[Any]) -> str:
        return (
            ", ".join(
                _code(v.env_name) + ("" if requirement(v) == "optional" else f" ({requirement(v)})")
                for v in vars_
            )
            or "none"
        )

    return [
        ["Secrets it reads", listed(secret), "docs/environment.md"],
        ["Settings it reads", listed(plain), "docs/environment.md"],
    ]


# --- policies -----------------------------------------------------------------------------


def render_policies() -> str:
    """A summary table and one section per rule of the bundled pack (``policies.RULES``)."""
    from .policies import RULES

    summary = _table(
        ["Policy", "Service", "Severity", "Default enforcement", "Checks"],
        (
            [_code(r.id), r.service, r.severity, r.enforcement, _rst_to_md(r.description)]
            for r in RULES
        ),
    )
    sections: list[str] = []
    for rule in RULES:
        lines = [
            f"### `{rule.id}`",
            "",
            _rst_to_md(rule.description),
            "",
            f"- Kind: {rule.kind} rule; severity {rule.severity}; "
            f"default enforcement **{rule.enforcement}**",
            "- Resource types: " + ", ".join(_code(t) for t in rule.resource_types),
            f"- Fix: {_rst_to_md(rule.remediation)}",
        ]
        if rule.equivalents:
            lines.append("- Equivalent checks: " + ", ".join(rule.equivalents))
        if rule.config:
            lines += [
                "",
                _table(
                    ["Config property", "Type", "Default", "Meaning"],
                    (
                        [
                            _code(p.name),
                            p.type,
                            _code(_format_value(p.default)),
                            _rst_to_md(p.description),
                        ]
                        for p in rule.config
                    ),
                ).rstrip("\n"),
            ]
        sections.append("\n".join(lines) + "\n")
    return summary + "\n" + "\n".join(sections)


# --- components ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDoc:
    """One documented field of an arguments dataclass, read from its source."""

    name: str
    annotation: str
    default: str | None
    doc: str


def _field_docs(cls: type) -> list[FieldDoc]:
    """The fields of dataclass ``cls`` in order, with the docstring that follows each."""
    source = textwrap.dedent(inspect.getsource(cls))
    class_def = ast.parse(source).body[0]
    if not isinstance(class_def, ast.ClassDef):  # pragma: no cover - getsource of a class
        raise DocgenError(f"cannot parse the source of {cls.__qualname__}")
    docs: dict[str, tuple[str, str | None, str]] = {}
    body = class_def.body
    for index, node in enumerate(body):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        doc = ""
        following = body[index + 1] if index + 1 < len(body) else None
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            doc = inspect.cleandoc(following.value.value)
        default = _default_source(node.value) if node.value is not None else None
        docs[node.target.id] = (ast.unparse(node.annotation), default, doc)
    out: list[FieldDoc] = []
    for f in dataclasses.fields(cls):
        annotation, default, doc = docs.get(f.name, ("", None, ""))
        if f.default_factory is not dataclasses.MISSING:
            # the value the factory makes, not the private helper's name
            default = _format_default(f.default_factory())
        out.append(FieldDoc(f.name, annotation, default, doc))
    return out


def _format_default(value: object) -> str:
    """A default value as Python source (``{}``, ``()``, ``('latest',)``)."""
    shown: object = value
    if isinstance(value, Mapping) and not isinstance(value, dict):
        shown = dict(cast("Mapping[Any, Any]", value))
    return repr(shown)


def _default_source(value: ast.expr) -> str:
    if isinstance(value, ast.Call) and ast.unparse(value.func) in ("field", "dataclasses.field"):
        for keyword in value.keywords:
            if keyword.arg == "default":
                return ast.unparse(keyword.value)
            if keyword.arg == "default_factory":
                factory = ast.unparse(keyword.value)
                base = factory.split("[", 1)[0]
                return {"dict": "{}", "list": "[]", "tuple": "()"}.get(base, f"{factory}()")
        return "(required)"
    return ast.unparse(value)


def _type_token(cls: type) -> str | None:
    match = re.search(r"""["'](proliferate:[a-z_]+:[A-Za-z]+)["']""", inspect.getsource(cls))
    return match.group(1) if match else None


def _attribute_docs(cls: type) -> dict[str, str]:
    """Attribute -> the docstring that follows its annotation in ``cls``'s own source."""
    source = textwrap.dedent(inspect.getsource(cls))
    class_def = ast.parse(source).body[0]
    docs: dict[str, str] = {}
    if not isinstance(class_def, ast.ClassDef):  # pragma: no cover - getsource of a class
        return docs
    body = class_def.body
    for index, node in enumerate(body[:-1]):
        following = body[index + 1]
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(following.value.value)
    return docs


def _outputs(cls: type) -> list[tuple[str, str]]:
    """(name, description) of the component's outputs: its public annotated attributes,
    each described by the docstring under it."""
    described = _attribute_docs(cls)
    names = [name for name in inspect.get_annotations(cls) if not name.startswith("_")]
    return [(name, _rst_to_md(described.get(name, ""))) for name in names]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _shown_type(annotation: str) -> str:
    """An annotation without its ``Annotated[...]`` constraint (shown in its own column)."""
    try:
        tree = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return annotation

    class Strip(ast.NodeTransformer):
        def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
            self.generic_visit(node)
            if ast.unparse(node.value) in ("Annotated", "typing.Annotated") and isinstance(
                node.slice, ast.Tuple
            ):
                return node.slice.elts[0]
            return node

    return ast.unparse(Strip().visit(tree))


def _args_table(cls: type, replacing: Mapping[str, str] | None = None) -> str:
    from .constraints import describe_field

    rows: list[list[str]] = []
    for f in _field_docs(cls):
        default = "(required)" if f.default is None else _code(f.default)
        shown = _shown_type(f.annotation)
        row = [_code(f.name), _code(shown) if shown else "-", default]
        valid = describe_field(cls, f.name)
        row.append(_rst_to_md(f.doc + (f" Valid: {valid}." if valid else "")))
        if replacing is not None:
            row.append(("yes: " + replacing[f.name]) if f.name in replacing else "no")
        rows.append(row)
    header = ["Field", "Type", "Default", "Description"]
    if replacing is not None:
        header.append("Forces replacement")
    return _table(header, rows)


def _module_members(module: Any) -> tuple[list[type], list[type]]:
    """(components, argument dataclasses) defined in ``module``, in source order."""
    import pulumi

    classes = [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if obj.__module__ == module.__name__ and not obj.__name__.startswith("_")
    ]
    classes.sort(key=lambda c: inspect.getsourcelines(c)[1])
    public = set(getattr(module, "__all__", [c.__name__ for c in classes]))
    components: list[type] = [
        c for c in classes if issubclass(c, pulumi.ComponentResource) and c.__name__ in public
    ]
    args: list[type] = [
        c
        for c in classes
        if dataclasses.is_dataclass(c)
        and c.__name__ in public
        and not issubclass(c, pulumi.ComponentResource)
    ]
    return components, args


def render_components() -> str:
    """One section per component module: components (type token, outputs) and the tables of
    their argument dataclasses, with the fields that replace a data store."""
    parts: list[str] = []
    for short in COMPONENT_MODULES:
        name = f"{__package__}.{short}"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        components, arg_classes = _module_members(module)
        if not components and not arg_classes:
            continue
        replacing: Mapping[str, str] | None = getattr(module, "FORCES_REPLACEMENT", None)
        lines = [f"## `{name}`", "", _first_paragraph(module.__doc__), ""]
        for component in components:
            token = _type_token(component)
            lines += [f"### {component.__name__}", ""]
            if token:
                lines += [f"Type token `{token}`. {_first_paragraph(component.__doc__)}", ""]
            else:
                lines += [_first_paragraph(component.__doc__), ""]
            outputs = _outputs(component)
            if outputs:
                lines += [
                    _table(
                        ["Output", "From other languages", "Description"],
                        ([_code(n), _code(_camel(n)), d] for n, d in outputs),
                    ),
                ]
        for args_class in arg_classes:
            lines += [f"### {args_class.__name__}", "", _first_paragraph(args_class.__doc__), ""]
            lines.append(_args_table(args_class, replacing if replacing else None))
        parts.append("\n".join(line for line in lines).rstrip("\n") + "\n")
    return "\n".join(parts)


# --- CLI ----------------------------------------------------------------------------------


def _subparser(parser: argparse.ArgumentParser, path: Sequence[str]) -> argparse.ArgumentParser:
    current = parser
    for part in path:
        found: argparse.ArgumentParser | None = None
        for action in current._actions:  # pyright: ignore[reportPrivateUsage]
            choices: Any = action.choices
            if isinstance(action, argparse._SubParsersAction) and isinstance(choices, dict):  # pyright: ignore[reportPrivateUsage]
                candidate: Any = cast("dict[str, Any]", choices).get(part)
                if isinstance(candidate, argparse.ArgumentParser):
                    found = candidate
        if found is None:
            raise KeyError(part)
        current = found
    return current


def render_cli() -> str:
    """A table of the arguments of each documented ``proliferate-infra`` subcommand."""
    from .cli.main import build_parser

    parts: list[str] = []
    for path in CLI_COMMANDS:
        try:
            sub = _subparser(build_parser(), path)
        except KeyError:
            continue
        rows: list[list[str]] = []
        for action in sub._actions:  # pyright: ignore[reportPrivateUsage]
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):  # pyright: ignore[reportPrivateUsage]
                continue
            if action.option_strings:
                choices: Any = action.choices
                if action.metavar is None and isinstance(choices, (list, tuple)):
                    metavar = "{" + ",".join(str(c) for c in cast("Sequence[Any]", choices)) + "}"
                else:
                    metavar = action.metavar or action.dest.upper()
                flag = ", ".join(action.option_strings)
                name = f"{flag} {metavar}" if action.nargs != 0 else flag
            else:
                name = str(action.metavar or action.dest)
                if action.nargs == "?":
                    name = f"[{name}]"
            rows.append([_code(name), _rst_to_md(str(action.help or ""))])
        description = _first_paragraph(sub.description or "")
        command = "proliferate-infra " + " ".join(path)
        table = _table(["Argument", "Meaning"], rows) if rows else "No arguments.\n"
        parts.append(f"#### `{command}`\n\n{description}\n\n{table}")
    return "\n".join(parts)


# --- cost ---------------------------------------------------------------------------------


def _cost(name: str) -> str:
    """A cost table (``proliferate_components.cost.doctables``): offline previews of the bundled
    example priced with the bundled table, so it is imported only when rendered."""
    from .cost import doctables

    render: Callable[[], str] = getattr(doctables, name)
    return render()


# --- blocks -------------------------------------------------------------------------------

BLOCKS: tuple[Block, ...] = (
    Block("config", "docs/configuration.md", render_config),
    Block("presets", "docs/configuration.md", render_presets),
    Block("environment", "docs/environment.md", render_environment),
    Block("platform", "docs/platform.md", render_platform),
    Block("policies", "docs/policies.md", render_policies),
    Block("components", "docs/components.md", render_components),
    Block("cli", "docs/self-hosting.md", render_cli),
    Block("cost-presets", "docs/cost.md", lambda: _cost("render_cost_presets")),
    Block("cost-regions", "docs/cost.md", lambda: _cost("render_cost_regions")),
    Block("cost-usage", "docs/cost.md", lambda: _cost("render_cost_usage")),
    Block("cost-hardening", "docs/security.md", lambda: _cost("render_cost_hardening")),
    Block("cost-config", "docs/configuration.md", lambda: _cost("render_cost_config")),
)
"""Every generated block of the docs."""


def replace_block(text: str, name: str, content: str) -> str:
    """Return ``text`` with the block ``name`` replaced by ``content``.

    Raises ``DocgenError`` when the markers are missing, repeated or out of order.
    """
    begin, end = BEGIN.format(name=name), END.format(name=name)
    if text.count(begin) != 1 or text.count(end) != 1:
        raise DocgenError(f"expected exactly one {begin!r} and one {end!r}")
    head, rest = text.split(begin, 1)
    if end not in rest:
        raise DocgenError(f"{end!r} comes before {begin!r}")
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{content.rstrip(chr(10))}\n{end}{tail}"


def read_block(text: str, name: str) -> str:
    """The current content between the markers of block ``name``."""
    begin, end = BEGIN.format(name=name), END.format(name=name)
    if begin not in text or end not in text:
        raise DocgenError(f"missing {begin!r} or {end!r}")
    return text.split(begin, 1)[1].split(end, 1)[0].strip("\n")


def stale_blocks(root: Path, blocks: Sequence[Block] = BLOCKS) -> list[str]:
    """Names (``page:block``) of the blocks under ``root`` whose content differs from the source."""
    stale: list[str] = []
    for block in blocks:
        text = (root / block.page).read_text(encoding="utf-8")
        if read_block(text, block.name) != block.render().rstrip("\n"):
            stale.append(f"{block.page}:{block.name}")
    return stale


def write_blocks(root: Path, blocks: Sequence[Block] = BLOCKS) -> list[str]:
    """Rewrite every block under ``root``; return the ``page:block`` names that changed."""
    changed: list[str] = []
    for block in blocks:
        page = root / block.page
        text = page.read_text(encoding="utf-8")
        updated = replace_block(text, block.name, block.render())
        if updated != text:
            page.write_text(updated, encoding="utf-8")
            changed.append(f"{block.page}:{block.name}")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m proliferate_components.docgen [--check] [--root DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m proliferate_components.docgen",
        description="Regenerate (or with --check, verify) the reference tables of the docs.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if any block is stale")
    parser.add_argument(
        "--root", default=".", help="repository root holding docs/ (default: current directory)"
    )
    args = parser.parse_args(argv)
    root = Path(args.root)
    try:
        if args.check:
            stale = stale_blocks(root)
            for name in stale:
                print(f"stale: {name}", file=sys.stderr)
            if stale:
                print("run: python -m proliferate_components.docgen", file=sys.stderr)
            return 1 if stale else 0
        for name in write_blocks(root):
            print(f"updated {name}")
    except (DocgenError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
