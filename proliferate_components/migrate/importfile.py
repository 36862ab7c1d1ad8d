"""The import file for ``pulumi import --file`` and its JSON schema.

Format (``pulumi import --help``, Pulumi >= 3.94 for components and in-file parents)::

    {"nameTable": {"<name>": "<urn>", ...},            # optional
     "resources": [{"type": "<token>", "name": "<name>", "id": "<import id>",
                    "parent": "<name>", "provider": "<name>", "version": "<x.y.z>",
                    "pluginDownloadUrl": "<url>", "logicalName": "<logical name>",
                    "properties": ["<input>", ...], "component": false, "remote": false}]}

``name`` is the name of the entry inside the file (and of the variable in generated code);
``logicalName`` is the resource's logical name in the stack (URN); ``parent`` names another
entry of the file (or a ``nameTable`` entry). An entry with ``"component": true`` has no
``id`` and creates an empty component resource to parent the imported children, so every
child gets exactly the URN ``ProliferateStack`` gives it.
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Any

from .plan import MigrationPlan

__all__ = ["IMPORT_FILE_SCHEMA", "build_import_file", "entry_name"]

IMPORT_FILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "pulumi import --file",
    "type": "object",
    "additionalProperties": False,
    "required": ["resources"],
    "properties": {
        "nameTable": {
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": "^urn:pulumi:"},
        },
        "resources": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "name"],
                "properties": {
                    "type": {
                        "type": "string",
                        "pattern": r"^[A-Za-z0-9_-]+:[A-Za-z0-9_./-]*:[A-Za-z0-9_]+$",
                    },
                    "name": {"type": "string", "minLength": 1},
                    "id": {"type": "string", "minLength": 1},
                    "parent": {"type": "string", "minLength": 1},
                    "provider": {"type": "string", "minLength": 1},
                    "version": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+"},
                    "pluginDownloadUrl": {"type": "string"},
                    "logicalName": {"type": "string", "minLength": 1},
                    "properties": {"type": "array", "items": {"type": "string"}},
                    "component": {"type": "boolean"},
                    "remote": {"type": "boolean"},
                },
                "if": {"properties": {"component": {"const": True}}, "required": ["component"]},
                "then": {"not": {"required": ["id"]}},
                "else": {"required": ["id"]},
            },
        },
    },
}
"""JSON schema of the import file, written from the documented format (``pulumi import
--help``): ``type`` and ``name`` always; ``id`` for every resource to import and never for a
``component`` placeholder."""


def entry_name(logical_name: str) -> str:
    """The in-file (and generated-code variable) name of an entry: the logical name made an
    identifier, ``proliferate-network-vpc`` -> ``proliferate_network_vpc``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", logical_name)
    return name if not name[:1].isdigit() else f"r_{name}"


def _provider_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def build_import_file(plan: MigrationPlan) -> dict[str, Any]:
    """The ``pulumi import --file`` document for every adopted resource of ``plan``.

    Component ancestors come first as ``component`` placeholders (so ``pulumi import``
    creates them in the right nesting), then each adopted resource with its import id,
    logical name, parent and the pulumi-aws version of this environment (the provider the
    program will run with).
    """
    aws_version = _provider_version("pulumi_aws")
    resources: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    names: dict[tuple[str, str], str] = {}
    for r in plan.resources:
        if not r.adopted or r.pulumi_type is None or r.logical_name is None:
            continue
        parent_name: str | None = None
        for ptype, pname in r.parent_chain:
            key = (ptype, pname)
            if key not in seen:
                seen.add(key)
                names[key] = entry_name(pname)
                entry: dict[str, Any] = {
                    "type": ptype,
                    "name": names[key],
                    "logicalName": pname,
                    "component": True,
                }
                if parent_name is not None:
                    entry["parent"] = parent_name
                resources.append(entry)
            parent_name = names[key]
        item: dict[str, Any] = {
            "type": r.pulumi_type,
            "name": entry_name(r.logical_name),
            "id": r.import_id,
            "logicalName": r.logical_name,
        }
        if parent_name is not None:
            item["parent"] = parent_name
        if aws_version and r.pulumi_type.startswith("aws:"):
            item["version"] = aws_version
        resources.append(item)
    return {"resources": resources}
