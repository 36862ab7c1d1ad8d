"""The bundled example stack: project files, the spec's dev and prod config sets, outputs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from proliferate_components.config import DEV_PRESET, PROD_PRESET, pulumi_yaml_config_schema
from proliferate_components.contract import OUTPUT_NAMES, SECRET_OUTPUT_NAMES
from proliferate_components.errors import ConfigError
from proliferate_components.testing import capture_project
from proliferate_components.testing.harness import redact

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "proliferate"


def _project() -> dict[str, object]:
    return yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())


def test_pulumi_yaml_names_the_project_and_a_python_venv_runtime() -> None:
    project = _project()
    assert project["name"] == "proliferate"  # `proliferate:` keys are project keys only then
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }


def test_pulumi_yaml_config_block_is_the_generated_schema() -> None:
    config = _project()["config"]
    assert config == pulumi_yaml_config_schema(), (
        "examples/proliferate/Pulumi.yaml drifted from config.pulumi_yaml_config_schema(); "
        "regenerate its config block (command in the file's header)"
    )


def test_pulumi_yaml_follows_pulumis_rules_for_config() -> None:
    config = _project()["config"]
    assert isinstance(config, dict)
    for key, spec in config.items():
        assert isinstance(spec, dict)
        if not str(key).startswith("proliferate:"):
            # Another namespace's key (aws:region) may only carry `value`.
            assert set(spec) == {"value"}, key
            continue
        assert spec["type"] in ("string", "integer", "boolean", "array", "object"), key
        assert "default" in spec, f"{key}: a project key without a default is required by Pulumi"
        assert not (spec.get("secret") and "default" in spec), key
    assert config["aws:region"] == {"value": "us-east-1"}


def test_no_stack_files_and_a_thin_program() -> None:
    assert not list(EXAMPLE.glob("Pulumi.*.yaml"))
    assert (EXAMPLE / "requirements.txt").read_text().split() == ["proliferate-components"]
    tree = ast.parse((EXAMPLE / "__main__.py").read_text())
    statements = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr))]
    assert len(statements) <= 3, "the example program stays a thin wrapper"
    source = (EXAMPLE / "__main__.py").read_text()
    assert "StackConfig.from_pulumi_config()" in source
    assert "export_outputs()" in source


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_readme_lists_the_spec_config_set_lines(preset: str) -> None:
    readme = (EXAMPLE / "README.md").read_text()
    block = readme.split(f"**{preset.capitalize()}**", 1)[1].split("```", 2)[1]
    values = DEV_PRESET if preset == "dev" else PROD_PRESET
    for key, value in values.items():
        if key == "proliferate:certificateArn":
            assert re.search(
                r"pulumi config set (--secret )?proliferate:certificateArn arn:aws:acm:", block
            )
            continue
        assert f"pulumi config set {key} {value}" in block, key


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_spec_config_sets_build_with_every_output(preset: str) -> None:
    config = DEV_PRESET if preset == "dev" else PROD_PRESET
    cap = capture_project(EXAMPLE, config=config, stack=preset)
    assert set(OUTPUT_NAMES) <= set(cap.outputs), sorted(set(OUTPUT_NAMES) - set(cap.outputs))
    for key in OUTPUT_NAMES:
        value = cap.output(key)
        assert value not in (None, "", []), key
    for key in SECRET_OUTPUT_NAMES:
        assert redact(cap.outputs[key]) == "[secret]", f"{key} must be a secret output"
    for key in set(cap.outputs) - SECRET_OUTPUT_NAMES:
        assert redact(cap.outputs[key]) != "[secret]", f"{key} is needlessly secret"
    assert cap.output("redisUrl").startswith("rediss://")
    assert cap.output("databaseUrl").startswith("postgres")
    scheme = "https" if preset == "prod" else "http"
    assert cap.output("appUrl").startswith(f"{scheme}://")
    assert cap.output("migrationsSubnetIds") and cap.output("migrationsSecurityGroupIds")
    assert "nameServers" not in cap.outputs  # DNS is not managed in the spec's sets


def test_a_bad_config_value_fails_naming_the_pulumi_key() -> None:
    with pytest.raises(ConfigError) as info:
        capture_project(EXAMPLE, config={**DEV_PRESET, "proliferate:workerMemory": "3000"})
    assert info.value.key == "proliferate:workerMemory"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("proliferate:redisEngineVersion", "7.9"),
        ("proliferate:dbEngineVersion", "16.99"),
        ("proliferate:dbEngineVersion", "13"),
    ],
)
def test_an_engine_version_aws_does_not_offer_fails_before_any_registration(
    key: str, value: str
) -> None:
    registered: list[str] = []
    with pytest.raises(ConfigError) as info:
        capture_project(
            EXAMPLE,
            config={**DEV_PRESET, key: value},
            on_register=lambda r: registered.append(r.name),
        )
    assert info.value.key == key and info.value.value == value
    assert registered == []


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("proliferate:ANTHROPIC_API_KEY", "", "[secret]"),
        ("proliferate:ANTHROPIC_API_KEY", "   ", "[secret]"),
        ("proliferate:ANTHROPIC_API_KEY", "\t\n", "[secret]"),
        ("proliferate:USER_SECRETS_ENCRYPTION_KEY", "not-a-key", "[secret]"),
        ("proliferate:NEXT_PUBLIC_GITHUB_APP_SLUG", "", "''"),
        ("proliferate:NEXT_PUBLIC_GITHUB_APP_SLUG", "  ", "'  '"),
    ],
)
def test_an_empty_or_malformed_environment_value_fails_before_any_registration(
    key: str, value: str, shown: str
) -> None:
    registered: list[str] = []
    with pytest.raises(ConfigError) as info:
        capture_project(
            EXAMPLE,
            config={**DEV_PRESET, key: value},
            secret_keys=[key] if key != "proliferate:NEXT_PUBLIC_GITHUB_APP_SLUG" else [],
            on_register=lambda r: registered.append(r.name),
        )
    assert info.value.key == key
    assert str(info.value).startswith(f"{key}: invalid value {shown};")
    assert registered == []
