"""GitHub Actions workflow templates shipped in the wheel, for users to copy into their repository.

The files in ``templates/github/`` are complete, linted workflows for a Pulumi program in
``infra/pulumi`` deploying stack ``prod`` (the layout of the spec's Phase 4). ``render_workflow``
rewrites those two values; ``proliferate-infra init-ci`` writes the result to disk.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from ..errors import ConfigError

TEMPLATES_DIR = Path(__file__).resolve().parent
"""The templates directory inside the installed package."""

DEFAULT_WORK_DIR = "infra/pulumi"
"""Where the templates expect the Pulumi program (the spec's repository layout)."""

DEFAULT_STACK = "prod"
"""The stack the templates preview and deploy."""

WORKFLOW_TEMPLATES: tuple[str, ...] = ("pulumi-preview.yml", "pulumi-deploy.yml")
"""File names of the shipped workflow templates, in ``templates/github/``."""

_STACK_RE = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}")
_WORK_DIR_PART_RE = re.compile(r"[A-Za-z0-9_.-]+")


def template_text(name: str) -> str:
    """Return the text of the shipped workflow template ``name`` (one of ``WORKFLOW_TEMPLATES``)."""
    if name not in WORKFLOW_TEMPLATES:
        raise ConfigError("template", name, f"one of {', '.join(WORKFLOW_TEMPLATES)}")
    return (TEMPLATES_DIR / "github" / name).read_text(encoding="utf-8")


def validate_work_dir(work_dir: str) -> str:
    """Check ``work_dir`` is a plain relative path inside the repository; return it normalised.

    Only letters, digits, ``_``, ``.`` and ``-`` are allowed in each part, so the value can be
    placed in a workflow's YAML and path filters verbatim.
    """
    parts = PurePosixPath(work_dir.strip()).parts
    if (
        not parts
        or work_dir.startswith("/")
        or any(p in (".", "..") or not _WORK_DIR_PART_RE.fullmatch(p) for p in parts)
    ):
        raise ConfigError(
            "--work-dir",
            work_dir,
            "a relative path inside the repository such as infra/pulumi "
            "(letters, digits, '_', '.', '-' separated by '/'; no '..')",
        )
    return "/".join(parts)


def validate_stack_name(stack: str) -> str:
    """Check ``stack`` is a Pulumi stack name (``stack``, ``org/stack`` or ``org/project/stack``)."""
    if not _STACK_RE.fullmatch(stack):
        raise ConfigError(
            "--stack",
            stack,
            "a Pulumi stack name: letters, digits, '_', '.', '-', optionally qualified as "
            "org/stack or org/project/stack",
        )
    return stack


def render_workflow(
    name: str, *, work_dir: str = DEFAULT_WORK_DIR, stack: str = DEFAULT_STACK
) -> str:
    """Return template ``name`` rewritten for a program in ``work_dir`` deploying ``stack``.

    Both values are validated first (``ConfigError`` names the option). With the defaults the
    template is returned unchanged.
    """
    work_dir = validate_work_dir(work_dir)
    stack = validate_stack_name(stack)
    text = template_text(name)
    text = text.replace(DEFAULT_WORK_DIR, work_dir)
    slug = re.sub(r"[^A-Za-z0-9_-]", "-", stack)
    replacements = (
        ("stack-name: prod\n", f"stack-name: {stack}\n"),
        ("PULUMI_STACK: prod\n", f"PULUMI_STACK: {stack}\n"),
        ("(prod)\n", f"({stack})\n"),
        ("pulumi-deploy-prod\n", f"pulumi-deploy-{slug}\n"),
        ('deploys stack "prod"', f'deploys stack "{stack}"'),
    )
    for old, new in replacements:
        text = text.replace(old, new)
    return text
