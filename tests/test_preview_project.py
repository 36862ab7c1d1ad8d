"""Pulumi.yaml loading and stack config resolution, checked against Pulumi's own rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from proliferate_components.errors import ConfigError
from proliferate_components.preview.project import ProjectFileError, load_project

FIXTURES = Path(__file__).parent / "preview_fixtures"


def make_project(tmp_path: Path, yaml_text: str, *, program: str = "import pulumi\n") -> Path:
    (tmp_path / "Pulumi.yaml").write_text(textwrap.dedent(yaml_text))
    (tmp_path / "__main__.py").write_text(program)
    return tmp_path


def test_fixture_project_loads_with_types_and_namespaces() -> None:
    project = load_project(FIXTURES / "plain_aws")
    assert project.name == "plainapp"
    assert project.runtime == "python"
    assert project.runtime_options == {"virtualenv": "venv"}
    decls = {d.full_key: d for d in project.config}
    assert decls["plainapp:appPort"].type == "integer"
    assert decls["plainapp:appPort"].key == "appPort"
    assert decls["plainapp:enableDatabase"].project_owned
    assert not decls["aws:region"].project_owned
    assert decls["aws:region"].value == "us-west-2"
    assert decls["plainapp:allowedCidrs"].type_name() == "array<string>"
    assert decls["plainapp:apiToken"].secret


def test_defaults_and_values_are_applied_as_cli_strings() -> None:
    resolved = load_project(FIXTURES / "plain_aws").resolve_config("dev")
    assert resolved.values["plainapp:appPort"] == "8080"
    assert resolved.values["plainapp:enableDatabase"] == "true"
    assert resolved.values["plainapp:allowedCidrs"] == '["203.0.113.0/24"]'
    assert resolved.values["aws:region"] == "us-west-2"
    assert resolved.secret_keys == {"plainapp:apiToken"}
    assert resolved.sources["plainapp:appPort"] == "Pulumi.yaml"


def test_overrides_win_over_layers_and_keys_get_the_project_namespace() -> None:
    project = load_project(FIXTURES / "plain_aws")
    resolved = project.resolve_config(
        "dev",
        {"appPort": "9000"},
        layers=(("--preset dev", {"plainapp:appPort": "7000", "aws:region": "eu-west-1"}),),
    )
    assert resolved.values["plainapp:appPort"] == "9000"
    assert resolved.sources["plainapp:appPort"] == "--config"
    assert resolved.values["aws:region"] == "eu-west-1"
    assert resolved.sources["aws:region"] == "--preset dev"


def test_secret_overrides_are_marked_secret() -> None:
    resolved = load_project(FIXTURES / "plain_aws").resolve_config(
        "dev", secret_overrides={"plainapp:extraKey": "s3cr3t-value"}
    )
    assert "plainapp:extraKey" in resolved.secret_keys
    assert any("extraKey" in w for w in resolved.warnings)


def test_undeclared_project_key_warns_with_a_suggestion() -> None:
    resolved = load_project(FIXTURES / "plain_aws").resolve_config("dev", {"appPrt": "1"})
    assert resolved.warnings == (
        "config key 'plainapp:appPrt' is not declared in Pulumi.yaml (did you mean 'plainapp:appPort'?)",
    )


@pytest.mark.parametrize(
    ("key", "value", "valid_words"),
    [
        ("appPort", "eighty", "integer"),
        ("appPort", "80.5", "integer"),
        ("enableDatabase", "yes", "true or false"),
        ("enableDatabase", "True", "true or false"),
        ("allowedCidrs", "10.0.0.0/8", "array<string>"),
        ("allowedCidrs", "[1, 2]", "array<string>"),
    ],
)
def test_config_values_are_type_checked(key: str, value: str, valid_words: str) -> None:
    project = load_project(FIXTURES / "plain_aws")
    with pytest.raises(ConfigError) as err:
        project.resolve_config("dev", {key: value})
    assert err.value.key == f"plainapp:{key}"
    assert err.value.value == value
    assert valid_words in err.value.valid
    assert repr(value) in str(err.value)


def test_integer_accepts_signed_digits_like_strconv_atoi() -> None:
    resolved = load_project(FIXTURES / "plain_aws").resolve_config("dev", {"appPort": "+8081"})
    assert resolved.values["plainapp:appPort"] == "+8081"


def test_a_bad_secret_value_is_not_echoed(tmp_path: Path) -> None:
    project = load_project(
        make_project(
            tmp_path,
            "name: demo\nruntime: python\nconfig:\n  pin:\n    type: integer\n    secret: true\n",
        )
    )
    with pytest.raises(ConfigError) as err:
        project.resolve_config("dev", secret_overrides={"pin": "hunter2-not-a-number"})
    assert err.value.key == "demo:pin"
    assert "hunter2" not in str(err.value)
    assert "[secret]" in str(err.value)


def test_missing_value_for_typed_key_without_default(tmp_path: Path) -> None:
    project = load_project(
        make_project(
            tmp_path,
            """
            name: demo
            runtime: python
            config:
              demo:domain:
                type: string
            """,
        )
    )
    with pytest.raises(ConfigError) as err:
        project.resolve_config("prod")
    assert err.value.key == "demo:domain"
    assert "missing" in err.value.valid and "'prod'" in err.value.valid
    assert (
        project.resolve_config("prod", {"domain": "a.example.com"}).values["demo:domain"]
        == "a.example.com"
    )


def test_stack_file_plain_values_apply_and_encrypted_ones_must_be_overridden(
    tmp_path: Path,
) -> None:
    root = make_project(
        tmp_path,
        """
        name: demo
        runtime: python
        config:
          size:
            type: integer
            default: 1
        """,
    )
    (root / "Pulumi.staging.yaml").write_text(
        "config:\n  demo:size: 3\n  demo:token:\n    secure: AAABAJ==\n"
    )
    project = load_project(root)
    with pytest.raises(ConfigError) as err:
        project.resolve_config("staging")
    assert err.value.key == "demo:token"
    assert "--config demo:token=" in err.value.valid
    resolved = project.resolve_config("staging", secret_overrides={"token": "t0ken-value"})
    assert resolved.values["demo:size"] == "3"
    assert resolved.sources["demo:size"] == "Pulumi.staging.yaml"
    assert "demo:token" in resolved.secret_keys
    # another stack has no stack file: the default applies
    assert project.resolve_config("dev").values["demo:size"] == "1"


INVALID_PROJECTS = [
    pytest.param("runtime: python\n", "name", "non-empty", id="missing-name"),
    pytest.param("name: demo\n", "runtime", "python", id="missing-runtime"),
    pytest.param("name: demo\nruntime: nodejs\n", "runtime", "python", id="nodejs-runtime"),
    pytest.param("name: de mo\nruntime: python\n", "name", "letters", id="bad-name"),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  aws:region:\n    type: string\n    default: us-east-1\n",
        "aws:region",
        "only a 'value'",
        id="foreign-key-type",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  aws:region:\n    default: us-east-1\n",
        "aws:region",
        "instead of 'default'",
        id="foreign-key-default",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  aws:region:\n    description: region\n",
        "aws:region",
        "'value'",
        id="foreign-key-no-value",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  demo:cpu:\n    type: number\n    default: 256\n",
        "demo:cpu.type",
        "no 'number' type",
        id="number-type",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  zones:\n    type: array\n",
        "zones.items",
        "items",
        id="array-without-items",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  cpu:\n    type: integer\n    default: lots\n",
        "cpu",
        "integer",
        id="default-type-mismatch",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  name:\n    type: string\n    default: 12\n",
        "name",
        "string",
        id="string-default-is-a-number",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  zones:\n    type: array\n    items: {type: integer}\n    default: [a]\n",
        "zones",
        "array<integer>",
        id="array-items-mismatch",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  size:\n    type: string\n    default: a\n    value: b\n",
        "size",
        "not both",
        id="default-and-value",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  size:\n    type: string\n    sekret: true\n",
        "size",
        "only",
        id="unknown-attribute",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  size:\n    type: string\n    secret: 'yes'\n",
        "size.secret",
        "true or false",
        id="secret-not-bool",
    ),
    pytest.param(
        "name: demo\nruntime: python\nconfig:\n  size: 1\n  demo:size: 2\n",
        "demo:size",
        "declared once",
        id="duplicate-key",
    ),
    pytest.param(
        "name: demo\nruntime: python\nmain: src/\n", "main", "does not exist", id="missing-main"
    ),
]


@pytest.mark.parametrize(("yaml_text", "key", "valid_words"), INVALID_PROJECTS)
def test_invalid_project_files_name_the_key(
    tmp_path: Path, yaml_text: str, key: str, valid_words: str
) -> None:
    with pytest.raises(ProjectFileError) as err:
        load_project(make_project(tmp_path, yaml_text))
    assert err.value.key == key
    assert valid_words in err.value.valid
    assert str(err.value).startswith(str(tmp_path / "Pulumi.yaml"))
    assert repr(key) in str(err.value) or f"{key}:" in str(err.value)


def test_valid_schema_kinds_load(tmp_path: Path) -> None:
    project = load_project(
        make_project(
            tmp_path,
            """
            name: demo
            runtime:
              name: python
            config:
              aws:region: eu-west-1
              demo:count: 2
              flags:
                type: object
                default: {a: 1}
              matrix:
                type: array
                items:
                  type: array
                  items: {type: integer}
                default: [[1, 2], ["3"]]
              on:
                type: boolean
                default: "true"
            """,
        )
    )
    resolved = project.resolve_config("dev", {"matrix": "[[4]]", "flags": '{"b": 2}'})
    assert resolved.values["aws:region"] == "eu-west-1"  # shorthand on a foreign key is a value
    assert resolved.values["demo:count"] == "2"  # shorthand on a project key is a default
    assert resolved.values["demo:on"] == "true"
    assert resolved.values["demo:matrix"] == "[[4]]"
    with pytest.raises(ConfigError) as err:
        project.resolve_config("dev", {"flags": "[1]"})
    assert err.value.key == "demo:flags"


def test_main_directory_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "__main__.py").write_text("")
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\nmain: src/\n")
    project = load_project(tmp_path)
    assert project.program == tmp_path.resolve() / "src" / "__main__.py"


def test_missing_project_directory_or_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path / "nope")
    assert err.value.key == "PROJECT_DIR"
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path)
    assert err.value.key == "PROJECT_DIR"
    assert "Pulumi.yaml" in err.value.valid


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ProjectFileError) as err:
        load_project(tmp_path)
    assert "valid YAML" in err.value.valid
