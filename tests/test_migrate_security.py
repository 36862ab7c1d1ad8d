"""`migrate terraform` output safety: shell words, secrets, file modes, stdout size.

Each test here failed before the fix it guards (issue 13, item 0): a ``for_each`` key with a
quote broke ``terraform-state-rm.sh`` (and a crafted one ran commands), ``report.json``
copied plaintext container ``environment`` values, every file was written 0644, and a large
state printed a table of every resource to stdout.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from migrate_fixtures.builder import DEV, build_state

from proliferate_components.cli.main import main
from proliferate_components.migrate.redact import REDACTED, looks_secret, redact
from proliferate_components.migrate.shell import quote

# -- one quoting helper for every generated shell word ---------------------------------------

HOSTILE_KEYS = (
    "O'Brien",
    "x'; touch PWNED; echo '",
    "$(touch PWNED)",
    "`touch PWNED`",
    'a"b\\c',
    "tab\there",
    "new\nline; touch PWNED",
    "-rf",
    "",
)


@pytest.mark.parametrize("word", HOSTILE_KEYS)
def test_quote_round_trips_through_a_real_shell(word: str, tmp_path: Path) -> None:
    done = subprocess.run(
        ["sh", "-c", f"printf '%s' {quote(word)}"],
        capture_output=True,
        cwd=tmp_path,
        check=True,
    )
    assert done.stdout.decode() == word
    assert not (tmp_path / "PWNED").exists()


def _with_keys(document: dict[str, Any], rtype: str, name: str, keys: list[str]) -> None:
    """Turn resource ``rtype.name`` into a ``for_each`` over ``keys`` (copies of instance 0)."""
    res = next(r for r in document["resources"] if r["type"] == rtype and r["name"] == name)
    first = res["instances"][0]
    res["each"] = "map"
    res["instances"] = [
        {**first, "index_key": key, "attributes": dict(first["attributes"])} for key in keys
    ]


def _stub_terraform(bin_dir: Path, record: Path) -> None:
    bin_dir.mkdir()
    stub = bin_dir / "terraform"
    stub.write_text(
        "#!/bin/sh\n"
        f'for a in "$@"; do printf "%s\\0" "$a" >> {quote(str(record))}; done\n'
        f"printf '\\n\\0' >> {quote(str(record))}\n"
    )
    stub.chmod(0o755)


def test_state_rm_script_passes_hostile_for_each_keys_as_one_word(tmp_path: Path) -> None:
    document = build_state(DEV)
    keys = ["O'Brien", "x'; touch PWNED; echo '"]
    _with_keys(document, "aws_cloudwatch_log_group", "worker", keys)
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps(document))
    out = tmp_path / "migration"
    main(["migrate", "terraform", "--state", str(state), "--out", str(out)])
    report = json.loads((out / "report.json").read_text())
    adopted = [
        r["address"]
        for r in report["resources"]
        if r["status"] in ("adopt", "adopt_with_changes", "new_revision") and r["inlineOf"] is None
    ]
    assert any("O'Brien" in a for a in adopted)

    record = tmp_path / "calls"
    _stub_terraform(tmp_path / "bin", record)
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    subprocess.run(["sh", str(out / "terraform-state-rm.sh")], cwd=tmp_path, env=env, check=True)
    assert not (tmp_path / "PWNED").exists()
    calls = [c.strip("\0").split("\0") for c in record.read_text().split("\n\0") if c.strip("\0")]
    assert calls == [["state", "rm", a] for a in adopted]


def test_config_script_quotes_every_value(tmp_path: Path) -> None:
    from proliferate_components.migrate.derive import DerivedConfig

    derived = DerivedConfig(values={"proliferate:imageTag": "v1'; touch PWNED; echo '"}, sources={})
    lines = derived.commands("dev")
    script = tmp_path / "config.sh"
    script.write_text("\n".join(lines) + "\n")
    record = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(
        f'#!/bin/sh\nfor a in "$@"; do printf "%s\\0" "$a" >> {quote(str(record))}; done\n'
    )
    (bin_dir / "pulumi").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    subprocess.run(["sh", str(script)], cwd=tmp_path, env=env, check=True)
    assert not (tmp_path / "PWNED").exists()
    assert record.read_text().split("\0")[:-1] == [
        "config",
        "set",
        "--stack",
        "dev",
        "proliferate:imageTag",
        "v1'; touch PWNED; echo '",
    ]


# -- secrets never reach an output -----------------------------------------------------------

SECRET_VALUES = (
    "sk-ant-api03-Zq8dVx3LmN0pQr5sTu7vWx9yZa1bCd3eFg5hIj7kLm9nOp1qRs3tUv5wXy7zAb9",
    "hunter2-plaintext-env",
    "postgresql://app:S3cr3tPassw0rd@db.internal:5432/app",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "RedisAuthToken-0123456789abcdefABCDEF",
    "DbMasterPassword-Very-Secret-42",
)


def _state_with_secrets() -> dict[str, Any]:
    document = build_state(DEV)
    task = next(
        r
        for r in document["resources"]
        if r["type"] == "aws_ecs_task_definition" and r["name"] == "worker"
    )
    attributes = task["instances"][0]["attributes"]
    containers = json.loads(attributes["container_definitions"])
    containers[0]["environment"] = [
        {"name": "ANTHROPIC_API_KEY", "value": SECRET_VALUES[0]},
        {"name": "SOME_SETTING", "value": SECRET_VALUES[1]},
        {"name": "DATABASE_URL", "value": SECRET_VALUES[2]},
        {"name": "AWS_ACCESS_KEY_ID", "value": SECRET_VALUES[3]},
    ]
    containers[0]["command"] = ["--key", SECRET_VALUES[4]]
    attributes["container_definitions"] = json.dumps(containers)
    cache = next(r for r in document["resources"] if r["type"].startswith("aws_elasticache_cl"))
    cache["instances"][0]["attributes"]["auth_token"] = SECRET_VALUES[5]
    document["resources"].append(
        {
            "mode": "managed",
            "type": "aws_secretsmanager_secret_version",
            "name": "worker",
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "instances": [
                {
                    "schema_version": 0,
                    "attributes": {
                        "id": "arn:aws:secretsmanager:us-east-1:210987654321:secret:w-AbC|v1",
                        "secret_id": "arn:aws:secretsmanager:us-east-1:210987654321:secret:w-AbC",
                        "secret_string": json.dumps({"DATABASE_URL": SECRET_VALUES[2]}),
                        "version_id": "v1",
                    },
                }
            ],
        }
    )
    document["resources"].append(
        {
            "mode": "managed",
            "type": "aws_db_instance",
            "name": "legacy",
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "instances": [
                {
                    "schema_version": 2,
                    "attributes": {
                        "id": "db-ABCDEFGHIJ",
                        "identifier": "legacy",
                        "password": SECRET_VALUES[6],
                        "username": "app",
                    },
                }
            ],
        }
    )
    return document


def _everything_written(out: Path, captured: str) -> dict[str, str]:
    texts = {"<stdout+stderr>": captured}
    for path in out.iterdir():
        texts[path.name] = path.read_text()
    return texts


@pytest.mark.parametrize("json_flag", [False, True], ids=["summary", "json"])
def test_no_secret_value_reaches_stdout_or_any_file_but_the_secret_config_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], json_flag: bool
) -> None:
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps(_state_with_secrets()))
    out = tmp_path / "migration"
    args = ["migrate", "terraform", "--state", str(state), "--out", str(out)]
    main([*args, "--json"] if json_flag else args)
    captured = capsys.readouterr()
    texts = _everything_written(out, captured.out + captured.err)
    for name, text in texts.items():
        if name == "secrets.sh":
            continue
        for secret in SECRET_VALUES:
            assert secret not in text, (name, secret)
            assert json.dumps(secret)[1:-1] not in text, (name, secret)
    report = json.loads((out / "report.json").read_text())
    task = next(r for r in report["resources"] if r["address"] == "aws_ecs_task_definition.worker")
    shown = json.dumps(task)
    assert "ANTHROPIC_API_KEY" in shown and REDACTED in shown  # the name stays, the value not


def test_every_output_file_is_private(tmp_path: Path) -> None:
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps(build_state(DEV)))
    out = tmp_path / "migration"
    old = os.umask(0o022)
    try:
        main(["migrate", "terraform", "--state", str(state), "--out", str(out)])
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_wider_existing_file_is_narrowed_on_rewrite(tmp_path: Path) -> None:
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps(build_state(DEV)))
    out = tmp_path / "migration"
    out.mkdir()
    (out / "report.json").write_text("{}")
    (out / "report.json").chmod(0o644)
    main(["migrate", "terraform", "--state", str(state), "--out", str(out)])
    assert stat.S_IMODE((out / "report.json").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("environment", [{"name": "A", "value": "plain"}]),
        ("password", "x"),
        ("master_password", "x"),
        ("auth_token", "x"),
        ("secret_string", '{"K": "plain"}'),
        ("private_key", "x"),
        ("secrets", [{"name": "A", "valueFrom": "arn:aws:secretsmanager:..."}]),
    ],
)
def test_sensitive_fields_are_redacted_by_name(key: str, value: Any) -> None:
    redacted = redact({key: value})
    assert redacted[key] != value
    text = json.dumps(redacted)
    for leaf in ('"x"', "plain", "arn:aws:secretsmanager:..."):
        assert leaf not in text


@pytest.mark.parametrize("value", [SECRET_VALUES[i] for i in (0, 2, 3, 4, 5)])
def test_secret_looking_values_are_redacted_anywhere(value: str) -> None:
    assert looks_secret(value)
    assert value not in json.dumps(redact({"tags": {"Note": value}, "list": [value]}))


@pytest.mark.parametrize(
    "value",
    [
        "proliferate-worker",
        "arn:aws:iam::210987654321:role/proliferate-ecs-execution",
        "sg-0a1b2c3d4e5f60718",
        "10.0.1.0/24",
        "/ecs/proliferate-worker",
        "proliferate-redis-bullmq",
        "terraform-20240527143012345600000001",
        "210987654321.dkr.ecr.us-east-1.amazonaws.com/proliferate-worker",
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
    ],
)
def test_ordinary_values_are_not_mistaken_for_secrets(value: str) -> None:
    assert not looks_secret(value)
    assert redact({"name": value}) == {"name": value}


def test_container_definitions_json_text_keeps_its_shape() -> None:
    text = json.dumps(
        [{"name": "w", "environment": [{"name": "K", "value": "v"}], "image": "repo:tag"}]
    )
    out = json.loads(redact({"container_definitions": text})["container_definitions"])
    assert out == [
        {"name": "w", "environment": [{"name": "K", "value": REDACTED}], "image": "repo:tag"}
    ]


# -- a summary on stdout, the table in report.md --------------------------------------------


def test_a_large_state_prints_a_short_summary_and_puts_the_table_in_report_md(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = build_state(DEV)
    for i in range(400):
        document["resources"].append(
            {
                "mode": "managed",
                "type": "aws_s3_bucket",
                "name": f"bucket_{i}",
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [{"schema_version": 0, "attributes": {"id": f"bucket-{i}"}}],
            }
        )
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps(document))
    out = tmp_path / "migration"
    main(["migrate", "terraform", "--state", str(state), "--out", str(out)])
    printed = capsys.readouterr().out
    assert len(printed.splitlines()) <= 40, printed
    assert "bucket_399" not in printed
    assert "report.md" in printed
    markdown = (out / "report.md").read_text()
    table = [line for line in markdown.splitlines() if line.startswith("| `")]
    for i in (0, 399):
        assert any(f"`aws_s3_bucket.bucket_{i}`" in row for row in table)
    assert any("`aws_vpc.main`" in row for row in table)
