"""Resolving every key of the environment schema to a value (or a documented "unset").

Order for each key of :data:`~proliferate_components.environment.ENVIRONMENT`:

1. an explicit answer (``PROLIFERATE_ENV_<NAME>``, the answers file's ``env:``; for
   ``DEFAULT_SANDBOX_PROVIDER`` also ``--sandbox-provider``);
2. the existing ``.env.local`` value;
3. a fresh stack output or AWS-derived value (``DATABASE_URL`` from ``databaseUrl``,
   ``AWS_REGION`` from the region, ...): it replaces a different ``.env.local`` value only
   after confirmation, like an explicit answer;
4. the value already in the stack's Pulumi config (``proliferate:<NAME>``);
5. a generated value: the server secrets always (32 random bytes, base64, like
   ``openssl rand -base64 32``), the dev/test keys when asked to;
6. a prompt defaulting to ``.env.example`` (interactive), else the ``.env.example``/schema
   default.

"No empty values": a required key (given the other values, e.g. ``MODAL_TOKEN_ID`` when the
provider is modal) must get a value, or the run fails naming it. An optional key without a
value is written commented out (``# NAME=  # unset: <what happens without it>``), never as
``NAME=``: inventing a placeholder would turn "feature off" into "feature broken".
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..environment import (
    ENVIRONMENT,
    EnvVar,
    Source,
    check_value,
    config_key,
    env_var,
    is_required,
)
from ..errors import ConfigError
from ..ops.pulumi_backend import ConfigEntry, OutputEntry
from ..platform import litellm_database_url
from ..secret_formats import format_named
from .context import SetupContext
from .errors import MissingAnswerError

DEV_TEST_KEYS: tuple[str, ...] = ("AUTH_TOKEN", "TEST_TOKEN", "TEST_REPO_ID", "DEV_USER_ID")
"""Keys generated only when the user asks for dev/test values."""

OUTPUT_DERIVED_KEYS: frozenset[str] = frozenset({"NEXT_PUBLIC_API_URL", "LITELLM_DATABASE_URL"})
"""DERIVED keys computed from stack outputs (resolved after ``pulumi up``)."""

_PORT_KEYS = frozenset({"WEB_PORT", "WORKER_PORT", "GATEWAY_PORT", "API_PORT"})


def generate_secret(name: str = "BETTER_AUTH_SECRET") -> str:
    """A fresh value of generated key ``name`` in the format upstream generates and the
    platform's code reads (:mod:`~proliferate_components.secret_formats`: 64 hex characters
    for ``USER_SECRETS_ENCRYPTION_KEY``, ``sk-`` and hex for ``LLM_PROXY_MASTER_KEY``, 32
    bytes base64 like ``openssl rand -base64 32`` for the session secrets)."""
    return format_named(env_var(name).generated_format or "base64-32").generate()


def generate_dev_value(name: str) -> str:
    """A dev/test value: a UUID for ``*_ID`` keys, a URL-safe token otherwise."""
    return str(uuid.uuid4()) if name.endswith("_ID") else secrets.token_urlsafe(32)


def validate_env_value(var: EnvVar, value: str) -> str | None:
    """Why ``value`` is invalid for ``var`` (None when valid)."""
    problem = check_value(var.name, value)
    if problem is not None:
        return problem
    if var.choices and value not in var.choices:
        return "one of " + ", ".join(var.choices)
    if var.name in _PORT_KEYS and not (value.isdigit() and 1 <= int(value) <= 65535):
        return "a TCP port from 1 to 65535"
    if var.multiline and "PRIVATE KEY" in var.name and "-----BEGIN" not in value:
        return "a PEM private key (-----BEGIN ... PRIVATE KEY----- ... -----END ...)"
    return None


def is_stack_output_key(var: EnvVar, *, external_database: bool) -> bool:
    """True for keys whose value comes from stack outputs (resolved after ``pulumi up``)."""
    if var.name in ("DATABASE_URL", "LITELLM_DATABASE_URL") and external_database:
        return False
    return var.source is Source.STACK_OUTPUT or var.name in OUTPUT_DERIVED_KEYS


@dataclass(frozen=True)
class Resolved:
    """The value of one key and where it came from (``value`` None: unset, see ``note``)."""

    value: str | None
    source: str
    note: str = ""


@dataclass
class EnvInputs:
    """What environment resolution reads.

    Attributes:
        existing: the current ``.env.local`` values.
        config: the stack's current Pulumi config.
        outputs: the stack outputs (empty before the first ``pulumi up``).
        derived: values computed from answers and AWS (region, domain, ...).
        example: ``.env.example`` values (prompt defaults).
        generate_dev_keys: generate the dev/test keys.
        external_database: ``enableRds=false``: DATABASE_URL is the user's.
    """

    existing: Mapping[str, str] = field(default_factory=dict[str, str])
    config: Mapping[str, ConfigEntry] = field(default_factory=dict[str, ConfigEntry])
    outputs: Mapping[str, OutputEntry] = field(default_factory=dict[str, OutputEntry])
    derived: Mapping[str, str] = field(default_factory=dict[str, str])
    example: Mapping[str, str] = field(default_factory=dict[str, str])
    generate_dev_keys: bool = False
    external_database: bool = False


def _output_text(entry: OutputEntry) -> str | None:
    value = entry.value
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
    return str(value)


def _fresh_value(var: EnvVar, inputs: EnvInputs) -> tuple[str, str] | None:
    if var.stack_output and var.stack_output in inputs.outputs:
        if var.name == "DATABASE_URL" and inputs.external_database:
            return None
        text = _output_text(inputs.outputs[var.stack_output])
        if text is not None:
            return text, f"stack output {var.stack_output}"
    if inputs.derived.get(var.name):
        return inputs.derived[var.name], "derived"
    return None


def validate_explicit_env(ctx: SetupContext) -> None:
    """Check every explicit ``.env.local`` value before anything else happens.

    Raises:
        ConfigError: an unknown key in the answers file's ``env:``, or an invalid value.
    """
    names = {var.name: var for var in ENVIRONMENT}
    for name in ctx.answers.file_env:
        if name not in names:
            raise ConfigError(f"env.{name}", name, "a key of the environment schema")
    for var in ENVIRONMENT:
        answer = ctx.answers.env_value(var.name)
        if answer is not None:
            problem = validate_env_value(var, str(answer.value))
            if problem:
                raise ConfigError(var.name, answer.value, problem, secret=var.secret)


def resolve_environment(
    ctx: SetupContext, inputs: EnvInputs, *, names: Sequence[str], outputs_ready: bool
) -> dict[str, Resolved]:
    """Resolve ``names`` (in schema order) with the module's order of sources.

    Args:
        outputs_ready: the stack outputs are current (after ``pulumi up``). When False, stack
            output keys without a value are left unset with a note instead of failing.

    Raises:
        MissingAnswerError: non-interactive and required keys have no value (all are named).
    """
    wanted = set(names)
    known: dict[str, str] = dict(inputs.existing)
    result: dict[str, Resolved] = {}
    missing: list[str] = []
    reviewed: set[str] = set()
    review_keys: set[str] = set()
    sandbox = ctx.answers.get("sandbox_provider")
    for var in ENVIRONMENT:
        if var.name not in wanted:
            continue
        if ctx.interactive and var.group not in reviewed:
            reviewed.add(var.group)
            review_keys |= _review_group(ctx, var.group, known, wanted)
        explicit = ctx.answers.env_value(var.name)
        if var.name == "DEFAULT_SANDBOX_PROVIDER" and sandbox is not None:
            explicit = sandbox
        resolved = _resolve_one(
            ctx,
            var,
            inputs,
            explicit_value=None if explicit is None else str(explicit.value),
            known=known,
            outputs_ready=outputs_ready,
            review=var.name in review_keys,
        )
        if resolved.value is None and resolved.source == "missing":
            missing.append(var.name)
        if resolved.value is not None:
            problem = validate_env_value(var, resolved.value)
            if problem:
                raise ConfigError(
                    var.name,
                    resolved.value,
                    f"{problem} (from {resolved.source})",
                    secret=var.secret,
                )
            known[var.name] = resolved.value
        else:
            known.pop(var.name, None)
        result[var.name] = resolved
    if missing:
        first = missing[0]
        others = f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise MissingAnswerError(
            f"env.{first}",
            ctx.answers.env_sources_for(first),
            why=f"required .env.local value{others}",
        )
    return result


def _review_group(
    ctx: SetupContext, group: str, known: Mapping[str, str], wanted: set[str]
) -> set[str]:
    """Ask once per group whether to review its optional user keys; returns those keys."""
    optional = [
        v.name
        for v in ENVIRONMENT
        if v.group == group
        and v.name in wanted
        and v.source is Source.USER
        and not is_required(v.name, known)
        and ctx.answers.env_value(v.name) is None
    ]
    if not optional:
        return set()
    if ctx.confirm(
        f"review:{group}",
        f"Set or review the optional {group} settings ({len(optional)} keys)?",
        default=False,
    ):
        return set(optional)
    return set()


def _resolve_one(
    ctx: SetupContext,
    var: EnvVar,
    inputs: EnvInputs,
    *,
    explicit_value: str | None,
    known: Mapping[str, str],
    outputs_ready: bool,
    review: bool,
) -> Resolved:
    existing = inputs.existing.get(var.name) or None
    what = f".env.local {var.name}"
    derived = _derived_value(var, known)
    if derived is not None:
        return derived
    if explicit_value is not None:
        if (
            existing is not None
            and existing != explicit_value
            and not ctx.confirm_change(what, existing, explicit_value, secret=var.secret)
        ):
            return Resolved(existing, "env file")
        return Resolved(explicit_value, "answer")
    fresh = _fresh_value(var, inputs)
    if fresh is not None:
        value, source = fresh
        if (
            existing is not None
            and existing != value
            and not ctx.confirm_change(what, existing, value, secret=var.secret)
        ):
            return Resolved(existing, "env file")
        return Resolved(value, source)
    if existing is not None and not review:
        return Resolved(existing, "env file")
    entry = None if var.pulumi_config else inputs.config.get(config_key(var.name))
    if entry is not None and entry.value and not review:
        return Resolved(entry.value, "stack config")
    if var.source is Source.GENERATED:
        return Resolved(existing or generate_secret(var.name), "generated")
    if var.name in DEV_TEST_KEYS and inputs.generate_dev_keys and existing is None:
        return Resolved(generate_dev_value(var.name), "generated")
    required = is_required(var.name, known)
    if is_stack_output_key(var, external_database=inputs.external_database) and not outputs_ready:
        if existing is not None:
            return Resolved(existing, "env file")
        return Resolved(
            None, "unset", "no stack output yet; run the wizard again after `pulumi up`"
        )
    default = existing or inputs.example.get(var.name) or var.default or ""
    if ctx.interactive and var.source is Source.USER and (required or review):
        return _prompt(
            ctx, var, default=default, required=required, has_existing=existing is not None
        )
    if default:
        return Resolved(
            default, ".env.example default" if var.name in inputs.example else "default"
        )
    if required:
        return Resolved(None, "missing")
    return Resolved(None, "unset", var.when_missing)


def _derived_value(var: EnvVar, known: Mapping[str, str]) -> Resolved | None:
    """Keys that are another key's value by construction (``LITELLM_MASTER_KEY`` is
    ``LLM_PROXY_MASTER_KEY``; ``LITELLM_DATABASE_URL`` is ``DATABASE_URL`` with
    ``schema=litellm``), resolved from it, never asked for."""
    if var.value_of is not None:
        value = known.get(var.value_of)
        return Resolved(value, f"= {var.value_of}") if value else Resolved(None, "unset")
    if var.name == "LITELLM_DATABASE_URL":
        url = known.get("DATABASE_URL")
        if url:
            return Resolved(litellm_database_url(url), "from DATABASE_URL")
        return Resolved(None, "unset", "derived from DATABASE_URL once it is known")
    return None


def _prompt(
    ctx: SetupContext, var: EnvVar, *, default: str, required: bool, has_existing: bool
) -> Resolved:
    assert ctx.prompter is not None
    key = f"env.{var.name}"
    label = f"{var.name} - {var.description}" + ("" if required else " (optional, Enter to skip)")
    if var.choices:
        choice = ctx.prompter.select(key, label, var.choices, default=default or var.choices[0])
        return Resolved(choice, "prompt")

    def check(value: str) -> str | None:
        if not value:
            return "a value is required" if required and not (var.secret and has_existing) else None
        return validate_env_value(var, _read_if_path(value) if var.multiline else value)

    if var.secret and has_existing:
        answer = ctx.prompter.text(
            key, f"{label} [set; Enter keeps it]", secret=True, validate=check
        )
        return Resolved(default, "env file") if not answer else Resolved(answer, "prompt")
    if var.multiline:
        answer = ctx.prompter.text(
            key, f"{label}: path to the file, or paste it", validate=check, secret=False
        )
        answer = _read_if_path(answer)
    else:
        answer = ctx.prompter.text(
            key, label, default="" if var.secret else default, secret=var.secret, validate=check
        )
    if not answer:
        if default and not var.secret:
            return Resolved(default, "default")
        return Resolved(None, "unset", var.when_missing)
    return Resolved(answer, "prompt")


def _read_if_path(value: str) -> str:
    candidate = Path(value.strip()).expanduser()
    if "\n" not in value and len(value) < 1024 and candidate.is_file():
        return candidate.read_text(encoding="utf-8")
    return value
