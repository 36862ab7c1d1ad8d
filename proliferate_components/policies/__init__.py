"""CrossGuard rules for a self-hosted Proliferate stack, as a library of pure functions.

One module per AWS service (:mod:`.elasticache`, :mod:`.rds`, :mod:`.ec2`, :mod:`.ecs`,
:mod:`.ecr`, :mod:`.logs`, :mod:`.elb`, :mod:`.secretsmanager`) plus :mod:`.protection`
(Pulumi ``protect`` on data stores). Each rule is a :class:`ResourceRule` or
:class:`StackRule` with an id, description, severity, default enforcement level,
remediation hint, config schema with defaults and its cdk-nag/checkov equivalents.

:func:`~proliferate_components.policies.pack.build_pack` turns :data:`RULES` into a
``pulumi_policy.PolicyPack``; only a pack's ``__main__.py`` calls it (a PolicyPack serves
gRPC forever). Importing this package imports nothing but the standard library.
"""

from .catalog import RULES, catalog, get_rule, rules_markdown_table
from .rule import (
    ENFORCEMENT_LEVELS,
    ConfigProperty,
    Enforcement,
    Resource,
    ResourceRule,
    Rule,
    Severity,
    StackRule,
)

__all__ = [
    "ENFORCEMENT_LEVELS",
    "RULES",
    "ConfigProperty",
    "Enforcement",
    "Resource",
    "ResourceRule",
    "Rule",
    "Severity",
    "StackRule",
    "catalog",
    "get_rule",
    "rules_markdown_table",
]
