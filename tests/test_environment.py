"""The environment schema: completeness against the spec, consistency, .env.example drift."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from proliferate_components.environment import (
    ENVIRONMENT,
    GROUPS,
    SERVICES,
    Source,
    config_key,
    env_var,
    generated_keys,
    is_required,
    looks_secret,
    missing_required,
    plain_environment,
    render_env_example,
    service_keys,
)
from proliferate_components.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
NAMES = [v.name for v in ENVIRONMENT]
BY_NAME = {v.name: v for v in ENVIRONMENT}


# The environment variable names the spec writes in backticks, in its "Required Environment
# Variables" tables (Phase 2, up to "Phase 3") and in its "CLI Setup Spec". Copied from the
# spec (Infrastructure Spec: Pulumi Migration & One-Click Deployment) so that the suite stands
# on this repository alone; only these names are needed, not the spec's text.
SPEC_TABLE_NAMES = frozenset(
    {
        "ACM_CERTIFICATE_ARN", "ANTHROPIC_API_KEY", "AUTUMN_API_KEY", "AWS_ACCESS_KEY_ID",
        "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "BETTER_AUTH_SECRET", "DATABASE_URL",
        "DOMAIN_NAME", "E2B_API_KEY", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_OAUTH_APP_ID", "GITHUB_OAUTH_APP_SECRET", "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET", "MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET", "REDIS_URL",
        "RESEND_API_KEY", "SERVICE_TO_SERVICE_AUTH_TOKEN", "USER_SECRETS_ENCRYPTION_KEY",
    }
)  # fmt: skip
SPEC_CLI_SETUP_NAMES = frozenset(
    {
        "API_PORT", "AUTH_TOKEN", "BETTER_AUTH_SECRET", "BILLING_JWT_SECRET", "DEV_USER_ID",
        "GATEWAY_PORT", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_WEBHOOK_SECRET",
        "GITHUB_OAUTH_APP_ID", "GITHUB_OAUTH_APP_SECRET", "LLM_PROXY_MASTER_KEY",
        "LLM_PROXY_REQUIRED", "NEXT_PUBLIC_GITHUB_APP_SLUG", "SERVICE_TO_SERVICE_AUTH_TOKEN",
        "TEST_REPO_ID", "TEST_TOKEN", "USER_SECRETS_ENCRYPTION_KEY", "WEB_PORT", "WORKER_PORT",
    }
)  # fmt: skip


def test_every_key_of_the_spec_tables_and_cli_setup_spec_is_in_the_schema() -> None:
    missing = sorted((SPEC_TABLE_NAMES | SPEC_CLI_SETUP_NAMES) - set(NAMES))
    assert missing == []


def test_keys_named_in_prose_of_the_cli_setup_spec_are_present() -> None:
    # Keys the CLI spec names without backticks or by family.
    for name in (
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "RESEND_API_KEY",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_SIGNING_SECRET",
        "NANGO_SECRET_KEY",
        "AUTUMN_API_KEY",
        "MODAL_TOKEN_ID",
        "MODAL_TOKEN_SECRET",
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
        "NEXT_PUBLIC_APP_URL",
        "NEXT_PUBLIC_GATEWAY_URL",
        "LLM_PROXY_URL",
        "NODE_ENV",
    ):
        assert name in BY_NAME, name


def test_names_are_unique_and_well_formed() -> None:
    assert len(NAMES) == len(set(NAMES))
    for name in NAMES:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), name


def test_every_entry_is_consistent() -> None:
    for v in ENVIRONMENT:
        assert v.group in GROUPS, v.name
        assert v.services <= set(SERVICES), v.name
        assert v.description.strip() and v.when_missing.strip(), v.name
        if v.secret:
            assert v.default is None, f"{v.name}: a secret must not have a default"
        assert (v.stack_output is not None) == (v.source is Source.STACK_OUTPUT), v.name
        if v.choices and v.default is not None:
            assert v.default in v.choices, v.name
        for other, value in v.required_when:
            assert other in BY_NAME, f"{v.name} depends on unknown {other}"
            if BY_NAME[other].choices:
                assert value in BY_NAME[other].choices, f"{v.name}: {other}={value}"
        if v.required_when:
            assert not v.required, f"{v.name}: required_when only makes sense for non-required keys"


def test_entries_are_listed_group_by_group_in_groups_order() -> None:
    order = [GROUPS.index(v.group) for v in ENVIRONMENT]
    assert order == sorted(order)


def test_names_that_look_secret_are_secret_unless_public_by_design() -> None:
    public_by_design = {"NEXT_PUBLIC_POSTHOG_KEY", "LLM_PROXY_KEY_DURATION"}
    plain_but_secret_looking = {
        v.name for v in ENVIRONMENT if looks_secret(v.name) and not v.secret
    }
    assert plain_but_secret_looking == public_by_design


def test_generated_keys_are_the_spec_server_secrets_plus_the_gateway_jwt_secret() -> None:
    assert set(generated_keys()) == {
        "BETTER_AUTH_SECRET",
        "SERVICE_TO_SERVICE_AUTH_TOKEN",
        "USER_SECRETS_ENCRYPTION_KEY",
        "BILLING_JWT_SECRET",
        "LLM_PROXY_MASTER_KEY",
        "GATEWAY_JWT_SECRET",
    }
    for name in generated_keys():
        assert BY_NAME[name].secret


def test_data_store_urls_are_secret_stack_outputs() -> None:
    assert env_var("DATABASE_URL").stack_output == "databaseUrl"
    assert env_var("REDIS_URL").stack_output == "redisUrl"
    assert env_var("DATABASE_URL").secret and env_var("REDIS_URL").secret
    assert "migrations" in env_var("DATABASE_URL").services


def test_aws_credentials_reach_no_service() -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
        assert env_var(name).services == frozenset()
    for service in SERVICES:
        keys = service_keys(service)
        assert "AWS_SECRET_ACCESS_KEY" not in keys.environment + keys.secrets


def test_github_private_key_is_multiline_and_secret() -> None:
    v = env_var("GITHUB_APP_PRIVATE_KEY")
    assert v.multiline and v.secret and not v.required


def test_github_app_keys_are_required_unless_nango_handles_github() -> None:
    # packages/environment/src/schema.ts: requiredForGitHubApp(env) refines with
    # isTruthy(env.NEXT_PUBLIC_USE_NANGO_GITHUB) || (val && val.length > 0)
    for name in (
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_APP_WEBHOOK_SECRET",
        "NEXT_PUBLIC_GITHUB_APP_SLUG",
    ):
        assert is_required(name, {}), name
        assert is_required(name, {"NEXT_PUBLIC_USE_NANGO_GITHUB": "false"}), name
        assert not is_required(name, {"NEXT_PUBLIC_USE_NANGO_GITHUB": "true"}), name
        assert not is_required(name, {"NEXT_PUBLIC_USE_NANGO_GITHUB": "1"}), name


def test_github_oauth_keys_are_optional_as_in_the_schema() -> None:
    # schema.ts: GITHUB_OAUTH_APP_ID: optionalString, GITHUB_OAUTH_APP_SECRET: optionalString
    assert not is_required("GITHUB_OAUTH_APP_ID", {})
    assert not is_required("GITHUB_OAUTH_APP_SECRET", {})


def test_sandbox_provider_keys_are_required_only_for_the_chosen_provider() -> None:
    assert env_var("SANDBOX_PROVIDER") is env_var("DEFAULT_SANDBOX_PROVIDER")
    assert env_var("DEFAULT_SANDBOX_PROVIDER").choices == ("modal", "e2b")
    # default provider is modal
    assert is_required("MODAL_TOKEN_ID", {})
    assert not is_required("E2B_API_KEY", {})
    e2b = {"DEFAULT_SANDBOX_PROVIDER": "e2b"}
    assert is_required("E2B_API_KEY", e2b)
    assert not is_required("MODAL_TOKEN_SECRET", e2b)


def test_conditional_requirements_follow_feature_flags() -> None:
    assert not is_required("RESEND_API_KEY", {})
    assert is_required("RESEND_API_KEY", {"EMAIL_ENABLED": "true"})
    assert is_required("RESEND_API_KEY", {"EMAIL_ENABLED": "1"})
    assert is_required("AUTUMN_API_KEY", {"DEPLOYMENT_PROFILE": "cloud"})
    assert not is_required("NANGO_SECRET_KEY", {"NEXT_PUBLIC_INTEGRATIONS_ENABLED": "false"})


def test_missing_required_lists_what_a_minimal_deployment_lacks() -> None:
    values = {
        "ANTHROPIC_API_KEY": "x",
        "GITHUB_APP_ID": "1",
        "GITHUB_APP_PRIVATE_KEY": "k",
        "GITHUB_APP_WEBHOOK_SECRET": "w",
        "NEXT_PUBLIC_GITHUB_APP_SLUG": "s",
        "GITHUB_OAUTH_APP_ID": "o",
        "GITHUB_OAUTH_APP_SECRET": "os",
        "DATABASE_URL": "postgres://",
        "REDIS_URL": "rediss://",
        **{k: "g" for k in generated_keys()},
    }
    assert missing_required(values) == ["MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET"]
    assert missing_required({**values, "DEFAULT_SANDBOX_PROVIDER": "e2b"}) == [
        "E2B_API_KEY",
        "E2B_TEMPLATE",
        "E2B_TEMPLATE_ALIAS",
    ]


def test_service_keys_split_plain_and_secret() -> None:
    for service in SERVICES:
        keys = service_keys(service)
        assert all(not BY_NAME[k].secret for k in keys.environment)
        assert all(BY_NAME[k].secret for k in keys.secrets)
        assert not set(keys.environment) & set(keys.secrets)
    worker = service_keys("worker")
    assert {"DATABASE_URL", "REDIS_URL", "BETTER_AUTH_SECRET", "ANTHROPIC_API_KEY"} <= set(
        worker.secrets
    )
    assert "NODE_ENV" in worker.environment
    # apps/llm-proxy/litellm/config.yaml reads exactly these three (os.environ/...)
    proxy = service_keys("llm-proxy")
    assert {BY_NAME[k].env_name for k in proxy.secrets} == {
        "ANTHROPIC_API_KEY",
        "LITELLM_MASTER_KEY",
        "DATABASE_URL",
    }
    assert proxy.environment == ()
    assert service_keys("migrations").secrets == ("DATABASE_URL",)
    with pytest.raises(ConfigError, match="service"):
        service_keys("database")


def test_plain_environment_uses_values_then_defaults_and_rejects_secrets() -> None:
    env = plain_environment("worker", {"WORKER_PORT": "8080", "SANDBOX_PROVIDER": "e2b"})
    assert env["WORKER_PORT"] == "8080"
    assert env["DEFAULT_SANDBOX_PROVIDER"] == "e2b"
    assert env["NODE_ENV"] == "production"
    assert "GITHUB_APP_ID" not in env  # no value, no default: left out
    assert all(not BY_NAME[k].secret for k in env)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY") as err:
        plain_environment("worker", {"ANTHROPIC_API_KEY": "sk-ant-do-not-echo"})
    assert "sk-ant-do-not-echo" not in str(err.value)
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        plain_environment("worker", {"LOG_LEVEL": "loud"})


def test_config_key_is_the_proliferate_namespace_or_the_stack_key() -> None:
    assert config_key("ANTHROPIC_API_KEY") == "proliferate:ANTHROPIC_API_KEY"
    assert config_key("AWS_REGION") == "aws:region"
    assert config_key("DOMAIN_NAME") == "proliferate:domainName"
    assert config_key("ACM_CERTIFICATE_ARN") == "proliferate:certificateArn"
    with pytest.raises(ConfigError, match="NOT_A_KEY"):
        env_var("NOT_A_KEY")


def test_committed_env_example_matches_the_schema() -> None:
    committed = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert committed == render_env_example(), (
        ".env.example drifted from proliferate_components/environment.py; regenerate it with "
        'python -c "from proliferate_components.environment import render_env_example as r; '
        "open('.env.example', 'w').write(r())\""
    )


def test_env_example_parses_in_schema_order_with_defaults_and_empty_secrets() -> None:
    parsed = dotenv_values(stream=io.StringIO(render_env_example()))
    assert list(parsed) == NAMES
    for v in ENVIRONMENT:
        value = parsed[v.name]
        if v.secret:
            assert value == "", v.name
        else:
            assert value == (v.default or ""), v.name


def test_env_example_comments_state_requirement_and_secrecy() -> None:
    text = render_env_example()
    block = text.split("MODAL_TOKEN_ID=")[0].rsplit("\n\n", 1)[-1]
    assert "required when DEFAULT_SANDBOX_PROVIDER=modal" in block
    assert "secret" in block
    block = text.split("\nDATABASE_URL=")[0].rsplit("\n\n", 1)[-1]
    assert "stack output: databaseUrl" in block and "required" in block
