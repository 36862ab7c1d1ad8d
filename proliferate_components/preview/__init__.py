"""Offline preview: run a Pulumi Python project under mocks and check it with a policy pack.

The pieces behind ``proliferate-infra preview --offline``:

* :mod:`.project` - load ``Pulumi.yaml`` and resolve a stack's config as the Pulumi CLI would;
* :mod:`.runner` - :func:`run_preview` (program under mocks, then the CrossGuard pack through
  the Analyzer protocol);
* :mod:`.export` - the stable, secret-free JSON document and its JSON Schema;
* :mod:`.diagram` - a Mermaid architecture diagram derived from the registrations;
* :mod:`.report` - the console report (uses ``rich``, imported lazily).

Importing this package is cheap: Pulumi is imported when a preview runs.
"""

from .diagram import render_mermaid, write_diagram
from .export import SCHEMA_PATH, UNKNOWN_MARKER, Redactor, load_schema, preview_document, write_json
from .project import (
    ConfigDeclaration,
    ProjectFileError,
    PulumiProject,
    ResolvedConfig,
    load_project,
)
from .runner import (
    PreviewResult,
    ProgramError,
    bundled_example_dir,
    load_policy_pack_config,
    run_preview,
)

__all__ = [
    "SCHEMA_PATH",
    "UNKNOWN_MARKER",
    "ConfigDeclaration",
    "PreviewResult",
    "ProgramError",
    "ProjectFileError",
    "PulumiProject",
    "Redactor",
    "ResolvedConfig",
    "bundled_example_dir",
    "load_policy_pack_config",
    "load_project",
    "load_schema",
    "preview_document",
    "render_mermaid",
    "run_preview",
    "write_diagram",
    "write_json",
]
