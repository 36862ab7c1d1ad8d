"""The safe path of every resource that is not simply adopted, as shell commands.

Each function returns the commands (comment lines start with ``#``) that ``report.md``
shows for one resource; every word that comes from the state goes through
:func:`~proliferate_components.migrate.shell.quote`. The step numbers refer to
docs/migrating-from-terraform.md ("Step by step").
"""

from __future__ import annotations

import json
from typing import Any

from .shell import command, config_set
from .tfstate import TfResource, rule_shape

__all__ = [
    "inline_rule",
    "keep_in_aws",
    "named_collision",
    "policy_attachment",
    "redis_store",
    "retire",
    "side_by_side",
    "terraform_secret",
]


def retire(address: str, *, when: str = "after the cutover (step 10)") -> list[str]:
    """Destroy a resource with Terraform once nothing needs it any more."""
    return [
        f"# {when}: Terraform deletes it",
        command(["terraform", "destroy", f"-target={address}"]),
    ]


def keep_in_aws(address: str, why: str) -> list[str]:
    """Make Terraform forget a resource that stays in AWS (no one manages it afterwards)."""
    return [f"# {why}", command(["terraform", "state", "rm", address])]


def side_by_side(res: TfResource, what: str) -> list[str]:
    """A component resource is created next to it; the Terraform one is retired later."""
    return [
        f"# `pulumi up` creates the component's own {what} next to it; check it, then:",
        *retire(res.address),
    ]


def named_collision(res: TfResource, attribute: str, stack: str) -> list[str]:
    """A refused resource whose replacement would need the same name."""
    name = str(res.attr(attribute, ""))
    return [
        f"# the component's new {res.type} needs a name of its own while {name!r} exists:",
        "# the migration leaves the name out of proliferate:adopt, so Pulumi generates one.",
        f"# Or free the name first: rename it in Terraform ({attribute}), then",
        command(["terraform", "apply", f"-target={res.address}"]),
        command(
            [
                "proliferate-infra",
                "migrate",
                "terraform",
                "--state",
                "terraform.tfstate",
                "--stack",
                stack,
            ]
        ),
    ]


def redis_store(res: TfResource, stack: str, snapshot: str) -> list[str]:
    """A store the component cannot adopt: seed the component's group from a snapshot (or
    drain the queues), then retire the old store."""
    if res.type == "aws_elasticache_cluster":
        source = ["--cache-cluster-id", str(res.attr("cluster_id") or res.id)]
    else:
        source = ["--replication-group-id", str(res.attr("replication_group_id") or res.id)]
    return [
        "# 1. stop what enqueues jobs (web/API, gateway), then snapshot the store:",
        command(["aws", "elasticache", "create-snapshot", *source, "--snapshot-name", snapshot]),
        command(
            [
                "aws",
                "elasticache",
                "describe-snapshots",
                "--snapshot-name",
                snapshot,
                "--query",
                "Snapshots[0].SnapshotStatus",
            ]
        ),
        "# 2. when it says available, seed the component's new replication group from it:",
        config_set(stack, "--path", "proliferate:adopt.redis.snapshotName", snapshot),
        "# 3. create it; the adopted services switch REDIS_URL to it in the same update:",
        command(["pulumi", "up", "--stack", stack]),
        "# (instead of 1-2 you may drain: let the workers empty bull:<queue>:wait and",
        "#  bull:<queue>:delayed, then run step 3 without a snapshot)",
        "# 4. once the workers run on the new store:",
        command(["terraform", "destroy", f"-target={res.address}"]),
    ]


def policy_attachment(res: TfResource) -> list[str]:
    """A managed policy attached to an adopted role: it goes with Terraform."""
    return [
        "# the component's inline policy grants what the services need; after the cutover:",
        command(["terraform", "destroy", f"-target={res.address}"]),
        "# (or detach it by hand:)",
        command(
            [
                "aws",
                "iam",
                "detach-role-policy",
                "--role-name",
                str(res.attr("role", "")),
                "--policy-arn",
                str(res.attr("policy_arn", "")),
            ]
        ),
    ]


def terraform_secret(res: TfResource) -> list[str]:
    """A Terraform secret whose values move into the stack's bundle."""
    return [
        "# its values move into the stack's secrets bundle without being printed:",
        "sh secrets.sh",
        "# after the cutover, when no Terraform task reads it any more:",
        command(["terraform", "destroy", f"-target={res.address}"]),
    ]


def inline_rule(res: TfResource) -> list[str]:
    """An inline rule of an adopted security group that the components do not have: it
    stays on the group (unmanaged) until revoked."""
    shapes = rule_shape(res)
    if not shapes:
        return []
    group, direction, protocol, from_port, to_port, source = shapes[0]
    permission: dict[str, Any] = {"IpProtocol": protocol}
    if from_port is not None:
        permission["FromPort"] = from_port
        permission["ToPort"] = to_port
    if source.startswith("sg-"):
        permission["UserIdGroupPairs"] = [{"GroupId": source}]
    elif source.startswith("pl-"):
        permission["PrefixListIds"] = [{"PrefixListId": source}]
    elif ":" in source:
        permission["Ipv6Ranges"] = [{"CidrIpv6": source}]
    else:
        permission["IpRanges"] = [{"CidrIp": source}]
    return [
        "# it stays on the adopted group, managed by no one; after the cutover:",
        command(
            [
                "aws",
                "ec2",
                f"revoke-security-group-{direction}",
                "--group-id",
                group,
                "--ip-permissions",
                json.dumps([permission], separators=(",", ":")),
            ]
        ),
    ]
