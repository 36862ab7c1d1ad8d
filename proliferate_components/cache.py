"""`RedisCache`: an ElastiCache replication group configured for BullMQ.

BullMQ needs ``maxmemory-policy noeviction`` (ElastiCache's default ``volatile-lru`` may
silently drop queue keys) and cannot check it itself on ElastiCache (``CONFIG GET`` is
blocked), so the component always creates its own parameter group with that policy.

Engine versions (checked against the ElastiCache engine list; change with care, see
:data:`FORCES_REPLACEMENT`):

- ``engine="redis"``: ``7.0`` or ``7.1`` (family ``redis7``); default ``7.1``, the last
  Redis OSS release ElastiCache offers.
- ``engine="valkey"``: ``7.2`` (family ``valkey7``), ``8.0``, ``8.1`` or ``8.2`` (family
  ``valkey8``); default ``8.0``. Moving from Redis 7.x to Valkey is an in-place upgrade.

Child names (a public contract; ``C`` is the component name, ``i`` the index in
``allowed_security_group_ids``):

- ``C-auth-token`` (``random.RandomPassword``)
- ``C-params`` (parameter group; its AWS name is ``<replication group id>-<family>``
  unless ``parameter_group_name`` is given)
- ``C-subnets`` (subnet group; AWS name ``<replication group id>-subnets`` unless
  ``subnet_group_name`` is given)
- ``C-sg`` (security group, no inline rules), ``C-ingress-i`` (one rule per allowed SG)
- ``C-replication-group`` (the data store; ``protect=True`` by default)
"""

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from ._args import coerce_args, register_outputs
from ._credentials import url_safe_credential
from ._options import (
    child_opts,
    merge_tags,
    physical_name,
    require_plain_list,
    validate_identifier,
    validate_windows,
)
from ._security_group import store_security_group
from .constraints import (
    KMS_KEY_ARN,
    SECURITY_GROUP_IDS,
    SUBNET_IDS,
    TAGS,
    VPC_ID,
    AwsName,
    OneOf,
    Range,
    Rule,
    check_args,
)
from .engine_versions import DEFAULT_ELASTICACHE_VERSIONS, ELASTICACHE_VERSIONS, elasticache_family
from .errors import ConfigError
from .sizing import validate_cache_node_type

__all__ = [
    "DEFAULT_ENGINE_VERSIONS",
    "ENGINE_FAMILIES",
    "FORCES_REPLACEMENT",
    "RedisCache",
    "RedisCacheArgs",
    "parameter_group_family",
]

ENGINE_FAMILIES: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        (engine, version): family
        for engine, versions in ELASTICACHE_VERSIONS.items()
        for version, family in versions.items()
    }
)
"""(engine, engine_version) -> ElastiCache parameter group family, for every accepted pair
(from :data:`proliferate_components.engine_versions.ELASTICACHE_VERSIONS`)."""

DEFAULT_ENGINE_VERSIONS: Mapping[str, str] = DEFAULT_ELASTICACHE_VERSIONS
"""The engine version used when :attr:`RedisCacheArgs.engine_version` is ``None``."""

FORCES_REPLACEMENT: Mapping[str, str] = MappingProxyType(
    {
        "replication_group_id": "the group's identifier is immutable (and derived from the "
        "component name and stack when not set): a new id creates a new, empty group",
        "port": "the port of a replication group cannot be modified",
        "engine": "going back from valkey to redis is a downgrade ElastiCache cannot do in "
        "place (redis -> valkey is an in-place upgrade)",
        "engine_version": "a lower version than the running one is a downgrade and replaces "
        "the group (higher versions upgrade in place)",
    }
)
"""Arguments of :class:`RedisCacheArgs` whose change replaces the replication group (and so
loses its data unless restored from the final snapshot). ``protect=True`` makes Pulumi
refuse such a change; with an explicit id the new group's creation would also fail because
the old one still holds the id. Encryption at rest and in transit are always on (not
arguments), so they never change."""

_AUTH_TOKEN_LENGTH = 64
_NAME_MAX = 40  # ElastiCache replication group ids are at most 40 characters

NODE_TYPE = Rule(validate_cache_node_type, "an ElastiCache node type such as cache.t3.micro")
REPLICATION_GROUP_ID = Rule(
    functools.partial(validate_identifier, max_length=_NAME_MAX),
    f"1 to {_NAME_MAX} lowercase letters, digits and hyphens, starting with a letter, without "
    "two consecutive hyphens and not ending with a hyphen",
)


@dataclass(frozen=True, kw_only=True)
class RedisCacheArgs:
    """Arguments of :class:`RedisCache`.

    Replacement: changing ``replication_group_id`` (or the component name/stack it is
    derived from), ``port``, or downgrading ``engine``/``engine_version``
    replaces the replication group; see :data:`FORCES_REPLACEMENT`.
    """

    vpc_id: Annotated[pulumi.Input[str], VPC_ID]
    """The VPC of the cache (e.g. ``Network.vpc_id``). Required."""

    subnet_ids: Annotated[pulumi.Input[Sequence[pulumi.Input[str]]], SUBNET_IDS]
    """Private subnets for the subnet group, at least 2 in different AZs (e.g.
    ``Network.private_subnet_ids``). Required. Changing them updates the subnet group in
    place (its name never changes)."""

    allowed_security_group_ids: Annotated[Sequence[pulumi.Input[str]], SECURITY_GROUP_IDS]
    """Security groups whose members may connect on ``port``; one ingress rule each, no
    CIDR ingress ever. Required (an empty list admits nothing: add
    ``aws.vpc.SecurityGroupIngressRule`` resources against ``security_group_id`` later).
    Rules are named by position, so append rather than reorder."""

    node_type: Annotated[str, NODE_TYPE] = "cache.t3.micro"
    """ElastiCache node type. Default ``cache.t3.micro`` (dev); e.g. ``cache.t3.small`` or
    ``cache.r7g.large`` for prod. Changing it resizes in place."""

    engine: Annotated[str, OneOf(("redis", "valkey"))] = "redis"
    """``"redis"`` (default, Redis OSS 7) or ``"valkey"``."""

    engine_version: str | None = None
    """Engine version ``major.minor``. Default ``None``: ``7.1`` for redis, ``8.0`` for
    valkey (see :data:`ENGINE_FAMILIES` for every accepted pair)."""

    port: Annotated[int, Range(1024, 65535, unit="TCP port")] = 6379
    """TCP port of the nodes. Default 6379. Changing it replaces the group."""

    num_cache_clusters: Annotated[int, Range(1, 6, unit="nodes")] = 2
    """Nodes in the group (1 primary + replicas). Default 2, which turns on
    automatic failover and Multi-AZ. 1 is refused unless ``allow_single_node`` is True."""

    allow_single_node: bool = False
    """Explicit opt-out of high availability: allow ``num_cache_clusters=1`` (no replica, no
    automatic failover, no Multi-AZ; a node failure loses the queue until restored from a
    snapshot). Default False."""

    snapshot_retention_days: Annotated[int, Range(1, 35, unit="days")] = 1
    """Days ElastiCache keeps automatic daily snapshots. Default 1 (dev; use 7 in
    prod). 0 (no backups) is not accepted."""

    snapshot_window: str = "03:00-04:00"
    """Daily UTC window for the automatic snapshot, ``hh24:mi-hh24:mi``, at least 60
    minutes. Default ``03:00-04:00``. Must not overlap ``maintenance_window``."""

    maintenance_window: str = "sun:05:00-sun:06:00"
    """Weekly UTC maintenance window, ``ddd:hh24:mi-ddd:hh24:mi``, 60 minutes to 24 hours.
    Default ``sun:05:00-sun:06:00``."""

    apply_immediately: bool = False
    """Apply modifications now instead of in the next maintenance window. Default False
    (a node type or version change waits for the window)."""

    auto_minor_version_upgrade: bool = True
    """Let ElastiCache apply minor engine upgrades in the maintenance window. Default True."""

    kms_key_id: Annotated[pulumi.Input[str], KMS_KEY_ARN] | None = None
    """ARN of a customer-managed KMS key for encryption at rest. Default ``None``: the
    AWS-managed key (encryption at rest is always on). The key is fixed at creation: the
    group keeps the key it was created with (``ignore_changes``), so setting it on an
    existing group never replaces it (restore a snapshot into a new group to move)."""

    replication_group_id: Annotated[str, REPLICATION_GROUP_ID] | None = None
    """The group's AWS identifier. Default
    ``None``: derived from the component name and the stack name, e.g.
    ``proliferate-cache-dev``. Set it to adopt or keep an existing group's id. The
    parameter group, subnet group and final snapshot names are derived from it."""

    subnet_group_name: Annotated[str, AwsName("cache_subnet_group")] | None = None
    """AWS name of the subnet group ``C-subnets``. Default ``None``:
    ``<replication group id>-subnets``. For adopting an existing subnet group (its name is
    immutable: another name replaces it, and the replication group with it)."""

    parameter_group_name: Annotated[str, AwsName("cache_parameter_group")] | None = None
    """AWS name of the parameter group ``C-params``. Default ``None``:
    ``<replication group id>-<family>``. For adopting an existing parameter group (the name
    is immutable). Its family must still be the engine's; its ``maxmemory-policy`` is set to
    ``noeviction`` in place."""

    parameter_group_description: Annotated[str, AwsName("description")] | None = None
    """Description of ``C-params``. Default ``None``: ``BullMQ settings (maxmemory-policy
    noeviction) for <replication group id>``. For adopting an existing group (the
    description is immutable)."""

    security_group_name: Annotated[str, AwsName("security_group")] | None = None
    """AWS name of the security group ``C-sg``. Default ``None``: generated by Pulumi. For
    adopting an existing group (the name is immutable)."""

    security_group_description: Annotated[str, AwsName("security_group_description")] | None = None
    """Description of ``C-sg``. Default ``None``: ``<replication group id>: port <port> from
    allowed security groups only``. For adopting an existing group (immutable)."""

    snapshot_name: Annotated[str, AwsName("cache_snapshot")] | None = None
    """An ElastiCache snapshot to seed the new replication group from (``snapshot_name`` of
    the group; read only when the group is created). Default ``None``: the group starts
    empty. The safe path for moving a standalone ``aws_elasticache_cluster`` (which cannot
    become a replication group): ``aws elasticache create-snapshot`` of the old node, then
    create this group from it, keeping delayed and repeatable jobs. Changing it on an
    existing group replaces it (with ``protect``, Pulumi refuses), so unset it after the
    cutover or leave it as it was."""

    protect: bool = True
    """Pulumi ``protect`` on the replication group: Pulumi refuses to delete or replace it
    while True. Default True. Setting False is the explicit, documented opt-out (e.g. to
    destroy a dev stack); a final snapshot is still taken on delete."""

    tags: Annotated[Mapping[str, str], TAGS] = field(default_factory=dict[str, str])
    """Tags added to every taggable child (plus ``Name``). Default: none besides ``Name``."""


def parameter_group_family(engine: str, engine_version: str) -> str:
    """The ElastiCache parameter group family of an engine and version, e.g. ``redis7``.

    Raises:
        ConfigError: on ``RedisCacheArgs.engine_version`` for an unsupported pair.
    """
    return elasticache_family(
        engine,
        engine_version,
        key="RedisCacheArgs.engine_version",
        engine_key="RedisCacheArgs.engine",
    )


def _validate(args: RedisCacheArgs) -> tuple[RedisCacheArgs, str, str]:
    """The declared constraints, then what spans fields; return the checked args, the
    engine version and its parameter group family."""
    p = "RedisCacheArgs."
    args = check_args(args, key="RedisCacheArgs")
    require_plain_list(args.allowed_security_group_ids, key=p + "allowed_security_group_ids")
    version = (
        args.engine_version
        if args.engine_version is not None
        else DEFAULT_ENGINE_VERSIONS[args.engine]
    )
    family = parameter_group_family(args.engine, version)
    if args.num_cache_clusters < 2 and not args.allow_single_node:
        raise ConfigError(
            p + "num_cache_clusters",
            args.num_cache_clusters,
            "at least 2 nodes (a primary and a replica: automatic failover and Multi-AZ); "
            "set allow_single_node=True to run one node without failover",
        )
    validate_windows(
        args.snapshot_window,
        args.maintenance_window,
        daily_key=p + "snapshot_window",
        weekly_key=p + "maintenance_window",
        min_minutes=60,
    )
    return args, version, family


class RedisCache(pulumi.ComponentResource):
    """An encrypted, password-protected ElastiCache (Redis OSS or Valkey) replication group
    for BullMQ, reachable only from the security groups you name."""

    _type_token = "proliferate:cache:RedisCache"

    primary_endpoint: pulumi.Output[str]
    """The primary's DNS name."""
    reader_endpoint: pulumi.Output[str]
    """The reader endpoint's DNS name."""
    port: pulumi.Output[int]
    """The TCP port."""
    redis_url: pulumi.Output[str]
    """Secret ``rediss://:<token>@<primary>:<port>`` (TLS); ioredis and BullMQ accept it
    as is."""
    auth_token: pulumi.Output[str]
    """The AUTH token (secret)."""
    security_group_id: pulumi.Output[str]
    """The cache's security group (add ingress rules here if needed)."""
    replication_group_id: pulumi.Output[str]
    """The group's AWS identifier."""
    parameter_group_name: pulumi.Output[str]
    """The AWS name of the parameter group in use."""

    def __init__(
        self,
        name: str,
        args: RedisCacheArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Validate ``args`` (raising :class:`ConfigError` before anything is registered),
        then create the cache."""
        args, version, family = _validate(coerce_args(RedisCacheArgs, args, key="RedisCache.args"))
        super().__init__(self._type_token, name, None, opts)

        group_id = args.replication_group_id or physical_name(
            name, pulumi.get_stack(), max_length=_NAME_MAX
        )
        self._name = name
        self._tags = dict(args.tags)
        token = url_safe_credential(
            self, f"{name}-auth-token", length=_AUTH_TOKEN_LENGTH, protect=args.protect
        )
        params, subnet_group = self._groups(args, group_id, family)
        security_group = store_security_group(
            self,
            name,
            args,
            store_id=group_id,
            rule_description=f"{args.engine} from an allowed security group",
            tags=self._tags,
        )
        group = self._replication_group(
            args, group_id, version, token, params, subnet_group, security_group
        )

        port = args.port
        self.primary_endpoint = group.primary_endpoint_address
        self.reader_endpoint = group.reader_endpoint_address
        self.port = pulumi.Output.from_input(port)
        self.auth_token = pulumi.Output.secret(token.result)
        self.redis_url = pulumi.Output.secret(
            pulumi.Output.all(token.result, group.primary_endpoint_address).apply(
                lambda values: _redis_url(str(values[0]), str(values[1]), port)
            )
        )
        self.security_group_id = security_group.id
        self.replication_group_id = group.id
        self.parameter_group_name = params.name
        register_outputs(
            self,
            "primary_endpoint",
            "reader_endpoint",
            "port",
            "redis_url",
            "auth_token",
            "security_group_id",
            "replication_group_id",
            "parameter_group_name",
        )

    def _groups(
        self, args: RedisCacheArgs, group_id: str, family: str
    ) -> tuple[aws.elasticache.ParameterGroup, aws.elasticache.SubnetGroup]:
        """``C-params`` (``maxmemory-policy noeviction``, what BullMQ needs) and
        ``C-subnets``, both with fixed names derived from the group id."""
        name = self._name
        params = aws.elasticache.ParameterGroup(
            f"{name}-params",
            # The family is part of the AWS name: a family change (e.g. redis7 -> valkey8)
            # makes a group with a new name, created before the old one is deleted.
            name=args.parameter_group_name or physical_name(group_id, family, max_length=255),
            family=family,
            description=args.parameter_group_description
            or f"BullMQ settings (maxmemory-policy noeviction) for {group_id}",
            parameters=[
                aws.elasticache.ParameterGroupParameterArgs(
                    name="maxmemory-policy", value="noeviction"
                )
            ],
            tags=merge_tags(self._tags, f"{name}-params"),
            opts=child_opts(self),
        )
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            # A fixed name: the replication group's subnet_group_name forces replacement.
            name=args.subnet_group_name or physical_name(group_id, "subnets", max_length=255),
            description=f"Private subnets of {group_id}",
            subnet_ids=args.subnet_ids,
            tags=merge_tags(self._tags, f"{name}-subnets"),
            opts=child_opts(self),
        )
        return params, subnet_group

    def _replication_group(
        self,
        args: RedisCacheArgs,
        group_id: str,
        version: str,
        token: random.RandomPassword,
        params: aws.elasticache.ParameterGroup,
        subnet_group: aws.elasticache.SubnetGroup,
        security_group: aws.ec2.SecurityGroup,
    ) -> aws.elasticache.ReplicationGroup:
        """``C-replication-group``: encrypted at rest and in transit, AUTH token, Multi-AZ
        with automatic failover from two nodes, protected."""
        multi_node = args.num_cache_clusters >= 2
        return aws.elasticache.ReplicationGroup(
            f"{self._name}-replication-group",
            replication_group_id=group_id,
            description=f"Proliferate BullMQ store ({self._name})",
            engine=args.engine,
            engine_version=version,
            node_type=args.node_type,
            port=args.port,
            cluster_mode="disabled",
            num_cache_clusters=args.num_cache_clusters,
            automatic_failover_enabled=multi_node,
            multi_az_enabled=multi_node,
            parameter_group_name=params.name,
            subnet_group_name=subnet_group.name,
            security_group_ids=[security_group.id],
            at_rest_encryption_enabled=True,
            kms_key_id=args.kms_key_id,
            transit_encryption_enabled=True,
            auth_token=token.result,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=args.snapshot_window,
            maintenance_window=args.maintenance_window,
            final_snapshot_identifier=f"{group_id}-final",
            snapshot_name=args.snapshot_name,
            apply_immediately=args.apply_immediately,
            auto_minor_version_upgrade=args.auto_minor_version_upgrade,
            tags=merge_tags(self._tags, f"{self._name}-replication-group"),
            # The at-rest key is fixed at creation: never replace a cache to change it.
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, ignore_changes=["kmsKeyId"]
            ),
        )


def _redis_url(token: str, host: str, port: int) -> str:
    # rediss:// makes ioredis (and so BullMQ) use TLS; the empty user means the default
    # user authenticated by the AUTH token.
    return f"rediss://:{token}@{host}:{port}"
