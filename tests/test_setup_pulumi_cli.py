"""The Automation API implementation of the Pulumi interface, against a real ``pulumi`` CLI.

Skipped when ``pulumi`` is not on PATH. Uses a local ``file://`` backend and a passphrase
secrets provider, so no cloud account is needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fake_pulumi import InMemoryPulumiBackend

from proliferate_components.setup.pulumi_backend import (
    AutomationPulumiBackend,
    PulumiBackend,
    find_pulumi,
    has_changes,
)

needs_pulumi = pytest.mark.skipif(
    shutil.which("pulumi") is None, reason="the pulumi CLI is not on PATH"
)


def test_both_implementations_satisfy_the_protocol(tmp_path: Path) -> None:
    assert isinstance(AutomationPulumiBackend(tmp_path), PulumiBackend)
    assert isinstance(InMemoryPulumiBackend(), PulumiBackend)


def test_construction_needs_no_binary(tmp_path: Path) -> None:
    backend = AutomationPulumiBackend(tmp_path, env={"A": "1"})
    assert backend.env == {"A": "1"}
    assert backend.is_installed() == (find_pulumi() is not None)


@pytest.fixture
def real(tmp_path: Path) -> AutomationPulumiBackend:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: proliferate\nruntime: python\n")
    state = tmp_path / "state"
    state.mkdir()
    env = {
        "PULUMI_CONFIG_PASSPHRASE": "test passphrase",
        "PULUMI_HOME": str(tmp_path / "home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    backend = AutomationPulumiBackend(project, env=env)
    backend.login(f"file://{state}")
    return backend


@pytest.mark.pulumi_cli
@needs_pulumi
def test_real_cli_stack_and_config(real: AutomationPulumiBackend, tmp_path: Path) -> None:
    assert real.version()
    backend_url = real.current_backend()
    assert backend_url is not None and backend_url.startswith("file://")
    assert real.stack_exists("dev") is False
    assert real.select_or_create_stack("dev", secrets_provider="passphrase") is True
    assert real.stack_exists("dev") is True
    assert real.select_or_create_stack("dev", secrets_provider="passphrase") is False
    real.set_config("dev", "aws:region", "eu-west-1", secret=False)
    real.set_config("dev", "proliferate:ANTHROPIC_API_KEY", "sk-secret", secret=True)
    config = real.get_all_config("dev")
    assert config["aws:region"].value == "eu-west-1" and not config["aws:region"].secret
    secret = config["proliferate:ANTHROPIC_API_KEY"]
    assert secret.value == "sk-secret" and secret.secret
    assert real.outputs("dev") == {}
    stack_file = (real.project_dir / "Pulumi.dev.yaml").read_text()
    assert "sk-secret" not in stack_file, "secrets are encrypted in the stack file"


@pytest.mark.pulumi_cli
@needs_pulumi
def test_real_cli_sees_environment_added_after_construction(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: proliferate\nruntime: python\n")
    env: dict[str, str] = {}
    backend = AutomationPulumiBackend(project, env=env)
    backend.current_backend()  # builds the workspace while env is still empty
    env.update(
        PULUMI_CONFIG_PASSPHRASE="late passphrase",
        PULUMI_HOME=str(tmp_path / "home"),
        PULUMI_SKIP_UPDATE_CHECK="true",
    )
    (tmp_path / "state").mkdir()
    backend.login(f"file://{tmp_path / 'state'}")
    backend.select_or_create_stack("dev", secrets_provider="passphrase")
    backend.set_config("dev", "proliferate:X", "secret-value", secret=True)
    assert backend.get_all_config("dev")["proliferate:X"].value == "secret-value"


@pytest.mark.pulumi_cli
@needs_pulumi
def test_real_cli_up_and_preview_report_changes(tmp_path: Path) -> None:
    """What ``deploy`` relies on: ``up`` says what it changed, ``preview`` after it sees none."""
    import sys

    project = tmp_path / "project"
    project.mkdir()
    venv = Path(sys.executable).parent.parent
    (project / "Pulumi.yaml").write_text(
        f"name: proliferate\nruntime:\n  name: python\n  options:\n    virtualenv: {venv}\n"
    )
    (project / "__main__.py").write_text(
        "import pulumi\npulumi.export('tag', pulumi.Config('proliferate').get('imageTag'))\n"
    )
    (tmp_path / "state").mkdir()
    backend = AutomationPulumiBackend(
        project,
        env={
            "PULUMI_CONFIG_PASSPHRASE": "test passphrase",
            "PULUMI_HOME": str(tmp_path / "home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        },
    )
    backend.login(f"file://{tmp_path / 'state'}")
    backend.select_or_create_stack("dev", secrets_provider="passphrase")
    backend.set_config("dev", "proliferate:imageTag", "1a2b3c4", secret=False)
    lines: list[str] = []
    assert backend.up("dev", on_output=lines.append) == {"create": 1}
    assert backend.outputs("dev")["tag"].value == "1a2b3c4"
    assert not has_changes(backend.preview("dev", on_output=lines.append))
