"""The deployed stack against the platform's own code (proliferate-ai/proliferate).

The expectations here are transcribed from upstream's files, not derived from
``proliferate_components.platform`` or ``environment``: the keys of the environment schema
(``packages/environment/src/schema.ts``), when each is required (its zod refinements), what
LiteLLM's ``config.yaml`` and drizzle's config read. For the dev and prod presets and both
sandbox providers, each task definition must give its service every key the service needs
and nothing it does not read; ports and health paths must agree between the container, the
target group and the security group.
"""

from __future__ import annotations

import functools
import json
import re
import runpy
from pathlib import Path
from typing import Any

import pytest

from proliferate_components.config import DEV_PRESET, PROD_PRESET
from proliferate_components.errors import ConfigError
from proliferate_components.policies import Resource, get_rule
from proliferate_components.testing import Capture, capture, capture_project

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "proliferate"

# packages/environment/src/schema.ts (createServerSchema + createPublicSchema), key names only.
SCHEMA_KEYS = frozenset(
    [
        "NEXT_PUBLIC_APP_URL",
        "NEXT_PUBLIC_GATEWAY_URL",
        "NEXT_PUBLIC_API_URL",
        "NEXT_PUBLIC_BILLING_ENABLED",
        "NEXT_PUBLIC_ENFORCE_EMAIL_VERIFICATION",
        "NEXT_PUBLIC_INTEGRATIONS_ENABLED",
        "NEXT_PUBLIC_SENTRY_DSN",
        "NEXT_PUBLIC_GITHUB_APP_SLUG",
        "NEXT_PUBLIC_INTERCOM_APP_ID",
        "NEXT_PUBLIC_NANGO_GITHUB_INTEGRATION_ID",
        "NEXT_PUBLIC_NANGO_LINEAR_INTEGRATION_ID",
        "NEXT_PUBLIC_NANGO_SENTRY_INTEGRATION_ID",
        "NEXT_PUBLIC_POSTHOG_HOST",
        "NEXT_PUBLIC_POSTHOG_KEY",
        "NEXT_PUBLIC_USE_NANGO_GITHUB",
        "DEPLOYMENT_PROFILE",
        "DATABASE_URL",
        "BETTER_AUTH_SECRET",
        "ANTHROPIC_API_KEY",
        "API_PORT",
        "AUTH_TOKEN",
        "AUTUMN_API_KEY",
        "AUTUMN_API_URL",
        "BILLING_JWT_SECRET",
        "CI",
        "COMPOSIO_API_KEY",
        "COMPOSIO_BASE_URL",
        "DEFAULT_SANDBOX_PROVIDER",
        "DEV_USER_ID",
        "E2B_API_KEY",
        "E2B_DOMAIN",
        "E2B_TEMPLATE",
        "E2B_TEMPLATE_ALIAS",
        "EMAIL_FROM",
        "GATEWAY_PORT",
        "GATEWAY_JWT_SECRET",
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_APP_WEBHOOK_SECRET",
        "GITHUB_OAUTH_APP_ID",
        "GITHUB_OAUTH_APP_SECRET",
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
        "INTERCOM_SECRET_KEY",
        "LLM_PROXY_MASTER_KEY",
        "LLM_PROXY_URL",
        "LLM_PROXY_KEY_DURATION",
        "LLM_PROXY_REQUIRED",
        "LLM_PROXY_ADMIN_URL",
        "LLM_PROXY_PUBLIC_URL",
        "LOG_LEVEL",
        "LOG_PRETTY",
        "MODAL_APP_NAME",
        "MODAL_APP_SUFFIX",
        "MODAL_BASE_SNAPSHOT_ID",
        "MODAL_ENDPOINT_URL",
        "MODAL_TOKEN_ID",
        "MODAL_TOKEN_SECRET",
        "NANGO_SECRET_KEY",
        "NEXT_BUILD_STANDALONE",
        "OPENAI_API_KEY",
        "WEB_PORT",
        "WORKER_PORT",
        "PROLIFERATE_SLACK_BOT_TOKEN",
        "PROLIFERATE_SLACK_CONNECT_EMAILS",
        "REDIS_URL",
        "EMAIL_ENABLED",
        "RESEND_API_KEY",
        "TRIGGER_SERVICE_URL",
        "S3_ACCESS_KEY",
        "S3_BUCKET",
        "S3_ENDPOINT_URL",
        "S3_REGION",
        "S3_SECRET_KEY",
        "SANDBOX_GIT_PULL_ON_RESTORE",
        "SANDBOX_GIT_PULL_CADENCE_SECONDS",
        "IDLE_SNAPSHOT_DELAY_SECONDS",
        "SANDBOX_TIMEOUT_SECONDS",
        "SNAPSHOT_RETENTION_DAYS",
        "SENTRY_AUTH_TOKEN",
        "SENTRY_ORG",
        "SENTRY_PROJECT",
        "SERVICE_TO_SERVICE_AUTH_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_SIGNING_SECRET",
        "STRICT_ENV",
        "SUPER_ADMIN_EMAILS",
        "TEST_REPO_ID",
        "TEST_TOKEN",
        "USER_SECRETS_ENCRYPTION_KEY",
        "WORKSPACE_DIR",
    ]
)
# Read by the Node runtime or packages/environment/src/server.ts, outside the schema.
NODE_RUNTIME = frozenset(
    {"NODE_ENV", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SKIP_ENV_VALIDATION", "STRICT_ENV"}
)
# apps/llm-proxy/litellm/config.yaml: os.environ/ANTHROPIC_API_KEY, LITELLM_MASTER_KEY,
# DATABASE_URL; the CA bundle (infra/helm .../llm-proxy-deployment.yaml) and the migration
# directory LiteLLM honours (docker-compose.yml: LITELLM_MIGRATION_DIR).
LITELLM_READS = frozenset(
    {
        "ANTHROPIC_API_KEY",
        "LITELLM_MASTER_KEY",
        "DATABASE_URL",
        "SSL_CERT_FILE",
        "NODE_EXTRA_CA_CERTS",
        "LITELLM_MIGRATION_DIR",
    }
)
# packages/db/drizzle.config.ts: dbCredentials: { url: env.DATABASE_URL }
MIGRATIONS_READS = frozenset(
    {"DATABASE_URL", "SKIP_ENV_VALIDATION", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"}
)
# apps/trigger-service/src/index.ts: const PORT = process.env.PORT || 3001
TRIGGER_EXTRA = frozenset({"PORT"})

USER_SECRETS = {
    "proliferate:ANTHROPIC_API_KEY": "sk-ant-user-value-0123456789",
    "proliferate:GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nk\n-----END RSA PRIVATE KEY-----",
    "proliferate:GITHUB_APP_WEBHOOK_SECRET": "whsec-user-value-abcdef",
    "proliferate:MODAL_TOKEN_ID": "ak-modal-user-id-value",
    "proliferate:MODAL_TOKEN_SECRET": "as-modal-user-secret-value",
    "proliferate:E2B_API_KEY": "e2b-user-key-value",
}
PLAIN = {
    "proliferate:GITHUB_APP_ID": "123456",
    "proliferate:NEXT_PUBLIC_GITHUB_APP_SLUG": "proliferate-app",
    "proliferate:E2B_TEMPLATE": "tmpl-123",
    "proliferate:E2B_TEMPLATE_ALIAS": "proliferate",
}


def _truthy(value: str | None) -> bool:
    return value in ("true", "1")


def upstream_required(env: dict[str, str]) -> set[str]:
    """What schema.ts refuses to start without, given the settings (its refinements)."""
    cloud = env.get("DEPLOYMENT_PROFILE") == "cloud"
    required = {
        "NEXT_PUBLIC_APP_URL",
        "NEXT_PUBLIC_GATEWAY_URL",
        "NEXT_PUBLIC_API_URL",
        "DATABASE_URL",
        "BETTER_AUTH_SECRET",
        "ANTHROPIC_API_KEY",
        "DEFAULT_SANDBOX_PROVIDER",
        "GATEWAY_JWT_SECRET",
        "REDIS_URL",
        "SERVICE_TO_SERVICE_AUTH_TOKEN",
        "USER_SECRETS_ENCRYPTION_KEY",
    }
    provider = env.get("DEFAULT_SANDBOX_PROVIDER")
    if provider == "e2b":
        required |= {"E2B_API_KEY", "E2B_DOMAIN", "E2B_TEMPLATE", "E2B_TEMPLATE_ALIAS"}
    if provider == "modal":
        required |= {"MODAL_APP_NAME", "MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET"}
    if not _truthy(env.get("NEXT_PUBLIC_USE_NANGO_GITHUB")):
        required |= {
            "GITHUB_APP_ID",
            "GITHUB_APP_PRIVATE_KEY",
            "GITHUB_APP_WEBHOOK_SECRET",
            "NEXT_PUBLIC_GITHUB_APP_SLUG",
        }
    if _truthy(env.get("NEXT_PUBLIC_BILLING_ENABLED")) or cloud:
        required |= {"AUTUMN_API_KEY", "AUTUMN_API_URL", "BILLING_JWT_SECRET"}
    if (
        _truthy(env.get("EMAIL_ENABLED"))
        or _truthy(env.get("NEXT_PUBLIC_ENFORCE_EMAIL_VERIFICATION"))
        or cloud
    ):
        required |= {"EMAIL_FROM", "RESEND_API_KEY"}
    return required


@functools.cache
def _stack(preset: str, provider: str) -> Capture:
    config = {
        **(DEV_PRESET if preset == "dev" else PROD_PRESET),
        **USER_SECRETS,
        **PLAIN,
        "proliferate:DEFAULT_SANDBOX_PROVIDER": provider,
        "proliferate:enableWeb": "true",
        "proliferate:enableTriggerService": "true",
    }
    return capture_project(
        EXAMPLE,
        config=config,
        secret_keys=["proliferate:certificateArn", *USER_SECRETS],
        stack=preset,
    )


def _service_containers(cap: Capture) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for task in cap.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        for c in json.loads(task.input("containerDefinitions")):
            if c["essential"]:
                out[c["name"]] = c
    return out


CASES = [(p, s) for p in ("dev", "prod") for s in ("modal", "e2b")]


@pytest.mark.parametrize(("preset", "provider"), CASES)
def test_every_service_gets_what_its_code_requires(preset: str, provider: str) -> None:
    containers = _service_containers(_stack(preset, provider))
    assert set(containers) == {
        "worker",
        "gateway",
        "web",
        "llm-proxy",
        "trigger-service",
        "migrations",
    }
    for name in ("worker", "gateway", "web", "trigger-service"):
        c = containers[name]
        env = {e["name"]: e["value"] for e in c["environment"]}
        given = set(env) | {s["name"] for s in c["secrets"]}
        # validation runs (NODE_ENV=production), so the whole schema must hold
        assert env.get("NODE_ENV") == "production", name
        missing = upstream_required(env) - given
        assert not missing, (name, sorted(missing))
        # nothing it does not read
        allowed = (
            SCHEMA_KEYS | NODE_RUNTIME | (TRIGGER_EXTRA if name == "trigger-service" else set())
        )
        assert given <= allowed, (name, sorted(given - allowed))
    proxy = containers["llm-proxy"]
    given = {e["name"] for e in proxy["environment"]} | {s["name"] for s in proxy["secrets"]}
    assert {"LITELLM_MASTER_KEY", "DATABASE_URL", "ANTHROPIC_API_KEY"} <= {
        s["name"] for s in proxy["secrets"]
    }
    assert given <= LITELLM_READS, sorted(given - LITELLM_READS)
    migrations = containers["migrations"]
    given = {e["name"] for e in migrations["environment"]} | {
        s["name"] for s in migrations["secrets"]
    }
    assert "DATABASE_URL" in given and given <= MIGRATIONS_READS, sorted(given)


@pytest.mark.parametrize(("preset", "provider"), CASES)
def test_ports_and_health_paths_agree(preset: str, provider: str) -> None:
    cap = _stack(preset, provider)
    containers = _service_containers(cap)
    # upstream: worker WORKER_PORT=8080, gateway 8787, web 3000, llm-proxy 4000 (CMD
    # --port 4000), trigger-service PORT 3001 (infra/helm/proliferate/values.yaml, Dockerfiles)
    ports = {
        "worker": 8080,
        "gateway": 8787,
        "web": 3000,
        "llm-proxy": 4000,
        "trigger-service": 3001,
    }
    paths = {
        "worker": "/health",
        "gateway": "/health",
        "web": "/api/health",
        "llm-proxy": "/health/liveliness",
        "trigger-service": "/health",
    }
    env_port = {
        "worker": "WORKER_PORT",
        "gateway": "GATEWAY_PORT",
        "web": "WEB_PORT",
        "trigger-service": "PORT",
    }
    groups = {
        r.name.rsplit("-tg-", 1)[-1]: r for r in cap.of_type("aws:lb/targetGroup:TargetGroup")
    }
    lb_sg = cap.one("aws:ec2/securityGroup:SecurityGroup", "proliferate-lb-sg").id
    rules = cap.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    for name, port in ports.items():
        c = containers[name]
        assert [m["containerPort"] for m in c["portMappings"]] == [port], name
        if name in env_port:
            env = {e["name"]: e["value"] for e in c["environment"]}
            assert env[env_port[name]] == str(port), name
        check = " ".join(c["healthCheck"]["command"])
        assert f"http://localhost:{port}{paths[name]}" in check, name
        # the image has no curl (web) or is Python (LiteLLM): the check uses its runtime
        assert c["healthCheck"]["command"][1] == ("python" if name == "llm-proxy" else "node")
        if name == "worker":
            continue  # nothing routes to the worker
        group = groups[name]
        assert int(group.input("port")) == port, name
        assert group.input("healthCheck")["path"] == paths[name], name
        sg = cap.one("aws:ec2/securityGroup:SecurityGroup", f"proliferate-{name}-sg").id
        from_lb = [
            r
            for r in rules
            if r.input("securityGroupId") == sg and r.input("referencedSecurityGroupId") == lb_sg
        ]
        assert [(int(r.input("fromPort")), int(r.input("toPort"))) for r in from_lb] == [
            (port, port)
        ], name


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_migrations_run_upstreams_command_in_the_worker_image(preset: str) -> None:
    containers = _service_containers(_stack(preset, "modal"))
    migrations = containers["migrations"]
    # infra/helm/proliferate/templates/migrate-job.yaml
    assert migrations["image"] == containers["worker"]["image"]
    assert migrations["command"] == ["pnpm", "-C", "packages/db", "db:migrate"]
    assert migrations["workingDirectory"] == "/app"
    assert "healthCheck" not in migrations


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_services_trust_the_rds_ca_like_upstreams_chart(preset: str) -> None:
    cap = _stack(preset, "modal")
    for task in cap.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        containers = json.loads(task.input("containerDefinitions"))
        init = [c for c in containers if not c["essential"]]
        (main,) = [c for c in containers if c["essential"]]
        assert [c["name"] for c in init] == ["rds-ca"], task.name
        assert init[0]["image"] == main["image"]
        assert {"condition": "SUCCESS", "containerName": "rds-ca"} in main["dependsOn"]
        env = {e["name"]: e["value"] for e in main["environment"]}
        bundle = env["NODE_EXTRA_CA_CERTS"]
        assert bundle.startswith("/rds-ca/")
        assert any(m["containerPath"] == "/rds-ca" and m["readOnly"] for m in main["mountPoints"])
        if main["name"] == "llm-proxy":
            # Python's SSL_CERT_FILE replaces the trust store: a combined bundle
            assert env["SSL_CERT_FILE"] != bundle and "combined" in env["SSL_CERT_FILE"]
            assert init[0]["entryPoint"][0] == "python"
        else:
            assert env["SSL_CERT_FILE"] == bundle
            assert init[0]["entryPoint"][0] == "node"


def test_no_rds_means_no_ca_download() -> None:
    config = {
        **DEV_PRESET,
        **USER_SECRETS,
        **PLAIN,
        "proliferate:enableRds": "false",
        "proliferate:DATABASE_URL": "postgresql://u:p@db.example.com:5432/app?sslmode=require",
    }
    cap = capture_project(
        EXAMPLE,
        config=config,
        secret_keys=["proliferate:certificateArn", *USER_SECRETS, "proliferate:DATABASE_URL"],
    )
    for task in cap.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        containers = json.loads(task.input("containerDefinitions"))
        assert [c["name"] for c in containers if not c["essential"]] == [], task.name


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_the_llm_proxy_cannot_run_without_its_master_key(preset: str) -> None:
    """The CrossGuard rule on the stack's own llm-proxy task definition: compliant as the
    stack registers it, a violation once the master key is taken out."""
    cap = _stack(preset, "modal")
    task = cap.one("aws:ecs/taskDefinition:TaskDefinition", "proliferate-llm-proxy-task")
    rule = get_rule("proliferate-ecs-litellm-master-key")
    props = {k: task.input(k) for k in task.inputs}
    assert list(rule.check(Resource(type=task.type, name=task.name, props=props), {})) == []
    containers = json.loads(props["containerDefinitions"])
    for c in containers:
        c["secrets"] = [s for s in c["secrets"] if s["name"] != "LITELLM_MASTER_KEY"]
    broken = {**props, "containerDefinitions": json.dumps(containers)}
    messages = list(rule.check(Resource(type=task.type, name=task.name, props=broken), {}))
    assert len(messages) == 1 and "unauthenticated" in messages[0]
    assert re.search(r"container 'llm-proxy'", messages[0])


def _run_example(config: dict[str, str], *, preview: bool) -> Capture:
    def program() -> None:
        runpy.run_path(str(EXAMPLE / "__main__.py"), run_name="__main__")

    return capture(
        program,
        config=config,
        secret_keys=["proliferate:certificateArn", *USER_SECRETS],
        preview=preview,
    )


def test_required_plain_settings_warn_in_preview_and_stop_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """schema.ts requires the GitHub App's id and slug (requiredForGitHubApp) like its key:
    a preview names them, `pulumi up` refuses before registering anything."""
    config = {**DEV_PRESET, **USER_SECRETS}
    _run_example(config, preview=True)
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "GITHUB_APP_ID" in warned and "NEXT_PUBLIC_GITHUB_APP_SLUG" in warned
    with pytest.raises(ConfigError, match="GITHUB_APP_ID") as error:
        _run_example(config, preview=False)
    assert "NEXT_PUBLIC_GITHUB_APP_SLUG" in str(error.value)


def test_nango_for_github_needs_no_github_app(caplog: pytest.LogCaptureFixture) -> None:
    config = {
        **DEV_PRESET,
        **{k: v for k, v in USER_SECRETS.items() if "GITHUB" not in k},
        "proliferate:NEXT_PUBLIC_USE_NANGO_GITHUB": "true",
    }
    cap = _run_example(config, preview=True)
    assert not [r for r in caplog.records if "GITHUB_APP" in r.getMessage()]
    assert cap.of_type("aws:ecs/service:Service")
