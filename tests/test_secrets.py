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
    SecretsBundle,
    SecretsBundleArgs,
    bundle_keys,
    group_of,
    readers,
    value_from_reference,
)
from proliferate_components.testing import Capture, OfflineMocks, capture, redact, unwrap

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


def test_one_json_secret_per_set_of_readers_holding_exactly_its_keys() -> None:
    cap, seen = _run(_complete_args())
    bundle: SecretsBundle = seen["bundle"]
    secrets = {r.name for r in cap.of_type(SECRET_TYPE)}
    assert secrets == {
        f"app-secrets-{g}" for g in ("generated", "data", "user", "database", "llm", "llm-proxy")
    }
    docs = _documents(cap)
    # read by the Node services only
    assert set(docs["generated"]) == set(generated_keys()) - {"LLM_PROXY_MASTER_KEY"}
    assert docs["data"] == {"REDIS_URL": "rediss://:token-SENTINEL@cache.internal:6379"}
    assert docs["user"] == {k: v for k, v in FULL_USER_VALUES.items() if k != "ANTHROPIC_API_KEY"}
    # read by the Node services and the migrations task
    assert docs["database"] == {"DATABASE_URL": DB_URL}
    # read by the Node services and LiteLLM (which gets the master key as LITELLM_MASTER_KEY)
    assert set(docs["llm"]) == {"ANTHROPIC_API_KEY", "LLM_PROXY_MASTER_KEY"}
    # LiteLLM alone: the same database, schema=litellm (scripts/install-platform.cjs)
    assert docs["llm-proxy"] == {"LITELLM_DATABASE_URL": DB_URL + "?schema=litellm"}
    assert set(bundle.keys) == {k for doc in docs.values() for k in doc}
    assert bundle.missing_required == ()
    for key in bundle.keys:
        assert key in docs[group_of(key)]


def test_no_secret_is_shared_by_services_that_read_different_keys() -> None:
    """Secrets Manager grants whole secrets: every key of one secret has the same readers."""
    for group in {group_of(k) for k in bundle_keys()}:
        members = [k for k in bundle_keys() if group_of(k) == group]
        assert len({readers(k) for k in members}) == 1, (group, members)


def test_secret_strings_are_pulumi_secrets_and_values_never_leak() -> None:
    cap, _ = _run(_complete_args())
    versions = cap.of_type(VERSION_TYPE)
    assert versions
    for version in versions:
        assert version.is_secret("secretString"), version.name
    sentinels = [ANTHROPIC, DB_URL, *FULL_USER_VALUES.values()]
    generated = [unwrap(r.outputs["result"]) for r in cap.of_type(PASSWORD_TYPE)]
    assert len(generated) == len(generated_keys())
    docs = _documents(cap)
    generated += [docs[group_of(k)][k] for k in generated_keys()]
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


# How upstream generates each value (scripts/install-platform.cjs) and what its code reads:
# USER_SECRETS_ENCRYPTION_KEY is Buffer.from(key, "hex") for aes-256-gcm
# (packages/services/src/db/crypto.ts); LiteLLM accepts only sk- keys.
UPSTREAM_SHAPES = {
    "BETTER_AUTH_SECRET": r"[A-Za-z0-9+/]{43}=",  # randomBase64(32)
    "SERVICE_TO_SERVICE_AUTH_TOKEN": r"[A-Za-z0-9+/]{43}=",  # randomBase64(32)
    "USER_SECRETS_ENCRYPTION_KEY": r"[0-9a-f]{64}",  # randomHex(32)
    "GATEWAY_JWT_SECRET": r"[0-9a-f]{64}",  # generate_hex 32 (scripts/setup-env.sh)
    "BILLING_JWT_SECRET": r"[0-9a-f]{64}",  # randomHex(32)
    "LLM_PROXY_MASTER_KEY": r"sk-[0-9a-f]{48}",  # randomToken("sk-", 24)
}


def test_generated_secrets_have_upstreams_formats_and_are_protected() -> None:
    cap, _ = _run(_complete_args())
    passwords = {r.name: r for r in cap.of_type(PASSWORD_TYPE)}
    expected = {f"app-secrets-{k.lower().replace('_', '-')}" for k in generated_keys()}
    assert set(passwords) == expected
    for reg in passwords.values():
        # the 16 hex digits: digits plus "abcdef" as the special characters
        assert reg.input("upper") is False and reg.input("lower") is False
        assert reg.input("numeric") is True and reg.input("special") is True
        assert reg.input("overrideSpecial") == "abcdef"
        assert reg.input("length") == (48 if "llm-proxy" in reg.name else 64)
        assert reg.protect is True
        # an existing stack keeps the value it was created with
        assert {"length", "special", "upper", "lower", "numeric", "overrideSpecial"} <= set(
            reg.ignore_changes
        )
    for reg in cap.of_type(SECRET_TYPE):
        assert reg.protect is True
        assert reg.input("recoveryWindowInDays") == 30
    docs = _documents(cap)
    assert set(UPSTREAM_SHAPES) == set(generated_keys())
    for key, shape in UPSTREAM_SHAPES.items():
        assert re.fullmatch(shape, docs[group_of(key)][key]), key


class _LegacyRandom(OfflineMocks):
    """A stack created before the upstream formats: each RandomPassword holds 44 alphanumerics."""

    def new_resource(self, args: Any) -> tuple[str | None, dict[str, Any]]:  # type: ignore[override]
        rid, outputs = super().new_resource(args)
        if args.typ == PASSWORD_TYPE:
            outputs["result"] = ("Legacy" + args.name.replace("-", "") + "x" * 44)[:44]
        return rid, outputs


def test_a_stack_from_before_the_formats_keeps_its_values(caplog: pytest.LogCaptureFixture) -> None:
    cap, _ = _run(_complete_args(), mocks=_LegacyRandom(region="us-east-1"))
    docs = _documents(cap)
    legacy = {
        k: unwrap(cap.named(f"app-secrets-{k.lower().replace('_', '-')}").outputs["result"])
        for k in generated_keys()
    }
    for key in generated_keys():
        value = docs[group_of(key)][key]
        if key == "LLM_PROXY_MASTER_KEY":  # only the prefix LiteLLM requires is added
            assert value == "sk-" + legacy[key]
        else:
            assert value == legacy[key], key
    # the unusable encryption key is reported, by name only
    warnings = [
        r.getMessage() for r in caplog.records if "USER_SECRETS_ENCRYPTION_KEY" in r.getMessage()
    ]
    assert warnings and "docs/upgrading.md" in warnings[0]
    assert legacy["USER_SECRETS_ENCRYPTION_KEY"] not in " ".join(warnings)


def test_a_new_stack_gets_no_encryption_key_warning(caplog: pytest.LogCaptureFixture) -> None:
    _run(_complete_args())
    assert not [r for r in caplog.records if "USER_SECRETS_ENCRYPTION_KEY" in r.getMessage()]


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
    proxy = cap.output("proxy")
    assert set(proxy) == {"DATABASE_URL", "LITELLM_MASTER_KEY", "ANTHROPIC_API_KEY"}
    assert proxy["LITELLM_MASTER_KEY"].endswith(":LLM_PROXY_MASTER_KEY::")
    assert proxy["DATABASE_URL"].endswith(":LITELLM_DATABASE_URL::")
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
        "LITELLM_DATABASE_URL",
        "REDIS_URL",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_APP_WEBHOOK_SECRET",
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
    assert {**docs["user"], **docs["llm"]} == {
        **FULL_USER_VALUES,
        "LLM_PROXY_MASTER_KEY": docs["llm"]["LLM_PROXY_MASTER_KEY"],
    }
    assert docs["database"]["DATABASE_URL"] == DB_URL
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
    # LITELLM_MASTER_KEY is LLM_PROXY_MASTER_KEY's value: stored once, under that key
    assert set(bundle_keys()) == received - {"LITELLM_MASTER_KEY"}
    assert "LLM_PROXY_MASTER_KEY" in received


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


@pytest.mark.parametrize(
    ("key", "settings", "secrets", "fails"),
    [
        ("proliferate:WORKER_PORT", True, False, True),
        ("proliferate:WORKER_PORT", False, True, False),
        ("proliferate:GITHUB_APP_PRIVATE_KEY", False, True, True),
        ("proliferate:GITHUB_APP_PRIVATE_KEY", True, False, False),
    ],
)
def test_check_environment_config_refuses_blank_values_of_what_it_is_asked_to_read(
    key: str, settings: bool, secrets: bool, fails: bool
) -> None:
    from proliferate_components.secrets import check_environment_config, settings_from_config

    errors: list[ConfigError] = []

    def program() -> None:
        try:
            check_environment_config(settings=settings, secrets=secrets)
        except ConfigError as exc:
            errors.append(exc)
        if key == "proliferate:WORKER_PORT":  # a plain setting: reading it refuses it too
            with pytest.raises(ConfigError, match=key):
                settings_from_config()

    capture(program, config={key: " \t"}, secret_keys=[key] if "PRIVATE" in key else [])
    assert [e.key for e in errors] == ([key] if fails else [])
