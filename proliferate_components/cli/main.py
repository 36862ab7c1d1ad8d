"""Entry point of `proliferate-infra`.

Subcommands are modules of this package listed in ``SUBCOMMANDS``; each exposes
``register(subparsers) -> argparse.ArgumentParser`` and sets ``handler`` (a function of the
parsed arguments returning an exit code) with ``parser.set_defaults(handler=...)``.
Heavy imports (pulumi, boto3, rich) happen inside handlers, never at import time.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import cast

from .._version import __version__
from ..errors import ProliferateError

SUBCOMMANDS: tuple[str, ...] = ("preview", "setup", "deploy", "policy_pack", "init_ci", "migrate")
"""Modules of ``proliferate_components.cli`` that provide a subcommand."""


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand module ``argv`` invokes (``policy-pack`` -> ``policy_pack``), or
    ``None`` when its first word is not a subcommand (an option, ``--help``, a typo)."""
    if not argv:
        return None
    module = argv[0].replace("-", "_")
    return module if module in SUBCOMMANDS and argv[0] == module.replace("_", "-") else None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser with every subcommand, or with ``only`` that one (a module
    of :data:`SUBCOMMANDS`): parsing ``preview ...`` then imports none of the others
    (``deploy`` alone pulls in ``urllib``, ``ssl`` and ``email``, a tenth of a cold
    preview's start-up). Usage and help without a subcommand list them all."""
    parser = argparse.ArgumentParser(
        prog="proliferate-infra",
        description="Check, set up and deploy a self-hosted Proliferate stack on AWS.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS if only is None else (only,):
        importlib.import_module(f"{__package__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, quick_exit: bool = False) -> int:
    """Run ``proliferate-infra`` with ``argv`` (default ``sys.argv[1:]``); the exit code.

    Args:
        argv: the arguments.
        quick_exit: end the process when a subcommand that asks for it (``preview``) is
            done, without tearing down the interpreter (see :func:`console`). Only for the
            command-line entry points: the caller never gets control back.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_of(arguments))
    args = parser.parse_args(arguments)
    handler = cast("Callable[[argparse.Namespace], int] | None", getattr(args, "handler", None))
    if handler is None:
        parser.print_help()
        return 2
    args.console = quick_exit  # the process ends with the command (see console())
    try:
        code = handler(args)
    except ProliferateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    if quick_exit and getattr(args, "quick_exit", False):
        _exit_now(code)
    return code


def console() -> None:
    """The ``proliferate-infra`` console script: :func:`main`, then exit.

    After ``preview`` the process ends as soon as its output is flushed and the ``atexit``
    handlers ran, without the interpreter's teardown: freeing one by one the few hundred
    thousand objects the Pulumi SDKs left (about 0.2 s of CPU) is work nobody waits for.
    """
    sys.exit(main(quick_exit=True))


def _exit_now(code: int) -> None:
    import atexit
    import os

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: exit the ordinary way
        return
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
