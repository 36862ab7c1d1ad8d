"""Independent checks of a migration's output, shared by the migration tests.

:func:`replacement_mismatches` re-runs the stack under the derived config with mocks that
answer every imported resource as Pulumi would after ``pulumi import`` (the state's id and
attributes), then compares, for every imported resource, the state's value of each
replacement-forcing property with the input the component registers. It uses its own small
normaliser (not the migration's) so a bug there cannot hide a difference.
"""

from __future__ import annotations

import json
from typing import Any

from proliferate_components.migrate import REPLACEMENT_PROPERTIES, MigrationPlan
from proliferate_components.migrate.importfile import build_import_file
from proliferate_components.migrate.plan import stack_program, urn_of
from proliferate_components.migrate.roles import component_roles
from proliferate_components.migrate.tfstate import TfState
from proliferate_components.testing import OfflineMocks, capture


def _canon(value: Any) -> Any:
    """Floats that are integers -> int; "true"/"false" -> bool; JSON text -> parsed; blocks
    [{}] -> {}; keys snake_case; empty -> None."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value == int(value):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value in ("true", "false"):  # booleans the AWS provider stores as strings
            return value == "true"
        if value and value[0] in "[{":  # ("" is in every string: test the first character)
            try:
                return _canon(json.loads(value))
            except ValueError:
                return value
        return value if value else None
    if isinstance(value, dict):
        out = {
            "".join("_" + c.lower() if c.isupper() else c for c in k): _canon(v)
            for k, v in value.items()
        }
        out = {k: v for k, v in out.items() if v is not None}
        return out or None
    if isinstance(value, list):
        items = [_canon(v) for v in value if _canon(v) is not None]
        if len(items) == 1 and isinstance(items[0], dict):
            return items[0]
        return sorted(items, key=repr) if items else None
    return value


class _ImportedMocks(OfflineMocks):
    def __init__(
        self,
        region: str,
        zones: list[str],
        answers: dict[tuple[str, str], tuple[str, dict[str, Any]]],
    ) -> None:
        super().__init__(region=region, availability_zones=zones)
        self.answers = answers

    def new_resource(self, args: Any) -> tuple[str | None, dict[str, Any]]:  # type: ignore[override]
        rid, outputs = super().new_resource(args)
        if (args.typ, args.name) in self.answers:
            real, attrs = self.answers[(args.typ, args.name)]
            return real, {**outputs, **attrs}
        return rid, outputs


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def replacement_mismatches(plan: MigrationPlan, state: TfState) -> list[str]:
    """Every (address, property, state value, component input) that would replace an
    imported resource, plus any imported resource whose URN or parent does not match."""
    imported = {r.address: r for r in plan.resources if r.adopted}
    entries = [e for e in build_import_file(plan)["resources"] if not e.get("component")]
    answers: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for r in imported.values():
        res = state.by_address(r.address)
        attrs = {
            _camel(k): v
            for k, v in res.attributes.items()
            if isinstance(v, (str, int, float, bool)) and v != "" and k != "id"
        }
        real = r.import_id if "security_group" in res.type and res.type.endswith("rule") else res.id
        assert r.pulumi_type is not None and r.logical_name is not None
        answers[(r.pulumi_type, r.logical_name)] = (str(real), attrs)
    config = plan.config.stack_config()
    zones = list(plan.config.availability_zones) + [
        f"{config.region}{c}"
        for c in "abcdef"
        if f"{config.region}{c}" not in plan.config.availability_zones
    ]
    cap = capture(
        stack_program(config, plan.component_name),
        config=dict(plan.config.values),
        project=plan.project,
        stack=plan.stack,
        mocks=_ImportedMocks(config.region, zones, answers),
    )
    children = {
        (c.registration.type, c.registration.name): c
        for c in component_roles(cap, plan.component_name).values()
    }
    problems: list[str] = []
    by_name = {e["logicalName"]: e for e in entries}
    for r in imported.values():
        key = (r.pulumi_type or "", r.logical_name or "")
        child = children.get(key)
        if child is None:
            problems.append(f"{r.address}: the program registers no {key}")
            continue
        if urn_of(child, stack=plan.stack, project=plan.project) != r.urn:
            problems.append(f"{r.address}: URN {r.urn} is not the program's")
        entry = by_name.get(r.logical_name or "")
        if entry is None or entry["id"] != r.import_id or entry["type"] != r.pulumi_type:
            problems.append(f"{r.address}: import entry {entry} does not match")
        res = state.by_address(r.address)
        for prop in REPLACEMENT_PROPERTIES[child.registration.type]:
            state_value = res.attributes.get(prop.tf_attribute)
            if prop.pulumi_input in child.registration.inputs:
                component = child.registration.input(prop.pulumi_input)
            elif prop.computed:
                continue  # unset: the provider keeps what AWS chose
            elif prop.autonamed:
                problems.append(f"{r.address}: {prop.pulumi_input} would be auto-named")
                continue
            else:
                component = prop.default
            if _canon(state_value) is None and prop.default is not None:
                state_value = prop.default
            if _canon(state_value) != _canon(component):
                problems.append(
                    f"{r.address}: {prop.pulumi_input} state={state_value!r} component={component!r}"
                )
    return problems
