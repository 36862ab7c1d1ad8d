"""The engine versions this library accepts for ElastiCache and RDS PostgreSQL: one table each.

Both the components (:class:`~proliferate_components.cache.RedisCacheArgs`,
:class:`~proliferate_components.database.PostgresDbArgs`) and the stack's config
(``proliferate:redisEngineVersion``, ``proliferate:dbEngineVersion``) check versions here, so
a version is refused with the same rule wherever it is given, before anything is registered.

Sources (checked 2026-11):

- ElastiCache: "Engine versions and upgrading in ElastiCache" and "Engine specific
  parameters" (docs.aws.amazon.com/AmazonElastiCache/latest/dg/): Redis OSS 7.0 and 7.1
  (family ``redis7``; 7.1 is the last Redis OSS release ElastiCache offers), Valkey 7.2
  (``valkey7``), 8.0, 8.1 and 8.2 (``valkey8``). Older Redis OSS majors (6.x and before) are
  left out on purpose: BullMQ needs Redis >= 6.2 and this library sets up TLS + AUTH the 7.x
  way; Valkey 9.x is left out until its parameter group family is confirmed.
- RDS PostgreSQL: the minor versions RDS has released per major, as listed by the AWS CDK
  (``PostgresEngineVersion`` in ``packages/aws-cdk-lib/aws-rds/lib/instance-engine.ts`` of
  aws/aws-cdk; RDS's first 15.x was 15.2). A version is a major alone (``"16"``: RDS picks
  the latest minor and ``auto_minor_version_upgrade`` keeps it current), or ``major.minor``
  with a minor RDS has released. A minor newer than this table is refused until the table is
  updated: give the major alone to get it. Retired minors stay accepted (an existing
  instance may still run one; RDS refuses to create new ones).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from .errors import ConfigError

__all__ = [
    "DEFAULT_ELASTICACHE_VERSIONS",
    "ELASTICACHE_VERSIONS",
    "POSTGRES_MINOR_VERSIONS",
    "elasticache_family",
    "elasticache_versions_text",
    "postgres_family",
    "postgres_versions_text",
]

ELASTICACHE_VERSIONS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "redis": MappingProxyType({"7.0": "redis7", "7.1": "redis7"}),
        "valkey": MappingProxyType(
            {"7.2": "valkey7", "8.0": "valkey8", "8.1": "valkey8", "8.2": "valkey8"}
        ),
    }
)
"""engine -> {``major.minor`` -> parameter group family}, every version accepted."""

DEFAULT_ELASTICACHE_VERSIONS: Mapping[str, str] = MappingProxyType(
    {"redis": "7.1", "valkey": "8.0"}
)
"""The version used when none is given, per engine."""

POSTGRES_MINOR_VERSIONS: Mapping[int, tuple[int, int]] = MappingProxyType(
    {14: (1, 22), 15: (2, 17), 16: (1, 13), 17: (1, 9)}
)
"""PostgreSQL major -> (first, latest) minor version RDS has released for it."""

_POSTGRES_VERSION = re.compile(r"^(?P<major>[1-9][0-9])(?:\.(?P<minor>0|[1-9][0-9]?))?$")


def elasticache_versions_text(engine: str | None = None) -> str:
    """The accepted versions as prose, e.g. ``redis 7.0 or 7.1; valkey 7.2, 8.0, 8.1 or 8.2``."""
    engines = [engine] if engine is not None and engine in ELASTICACHE_VERSIONS else []
    engines = engines or list(ELASTICACHE_VERSIONS)
    return "; ".join(f"{e} {_or(list(ELASTICACHE_VERSIONS[e]))}" for e in engines)


def postgres_versions_text() -> str:
    """The accepted versions as prose, e.g. ``14 (14.1 to 14.22), 15 (15.2 to 15.17), ...``."""
    return ", ".join(
        f"{major} ({major}.{first} to {major}.{last})"
        for major, (first, last) in POSTGRES_MINOR_VERSIONS.items()
    )


def elasticache_family(engine: str, version: str, *, key: str, engine_key: str) -> str:
    """The parameter group family of an ElastiCache engine version, e.g. ``redis7``.

    Args:
        engine: ``redis`` or ``valkey`` (checked by the caller).
        version: ``major.minor``.
        key: the name of the version in errors (``proliferate:redisEngineVersion``,
            ``RedisCacheArgs.engine_version``).
        engine_key: the name of the engine setting, for the message.

    Raises:
        ConfigError: on ``key`` for a version the engine does not offer.
    """
    versions = ELASTICACHE_VERSIONS.get(engine, {})
    family = versions.get(version) if isinstance(version, str) else None  # pyright: ignore[reportUnnecessaryIsInstance]
    if family is None:
        default = DEFAULT_ELASTICACHE_VERSIONS.get(engine)
        raise ConfigError(
            key,
            version,
            f"with {engine_key}={engine} one of {_or(list(versions))} (default {default}; "
            f"every engine: {elasticache_versions_text()})"
            if versions
            else f"a version of engine redis or valkey ({elasticache_versions_text()})",
        )
    return family


def postgres_family(version: str, *, key: str) -> str:
    """The RDS parameter group family of a PostgreSQL version, e.g. ``postgres16``.

    Raises:
        ConfigError: on ``key`` for anything but a major of :data:`POSTGRES_MINOR_VERSIONS`,
            alone or with a minor RDS has released.
    """
    match = _POSTGRES_VERSION.match(version) if isinstance(version, str) else None  # pyright: ignore[reportUnnecessaryIsInstance]
    major = int(match.group("major")) if match else 0
    if match is None or major not in POSTGRES_MINOR_VERSIONS:
        raise ConfigError(
            key,
            version,
            "a PostgreSQL major version "
            + _or([str(m) for m in POSTGRES_MINOR_VERSIONS])
            + " (RDS picks the latest minor), or major.minor such as 16.4",
        )
    minor = match.group("minor")
    first, last = POSTGRES_MINOR_VERSIONS[major]
    if minor is not None and not first <= int(minor) <= last:
        raise ConfigError(
            key,
            version,
            f"a minor RDS has released for PostgreSQL {major}, {major}.{first} to {major}.{last}, "
            f"or {major} alone (RDS picks the latest minor, including newer ones)",
        )
    return f"postgres{major}"


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
