"""Small helpers shared by the data-tier components (network, cache, database).

Private to the package: names, tags, windows and list checks that several components need
and that must behave identically in all of them. Everything here is pure except
:func:`child_opts`, which only builds a :class:`pulumi.ResourceOptions`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from .errors import ConfigError

__all__ = [
    "child_opts",
    "is_plain_sequence",
    "merge_tags",
    "physical_name",
    "short_digest",
    "validate_bool",
    "validate_id_list",
    "validate_identifier",
    "validate_kms_key_arn",
    "validate_placement",
    "validate_tags",
    "validate_windows",
]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAILY_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")
_WEEKLY_RE = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):([0-5][0-9])-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):([0-5][0-9])$"
)
_WEEK_MINUTES = 7 * 24 * 60
_DAY_MINUTES = 24 * 60


def child_opts(
    parent: pulumi.Resource,
    *,
    protect: bool | None = None,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> pulumi.ResourceOptions:
    """Options for a component's child: parented to the component, ``protect`` only if given."""
    return pulumi.ResourceOptions(
        parent=parent,
        protect=protect,
        depends_on=list(depends_on) if depends_on else None,
    )


def short_digest(*parts: object, length: int = 8) -> str:
    """A stable lowercase hex digest of ``parts`` (same parts -> same digest, on every run)."""
    text = "\x1f".join(repr(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def physical_name(*parts: str, max_length: int) -> str:
    """A deterministic AWS resource name from ``parts``.

    The result is lowercase letters, digits and single hyphens, starts with a letter, does
    not end with a hyphen and is at most ``max_length`` characters (when the joined parts
    are longer, they are cut and an 8-character digest of the full text is appended, so
    two long names that differ only at the end stay distinct). These are the rules shared
    by RDS instance and snapshot identifiers, ElastiCache replication group ids and
    parameter/subnet group names.
    """
    raw = "-".join(parts).lower()
    name = re.sub(r"[^a-z0-9]+", "-", raw).strip("-")
    name = re.sub(r"-{2,}", "-", name)
    if not name or not name[0].isalpha():
        name = f"p-{name}" if name else "p"
    if len(name) > max_length:
        digest = short_digest(raw)
        name = name[: max_length - len(digest) - 1].rstrip("-") + "-" + digest
    return name


def validate_identifier(value: str, *, key: str, max_length: int) -> None:
    """Check an AWS identifier: 1..max_length lowercase letters, digits and single hyphens,
    starting with a letter, not ending with a hyphen.

    Raises:
        ConfigError: on ``key``.
    """
    valid = (
        f"1 to {max_length} lowercase letters, digits and hyphens, starting with a letter, "
        "without two consecutive hyphens and not ending with a hyphen"
    )
    if (
        not isinstance(value, str)  # pyright: ignore[reportUnnecessaryIsInstance]
        or not 1 <= len(value) <= max_length
        or not re.fullmatch(r"[a-z][a-z0-9-]*", value)
        or "--" in value
        or value.endswith("-")
    ):
        raise ConfigError(key, value, valid)


def validate_bool(value: object, *, key: str) -> None:
    """Check that ``value`` is a real ``bool`` (not ``"false"``, which is truthy).

    Raises:
        ConfigError: on ``key``.
    """
    if not isinstance(value, bool):
        raise ConfigError(key, value, "True or False")


def is_plain_sequence(value: object) -> bool:
    """True for a list/tuple (a value known now), False for an Output or anything else."""
    return isinstance(value, (list, tuple))


def validate_id_list(
    value: Any,
    *,
    key: str,
    prefix: str,
    what: str,
    min_count: int,
) -> None:
    """Check a list of AWS ids that may mix plain strings and Pulumi Outputs.

    A plain list must have at least ``min_count`` entries; entries that are plain strings
    must start with ``prefix`` (e.g. ``subnet-``) and must not repeat. Outputs (values
    known only at deploy time) are accepted as they are. A whole-list Output cannot be
    counted before deployment and is accepted too.

    Raises:
        ConfigError: on ``key`` for a string, a short list, a malformed id or a duplicate.
    """
    if isinstance(value, pulumi.Output):
        return
    if not is_plain_sequence(value):
        raise ConfigError(key, value, f"a list of {what} ids")
    items: Sequence[Any] = value
    if len(items) < min_count:
        raise ConfigError(key, list(items), f"a list of at least {min_count} {what} ids")
    seen: set[str] = set()
    for item in items:
        if isinstance(item, pulumi.Output):
            continue
        if not isinstance(item, str) or not item.startswith(prefix) or len(item) <= len(prefix):
            raise ConfigError(
                key,
                list(items),
                f"{what} ids shaped {prefix}<hex> or Pulumi Outputs; bad entry {item!r}",
            )
        if item in seen:
            raise ConfigError(key, list(items), f"distinct {what} ids; {item!r} appears twice")
        seen.add(item)


def validate_placement(
    vpc_id: Any, subnet_ids: Any, allowed_security_group_ids: Any, *, prefix: str
) -> None:
    """Check where a data store goes and who may reach it: ``vpc_id`` (``vpc-...`` or an
    Output), at least two ``subnet_ids`` and a plain list of ``allowed_security_group_ids``
    (one ingress rule is created per entry, so the list itself cannot be an Output).

    Raises:
        ConfigError: on ``prefix`` + the field name (e.g. ``RedisCacheArgs.subnet_ids``).
    """
    if vpc_id is None or (isinstance(vpc_id, str) and not vpc_id.startswith("vpc-")):
        raise ConfigError(prefix + "vpc_id", vpc_id, "a VPC id shaped vpc-<hex> or a Pulumi Output")
    validate_id_list(
        subnet_ids, key=prefix + "subnet_ids", prefix="subnet-", what="subnet", min_count=2
    )
    if isinstance(allowed_security_group_ids, pulumi.Output):
        raise ConfigError(
            prefix + "allowed_security_group_ids",
            "<Output>",
            "a plain list (each entry may be an Output): one ingress rule is created per entry",
        )
    validate_id_list(
        allowed_security_group_ids,
        key=prefix + "allowed_security_group_ids",
        prefix="sg-",
        what="security group",
        min_count=0,
    )


def require_plain_list(value: Any, *, key: str) -> None:
    """Refuse an ``Output`` holding a whole list where one resource is created per entry
    (its length must be known now; the entries themselves may be outputs).

    Raises:
        ConfigError: on ``key``.
    """
    if isinstance(value, pulumi.Output):
        raise ConfigError(
            key,
            "<Output>",
            "a plain list (each entry may be an Output): one resource is created per entry",
        )


def validate_kms_key_arn(value: Any, *, key: str) -> None:
    """Check an optional KMS key: a plain string must be an ARN; None and Outputs pass.

    Raises:
        ConfigError: on ``key``.
    """
    if isinstance(value, str) and not value.startswith("arn:"):
        raise ConfigError(key, value, "a KMS key ARN (arn:aws:kms:...) or None")


def validate_tags(value: Any, *, key: str) -> None:
    """Check a tag mapping: string keys of 1-128 characters not starting with ``aws:``,
    string values of at most 256 characters, at most 40 tags (leaving room for ours).

    Raises:
        ConfigError: on ``key``.
    """
    valid = (
        "a mapping of at most 40 tags, keys 1-128 characters not starting with 'aws:', "
        "values strings of at most 256 characters"
    )
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, valid)
    tags: Mapping[Any, Any] = value  # pyright: ignore[reportUnknownVariableType]
    if len(tags) > 40:
        raise ConfigError(key, dict(tags), valid)
    for k, v in tags.items():
        if (
            not isinstance(k, str)
            or not 1 <= len(k) <= 128
            or k.lower().startswith("aws:")
            or not isinstance(v, str)
            or len(v) > 256
        ):
            raise ConfigError(key, dict(tags), f"{valid}; bad entry {k!r}: {v!r}")


def merge_tags(tags: Mapping[str, str], name: str) -> dict[str, str]:
    """The caller's tags plus ``Name`` (the console label) unless the caller set one."""
    return {"Name": name, **dict(tags)}


def _daily_minutes(value: str, *, key: str, min_minutes: int) -> tuple[int, int]:
    match = _DAILY_RE.match(value) if isinstance(value, str) else None  # pyright: ignore[reportUnnecessaryIsInstance]
    if not match:
        raise ConfigError(key, value, "a daily UTC window hh24:mi-hh24:mi, e.g. 03:00-04:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    length = (end - start) % _DAY_MINUTES
    if length < min_minutes:
        raise ConfigError(key, value, f"a daily window of at least {min_minutes} minutes")
    return start, length


def _weekly_minutes(value: str, *, key: str, min_minutes: int) -> tuple[int, int]:
    match = _WEEKLY_RE.match(value.lower()) if isinstance(value, str) else None  # pyright: ignore[reportUnnecessaryIsInstance]
    if not match:
        raise ConfigError(
            key, value, "a weekly UTC window ddd:hh24:mi-ddd:hh24:mi, e.g. sun:05:00-sun:06:00"
        )
    d1, h1, m1, d2, h2, m2 = match.groups()
    start = _DAYS.index(d1) * _DAY_MINUTES + int(h1) * 60 + int(m1)
    end = _DAYS.index(d2) * _DAY_MINUTES + int(h2) * 60 + int(m2)
    length = (end - start) % _WEEK_MINUTES
    if length < min_minutes:
        raise ConfigError(key, value, f"a weekly window of at least {min_minutes} minutes")
    if length > _DAY_MINUTES:
        raise ConfigError(key, value, "a weekly window of at most 24 hours")
    return start, length


def _overlaps(a_start: int, a_len: int, b_start: int, b_len: int, period: int) -> bool:
    """Whether two windows on a circle of ``period`` minutes intersect."""
    return (b_start - a_start) % period < a_len or (a_start - b_start) % period < b_len


def validate_windows(
    daily: str,
    weekly: str,
    *,
    daily_key: str,
    weekly_key: str,
    min_minutes: int,
) -> None:
    """Check a daily backup/snapshot window and a weekly maintenance window.

    Both must be well-formed UTC windows of at least ``min_minutes`` (ElastiCache: 60,
    RDS: 30) and must not overlap on any day of the week (AWS rejects overlapping windows).

    Raises:
        ConfigError: on the key of the malformed window, or on ``weekly_key`` for an overlap.
    """
    d_start, d_len = _daily_minutes(daily, key=daily_key, min_minutes=min_minutes)
    w_start, w_len = _weekly_minutes(weekly, key=weekly_key, min_minutes=min_minutes)
    for day in range(7):
        if _overlaps(day * _DAY_MINUTES + d_start, d_len, w_start, w_len, _WEEK_MINUTES):
            raise ConfigError(
                weekly_key,
                weekly,
                f"a maintenance window that does not overlap the daily window {daily!r} "
                f"({daily_key})",
            )
