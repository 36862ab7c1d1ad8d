"""RDS rules: the database is hard to delete, backed up, encrypted and private."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .rule import ConfigProperty, Resource, ResourceRule, resource_rule
from .values import flag, is_unknown, items, number, text

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
    if is_unknown(raw):
        return
    if flag(raw) is not True:
        yield f"{r.label} can be deleted by any update (deletionProtection={raw!r})"


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
    raw = r.props.get("storageEncrypted")
    if is_unknown(raw) or _is_replica(r):
        return
    if flag(raw) is not True:
        yield f"{r.label} stores data unencrypted (storageEncrypted={raw!r})"


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
    raw = r.props.get("multiAz")
    if is_unknown(raw) or _is_replica(r):
        return
    if flag(raw) is not True:
        yield f"{r.label} is single-AZ"


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
    if is_unknown(raw):
        return
    if flag(raw) is not True:
        yield f"{r.label} does not enable IAM database authentication"


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
)
"""The RDS rules, in catalog order."""
