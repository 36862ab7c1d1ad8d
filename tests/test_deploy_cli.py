"""``proliferate-infra deploy`` on the command line: flags, output, ``--json`` and exit codes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_fixtures import (
    COMMIT,
    PREVIOUS,
    DeployHarness,
    health_server,
    make_harness,
    mocked_aws,
)

from proliferate_components.cli import deploy as deploy_cli
from proliferate_components.cli.main import main
from proliferate_components.deploy.result import EXIT_CODES, StepRecord


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeployHarness]:
    with mocked_aws(monkeypatch, tmp_path), health_server() as health:
        h = make_harness(tmp_path, health)
        monkeypatch.setattr(deploy_cli, "DEPS_FACTORY", h.deps)
        yield h


def test_json_is_one_document_on_stdout_with_progress_on_stderr(
    harness: DeployHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["deploy", "--source", str(harness.source), "--stack", "prod", "--json"])
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert code == 0 == document["exitCode"]
    assert document["status"] == "deployed"
    assert (document["tag"], document["previousTag"]) == (COMMIT, PREVIOUS)
    assert [s["name"] for s in document["steps"]][-3:] == ["update", "rollout", "smoke"]
    assert {i["service"]: i["action"] for i in document["images"]} == {
        "worker": "pushed",
        "gateway": "pushed",
        "llm-proxy": "pushed",
    }
    assert document["images"][0]["buildCommand"][:3] == ["docker", "buildx", "build"]
    assert all(s["ok"] for s in document["smoke"]) and len(document["smoke"]) == 2
    assert "==> Build 3 images" in err and "==> Roll out 3 services" in err


def test_a_rollback_is_said_clearly_with_its_exit_code(
    harness: DeployHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.platform.health.status["/llm-proxy/health/liveliness"] = 502
    code = main(
        ["deploy", "--source", str(harness.source), "--stack", "prod", "--smoke-timeout", "10"]
    )
    out = capsys.readouterr().out
    assert code == 3
    assert f"ROLLED BACK to {PREVIOUS}: the smoke check failed" in " ".join(out.split())
    assert "exit code 3: rollout or smoke check failed; rolled back" in out
    assert "rollback" in out and "smoke" in out


def test_invalid_flags_are_refused_before_anything_runs(
    harness: DeployHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "deploy",
            "--source",
            str(harness.source),
            "--stack",
            "prod",
            "--poll-interval",
            "0",
            "--json",
        ]
    )
    document = json.loads(capsys.readouterr().out)
    assert code == 2 == document["exitCode"]
    assert "--poll-interval" in document["message"]
    assert harness.runner.calls == [] and harness.log.calls == []
    with pytest.raises(SystemExit) as info:
        main(["deploy", "--source", str(harness.source)])
    assert info.value.code == 2, "--stack is required"


def test_the_help_documents_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["deploy", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {meaning}" in text


def test_plain_progress_prints_long_waits_at_intervals() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = deploy_cli.PlainProgress(stream, lambda: now[0])
    progress.step("rollout", "Roll out 3 services")
    for second in range(0, 95, 5):
        now[0] = float(second)
        progress.waiting("ECS services on abc: gateway 0/1 new tasks running", second)
    progress.finished(StepRecord("rollout", "ok", 95.0, "3 services steady"))
    lines = stream.getvalue().splitlines()
    waits = [line for line in lines if line.startswith("    ... ")]
    assert [w.rsplit("(", 1)[1] for w in waits] == ["0s)", "30s)", "1m00s)", "1m30s)"]
    assert lines[-1] == "    ok: 3 services steady (1m35s)"


def test_rich_progress_shows_what_it_waits_for_and_how_long() -> None:
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    progress = deploy_cli.RichProgress(console)
    progress.step("migrate", "Migrations with repo:abc")
    progress.waiting("migration task RUNNING", 125)
    progress.finished(StepRecord("migrate", "failed", 130.0, "exit code 1"))
    progress.close()
    text = buffer.getvalue()
    assert "▸ Migrations with repo:abc" in text
    assert "migration task RUNNING" in text and "(2m05s)" in text
    assert "✗ exit code 1" in text and "(2m10s)" in text


def test_the_deploy_docs_list_every_exit_code() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "deploy.md").read_text()
    for code, meaning in EXIT_CODES.items():
        assert f"| `{code}` | {meaning} |" in docs


def test_a_failed_migration_shows_the_log_and_says_nothing_changed(
    harness: DeployHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.platform.migration_exit_code = 1
    harness.platform.migration_log = ('error: column "org_id" does not exist',)
    code = main(["deploy", "--source", str(harness.source), "--stack", "prod"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 1
    assert (
        'End of the migration task\'s log (CloudWatch): | error: column "org_id" does not exist'
        in out
    )
    assert f"No service was changed: stack prod still runs {PREVIOUS}" in out
    assert "exit code 1: failed before any service changed" in out
