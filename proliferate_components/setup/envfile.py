"""Reading and writing ``.env.local`` so python-dotenv AND Node's dotenv read back exact values.

Quoting (:func:`format_value`), checked against both parsers:

- plain values (letters, digits and ``_ . / : @ % + , = -``) are written unquoted;
- anything else without ``"``, ``\\`` or ``$`` goes in double quotes with line breaks written
  as ``\\n`` (and ``\\r``): both parsers turn exactly those two escapes back into line
  breaks inside double quotes; this is how multiline PEM keys are written;
- a value with ``"``, ``\\`` or ``$`` goes in single quotes (no escapes, no interpolation, raw
  line breaks allowed in both parsers), unless it contains ``'``, a carriage return (Python
  reads files with universal newlines) or a backslash before ``\\`` or ``'``: such a value
  cannot be written so that both parsers agree, and is rejected with a
  :class:`~proliferate_components.errors.ConfigError` naming the key.

Python-dotenv interpolates ``${VAR}`` by default, in every quoting style; Node's dotenv
never does. The platform reads the file with Node, so the wizard reads it back with
``interpolate=False`` (Node's behaviour); a value containing ``${`` is exact for Node and for
python-dotenv with ``interpolate=False`` only.

Writing (:func:`write_env_file`): atomic (temporary file in the same directory, fsync, then
``os.replace``), mode 0600, the previous file kept as the one backup ``.env.local.bak`` (mode
0600; numbered ``.bak.N`` copies left by earlier versions are removed), and nothing written
when the content is unchanged.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

FILE_MODE = 0o600
"""Mode of the env file and its backups: readable by the owner only."""

ENV_FILE_NAME = ".env.local"
"""The env file the wizard writes: the spec's name, and the one upstream's installer reads
(``.env.example`` <- ``.env.local`` <- ``.env`` in ``scripts/install-platform.cjs``)."""

LEGACY_ENV_FILE_NAME = ".env.prod"
"""The file earlier releases wrote (and upstream's ``pnpm setup`` writes); its values are
carried over into :data:`ENV_FILE_NAME` and the file itself is never changed."""

_PLAIN = re.compile(r"[A-Za-z0-9_./:@%+,=-]*")
_BAD_SINGLE = re.compile(r"\\[\\']|\\\Z")
_EXAMPLE_KEY = re.compile(r"^\s*#?\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=")


def format_value(key: str, value: str) -> str:
    """The right-hand side of ``KEY=...`` for ``value`` (see the module docstring).

    Raises:
        ConfigError: the value cannot be written so that both parsers read it back exactly.
    """
    if _PLAIN.fullmatch(value):
        return value
    if '"' not in value and "\\" not in value and "$" not in value:
        return '"' + value.replace("\r", "\\r").replace("\n", "\\n") + '"'
    if "'" not in value and "\r" not in value and not _BAD_SINGLE.search(value):
        return "'" + value + "'"
    raise ConfigError(
        key,
        value,
        "a value python-dotenv and Node's dotenv read the same way: no single quote or "
        "carriage return together with one of \" \\ $, no backslash before \\ or ' and none "
        "at the end",
        secret=True,
    )


def read_env_file(path: Path) -> dict[str, str]:
    """The values of an existing env file as Node's dotenv sees them (no interpolation).

    Keys with empty values are left out. A missing file gives an empty mapping.
    """
    if not path.exists():
        return {}
    from dotenv import dotenv_values

    values = dotenv_values(path, interpolate=False)
    return {k: v for k, v in values.items() if v}


def example_order(path: Path | None) -> list[str]:
    """Key names in the order of an ``.env.example`` file (commented-out keys included)."""
    if path is None or not path.exists():
        return []
    seen: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _EXAMPLE_KEY.match(line)
        if match and match.group(1) not in seen and match.group(1).isupper():
            seen.append(match.group(1))
    return seen


def example_values(path: Path | None) -> dict[str, str]:
    """Non-empty values of an ``.env.example`` file (the prompt defaults)."""
    if path is None:
        return {}
    return read_env_file(path)


@dataclass(frozen=True)
class EnvLine:
    """One key of the file to write.

    Attributes:
        name: the key.
        value: its value; None writes ``# NAME=`` with ``note`` (the key stays unset).
        group: heading it is written under.
        note: why it is unset (written as a comment).
    """

    name: str
    value: str | None
    group: str = ""
    note: str = ""


def render_env_file(lines: Sequence[EnvLine], *, extra: Mapping[str, str] | None = None) -> str:
    """The text of the env file: groups, ``KEY=value`` lines, unset keys commented out, and
    ``extra`` keys (kept from the previous file, unknown to the schema) at the end."""
    out = [
        "# Written by `proliferate-infra setup`. Keep this file secret (mode 0600).",
        "# Keys marked 'unset' are optional; the note says what happens without them.",
    ]
    group = None
    for line in lines:
        if line.group and line.group != group:
            group = line.group
            out.extend(["", f"# ---- {group} ----"])
        if line.value is None:
            note = f"  # unset: {line.note}" if line.note else "  # unset"
            out.append(f"# {line.name}={note}")
        else:
            out.append(f"{line.name}={format_value(line.name, line.value)}")
    if extra:
        out.extend(["", "# ---- Other keys (kept from the previous file) ----"])
        out.extend(f"{k}={format_value(k, v)}" for k, v in extra.items())
    return "\n".join(out) + "\n"


def backup_path(path: Path) -> Path:
    """``<file>.bak``: the one backup :func:`write_env_file` keeps of ``path``."""
    return path.with_name(path.name + ".bak")


def old_backups(path: Path) -> list[Path]:
    """The numbered backups ``<file>.bak.N`` that earlier versions of the wizard left (one
    per write, each a full copy of every secret); :func:`write_env_file` removes them."""
    pattern = re.compile(re.escape(path.name) + r"\.bak\.[0-9]+")
    if not path.parent.is_dir():
        return []
    return sorted(p for p in path.parent.iterdir() if pattern.fullmatch(p.name))


def write_env_file(path: Path, text: str) -> Path | None:
    """Write ``text`` to ``path`` atomically with mode 0600, keeping one backup of the old file.

    The previous content goes to ``<file>.bak`` (mode 0600 from its creation, written
    atomically, replacing the previous backup), then the new file replaces ``path``; numbered
    backups ``<file>.bak.N`` left by earlier versions are removed last. An interruption at any
    point leaves ``path`` whole (old or new) and at most the backups there were before plus
    the new one; the next write prunes them.

    Returns:
        the backup path, or None when there was no previous file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    backup: Path | None = None
    if path.exists():
        backup = backup_path(path)
        _atomic_write(backup, path.read_bytes())
    _atomic_write(path, text.encode("utf-8"))
    for old in old_backups(path):
        old.unlink(missing_ok=True)
    return backup


def _atomic_write(path: Path, data: bytes) -> None:
    """``data`` to ``path`` through a 0600 temporary file in the same directory, fsync and
    ``os.replace``; the temporary file is removed if anything fails."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp creates it 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def ordered_names(schema_order: Iterable[str], example: Iterable[str]) -> list[str]:
    """Schema keys in ``.env.example`` order; keys missing from the example follow in schema
    order."""
    schema = list(schema_order)
    known = set(schema)
    first = [name for name in example if name in known]
    return first + [name for name in schema if name not in set(first)]
