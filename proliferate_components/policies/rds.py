"""RDS rules: the database is hard to delete, backed up, encrypted and private."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .rule import ConfigProperty, Resource, ResourceRule, resource_rule
from .values import flag, is_unknown, items, mapping, number, text, unless_true, unset

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"


def _is_replica(r: Resource) -> bool:
    """Read replicas inherit backups/final snapshots from their source."""
    return bool(r.props.get("replicateSourceDb"))


@resource_rule(
    id="proliferate-rds-deletion-protection",
    service="rds",
    types=(INSTANCE, CLUSTER),
    description="RDS databases have deletion protection enabled",
    severity="high",
    enforcement="mandatory",
    remediation="set deletion_protection=True (turn it off in a separate update before a deliberate delete)",
    equivalents=("cdk-nag:AwsSolutions-RDS10", "checkov:CKV_AWS_293"),
)
def deletion_protection(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """deletionProtection true (the AWS default is false)."""
    raw = r.props.get("deletionProtection")
    problem = f"can be deleted by any update (deletionProtection={raw!r})"
    yield from unless_true(r.label, raw, problem)


@resource_rule(
    id="proliferate-rds-final-snapshot",
    service="rds",
    types=(INSTANCE, CLUSTER),
    description="Deleting an RDS database takes a final snapshot first",
    severity="high",
    enforcement="mandatory",
    remediation=(
        "set skip_final_snapshot=False and a stable final_snapshot_identifier (do not derive it "
        "from a timestamp: changing it shows a diff on every run)"
    ),
    equivalents=(),
)
def final_snapshot(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """skipFinalSnapshot false and finalSnapshotIdentifier present."""
    if _is_replica(r):
        return
    skip = r.props.get("skipFinalSnapshot")
    if flag(skip) is True:
        yield f"{r.label} skips the final snapshot on delete (skipFinalSnapshot=true)"
        return
    ident = r.props.get("finalSnapshotIdentifier")
    if not is_unknown(ident) and not text(ident):
        yield (
            f"{r.label} sets no finalSnapshotIdentifier, so a delete fails (or loses data if "
            "skipFinalSnapshot is later flipped)"
        )


@resource_rule(
    id="proliferate-rds-backup-retention",
    service="rds",
    types=(INSTANCE, CLUSTER),
    description="RDS keeps automated backups for at least minRetentionDays days",
    severity="high",
    enforcement="mandatory",
    remediation="set backup_retention_period to at least minRetentionDays (max 35)",
    config=(
        ConfigProperty(
            "minRetentionDays",
            "integer",
            7,
            "Smallest accepted backup_retention_period in days.",
            minimum=1,
        ),
    ),
    equivalents=("cdk-nag:AwsSolutions-RDS13", "checkov:CKV_AWS_133"),
)
def backup_retention(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """backupRetentionPeriod >= minRetentionDays."""
    if _is_replica(r):
        return
    raw = r.props.get("backupRetentionPeriod")
    if is_unknown(raw):
        return
    days = number(raw)
    minimum = number(config.get("minRetentionDays")) or 7
    if days is None:
        yield f"{r.label} sets no backupRetentionPeriod (the provider default is 1 day or less)"
    elif days < minimum:
        yield f"{r.label} keeps backups for {days:g} days (minimum {minimum:g})"


@resource_rule(
    id="proliferate-rds-storage-encrypted",
    service="rds",
    types=(INSTANCE, CLUSTER),
    description="RDS storage is encrypted at rest",
    severity="high",
    enforcement="mandatory",
    remediation="set storage_encrypted=True (optionally kms_key_id); it forces a new database, so set it from day one",
    equivalents=("cdk-nag:AwsSolutions-RDS2", "checkov:CKV_AWS_16"),
)
def storage_encrypted(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """storageEncrypted true."""
    if not _is_replica(r):
        raw = r.props.get("storageEncrypted")
        problem = f"stores data unencrypted (storageEncrypted={raw!r})"
        yield from unless_true(r.label, raw, problem)


@resource_rule(
    id="proliferate-rds-not-public",
    service="rds",
    types=(INSTANCE,),
    description="RDS instances are not reachable from the internet",
    severity="critical",
    enforcement="mandatory",
    remediation="set publicly_accessible=False and place the instance in private subnets",
    equivalents=("checkov:CKV_AWS_17",),
)
def not_public(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """publiclyAccessible false or unset."""
    if flag(r.props.get("publiclyAccessible")) is True:
        yield f"{r.label} is publicly accessible"


@resource_rule(
    id="proliferate-rds-multi-az",
    service="rds",
    types=(INSTANCE,),
    description="RDS instances run Multi-AZ with a standby in another zone",
    severity="medium",
    enforcement="advisory",
    remediation="set multi_az=True (doubles the instance cost; recommended for prod)",
    equivalents=("cdk-nag:AwsSolutions-RDS3", "checkov:CKV_AWS_157"),
)
def multi_az(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """multiAz true."""
    if not _is_replica(r):
        yield from unless_true(r.label, r.props.get("multiAz"), "is single-AZ")


@resource_rule(
    id="proliferate-rds-iam-auth",
    service="rds",
    types=(INSTANCE, CLUSTER),
    description="RDS accepts IAM database authentication",
    severity="low",
    enforcement="advisory",
    remediation="set iam_database_authentication_enabled=True",
    equivalents=("cdk-nag:AwsSolutions-RDS6", "checkov:CKV_AWS_161"),
)
def iam_auth(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """iamDatabaseAuthenticationEnabled true."""
    raw = r.props.get("iamDatabaseAuthenticationEnabled")
    yield from unless_true(r.label, raw, "does not enable IAM database authentication")


@resource_rule(
    id="proliferate-rds-auto-minor-version-upgrade",
    service="rds",
    types=(INSTANCE,),
    description="RDS instances receive minor engine upgrades (security fixes) automatically",
    severity="low",
    enforcement="advisory",
    remediation="leave auto_minor_version_upgrade at its default (True) and pin only the major engine_version",
    equivalents=("checkov:CKV_AWS_226",),
)
def auto_minor_version_upgrade(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """autoMinorVersionUpgrade not false (default true)."""
    if flag(r.props.get("autoMinorVersionUpgrade")) is False:
        yield f"{r.label} turns off automatic minor version upgrades"


@resource_rule(
    id="proliferate-rds-log-exports",
    service="rds",
    types=(INSTANCE, CLUSTER),
    description="RDS exports its engine logs to CloudWatch Logs",
    severity="low",
    enforcement="advisory",
    remediation="set enabled_cloudwatch_logs_exports (e.g. ['postgresql', 'upgrade'] for PostgreSQL)",
    equivalents=("checkov:CKV_AWS_129",),
)
def log_exports(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """enabledCloudwatchLogsExports non-empty."""
    raw = r.props.get("enabledCloudwatchLogsExports")
    if is_unknown(raw):
        return
    if not items(raw):
        yield f"{r.label} exports no logs to CloudWatch"


PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"


@resource_rule(
    id="proliferate-rds-kms",
    service="rds",
    types=(INSTANCE, CLUSTER),
    description="RDS storage is encrypted with a customer-managed KMS key",
    severity="low",
    enforcement="advisory",
    remediation=(
        "set kms_key_id when the instance is created (PostgresDbArgs.kms_key_id; the stack's "
        "customerManagedKey); an existing instance keeps its key (restore a snapshot to move)"
    ),
    equivalents=("checkov:CKV_AWS_16",),
)
def kms(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """kmsKeyId set."""
    if unset(r.props.get("kmsKeyId")):
        yield f"{r.label} is encrypted with the aws/rds key, not a customer-managed key"


@resource_rule(
    id="proliferate-rds-performance-insights",
    service="rds",
    types=(INSTANCE,),
    description="RDS Performance Insights is on and encrypted with a customer-managed key",
    severity="low",
    enforcement="advisory",
    remediation=(
        "set performance_insights_enabled=True with performance_insights_kms_key_id "
        "(PostgresDbArgs.performance_insights with kms_key_id; the stack's dbPerformanceInsights)"
    ),
    equivalents=("checkov:CKV_AWS_353", "checkov:CKV_AWS_354"),
)
def performance_insights(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """performanceInsightsEnabled true and performanceInsightsKmsKeyId set."""
    raw = r.props.get("performanceInsightsEnabled")
    if is_unknown(raw):
        return
    if flag(raw) is not True:
        yield f"{r.label} has no Performance Insights"
    elif unset(r.props.get("performanceInsightsKmsKeyId")):
        yield f"{r.label} keeps Performance Insights under the AWS-managed key"


@resource_rule(
    id="proliferate-rds-enhanced-monitoring",
    service="rds",
    types=(INSTANCE,),
    description="RDS enhanced monitoring is on (an interval and a monitoring role)",
    severity="low",
    enforcement="advisory",
    remediation=(
        "set monitoring_interval (e.g. 60) and monitoring_role_arn (PostgresDbArgs."
        "monitoring_interval_seconds creates the role; the stack's dbMonitoringInterval)"
    ),
    equivalents=("checkov:CKV_AWS_118",),
)
def enhanced_monitoring(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """monitoringInterval > 0 with monitoringRoleArn."""
    raw = r.props.get("monitoringInterval")
    if is_unknown(raw):
        return
    if not number(raw):
        yield f"{r.label} has no enhanced monitoring"
    elif unset(r.props.get("monitoringRoleArn")):
        yield f"{r.label} sets a monitoring interval without a monitoring role"


QUERY_LOGGING_PARAMETERS: tuple[str, ...] = ("log_statement", "log_min_duration_statement")
"""PostgreSQL parameters that make queries visible in the exported logs."""


@resource_rule(
    id="proliferate-rds-query-logging",
    service="rds",
    types=(PARAMETER_GROUP,),
    description="PostgreSQL parameter groups log statements (log_statement and log_min_duration_statement)",
    severity="low",
    enforcement="advisory",
    remediation=(
        "set log_statement (e.g. ddl) and log_min_duration_statement (e.g. 1000 ms) in the "
        "parameter group (PostgresDbArgs.query_logging; the stack's dbQueryLogging)"
    ),
    equivalents=("checkov:CKV2_AWS_30",),
)
def query_logging(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """A ``postgres*`` family group sets both parameters."""
    family = text(r.props.get("family")) or ""
    raw = r.props.get("parameters")
    if not family.startswith("postgres") or is_unknown(raw):
        return
    names = {text(mapping(p).get("name")) for p in items(raw)}
    missing = [p for p in QUERY_LOGGING_PARAMETERS if p not in names]
    if missing:
        yield f"{r.label} does not set {' or '.join(missing)}: queries are not logged"


RULES: tuple[ResourceRule, ...] = (
    deletion_protection,
    final_snapshot,
    backup_retention,
    storage_encrypted,
    not_public,
    multi_az,
    iam_auth,
    auto_minor_version_upgrade,
    log_exports,
    kms,
    performance_insights,
    enhanced_monitoring,
    query_logging,
)
"""The RDS rules, in catalog order."""
