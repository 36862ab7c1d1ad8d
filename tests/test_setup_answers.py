"""The answers model: one priority order, validation before anything happens."""

from __future__ import annotations

from pathlib import Path

import pytest

from proliferate_components.errors import ConfigError
from proliferate_components.setup.answers import ANSWER_SPECS, Answers, parse_bool
from proliferate_components.setup.context import SetupContext
from proliferate_components.setup.errors import ChangeNotConfirmedError, MissingAnswerError
from proliferate_components.setup.prompts import ScriptedPrompter


def write(tmp_path: Path, text: str, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_flag_beats_environment_beats_file(tmp_path: Path) -> None:
    path = write(tmp_path, "region: from-file-1\nstack: file-stack\nprofile: file-profile\n")
    answers = Answers.load(
        flags={"region": "flag-region-1", "stack": None},
        environ={"PROLIFERATE_SETUP_REGION": "env-1", "PROLIFERATE_SETUP_STACK": "env-stack"},
        answers_file=path,
    )
    region, stack, profile = answers.get("region"), answers.get("stack"), answers.get("profile")
    assert region is not None and (region.value, region.source) == (
        "flag-region-1",
        "flag --region",
    )
    assert stack is not None and stack.value == "env-stack"
    assert stack.source == "environment PROLIFERATE_SETUP_STACK"
    assert profile is not None and profile.value == "file-profile"
    assert profile.source.startswith("answers file")
    assert answers.get("backend_bucket") is None


def test_env_values_environment_beats_file(tmp_path: Path) -> None:
    path = write(tmp_path, "env:\n  ANTHROPIC_API_KEY: from-file\n  GITHUB_APP_ID: 42\n")
    answers = Answers.load(
        flags={}, environ={"PROLIFERATE_ENV_ANTHROPIC_API_KEY": "from-env"}, answers_file=path
    )
    key = answers.env_value("ANTHROPIC_API_KEY")
    assert key is not None and key.value == "from-env"
    app = answers.env_value("GITHUB_APP_ID")
    assert app is not None and app.value == "42"
    assert answers.env_value("OPENAI_API_KEY") is None


def test_json_answers_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, '{"enable_rds": false, "config": {"proliferate:workerCpu": 512}}', "a.json"
    )
    answers = Answers.load(flags={}, environ={}, answers_file=path)
    rds = answers.get("enable_rds")
    assert rds is not None and rds.value is False
    assert answers.config_overrides()["proliferate:workerCpu"].value == "512"


def test_config_flag_beats_file(tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  proliferate:workerCpu: '256'\n")
    answers = Answers.load(
        flags={}, environ={}, answers_file=path, config_flags=["proliferate:workerCpu=1024"]
    )
    assert answers.config_overrides()["proliferate:workerCpu"].value == "1024"
    with pytest.raises(ConfigError) as info:
        Answers.load(flags={}, environ={}, config_flags=["workerCpu"])
    assert info.value.key == "--config"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("regoin: eu-west-1\n", "regoin"),
        ("tls: sometimes\n", "tls"),
        ("enable_rds: maybe\n", "enable_rds"),
        ("- a list\n", "--answers"),
        ("env: [1, 2]\n", "env"),
        ("region: [unclosed\n", "--answers"),
    ],
)
def test_bad_answers_file_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        Answers.load(flags={}, environ={}, answers_file=write(tmp_path, text))
    assert key in info.value.key


def test_bad_environment_value_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        Answers.load(flags={}, environ={"PROLIFERATE_SETUP_SKIP_PULUMI_UP": "sure"})
    assert info.value.key == "skip_pulumi_up"


@pytest.mark.parametrize(
    ("raw", "value"), [("yes", True), ("0", False), ("TRUE", True), (False, False)]
)
def test_parse_bool(raw: object, value: bool) -> None:
    assert parse_bool(raw, key="k") is value


def test_non_interactive_missing_required_answer_names_every_source() -> None:
    ctx = SetupContext(answers=Answers.load(flags={}, environ={}), prompter=None)
    with pytest.raises(MissingAnswerError) as info:
        ctx.text("certificate_arn", "Certificate ARN")
    message = str(info.value)
    assert "--certificate-arn" in message
    assert "PROLIFERATE_SETUP_CERTIFICATE_ARN" in message
    assert "'certificate_arn'" in message
    assert ctx.text("region", "Region", default="us-east-1") == "us-east-1"
    assert ctx.text("domain_name", "Domain", required=False) == ""


def test_existing_state_beats_defaults_and_prompts_show_it() -> None:
    answers = Answers.load(flags={}, environ={})
    quiet = SetupContext(answers=answers, prompter=None)
    assert quiet.text("region", "Region", default="us-east-1", existing="eu-west-1") == "eu-west-1"
    prompter = ScriptedPrompter({"region": ""})
    asking = SetupContext(answers=answers, prompter=prompter)
    assert asking.text("region", "Region", default="us-east-1", existing="eu-west-1") == "eu-west-1"
    assert prompter.asked == ["region"]


def test_explicit_answer_is_not_prompted_and_is_validated() -> None:
    answers = Answers.load(flags={"region": "bad"}, environ={})
    ctx = SetupContext(answers=answers, prompter=ScriptedPrompter())
    with pytest.raises(ConfigError):
        ctx.text("region", "Region", validate=lambda v: None if "-" in v else "a region")


def test_changes_need_confirmation() -> None:
    quiet = SetupContext(answers=Answers.load(flags={}, environ={}), prompter=None)
    with pytest.raises(ChangeNotConfirmedError) as info:
        quiet.confirm_change("Pulumi config proliferate:workerCpu", "256", "512")
    assert "--yes" in str(info.value)
    forced = SetupContext(answers=Answers.load(flags={"yes": True}, environ={}), prompter=None)
    assert forced.confirm_change("x", "a", "b") is True
    asked = SetupContext(
        answers=Answers.load(flags={}, environ={}),
        prompter=ScriptedPrompter({"change:x": False}),
    )
    assert asked.confirm_change("x", "secret-old", "secret-new", secret=True) is False


def test_every_answer_has_flag_env_and_description() -> None:
    flags = [spec.flag for spec in ANSWER_SPECS]
    assert len(set(flags)) == len(flags)
    for spec in ANSWER_SPECS:
        assert spec.env_var == "PROLIFERATE_SETUP_" + spec.key.upper()
        assert spec.description and spec.default
        assert (spec.kind == "choice") == bool(spec.choices)


def test_docs_describe_every_flag() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "setup-wizard.md").read_text()
    for spec in ANSWER_SPECS:
        assert f"`{spec.flag}" in docs, spec.flag
    for flag in ("--non-interactive", "--answers", "--dry-run", "--config"):
        assert f"`{flag}" in docs, flag
