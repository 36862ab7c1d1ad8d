"""End-to-end tests of the setup wizard against moto and the in-memory Pulumi backend."""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from fake_pulumi import InMemoryPulumiBackend
from moto import mock_aws
from setup_fixtures import (
    PEM,
    REGION,
    USER_ENV,
    Harness,
    aws_environment,
    base_answers,
    make_project,
    make_stack_outputs,
)

from proliferate_components.environment import ENVIRONMENT, config_key

SERVER_SECRETS = (
    "BETTER_AUTH_SECRET",
    "SERVICE_TO_SERVICE_AUTH_TOKEN",
    "USER_SECRETS_ENCRYPTION_KEY",
    "BILLING_JWT_SECRET",
    "LLM_PROXY_MASTER_KEY",
)


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    aws_environment(monkeypatch, tmp_path)
    with mock_aws():
        yield Harness(
            project=make_project(tmp_path),
            pulumi=InMemoryPulumiBackend(outputs_factory=make_stack_outputs()),
        )


def env_of(harness: Harness) -> dict[str, str | None]:
    return dotenv_values(harness.project / ".env.local", interpolate=False)


def test_full_non_interactive_run(harness: Harness) -> None:
    result = harness.run(base_answers(harness.project))
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    bucket = f"proliferate-pulumi-state-123456789012-{REGION}"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert "DenyInsecureTransport" in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    kms = boto3.client("kms", region_name=REGION)
    key = kms.describe_key(KeyId="alias/proliferate-pulumi-secrets")["KeyMetadata"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    # no DynamoDB table unless asked for
    assert boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"] == []

    assert harness.pulumi.logged_in == f"s3://{bucket}?region={REGION}"
    stack = harness.pulumi.stacks["dev"]
    assert stack.secrets_provider == f"awskms://alias/proliferate-pulumi-secrets?region={REGION}"
    assert stack.updates == 1
    config = stack.config
    assert config["aws:region"].value == REGION
    assert config["proliferate:enableRds"].value == "true"
    assert config["proliferate:enableHttps"].value == "false"
    assert config["proliferate:workerCpu"].value == "256"
    assert config["proliferate:profile"].value == "dev"
    assert config[config_key("ANTHROPIC_API_KEY")] == type(config["aws:region"])(
        "sk-ant-test-123", True
    )
    assert config[config_key("GITHUB_APP_PRIVATE_KEY")].value == PEM

    env = env_of(harness)
    for name, value in USER_ENV.items():
        assert env[name] == value, name
    assert env["DATABASE_URL"] == "postgresql://app:pw@db.internal:5432/proliferate"
    assert env["NEXT_PUBLIC_APP_URL"] == "http://proliferate-alb-123.elb.amazonaws.com"
    assert env["AWS_REGION"] == REGION
    # upstream's formats (scripts/install-platform.cjs): what the platform's code accepts
    shapes = {
        "BETTER_AUTH_SECRET": r"[A-Za-z0-9+/]{43}=",  # randomBase64(32)
        "SERVICE_TO_SERVICE_AUTH_TOKEN": r"[A-Za-z0-9+/]{43}=",  # randomBase64(32)
        "USER_SECRETS_ENCRYPTION_KEY": r"[0-9a-f]{64}",  # randomHex(32), read as hex
        "BILLING_JWT_SECRET": r"[0-9a-f]{64}",  # randomHex(32)
        "LLM_PROXY_MASTER_KEY": r"sk-[0-9a-f]{48}",  # randomToken("sk-", 24)
    }
    assert env["LITELLM_MASTER_KEY"] == env["LLM_PROXY_MASTER_KEY"]
    for name in SERVER_SECRETS:
        value = env[name]
        assert re.fullmatch(shapes[name], value), name
        # the stack gets the same value as the env file
        assert config[config_key(name)].value == value and config[config_key(name)].secret
    # every key is either set to a non-empty value or listed as unset (commented out)
    text = (harness.project / ".env.local").read_text()
    for var in ENVIRONMENT:
        assert env.get(var.name) or f"# {var.name}=" in text, var.name
    assert all(v for v in env.values()), "no empty values"
    assert stat.S_IMODE((harness.project / ".env.local").stat().st_mode) == 0o600
    assert result.env_written and result.backup is None
    assert any("webhook" in step for step in result.steps)


def test_second_run_changes_nothing(harness: Harness) -> None:
    answers = base_answers(harness.project)
    harness.run(answers)
    env_file = harness.project / ".env.local"
    before = env_file.stat()
    config_before = dict(harness.pulumi.stacks["dev"].config)
    harness.log.clear()
    calls_before = len(harness.pulumi.mutating_calls())

    result = harness.run(answers)

    assert harness.log.mutating() == []
    assert harness.log.calls, "the second run must still read the state"
    new_pulumi_calls = harness.pulumi.mutating_calls()[calls_before:]
    assert [name for name, _ in new_pulumi_calls] == ["up"]  # pulumi up itself is idempotent
    assert harness.pulumi.stacks["dev"].config == config_before
    after = env_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not result.env_written
    assert not list(harness.project.glob(".env.local.bak*"))


def test_second_run_with_skip_up_makes_no_pulumi_mutation(harness: Harness) -> None:
    answers = base_answers(harness.project)
    harness.run(answers)
    calls_before = len(harness.pulumi.mutating_calls())
    harness.run({**answers, "skip_pulumi_up": True})
    assert harness.pulumi.mutating_calls()[calls_before:] == []


def test_dry_run_changes_nothing(harness: Harness) -> None:
    result = harness.run(base_answers(harness.project), dry_run=True)
    import boto3

    assert boto3.client("s3", region_name=REGION).list_buckets()["Buckets"] == []
    assert harness.log.mutating() == []
    assert harness.pulumi.mutating_calls() == []
    assert not (harness.project / ".env.local").exists()
    joined = "\n".join(result.changes)
    for expected in (
        "create S3 bucket",
        "create KMS key",
        "pulumi login",
        "create stack dev",
        "pulumi up",
        "write",
    ):
        assert expected in joined, expected


def test_dry_run_after_a_run_reports_a_changed_answer_only(harness: Harness) -> None:
    answers = base_answers(harness.project)
    harness.run(answers)
    harness.log.clear()
    config_before = dict(harness.pulumi.stacks["dev"].config)
    result = harness.run(
        {
            **answers,
            "config": {"proliferate:workerCpu": "512", "proliferate:workerMemory": "1024"},
            "yes": True,
            "skip_pulumi_up": True,
        },
        dry_run=True,
    )
    assert harness.log.mutating() == []
    assert harness.pulumi.stacks["dev"].config == config_before
    assert [c for c in result.changes if "workerCpu" in c or "workerMemory" in c]
    assert not [c for c in result.changes if "bucket" in c.lower()]


def test_missing_required_answer_names_it(harness: Harness) -> None:
    from proliferate_components.setup.errors import MissingAnswerError

    answers = base_answers(harness.project)
    env = dict(USER_ENV)
    del env["ANTHROPIC_API_KEY"]
    del env["MODAL_TOKEN_SECRET"]
    answers["env"] = env
    with pytest.raises(MissingAnswerError) as info:
        harness.run(answers)
    message = str(info.value)
    assert "ANTHROPIC_API_KEY" in message
    assert "PROLIFERATE_ENV_ANTHROPIC_API_KEY" in message and "env.ANTHROPIC_API_KEY" in message
    assert "MODAL_TOKEN_SECRET" in message


def test_e2b_needs_its_own_key(harness: Harness) -> None:
    from proliferate_components.setup.errors import MissingAnswerError

    answers = base_answers(harness.project, sandbox_provider="e2b")
    with pytest.raises(MissingAnswerError) as info:
        harness.run(answers)
    assert "E2B_API_KEY" in str(info.value)
    assert "E2B_TEMPLATE" in str(info.value)
    answers["env"] = {
        **USER_ENV,
        "E2B_API_KEY": "e2b-key",
        "E2B_TEMPLATE": "proliferate",
        "E2B_TEMPLATE_ALIAS": "proliferate-base",
    }
    harness.run(answers)
    env = env_of(harness)
    assert env["DEFAULT_SANDBOX_PROVIDER"] == "e2b" and env["E2B_API_KEY"] == "e2b-key"


def test_changed_answer_needs_confirmation_non_interactive(harness: Harness) -> None:
    from proliferate_components.setup.errors import ChangeNotConfirmedError

    answers = base_answers(harness.project)
    harness.run(answers)
    changed = {
        **answers,
        "config": {"proliferate:workerCpu": "512", "proliferate:workerMemory": "1024"},
    }
    with pytest.raises(ChangeNotConfirmedError) as info:
        harness.run(changed)
    assert "proliferate:workerCpu" in str(info.value)
    assert harness.pulumi.stacks["dev"].config["proliferate:workerCpu"].value == "256"
    harness.run({**changed, "yes": True})
    assert harness.pulumi.stacks["dev"].config["proliferate:workerCpu"].value == "512"


def test_changed_env_value_keeps_a_backup(harness: Harness) -> None:
    answers = base_answers(harness.project)
    harness.run(answers)
    first = (harness.project / ".env.local").read_text()
    answers["env"] = {**USER_ENV, "ANTHROPIC_API_KEY": "sk-ant-new"}
    harness.run({**answers, "yes": True, "skip_pulumi_up": True})
    assert env_of(harness)["ANTHROPIC_API_KEY"] == "sk-ant-new"
    backup = harness.project / ".env.local.bak"
    assert backup.read_text() == first
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert (
        harness.pulumi.stacks["dev"].config[config_key("ANTHROPIC_API_KEY")].value == "sk-ant-new"
    )
    answers["env"] = {**USER_ENV, "ANTHROPIC_API_KEY": "sk-ant-third"}
    harness.run({**answers, "yes": True, "skip_pulumi_up": True})
    assert "sk-ant-new" in backup.read_text(), "one backup: the file before this run"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert sorted(p.name for p in harness.project.glob(".env.local*")) == [
        ".env.local",
        ".env.local.bak",
    ]


def test_existing_env_file_values_are_reused(harness: Harness) -> None:
    env_file = harness.project / ".env.local"
    env_file.write_text(
        "ANTHROPIC_API_KEY=sk-from-file\nBETTER_AUTH_SECRET=kept-secret\nMY_OWN_KEY=mine\n"
    )
    answers = base_answers(harness.project)
    env = dict(USER_ENV)
    del env["ANTHROPIC_API_KEY"]
    answers["env"] = env
    harness.run({**answers, "yes": True})
    values = env_of(harness)
    assert values["ANTHROPIC_API_KEY"] == "sk-from-file"
    assert values["BETTER_AUTH_SECRET"] == "kept-secret"
    assert values["MY_OWN_KEY"] == "mine", "keys unknown to the schema are kept"
    config = harness.pulumi.stacks["dev"].config
    assert config[config_key("BETTER_AUTH_SECRET")].value == "kept-secret"
    assert (harness.project / ".env.local.bak").exists()


def test_existing_env_file_is_not_overwritten_without_confirmation(harness: Harness) -> None:
    from proliferate_components.setup.errors import ChangeNotConfirmedError

    env_file = harness.project / ".env.local"
    env_file.write_text("LOG_LEVEL=debug\n")
    with pytest.raises(ChangeNotConfirmedError):
        harness.run(base_answers(harness.project))
    assert env_file.read_text() == "LOG_LEVEL=debug\n"


def test_dynamodb_table_is_opt_in(harness: Harness) -> None:
    import boto3

    harness.run(base_answers(harness.project, dynamodb_lock_table="pulumi-locks"))
    table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName="pulumi-locks")
    assert table["Table"]["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]


def test_migrations_run_after_up(harness: Harness) -> None:
    import boto3

    harness.pulumi.outputs_factory = make_stack_outputs(create_ecs=True)
    logs = boto3.client("logs", region_name=REGION)

    def sleep(seconds: float) -> None:
        ecs = boto3.client("ecs", region_name=REGION)
        arns = [
            arn
            for status in ("RUNNING", "STOPPED")
            for arn in ecs.list_tasks(cluster="proliferate", desiredStatus=status)["taskArns"]
        ]
        for arn in arns:
            stream = f"migrations/migrations/{arn.rsplit('/', 1)[-1]}"
            try:
                logs.create_log_stream(logGroupName="/proliferate/migrations", logStreamName=stream)
                logs.put_log_events(
                    logGroupName="/proliferate/migrations",
                    logStreamName=stream,
                    logEvents=[
                        {"timestamp": int(time.time() * 1000), "message": "applied 12 migrations"}
                    ],
                )
            except logs.exceptions.ResourceAlreadyExistsException:
                pass

    result = harness.run(base_answers(harness.project, run_migrations=True), sleep=sleep)
    assert result.migration is not None
    assert result.migration.exit_code == 0
    assert result.migration.log_tail == ("applied 12 migrations",)
    task = boto3.client("ecs", region_name=REGION).describe_tasks(
        cluster="proliferate", tasks=[result.migration.task_arn]
    )["tasks"][0]
    assert task["startedBy"] == "proliferate-setup"
    assert any("| applied 12 migrations" in line for line in harness.lines)


def test_migrations_refused_with_skip_up(harness: Harness) -> None:
    from proliferate_components.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        harness.run(base_answers(harness.project, run_migrations=True, skip_pulumi_up=True))
    assert info.value.key == "run_migrations"
    assert harness.log.calls == [], "rejected before any AWS call"


def test_skip_up_on_new_stack_leaves_output_keys_unset(harness: Harness) -> None:
    result = harness.run(base_answers(harness.project, skip_pulumi_up=True))
    assert harness.pulumi.stacks["dev"].updates == 0
    text = (harness.project / ".env.local").read_text()
    assert "# DATABASE_URL=  # unset: no stack output yet" in text
    assert result.values["DATABASE_URL"].value is None


def test_existing_certificate_prints_validation_steps(harness: Harness) -> None:
    import boto3

    acm = boto3.client("acm", region_name=REGION)
    arn = acm.request_certificate(
        DomainName="app.example.com",
        SubjectAlternativeNames=["app.example.com", "*.app.example.com"],
        ValidationMethod="DNS",
    )["CertificateArn"]
    result = harness.run(
        base_answers(
            harness.project, domain_name="app.example.com", tls="existing", certificate_arn=arn
        )
    )
    config = harness.pulumi.stacks["dev"].config
    assert (
        config["proliferate:certificateArn"].value == arn
        and config["proliferate:certificateArn"].secret
    )
    assert config["proliferate:enableHttps"].value == "true"
    assert config["proliferate:domainName"].value == "app.example.com"
    assert any("CNAME gateway.app.example.com" in step for step in result.steps)
    assert any("create these DNS records" in line for line in harness.lines)
    assert env_of(harness)["DOMAIN_NAME"] == "app.example.com"


def test_managed_dns_with_a_known_zone(harness: Harness) -> None:
    harness.run(
        base_answers(
            harness.project,
            domain_name="app.example.com",
            tls="managed",
            hosted_zone_id="Z0123456789ABCDEFGHIJ",
        )
    )
    config = harness.pulumi.stacks["dev"].config
    assert config["proliferate:manageDns"].value == "true"
    assert config["proliferate:hostedZoneId"].value == "Z0123456789ABCDEFGHIJ"
    assert config["proliferate:enableHttps"].value == "true"
    assert "proliferate:certificateArn" not in config


def test_managed_dns_without_a_zone_lets_the_stack_create_one(harness: Harness) -> None:
    result = harness.run(
        base_answers(harness.project, domain_name="app.example.com", tls="managed")
    )
    config = harness.pulumi.stacks["dev"].config
    assert config["proliferate:manageDns"].value == "true"
    assert "proliferate:hostedZoneId" not in config
    assert any("delegate app.example.com" in step for step in result.steps)


def test_invalid_answers_fail_before_any_aws_call(harness: Harness) -> None:
    from proliferate_components.errors import ConfigError

    for bad, key in (
        ({"region": "moon-1"}, "region"),
        ({"backend_bucket": "Bad_Bucket"}, "backend_bucket"),
        ({"config": {"proliferate:workerMemory": "3000"}}, "proliferate:workerMemory"),
    ):
        harness.log.clear()
        with pytest.raises(ConfigError) as info:
            harness.run(base_answers(harness.project, **bad))
        assert info.value.key == key
        if key != "proliferate:workerMemory":
            assert harness.log.calls == []
    assert harness.pulumi.stacks.get("dev") is None or not any(
        k == "proliferate:workerMemory" for k in harness.pulumi.stacks["dev"].config
    )
    assert not (harness.project / ".env.local").exists()


def test_env_file_round_trips_through_python_dotenv(harness: Harness) -> None:
    harness.run(base_answers(harness.project))
    values = env_of(harness)
    assert values["GITHUB_APP_PRIVATE_KEY"] == PEM
    assert values["GITHUB_APP_WEBHOOK_SECRET"] == "whsec-abc$def"
    assert values["GITHUB_OAUTH_APP_SECRET"] == "oauth secret with spaces"
    os.environ.pop("PEM_CHECK", None)


def test_rerun_without_region_reuses_the_backend_and_stack_region(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = base_answers(harness.project)
    harness.run(answers)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    harness.log.clear()
    rerun = {k: v for k, v in answers.items() if k != "region"}
    harness.run({**rerun, "skip_pulumi_up": True})
    assert harness.log.mutating() == []
    import boto3

    assert len(boto3.client("s3", region_name=REGION).list_buckets()["Buckets"]) == 1
    assert harness.pulumi.stacks["dev"].config["aws:region"].value == REGION


def test_external_database_url_is_asked_and_pushed(harness: Harness) -> None:
    from proliferate_components.setup.errors import MissingAnswerError

    answers = base_answers(harness.project, enable_rds=False)
    with pytest.raises(MissingAnswerError) as info:
        harness.run(answers)
    assert "DATABASE_URL" in str(info.value)
    url = "postgresql://me:pw@db.example.com:5432/app"
    answers["env"] = {**USER_ENV, "DATABASE_URL": url}
    harness.run(answers)
    config = harness.pulumi.stacks["dev"].config
    assert config["proliferate:enableRds"].value == "false"
    assert config[config_key("DATABASE_URL")].value == url
    assert config[config_key("DATABASE_URL")].secret
    assert env_of(harness)["DATABASE_URL"] == url, "the stack output does not replace it"


def test_deployed_stack_keeps_its_own_generated_secrets(harness: Harness) -> None:
    from fake_pulumi import FakeStack

    from proliferate_components.setup.pulumi_backend import OutputEntry

    bucket = f"proliferate-pulumi-state-123456789012-{REGION}"
    harness.pulumi.logged_in = f"s3://{bucket}?region={REGION}"
    harness.pulumi.stacks["dev"] = FakeStack(
        secrets_provider="passphrase",
        outputs={
            "appUrl": OutputEntry("http://old.example", False),
            "databaseUrl": OutputEntry("postgresql://u:p@db/x", True),
            "redisUrl": OutputEntry("rediss://cache:6379", True),
        },
    )
    harness.run(base_answers(harness.project, skip_pulumi_up=True))
    config = harness.pulumi.stacks["dev"].config
    assert config_key("BETTER_AUTH_SECRET") not in config
    assert config_key("USER_SECRETS_ENCRYPTION_KEY") not in config
    assert any(
        "USER_SECRETS_ENCRYPTION_KEY is generated by the deployed stack" in line
        for line in harness.lines
    )
    assert config[config_key("ANTHROPIC_API_KEY")].value == USER_ENV["ANTHROPIC_API_KEY"]


def test_certificate_in_another_region_is_rejected_before_writes(harness: Harness) -> None:
    from proliferate_components.errors import ConfigError

    arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    with pytest.raises(ConfigError) as info:
        harness.run(
            base_answers(
                harness.project, domain_name="app.example.com", tls="existing", certificate_arn=arn
            )
        )
    assert "region" in str(info.value)
    assert not any(name == "set_config" for name, _ in harness.pulumi.calls)
