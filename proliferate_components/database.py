"""`PostgresDb`: an RDS PostgreSQL instance for Proliferate, protected by default.

Encrypted gp3 storage with autoscaling, private (not publicly accessible), TLS enforced by
a parameter group (``rds.force_ssl=1``), deletion protection, Pulumi ``protect``, daily
backups and a final snapshot with a stable identifier.

Why a generated password instead of ``manage_master_user_password``: the services need a
complete ``DATABASE_URL`` at deploy time. With an RDS-managed secret the password only
exists in Secrets Manager (and rotates behind Pulumi's back), so the URL could not be
composed, stored as one secret and handed to the services. The password comes from
``pulumi_random.RandomPassword`` (letters and digits only, so the URL needs no escaping);
it and the URL are Pulumi secrets, encrypted in the stack state.

Child names (a public contract; ``D`` is the component name, ``i`` the index in
``allowed_security_group_ids``):

- ``D-password`` (``random.RandomPassword``)
- ``D-params`` (parameter group; AWS name ``<identifier>-postgres<major>``)
- ``D-subnets`` (DB subnet group; AWS name ``<identifier>-subnets``)
- ``D-sg`` (security group, no inline rules), ``D-ingress-i`` (one rule per allowed SG)
- ``D-instance`` (the data store; ``protect=True`` and deletion protection by default)
"""

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated, Any

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
from .engine_versions import POSTGRES_MINOR_VERSIONS, postgres_family
from .errors import ConfigError
from .sizing import validate_db_instance_class

__all__ = [
    "FORCES_REPLACEMENT",
    "MONITORING_INTERVALS",
    "POSTGRES_MAJOR_VERSIONS",
    "PostgresDb",
    "PostgresDbArgs",
    "parameter_group_family",
]

MONITORING_INTERVALS: tuple[int, ...] = (0, 1, 5, 10, 15, 30, 60)
"""Enhanced monitoring intervals RDS accepts (seconds; 0 turns it off)."""

POSTGRES_MAJOR_VERSIONS: tuple[int, ...] = tuple(POSTGRES_MINOR_VERSIONS)
"""PostgreSQL major versions RDS currently offers under standard support (from
:data:`proliferate_components.engine_versions.POSTGRES_MINOR_VERSIONS`)."""

FORCES_REPLACEMENT: Mapping[str, str] = MappingProxyType(
    {
        "db_name": "the initial database name is fixed at creation: a new name creates a new, "
        "empty instance",
        "username": "the master user name is fixed at creation",
    }
)
"""Arguments of :class:`PostgresDbArgs` whose change replaces the DB instance (a new, empty
database unless restored from the final snapshot). ``protect=True`` makes Pulumi refuse
such a change, and because the identifier is explicit the new instance could not be created
next to the old one anyway. ``storage_encrypted`` and the availability zone are also
replacement-forcing in RDS, which is why encryption is always on and no zone is pinned.
Not replacements but disruptive: changing ``identifier`` renames the instance in place
(its endpoint, and so ``database_url``, changes); lowering ``allocated_storage_gib`` is
refused by RDS."""

_IDENTIFIER_MAX = 63
_PASSWORD_LENGTH = 40
_PG_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RESERVED_USERS = frozenset(
    {"rdsadmin", "rdsrepladmin", "rds_superuser", "admin", "public", "user"}
)
_RESERVED_DATABASES = frozenset({"template0", "template1", "rdsadmin"})
_PG_NAME = "1-63 lowercase letters, digits and underscores, starting with a letter"


def _pg_name(reserved: frozenset[str]) -> Rule:
    """A PostgreSQL identifier RDS accepts, other than ``reserved``."""
    valid = f"{_PG_NAME}, other than {', '.join(sorted(reserved))}"

    def check(value: Any, *, key: str) -> None:
        if not isinstance(value, str) or not _PG_NAME_RE.match(value) or value in reserved:
            raise ConfigError(key, value, valid)

    return Rule(check, valid)


INSTANCE_CLASS = Rule(validate_db_instance_class, "an RDS instance class such as db.t4g.micro")


def _check_engine_version(value: Any, *, key: str) -> None:
    postgres_family(value, key=key)


ENGINE_VERSION = Rule(
    _check_engine_version,
    "a PostgreSQL major version "
    + ", ".join(str(v) for v in POSTGRES_MINOR_VERSIONS)
    + " or major.minor such as 16.4",
)
IDENTIFIER = Rule(
    functools.partial(validate_identifier, max_length=_IDENTIFIER_MAX),
    f"1 to {_IDENTIFIER_MAX} lowercase letters, digits and hyphens, starting with a letter, "
    "without two consecutive hyphens and not ending with a hyphen",
)
STORAGE_GIB = Range(20, 65536, unit="GiB")


@dataclass(frozen=True, kw_only=True)
class PostgresDbArgs:
    """Arguments of :class:`PostgresDb`.

    Replacement: changing ``db_name`` or ``username`` replaces the instance; see
    :data:`FORCES_REPLACEMENT` (``kms_key_id`` is kept as created instead).
    """

    vpc_id: Annotated[pulumi.Input[str], VPC_ID]
    """The VPC of the database (e.g. ``Network.vpc_id``). Required."""

    subnet_ids: Annotated[pulumi.Input[Sequence[pulumi.Input[str]]], SUBNET_IDS]
    """Private subnets in at least 2 AZs for the DB subnet group (RDS requires 2 AZs even
    for a single-AZ instance), e.g. ``Network.private_subnet_ids``. Required."""

    allowed_security_group_ids: Annotated[Sequence[pulumi.Input[str]], SECURITY_GROUP_IDS]
    """Security groups whose members may connect on ``port``; one ingress rule each, no
    CIDR ingress ever. Required (an empty list admits nothing: add rules against
    ``security_group_id`` later). Rules are named by position: append, do not reorder."""

    instance_class: Annotated[str, INSTANCE_CLASS] = "db.t4g.micro"
    """RDS instance class. Default ``db.t4g.micro`` (dev). Changing it resizes in place
    (a short outage, or a failover with ``multi_az``)."""

    engine_version: Annotated[str, ENGINE_VERSION] = "16"
    """PostgreSQL version: a major version 14-17 (``"16"``: RDS picks the latest minor and
    ``auto_minor_version_upgrade`` keeps it current) or ``major.minor`` (``"16.4"``).
    Default ``"16"``. A major upgrade needs ``allow_major_version_upgrade=True`` and moves
    to a new parameter group (its name contains the family, so it is created first)."""

    allow_major_version_upgrade: bool = False
    """Allow RDS to perform a major version upgrade when ``engine_version``'s major changes.
    Default False (such a change then fails instead of upgrading)."""

    allocated_storage_gib: Annotated[int, STORAGE_GIB] = 20
    """Initial storage in GiB, 20 to 65536. Default 20. It can grow, never shrink."""

    max_allocated_storage_gib: Annotated[int, STORAGE_GIB] = 100
    """Ceiling for storage autoscaling in GiB, at least ``allocated_storage_gib``, at most
    65536. Default 100. Equal to ``allocated_storage_gib`` turns autoscaling off."""

    multi_az: bool = False
    """Run a synchronous standby in another AZ (automatic failover). Default False (dev);
    the prod profile turns it on."""

    port: Annotated[int, Range(1150, 65535, unit="TCP port")] = 5432
    """TCP port, 1150-65535. Default 5432."""

    db_name: Annotated[str, _pg_name(_RESERVED_DATABASES)] = "proliferate"
    """The database created with the instance (lowercase letters, digits, underscores; at
    most 63). Default ``proliferate``. Changing it replaces the instance."""

    username: Annotated[str, _pg_name(_RESERVED_USERS)] = "proliferate"
    """Master user name (lowercase letters, digits, underscores; at most 63; not an RDS
    reserved name). Default ``proliferate``. Changing it replaces the instance."""

    backup_retention_days: Annotated[int, Range(1, 35, unit="days")] = 7
    """Days of automated backups (point-in-time recovery), 1 to 35. Default 7."""

    backup_window: str = "03:00-04:00"
    """Daily UTC backup window ``hh24:mi-hh24:mi``, at least 30 minutes. Default
    ``03:00-04:00``. Must not overlap ``maintenance_window``."""

    maintenance_window: str = "sun:05:00-sun:06:00"
    """Weekly UTC maintenance window ``ddd:hh24:mi-ddd:hh24:mi``. Default
    ``sun:05:00-sun:06:00``."""

    deletion_protection: bool = True
    """RDS deletion protection: AWS refuses to delete the instance while True. Default
    True. Setting False is the explicit, documented opt-out (needed before a destroy)."""

    protect: bool = True
    """Pulumi ``protect`` on the instance: Pulumi refuses to delete or replace it while
    True. Default True. Setting False is the explicit, documented opt-out."""

    skip_final_snapshot: bool = False
    """Delete without a final snapshot. Default False: RDS takes the snapshot
    ``<identifier>-final`` on delete (a stable name, so no churn between runs; if a snapshot
    of that name already exists from an earlier delete, the delete fails rather than lose
    data - rename or remove the old snapshot first)."""

    apply_immediately: bool = False
    """Apply modifications now instead of in the next maintenance window. Default False."""

    auto_minor_version_upgrade: bool = True
    """Let RDS apply minor version upgrades in the maintenance window. Default True."""

    kms_key_id: Annotated[pulumi.Input[str], KMS_KEY_ARN] | None = None
    """ARN of a customer-managed KMS key for storage encryption (always on) and Performance
    Insights. Default ``None``: the AWS-managed ``aws/rds`` key. The storage key is fixed
    at creation: the instance keeps the key it was created with (``ignore_changes``), so
    setting it on an existing instance never replaces it (restore a snapshot to move)."""

    performance_insights: bool = False
    """Turn on Performance Insights (7 days of history, the free tier; encrypted with
    ``kms_key_id``). Default False. Not every instance class supports it (db.t4g.micro
    does)."""

    monitoring_interval_seconds: Annotated[
        int, OneOf(MONITORING_INTERVALS, "seconds between samples (0: off)")
    ] = 0
    """Enhanced monitoring every N seconds (0, 1, 5, 10, 15, 30 or 60), with the monitoring
    role ``D-monitoring-role``. Default 0: off (CloudWatch's basic metrics only)."""

    query_logging: bool = False
    """Log DDL statements and statements slower than one second to CloudWatch Logs
    (``log_statement=ddl``, ``log_min_duration_statement=1000``). Default False: errors and
    connections only."""

    iam_authentication: bool = True
    """Allow IAM database authentication (tokens instead of passwords for people; the
    services keep the password in ``DATABASE_URL``). Default True: no cost."""

    identifier: Annotated[str, IDENTIFIER] | None = None
    """The instance's AWS identifier (1-63 lowercase letters, digits, hyphens). Default
    ``None``: derived from the component name and the stack name, e.g.
    ``proliferate-db-dev``. Changing it renames the instance in place (new endpoint). The
    parameter group, subnet group and final snapshot names are derived from it."""

    subnet_group_name: Annotated[str, AwsName("db_subnet_group")] | None = None
    """AWS name of the DB subnet group ``<name>-subnets``. Default ``None``:
    ``<identifier>-subnets``. For adopting an existing group."""
    parameter_group_name: Annotated[str, AwsName("db_parameter_group")] | None = None
    """AWS name of the DB parameter group ``<name>-params``. Default ``None``:
    ``<identifier>-<family>``. For adopting an existing group (a name is immutable)."""
    parameter_group_description: Annotated[str, AwsName("description")] | None = None
    """Description of ``<name>-params`` (immutable). Default ``None``: ``TLS-only settings
    for <identifier>``."""
    security_group_name: Annotated[str, AwsName("security_group")] | None = None
    """AWS name of the security group ``<name>-sg``. Default ``None``: generated by Pulumi."""
    security_group_description: Annotated[str, AwsName("security_group_description")] | None = None
    """Description of ``<name>-sg`` (immutable). Default ``None``: ``<identifier>: port
    <port> from allowed security groups only``."""
    tags: Annotated[Mapping[str, str], TAGS] = field(default_factory=dict[str, str])
    """Tags added to every taggable child (plus ``Name``); RDS copies them to snapshots.
    Default: none besides ``Name``."""


def parameter_group_family(engine_version: str) -> str:
    """The RDS parameter group family of a PostgreSQL version, e.g. ``postgres16``.

    Raises:
        ConfigError: on ``PostgresDbArgs.engine_version`` for an unsupported version.
    """
    return postgres_family(engine_version, key="PostgresDbArgs.engine_version")


def _validate(args: PostgresDbArgs) -> tuple[PostgresDbArgs, str]:
    """The declared constraints, then what spans fields; return the checked args and the
    parameter group family."""
    p = "PostgresDbArgs."
    args = check_args(args, key="PostgresDbArgs")
    require_plain_list(args.allowed_security_group_ids, key=p + "allowed_security_group_ids")
    family = parameter_group_family(args.engine_version)
    if args.max_allocated_storage_gib < args.allocated_storage_gib:
        raise ConfigError(
            p + "max_allocated_storage_gib",
            args.max_allocated_storage_gib,
            f"an integer from {args.allocated_storage_gib} (allocated_storage_gib) to 65536 "
            "(GiB; equal turns storage autoscaling off)",
        )
    validate_windows(
        args.backup_window,
        args.maintenance_window,
        daily_key=p + "backup_window",
        weekly_key=p + "maintenance_window",
        min_minutes=30,
    )
    return args, family


class PostgresDb(pulumi.ComponentResource):
    """An encrypted, private RDS PostgreSQL instance reachable only from named security
    groups, with deletion protection, backups and a final snapshot."""

    _type_token = "proliferate:database:PostgresDb"

    endpoint: pulumi.Output[str]
    """``host:port``."""
    address: pulumi.Output[str]
    """The host name."""
    port: pulumi.Output[int]
    """The TCP port."""
    database_url: pulumi.Output[str]
    """Secret ``postgresql://user:password@host:port/db?sslmode=require``."""
    password: pulumi.Output[str]
    """The master password (secret)."""
    username: pulumi.Output[str]
    """The master user name, as configured."""
    db_name: pulumi.Output[str]
    """The database name, as configured."""
    security_group_id: pulumi.Output[str]
    """The database's security group."""
    identifier: pulumi.Output[str]
    """The instance's AWS identifier."""

    def __init__(
        self, name: str, args: PostgresDbArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Validate ``args`` (raising :class:`ConfigError` before anything is registered),
        then create the database."""
        args, family = _validate(coerce_args(PostgresDbArgs, args, key="PostgresDb.args"))
        super().__init__(self._type_token, name, None, opts)

        identifier = args.identifier or physical_name(
            name, pulumi.get_stack(), max_length=_IDENTIFIER_MAX
        )
        self._name = name
        self._tags = dict(args.tags)
        password = url_safe_credential(
            self, f"{name}-password", length=_PASSWORD_LENGTH, protect=args.protect
        )
        params, subnet_group = self._groups(args, identifier, family)
        security_group = store_security_group(
            self,
            name,
            args,
            store_id=identifier,
            rule_description="PostgreSQL from an allowed security group",
            tags=self._tags,
        )
        instance = self._instance(
            args,
            identifier,
            password,
            params,
            subnet_group,
            security_group,
            self._monitoring_role(args, identifier),
        )
        self._finish(args, password, instance, security_group)

    def _groups(
        self, args: PostgresDbArgs, identifier: str, family: str
    ) -> tuple[aws.rds.ParameterGroup, aws.rds.SubnetGroup]:
        """``D-params`` (TLS only, plus query logging when asked) and ``D-subnets``, both
        with fixed names derived from the identifier."""
        name = self._name
        params = aws.rds.ParameterGroup(
            f"{name}-params",
            # The family is part of the AWS name, so a major upgrade creates the new group
            # before the old one is deleted.
            name=args.parameter_group_name or physical_name(identifier, family, max_length=255),
            family=family,
            description=args.parameter_group_description or f"TLS-only settings for {identifier}",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=n, value=v, apply_method="immediate")
                for n, v in _parameters(args)
            ],
            tags=merge_tags(self._tags, f"{name}-params"),
            opts=child_opts(self),
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=args.subnet_group_name or physical_name(identifier, "subnets", max_length=255),
            description=f"Private subnets of {identifier}",
            subnet_ids=args.subnet_ids,
            tags=merge_tags(self._tags, f"{name}-subnets"),
            opts=child_opts(self),
        )
        return params, subnet_group

    def _monitoring_role(self, args: PostgresDbArgs, identifier: str) -> pulumi.Output[str] | None:
        """``D-monitoring-role`` and its managed policy, when enhanced monitoring is on."""
        if not args.monitoring_interval_seconds:
            return None
        name = self._name
        monitoring = aws.iam.Role(
            f"{name}-monitoring-role",
            assume_role_policy=_MONITORING_TRUST,
            description=f"RDS enhanced monitoring of {identifier}",
            tags=merge_tags(self._tags, f"{name}-monitoring-role"),
            opts=child_opts(self),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=monitoring.name,
            policy_arn=ENHANCED_MONITORING_POLICY,
            opts=child_opts(self),
        )
        return monitoring.arn

    def _instance(
        self,
        args: PostgresDbArgs,
        identifier: str,
        password: random.RandomPassword,
        params: aws.rds.ParameterGroup,
        subnet_group: aws.rds.SubnetGroup,
        security_group: aws.ec2.SecurityGroup,
        monitoring_role_arn: pulumi.Output[str] | None,
    ) -> aws.rds.Instance:
        """``D-instance``: encrypted gp3, private, backups, final snapshot, protected."""
        return aws.rds.Instance(
            f"{self._name}-instance",
            identifier=identifier,
            engine="postgres",
            engine_version=args.engine_version,
            allow_major_version_upgrade=args.allow_major_version_upgrade,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage_gib,
            max_allocated_storage=args.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.kms_key_id,
            db_name=args.db_name,
            username=args.username,
            password=password.result,
            port=args.port,
            multi_az=args.multi_az,
            publicly_accessible=False,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            parameter_group_name=params.name,
            backup_retention_period=args.backup_retention_days,
            backup_window=args.backup_window,
            maintenance_window=args.maintenance_window,
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=args.skip_final_snapshot,
            final_snapshot_identifier=f"{identifier}-final",
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            iam_database_authentication_enabled=args.iam_authentication,
            performance_insights_enabled=args.performance_insights,
            performance_insights_retention_period=7 if args.performance_insights else None,
            performance_insights_kms_key_id=args.kms_key_id if args.performance_insights else None,
            monitoring_interval=args.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role_arn,
            auto_minor_version_upgrade=args.auto_minor_version_upgrade,
            apply_immediately=args.apply_immediately,
            tags=merge_tags(self._tags, f"{self._name}-instance"),
            # The storage key is fixed at creation: never replace a database to change it.
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, ignore_changes=["kmsKeyId"]
            ),
        )

    def _finish(
        self,
        args: PostgresDbArgs,
        password: random.RandomPassword,
        instance: aws.rds.Instance,
        security_group: aws.ec2.SecurityGroup,
    ) -> None:
        """Set and register the outputs (``database_url`` and ``password`` as secrets)."""
        port, user, db = args.port, args.username, args.db_name
        # host:port, composed here (same value as the instance's `endpoint` attribute).
        self.endpoint = pulumi.Output.concat(instance.address, ":", str(port))
        self.address = instance.address
        self.port = pulumi.Output.from_input(port)
        self.password = pulumi.Output.secret(password.result)
        self.username = pulumi.Output.from_input(user)
        self.db_name = pulumi.Output.from_input(db)
        self.database_url = pulumi.Output.secret(
            pulumi.Output.all(password.result, instance.address).apply(
                lambda values: _database_url(user, str(values[0]), str(values[1]), port, db)
            )
        )
        self.security_group_id = security_group.id
        self.identifier = instance.identifier
        register_outputs(
            self,
            "endpoint",
            "address",
            "port",
            "database_url",
            "password",
            "username",
            "db_name",
            "security_group_id",
            "identifier",
        )


ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
"""The AWS managed policy RDS enhanced monitoring needs (it writes to CloudWatch Logs)."""

_MONITORING_TRUST = (
    '{"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", '
    '"Principal": {"Service": "monitoring.rds.amazonaws.com"}}], "Version": "2012-10-17"}'
)


def _parameters(args: PostgresDbArgs) -> list[tuple[str, str]]:
    """The parameter group's settings: TLS always; query logging when asked."""
    out = [("rds.force_ssl", "1")]
    if args.query_logging:
        out += [("log_min_duration_statement", "1000"), ("log_statement", "ddl")]
    return out


def _database_url(user: str, password: str, host: str, port: int, db: str) -> str:
    # sslmode=require: the parameter group refuses unencrypted connections anyway.
    return f"postgresql://{user}:{password}@{host}:{port}/{db}?sslmode=require"
