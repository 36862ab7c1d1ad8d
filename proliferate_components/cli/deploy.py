"""``proliferate-infra deploy``: deploy the checked-out platform commit to a stack.

See docs/deploy.md. Progress goes to the terminal with rich (long waits show what they wait
for and for how long); with ``--json`` progress goes to stderr as plain lines and one JSON
document to stdout. The exit code says how it ended (:data:`EXIT_CODES
<proliferate_components.deploy.result.EXIT_CODES>`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..deploy.flow import DeployDeps, DeployRequest, run_deploy
from ..deploy.result import (
    EXIT_CODES,
    DeployResult,
    LineProgress,
    StepRecord,
    format_seconds,
)

DEPS_FACTORY: Callable[[], DeployDeps] = DeployDeps
"""Builds the outside world of a run (tests replace it)."""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``deploy`` subcommand."""
    codes = "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items())
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "deploy",
        help="build, push and roll out the platform's images (with migrations and rollback)",
        description=(
            "Deploy the checked-out commit of the platform to a stack: build every enabled "
            "service's image for linux/amd64, push it to the stack's ECR repositories, run "
            "the migrations, set proliferate:imageTag and run pulumi up, wait for every ECS "
            "service, smoke-check every public health endpoint, and roll back to the previous "
            "tag if the rollout or a check fails. A second run on the same commit builds and "
            f"changes nothing.\n\nExit codes: {codes}."
        ),
    )
    parser.add_argument(
        "--source",
        default=".",
        metavar="DIR",
        help="checkout of the platform (proliferate-ai/proliferate) to build (default: .)",
    )
    parser.add_argument("--stack", required=True, metavar="NAME", help="Pulumi stack to deploy to")
    parser.add_argument(
        "--project-dir",
        metavar="DIR",
        help="the Pulumi project (default: <source>/infra/pulumi, else the current directory)",
    )
    parser.add_argument(
        "--profile", metavar="PROFILE", help="AWS named profile (default: the default chain)"
    )
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="deploy uncommitted changes, tagged <commit>-dirty-<UTC time>",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan (every command) and change nothing"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the result as one JSON document on stdout (progress on stderr), for CI",
    )
    for flag, default, what in (
        ("--migration-timeout", 1800, "longest wait for the migration task"),
        ("--rollout-timeout", 1200, "longest wait for every service to run the new image"),
        ("--smoke-timeout", 180, "how long health endpoints may take to answer 200"),
        ("--poll-interval", 10, "delay between two checks while waiting"),
    ):
        parser.add_argument(
            flag,
            type=float,
            default=float(default),
            metavar="SECONDS",
            help=f"{what} (default: {default})",
        )
    parser.set_defaults(handler=run)
    return parser


def request_from(args: argparse.Namespace) -> DeployRequest:
    """The :class:`DeployRequest` of the parsed flags."""
    return DeployRequest(
        source=Path(args.source).expanduser(),
        stack=args.stack,
        project_dir=Path(args.project_dir).expanduser() if args.project_dir else None,
        profile=args.profile,
        allow_dirty=args.allow_dirty,
        dry_run=args.dry_run,
        migration_timeout_seconds=args.migration_timeout,
        rollout_timeout_seconds=args.rollout_timeout,
        smoke_timeout_seconds=args.smoke_timeout,
        poll_seconds=args.poll_interval,
    )


def run(args: argparse.Namespace) -> int:
    """Handler: deploy, show the outcome, return its exit code."""
    request = request_from(args)
    deps = DEPS_FACTORY()
    if args.json:
        result = run_deploy(request, deps, PlainProgress(sys.stderr, deps.clock))
        print(json.dumps(result.to_json(), indent=2))
        return result.exit_code
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    progress: Any = (
        RichProgress(console) if console.is_terminal else PlainProgress(console.file, deps.clock)
    )
    try:
        result = run_deploy(request, deps, progress)
    finally:
        progress.close()
    show_result(console, result)
    return result.exit_code


class PlainProgress(LineProgress):
    """:class:`~proliferate_components.deploy.result.LineProgress` printing to ``stream``."""

    def __init__(self, stream: IO[str], clock: Callable[[], float]) -> None:
        super().__init__(lambda text: print(text, file=stream, flush=True), clock)


_MARKS = {
    "ok": "[green]✓[/]",
    "skipped": "[dim]-[/]",
    "failed": "[red]✗[/]",
    "planned": "[cyan]•[/]",
}


class RichProgress:
    """Progress in a terminal: a header per step, a live spinner for waits that shows what
    it waits for and the elapsed time."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.status: Any = None

    def _stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def step(self, name: str, title: str) -> None:
        """A step starts."""
        self._stop()
        self.console.print(f"[bold]▸ {_escape(title)}[/]")

    def line(self, text: str) -> None:
        """A detail line."""
        self.console.print(f"  [dim]{_escape(text)}[/]")

    def waiting(self, what: str, elapsed_seconds: float) -> None:
        """Update the spinner."""
        text = f"{_escape(what)} [dim]({format_seconds(elapsed_seconds)})[/]"
        if self.status is None:
            self.status = self.console.status(text)
            self.status.start()
        else:
            self.status.update(text)

    def finished(self, record: StepRecord) -> None:
        """A step ended."""
        self._stop()
        mark = _MARKS.get(record.status, "?")
        self.console.print(
            f"  {mark} {_escape(record.summary)} [dim]({format_seconds(record.seconds)})[/]"
        )

    def close(self) -> None:
        """Stop the spinner."""
        self._stop()


def show_result(console: Any, result: DeployResult) -> None:
    """The closing summary: steps, images, migration log on failure, and the outcome."""
    from rich.table import Table

    console.print()
    table = Table(title=f"Deploy to stack {result.stack}", show_lines=False)
    for column in ("Step", "Result", "Time", "Summary"):
        table.add_column(column)
    for step in result.steps:
        table.add_row(step.name, _MARKS.get(step.status, step.status) + " " + step.status,
                      format_seconds(step.seconds), _escape(step.summary))  # fmt: skip
    console.print(table)
    if result.migration and result.migration.get("exitCode") not in (0, None):
        console.print("[bold]End of the migration task's log (CloudWatch):[/]")
        for line in result.migration.get("logTail", []):
            console.print(f"  | {_escape(str(line))}")
    style = {0: "green", 3: "yellow"}.get(result.exit_code, "red")
    console.print(f"[bold {style}]{_escape(result.message)}[/]")
    if result.exit_code not in (0,):
        console.print(
            f"[dim]exit code {result.exit_code}: {EXIT_CODES.get(result.exit_code, '')}[/]"
        )


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
