"""The AWS steps one by one against moto: read first, write only the difference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from setup_fixtures import REGION, aws_environment

from proliferate_components.errors import ConfigError
from proliferate_components.setup.answers import Answers
from proliferate_components.setup.context import SetupContext
from proliferate_components.setup.domain import (
    covers,
    describe_certificate,
    find_hosted_zone,
    validation_steps,
)
from proliferate_components.setup.errors import SetupError
from proliferate_components.setup.migrations import (
    MigrationTarget,
    run_migrations,
    target_from_outputs,
    task_outcome,
)
from proliferate_components.setup.pulumi_backend import OutputEntry
from proliferate_components.setup.secrets_provider import (
    ALIAS_TAG,
    ensure_kms_key,
    resolve_secrets_provider,
)
from proliferate_components.setup.state_backend import (
    backend_url,
    ensure_lock_table,
    ensure_state_bucket,
    validate_bucket_name,
)

BUCKET = "proliferate-state-test"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    aws_environment(monkeypatch, tmp_path)
    with mock_aws():
        yield


def ctx(*, dry_run: bool = False) -> SetupContext:
    return SetupContext(
        answers=Answers.load(flags={}, environ={}),
        prompter=None,
        dry_run=dry_run,
        echo=lambda _: None,
    )


def test_bucket_created_then_reused_without_writes(aws: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    first = ctx()
    assert (
        ensure_state_bucket(first, s3, bucket=BUCKET, region=REGION, account_id="123456789012")
        == REGION
    )
    assert len(first.changes) == 5
    second = ctx()
    ensure_state_bucket(second, s3, bucket=BUCKET, region=REGION, account_id="123456789012")
    assert second.changes == []


def test_only_the_drifted_setting_is_written(aws: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    ensure_state_bucket(ctx(), s3, bucket=BUCKET, region=REGION, account_id="123456789012")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_public_access_block(Bucket=BUCKET)
    fix = ctx()
    ensure_state_bucket(fix, s3, bucket=BUCKET, region=REGION, account_id="123456789012")
    assert fix.changes == [f"enable versioning on {BUCKET}", f"block public access to {BUCKET}"]


def test_existing_policy_statements_are_kept(aws: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    other = {
        "Sid": "AllowAuditor",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    s3.put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [other]})
    )
    ensure_state_bucket(ctx(), s3, bucket=BUCKET, region=REGION, account_id="123456789012")
    statements = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["AllowAuditor", "DenyInsecureTransport"]
    deny = statements[1]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_kms_encryption_choice(aws: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    ensure_state_bucket(ctx(), s3, bucket=BUCKET, region=REGION, account_id="123456789012")
    switch = ctx()
    ensure_state_bucket(
        switch, s3, bucket=BUCKET, region=REGION, account_id="123456789012", encryption="kms"
    )
    assert switch.changes == [f"set default encryption kms on {BUCKET}"]
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"


def test_bucket_in_another_region_is_reused_with_its_region(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    region = ensure_state_bucket(ctx(), s3, bucket=BUCKET, region=REGION, account_id="123456789012")
    assert region == "us-east-1"
    assert backend_url(BUCKET, region=region, profile="ops") == (
        f"s3://{BUCKET}?region=us-east-1&profile=ops"
    )


def test_dry_run_reports_and_creates_nothing(aws: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    dry = ctx(dry_run=True)
    ensure_state_bucket(dry, s3, bucket=BUCKET, region=REGION, account_id="123456789012")
    assert len(dry.changes) == 5
    assert s3.list_buckets()["Buckets"] == []


@pytest.mark.parametrize("name", ["ab", "Upper", "has_underscore", "-dash", "a..b", "192.168.1.1"])
def test_bad_bucket_names(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_bucket_name(name)
    assert info.value.key == "backend_bucket"


def test_lock_table_create_and_reuse(aws: None) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    first = ctx()
    ensure_lock_table(first, dynamodb, table="locks")
    assert len(first.changes) == 1
    second = ctx()
    ensure_lock_table(second, dynamodb, table="locks")
    assert second.changes == []
    assert (
        dynamodb.describe_table(TableName="locks")["Table"]["BillingModeSummary"]["BillingMode"]
        == "PAY_PER_REQUEST"
    )


def kms_clients() -> tuple[Any, Any]:
    return boto3.client("kms", region_name=REGION), boto3.client(
        "resourcegroupstaggingapi", region_name=REGION
    )


def test_kms_key_created_once(aws: None) -> None:
    kms, tagging = kms_clients()
    first = ctx()
    key = ensure_kms_key(first, kms, tagging, alias="alias/test")
    assert key and [c.split(" (")[0] for c in first.changes] == [
        "create KMS key for Pulumi secrets",
        "create KMS alias alias/test",
        "enable yearly rotation of alias/test",
    ]
    second = ctx()
    assert ensure_kms_key(second, kms, tagging, alias="alias/test") == key
    assert second.changes == []


def test_kms_key_left_without_alias_is_adopted(aws: None) -> None:
    kms, tagging = kms_clients()
    orphan = kms.create_key(Tags=[{"TagKey": ALIAS_TAG, "TagValue": "alias/test"}])["KeyMetadata"][
        "KeyId"
    ]
    run = ctx()
    assert ensure_kms_key(run, kms, tagging, alias="alias/test") == orphan
    assert not [c for c in run.changes if "create KMS key" in c]
    assert len([k for k in kms.list_keys()["Keys"]]) == 1


def test_kms_key_pending_deletion_is_an_error(aws: None) -> None:
    kms, tagging = kms_clients()
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/test", TargetKeyId=key)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    with pytest.raises(SetupError) as info:
        ensure_kms_key(ctx(), kms, tagging, alias="alias/test")
    assert "cancel-key-deletion" in str(info.value)


def test_secrets_provider_choices(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    kms, tagging = kms_clients()
    url = "awskms://alias/mine?region=eu-west-1"
    assert (
        resolve_secrets_provider(ctx(), kms, tagging, choice=url, alias="", region=REGION).url
        == url
    )
    with pytest.raises(SetupError) as info:
        resolve_secrets_provider(ctx(), kms, tagging, choice="passphrase", alias="", region=REGION)
    assert "PULUMI_CONFIG_PASSPHRASE" in str(info.value)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse battery")
    chosen = resolve_secrets_provider(
        ctx(), kms, tagging, choice="passphrase", alias="", region=REGION
    )
    assert chosen.url == "passphrase"
    with pytest.raises(ConfigError):
        resolve_secrets_provider(ctx(), kms, tagging, choice="vault", alias="", region=REGION)
    assert kms.list_keys()["Keys"] == []


def test_hosted_zone_lookup_prefers_the_longest_public_suffix(aws: None) -> None:
    route53 = boto3.client("route53", region_name=REGION)
    route53.create_hosted_zone(Name="example.com", CallerReference="1")
    sub = route53.create_hosted_zone(Name="app.example.com", CallerReference="2")
    route53.create_hosted_zone(
        Name="app.example.com",
        CallerReference="3",
        HostedZoneConfig={"PrivateZone": True, "Comment": "private"},
        VPC={"VPCRegion": REGION, "VPCId": "vpc-12345678"},
    )
    zone = find_hosted_zone(route53, "app.example.com")
    assert zone is not None and zone.name == "app.example.com"
    assert zone.zone_id == sub["HostedZone"]["Id"].rsplit("/", 1)[-1]
    assert find_hosted_zone(route53, "other.org") is None


def test_certificate_validation_steps(aws: None) -> None:
    acm = boto3.client("acm", region_name=REGION)
    arn = acm.request_certificate(
        DomainName="app.example.com",
        SubjectAlternativeNames=["app.example.com", "gateway.app.example.com"],
        ValidationMethod="DNS",
    )["CertificateArn"]
    info = describe_certificate(acm, arn)
    steps = validation_steps(
        info, ["app.example.com", "gateway.app.example.com", "llm.app.example.com"]
    )
    assert "llm.app.example.com" in steps[0] and "does not cover" in steps[0]
    if info.status != "ISSUED":
        assert any(line.strip().startswith("CNAME") for line in steps)
    with pytest.raises(SetupError):
        describe_certificate(
            acm, arn.replace(arn.rsplit("/", 1)[-1], "00000000-0000-0000-0000-000000000000")
        )


@pytest.mark.parametrize(
    ("pattern", "host", "expected"),
    [
        ("*.example.com", "app.example.com", True),
        ("*.example.com", "a.b.example.com", False),
        ("*.example.com", "example.com", False),
        ("App.Example.com", "app.example.com", True),
    ],
)
def test_covers(pattern: str, host: str, expected: bool) -> None:
    assert covers(pattern, host) is expected


def test_task_outcome() -> None:
    stopped = {
        "lastStatus": "STOPPED",
        "stoppedReason": "Essential container in task exited",
        "containers": [
            {"name": "migrations", "exitCode": 3},
            {"name": "sidecar", "exitCode": 0},
        ],
    }
    assert task_outcome(stopped, {"migrations"}) == (3, "Essential container in task exited")
    assert task_outcome(stopped, {"sidecar"})[0] == 0
    assert task_outcome({"containers": [{"name": "m"}], "stopCode": "TaskFailedToStart"}) == (
        None,
        "TaskFailedToStart",
    )


def test_migration_outputs_are_required() -> None:
    with pytest.raises(SetupError) as info:
        target_from_outputs({"migrationsClusterArn": OutputEntry("arn", False)})
    assert "migrationsTaskDefinitionArn" in str(info.value)
    target = target_from_outputs(
        {
            "migrationsClusterArn": OutputEntry("c", False),
            "migrationsTaskDefinitionArn": OutputEntry("t", False),
            "migrationsSubnetIds": OutputEntry(["s1", "s2"], False),
            "migrationsSecurityGroupIds": OutputEntry("g1,g2", False),
        }
    )
    assert target.subnet_ids == ("s1", "s2") and target.security_group_ids == ("g1", "g2")


def test_migration_timeout(aws: None) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    cluster = ecs.create_cluster(clusterName="c")["cluster"]["clusterArn"]
    task = ecs.register_task_definition(
        family="m",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "m", "image": "i", "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    target = MigrationTarget(cluster, task, (subnet,), ())
    waited: list[float] = []
    with pytest.raises(SetupError) as info:
        run_migrations(
            ecs,
            boto3.client("logs", region_name=REGION),
            target,
            echo=lambda _: None,
            timeout_seconds=1,
            poll_seconds=1,
            sleep=waited.append,
        )
    assert "did not finish within 1 s" in str(info.value)
    assert waited == [1]
