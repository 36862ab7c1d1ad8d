"""An interrupted wizard run (Ctrl-C or a failed call at any step) converges when run again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from dotenv import dotenv_values
from fake_pulumi import InMemoryPulumiBackend
from moto import mock_aws
from setup_fixtures import (
    REGION,
    Harness,
    aws_environment,
    base_answers,
    error_response,
    make_project,
    make_stack_outputs,
)

from proliferate_components.errors import ProliferateError
from proliferate_components.setup import envfile

GENERATED = (
    "BETTER_AUTH_SECRET",
    "SERVICE_TO_SERVICE_AUTH_TOKEN",
    "USER_SECRETS_ENCRYPTION_KEY",
    "GATEWAY_JWT_SECRET",
    "BILLING_JWT_SECRET",
    "LLM_PROXY_MASTER_KEY",
)

AWS_STEPS = (
    "sts.GetCallerIdentity",
    "s3.CreateBucket",
    "s3.PutBucketVersioning",
    "s3.PutBucketEncryption",
    "s3.PutPublicAccessBlock",
    "s3.PutBucketPolicy",
    "kms.CreateKey",
    "kms.CreateAlias",
    "kms.EnableKeyRotation",
)
PULUMI_STEPS = ("login", "create_stack", "set_config#1", "set_config#8", "set_config#20", "up")


def snapshot(harness: Harness) -> dict[str, Any]:
    """The end state that matters, without random values (generated secrets are compared
    between the env file and the stack config instead)."""
    s3 = boto3.client("s3", region_name=REGION)
    kms = boto3.client("kms", region_name=REGION)
    bucket = f"proliferate-pulumi-state-123456789012-{REGION}"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    keys = [
        k["KeyId"]
        for k in kms.list_keys()["Keys"]
        if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    ]
    alias_target = kms.describe_key(KeyId="alias/proliferate-pulumi-secrets")["KeyMetadata"][
        "KeyId"
    ]
    stack = harness.pulumi.stacks["dev"]
    env = dotenv_values(harness.project / ".env.local", interpolate=False)
    for name in GENERATED:
        value = env[name]
        assert value and stack.config[f"proliferate:{name}"].value == value, name
    assert env["LITELLM_MASTER_KEY"] == env["LLM_PROXY_MASTER_KEY"]
    return {
        "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]],
        "versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
        "encryption": s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"],
        "public_access": s3.get_public_access_block(Bucket=bucket)[
            "PublicAccessBlockConfiguration"
        ],
        "policy_sids": [s["Sid"] for s in policy["Statement"]],
        "kms_keys": len(keys),
        "alias_points_to_a_key": alias_target in keys,
        "rotation": kms.get_key_rotation_status(KeyId=alias_target)["KeyRotationEnabled"],
        "logged_in": harness.pulumi.logged_in,
        "stacks": sorted(harness.pulumi.stacks),
        "provider": stack.secrets_provider,
        "updates": stack.updates >= 1,
        "config": {
            k: (e.secret, None if k.removeprefix("proliferate:") in GENERATED else e.value)
            for k, e in sorted(stack.config.items())
        },
        "env": {
            k: (None if k in GENERATED or k == "LITELLM_MASTER_KEY" else v) for k, v in env.items()
        },
        "env_text_keys": [
            line.split("=", 1)[0]
            for line in (harness.project / ".env.local").read_text().splitlines()
            if line and not line.startswith("# ----")
        ],
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The end state of one uninterrupted run."""
    tmp = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as monkeypatch:
        aws_environment(monkeypatch, tmp)
        with mock_aws():
            harness = Harness(
                project=make_project(tmp),
                pulumi=InMemoryPulumiBackend(outputs_factory=make_stack_outputs()),
            )
            harness.run(base_answers(harness.project))
            return snapshot(harness)


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Harness]:
    aws_environment(monkeypatch, tmp_path)
    with mock_aws():
        yield Harness(
            project=make_project(tmp_path),
            pulumi=InMemoryPulumiBackend(outputs_factory=make_stack_outputs()),
        )


def once(operation: str, fault: str) -> Any:
    fired: list[bool] = []

    def inject(name: str) -> dict[str, Any] | None:
        if name != operation or fired:
            return None
        fired.append(True)
        if fault == "interrupt":
            raise KeyboardInterrupt
        return error_response("InternalError", "injected failure", 500)

    return inject


FAULTS = [("interrupt", step) for step in AWS_STEPS] + [
    ("error", step) for step in ("s3.CreateBucket", "s3.PutBucketPolicy", "kms.CreateAlias")
]
PULUMI_FAULTS = [("interrupt", step) for step in PULUMI_STEPS] + [
    ("error", step) for step in ("set_config#8", "up")
]


@pytest.mark.parametrize(("fault", "operation"), FAULTS)
def test_aws_fault_then_rerun_converges(
    harness: Harness, reference: dict[str, Any], operation: str, fault: str
) -> None:
    harness.inject = once(operation, fault)
    expected = KeyboardInterrupt if fault == "interrupt" else ProliferateError
    with pytest.raises(expected):
        harness.run(base_answers(harness.project))
    harness.inject = None
    harness.run(base_answers(harness.project))
    assert snapshot(harness) == reference


@pytest.mark.parametrize(("fault", "call"), PULUMI_FAULTS)
def test_pulumi_fault_then_rerun_converges(
    harness: Harness, reference: dict[str, Any], call: str, fault: str
) -> None:
    from proliferate_components.setup.errors import SetupError

    error: BaseException = KeyboardInterrupt() if fault == "interrupt" else SetupError("boom")
    harness.pulumi.fail_at = {call: error}
    with pytest.raises(type(error)):
        harness.run(base_answers(harness.project))
    assert harness.pulumi.fail_at == {}, "the fault was injected"
    harness.run(base_answers(harness.project))
    assert snapshot(harness) == reference


def test_interrupted_env_write_leaves_no_partial_file(
    harness: Harness, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = envfile.os.replace

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(envfile.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        harness.run(base_answers(harness.project))
    assert not (harness.project / ".env.local").exists()
    assert not list(harness.project.glob(".*.tmp")), "the temporary file is removed"
    monkeypatch.setattr(envfile.os, "replace", real_replace)
    harness.run(base_answers(harness.project))
    assert snapshot(harness) == reference


def test_repeated_and_interrupted_runs_leave_one_backup_of_the_env_file(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat

    from setup_fixtures import USER_ENV

    project = harness.project
    harness.run(base_answers(project))
    for n in range(1, 9):  # what 8 runs of an earlier version left: a full copy each
        (project / f".env.local.bak.{n}").write_text(f"ANTHROPIC_API_KEY=sk-old-{n}\n")
    real_replace = envfile.os.replace
    for i in range(3):
        answers = base_answers(project, env={**USER_ENV, "ANTHROPIC_API_KEY": f"sk-ant-{i}"})
        answers.update(yes=True, skip_pulumi_up=True)
        if i == 1:  # Ctrl-C while the new .env.local replaces the old one

            def interrupted(src: str, dst: str) -> None:
                if Path(dst).name == ".env.local":
                    raise KeyboardInterrupt
                real_replace(src, dst)

            monkeypatch.setattr(envfile.os, "replace", interrupted)
            with pytest.raises(KeyboardInterrupt):
                harness.run(answers)
            monkeypatch.setattr(envfile.os, "replace", real_replace)
        harness.run(answers)
        names = sorted(p.name for p in project.iterdir() if p.name.startswith(".env.local"))
        assert names == [".env.local", ".env.local.bak"], names
        assert dotenv_values(project / ".env.local")["ANTHROPIC_API_KEY"] == f"sk-ant-{i}"
        assert stat.S_IMODE((project / ".env.local.bak").stat().st_mode) == 0o600
    backup = dotenv_values(project / ".env.local.bak")
    assert backup["ANTHROPIC_API_KEY"] == "sk-ant-1", "the file before the last write"
