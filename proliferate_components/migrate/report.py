"""The migration report (Markdown and JSON) and the files ``migrate terraform`` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .importfile import build_import_file
from .plan import STATUS_LABELS, MigrationPlan, ResourcePlan, Status

__all__ = ["OUTPUT_FILES", "plan_to_json", "render_markdown", "write_outputs"]

OUTPUT_FILES: tuple[str, ...] = (
    "import.json",
    "config.json",
    "config.sh",
    "terraform-state-rm.sh",
    "report.md",
    "report.json",
)
"""The files :func:`write_outputs` writes into the output directory."""


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
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
                "stateValue": d.state_value,
                "componentValue": d.component_value,
                "forcesReplacement": d.forces_replacement,
            }
            for d in r.differences
        ],
        "reason": r.reason,
        "safePath": r.safe_path,
        "missingComponentInputs": list(r.missing_inputs),
    }


def plan_to_json(plan: MigrationPlan) -> dict[str, Any]:
    """The whole plan as JSON-ready data (``report.json``)."""
    counts = {s.value: len(plan.by_status(s)) for s in Status}
    return {
        "project": plan.project,
        "stack": plan.stack,
        "componentName": plan.component_name,
        "summary": counts,
        "config": plan.config.json_values(),
        "configSecretKeys": sorted(plan.config.secret_keys),
        "configSources": dict(plan.config.sources),
        "notes": list(plan.notes),
        "resources": [_resource_json(r) for r in plan.resources],
        "created": [{"role": role, "type": t, "logicalName": n} for role, t, n in plan.created],
        "missingComponentInputs": plan.missing_inputs,
    }


def render_markdown(plan: MigrationPlan) -> str:
    """The migration report as Markdown (``report.md``)."""
    lines: list[str] = [
        f"# Terraform -> Pulumi migration report ({plan.project}/{plan.stack})",
        "",
        f"Component: `ProliferateStack({plan.component_name!r})`.",
        "",
        "| Outcome | Resources |",
        "|---|---|",
    ]
    for s in Status:
        lines.append(f"| {STATUS_LABELS[s]} | {len(plan.by_status(s))} |")
    lines += ["", "Nothing is replaced silently: every property that differs is listed below.", ""]
    lines += ["## Stack config", "", "```sh", *plan.config.commands(plan.stack), "```", ""]
    if plan.notes:
        lines += ["Notes:", ""] + [f"- {n}" for n in plan.notes] + [""]
    sections = (
        (Status.ADOPT, "Adopted as is"),
        (Status.ADOPT_WITH_CHANGES, "Adopted with a config change"),
        (Status.BLOCKED, "Cannot be adopted safely"),
        (Status.NOT_ADOPTED, "Not adopted"),
    )
    for status, title in sections:
        items = plan.by_status(status)
        if not items:
            continue
        lines += [f"## {title} ({len(items)})", ""]
        for r in items:
            target = f" -> `{r.logical_name}` ({r.pulumi_type})" if r.logical_name else ""
            lines.append(f"### `{r.address}`{target}")
            lines.append("")
            if r.import_id:
                lines.append(f"- import id: `{r.import_id}`")
            if r.urn:
                lines.append(f"- URN: `{r.urn}`")
            lines.append(f"- {r.reason}")
            if r.differences:
                lines += [
                    "",
                    "| Property | Terraform state | Component input | Replaces |",
                    "|---|---|---|---|",
                ]
                for d in r.differences:
                    lines.append(
                        f"| `{d.property}` | `{_show(d.state_value)}` | `{_show(d.component_value)}` "
                        f"| {'**yes**' if d.forces_replacement else 'no'} |"
                    )
                lines.append("")
            if r.safe_path:
                lines.append(f"- Safe path: {r.safe_path}")
            if r.missing_inputs:
                lines.append(f"- Missing component input: {'; '.join(r.missing_inputs)}")
            lines.append("")
    if plan.created:
        lines += ["## Created new by the first `pulumi up`", ""]
        lines += [f"- `{n}` ({t})" for _role, t, n in plan.created]
        lines.append("")
    missing = plan.missing_inputs
    if missing:
        lines += ["## Component inputs that would allow a clean adoption", ""]
        for name, addresses in missing.items():
            lines.append(f"- {name}: {', '.join(f'`{a}`' for a in addresses)}")
        lines.append("")
    lines += [
        "## Next steps",
        "",
        "See docs/migrating-from-terraform.md. In short: `sh config.sh`; `pulumi import --file "
        "import.json --generate-code=false`; `pulumi preview --diff` must show no replacement; "
        "`pulumi up`; `sh terraform-state-rm.sh` in the Terraform directory; switch DNS; retire "
        "the rest with Terraform.",
        "",
    ]
    return "\n".join(lines)


def _state_rm_script(plan: MigrationPlan) -> str:
    lines = [
        "#!/bin/sh",
        "# Run in the Terraform directory AFTER `pulumi import` and a clean `pulumi up`:",
        "# from now on Pulumi alone manages these resources (Terraform forgets, AWS keeps them).",
        "set -eu",
    ]
    adopted = [r for r in plan.resources if r.adopted and r.inline_of is None]
    lines += [f"terraform state rm '{r.address}'" for r in adopted]
    inline = sorted({str(r.inline_of) for r in plan.resources if r.adopted and r.inline_of})
    lines += [f"# inline routes go with {address}" for address in inline]
    if not adopted:
        lines.append("# nothing adopted: nothing to remove")
    return "\n".join(lines) + "\n"


def write_outputs(plan: MigrationPlan, out_dir: str | Path) -> list[Path]:
    """Write :data:`OUTPUT_FILES` into ``out_dir`` (created if needed); return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    contents = {
        "import.json": json.dumps(build_import_file(plan), indent=2) + "\n",
        "config.json": json.dumps(plan.config.json_values(), indent=2, sort_keys=True) + "\n",
        "config.sh": "#!/bin/sh\nset -eu\n" + "\n".join(plan.config.commands(plan.stack)) + "\n",
        "terraform-state-rm.sh": _state_rm_script(plan),
        "report.md": render_markdown(plan),
        "report.json": json.dumps(plan_to_json(plan), indent=2, default=str) + "\n",
    }
    paths: list[Path] = []
    for name in OUTPUT_FILES:
        path = out / name
        path.write_text(contents[name], encoding="utf-8")
        paths.append(path)
    return paths
