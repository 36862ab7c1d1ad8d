"""The questionary prompter driven through prompt_toolkit's test input, and scripted runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fake_pulumi import InMemoryPulumiBackend
from moto import mock_aws
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from setup_fixtures import (
    PEM,
    REGION,
    USER_ENV,
    Harness,
    aws_environment,
    make_project,
    make_stack_outputs,
)

from proliferate_components.setup.prompts import Prompter, QuestionaryPrompter, ScriptedPrompter

DOWN = "\x1b[B"
ENTER = "\r"


@pytest.fixture
def pipe() -> Iterator[Any]:
    with create_pipe_input() as inp:
        yield inp


def prompter(inp: Any) -> QuestionaryPrompter:
    return QuestionaryPrompter(input=inp, output=DummyOutput())


def test_text_prompt(pipe: Any) -> None:
    pipe.send_text("eu-west-1" + ENTER)
    assert prompter(pipe).text("region", "AWS region") == "eu-west-1"


def test_text_prompt_default(pipe: Any) -> None:
    pipe.send_text(ENTER)
    assert prompter(pipe).text("stack", "Stack", default="dev") == "dev"


def test_text_prompt_validation_rejects_then_accepts(pipe: Any) -> None:
    pipe.send_text("x" + ENTER + "\x7f" + "8080" + ENTER)
    answer = prompter(pipe).text(
        "env.WEB_PORT", "Port", validate=lambda v: None if v.isdigit() else "a number"
    )
    assert answer == "8080"


def test_secret_prompt(pipe: Any) -> None:
    pipe.send_text("sk-ant-secret" + ENTER)
    assert prompter(pipe).text("env.ANTHROPIC_API_KEY", "Key", secret=True) == "sk-ant-secret"


def test_confirm_prompt(pipe: Any) -> None:
    pipe.send_text("y")
    assert prompter(pipe).confirm("run_migrations", "Run migrations?") is True


def test_confirm_prompt_default_no(pipe: Any) -> None:
    pipe.send_text(ENTER)
    assert prompter(pipe).confirm("change:x", "Change?", default=False) is False


def test_select_prompt(pipe: Any) -> None:
    pipe.send_text(DOWN + ENTER)
    choice = prompter(pipe).select("tls", "TLS", ["managed", "existing", "none"], default="managed")
    assert choice == "existing"


def test_ctrl_c_raises_keyboard_interrupt(pipe: Any) -> None:
    pipe.send_text("\x03")
    with pytest.raises(KeyboardInterrupt):
        prompter(pipe).text("region", "AWS region")


def test_prompters_satisfy_the_protocol() -> None:
    assert isinstance(QuestionaryPrompter(), Prompter)
    assert isinstance(ScriptedPrompter(), Prompter)


def test_scripted_prompter_rejects_unscripted_and_invalid() -> None:
    from proliferate_components.setup.errors import MissingAnswerError

    scripted = ScriptedPrompter({"tls": "sometimes", "ports": ["1", "2"]})
    with pytest.raises(MissingAnswerError):
        scripted.text("region", "Region")
    with pytest.raises(ValueError):
        scripted.select("tls", "TLS", ["managed", "none"], default="none")
    assert scripted.text("ports", "p") == "1" and scripted.text("ports", "p") == "2"


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Harness]:
    aws_environment(monkeypatch, tmp_path)
    with mock_aws():
        yield Harness(
            project=make_project(tmp_path),
            pulumi=InMemoryPulumiBackend(outputs_factory=make_stack_outputs()),
        )


def interactive_responses(project: Path, pem_path: Path) -> dict[str, object]:
    env = {f"env.{k}": v for k, v in USER_ENV.items() if k != "GITHUB_APP_PRIVATE_KEY"}
    return {
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
        "generate_dev_keys": True,
        "run_migrations": False,
        "deploy": False,
        "env.GITHUB_APP_PRIVATE_KEY": str(pem_path),
        "env.DEFAULT_SANDBOX_PROVIDER": "modal",
        "env.MODAL_APP_NAME": "",
        **env,
    }


def test_interactive_run_asks_and_writes(harness: Harness, tmp_path: Path) -> None:
    pem_path = tmp_path / "app.pem"
    pem_path.write_text(PEM)
    responses = interactive_responses(harness.project, pem_path)
    scripted = ScriptedPrompter({**responses, **{f"review:{g}": False for g in _groups()}})
    result = harness.run({"project_dir": str(harness.project)}, prompter=scripted)
    assert "env.ANTHROPIC_API_KEY" in scripted.asked
    assert "generate_dev_keys" in scripted.asked
    values = {k: r.value for k, r in result.values.items()}
    assert values["GITHUB_APP_PRIVATE_KEY"] == PEM, "a path to the PEM file is read"
    assert values["DEV_USER_ID"] and values["AUTH_TOKEN"], "dev keys generated on request"
    assert values["ANTHROPIC_API_KEY"] == USER_ENV["ANTHROPIC_API_KEY"]
    # a second interactive run keeps everything when the user presses Enter
    again = ScriptedPrompter(
        {
            **{k: "" for k in responses if isinstance(responses[k], str)},
            **{k: v for k, v in responses.items() if isinstance(v, bool)},
            **{f"review:{g}": False for g in _groups()},
        }
    )
    before = (harness.project / ".env.local").stat().st_mtime_ns
    config = dict(harness.pulumi.stacks["dev"].config)
    harness.run({"project_dir": str(harness.project)}, prompter=again)
    assert (harness.project / ".env.local").stat().st_mtime_ns == before
    assert harness.pulumi.stacks["dev"].config == config
    assert not any(key.startswith("env.") for key in again.asked), "known values are reused"


def test_interactive_review_of_a_group(harness: Harness, tmp_path: Path) -> None:
    pem_path = tmp_path / "app.pem"
    pem_path.write_text(PEM)
    responses = {
        **interactive_responses(harness.project, pem_path),
        **{f"review:{g}": False for g in _groups()},
        "review:Google OAuth": True,
        "env.GOOGLE_CLIENT_ID": "google-id.apps.googleusercontent.com",
        "env.GOOGLE_CLIENT_SECRET": "google-secret",
    }
    result = harness.run(
        {"project_dir": str(harness.project)}, prompter=ScriptedPrompter(responses)
    )
    assert result.values["GOOGLE_CLIENT_SECRET"].value == "google-secret"
    config = harness.pulumi.stacks["dev"].config
    assert config["proliferate:GOOGLE_CLIENT_SECRET"].secret
    assert any("/api/auth/callback/google" in step for step in result.steps)


def _groups() -> list[str]:
    from proliferate_components.environment import GROUPS

    return list(GROUPS)


class Keyboard:
    """The real questionary prompts, typed into: each question gets a fresh pipe holding the
    keystrokes scripted for its key (default: Enter, i.e. accept the default), closed after
    them, so a question that wants more input fails (SetupError) instead of hanging."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys, self.asked = keys, list[str]()

    @contextmanager
    def _typed(self, key: str) -> Iterator[QuestionaryPrompter]:
        self.asked.append(key)
        with create_pipe_input() as inp:
            inp.send_text(self.keys.get(key, ENTER))
            inp.close()
            yield prompter(inp)

    def text(self, key: str, message: str, **kwargs: Any) -> str:
        with self._typed(key) as real:
            return real.text(key, message, **kwargs)

    def confirm(self, key: str, message: str, *, default: bool = False) -> bool:
        with self._typed(key) as real:
            return real.confirm(key, message, default=default)

    def select(self, key: str, message: str, choices: Any, *, default: str) -> str:
        with self._typed(key) as real:
            return real.select(key, message, choices, default=default)


def test_whole_run_through_the_real_prompts(harness: Harness) -> None:
    env = {k: v for k, v in USER_ENV.items() if k != "ANTHROPIC_API_KEY"}
    keyboard = Keyboard(
        {
            "region": "\x15" + REGION + ENTER,  # Ctrl-U clears the suggested region
            "env.ANTHROPIC_API_KEY": "sk-typed" + ENTER,
            "review:Email": "y",
            # choices (true, false), default false: Down wraps to true, which makes the
            # Resend key and the sender required
            "env.EMAIL_ENABLED": DOWN + ENTER,
            "env.RESEND_API_KEY": "re_123" + ENTER,
            "env.EMAIL_FROM": "noreply@example.com" + ENTER,
        },
    )
    result = harness.run({"project_dir": str(harness.project), "env": env}, prompter=keyboard)
    assert keyboard.asked[:4] == ["cloud", "profile", "region", "backend_bucket"]
    assert "env.ANTHROPIC_API_KEY" in keyboard.asked and "run_migrations" in keyboard.asked
    assert result.values["ANTHROPIC_API_KEY"].value == "sk-typed"
    assert result.values["ANTHROPIC_API_KEY"].source == "prompt"
    assert result.values["EMAIL_ENABLED"].value == "true"
    assert result.values["RESEND_API_KEY"].value == "re_123"
    assert harness.pulumi.stacks["dev"].config["proliferate:RESEND_API_KEY"].secret
    assert harness.pulumi.stacks["dev"].config["aws:region"].value == REGION
    assert result.env_written


def test_a_question_wanting_more_input_fails_instead_of_hanging(harness: Harness) -> None:
    keyboard = Keyboard({"region": "\x15" + ENTER})  # an empty region fails validation
    from proliferate_components.setup.errors import SetupError

    with pytest.raises(SetupError) as info:
        harness.run({"project_dir": str(harness.project)}, prompter=keyboard)
    assert "input ended while asking 'region'" in str(info.value)


def test_a_blank_typed_secret_is_refused_and_asked_again(harness: Harness) -> None:
    env = {k: v for k, v in USER_ENV.items() if k != "ANTHROPIC_API_KEY"}
    # three spaces and Enter (refused: blank), Ctrl-U clears them, then a real key
    keyboard = Keyboard({"env.ANTHROPIC_API_KEY": "   " + ENTER + "\x15" + "sk-typed" + ENTER})
    result = harness.run({"project_dir": str(harness.project), "env": env}, prompter=keyboard)
    assert result.values["ANTHROPIC_API_KEY"].value == "sk-typed"
    config = harness.pulumi.stacks["dev"].config
    assert config["proliferate:ANTHROPIC_API_KEY"].value == "sk-typed"


def test_only_a_blank_typed_secret_writes_nothing(harness: Harness) -> None:
    from proliferate_components.setup.errors import SetupError

    env = {k: v for k, v in USER_ENV.items() if k != "ANTHROPIC_API_KEY"}
    keyboard = Keyboard({"env.ANTHROPIC_API_KEY": "   " + ENTER})
    with pytest.raises(SetupError, match=r"input ended while asking 'env\.ANTHROPIC_API_KEY'"):
        harness.run({"project_dir": str(harness.project), "env": env}, prompter=keyboard)
    stack = harness.pulumi.stacks["dev"]
    assert "proliferate:ANTHROPIC_API_KEY" not in stack.config
    assert stack.updates == 0
    assert not (harness.project / ".env.prod").exists()
