"""Preflight: installing a missing Pulumi CLI (only with consent) and choosing AWS credentials."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from dotenv import dotenv_values
from fake_pulumi import InMemoryPulumiBackend
from moto import mock_aws
from setup_fixtures import (
    REGION,
    Harness,
    aws_environment,
    base_answers,
    make_project,
    make_stack_outputs,
)

from proliferate_components.environment import GROUPS
from proliferate_components.setup.answers import Answers
from proliferate_components.setup.context import SetupContext
from proliferate_components.setup.errors import SetupError
from proliferate_components.setup.prompts import ScriptedPrompter
from proliferate_components.setup.pulumi_install import (
    ensure_pulumi,
    install_command,
    shown_command,
)


def context(prompter: ScriptedPrompter | None = None, **flags: object) -> SetupContext:
    return SetupContext(
        answers=Answers.load(flags=dict(flags), environ={}), prompter=prompter, echo=lambda _: None
    )


class Installer:
    def __init__(self, pulumi: InMemoryPulumiBackend, code: int = 0) -> None:
        self.pulumi, self.code, self.commands = pulumi, code, list[list[str]]()

    def __call__(self, command: Sequence[str]) -> int:
        self.commands.append(list(command))
        self.pulumi.installed = self.code == 0
        return self.code


def test_install_command_is_shown_exactly() -> None:
    command = install_command()
    assert shown_command(command) in (
        "brew install pulumi/tap/pulumi",
        "curl -fsSL https://get.pulumi.com | sh",
    )


def test_installed_cli_is_left_alone() -> None:
    pulumi = InMemoryPulumiBackend()
    installer = Installer(pulumi)
    ensure_pulumi(context(), pulumi, runner=installer)
    assert installer.commands == []


def test_non_interactive_never_installs_without_the_flag() -> None:
    pulumi = InMemoryPulumiBackend(installed=False)
    installer = Installer(pulumi)
    with pytest.raises(SetupError) as info:
        ensure_pulumi(context(), pulumi, runner=installer)
    assert installer.commands == []
    assert shown_command(install_command()) in str(info.value)
    ensure_pulumi(context(install_pulumi=True), pulumi, runner=installer)
    assert installer.commands == [install_command()]


def test_interactive_asks_first() -> None:
    pulumi = InMemoryPulumiBackend(installed=False)
    installer = Installer(pulumi)
    with pytest.raises(SetupError):
        ensure_pulumi(
            context(ScriptedPrompter({"install_pulumi": False})), pulumi, runner=installer
        )
    assert installer.commands == []
    prompter = ScriptedPrompter({"install_pulumi": True})
    ensure_pulumi(context(prompter), pulumi, runner=installer)
    assert prompter.asked == ["install_pulumi"] and len(installer.commands) == 1


def test_failed_install_is_reported() -> None:
    pulumi = InMemoryPulumiBackend(installed=False)
    with pytest.raises(SetupError) as info:
        ensure_pulumi(context(install_pulumi=True), pulumi, runner=Installer(pulumi, code=1))
    assert "exit code 1" in str(info.value)


def test_dry_run_does_not_install() -> None:
    pulumi = InMemoryPulumiBackend(installed=False)
    installer = Installer(pulumi)
    ctx = SetupContext(
        answers=Answers.load(flags={"install_pulumi": True}, environ={}),
        prompter=None,
        dry_run=True,
        echo=lambda _: None,
    )
    ensure_pulumi(ctx, pulumi, runner=installer)
    assert installer.commands == [] and ctx.changes and "would" not in ctx.changes[0]


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Harness]:
    aws_environment(monkeypatch, tmp_path)
    with mock_aws():
        # mock_aws sets fake keys when it starts: remove them afterwards
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        yield Harness(
            project=make_project(tmp_path),
            pulumi=InMemoryPulumiBackend(outputs_factory=make_stack_outputs()),
        )


def scripted(extra: dict[str, object]) -> ScriptedPrompter:
    from setup_fixtures import USER_ENV

    return ScriptedPrompter(
        {
            "cloud": "aws",
            "profile": "",
            "region": REGION,
            "backend_bucket": "",
            "bucket_encryption": "sse-s3",
            "secrets_provider": "kms",
            "kms_alias": "",
            "stack": "dev",
            "preset": "dev",
            "enable_rds": True,
            "domain_name": "",
            "tls": "none",
            "generate_dev_keys": False,
            "run_migrations": False,
            "deploy": False,
            "env.DEFAULT_SANDBOX_PROVIDER": "modal",
            "env.MODAL_APP_NAME": "",
            **{f"env.{k}": v for k, v in USER_ENV.items()},
            **{f"review:{g}": False for g in GROUPS},
            **extra,
        }
    )


def test_typed_access_keys_are_used_for_this_run(no_credentials: Harness) -> None:
    prompter = scripted(
        {
            "aws_credentials": "enter access keys",
            "aws_access_key_id": "AKIAEXAMPLEKEY123456",
            "aws_secret_access_key": "typed-secret",
            "aws_session_token": "",
        }
    )
    no_credentials.run({"project_dir": str(no_credentials.project)}, prompter=prompter)
    assert "aws_credentials" in prompter.asked
    env = dotenv_values(no_credentials.project / ".env.local", interpolate=False)
    assert env["AWS_ACCESS_KEY_ID"] == "AKIAEXAMPLEKEY123456"
    config = no_credentials.pulumi.stacks["dev"].config
    assert not any("AWS_SECRET_ACCESS_KEY" in key for key in config), "never in Pulumi config"


def test_a_profile_can_be_chosen(no_credentials: Harness, tmp_path: Path) -> None:
    (tmp_path / "aws-credentials").write_text(
        "[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = ops-secret\n"
    )
    prompter = scripted({"aws_credentials": "ops"})
    result = no_credentials.run({"project_dir": str(no_credentials.project)}, prompter=prompter)
    assert result.backend_url.endswith("&profile=ops")


def test_non_interactive_without_credentials_fails_clearly(no_credentials: Harness) -> None:
    with pytest.raises(SetupError) as info:
        no_credentials.run(base_answers(no_credentials.project))
    assert "AWS credentials do not work" in str(info.value)
    assert not (no_credentials.project / ".env.local").exists()
