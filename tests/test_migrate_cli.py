"""`proliferate-infra migrate terraform`: files, exit codes, errors before anything is written."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from migrate_fixtures.builder import DEV, PROD, build_state

from proliferate_components.cli.main import main
from proliferate_components.migrate import IMPORT_FILE_SCHEMA, OUTPUT_FILES


def _state_file(tmp_path: Path, document: dict) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "terraform.tfstate"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_writes_every_file_and_exits_1_when_something_is_blocked(tmp_path: Path) -> None:
    # An unencrypted replication group cannot be adopted (encryption at rest forces a new one).
    state = _state_file(tmp_path, build_state(dataclasses.replace(PROD, redis_encrypted=False)))
    out = tmp_path / "migration"
    code = main(
        ["migrate", "terraform", "--state", str(state), "--out", str(out), "--stack", "prod"]
    )
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    jsonschema.validate(json.loads((out / "import.json").read_text()), IMPORT_FILE_SCHEMA)
    report = json.loads((out / "report.json").read_text())
    assert report["stack"] == "prod"
    assert report["summary"]["blocked"] > 0
    config = json.loads((out / "config.json").read_text())
    assert config["proliferate:workerCpu"] == "512"
    assert config["proliferate:adopt"]["services"]["worker"]["serviceName"] == "proliferate-worker"
    script = (out / "config.sh").read_text()
    assert "pulumi config set --stack prod --secret proliferate:certificateArn" in script
    assert (
        "pulumi config set --stack prod --path proliferate:adopt.services.worker.serviceName "
        "proliferate-worker" in script
    )
    markdown = (out / "report.md").read_text()
    assert (
        "Cannot be adopted safely" in markdown
        and "aws_elasticache_replication_group.redis" in markdown
    )
    rm = (out / "terraform-state-rm.sh").read_text()
    handed_over = [
        r["address"]
        for r in report["resources"]
        if r["status"] in ("adopt", "adopt_with_changes", "new_revision") and r["inlineOf"] is None
    ]
    assert rm.count("terraform state rm") == len(handed_over)


def test_exits_0_when_everything_recognised_adopts(tmp_path: Path) -> None:
    state = _state_file(tmp_path, build_state(PROD))
    out = tmp_path / "migration"
    code = main(["migrate", "terraform", "--state", str(state), "--out", str(out)])
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["blocked"] == 0
    assert code == 0


def test_json_flag_prints_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = _state_file(tmp_path, build_state(DEV))
    main(["migrate", "terraform", "--state", str(state), "--out", str(tmp_path / "o"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert {r["address"] for r in data["resources"]} >= {
        "aws_vpc.main",
        "aws_elasticache_cluster.redis",
    }


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ({"version": 3, "resources": []}, "terraform.tfstate.version"),
        ({"version": 4, "resources": []}, "a state with the spec's AWS resources"),
    ],
)
def test_bad_state_exits_2_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    document: dict,
    needle: str,  # type: ignore[type-arg]
) -> None:
    state = _state_file(tmp_path, document)
    out = tmp_path / "out"
    assert main(["migrate", "terraform", "--state", str(state), "--out", str(out)]) == 2
    assert needle in capsys.readouterr().err
    assert not out.exists()


def test_bad_names_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = _state_file(tmp_path, build_state(DEV))
    code = main(
        [
            "migrate",
            "terraform",
            "--state",
            str(state),
            "--out",
            str(tmp_path / "o"),
            "--stack",
            "a b",
        ]
    )
    assert code == 2 and "--stack" in capsys.readouterr().err
    code = main(
        [
            "migrate",
            "terraform",
            "--state",
            str(state),
            "--out",
            str(tmp_path / "o"),
            "--component-name",
            "Bad_Name",
        ]
    )
    assert code == 2 and "--component-name" in capsys.readouterr().err


def test_out_must_be_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = _state_file(tmp_path, build_state(DEV))
    file = tmp_path / "file"
    file.write_text("x")
    assert main(["migrate", "terraform", "--state", str(state), "--out", str(file)]) == 2
    assert "--out" in capsys.readouterr().err


def test_migrate_without_source_prints_usage() -> None:
    assert main(["migrate"]) == 2


def test_runs_as_a_program(tmp_path: Path) -> None:
    state = _state_file(tmp_path, build_state(DEV))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "proliferate_components.cli.main",
            "migrate",
            "terraform",
            "--state",
            str(state),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "cannot be adopted safely" in done.stdout
    assert "required secrets without a value" not in done.stdout + done.stderr
