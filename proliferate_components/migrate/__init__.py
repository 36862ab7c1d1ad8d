"""Adopt a Terraform-managed Proliferate deployment with ``ProliferateStack``.

``proliferate-infra migrate terraform --state terraform.tfstate`` reads a Terraform state
(v4), maps each resource to the component child that takes it over, and writes an import
file for ``pulumi import --file``, the stack config, ``secrets.sh`` (the secret values,
0600) and a report of what adopts as is, with in-place changes, as a new revision, or not at
all (and the safe path then, as commands). ``proliferate-infra migrate resolve-rules`` fills
in the ids of inline security group rules. See docs/migrating-from-terraform.md.
"""

from __future__ import annotations

from .derive import DerivedConfig, derive_config
from .forcenew import PULUMI_TYPES, REPLACEMENT_PROPERTIES, ReplacementProperty, import_id
from .importfile import IMPORT_FILE_SCHEMA, build_import_file
from .plan import Difference, MigrationPlan, ResourcePlan, Status, plan_migration
from .report import OUTPUT_FILES, adoption_rate, plan_to_json, render_markdown, write_outputs
from .roles import component_roles, terraform_roles
from .ruleids import resolve_rule_ids
from .tfstate import STATE_VERSION, TfResource, TfState, load_state, parse_state

__all__ = [
    "IMPORT_FILE_SCHEMA",
    "OUTPUT_FILES",
    "PULUMI_TYPES",
    "REPLACEMENT_PROPERTIES",
    "STATE_VERSION",
    "DerivedConfig",
    "Difference",
    "MigrationPlan",
    "ReplacementProperty",
    "ResourcePlan",
    "Status",
    "TfResource",
    "TfState",
    "adoption_rate",
    "build_import_file",
    "component_roles",
    "derive_config",
    "import_id",
    "load_state",
    "parse_state",
    "plan_migration",
    "plan_to_json",
    "render_markdown",
    "resolve_rule_ids",
    "terraform_roles",
    "write_outputs",
]
