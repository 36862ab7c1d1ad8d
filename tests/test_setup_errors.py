"""AWS failures become a clear message and a non-zero exit through the CLI, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from fake_pulumi import InMemoryPulumiBackend
from moto import mock_aws
from setup_fixtures import (
    REGION,
    CallLog,
    aws_environment,
    base_answers,
    counting_factory,
    error_response,
    make_project,
    make_stack_outputs,
)

from proliferate_components.cli.main import main
from proliferate_components.setup import flow

REAL_DEPS = flow.SetupDeps


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """Run ``proliferate-infra setup --non-interactive`` with moto and the fake Pulumi."""
    aws_environment(monkeypatch, tmp_path)
    with mock_aws():
        project = make_project(tmp_path)
        pulumi = InMemoryPulumiBackend(outputs_factory=make_stack_outputs())
        log = CallLog()
        injected: dict[str, dict[str, Any]] = {}

        def deps() -> flow.SetupDeps:
            return REAL_DEPS(
                pulumi_factory=lambda project_dir, env: pulumi,
                session_factory=counting_factory(log, injected.get),
                aws_max_attempts=1,
            )

        monkeypatch.setattr(flow, "SetupDeps", deps)

        def run(*extra: str, answers: dict[str, Any] | None = None) -> int:
            path = tmp_path / "answers.yaml"
            path.write_text(yaml.safe_dump(answers or base_answers(project)))
            return main(["setup", "--non-interactive", "--answers", str(path), *extra])

        run.injected = injected  # type: ignore[attr-defined]
        run.log = log  # type: ignore[attr-defined]
        run.project = project  # type: ignore[attr-defined]
        yield run


@pytest.mark.parametrize(
    ("operation", "code", "status", "expected"),
    [
        ("s3.CreateBucket", "AccessDenied", 403, "AWS denied creating the state bucket"),
        ("kms.CreateKey", "AccessDeniedException", 400, "Grant this identity the permission"),
        ("s3.PutBucketPolicy", "SlowDown", 503, "AWS throttled"),
        ("kms.DescribeKey", "ThrottlingException", 400, "Wait a minute and run the wizard again"),
        ("s3.CreateBucket", "BucketAlreadyExists", 409, "taken by another AWS account"),
        ("sts.GetCallerIdentity", "ExpiredToken", 403, "AWS credentials do not work"),
        ("sts.GetCallerIdentity", "AccessDenied", 403, "AWS denied checking AWS credentials"),
    ],
)
def test_aws_errors_are_messages_not_tracebacks(
    cli: Any,
    capsys: pytest.CaptureFixture[str],
    operation: str,
    code: str,
    status: int,
    expected: str,
) -> None:
    cli.injected[operation] = error_response(code, "injected message", status)
    assert cli() == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert expected in captured.err
    assert captured.err.startswith("error: ")
    assert not (cli.project / ".env.local").exists()


def test_bucket_of_another_account(
    cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = "proliferate-shared-state"
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "222222222222")
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    answers = base_answers(cli.project, backend_bucket=bucket)
    assert cli(answers=answers) == 2
    err = capsys.readouterr().err
    assert "belongs to another AWS account" in err and "--backend-bucket" in err
    assert [c for c in cli.log.mutating() if c.startswith("s3.")] == []


def test_no_credentials_non_interactive(
    cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert cli() == 2
    err = capsys.readouterr().err
    assert "AWS credentials do not work" in err and "--profile" in err
    assert "Traceback" not in err


def test_unknown_profile_non_interactive(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--profile", "nope") == 2
    assert "AWS profile 'nope' does not exist" in capsys.readouterr().err


def test_missing_pulumi_cli_shows_the_install_command(
    cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pulumi = InMemoryPulumiBackend(installed=False)
    monkeypatch.setattr(
        flow, "SetupDeps", lambda: REAL_DEPS(pulumi_factory=lambda project_dir, env: pulumi)
    )
    assert cli() == 2
    err = capsys.readouterr().err
    assert "get.pulumi.com" in err or "brew install pulumi/tap/pulumi" in err
    assert "--install-pulumi" in err
    assert cli.log.calls == [], "stops before any AWS call"


def test_invalid_answer_file_key_is_named(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    answers = base_answers(cli.project)
    answers["regoin"] = "eu-west-1"
    assert cli(answers=answers) == 2
    assert "regoin" in capsys.readouterr().err


def test_dry_run_through_the_cli(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--dry-run") == 0
    out = capsys.readouterr().out
    assert "Dry run: changes that would be made" in out
    assert "would create S3 bucket" in out
    assert cli.log.mutating() == []
    assert not (cli.project / ".env.local").exists()


def test_successful_cli_run_prints_next_steps(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli() == 0
    out = capsys.readouterr().out
    assert "Next steps" in out and "/api/auth/callback/github" in out
    assert "sk-ant-test-123" not in out, "secrets are never printed"
