"""AWS naming rules for the explicit physical names the components accept.

The components normally let Pulumi generate physical names (``<logical name>-<random>``).
To adopt resources that already exist (see docs/migrating-from-terraform.md) they also
accept the existing names; each name is checked here against the AWS rules of its resource
type, so a typo fails with :class:`~proliferate_components.errors.ConfigError` before any
resource is registered instead of halfway through ``pulumi up``.

:data:`NAME_RULES` holds one :class:`NameRule` per kind of name; :func:`validate_name`
checks a value against one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .errors import ConfigError

__all__ = ["NAME_RULES", "NameRule", "validate_name"]


@dataclass(frozen=True)
class NameRule:
    """The AWS rule for one kind of name."""

    pattern: str
    """Regular expression the whole name must match."""
    min_length: int
    """Fewest characters."""
    max_length: int
    """Most characters."""
    valid: str
    """What is valid, for error messages."""
    forbidden_prefixes: tuple[str, ...] = ()
    """Prefixes AWS reserves (e.g. ``sg-`` for security group names)."""


_ELASTICACHE_ID = r"[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-)"
_SG_CHARS = r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]"

NAME_RULES: Mapping[str, NameRule] = MappingProxyType(
    {
        "ecs_cluster": NameRule(
            r"[A-Za-z0-9_-]+", 1, 255, "1 to 255 letters, digits, hyphens and underscores"
        ),
        "ecs_service": NameRule(
            r"[A-Za-z0-9_-]+", 1, 255, "1 to 255 letters, digits, hyphens and underscores"
        ),
        "ecr_repository": NameRule(
            r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
            2,
            256,
            "2 to 256 lower-case letters, digits and . _ - / (each part starting and ending "
            "with a letter or digit)",
        ),
        "log_group": NameRule(
            r"[A-Za-z0-9._/#-]+", 1, 512, "1 to 512 letters, digits and . _ - / #"
        ),
        "iam_role": NameRule(
            r"[A-Za-z0-9+=,.@_-]+", 1, 64, "1 to 64 letters, digits and + = , . @ _ -"
        ),
        "security_group": NameRule(
            _SG_CHARS + "+",
            1,
            255,
            "1 to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*, not starting with sg-",
            forbidden_prefixes=("sg-",),
        ),
        "security_group_description": NameRule(
            _SG_CHARS + "+",
            1,
            255,
            "1 to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
        ),
        "replication_group_id": NameRule(
            _ELASTICACHE_ID,
            1,
            40,
            "1 to 40 letters, digits and hyphens, starting with a letter, without two "
            "consecutive hyphens or a trailing hyphen",
        ),
        "cache_subnet_group": NameRule(
            r"[A-Za-z0-9-]+", 1, 255, "1 to 255 letters, digits and hyphens"
        ),
        "cache_parameter_group": NameRule(
            _ELASTICACHE_ID,
            1,
            255,
            "1 to 255 letters, digits and hyphens, starting with a letter, without two "
            "consecutive hyphens or a trailing hyphen",
        ),
        "cache_snapshot": NameRule(
            r"[A-Za-z0-9][A-Za-z0-9_.-]*",
            1,
            255,
            "1 to 255 letters, digits and . _ -, starting with a letter or digit",
        ),
        "description": NameRule(r"[^\x00-\x1f]+", 1, 255, "1 to 255 printable characters"),
        "load_balancer": NameRule(
            r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
            1,
            32,
            "1 to 32 letters, digits and hyphens, not starting or ending with a hyphen, not "
            "starting with internal-",
            forbidden_prefixes=("internal-",),
        ),
        "target_group": NameRule(
            r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
            1,
            32,
            "1 to 32 letters, digits and hyphens, not starting or ending with a hyphen",
        ),
        "task_family": NameRule(
            r"[A-Za-z0-9_-]+", 1, 255, "1 to 255 letters, digits, hyphens and underscores"
        ),
        "iam_policy": NameRule(
            r"[A-Za-z0-9+=,.@_-]+", 1, 128, "1 to 128 letters, digits and + = , . @ _ -"
        ),
        "db_instance": NameRule(
            r"[a-z](?:[a-z0-9]|-(?!-))*(?<!-)",
            1,
            63,
            "1 to 63 lower-case letters, digits and hyphens, starting with a letter, without "
            "two consecutive hyphens or a trailing hyphen",
        ),
        "db_name": NameRule(
            r"[a-z][a-z0-9_]*",
            1,
            63,
            "1 to 63 lower-case letters, digits and underscores, starting with a letter",
        ),
        "db_subnet_group": NameRule(
            r"[a-z0-9 ._-]+",
            1,
            255,
            "1 to 255 lower-case letters, digits, spaces and . _ -",
            forbidden_prefixes=("default",),
        ),
        "db_parameter_group": NameRule(
            r"[a-z](?:[a-z0-9]|-(?!-))*(?<!-)",
            1,
            255,
            "1 to 255 lower-case letters, digits and hyphens, starting with a letter, without "
            "two consecutive hyphens or a trailing hyphen",
        ),
    }
)
"""Kind of name -> its AWS rule (from each service's API reference: ``CreateCluster``,
``CreateService``, ``CreateRepository``, ``CreateLogGroup``, ``CreateRole``,
``CreateSecurityGroup``, ``CreateReplicationGroup``, ``CreateCacheSubnetGroup``,
``CreateCacheParameterGroup``, ``CreateSnapshot``, ``CreateLoadBalancer``,
``CreateTargetGroup``, ``RegisterTaskDefinition``, ``PutRolePolicy``, ``CreateDBInstance``,
``CreateDBSubnetGroup``, ``CreateDBParameterGroup``)."""


def validate_name(value: Any, *, kind: str, key: str) -> None:
    """Check ``value`` against the AWS rule ``NAME_RULES[kind]``.

    Raises:
        ConfigError: naming ``key`` when ``value`` is not a string or breaks the rule.
        KeyError: if ``kind`` is not in :data:`NAME_RULES` (a programming error).
    """
    rule = NAME_RULES[kind]
    if not isinstance(value, str):
        raise ConfigError(key, value, f"a string: {rule.valid}")
    if not rule.min_length <= len(value) <= rule.max_length:
        raise ConfigError(key, value, f"{rule.valid} ({len(value)} characters given)")
    if not re.fullmatch(rule.pattern, value):
        raise ConfigError(key, value, rule.valid)
    for prefix in rule.forbidden_prefixes:
        if value.lower().startswith(prefix):
            raise ConfigError(key, value, f"{rule.valid} (AWS reserves the prefix {prefix})")
