"""Which resource of a Terraform state references which, and through which attribute.

A reference is an attribute value equal to another resource's identifier: its ``id``, its
``arn``, or a name other resources refer to it by (a log group's name in a task
definition's ``awslogs-group``, a role's name in a role policy's ``role``, a parameter
group's name in a cache's ``parameter_group_name``, ...). Values inside JSON text
(container definitions, policy documents) count too, as do an image (``<repository
url>:<tag>``) and a secret's ``valueFrom`` (``<secret arn>:<json key>::``).

Built once per state in one pass over every attribute (a 5,000-resource state takes well
under a second), then queried by role inference, the spread of refusals and the
``not ours`` classification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

from .tfstate import TfResource, TfState

__all__ = ["NAMED_BY", "References", "identifiers"]

NAMED_BY: Mapping[str, tuple[str, ...]] = {
    "aws_cloudwatch_log_group": ("name",),
    "aws_ecr_repository": ("name", "repository_url"),
    "aws_iam_role": ("name",),
    "aws_iam_policy": ("name",),
    "aws_ecs_cluster": ("name",),
    "aws_ecs_task_definition": ("arn_without_revision",),
    "aws_elasticache_replication_group": ("replication_group_id",),
    "aws_elasticache_cluster": ("cluster_id",),
    "aws_elasticache_subnet_group": ("name",),
    "aws_elasticache_parameter_group": ("name",),
    "aws_db_subnet_group": ("name",),
    "aws_db_parameter_group": ("name",),
    "aws_db_option_group": ("name",),
    "aws_db_instance": ("identifier",),
    "aws_eip": ("allocation_id",),
    "aws_secretsmanager_secret": ("arn",),
    "aws_lb": ("arn",),
    "aws_alb": ("arn",),
}
"""Terraform type -> the attributes (besides ``id`` and ``arn``) other resources refer to
it by."""

_OWN = frozenset(
    {
        "id",
        "arn",
        "name",
        "name_prefix",
        "description",
        "tags",
        "tags_all",
        "family",
        "identifier",
        "arn_without_revision",
        "replication_group_id",
        "cluster_id",
        "repository_url",
        "allocation_id",
        "security_group_rule_id",
        "arn_suffix",
        "dns_name",
    }
)
"""Attributes that hold a resource's own identity, never a reference to another (except
``allocation_id``, which is a reference on a NAT gateway: see :meth:`References.build`)."""

_SECRET_ARN = re.compile(r"^(arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:[^:]+)")
_IMAGE = re.compile(r"^([^@:]+(?::[0-9]+)?/[^@:]+)(?::[^@/]+)?(?:@.+)?$")


def identifiers(res: TfResource) -> set[str]:
    """The values other resources may use to refer to ``res`` (4+ characters)."""
    keys = ("id", "arn", *NAMED_BY.get(res.type, ()))
    found = {str(res.attributes.get(k) or "") for k in keys}
    return {i for i in found if len(i) > 3}


def _candidates(value: str) -> Iterable[str]:
    yield value
    match = _SECRET_ARN.match(value)
    if match and match.group(1) != value:
        yield match.group(1)
    if "/" in value and not value.startswith("arn:"):
        image = _IMAGE.match(value)
        if image and image.group(1) != value:
            yield image.group(1)
    if value.startswith("arn:") and value.endswith(":*"):
        yield value[:-2]


class References:
    """The references between the resources of one state (see the module docstring)."""

    def __init__(self, state: TfState) -> None:
        self.owners: dict[str, set[str]] = {}
        """Identifier -> addresses of the resources it identifies."""
        self.out: dict[str, dict[str, set[str]]] = {}
        """Address -> attribute -> addresses that attribute references."""
        self.into: dict[str, set[str]] = {}
        """Address -> addresses of the resources that reference it."""
        for res in state.resources:
            for ident in identifiers(res):
                self.owners.setdefault(ident, set()).add(res.address)
        for res in state.resources:
            self._scan(res)

    def _scan(self, res: TfResource) -> None:
        found: dict[str, set[str]] = {}
        for key, value in res.attributes.items():
            if key in _OWN and not (key == "allocation_id" and res.type != "aws_eip"):
                continue
            hits: set[str] = set()
            self._walk(value, hits, depth=0)
            hits.discard(res.address)
            if res.inline_of:
                hits.discard(res.inline_of)
            if hits:
                found[key] = hits
                for target in hits:
                    self.into.setdefault(target, set()).add(res.address)
        if found:
            self.out[res.address] = found

    def _walk(self, value: Any, hits: set[str], depth: int) -> None:
        if depth > 12:
            return
        if isinstance(value, str):
            if len(value) < 4:
                return
            text = value.strip()
            if text[:1] in ("[", "{") and text[-1:] in ("]", "}"):
                try:
                    self._walk(json.loads(text), hits, depth + 1)
                    return
                except json.JSONDecodeError:
                    pass
            for candidate in _candidates(value):
                owners = self.owners.get(candidate)
                if owners:
                    hits.update(owners)
            return
        if isinstance(value, Mapping):
            for v in cast("Mapping[str, Any]", value).values():
                self._walk(v, hits, depth + 1)
        elif isinstance(value, (list, tuple)):
            for v in cast("list[Any]", value):
                self._walk(v, hits, depth + 1)

    def references(self, address: str) -> set[str]:
        """The addresses ``address`` references, through any attribute."""
        out: set[str] = set()
        for targets in self.out.get(address, {}).values():
            out |= targets
        return out

    def via(self, address: str, attribute: str) -> set[str]:
        """The addresses ``address`` references through ``attribute``."""
        return set(self.out.get(address, {}).get(attribute, set()))

    def attributes_to(self, address: str, targets: set[str]) -> list[str]:
        """The attributes of ``address`` that reference one of ``targets``."""
        return sorted(k for k, v in self.out.get(address, {}).items() if v & targets)

    def dependents(self, address: str) -> set[str]:
        """The addresses that reference ``address``."""
        return set(self.into.get(address, set()))
