"""SecretsBundle under the capture harness: what Secrets Manager receives, and what never leaks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pytest

from proliferate_components.environment import generated_keys, service_keys
from proliferate_components.errors import ConfigError
from proliferate_components.secrets import (
    GENERATED_SECRET_LENGTH,
    SecretsBundle,
    SecretsBundleArgs,
    bundle_keys,
    group_of,
    value_from_reference,
)
from proliferate_components.testing import Capture, capture, redact, unwrap

SECRET_TYPE = "aws:secretsmanager/secret:Secret"
VERSION_TYPE = "aws:secretsmanager/secretVersion:SecretVersion"
PASSWORD_TYPE = "random:index/randomPassword:RandomPassword"

ANTHROPIC = "sk-ant-SENTINEL-0123456789"
DB_URL = "postgres://app:db-password-SENTINEL@db.internal:5432/app"
FULL_USER_VALUES: dict[str, str] = {
    "ANTHROPIC_API_KEY": ANTHROPIC,
    "GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nSENTINEL\n-----END RSA PRIVATE KEY-----\n",
    "GITHUB_APP_WEBHOOK_SECRET": "whsec-SENTINEL",
    "GITHUB_OAUTH_APP_SECRET": "oauth-SENTINEL",
    "MODAL_TOKEN_ID": "ak-SENTINEL",
    "MODAL_TOKEN_SECRET": "as-SENTINEL",
}


def _run(
    args: SecretsBundleArgs | None = None,
    *,
    export: Callable[[SecretsBundle], None] | None = None,
    **capture_kwargs: Any,
) -> tuple[Capture, dict[str, Any]]:
    seen: dict[str, Any] = {}

    def program() -> None:
        bundle = SecretsBundle("app-secrets", args)
        seen["bundle"] = bundle
        pulumi.export("secretArns", bundle.secret_arns)
        pulumi.export("worker", bundle.secrets_for("worker"))
        if export:
            export(bundle)

    return capture(program, **capture_kwargs), seen


def _complete_args(**overrides: Any) -> SecretsBundleArgs:
    base: dict[str, Any] = {
        "user_values": dict(FULL_USER_VALUES),
        "database_url": pulumi.Output.secret(DB_URL),
        "redis_url": pulumi.Output.secret("rediss://:token-SENTINEL@cache.internal:6379"),
    }
    base.update(overrides)
    return SecretsBundleArgs(**base)


def _documents(cap: Capture) -> dict[str, dict[str, str]]:
    """group -> decoded JSON secret string, from the recorded SecretVersion inputs."""
    out: dict[str, dict[str, str]] = {}
    for version in cap.of_type(VERSION_TYPE):
        group = version.name.removeprefix("app-secrets-").removesuffix("-version")
        out[group] = json.loads(version.input("secretString"))
    return out


def test_one_json_secret_per_group_holding_exactly_its_keys() -> None:
    cap, seen = _run(_complete_args())
    bundle: SecretsBundle = seen["bundle"]
    secrets = {r.name for r in cap.of_type(SECRET_TYPE)}
    assert secrets == {"app-secrets-generated", "app-secrets-data", "app-secrets-user"}
    docs = _documents(cap)
    assert set(docs["generated"]) == set(generated_keys())
    assert docs["data"] == {
        "DATABASE_URL": DB_URL,
        "REDIS_URL": "rediss://:token-SENTINEL@cache.internal:6379",
    }
    assert docs["user"] == FULL_USER_VALUES
    assert set(bundle.keys) == set(docs["generated"]) | set(docs["data"]) | set(docs["user"])
    assert bundle.missing_required == ()
    for key in bundle.keys:
        assert key in docs[group_of(key)]


def test_secret_strings_are_pulumi_secrets_and_values_never_leak() -> None:
    cap, _ = _run(_complete_args())
    versions = cap.of_type(VERSION_TYPE)
    assert versions
    for version in versions:
        assert version.is_secret("secretString"), version.name
    sentinels = [ANTHROPIC, DB_URL, *FULL_USER_VALUES.values()]
    generated = [unwrap(r.outputs["result"]) for r in cap.of_type(PASSWORD_TYPE)]
    assert len(generated) == len(generated_keys()) and all(
        len(g) == GENERATED_SECRET_LENGTH for g in generated
    )
    # Everything a plan shows (redacted inputs, outputs, stack outputs) is free of any value.
    for reg in cap.resources:
        shown = json.dumps(reg.plain_inputs(), default=str) + json.dumps(
            redact(reg.outputs), default=str
        )
        for value in [*sentinels, *generated]:
            assert value not in shown, f"{reg.name} shows a secret value"
    exported = json.dumps(cap.outputs, default=str)
    for value in [*sentinels, *generated]:
        assert value not in exported


def test_generated_secrets_are_stable_random_passwords_protected_by_default() -> None:
    cap, _ = _run(_complete_args())
    passwords = {r.name: r for r in cap.of_type(PASSWORD_TYPE)}
    expected = {f"app-secrets-{k.lower().replace('_', '-')}" for k in generated_keys()}
    assert set(passwords) == expected
    for reg in passwords.values():
        assert reg.input("length") == GENERATED_SECRET_LENGTH
        assert reg.input("special") is False
        assert reg.protect is True
    for reg in cap.of_type(SECRET_TYPE):
        assert reg.protect is True
        assert reg.input("recoveryWindowInDays") == 30
    docs = _documents(cap)
    for key, value in docs["generated"].items():
        assert len(value) == GENERATED_SECRET_LENGTH, key
        assert re.fullmatch(r"[A-Za-z0-9]+", value), key


def test_protection_is_an_explicit_opt_out() -> None:
    cap, _ = _run(_complete_args(protect=False, recovery_window_days=0))
    assert all(not r.protect for r in cap.of_type(SECRET_TYPE) + cap.of_type(PASSWORD_TYPE))
    assert {r.input("recoveryWindowInDays") for r in cap.of_type(SECRET_TYPE)} == {0}


def test_value_from_is_the_secret_arn_plus_json_key() -> None:
    cap, seen = _run(_complete_args())
    bundle: SecretsBundle = seen["bundle"]
    arn_of = {
        r.name.removeprefix("app-secrets-"): r.outputs["arn"] for r in cap.of_type(SECRET_TYPE)
    }
    worker = cap.output("worker")
    assert set(worker) <= set(service_keys("worker").secrets)
    assert set(worker) == set(service_keys("worker").secrets) & set(bundle.keys)
    for key, value_from in worker.items():
        arn = arn_of[group_of(key)]
        assert value_from == f"{arn}:{key}::"
        assert re.fullmatch(
            r"arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^:]+:[A-Z0-9_]+::", value_from
        )
    assert sorted(cap.output("secretArns")) == sorted(arn_of.values())
    assert value_from_reference("arn:x", "K") == "arn:x:K::"


def test_secrets_for_includes_only_what_the_service_receives() -> None:
    def export(bundle: SecretsBundle) -> None:
        pulumi.export("proxy", bundle.secrets_for("llm-proxy"))
        pulumi.export("migrations", bundle.secrets_for("migrations"))

    cap, seen = _run(_complete_args(), export=export)
    assert set(cap.output("proxy")) == {"DATABASE_URL", "LLM_PROXY_MASTER_KEY", "ANTHROPIC_API_KEY"}
    assert set(cap.output("migrations")) == {"DATABASE_URL"}
    with pytest.raises(ConfigError, match="service"):
        seen["bundle"].secrets_for("nope")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        seen["bundle"].value_from("OPENAI_API_KEY")  # optional and not supplied


def test_missing_required_values_warn_during_preview_and_are_left_out() -> None:
    cap, seen = _run(SecretsBundleArgs(user_values={"ANTHROPIC_API_KEY": ANTHROPIC}))
    bundle: SecretsBundle = seen["bundle"]
    assert set(bundle.missing_required) == {
        "DATABASE_URL",
        "REDIS_URL",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_APP_WEBHOOK_SECRET",
        "GITHUB_OAUTH_APP_SECRET",
        "MODAL_TOKEN_ID",
        "MODAL_TOKEN_SECRET",
    }
    assert "app-secrets-data" not in {r.name for r in cap.of_type(SECRET_TYPE)}
    assert "DATABASE_URL" not in cap.output("worker")


def test_missing_required_values_fail_pulumi_up_before_anything_is_registered() -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        try:
            SecretsBundle(
                "app-secrets", SecretsBundleArgs(user_values={"ANTHROPIC_API_KEY": ANTHROPIC})
            )
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program, preview=False)
    assert cap.resources == []
    assert len(errors) == 1
    message = str(errors[0])
    assert "MODAL_TOKEN_ID" in message and "GITHUB_APP_PRIVATE_KEY" in message
    assert "pulumi config set --secret proliferate:" in message
    assert ANTHROPIC not in message


def test_strict_flag_overrides_the_preview_default_both_ways() -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        try:
            SecretsBundle("app-secrets", SecretsBundleArgs(user_values={}, strict=True))
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program, preview=True)
    assert cap.resources == [] and len(errors) == 1
    cap, seen = _run(SecretsBundleArgs(user_values={}, strict=False), preview=False)
    assert "ANTHROPIC_API_KEY" in seen["bundle"].missing_required
    assert cap.of_type(SECRET_TYPE)


def test_sandbox_provider_setting_switches_the_required_keys() -> None:
    values = {k: v for k, v in FULL_USER_VALUES.items() if not k.startswith("MODAL_")}
    _, seen = _run(_complete_args(user_values=values, settings={"DEFAULT_SANDBOX_PROVIDER": "e2b"}))
    assert seen["bundle"].missing_required == ("E2B_API_KEY",)
    _, seen = _run(
        _complete_args(
            user_values={**values, "E2B_API_KEY": "e2b-SENTINEL"},
            settings={"SANDBOX_PROVIDER": "e2b"},
        )
    )
    assert seen["bundle"].missing_required == ()


def test_user_values_come_from_secret_config_when_not_given() -> None:
    config = {f"proliferate:{k}": v for k, v in FULL_USER_VALUES.items()}
    config["proliferate:DATABASE_URL"] = DB_URL  # an external database
    cap, seen = _run(
        SecretsBundleArgs(redis_url="rediss://r"),
        config=config,
        secret_keys=list(config),
    )
    docs = _documents(cap)
    assert docs["user"] == FULL_USER_VALUES
    assert docs["data"]["DATABASE_URL"] == DB_URL
    assert seen["bundle"].missing_required == ()
    assert all(v.is_secret("secretString") for v in cap.of_type(VERSION_TYPE))


def test_an_explicit_mapping_means_config_is_not_read() -> None:
    config = {"proliferate:OPENAI_API_KEY": "sk-openai-SENTINEL"}
    cap, _ = _run(_complete_args(), config=config, secret_keys=list(config))
    assert "OPENAI_API_KEY" not in _documents(cap)["user"]


def test_a_supplied_generated_value_replaces_its_random_password() -> None:
    values = {**FULL_USER_VALUES, "BETTER_AUTH_SECRET": "existing-SENTINEL"}
    cap, _ = _run(_complete_args(user_values=values))
    names = {r.name for r in cap.of_type(PASSWORD_TYPE)}
    assert "app-secrets-better-auth-secret" not in names
    assert len(names) == len(generated_keys()) - 1
    assert _documents(cap)["generated"]["BETTER_AUTH_SECRET"] == "existing-SENTINEL"


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (SecretsBundleArgs(user_values={"GITHUB_APP_ID": "123"}), "GITHUB_APP_ID"),
        (SecretsBundleArgs(user_values={"NOT_A_KEY": "x"}), "NOT_A_KEY"),
        (SecretsBundleArgs(user_values={"AWS_SECRET_ACCESS_KEY": "x"}), "AWS_SECRET_ACCESS_KEY"),
        (
            SecretsBundleArgs(user_values={}, settings={"ANTHROPIC_API_KEY": "sk"}),
            "ANTHROPIC_API_KEY",
        ),
        (
            SecretsBundleArgs(user_values={}, settings={"DEFAULT_SANDBOX_PROVIDER": "docker"}),
            "DEFAULT_SANDBOX_PROVIDER",
        ),
        (SecretsBundleArgs(user_values={}, recovery_window_days=3), "recovery_window_days"),
    ],
)
def test_invalid_arguments_are_rejected_before_any_registration(
    args: SecretsBundleArgs, key: str
) -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        try:
            SecretsBundle("app-secrets", args)
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program)
    assert cap.resources == []
    assert len(errors) == 1 and key in str(errors[0])
    assert "'sk'" not in str(errors[0])  # secret values are never echoed


def test_two_runs_register_identical_inputs() -> None:
    def snapshot() -> list[tuple[str, str, Mapping[str, Any]]]:
        cap, _ = _run(_complete_args())
        return [
            (
                r.type,
                r.name,
                r.input("secretString") if r.type == VERSION_TYPE else r.plain_inputs(),
            )
            for r in cap.resources
        ]

    first, second = snapshot(), snapshot()
    assert sorted(first, key=repr) == sorted(second, key=repr)


def test_bundle_keys_cover_every_secret_a_service_receives() -> None:
    from proliferate_components.environment import SERVICES

    received = {k for s in SERVICES for k in service_keys(s).secrets}
    assert set(bundle_keys()) == received


def test_settings_from_config_reads_plain_keys_only() -> None:
    from proliferate_components.secrets import settings_from_config

    seen: dict[str, Any] = {}

    def program() -> None:
        seen["settings"] = settings_from_config()

    capture(
        program,
        config={
            "proliferate:DEFAULT_SANDBOX_PROVIDER": "e2b",
            "proliferate:WORKER_PORT": "8080",
            "proliferate:ANTHROPIC_API_KEY": "sk-ant-x",
            "proliferate:AWS_ACCESS_KEY_ID": "AKIA",
        },
        secret_keys=["proliferate:ANTHROPIC_API_KEY"],
    )
    assert seen["settings"] == {"DEFAULT_SANDBOX_PROVIDER": "e2b", "WORKER_PORT": "8080"}
