"""Policy configuration per stack profile: the production hardening is advisory in dev and
mandatory in prod.

The pack's own defaults are the dev behaviour: the hardening rules (customer-managed keys,
access logs, RDS monitoring, read-only filesystems, a year of logs) report as advisory,
because the dev profile deliberately skips what costs money. :data:`PROFILE_POLICY_CONFIG`
``["prod"]`` makes them mandatory, with the settings the prod profile meets (logs kept 365
days; the services whose images need a writable root listed as exceptions, from the
platform contract). The offline preview applies it when the stack's ``proliferate:profile``
is ``prod`` and no ``--policy-pack-config`` is given; for ``pulumi preview``, write it with
``proliferate-infra policy-pack config --profile prod``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..platform import PLATFORM_SERVICES

__all__ = ["HARDENING_RULES", "PROFILE_POLICY_CONFIG", "policy_config_for"]

HARDENING_RULES: tuple[str, ...] = (
    "proliferate-kms-key-rotation",
    "proliferate-logs-kms",
    "proliferate-ecr-kms",
    "proliferate-secretsmanager-kms",
    "proliferate-elasticache-kms",
    "proliferate-rds-kms",
    "proliferate-rds-performance-insights",
    "proliferate-rds-enhanced-monitoring",
    "proliferate-rds-query-logging",
    "proliferate-rds-iam-auth",
    "proliferate-rds-log-exports",
    "proliferate-elb-access-logs",
    "proliferate-ecs-readonly-root-filesystem",
)
"""The rules the prod profile turns from advisory to mandatory."""

WRITABLE_ROOT_EXCEPTIONS: tuple[str, ...] = tuple(
    name for name, svc in PLATFORM_SERVICES.items() if not svc.readonly_root
)
"""Containers that keep a writable root (docs/security.md says why, per service)."""

PROFILE_POLICY_CONFIG: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "dev": MappingProxyType({}),
        "prod": MappingProxyType(
            {
                **{rule: "mandatory" for rule in HARDENING_RULES},
                "proliferate-logs-retention": {
                    "enforcementLevel": "mandatory",
                    "minRetentionDays": 365,
                },
                "proliferate-ecs-readonly-root-filesystem": {
                    "enforcementLevel": "mandatory",
                    "allowedContainers": list(WRITABLE_ROOT_EXCEPTIONS),
                },
            }
        ),
    }
)
"""``--policy-pack-config`` content per profile (``{}``: the pack's defaults)."""


def policy_config_for(profile: str | None) -> dict[str, Any]:
    """The policy configuration of ``profile`` (``dev`` or ``prod``; anything else: the
    pack's defaults), as a fresh mutable dict."""
    return json.loads(json.dumps(dict(PROFILE_POLICY_CONFIG.get(profile or "dev", {}))))
