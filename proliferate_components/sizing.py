"""Pure validators for sizes, names and addresses that AWS would otherwise reject late.

Every function here is pure (no Pulumi, no AWS, no I/O) and raises
:class:`~proliferate_components.errors.ConfigError` naming the key it was given, showing
the rejected value and saying what would be accepted. Components and :class:`StackConfig`
call them before registering anything, so a bad value fails in seconds instead of half way
through a deployment.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from .errors import ConfigError

__all__ = [
    "CLOUDWATCH_LOG_RETENTION_DAYS",
    "FARGATE_CPU_MEMORY_MIB",
    "MAX_AZ_COUNT",
    "MAX_VPC_PREFIX",
    "MIN_AZ_COUNT",
    "MIN_VPC_PREFIX",
    "validate_az_count",
    "validate_cache_node_type",
    "validate_certificate_arn",
    "validate_choice",
    "validate_cidr_block",
    "validate_db_instance_class",
    "validate_domain_name",
    "validate_fargate_size",
    "validate_int_range",
    "validate_log_retention_days",
    "validate_region",
]


def _steps(start: int, stop: int, step: int) -> tuple[int, ...]:
    return tuple(range(start, stop + 1, step))


FARGATE_CPU_MEMORY_MIB: Mapping[int, tuple[int, ...]] = MappingProxyType(
    {
        256: (512, 1024, 2048),
        512: _steps(1024, 4096, 1024),
        1024: _steps(2048, 8192, 1024),
        2048: _steps(4096, 16384, 1024),
        4096: _steps(8192, 30720, 1024),
        8192: _steps(16384, 61440, 4096),
        16384: _steps(32768, 122880, 8192),
    }
)
"""Fargate task CPU units -> the memory sizes (MiB) AWS accepts with it (Linux tasks).

ECS only rejects other pairs when the task definition is registered, i.e. at deploy time.
"""

CLOUDWATCH_LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
    731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""Retention periods (days) CloudWatch Logs accepts for a log group (``0`` = never expire
is deliberately not offered: logs that never expire cost money forever)."""

MIN_AZ_COUNT = 2
"""Fewest availability zones a stack spreads over (RDS and ElastiCache subnet groups need 2)."""
MAX_AZ_COUNT = 6
"""Most availability zones a stack spreads over (us-east-1 has 6)."""
MIN_VPC_PREFIX = 16
"""Largest VPC AWS allows: a /16."""
MAX_VPC_PREFIX = 24
"""Smallest VPC this library accepts: a /24 (room for 2 subnets per AZ of at least /28)."""

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")
_SIZES = r"(nano|micro|small|medium|large|xlarge|[1-9][0-9]{0,2}xlarge|metal)"
_CACHE_NODE_RE = re.compile(rf"^cache\.[a-z]{{1,3}}[0-9]{{1,2}}[a-z]{{0,4}}\.{_SIZES}$")
_DB_CLASS_RE = re.compile(rf"^db\.[a-z]{{1,3}}[0-9]{{1,2}}[a-z]{{0,4}}\.{_SIZES}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$")
_ACM_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):acm:(?P<region>[a-z0-9-]+):"
    r"(?P<account>[0-9]{12}):certificate/(?P<id>[A-Za-z0-9-]{1,128})$"
)


def _listing(values: Iterable[object]) -> str:
    return ", ".join(str(v) for v in values)


def validate_fargate_size(cpu: int, memory_mib: int, *, cpu_key: str, memory_key: str) -> None:
    """Check a Fargate task CPU/memory pair against :data:`FARGATE_CPU_MEMORY_MIB`.

    Args:
        cpu: task CPU units (1024 = 1 vCPU).
        memory_mib: task memory in MiB.
        cpu_key: the name of the CPU setting, used in the error (e.g. ``proliferate:workerCpu``).
        memory_key: the name of the memory setting (e.g. ``proliferate:workerMemory``).

    Raises:
        ConfigError: on ``cpu_key`` if the CPU is not a Fargate size (listing the valid
            ones), else on ``memory_key`` naming both keys and listing the memory sizes
            valid with that CPU.
    """
    if isinstance(cpu, bool) or cpu not in FARGATE_CPU_MEMORY_MIB:
        raise ConfigError(
            cpu_key,
            cpu,
            f"Fargate task CPU units must be one of {_listing(FARGATE_CPU_MEMORY_MIB)}",
        )
    valid = FARGATE_CPU_MEMORY_MIB[cpu]
    if isinstance(memory_mib, bool) or memory_mib not in valid:
        raise ConfigError(
            memory_key,
            memory_mib,
            f"with {cpu_key}={cpu}, Fargate accepts {memory_key} (MiB) of {_listing(valid)}",
        )


def validate_cache_node_type(value: str, *, key: str) -> None:
    """Check the shape of an ElastiCache node type, ``cache.<family><generation>.<size>``.

    Accepts e.g. ``cache.t3.micro``, ``cache.t4g.small``, ``cache.r7g.large``,
    ``cache.m6g.xlarge``, ``cache.r6gd.2xlarge``. Only the shape is checked (whether a
    type exists in a region is AWS's answer to give).

    Raises:
        ConfigError: on ``key`` if the value does not have that shape.
    """
    if not isinstance(value, str) or not _CACHE_NODE_RE.match(value):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(
            key,
            value,
            "an ElastiCache node type shaped cache.<family><generation>.<size>, "
            "e.g. cache.t3.micro, cache.t4g.small, cache.r7g.large, cache.m6g.xlarge",
        )


def validate_db_instance_class(value: str, *, key: str) -> None:
    """Check the shape of an RDS instance class, ``db.<family><generation>.<size>``.

    Accepts e.g. ``db.t4g.micro``, ``db.t3.small``, ``db.r6g.large``, ``db.m7g.2xlarge``.
    ``db.serverless`` is Aurora-only and rejected (this library provisions RDS PostgreSQL).

    Raises:
        ConfigError: on ``key`` if the value does not have that shape.
    """
    if not isinstance(value, str) or not _DB_CLASS_RE.match(value):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(
            key,
            value,
            "an RDS instance class shaped db.<family><generation>.<size>, "
            "e.g. db.t4g.micro, db.t4g.small, db.r6g.large, db.m7g.xlarge",
        )


def validate_domain_name(value: str, *, key: str) -> None:
    """Check an RFC 1123 host name: at least two labels, no trailing dot.

    Labels are 1-63 letters, digits or hyphens, not starting or ending with a hyphen; the
    whole name is at most 253 characters; the last label is not all digits (an IP address
    is not a domain name). Wildcards, underscores, ``http://`` prefixes and paths are
    rejected. Case is not significant.

    Raises:
        ConfigError: on ``key`` saying which rule the value breaks.
    """
    rules = (
        "a domain name such as app.example.com: at least two dot-separated labels of "
        "letters, digits and hyphens (1-63 characters each, no leading or trailing hyphen), "
        "at most 253 characters, no trailing dot, no scheme or path"
    )
    if not isinstance(value, str) or not value:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(key, value, rules)
    if len(value) > 253:
        raise ConfigError(key, value, f"{rules} (this one is {len(value)} characters)")
    lowered = value.lower()
    if not _DOMAIN_RE.match(lowered):
        raise ConfigError(key, value, rules)
    if lowered.rsplit(".", 1)[-1].isdigit():
        raise ConfigError(key, value, f"{rules}; the last label must not be all digits")


def validate_cidr_block(value: str, *, key: str) -> None:
    """Check an IPv4 VPC network in CIDR notation with a prefix of /16 to /24.

    The host bits must be zero (``10.0.0.0/16``, not ``10.0.1.0/16``): the error suggests
    the network the value probably meant.

    Raises:
        ConfigError: on ``key`` if the value is not such a network.
    """
    valid = (
        f"an IPv4 network in CIDR notation with a prefix from /{MIN_VPC_PREFIX} to "
        f"/{MAX_VPC_PREFIX}, e.g. 10.0.0.0/16"
    )
    if not isinstance(value, str) or "/" not in value:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(key, value, valid)
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ConfigError(key, value, valid) from None
    if not MIN_VPC_PREFIX <= network.prefixlen <= MAX_VPC_PREFIX:
        why = (
            "AWS's largest VPC is a /16"
            if network.prefixlen < MIN_VPC_PREFIX
            else f"a VPC smaller than /{MAX_VPC_PREFIX} leaves no room for 2 subnets per AZ"
        )
        raise ConfigError(key, value, f"{valid} ({why})")
    if network.network_address != ipaddress.IPv4Address(value.split("/", 1)[0]):
        raise ConfigError(
            key, value, f"{valid}; the host bits must be zero: did you mean {network}?"
        )
    if str(network) != value:
        raise ConfigError(key, value, f"{valid}; write it in canonical form: {network}")


def validate_az_count(value: int, *, key: str) -> None:
    """Check an availability-zone count: an integer from 2 to 6.

    Raises:
        ConfigError: on ``key`` if the count is outside that range.
    """
    validate_int_range(
        value, key=key, minimum=MIN_AZ_COUNT, maximum=MAX_AZ_COUNT, what="availability zones"
    )


def validate_region(value: str, *, key: str) -> None:
    """Check the shape of an AWS region name such as ``us-east-1`` or ``eu-central-2``.

    Raises:
        ConfigError: on ``key`` if the value is not shaped like a region.
    """
    if not isinstance(value, str) or not _REGION_RE.match(value):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(
            key, value, "an AWS region name such as us-east-1, eu-west-1 or ap-southeast-2"
        )


def validate_certificate_arn(value: str, *, key: str, region: str | None = None) -> None:
    """Check an ACM certificate ARN, optionally that it lives in ``region``.

    Shape: ``arn:aws[-cn|-us-gov]:acm:<region>:<12-digit account>:certificate/<id>``. An
    Application Load Balancer can only use a certificate from its own region, so pass the
    stack's region to catch the common mistake of a us-east-1 (CloudFront) certificate.

    Raises:
        ConfigError: on ``key`` if the shape is wrong or the region differs.
    """
    shape = "an ACM certificate ARN, arn:aws:acm:<region>:<12-digit account id>:certificate/<id>"
    if not isinstance(value, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(key, value, shape)
    match = _ACM_ARN_RE.match(value)
    if not match:
        raise ConfigError(key, value, shape)
    if region is not None and match.group("region") != region:
        raise ConfigError(
            key,
            value,
            f"a certificate in the stack's region {region} (a load balancer cannot use a "
            f"certificate from {match.group('region')}); request or import one in {region}",
        )


def validate_int_range(
    value: int, *, key: str, minimum: int, maximum: int, what: str = "an integer"
) -> None:
    """Check that ``value`` is an integer (not a bool) from ``minimum`` to ``maximum``.

    Raises:
        ConfigError: on ``key`` stating the range.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(key, value, f"an integer from {minimum} to {maximum} ({what})")


def validate_choice(value: str, *, key: str, choices: Iterable[str]) -> None:
    """Check that ``value`` is one of ``choices`` (case-sensitive).

    Raises:
        ConfigError: on ``key`` listing the choices.
    """
    options = tuple(choices)
    if value not in options:
        raise ConfigError(key, value, f"one of {_listing(options)}")


def validate_log_retention_days(value: int, *, key: str) -> None:
    """Check a CloudWatch Logs retention period against :data:`CLOUDWATCH_LOG_RETENTION_DAYS`.

    Raises:
        ConfigError: on ``key`` listing the periods AWS accepts.
    """
    if isinstance(value, bool) or value not in CLOUDWATCH_LOG_RETENTION_DAYS:
        raise ConfigError(
            key,
            value,
            f"a CloudWatch Logs retention in days, one of {_listing(CLOUDWATCH_LOG_RETENTION_DAYS)}",
        )
