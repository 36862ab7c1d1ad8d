"""`proliferate-infra preview --offline` end to end: exit codes, errors, JSON export, secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from proliferate_components.cli.main import main
from proliferate_components.preview import load_schema, run_preview
from proliferate_components.testing import SECRET_MARKER

FIXTURES = Path(__file__).parent / "preview_fixtures"
PLAIN = FIXTURES / "plain_aws"
PACK = FIXTURES / "policy_pack"
API_TOKEN_DEFAULT = "fixture-token-7Qm2xV9pL4"  # the secret default in plain_aws/Pulumi.yaml


def preview(*args: str) -> int:
    return main(["preview", "--offline", *args])


def validate(document: object) -> None:
    jsonschema.Draft202012Validator(load_schema()).validate(document)


# -- exit codes and the happy path -------------------------------------------------------


def test_fixture_passes_the_stand_in_pack_and_prints_tree_and_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = preview(str(PLAIN), "--policy-pack", str(PACK))
    out = capsys.readouterr().out
    assert code == 0
    assert "aws:rds/instance:Instance app-db protect" in out
    assert "aws:ecs/service:Service app-service" in out
    assert "advisory fixture-log-retention (1)" in out
    assert "retentionInDays is 30; set it to at least 90" in out
    assert "mandatory" not in out.split("Policy report")[1].split("passed")[0]
    assert "29 resources (29 custom, 0 components, 1 protected)" in out
    assert "0 mandatory, 1 advisory violation" in out


def test_mandatory_violation_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = preview(str(PLAIN), "--policy-pack", str(PACK), "--config", "deletionProtection=false")
    out = capsys.readouterr().out
    assert code == 1
    assert "mandatory fixture-rds-deletion-protection (1)" in out
    assert "aws:rds/instance:Instance::app-db: deletionProtection is off" in out
    assert "FAILED" in out


def test_policy_pack_config_changes_levels_and_thresholds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "policy.json"
    cfg.write_text(
        json.dumps({"fixture-log-retention": {"enforcementLevel": "mandatory", "minimumDays": 60}})
    )
    assert preview(str(PLAIN), "--policy-pack", str(PACK), "--policy-pack-config", str(cfg)) == 1
    assert "at least 60" in capsys.readouterr().out
    cfg.write_text(json.dumps({"fixture-log-retention": {"minimumDays": 30}}))
    assert preview(str(PLAIN), "--policy-pack", str(PACK), "--policy-pack-config", str(cfg)) == 0
    assert "no violations" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"all": "strict"}', ["'strict'", "mandatory"]),
        ('{"no-such-policy": "mandatory"}', ["'no-such-policy'", "fixture-log-retention"]),
        (
            '{"fixture-log-retention": {"minimumDays": "ninety"}}',
            ["minimumDays", "'ninety'", "integer"],
        ),
    ],
    ids=["bad-level", "unknown-policy", "bad-property"],
)
def test_bad_policy_pack_config_exits_2(
    content: str, expected: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "policy.json"
    cfg.write_text(content)
    assert preview(str(PLAIN), "--policy-pack", str(PACK), "--policy-pack-config", str(cfg)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    for word in expected:
        assert word in err


def test_no_policy_skips_the_pack(capsys: pytest.CaptureFixture[str]) -> None:
    assert preview(str(PLAIN), "--no-policy", "--config", "deletionProtection=false") == 0
    assert "Policies: skipped" in capsys.readouterr().out


def test_without_offline_explains_the_online_command_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["preview", str(PLAIN), "--policy-pack", str(PACK)]) == 2
    err = capsys.readouterr().err
    assert "--offline" in err
    assert f"pulumi preview --policy-pack {PACK}" in err


def test_policy_pack_directory_must_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert preview(str(PLAIN), "--policy-pack", str(tmp_path)) == 2
    assert "--policy-pack" in capsys.readouterr().err


# -- input errors: exit 2 before anything runs --------------------------------------------


@pytest.mark.parametrize(
    ("args", "key", "shown"),
    [
        (["--config", "appPort=eighty"], "plainapp:appPort", "'eighty'"),
        (["--config", "plainapp:enableDatabase=yes"], "plainapp:enableDatabase", "'yes'"),
        (["--config", "allowedCidrs=10.0.0.0/8"], "plainapp:allowedCidrs", "'10.0.0.0/8'"),
        (["--config", "novalue"], "--config", "'novalue'"),
        (["--diagram", "out.png"], "--diagram", "'out.png'"),
        (["--stack", "my stack"], "--stack", "'my stack'"),
    ],
)
def test_input_errors_name_key_and_value(
    args: list[str], key: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert preview(str(PLAIN), "--no-policy", *args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {key}: invalid value {shown}")
    assert "Traceback" not in err


def test_invalid_pulumi_yaml_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: demo\nruntime: python\nconfig:\n  aws:region:\n    type: string\n"
    )
    (tmp_path / "__main__.py").write_text("raise SystemExit('must not run')\n")
    assert preview(str(tmp_path), "--no-policy") == 2
    err = capsys.readouterr().err
    assert "aws:region" in err and "Pulumi.yaml" in err


def test_program_config_error_is_printed_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert preview(str(PLAIN), "--no-policy", "--config", "appPort=70000") == 2
    err = capsys.readouterr().err
    assert "error: plainapp:appPort: invalid value 70000; a TCP port between 1 and 65535" in err
    assert "Traceback" not in err


def test_program_exception_is_clean_and_verbose_shows_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("settings = {}\nvalue = settings['missing-key']\n")
    assert preview(str(tmp_path), "--no-policy") == 2
    err = capsys.readouterr().err
    assert "error: the program of project 'broken' failed: KeyError: 'missing-key'" in err
    assert "Traceback" not in err
    assert preview(str(tmp_path), "--no-policy", "--verbose") == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "__main__.py" in err


def test_unanswered_invoke_names_the_invoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert preview(str(FIXTURES / "unanswered_invoke"), "--no-policy") == 2
    err = capsys.readouterr().err
    assert "aws:ec2/getAmi:getAmi" in err
    assert "cannot be answered offline" in err
    assert "Traceback" not in err


# -- JSON export ---------------------------------------------------------------------------


def test_json_export_matches_schema_and_recorded_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "preview.json"
    code = preview(str(PLAIN), "--policy-pack", str(PACK), "--stack", "staging", "--json", str(out))
    assert code == 0
    document = json.loads(out.read_text())
    validate(document)
    assert list(document) == ["project", "stack", "resources", "outputs", "violations"]
    assert (document["project"], document["stack"]) == ("plainapp", "staging")
    urns = [r["urn"] for r in document["resources"]]
    assert urns == sorted(urns) and len(urns) == 29
    db = next(r for r in document["resources"] if r["name"] == "app-db")
    assert db["protect"] is True and db["custom"] is True
    assert db["inputs"]["password"] == SECRET_MARKER
    assert db["inputs"]["allocatedStorage"] == 20  # whole numbers stay integers
    assert db["parent"] == "urn:pulumi:staging::plainapp::pulumi:pulumi:Stack::plainapp-staging"
    assert any(d.endswith("RandomPassword::db-password") for d in db["dependencies"])
    assert document["outputs"]["dbPassword"] == SECRET_MARKER
    assert document["outputs"]["url"].startswith("https://web-lb-")
    assert document["violations"] == [
        {
            "policy": "fixture-log-retention",
            "urn": "urn:pulumi:staging::plainapp::pulumi:pulumi:Stack$aws:cloudwatch/logGroup:LogGroup::app-logs",
            "enforcement": "advisory",
            "message": document["violations"][0]["message"],
        }
    ]
    assert "retentionInDays is 30" in document["violations"][0]["message"]
    assert f"wrote {out}" in capsys.readouterr().out


def test_json_export_is_stable_between_runs(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert preview(str(PLAIN), "--no-policy", "--json", str(a)) == 0
    assert preview(str(PLAIN), "--no-policy", "--json", str(b)) == 0
    assert a.read_bytes() == b.read_bytes()


def test_schema_rejects_a_document_with_a_missing_field(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    assert preview(str(PLAIN), "--no-policy", "--json", str(out)) == 0
    document = json.loads(out.read_text())
    del document["resources"][0]["protect"]
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_no_secret_value_reaches_json_or_console(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.json"
    supplied = "sup3r-s3cret-supplied-value"
    code = preview(
        str(PLAIN),
        "--policy-pack",
        str(PACK),
        "--secret",
        f"plainapp:extraToken={supplied}",
        "--json",
        str(out),
        "--verbose",
    )
    console = capsys.readouterr()
    assert code == 0
    # The real secret values of this run, taken from the recording itself.
    result = run_preview(PLAIN, secret_config={"plainapp:extraToken": supplied})
    password = result.capture.one("random:index/randomPassword:RandomPassword").outputs["result"]
    from proliferate_components.testing import unwrap

    secrets = {unwrap(password), API_TOKEN_DEFAULT, supplied, result.capture.output("databaseUrl")}
    assert all(isinstance(s, str) and len(s) > 8 for s in secrets)
    text = out.read_text()
    for secret in secrets:
        assert secret not in text
        assert secret not in console.out
        assert secret not in console.err
    assert SECRET_MARKER in text
    assert "plainapp:extraToken" in console.out  # verbose config table lists the key, not the value


# -- subprocess: the real entry point --------------------------------------------------------


def _cli_preview_of_plain(*extra: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``proliferate-infra preview --offline`` of the plain fixture with its pack and
    ``deletionProtection=false`` (one mandatory violation), as a separate process."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "proliferate_components.cli.main",
            "preview",
            "--offline",
            str(PLAIN),
            "--policy-pack",
            str(PACK),
            "--config",
            "deletionProtection=false",
            *extra,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_subprocess_entry_point(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    proc = _cli_preview_of_plain("--json", str(out))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    document = json.loads(out.read_text())
    validate(document)
    assert {v["policy"] for v in document["violations"] if v["enforcement"] == "mandatory"} == {
        "fixture-rds-deletion-protection"
    }


@pytest.mark.slow
def test_json_dash_prints_the_document_alone_on_stdout(tmp_path: Path) -> None:
    """`--json -` is the JSON document on stdout (pipeable into jq), the report on stderr,
    and no file named '-'."""
    proc = _cli_preview_of_plain("--json", "-", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    document = json.loads(proc.stdout)
    validate(document)
    assert "fixture-rds-deletion-protection" in proc.stderr  # the human report
    assert "wrote -" not in proc.stderr + proc.stdout
    assert not (tmp_path / "-").exists()


# -- the bundled example ---------------------------------------------------------------------


def test_bundled_example_is_found_in_checkout_and_wheel_layouts(tmp_path: Path) -> None:
    from proliferate_components.errors import ConfigError
    from proliferate_components.preview import bundled_example_dir

    checkout = tmp_path / "repo"
    (checkout / "proliferate_components").mkdir(parents=True)
    (checkout / "examples" / "proliferate").mkdir(parents=True)
    (checkout / "examples" / "proliferate" / "Pulumi.yaml").write_text("name: proliferate\n")
    assert (
        bundled_example_dir(checkout / "proliferate_components")
        == checkout / "examples" / "proliferate"
    )

    wheel = tmp_path / "site-packages" / "proliferate_components"
    (wheel / "_examples" / "proliferate").mkdir(parents=True)
    (wheel / "_examples" / "proliferate" / "Pulumi.yaml").write_text("name: proliferate\n")
    assert bundled_example_dir(wheel) == wheel / "_examples" / "proliferate"

    with pytest.raises(ConfigError) as err:
        bundled_example_dir(tmp_path / "nowhere" / "proliferate_components")
    assert err.value.key == "PROJECT_DIR"


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_bundled_example_passes_every_mandatory_rule_of_the_bundled_pack(
    preset: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from proliferate_components.preview import bundled_example_dir

    try:
        bundled_example_dir()
    except Exception as exc:
        pytest.skip(f"bundled example not available: {exc}")
    out = tmp_path / f"{preset}.json"
    code = main(["preview", "--offline", "--preset", preset, "--json", str(out)])
    console = capsys.readouterr()
    document = json.loads(out.read_text())
    validate(document)
    mandatory = [v for v in document["violations"] if v["enforcement"] == "mandatory"]
    assert mandatory == [], console.out
    assert code == 0, console.err
    assert document["project"] == "proliferate"
    assert any(
        r["type"] == "aws:elasticache/replicationGroup:ReplicationGroup"
        for r in document["resources"]
    )
    assert "passed" in console.out


@pytest.mark.parametrize(
    ("args", "stack"),
    [
        (["--preset", "prod"], "prod"),
        (["--preset", "dev"], "dev"),
        (["--preset", "prod", "--stack", "staging"], "staging"),
        ([], "dev"),
    ],
)
def test_the_preset_names_the_stack_unless_stack_is_given(
    args: list[str], stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "preview.json"
    assert preview(str(PLAIN), "--no-policy", *args, "--json", str(out)) == 0
    capsys.readouterr()
    document = json.loads(out.read_text())
    assert document["stack"] == stack
    assert all(r["urn"].startswith(f"urn:pulumi:{stack}::") for r in document["resources"])


def test_bundled_example_treats_environment_keys_as_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from proliferate_components.environment import config_key

    key = config_key("ANTHROPIC_API_KEY")
    value = "sk-ant-offline-test-0123456789"
    code = main(["preview", "--offline", "--no-policy", "--verbose", "--config", f"{key}={value}"])
    console = capsys.readouterr()
    assert code == 0, console.err
    assert key in console.out  # listed in the config table...
    assert value not in console.out + console.err  # ...but its value never is
    assert "not declared in Pulumi.yaml" not in console.out  # the stack reads it


def test_program_errors_do_not_echo_secret_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: leaky\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\n"
        "from proliferate_components.errors import ConfigError\n"
        "token = pulumi.Config().require('token')\n"
        "if pulumi.Config().get('mode') == 'config':\n"
        "    raise ConfigError('leaky:token', token, f'not {token}')\n"
        "raise ValueError(f'bad token {token}')\n"
    )
    secret = "tok-very-secret-42"
    assert preview(str(tmp_path), "--no-policy", "--secret", f"token={secret}") == 2
    err = capsys.readouterr().err
    assert "ValueError: bad token [secret]" in err
    assert secret not in err
    args = ["--no-policy", "--secret", f"token={secret}", "--config", "mode=config"]
    assert preview(str(tmp_path), *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: leaky:token: invalid value [secret]")
    assert secret not in err


def test_program_calling_sys_exit_is_a_program_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: quitter\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("import sys\nsys.exit(3)\n")
    assert preview(str(tmp_path), "--no-policy") == 2
    assert "SystemExit: the program called sys.exit(3)" in capsys.readouterr().err


def test_a_public_vpc_range_previews_with_a_warning_naming_the_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["preview", "--offline", "--no-policy", "-c", "proliferate:vpcCidr=8.8.0.0/16"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "warning: proliferate:vpcCidr=8.8.0.0/16 is publicly routable" in out


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_secret_is_an_error_naming_the_key_not_a_set_secret(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["preview", "--offline", "--no-policy", "--secret", f"ANTHROPIC_API_KEY={value}"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: proliferate:ANTHROPIC_API_KEY: invalid value [secret]; ")
    assert "empty and whitespace-only values count as unset" in err


def test_a_program_that_never_finishes_is_stopped_by_the_timeout(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: sleepy\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import time\n"
        "import pulumi_aws as aws\n"
        "aws.s3.Bucket('registered-before-the-wait')\n"
        "try:\n"
        "    time.sleep(10**9)\n"
        "except Exception:  # a program's own error handling cannot swallow the timeout\n"
        "    pass\n"
        "aws.s3.Bucket('never-reached')\n"
    )
    out = tmp_path / "preview.json"
    argv = ["preview", "--offline", str(tmp_path), "--timeout", "0.5", "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "proliferate_components.cli.main", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,  # a safety net for the test itself, not an assertion
    )
    assert proc.returncode == 124, proc.stderr
    assert proc.stderr.startswith("error: the preview did not finish within 0.5 s (--timeout)")
    assert "Traceback" not in proc.stderr
    assert not out.exists(), "no partial result is written"


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "100000"])
def test_timeout_must_be_a_positive_number_of_seconds(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["preview", "--offline", "--timeout", value])
    assert info.value.code == 2
    assert "--timeout" in capsys.readouterr().err


def test_the_deadline_restores_the_previous_alarm_handler_and_is_off_elsewhere() -> None:
    import signal
    import threading

    from proliferate_components.preview.timeout import PreviewTimeout, deadline

    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(PreviewTimeout) as info, deadline(0.05) as armed:
        assert armed
        threading.Event().wait(30)  # interrupted long before
    assert info.value.seconds == 0.05
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with deadline(None) as armed:
        assert not armed
    seen: list[bool] = []

    def in_a_thread() -> None:
        with deadline(0.01) as armed:
            seen.append(armed)

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    assert seen == [False]


def test_a_config_disabling_every_policy_says_so_instead_of_a_silent_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "policy.json"
    cfg.write_text(json.dumps({"all": "disabled"}))
    args = ["--policy-pack", str(PACK), "--policy-pack-config", str(cfg)]
    # deletionProtection=false breaks a mandatory rule: disabled, it is not checked
    code = preview(str(PLAIN), *args, "--config", "deletionProtection=false")
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "Policies: every policy is disabled (4 of 4 in " in out
    assert "nothing was checked" in out
    assert "every policy disabled (4), nothing checked" in out  # the summary line
    assert "no violations" not in out

    cfg.write_text(json.dumps({"all": "disabled", "fixture-log-retention": "advisory"}))
    assert preview(str(PLAIN), *args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "every policy" not in out
    assert "advisory fixture-log-retention (1)" in out


def test_preview_result_lists_each_policys_level() -> None:
    result = run_preview(PLAIN, policy_pack=PACK, policy_config={"all": "disabled"})
    assert result.every_policy_disabled
    assert set(result.policy_levels.values()) == {"disabled"}
    assert len(result.policy_levels) == 4
    default = run_preview(PLAIN, policy_pack=PACK)
    assert not default.every_policy_disabled
    assert default.policy_levels["fixture-rds-deletion-protection"] == "mandatory"
    assert default.policy_levels["fixture-log-retention"] == "advisory"
    assert not run_preview(PLAIN).every_policy_disabled  # no pack ran


def test_only_the_invoked_subcommand_is_built_and_usage_lists_them_all() -> None:
    from proliferate_components.cli import main as cli_main

    assert cli_main.command_of(["preview", "--offline"]) == "preview"
    assert cli_main.command_of(["policy-pack", "path"]) == "policy_pack"
    assert cli_main.command_of(["policy_pack"]) is None  # not a command name
    assert cli_main.command_of(["--version"]) is None
    assert cli_main.command_of([]) is None
    probe = (
        "import sys, contextlib, io\n"
        "from proliferate_components.cli.main import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['preview', '--help'])\n"
        "print('proliferate_components.deploy.flow' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
    usage = subprocess.run(
        [sys.executable, "-m", "proliferate_components.cli.main", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for command in ("preview", "setup", "deploy", "policy-pack", "init-ci", "migrate"):
        assert command in usage
