"""The migration report (Markdown and JSON) and the files ``migrate terraform`` writes.

Safety rules every output follows (issue 13):

- every word of a generated script comes from :func:`~.shell.quote`;
- no secret value from the state reaches a report, stdout or a file: values go through
  :func:`~.redact.redact`, and free text through a last scrub of the state's secret values
  (:func:`state_secrets`); the only exception is ``secrets.sh``, the input of
  ``pulumi config set --secret``;
- every file is written with mode 0600 (a directory created for them 0700), never through
  a symbolic link;
- stdout gets a bounded summary (:func:`summary_lines`); the table of every resource is in
  ``report.md``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from .forcenew import snake
from .importfile import build_import_file
from .plan import STATUS_LABELS, MigrationPlan, ResourcePlan, Status
from .redact import SENSITIVE_FIELD, looks_secret, redact, redact_text
from .shell import command
from .tfstate import TfState

__all__ = [
    "OUTPUT_FILES",
    "SUMMARY_LIMIT",
    "adoption_rate",
    "plan_to_json",
    "render_markdown",
    "state_secrets",
    "summary_lines",
    "write_outputs",
    "write_private",
]

OUTPUT_FILES: tuple[str, ...] = (
    "import.json",
    "config.json",
    "config.sh",
    "terraform-state-rm.sh",
    "report.md",
    "report.json",
)
"""The files :func:`write_outputs` always writes into the output directory."""

SUMMARY_LIMIT = 10
"""At most this many refused resources are named on stdout (the rest are in report.md)."""


def _walk_secrets(value: Any, field: str | None, sensitive: bool, out: set[str]) -> None:
    if field is not None and SENSITIVE_FIELD.search(field):
        sensitive = True
    if isinstance(value, Mapping):
        for k, v in cast("Mapping[str, Any]", value).items():
            if sensitive and k == "name":
                continue  # the names in an ECS environment list are not secret
            _walk_secrets(v, str(k), sensitive, out)
        return
    if isinstance(value, (list, tuple)):
        for v in cast("list[Any]", value):
            _walk_secrets(v, None, sensitive, out)
        return
    if not isinstance(value, str):
        return
    text = value.strip()
    if text[:1] in ("[", "{"):
        try:
            _walk_secrets(json.loads(text), None, sensitive, out)
            return
        except json.JSONDecodeError:
            pass
    if (sensitive and len(value) >= 8) or looks_secret(value):
        out.add(value)


def state_secrets(state: TfState) -> set[str]:
    """Every secret value of ``state``: the values of sensitive fields (8+ characters) and
    the values that look like secrets, minus the ids, names and ARNs of its resources."""
    found: set[str] = set()
    identifiers: set[str] = set()
    for res in state.resources:
        _walk_secrets(res.attributes, None, False, found)
        for key in ("id", "arn", "name"):
            identifiers.add(str(res.attributes.get(key) or ""))
    return found - identifiers


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = text.replace("|", "\\|").replace("`", "'").replace("\n", " ")
    return text if len(text) <= 120 else text[:117] + "..."


def _resource_json(r: ResourcePlan) -> dict[str, Any]:
    return {
        "address": r.address,
        "inlineOf": r.inline_of,
        "terraformType": r.tf_type,
        "terraformId": r.tf_id,
        "status": r.status.value,
        "statusLabel": STATUS_LABELS[r.status],
        "role": r.role,
        "pulumiType": r.pulumi_type,
        "logicalName": r.logical_name,
        "urn": r.urn,
        "importId": r.import_id,
        "differences": [
            {
                "property": d.property,
                "stateValue": redact(d.state_value, snake(d.property)),
                "componentValue": redact(d.component_value, snake(d.property)),
                "forcesReplacement": d.forces_replacement,
            }
            for d in r.differences
        ],
        "unknown": list(r.unknown),
        "decidedBy": r.decided_by,
        "reason": r.reason,
        "safePath": r.safe_path,
        "commands": list(r.commands),
        "missingComponentInputs": list(r.missing_inputs),
    }


def adoption_rate(plan: MigrationPlan) -> tuple[int, int]:
    """(adopted, considered): resources that adopt (imported, or continued as a new revision)
    out of every resource that is the platform's (``not ours`` left out)."""
    ours = [r for r in plan.resources if r.status is not Status.NOT_OURS]
    return sum(1 for r in ours if r.counts_adopted), len(ours)


def plan_to_json(plan: MigrationPlan) -> dict[str, Any]:
    """The whole plan as JSON-ready data (``report.json``), secret values redacted."""
    counts = {s.value: len(plan.by_status(s)) for s in Status}
    adopted, considered = adoption_rate(plan)
    return {
        "project": plan.project,
        "stack": plan.stack,
        "componentName": plan.component_name,
        "summary": counts,
        "adoption": {"adopted": adopted, "considered": considered},
        "config": redact(plan.config.json_values()),
        "configSecretKeys": sorted(plan.config.secret_keys),
        "configSources": dict(plan.config.sources),
        "notes": list(plan.notes),
        "resources": [_resource_json(r) for r in plan.resources],
        "created": [{"role": role, "type": t, "logicalName": n} for role, t, n in plan.created],
        "missingComponentInputs": plan.missing_inputs,
        "secretValues": [
            {"configKey": k, "source": s} for k, s in sorted(plan.secret_sources.items())
        ],
    }


def _table(plan: MigrationPlan) -> list[str]:
    lines = [
        "| Terraform address | Outcome | Pulumi child | Decided by | Why |",
        "|---|---|---|---|---|",
    ]
    for r in plan.resources:
        lines.append(
            f"| `{_show(r.address)}` | {STATUS_LABELS[r.status]} | "
            f"{'`' + r.logical_name + '`' if r.logical_name else '-'} | "
            f"{'`' + r.decided_by + '`' if r.decided_by else '-'} | {_show(r.reason)} |"
        )
    return lines


def render_markdown(plan: MigrationPlan) -> str:
    """The migration report as Markdown (``report.md``), secret values redacted."""
    lines = [
        *_md_summary(plan),
        *_md_config(plan),
        *["## Every resource", "", *_table(plan), ""],
        *_md_outcomes(plan),
        *_md_created(plan),
        *_md_missing_inputs(plan),
        *_md_next_steps(plan),
    ]
    return "\n".join(lines)


_SECTIONS: tuple[tuple[Status, str], ...] = (
    (Status.ADOPT, "Adopted as is"),
    (Status.ADOPT_WITH_CHANGES, "Adopted with a config change"),
    (Status.NEW_REVISION, "Continued as a new revision"),
    (Status.BLOCKED, "Cannot be adopted safely"),
    (Status.SUPERSEDED, "Retired with Terraform (the components do its job)"),
    (Status.NOT_ADOPTED, "Not adopted"),
    (Status.NOT_OURS, "Not ours (left in Terraform)"),
)
"""The report's section per outcome, in the order they appear."""


def _md_summary(plan: MigrationPlan) -> list[str]:
    """Title, component, adoption rate and the count of every outcome."""
    adopted, considered = adoption_rate(plan)
    lines: list[str] = [
        f"# Terraform -> Pulumi migration report ({plan.project}/{plan.stack})",
        "",
        f"Component: `ProliferateStack({plan.component_name!r})`.",
        "",
        f"Adopted: **{adopted} of {considered}** resources of the platform"
        + (f" ({100 * adopted / considered:.0f} %)" if considered else "")
        + "; resources of other applications are left in Terraform.",
        "",
        "| Outcome | Resources |",
        "|---|---|",
    ]
    for s in Status:
        lines.append(f"| {STATUS_LABELS[s]} | {len(plan.by_status(s))} |")
    lines += ["", "Nothing is replaced silently: every property that differs is listed below.", ""]
    return lines


def _md_config(plan: MigrationPlan) -> list[str]:
    """The stack config commands, the secret values ``secrets.sh`` carries, the notes."""
    lines = ["## Stack config", "", "```sh", *plan.config.commands(plan.stack), "```", ""]
    if plan.secret_sources:
        lines += [
            "## Secret values",
            "",
            "`secrets.sh` (mode 0600) sets each of these as secret config, reading the value "
            "from where it is now without printing it: run it once, then delete it.",
            "",
        ]
        lines += [f"- `{k}` <- {s}" for k, s in sorted(plan.secret_sources.items())]
        lines.append("")
    if plan.notes:
        lines += ["Notes:", ""] + [f"- {n}" for n in plan.notes] + [""]
    return lines


def _md_outcomes(plan: MigrationPlan) -> list[str]:
    """One section per outcome that has resources: each resource in detail (``not ours``:
    one line each)."""
    lines: list[str] = []
    for status, title in _SECTIONS:
        items = plan.by_status(status)
        if not items:
            continue
        lines += [f"## {title} ({len(items)})", ""]
        if status is Status.NOT_OURS:
            lines += [f"- `{_show(r.address)}`: {r.reason}" for r in items]
            lines.append("")
            continue
        for r in items:
            lines += _md_resource(r)
    return lines


def _md_resource(r: ResourcePlan) -> list[str]:
    """One resource's outcome: its target, ids, reason, differences and safe path."""
    target = f" -> `{r.logical_name}` ({r.pulumi_type})" if r.logical_name else ""
    lines = [f"### `{_show(r.address)}`{target}", ""]
    if r.import_id:
        lines.append(f"- import id: `{r.import_id}`")
    if r.urn:
        lines.append(f"- URN: `{r.urn}`")
    lines.append(f"- {r.reason}")
    if r.unknown:
        lines.append(
            "- not in the state (unknown; `pulumi preview` after the import shows it): "
            + ", ".join(f"`{u}`" for u in r.unknown)
        )
    if r.differences:
        lines += _md_differences(r)
    if r.safe_path:
        lines.append(f"- Safe path: {r.safe_path}")
    if r.commands:
        lines += ["", "```sh", *r.commands, "```"]
    if r.missing_inputs:
        lines.append(f"- Missing component input: {'; '.join(r.missing_inputs)}")
    lines.append("")
    return lines


def _md_differences(r: ResourcePlan) -> list[str]:
    """The table of the properties where the state and the component differ (redacted)."""
    lines = [
        "",
        "| Property | Terraform state | Component input | Replaces |",
        "|---|---|---|---|",
    ]
    for d in r.differences:
        field = snake(d.property)
        lines.append(
            f"| `{d.property}` | `{_show(redact(d.state_value, field))}` "
            f"| `{_show(redact(d.component_value, field))}` "
            f"| {'**yes**' if d.forces_replacement else 'no'} |"
        )
    lines.append("")
    return lines


def _md_created(plan: MigrationPlan) -> list[str]:
    """What the first ``pulumi up`` creates new."""
    if not plan.created:
        return []
    return [
        "## Created new by the first `pulumi up`",
        "",
        *[f"- `{n}` ({t})" for _role, t, n in plan.created],
        "",
    ]


def _md_missing_inputs(plan: MigrationPlan) -> list[str]:
    """The component inputs that would allow a clean adoption, with the resources needing each."""
    missing = plan.missing_inputs
    if not missing:
        return []
    lines = ["## Component inputs that would allow a clean adoption", ""]
    for name, addresses in missing.items():
        lines.append(f"- {name}: {', '.join(f'`{_show(a)}`' for a in addresses)}")
    lines.append("")
    return lines


def _md_next_steps(plan: MigrationPlan) -> list[str]:
    """The steps after the report, in order (with ``secrets.sh`` and ``resolve-rules`` when
    this plan needs them)."""
    return [
        "## Next steps",
        "",
        "See docs/migrating-from-terraform.md. In short: `sh config.sh`"
        + (" and `sh secrets.sh`" if plan.secret_sources else "")
        + (
            "; `proliferate-infra migrate resolve-rules --out <this directory>` (fills the "
            "ids of inline security group rules into import.json)"
            if plan.needs_rule_ids
            else ""
        )
        + "; `pulumi import --file import.json --generate-code=false`; `pulumi preview --diff` "
        "must show no replacement; `pulumi up`; `sh terraform-state-rm.sh` in the Terraform "
        "directory; switch DNS; retire the rest with Terraform.",
        "",
    ]


def summary_lines(plan: MigrationPlan, paths: Iterable[Path], out: Path) -> list[str]:
    """What ``migrate terraform`` prints: counts, the adoption rate, at most
    :data:`SUMMARY_LIMIT` refused resources, and where the full report is (plain text)."""
    adopted, considered = adoption_rate(plan)
    lines = [
        f"Terraform -> Pulumi ({plan.project}/{plan.stack}): {len(plan.resources)} resources, "
        f"{adopted} of {considered} of the platform's adopted"
        + (f" ({100 * adopted / considered:.0f} %)" if considered else ""),
    ]
    lines += [f"  {len(plan.by_status(s)):>5}  {STATUS_LABELS[s]}" for s in Status]
    blocked = plan.by_status(Status.BLOCKED)
    if blocked:
        lines.append("Cannot be adopted safely (safe path and commands in report.md):")
        for r in blocked[:SUMMARY_LIMIT]:
            reason = r.reason if len(r.reason) <= 100 else r.reason[:97] + "..."
            lines.append(f"  - {_show(r.address)}: {reason}")
        if len(blocked) > SUMMARY_LIMIT:
            lines.append(f"  ... and {len(blocked) - SUMMARY_LIMIT} more in report.md")
    missing = plan.missing_inputs
    if missing:
        lines.append(f"{len(missing)} component inputs would allow a cleaner adoption (report.md)")
    if plan.secret_sources:
        lines.append(
            f"{len(plan.secret_sources)} secret values to carry over: run secrets.sh (0600), "
            "then delete it"
        )
    names = [p.name for p in paths]
    lines.append(f"Wrote {len(names)} files to {out}: {', '.join(names)}")
    lines.append(f"Full table of every resource: {out / 'report.md'}")
    return lines


def _state_rm_script(plan: MigrationPlan) -> str:
    lines = [
        "#!/bin/sh",
        "# Run in the Terraform directory AFTER `pulumi import` and a clean `pulumi up`:",
        "# from now on Pulumi alone manages these resources (Terraform forgets, AWS keeps them).",
        "set -eu",
    ]
    handed_over = [r for r in plan.resources if r.leaves_terraform and r.inline_of is None]
    lines += [command(["terraform", "state", "rm", r.address]) for r in handed_over]
    inline = sorted({str(r.inline_of) for r in plan.resources if r.adopted and r.inline_of})
    lines += [f"# inline blocks go with {_comment(address)}" for address in inline]
    if not handed_over:
        lines.append("# nothing adopted: nothing to remove")
    return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    return text.replace("\n", " ").replace("\r", " ")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (narrowing an existing file), never through
    a symbolic link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = -1
            handle.write(text)
    finally:
        if fd >= 0:
            os.close(fd)


def write_outputs(
    plan: MigrationPlan, out_dir: str | Path, *, secrets: set[str] | None = None
) -> list[Path]:
    """Write :data:`OUTPUT_FILES` (plus ``secrets.sh`` when secret values are carried over)
    into ``out_dir`` (created 0700 if needed), each with mode 0600; return their paths.
    ``secrets``: the state's secret values (:func:`state_secrets`), when already known."""
    out = Path(out_dir)
    if not out.exists():
        out.mkdir(parents=True, mode=0o700)
        out.chmod(0o700)
    if secrets is None:
        secrets = state_secrets(plan.state)
    contents = {
        "import.json": json.dumps(build_import_file(plan), indent=2) + "\n",
        "config.json": json.dumps(redact(plan.config.json_values()), indent=2, sort_keys=True)
        + "\n",
        "config.sh": "#!/bin/sh\nset -eu\n" + "\n".join(plan.config.commands(plan.stack)) + "\n",
        "terraform-state-rm.sh": _state_rm_script(plan),
        "report.md": redact_text(render_markdown(plan), secrets),
        "report.json": redact_text(
            json.dumps(plan_to_json(plan), indent=2, default=str) + "\n", secrets
        ),
    }
    names = list(OUTPUT_FILES)
    if plan.secret_sources:
        contents["secrets.sh"] = plan.secrets_script
        names.append("secrets.sh")
    paths: list[Path] = []
    for name in names:
        path = out / name
        write_private(path, contents[name])
        paths.append(path)
    return paths
