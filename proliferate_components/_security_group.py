"""The security group a component puts in front of one TCP port (private to the package).

Cache, database and service each create ``C-sg`` (no inline rules) plus one
``C-ingress-i`` rule per allowed source security group; this module builds that pair so
the child names, rule shape and tags stay identical in all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import pulumi
import pulumi_aws as aws

from ._options import child_opts, merge_tags

__all__ = ["StoreArgs", "moved_child_opts", "port_security_group", "store_security_group"]


def moved_child_opts(
    owner: pulumi.Resource, old_parent: pulumi.Input[str] | None
) -> pulumi.ResourceOptions:
    """Options for a child of ``owner`` that had ``old_parent`` (a URN) before: an alias keeps
    it the same resource (no replacement). Without ``old_parent``: plain child options."""
    if old_parent is None:
        return child_opts(owner)
    return pulumi.ResourceOptions(parent=owner, aliases=[pulumi.Alias(parent=old_parent)])


def port_security_group(
    owner: pulumi.Resource,
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    port: int,
    sources: Sequence[pulumi.Input[str]],
    description: str,
    rule_description: str,
    tags: Mapping[str, str],
    group_name: str | None = None,
    aliases_parent: pulumi.Input[str] | None = None,
) -> aws.ec2.SecurityGroup:
    """Create ``{name}-sg`` in ``vpc_id`` and one ``{name}-ingress-{i}`` rule per entry of
    ``sources`` allowing TCP ``port`` from that security group; all children of ``owner``.

    ``group_name`` is the AWS name (default ``None``: AWS generates one).
    ``aliases_parent``: the URN of the parent these resources had before, when ``owner``
    takes them over (an alias, so nothing is replaced). Returns the group.
    """
    opts = moved_child_opts(owner, aliases_parent)
    security_group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        name=group_name,
        vpc_id=vpc_id,
        description=description,
        tags=merge_tags(tags, f"{name}-sg"),
        opts=opts,
    )
    for i, source in enumerate(sources):
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-ingress-{i}",
            security_group_id=security_group.id,
            referenced_security_group_id=source,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=rule_description,
            tags=merge_tags(tags, f"{name}-ingress-{i}"),
            opts=opts,
        )
    return security_group


class StoreArgs(Protocol):
    """What :func:`store_security_group` reads of ``RedisCacheArgs`` / ``PostgresDbArgs``."""

    @property
    def vpc_id(self) -> pulumi.Input[str]: ...
    @property
    def port(self) -> int: ...
    @property
    def allowed_security_group_ids(self) -> Sequence[pulumi.Input[str]]: ...
    @property
    def security_group_name(self) -> str | None: ...
    @property
    def security_group_description(self) -> str | None: ...


def store_security_group(
    owner: pulumi.Resource,
    name: str,
    args: StoreArgs,
    *,
    store_id: str,
    rule_description: str,
    tags: Mapping[str, str],
) -> aws.ec2.SecurityGroup:
    """A data store's ``{name}-sg`` and its rules: ``args.port`` from each of
    ``args.allowed_security_group_ids``, named and described by ``args`` (default
    description ``<store_id>: port <port> from allowed security groups only``)."""
    return port_security_group(
        owner,
        name,
        group_name=args.security_group_name,
        vpc_id=args.vpc_id,
        port=args.port,
        sources=args.allowed_security_group_ids,
        description=args.security_group_description
        or f"{store_id}: port {args.port} from allowed security groups only",
        rule_description=rule_description,
        tags=tags,
    )
