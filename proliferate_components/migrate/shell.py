"""The one way the migration writes a word into a generated shell script.

Every word of ``config.sh``, ``terraform-state-rm.sh``, ``secrets.sh`` and every command of
``report.md`` that comes from data (a Terraform address with a ``for_each`` key, a name, a
config value) goes through :func:`quote`, so a key such as ``O'Brien`` stays one word and a
crafted key cannot run commands when the user runs the script.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

__all__ = ["command", "config_set", "quote"]


def quote(word: str) -> str:
    """``word`` as exactly one POSIX shell word (:func:`shlex.quote`: unquoted when it holds
    only safe characters, else single-quoted with every ``'`` escaped)."""
    return shlex.quote(str(word))


def command(words: Iterable[str]) -> str:
    """A command line of ``words``, each quoted with :func:`quote`."""
    return " ".join(quote(w) for w in words)


def config_set(stack: str, *words: str) -> str:
    """``pulumi config set --stack <stack> <words...>``, every word quoted."""
    return command(["pulumi", "config", "set", "--stack", stack, *words])
