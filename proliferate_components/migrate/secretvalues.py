"""Carry the running deployment's secret values into the stack's secrets bundle.

The Terraform task definitions read their secrets from Secrets Manager (``valueFrom =
"<secret arn>:<json key>::"``) or SSM, sometimes from plaintext ``environment`` values. The
stack's :class:`~proliferate_components.secrets.SecretsBundle` reads every bundle key from
secret config (``proliferate:<KEY>``), so setting those keys carries the values over and
nothing is rotated (``USER_SECRETS_ENCRYPTION_KEY`` must never change).

:func:`secret_config` writes ``secrets.sh``: one ``pulumi config set --secret`` per key, fed
on standard input (never on a command line, where ``ps`` would show it), either from the
value the state holds (an ``aws_secretsmanager_secret_version``'s ``secret_string``, a
plaintext environment value) or read from AWS at run time (``aws secretsmanager
get-secret-value`` / ``aws ssm get-parameter``). The file holds secret values: it is written
with mode 0600 and the report says to delete it once run. No value appears anywhere else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from ..environment import config_key, env_var
from ..errors import ConfigError
from ..secrets import bundle_keys
from .childmap import SECRET_KEY_ALIASES
from .derive import DerivedConfig
from .roles import RoleAssignment, containers
from .shell import command, config_set, quote
from .tfstate import TfState

__all__ = ["SecretConfig", "secret_config"]

_SECRET_REF = re.compile(
    r"^(?P<arn>arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:[^:]+)(?::(?P<key>[^:]*))?(?::.*)?$"
)
_JSON_KEY = (
    "import json,sys\n"
    "v=json.load(sys.stdin)[sys.argv[1]]\n"
    "sys.exit('empty value') if not v else sys.stdout.write(v)"
)
_WHOLE = "import sys\nv=sys.stdin.read().rstrip('\\n')\nsys.exit('empty value') if not v else sys.stdout.write(v)"
# Keys the stack builds itself from its own data stores.
_BUILT = {"REDIS_URL"}


@dataclass(frozen=True)
class SecretConfig:
    """What ``secrets.sh`` sets, where each value comes from, and the script."""

    sources: Mapping[str, str] = field(default_factory=dict[str, str])
    """Config key -> where the value is read (never the value)."""
    script: str = ""
    """``secrets.sh`` (empty when there is nothing to carry)."""
    notes: tuple[str, ...] = ()
    """Keys that are not carried, and why."""


def _secret_strings(state: TfState) -> dict[str, str]:
    """Secret ARN -> the ``secret_string`` the state holds for it (latest version)."""
    out: dict[str, str] = {}
    for version in state.of_type("aws_secretsmanager_secret_version"):
        secret_id = str(version.attr("secret_id", ""))
        text = version.attr("secret_string")
        if secret_id and isinstance(text, str) and text:
            out[secret_id] = text
    for secret in state.of_type("aws_secretsmanager_secret"):
        arn, name = str(secret.attr("arn", "")), str(secret.attr("name", ""))
        for key in (name, secret.id):
            if key in out and arn:
                out.setdefault(arn, out[key])
    for parameter in state.of_type("aws_ssm_parameter"):
        text = parameter.attr("value") or parameter.attr("insecure_value")
        if isinstance(text, str) and text:
            for key in (str(parameter.attr("arn", "")), str(parameter.attr("name", ""))):
                if key:
                    out[f"ssm:{key}"] = text
    return out


def secret_config(
    state: TfState, assignments: list[RoleAssignment], derived: DerivedConfig, stack: str
) -> SecretConfig:
    """The secret config that carries the Terraform deployment's secret values over."""
    known = set(bundle_keys())
    stored = _secret_strings(state)
    built = set(_BUILT)
    if derived.values.get("proliferate:enableRds") == "true":
        built.add("DATABASE_URL")
    sources: dict[str, str] = {}
    lines: list[str] = []
    notes: list[str] = []
    skipped: dict[str, str] = {}
    for a in assignments:
        if a.role is None or not a.role.endswith("/task"):
            continue
        for container in containers(a.resource):
            entries: list[tuple[str, str, str | None]] = []  # (name, valueFrom, plain value)
            for s in cast("list[Any]", container.get("secrets") or []):
                if isinstance(s, dict):
                    d = cast("dict[str, Any]", s)
                    entries.append((str(d.get("name", "")), str(d.get("valueFrom", "")), None))
            for e in cast("list[Any]", container.get("environment") or []):
                if isinstance(e, dict):
                    d = cast("dict[str, Any]", e)
                    entries.append((str(d.get("name", "")), "", str(d.get("value", ""))))
            for name, value_from, plain in entries:
                key = SECRET_KEY_ALIASES.get(name, name)
                if key not in known:
                    if plain is None:
                        skipped.setdefault(name, "not a key of the platform's environment schema")
                    continue
                if key in built:
                    skipped.setdefault(name, "the stack builds it from its own data store")
                    continue
                if plain is not None and not _secret_key(key):
                    continue
                try:
                    target = config_key(key)
                except ConfigError:  # pragma: no cover - known keys always have one
                    continue
                if target in sources:
                    continue
                feed, where = _feed(value_from, plain, stored)
                if feed is None:
                    skipped.setdefault(name, f"its valueFrom {value_from!r} is not understood")
                    continue
                alias = f" (as {name})" if name != key else ""
                sources[target] = f"{where}{alias}, read by the {a.role.split('/')[0]}"
                lines += [
                    f"# {target} <- {where}",
                    f"value=$({feed})",
                    "printf '%s' \"$value\" | " + config_set(stack, "--secret", target),
                ]
    for name, why in sorted(skipped.items()):
        notes.append(f"secret {name} is not carried into the stack's secrets: {why}")
    if not sources:
        return SecretConfig(notes=tuple(notes))
    script = "\n".join(
        [
            "#!/bin/sh",
            "# Carries the running deployment's secret values into the stack's secret config.",
            "# Values go from AWS (or this file) to `pulumi config set --secret` on standard",
            "# input, never on a command line. This file may hold secret values: mode 0600,",
            "# run it once (`sh secrets.sh`), then delete it.",
            "set -eu",
            "umask 077",
            *lines,
            "unset value",
        ]
    )
    return SecretConfig(sources=sources, script=script + "\n", notes=tuple(notes))


def _secret_key(key: str) -> bool:
    try:
        return env_var(key).secret
    except ConfigError:  # pragma: no cover
        return False


def _feed(value_from: str, plain: str | None, stored: Mapping[str, str]) -> tuple[str | None, str]:
    """A shell command printing the value, and where it comes from (no value in either
    description; the command holds the value only when the state does)."""
    if plain is not None:
        return f"printf '%s' {quote(plain)}", "a plaintext environment value of the state"
    match = _SECRET_REF.match(value_from)
    if match:
        arn, json_key = match.group("arn"), match.group("key") or ""
        name = arn.rsplit(":", 1)[-1]
        if arn in stored:
            text = stored[arn]
            if json_key:
                try:
                    value = json.loads(text)[json_key]
                except (json.JSONDecodeError, KeyError, TypeError):
                    value = None
                if isinstance(value, str) and value:
                    return (
                        f"printf '%s' {quote(value)}",
                        f"the state's secret {name} (key {json_key})",
                    )
            elif text:
                return f"printf '%s' {quote(text)}", f"the state's secret {name}"
        read = command(
            [
                "aws",
                "secretsmanager",
                "get-secret-value",
                "--secret-id",
                arn,
                "--query",
                "SecretString",
                "--output",
                "text",
            ]
        )
        if json_key:
            return (
                f"{read} | " + command(["python3", "-c", _JSON_KEY, json_key]),
                f"Secrets Manager {name} (key {json_key})",
            )
        return f"{read} | " + command(["python3", "-c", _WHOLE]), f"Secrets Manager {name}"
    if (value_from.startswith("arn:") and ":ssm:" in value_from) or value_from.startswith("/"):
        if f"ssm:{value_from}" in stored:
            return (
                f"printf '%s' {quote(stored[f'ssm:{value_from}'])}",
                f"the state's SSM parameter {value_from.rsplit(':', 1)[-1]}",
            )
        read = command(
            [
                "aws",
                "ssm",
                "get-parameter",
                "--name",
                value_from,
                "--with-decryption",
                "--query",
                "Parameter.Value",
                "--output",
                "text",
            ]
        )
        return f"{read} | " + command(["python3", "-c", _WHOLE]), f"SSM parameter {value_from}"
    return None, ""
