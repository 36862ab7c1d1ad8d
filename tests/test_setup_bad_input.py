"""The wizard never writes an empty, blank or malformed value into the stack config or the
env file, whichever way the value arrives (answers file, flags, .env.local, stack config)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_pulumi import InMemoryPulumiBackend
from moto import mock_aws
from setup_fixtures import (
    USER_ENV,
    Harness,
    aws_environment,
    base_answers,
    make_project,
    make_stack_outputs,
)

from proliferate_components.errors import ConfigError
from proliferate_components.setup.pulumi_backend import ConfigEntry


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Harness]:
    aws_environment(monkeypatch, tmp_path)
    with mock_aws():
        yield Harness(
            project=make_project(tmp_path),
            pulumi=InMemoryPulumiBackend(outputs_factory=make_stack_outputs()),
        )


def _nothing_written(harness: Harness) -> None:
    stack = harness.pulumi.stacks.get("dev")
    assert stack is None or (stack.updates == 0 and not stack.config)
    assert not (harness.project / ".env.local").exists()


BLANKS = ("", "   ", "\t")


@pytest.mark.parametrize("value", BLANKS)
@pytest.mark.parametrize(
    "key",
    [
        "proliferate:ANTHROPIC_API_KEY",  # a secret of the platform
        "proliferate:NEXT_PUBLIC_GITHUB_APP_SLUG",  # a plain setting of the platform
        "proliferate:workerCpu",  # a stack config key
        "proliferate:domainName",
    ],
)
def test_a_blank_config_answer_fails_before_any_aws_call_or_write(
    harness: Harness, key: str, value: str
) -> None:
    with pytest.raises(ConfigError) as info:
        harness.run(base_answers(harness.project, config={key: value}))
    assert info.value.key == key
    assert "empty and whitespace-only values count as unset" in info.value.valid
    assert harness.log.calls == []
    _nothing_written(harness)


def test_a_malformed_platform_value_in_config_answers_is_refused_by_its_pattern(
    harness: Harness,
) -> None:
    key = "proliferate:USER_SECRETS_ENCRYPTION_KEY"
    with pytest.raises(ConfigError) as info:
        harness.run(base_answers(harness.project, config={key: "not-a-key"}))
    assert info.value.key == key
    assert "[0-9a-fA-F]{64}" in info.value.valid
    assert "not-a-key" not in str(info.value)  # a secret: never echoed
    assert harness.log.calls == []
    _nothing_written(harness)


@pytest.mark.parametrize("value", ["   ", "\t"])
def test_a_blank_env_answer_fails_before_any_aws_call(harness: Harness, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        harness.run(base_answers(harness.project, env={**USER_ENV, "ANTHROPIC_API_KEY": value}))
    assert info.value.key == "ANTHROPIC_API_KEY"
    assert harness.log.calls == []
    _nothing_written(harness)


def test_a_blank_value_in_an_existing_env_file_is_refused_not_copied(harness: Harness) -> None:
    env_file = harness.project / ".env.local"
    env_file.write_text('GITHUB_OAUTH_APP_SECRET="   "\n')
    answers = base_answers(harness.project)
    env: dict[str, Any] = dict(answers["env"])  # type: ignore[arg-type]
    env.pop("GITHUB_OAUTH_APP_SECRET")
    answers["env"] = env
    with pytest.raises(ConfigError) as info:
        harness.run(answers)
    assert info.value.key == "GITHUB_OAUTH_APP_SECRET"
    assert "from env file" in info.value.valid
    assert env_file.read_text() == 'GITHUB_OAUTH_APP_SECRET="   "\n'  # left as it was
    stack = harness.pulumi.stacks["dev"]
    assert "proliferate:GITHUB_OAUTH_APP_SECRET" not in stack.config
    assert stack.updates == 0


def test_a_blank_value_already_in_the_stack_config_is_refused_not_copied(
    harness: Harness,
) -> None:
    harness.run(base_answers(harness.project))
    stack = harness.pulumi.stacks["dev"]
    key = "proliferate:GITHUB_OAUTH_APP_SECRET"
    stack.config[key] = ConfigEntry("   ", True)  # set by hand since the first run
    (harness.project / ".env.local").unlink()
    answers = base_answers(harness.project)
    env: dict[str, Any] = dict(answers["env"])  # type: ignore[arg-type]
    env.pop("GITHUB_OAUTH_APP_SECRET")
    answers["env"] = env
    with pytest.raises(ConfigError) as info:
        harness.run(answers)
    assert info.value.key == "GITHUB_OAUTH_APP_SECRET"
    assert "stack config" in info.value.valid
    assert stack.updates == 1  # no second `up`
    assert not (harness.project / ".env.local").exists()
