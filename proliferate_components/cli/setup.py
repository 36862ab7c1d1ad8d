"""``proliferate-infra setup``: the idempotent setup wizard (see docs/setup-wizard.md).

Flags are built from :data:`~proliferate_components.setup.answers.ANSWER_SPECS`, so every
wizard answer has a flag, a ``PROLIFERATE_SETUP_<KEY>`` environment variable and an
answers-file key with the same name.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``setup`` subcommand."""
    from ..setup.answers import ANSWER_SPECS

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "setup",
        help="set up AWS, the Pulumi backend and stack, write .env.local, and deploy",
        description=(
            "Idempotent setup wizard: the cloud provider (AWS), AWS credentials, an S3 Pulumi "
            "backend, the stack and its config, the API credentials checked with their "
            "providers, pulumi up, optional migrations, a complete .env.local (mode 0600; an "
            "existing .env.prod is carried over and kept), and optionally proliferate-infra "
            "deploy. Answers "
            "come from flags, then PROLIFERATE_SETUP_<KEY>/PROLIFERATE_ENV_<NAME> variables, "
            "then --answers FILE, then the existing state, then prompts."
        ),
    )
    parser.add_argument(
        "--non-interactive",
        action="store_true",
        help="never prompt: use answers and defaults; a missing required answer is an error",
    )
    parser.add_argument(
        "--answers", metavar="FILE", help="YAML or JSON answers file (see docs/setup-wizard.md)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print every change it would make and make none",
    )
    parser.add_argument(
        "--config",
        action="append",
        metavar="KEY=VALUE",
        default=[],
        help="extra Pulumi config, e.g. proliferate:dbMultiAz=true (repeatable)",
    )
    for spec in ANSWER_SPECS:
        help_text = f"{spec.description} (default: {spec.default}; env {spec.env_var})"
        if spec.kind == "bool":
            parser.add_argument(
                spec.flag,
                dest=spec.key,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        else:
            parser.add_argument(
                spec.flag,
                dest=spec.key,
                default=None,
                choices=list(spec.choices) or None,
                metavar=spec.metavar or None if not spec.choices else None,
                help=help_text,
            )
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the wizard with the parsed arguments; returns the exit code."""
    from rich.console import Console

    from ..setup.answers import ANSWER_SPECS, Answers
    from ..setup.context import SetupContext
    from ..setup.flow import run_setup
    from ..setup.prompts import QuestionaryPrompter

    console = Console(highlight=False, soft_wrap=True)
    flags = {spec.key: getattr(args, spec.key) for spec in ANSWER_SPECS}
    answers = Answers.load(flags=flags, answers_file=args.answers, config_flags=args.config)
    interactive = not args.non_interactive and sys.stdin.isatty()
    if not args.non_interactive and not interactive:
        console.print("stdin is not a terminal: running non-interactively")
    ctx = SetupContext(
        answers=answers,
        prompter=QuestionaryPrompter() if interactive else None,
        dry_run=args.dry_run,
        echo=lambda line: console.print(line, markup=False),
    )
    result = run_setup(ctx)
    console.print()
    title = "Dry run: changes that would be made" if args.dry_run else "Changes made"
    console.print(f"[bold]{title}[/bold] ({len(result.changes)})")
    for change in result.changes:
        console.print(f"  - {change}", markup=False)
    if result.env_file is not None:
        state = "written" if result.env_written else "unchanged"
        if args.dry_run and result.env_written:
            state = "would be written"
        console.print(f"Env file {result.env_file}: {state}", markup=False)
        if result.backup is not None:
            console.print(f"  previous version kept as {result.backup}", markup=False)
        if result.migrated_from is not None:
            console.print(
                f"  values carried over from {result.migrated_from}, which is left as it is",
                markup=False,
            )
    console.print("[bold]Next steps[/bold]")
    for number, step in enumerate(result.steps, start=1):
        console.print(f"  {number}. {step}", markup=False)
    if result.deploy is not None:
        style = "green" if result.deploy.exit_code == 0 else "red"
        console.print(f"[bold {style}]Deploy:[/] {result.deploy.message}", markup=True)
        return result.deploy.exit_code
    return 0
