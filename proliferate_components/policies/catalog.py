"""Every rule of the library, and the catalog the docs table is generated from."""

from __future__ import annotations

from typing import Any

from . import ec2, ecr, ecs, elasticache, elb, kms, logs, protection, rds, secretsmanager
from .credentials import RULES as CREDENTIAL_RULES
from .rule import ResourceRule, Rule, StackRule
from .s3 import RULES as S3_RULES

RULES: tuple[ResourceRule | StackRule, ...] = (
    *elasticache.RULES,
    *rds.RULES,
    *protection.RULES,
    *ec2.RULES,
    *ecs.RULES,
    *ecr.RULES,
    *logs.RULES,
    *elb.RULES,
    *secretsmanager.RULES,
    *kms.RULES,
    *S3_RULES,
    *CREDENTIAL_RULES,
)
"""Every rule, grouped by service (the order of the pack and of the docs table)."""


def get_rule(rule_id: str) -> ResourceRule | StackRule:
    """The rule named ``rule_id``.

    Raises:
        KeyError: no such rule (the message lists the valid ids).
    """
    for r in RULES:
        if r.id == rule_id:
            return r
    raise KeyError(f"no policy named {rule_id!r}; valid: {', '.join(r.id for r in RULES)}")


def _equivalent(r: Rule, tool: str) -> str:
    return ", ".join(e.split(":", 1)[1] for e in r.equivalents if e.startswith(f"{tool}:"))


def catalog() -> list[dict[str, Any]]:
    """One plain dict per rule: id, service, kind, severity, enforcement, description,
    remediation, resource types, config schema with defaults and equivalent ids."""
    return [
        {
            "id": r.id,
            "service": r.service,
            "kind": r.kind,
            "severity": r.severity,
            "enforcement": r.enforcement,
            "description": r.description,
            "remediation": r.remediation,
            "resourceTypes": list(r.resource_types),
            "config": r.config_schema(),
            "equivalents": list(r.equivalents),
        }
        for r in RULES
    ]


def rules_markdown_table() -> str:
    """The catalog as a Markdown table (id, service, severity, default enforcement, config,
    cdk-nag and checkov equivalents), for the docs."""
    lines = [
        "| Policy | Service | Severity | Default | Config (default) | cdk-nag | checkov / other |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in RULES:
        cfg = ", ".join(f"`{k}` ({v!r})" for k, v in r.defaults().items()) or "-"
        other = ", ".join(e for e in r.equivalents if not e.startswith("cdk-nag:"))
        lines.append(
            f"| `{r.id}` | {r.service} | {r.severity} | {r.enforcement} | {cfg} | "
            f"{_equivalent(r, 'cdk-nag') or '-'} | {other or '-'} |"
        )
    return "\n".join(lines) + "\n"
