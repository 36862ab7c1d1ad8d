"""Fill in the ids of security group rules the Terraform state does not hold.

A rule written inline in an ``aws_security_group`` (``ingress { ... }``), or an
``aws_security_group_rule`` from a provider older than 4.x, has no ``sgr-`` id in the state,
yet ``pulumi import`` of the components' ``aws.vpc.SecurityGroupIngressRule`` needs it. The
migration writes such an entry of ``import.json`` with a placeholder id
(:func:`~proliferate_components.migrate.tfstate.unresolved_rule_id`:
``unresolved:<group>/<direction>/<protocol>/<from>-<to>/<source>``);
:func:`resolve_rule_ids` asks EC2 (``DescribeSecurityGroupRules``, read-only) for the rules
of each group and puts the matching rule's id in its place.

``proliferate-infra migrate resolve-rules --out migration`` runs it with the default AWS
credentials; nothing else of the migration calls AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..errors import ConfigError

__all__ = ["PLACEHOLDER_PREFIX", "RuleIdResult", "parse_placeholder", "resolve_rule_ids"]

PLACEHOLDER_PREFIX = "unresolved:"
"""How a placeholder import id starts."""


def parse_placeholder(text: str) -> tuple[str, bool, str, int | None, int | None, str]:
    """(group id, egress?, protocol, from port, to port, source) of a placeholder id.

    Raises:
        ConfigError: if ``text`` is not a placeholder the migration writes.
    """
    valid = "unresolved:<sg-id>/<ingress|egress>/<protocol>/<from>-<to>|all/<source>"
    if not text.startswith(PLACEHOLDER_PREFIX):
        raise ConfigError("import.json id", text, valid)
    parts = text[len(PLACEHOLDER_PREFIX) :].split("/", 4)
    if len(parts) != 5 or parts[1] not in ("ingress", "egress"):
        raise ConfigError("import.json id", text, valid)
    group, direction, protocol, ports, source = parts
    if ports == "all":
        return group, direction == "egress", protocol, None, None, source
    low, _, high = ports.partition("-")
    try:
        return group, direction == "egress", protocol, int(low), int(high), source
    except ValueError:
        raise ConfigError("import.json id", text, valid) from None


def _matches(
    rule: Mapping[str, Any], wanted: tuple[str, bool, str, int | None, int | None, str]
) -> bool:
    _group, egress, protocol, from_port, to_port, source = wanted
    if bool(rule.get("IsEgress")) != egress or str(rule.get("IpProtocol")) != protocol:
        return False
    if from_port is not None and (rule.get("FromPort"), rule.get("ToPort")) != (from_port, to_port):
        return False
    referenced = cast("Mapping[str, Any]", rule.get("ReferencedGroupInfo") or {})
    sources = {
        rule.get("CidrIpv4"),
        rule.get("CidrIpv6"),
        rule.get("PrefixListId"),
        referenced.get("GroupId"),
    }
    return source in sources


@dataclass(frozen=True)
class RuleIdResult:
    """What :func:`resolve_rule_ids` did."""

    resolved: int
    """Placeholders replaced with an ``sgr-`` id."""
    unresolved: tuple[str, ...]
    """Placeholders no rule of the group matched (the rule no longer exists, or changed)."""


Describe = Callable[[str], Sequence[Mapping[str, Any]]]


def _session(region: str | None, profile: str | None) -> Any:
    import boto3

    return boto3.Session(profile_name=profile, region_name=region)


def _ec2_describe(region: str | None, profile: str | None) -> Describe:
    client = _session(region, profile).client("ec2")

    def describe(group_id: str) -> Sequence[Mapping[str, Any]]:
        rules: list[Mapping[str, Any]] = []
        paginator = client.get_paginator("describe_security_group_rules")
        pages: list[dict[str, Any]] = list(
            paginator.paginate(Filters=[{"Name": "group-id", "Values": [group_id]}])
        )
        for page in pages:
            found: list[Mapping[str, Any]] = page.get("SecurityGroupRules", [])
            rules += found
        return rules

    return describe


def resolve_rule_ids(
    out_dir: str | Path,
    *,
    region: str | None = None,
    profile: str | None = None,
    describe: Describe | None = None,
) -> RuleIdResult:
    """Replace every placeholder id in ``<out_dir>/import.json`` with the id of the AWS rule
    it stands for; write the file back (mode 0600) only when something changed.

    Raises:
        ConfigError: on ``--out`` when there is no ``import.json`` the migration wrote.
    """
    from .report import write_private

    path = Path(out_dir) / "import.json"
    if not path.is_file():
        raise ConfigError("--out", str(out_dir), "the directory `migrate terraform` wrote")
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError("--out", str(path), f"an import.json that is JSON ({exc.msg})") from None
    if not isinstance(document, dict) or not isinstance(
        cast("dict[str, Any]", document).get("resources"), list
    ):
        raise ConfigError("--out", str(path), "an import.json with a resources list")
    entries = cast("list[Any]", cast("dict[str, Any]", document)["resources"])
    lookup = describe or _ec2_describe(region, profile)
    cache: dict[str, Sequence[Mapping[str, Any]]] = {}
    taken: set[str] = set()
    resolved = 0
    unresolved: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        item = cast("dict[str, Any]", entry)
        text = str(item.get("id", ""))
        if not text.startswith(PLACEHOLDER_PREFIX):
            continue
        wanted = parse_placeholder(text)
        group = wanted[0]
        if group not in cache:
            cache[group] = lookup(group)
        found = next(
            (
                str(r.get("SecurityGroupRuleId"))
                for r in cache[group]
                if _matches(r, wanted) and str(r.get("SecurityGroupRuleId")) not in taken
            ),
            None,
        )
        if found is None:
            unresolved.append(text)
            continue
        taken.add(found)
        item["id"] = found
        resolved += 1
    if resolved:
        write_private(path, json.dumps(document, indent=2) + "\n")
    return RuleIdResult(resolved=resolved, unresolved=tuple(unresolved))
