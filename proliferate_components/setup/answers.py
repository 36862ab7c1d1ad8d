"""Where the wizard's answers come from, in ONE priority order.

For each answer the first source that has it wins:

1. a command-line flag (``--region eu-west-1``);
2. an environment variable: ``PROLIFERATE_SETUP_<KEY>`` for a wizard answer
   (``PROLIFERATE_SETUP_REGION``), ``PROLIFERATE_ENV_<NAME>`` for a value of ``.env.local``
   (``PROLIFERATE_ENV_ANTHROPIC_API_KEY``);
3. the answers file (``--answers FILE``, YAML or JSON): top-level wizard keys, ``env:`` for
   ``.env.local`` values, ``config:`` for extra Pulumi config keys;
4. the existing state (Pulumi stack config, ``.env.local``, stack outputs, AWS), read by the
   steps themselves; an explicit answer (1-3) that differs from existing state is a change and
   needs confirmation (a prompt, or ``--yes`` in non-interactive mode);
5. an interactive prompt whose default is the existing value or the built-in default; with
   ``--non-interactive`` the built-in default, and a required answer without one is an error
   naming the flag, environment variable and answers-file key that would supply it.

:data:`ANSWER_SPECS` lists every wizard answer; the CLI builds its flags from it and the docs
describe it, so the three never disagree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from ..errors import ConfigError

Kind = Literal["str", "bool", "choice", "path"]

SETUP_ENV_PREFIX = "PROLIFERATE_SETUP_"
"""Prefix of environment variables that answer wizard questions."""

ENV_VALUE_PREFIX = "PROLIFERATE_ENV_"
"""Prefix of environment variables that supply ``.env.local`` values."""


@dataclass(frozen=True, kw_only=True)
class AnswerSpec:
    """One wizard answer: its key, flag, type and what happens without it.

    Attributes:
        key: snake_case answer key, also the answers-file key.
        description: what it is for (shown in ``--help`` and the docs).
        kind: ``str``, ``bool`` (a ``--flag/--no-flag`` pair), ``choice`` or ``path``.
        default: the behaviour without an answer, in words.
        choices: the valid values of a ``choice`` answer; empty otherwise.
        metavar: placeholder shown in ``--help``; empty means derived from the key.
    """

    key: str
    description: str
    kind: Kind
    default: str
    choices: tuple[str, ...] = ()
    metavar: str = ""

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--backend-bucket``."""
        return "--" + self.key.replace("_", "-")

    @property
    def env_var(self) -> str:
        """The environment variable, e.g. ``PROLIFERATE_SETUP_BACKEND_BUCKET``."""
        return SETUP_ENV_PREFIX + self.key.upper()


CLOUDS: tuple[str, ...] = ("aws", "gcp", "azure")
"""Cloud providers the wizard asks about; only ``aws`` can be deployed today."""

ANSWER_SPECS: tuple[AnswerSpec, ...] = (
    AnswerSpec(
        key="cloud",
        kind="choice",
        choices=CLOUDS,
        description="cloud provider to deploy to (only aws is supported today)",
        default="aws",
    ),
    AnswerSpec(
        key="project_dir",
        kind="path",
        description="directory of the Pulumi project (holds Pulumi.yaml)",
        default="the current directory",
        metavar="DIR",
    ),
    AnswerSpec(
        key="stack", kind="str", description="Pulumi stack to select or create", default="dev"
    ),
    AnswerSpec(
        key="preset",
        kind="choice",
        choices=("dev", "prod"),
        description="sizing preset (the spec's dev or prod `pulumi config set` lines)",
        default="prod for a stack named prod, else dev",
    ),
    AnswerSpec(
        key="profile",
        kind="str",
        description="AWS named profile (including SSO profiles)",
        default="the default AWS credential chain",
    ),
    AnswerSpec(
        key="region",
        kind="str",
        description="AWS region of the stack and the state bucket",
        default=(
            "the region of the wizard's earlier backend, else AWS_REGION/AWS_DEFAULT_REGION, "
            "else the profile's region, else us-east-1; a non-interactive re-run keeps an "
            "existing stack's aws:region"
        ),
    ),
    AnswerSpec(
        key="backend_bucket",
        kind="str",
        description="S3 bucket holding the Pulumi state (created if missing)",
        default=(
            "the bucket of the wizard's earlier `pulumi login`, else "
            "proliferate-pulumi-state-<account id>-<region>"
        ),
        metavar="NAME",
    ),
    AnswerSpec(
        key="bucket_encryption",
        kind="choice",
        choices=("sse-s3", "kms"),
        description="default encryption of the state bucket (kms = the aws/s3 managed key)",
        default="sse-s3",
    ),
    AnswerSpec(
        key="dynamodb_lock_table",
        kind="str",
        description=(
            "also create this DynamoDB table for organisations that require one; Pulumi "
            "itself never reads it (its S3 backend locks stacks with objects in the bucket)"
        ),
        default="no table",
        metavar="NAME",
    ),
    AnswerSpec(
        key="secrets_provider",
        kind="str",
        description=(
            "how Pulumi encrypts secret config: kms (a KMS key behind --kms-alias, created "
            "or reused), passphrase (PULUMI_CONFIG_PASSPHRASE), or an awskms:// URL used as is"
        ),
        default="kms",
        metavar="PROVIDER",
    ),
    AnswerSpec(
        key="kms_alias",
        kind="str",
        description="alias of the KMS key for --secrets-provider kms",
        default="alias/proliferate-pulumi-secrets",
        metavar="ALIAS",
    ),
    AnswerSpec(
        key="enable_rds",
        kind="bool",
        description="create RDS PostgreSQL (false = bring your own DATABASE_URL)",
        default="true",
    ),
    AnswerSpec(
        key="domain_name",
        kind="str",
        description="custom domain of the app, e.g. app.example.com",
        default="none (the load balancer's DNS name, HTTP only)",
        metavar="DOMAIN",
    ),
    AnswerSpec(
        key="tls",
        kind="choice",
        choices=("managed", "existing", "none"),
        description=(
            "TLS for the domain: managed (Pulumi creates the ACM certificate and validates it "
            "in Route53), existing (--certificate-arn), none (HTTP only)"
        ),
        default="managed with a domain, none without",
    ),
    AnswerSpec(
        key="hosted_zone_id",
        kind="str",
        description="Route53 hosted zone for --tls managed",
        default="the public zone whose name is the longest suffix of the domain",
        metavar="ID",
    ),
    AnswerSpec(
        key="certificate_arn",
        kind="str",
        description="existing ACM certificate (same region as the stack) for --tls existing",
        default="required with --tls existing",
        metavar="ARN",
    ),
    AnswerSpec(
        key="sandbox_provider",
        kind="choice",
        choices=("modal", "e2b"),
        description="sandbox runtime whose keys are asked for",
        default="the value in the env file, else modal",
    ),
    AnswerSpec(
        key="generate_dev_keys",
        kind="bool",
        description="generate dev/test keys (AUTH_TOKEN, TEST_TOKEN, TEST_REPO_ID, DEV_USER_ID)",
        default="false (asked interactively)",
    ),
    AnswerSpec(
        key="skip_pulumi_up",
        kind="bool",
        description="do not run `pulumi up --yes` (stack outputs are read if they exist)",
        default="false: run it",
    ),
    AnswerSpec(
        key="run_migrations",
        kind="bool",
        description="after a successful up, run the migrations as a one-off ECS task",
        default="false (asked interactively)",
    ),
    AnswerSpec(
        key="skip_validation",
        kind="bool",
        description=(
            "do not test the API credentials (Anthropic, the GitHub App, Modal or E2B) with "
            "their providers, e.g. offline"
        ),
        default="false: test each with one read-only call (5 s timeout)",
    ),
    AnswerSpec(
        key="deploy",
        kind="bool",
        description=(
            "finish with `proliferate-infra deploy`: build, push and roll out the platform "
            "from --source"
        ),
        default="false (asked interactively once the stack is up)",
    ),
    AnswerSpec(
        key="source",
        kind="path",
        description="checkout of the platform (proliferate-ai/proliferate) that --deploy builds",
        default="the current directory",
        metavar="DIR",
    ),
    AnswerSpec(
        key="install_pulumi",
        kind="bool",
        description="install the Pulumi CLI if missing without asking",
        default="false: ask (non-interactive: fail with the install command)",
    ),
    AnswerSpec(
        key="env_file",
        kind="path",
        description="environment file to write",
        default=(
            "<project dir>/.env.local (values of an existing .env.prod are carried over; "
            "that file is left as it is)"
        ),
        metavar="FILE",
    ),
    AnswerSpec(
        key="env_example",
        kind="path",
        description="template giving the key order and prompt defaults",
        default="<project dir>/.env.example if it exists, else the bundled schema",
        metavar="FILE",
    ),
    AnswerSpec(
        key="yes",
        kind="bool",
        description=(
            "accept every change to an existing value (Pulumi config, the env file) without "
            "asking; needed for such changes with --non-interactive"
        ),
        default="false: ask, or fail in non-interactive mode",
    ),
)
"""Every wizard answer, in the order the wizard asks."""

_SPECS_BY_KEY: dict[str, AnswerSpec] = {spec.key: spec for spec in ANSWER_SPECS}

_TRUE = frozenset({"1", "true", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "no", "n", "off"})


def answer_spec(key: str) -> AnswerSpec:
    """The :class:`AnswerSpec` of ``key``; KeyError if there is none."""
    return _SPECS_BY_KEY[key]


def parse_bool(value: object, *, key: str) -> bool:
    """Parse a boolean answer (true/false, yes/no, 1/0, on/off; case-insensitive).

    Raises:
        ConfigError: naming ``key`` for anything else.
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(key, value, "true or false (also yes/no, 1/0, on/off)")


@dataclass(frozen=True)
class Answer:
    """An answer and where it came from.

    Attributes:
        value: the answer (bool for ``bool`` answers, else str).
        source: ``flag --x``, ``environment X`` or ``answers file F``.
    """

    value: str | bool
    source: str


def _text(value: object, *, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ConfigError(key, value, "a string, number or boolean")


@dataclass
class Answers:
    """The explicit answers of one run (sources 1-3 of the priority order).

    Attributes:
        flags: answer key -> value given on the command line (None = not given).
        environ: the process environment.
        file_values: answer key -> value from the answers file.
        file_env: ``.env.local`` name -> value from the answers file's ``env:``.
        file_config: Pulumi config key -> value from the answers file's ``config:``.
        flag_config: Pulumi config key -> value from ``--config KEY=VALUE`` flags.
        answers_file: path of the answers file, if any (named in messages).
    """

    flags: Mapping[str, object] = field(default_factory=dict[str, object])
    environ: Mapping[str, str] = field(default_factory=dict[str, str])
    file_values: Mapping[str, object] = field(default_factory=dict[str, object])
    file_env: Mapping[str, str] = field(default_factory=dict[str, str])
    file_config: Mapping[str, str] = field(default_factory=dict[str, str])
    flag_config: Mapping[str, str] = field(default_factory=dict[str, str])
    answers_file: str | None = None

    @classmethod
    def load(
        cls,
        *,
        flags: Mapping[str, object],
        environ: Mapping[str, str] | None = None,
        answers_file: str | Path | None = None,
        config_flags: list[str] | None = None,
    ) -> Answers:
        """Gather explicit answers and validate their names and types.

        Args:
            flags: answer key -> flag value (None when the flag was not given).
            environ: the environment (default: ``os.environ``).
            answers_file: YAML or JSON answers file.
            config_flags: ``KEY=VALUE`` strings from ``--config``.

        Raises:
            ConfigError: an unknown answers-file key, a malformed ``--config`` pair, a bad
                boolean or choice: naming the key, before anything else happens.
        """
        unknown_flags = set(flags) - set(_SPECS_BY_KEY)
        if unknown_flags:
            name = sorted(unknown_flags)[0]
            raise ConfigError(name, flags[name], "a known answer key")
        file_values: dict[str, object] = {}
        file_env: dict[str, str] = {}
        file_config: dict[str, str] = {}
        if answers_file is not None:
            file_values, file_env, file_config = _read_answers_file(Path(answers_file))
        flag_config: dict[str, str] = {}
        for pair in config_flags or []:
            key, sep, value = pair.partition("=")
            if not sep or ":" not in key:
                raise ConfigError(
                    "--config", pair, "NAMESPACE:KEY=VALUE, e.g. proliferate:workerCpu=512"
                )
            flag_config[key.strip()] = value
        answers = cls(
            flags={k: v for k, v in flags.items() if v is not None},
            environ=dict(os.environ if environ is None else environ),
            file_values=file_values,
            file_env=file_env,
            file_config=file_config,
            flag_config=flag_config,
            answers_file=None if answers_file is None else str(answers_file),
        )
        for spec in ANSWER_SPECS:
            answers.get(spec.key)  # validates types and choices of every explicit answer
        return answers

    def get(self, key: str) -> Answer | None:
        """The explicit answer for wizard key ``key`` (flag, environment, file), or None.

        Raises:
            ConfigError: the answer is not a valid boolean or choice.
        """
        spec = _SPECS_BY_KEY[key]
        raw: object
        if key in self.flags:
            raw, source = self.flags[key], f"flag {spec.flag}"
        elif spec.env_var in self.environ:
            raw, source = self.environ[spec.env_var], f"environment {spec.env_var}"
        elif key in self.file_values:
            raw, source = self.file_values[key], f"answers file {self.answers_file} ({key})"
        else:
            return None
        if spec.kind == "bool":
            return Answer(parse_bool(raw, key=key), source)
        text = _text(raw, key=key).strip()
        if spec.kind == "choice" and text not in spec.choices:
            raise ConfigError(key, text, "one of " + ", ".join(spec.choices))
        return Answer(text, source)

    def env_value(self, name: str) -> Answer | None:
        """The explicit ``.env.local`` value for ``name`` (environment, then file), or None."""
        variable = ENV_VALUE_PREFIX + name
        if variable in self.environ:
            return Answer(self.environ[variable], f"environment {variable}")
        if name in self.file_env:
            return Answer(self.file_env[name], f"answers file {self.answers_file} (env.{name})")
        return None

    def config_overrides(self) -> dict[str, Answer]:
        """Explicit extra Pulumi config (``--config`` flags over the file's ``config:``)."""
        merged: dict[str, Answer] = {
            key: Answer(value, f"answers file {self.answers_file} (config.{key})")
            for key, value in self.file_config.items()
        }
        for key, value in self.flag_config.items():
            merged[key] = Answer(value, "flag --config")
        return merged

    @staticmethod
    def sources_for(key: str) -> list[str]:
        """Ways to supply wizard answer ``key``, for error messages."""
        spec = _SPECS_BY_KEY[key]
        return [f"flag {spec.flag}", f"environment {spec.env_var}", f"answers-file key {key!r}"]

    @staticmethod
    def env_sources_for(name: str) -> list[str]:
        """Ways to supply ``.env.local`` value ``name``, for error messages."""
        return [f"environment {ENV_VALUE_PREFIX}{name}", f"answers-file key env.{name}"]


def _read_answers_file(path: Path) -> tuple[dict[str, object], dict[str, str], dict[str, str]]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("--answers", str(path), f"a readable YAML or JSON file ({exc})") from exc
    try:
        loaded: object = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError("--answers", str(path), f"valid YAML or JSON ({exc})") from exc
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise ConfigError("--answers", str(path), "a mapping of answer keys to values")
    data = cast("dict[str, Any]", loaded)
    values: dict[str, object] = {}
    env: dict[str, str] = {}
    config: dict[str, str] = {}
    for key, value in data.items():
        if key in ("env", "config"):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: {key}", value, "a mapping of names to values")
            target = env if key == "env" else config
            for name, item in cast("dict[str, Any]", value).items():
                target[str(name)] = _text(item, key=f"{key}.{name}")
        elif key in _SPECS_BY_KEY:
            values[key] = value
        else:
            raise ConfigError(
                f"{path}: {key}",
                value,
                "a known answer key, env: or config: (see docs/setup-wizard.md)",
            )
    return values, env, config
