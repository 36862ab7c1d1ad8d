"""Entry point of `proliferate-infra`.

Subcommands are modules of this package listed in ``SUBCOMMANDS``; each exposes
``register(subparsers) -> argparse.ArgumentParser`` and sets ``handler`` (a function of the
parsed arguments returning an exit code) with ``parser.set_defaults(handler=...)``.
Heavy imports (pulumi, boto3, rich) happen inside handlers, never at import time.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import cast

from .._version import __version__
from ..errors import ProliferateError

SUBCOMMANDS: tuple[str, ...] = ("preview", "setup", "deploy", "policy_pack", "init_ci", "migrate")
"""Modules of ``proliferate_components.cli`` that provide a subcommand."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proliferate-infra",
        description="Check, set up and deploy a self-hosted Proliferate stack on AWS.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__package__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = cast("Callable[[argparse.Namespace], int] | None", getattr(args, "handler", None))
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except ProliferateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
