"""``.env.prod`` quoting, round trips (python-dotenv and Node's dotenv) and safe writing."""

from __future__ import annotations

import json
import os
import random
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from setup_fixtures import PEM

from proliferate_components.errors import ConfigError
from proliferate_components.setup.envfile import (
    EnvLine,
    backup_path,
    example_order,
    format_value,
    old_backups,
    read_env_file,
    render_env_file,
    write_env_file,
)

TRICKY: dict[str, str] = {
    "PLAIN": "abc123",
    "BASE64": "q1w2e3+/r4t5y6==",
    "URL": "postgresql://user:pw@host:5432/db?sslmode=require",
    "SPACES": "  two words  ",
    "HASH": "value # not a comment",
    "PEM": PEM,
    "DOLLAR": "pa$$word${HOME}",
    "DOUBLE_QUOTE": 'say "hi"',
    "BACKSLASH": "C:\\path\\to",
    "SINGLE_QUOTE": "it's fine",
    "EQUALS": "a=b=c",
    "UNICODE": "héllo wörld ✓",
    "CRLF": "line1\r\nline2",
}


def parse(text: str, tmp_path: Path) -> dict[str, str | None]:
    path = tmp_path / "check.env"
    path.write_text(text)
    return dotenv_values(path, interpolate=False)


def test_formats() -> None:
    assert format_value("K", "abc") == "abc"
    assert format_value("K", "a b") == '"a b"'
    assert format_value("K", "x\ny") == '"x\\ny"'
    assert format_value("K", "a$b") == "'a$b'"
    assert format_value("K", 'a"b') == "'a\"b'"
    with pytest.raises(ConfigError) as info:
        format_value("WEIRD", 'it\'s "quoted"')
    assert info.value.key == "WEIRD"
    assert "it's" not in str(info.value), "values are never echoed"


def test_python_dotenv_round_trip(tmp_path: Path) -> None:
    text = render_env_file([EnvLine(k, v) for k, v in TRICKY.items()])
    assert parse(text, tmp_path) == TRICKY
    # python-dotenv's default interpolation expands ${VAR} in every quoting style (Node's
    # dotenv never does); values without "${" are read back exactly either way
    path = tmp_path / "interp.env"
    path.write_text(text)
    values = dotenv_values(path)
    assert {k: v for k, v in values.items() if k != "DOLLAR"} == {
        k: v for k, v in TRICKY.items() if k != "DOLLAR"
    }
    assert values["DOLLAR"] != TRICKY["DOLLAR"], "documented: ${HOME} is expanded"


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
    )
)
def test_every_written_value_reads_back_exactly(tmp_path: Path, value: str) -> None:
    try:
        line = format_value("KEY", value)
    except ConfigError:
        assert "'" in value or "\r" in value or "\\" in value
        return
    assert parse(f"KEY={line}\n", tmp_path)["KEY"] == value


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00'\r\\"),
        min_size=1,
    )
)
def test_values_without_single_quotes_are_always_writable(tmp_path: Path, value: str) -> None:
    assert parse(f"KEY={format_value('KEY', value)}\n", tmp_path)["KEY"] == value


@pytest.fixture(scope="module")
def node_dotenv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with Node's ``dotenv`` installed (skips without node/npm or network)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the Node dotenv round trip")
    where = tmp_path_factory.mktemp("node-dotenv")
    try:
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "dotenv"],
            cwd=where,
            check=True,
            capture_output=True,
            timeout=180,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"npm install dotenv failed: {exc}")
    return where


@pytest.mark.slow
def test_node_dotenv_round_trip(node_dotenv: Path, tmp_path: Path) -> None:
    rng = random.Random(7)
    alphabet = list("abcXYZ019 \t\n\r'\"\\$#={}`!-_./:@%+,é✓")
    fuzzed: dict[str, str] = {}
    for number in range(2000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        try:
            format_value("K", value)
        except ConfigError:
            continue
        fuzzed[f"FUZZ_{number}"] = value
    assert len(fuzzed) > 1000
    path = tmp_path / ".env.prod"
    expected = {**TRICKY, **fuzzed}
    path.write_text(render_env_file([EnvLine(k, v) for k, v in expected.items()]))
    script = (
        "const fs = require('fs'); const dotenv = require('dotenv');"
        "process.stdout.write(JSON.stringify(dotenv.parse(fs.readFileSync(process.argv[1]))));"
    )
    out = subprocess.run(
        ["node", "-e", script, str(path)],
        cwd=node_dotenv,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert json.loads(out) == expected


def test_write_mode_backup_and_atomicity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / ".env.prod"
    assert write_env_file(path, "A=1\n") is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first_backup = write_env_file(path, "A=2\n")
    assert first_backup == tmp_path / ".env.prod.bak" == backup_path(path)
    assert first_backup.read_text() == "A=1\n"
    assert stat.S_IMODE(first_backup.stat().st_mode) == 0o600
    second_backup = write_env_file(path, "A=3\n")
    assert second_backup == first_backup, "one backup, replaced"
    assert second_backup.read_text() == "A=2\n"
    assert stat.S_IMODE(second_backup.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env.prod", ".env.prod.bak"]

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_env_file(path, "A=4\n")
    assert path.read_text() == "A=3\n", "the old file is intact"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_read_and_example_order(tmp_path: Path) -> None:
    assert read_env_file(tmp_path / "missing") == {}
    example = tmp_path / ".env.example"
    example.write_text("# header\nB=2\n# A=\nexport C=3\nlower=x\nB=again\n")
    assert example_order(example) == ["B", "A", "C"]
    env = tmp_path / ".env.prod"
    env.write_text("A=1\nEMPTY=\nB='x$y'\n")
    assert read_env_file(env) == {"A": "1", "B": "x$y"}


def test_unset_keys_are_commented_out_with_a_note(tmp_path: Path) -> None:
    text = render_env_file(
        [EnvLine("SET", "1", group="G"), EnvLine("UNSET", None, group="G", note="feature off")],
        extra={"MINE": "kept"},
    )
    assert "# UNSET=  # unset: feature off" in text
    values = parse(text, tmp_path)
    assert values == {"SET": "1", "MINE": "kept"}


def test_repeated_writes_keep_one_backup_and_prune_numbered_ones(tmp_path: Path) -> None:
    path = tmp_path / ".env.prod"
    path.write_text("A=0\n")
    os.chmod(path, 0o644)
    # what earlier versions left after 23 writes, plus files that only look alike
    for n in range(1, 24):
        (tmp_path / f".env.prod.bak.{n}").write_text(f"A=old{n}\n")
    (tmp_path / ".env.prod.bak.keep").write_text("not ours\n")
    (tmp_path / ".env.staging.bak.1").write_text("another env file's\n")
    assert len(old_backups(path)) == 23
    for i in range(1, 6):
        assert write_env_file(path, f"A={i}\n") == tmp_path / ".env.prod.bak"
        assert (tmp_path / ".env.prod.bak").read_text() == f"A={i - 1}\n"
        assert old_backups(path) == []
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".env.prod", ".env.prod.bak", ".env.prod.bak.keep", ".env.staging.bak.1"]
    for name in (".env.prod", ".env.prod.bak"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


@pytest.mark.parametrize("failing_call", [1, 2])
def test_an_interrupted_write_keeps_the_file_whole_and_at_most_one_new_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    path = tmp_path / ".env.prod"
    write_env_file(path, "A=1\n")
    write_env_file(path, "A=2\n")
    (tmp_path / ".env.prod.bak.1").write_text("A=from-an-old-version\n")
    real_replace = os.replace
    calls: list[str] = []

    def interrupted(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == failing_call:  # 1: writing the backup, 2: writing the file
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_env_file(path, "A=3\n")
    monkeypatch.setattr(os, "replace", real_replace)
    assert path.read_text() == "A=2\n", "the file is whole"
    expected_backup = "A=1\n" if failing_call == 1 else "A=2\n"
    assert (tmp_path / ".env.prod.bak").read_text() == expected_backup
    assert not list(tmp_path.glob("*.tmp")), "no temporary file is left"
    write_env_file(path, "A=3\n")  # the rerun
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env.prod", ".env.prod.bak"]
    assert (tmp_path / ".env.prod.bak").read_text() == "A=2\n"
