"""``proliferate-infra init-ci``: copy the GitHub Actions workflow templates into a repository.

Writes ``pulumi-preview.yml`` (offline preview for every pull request, forks included; preview
+ policy pack + PR comment for the repository's own) and ``pulumi-deploy.yml`` (on main:
``proliferate-infra deploy`` when the application changed, ``pulumi up`` when only the program
did) into ``.github/workflows/``, rewritten for the program's directory and stack. Existing files are never overwritten without ``--force``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError
from ..templates import (
    DEFAULT_STACK,
    DEFAULT_WORK_DIR,
    WORKFLOW_TEMPLATES,
    render_workflow,
)


def write_workflows(
    dest: Path,
    *,
    work_dir: str = DEFAULT_WORK_DIR,
    stack: str = DEFAULT_STACK,
    force: bool = False,
) -> list[Path]:
    """Write every workflow template into ``dest`` for ``work_dir`` and ``stack``; return the paths.

    All templates are rendered and every target is checked before the first file is written,
    so a refusal (``ConfigError``: an invalid option, or an existing file without ``force``)
    leaves the repository untouched.
    """
    rendered = {
        name: render_workflow(name, work_dir=work_dir, stack=stack) for name in WORKFLOW_TEMPLATES
    }
    if dest.exists() and not dest.is_dir():
        raise ConfigError("--dir", str(dest), "a directory path (this is an existing file)")
    existing = [dest / name for name in rendered if (dest / name).exists()]
    if existing and not force:
        raise ConfigError(
            "--dir",
            str(dest),
            f"a directory without {', '.join(p.name for p in existing)}; "
            "pass --force to overwrite them",
        )
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, text in rendered.items():
        target = dest / name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def _run(args: argparse.Namespace) -> int:
    written = write_workflows(
        Path(args.dir), work_dir=args.work_dir, stack=args.stack, force=bool(args.force)
    )
    for path in written:
        print(f"wrote {path}")
    print(
        "next: set the repository variables AWS_REGION, AWS_PREVIEW_ROLE_ARN, "
        "PULUMI_BACKEND_URL and the environments 'preview' and 'production' "
        "(see the comment at the top of each file)"
    )
    return 0


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],  # pyright: ignore[reportPrivateUsage]
) -> argparse.ArgumentParser:
    """Add the ``init-ci`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "init-ci",
        help="write GitHub Actions workflows: preview on pull requests, deploy on main",
        description=(
            "Write pulumi-preview.yml (pull requests: an offline preview, forks included, and "
            "a preview with the policy pack and a PR comment) and pulumi-deploy.yml (main: "
            "build, push and roll out the commit with proliferate-infra deploy; pulumi up "
            "when only the program changed) into .github/workflows/."
        ),
    )
    parser.add_argument(
        "--dir",
        default=".github/workflows",
        help="where to write the workflows (default: .github/workflows)",
    )
    parser.add_argument(
        "--work-dir",
        default=DEFAULT_WORK_DIR,
        help=f"the Pulumi program's directory in the repository (default: {DEFAULT_WORK_DIR})",
    )
    parser.add_argument(
        "--stack",
        default=DEFAULT_STACK,
        help=f"the stack to preview and deploy (default: {DEFAULT_STACK})",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing workflow files")
    parser.set_defaults(handler=_run)
    return parser
