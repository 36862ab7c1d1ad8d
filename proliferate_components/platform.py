"""The platform contract: what each Proliferate service is, read from the platform's own code.

This module is data. For every service of the platform (the TypeScript monorepo
``proliferate-ai/proliferate``), :data:`PLATFORM_SERVICES` records how its image is built,
the port it listens on and how it learns it, its health endpoint and a container health
check that works in *that* image, the start command where the stack must give one, whether
it validates the environment schema, how it trusts the RDS certificate authority, and the
paths it writes to. Every fact carries a :class:`Source`: the upstream file, the commit it
was read at and the line that decides it, so anyone can re-check it.

Which environment keys each service receives is :attr:`EnvVar.services
<proliferate_components.environment.EnvVar.services>` in
:mod:`proliferate_components.environment` (the single list of keys); :func:`env_keys` joins
the two. The stack (:class:`~proliferate_components.stack.ProliferateStack`), the secrets
bundle, the offline preview's missing-secret warnings and the generated docs
(``docs/platform.md``) all read this module.

Where the platform's code and the spec disagree, the code wins; ``docs/decisions.md``
lists each correction.

Pure data and pure functions: no Pulumi, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from .environment import ENVIRONMENT, EnvVar
from .errors import ConfigError

__all__ = [
    "PLATFORM_SERVICES",
    "RDS_CA_BUNDLE_URL",
    "RDS_CA_DIRECTORY",
    "UPSTREAM_REPOSITORY",
    "ImageSpec",
    "PlatformService",
    "Source",
    "env_keys",
    "health_check_command",
    "litellm_database_url",
    "platform_service",
    "rds_ca_init_command",
]

UPSTREAM_REPOSITORY = "proliferate-ai/proliferate"
"""The platform's repository on GitHub."""

Runtime = Literal["node", "python"]


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a fact was read: a file of :data:`UPSTREAM_REPOSITORY` at a commit."""

    path: str
    """Path in the repository, e.g. ``apps/worker/Dockerfile``."""
    commit: str
    """The commit it was read at (short SHA)."""
    quote: str
    """The line (or lines) that decide the fact, verbatim."""

    @property
    def url(self) -> str:
        """A link to the file at that commit."""
        return f"https://github.com/{UPSTREAM_REPOSITORY}/blob/{self.commit}/{self.path}"


def _src(path: str, quote: str, commit: str = "03d4bb1") -> Source:
    return Source(path=path, commit=commit, quote=quote)


@dataclass(frozen=True, kw_only=True)
class ImageSpec:
    """How a service's image is built from a checkout of the platform."""

    context: str
    """Build context, relative to the checkout's root (``.`` is the root)."""
    dockerfile: str
    """Dockerfile, relative to the checkout's root."""
    build_args: tuple[str, ...] = ()
    """Environment keys passed as ``--build-arg`` (baked into the image at build time)."""
    platform: str = "linux/amd64"
    """Target platform (Fargate tasks run ``X86_64``)."""


@dataclass(frozen=True, kw_only=True)
class PlatformService:
    """One service of the platform, as its code and Dockerfile define it."""

    name: str
    """Service name (``worker``, ``gateway``, ...)."""
    description: str
    """What it does, in one sentence."""
    enabled_by_default: bool
    """Whether the bundled stack runs it unless configured otherwise."""
    runtime: Runtime
    """What the image runs: ``node`` (node:20-slim, no curl in every image) or ``python``
    (LiteLLM). Decides the health check and the CA download command."""
    image: ImageSpec | None = None
    """How its image is built; ``None`` when it runs another service's image."""
    image_of: str | None = None
    """The service whose image it runs (the migrations task runs the worker's)."""
    port: int | None = None
    """The port it listens on; ``None`` for a task that serves nothing."""
    port_environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Environment that tells it its port (set by the stack, equal to :attr:`port`)."""
    health_path: str | None = None
    """HTTP path answering 200 when healthy; ``None`` without one."""
    start_period_seconds: int = 60
    """Seconds the container health check tolerates failures after start."""
    command: tuple[str, ...] | None = None
    """Start command the stack gives the container; ``None``: the image's own."""
    working_directory: str | None = None
    """Working directory for :attr:`command`; ``None``: the image's own."""
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Fixed settings beyond the schema's keys (e.g. ``SKIP_ENV_VALIDATION``)."""
    validates_schema: bool = False
    """Whether it validates the platform's environment schema at start-up (then every
    required and required-when key must be present, or it refuses to start)."""
    rds_ca: Literal["node", "combined"] | None = None
    """How it trusts the RDS certificate authority: ``node`` (the bundle in
    ``NODE_EXTRA_CA_CERTS`` and ``SSL_CERT_FILE``), ``combined`` (Python: ``SSL_CERT_FILE``
    replaces the trust store, so it gets the system CAs plus the RDS bundle), or ``None``."""
    writable_paths: tuple[str, ...] = ()
    """Paths it writes to at run time (scratch volumes under a read-only root filesystem)."""
    readonly_root: bool = False
    """Whether its image is known to run with a read-only root filesystem given scratch
    volumes at :attr:`writable_paths`. False where the start-up writes elsewhere or is not
    known (pnpm/corepack and tsx keep caches outside ``/tmp``): a read-only root would stop
    the service, so the stack keeps those writable and docs/security.md says why."""
    sources: Mapping[str, Source] = field(default_factory=lambda: MappingProxyType({}))
    """Field name -> where the fact was read (every fact above that is set has one)."""

    @property
    def image_service(self) -> str:
        """The service whose image it runs (itself unless :attr:`image_of`)."""
        return self.image_of or self.name


_NODE_HEALTH = _src(
    "infra/helm/proliferate/templates/web-deployment.yaml",
    "readinessProbe: httpGet: path: /api/health (the image has node but no curl: "
    "apps/web/Dockerfile runner stage installs nothing)",
)
_RDS_CA_NODE = _src(
    "infra/helm/proliferate/templates/worker-deployment.yaml",
    "- name: NODE_EXTRA_CA_CERTS value: {{ .Values.db.ssl.mountPath }} "
    "- name: SSL_CERT_FILE value: {{ .Values.db.ssl.mountPath }}",
)
_WEB_BUILD_ARGS = (
    "NEXT_PUBLIC_APP_URL",
    "NEXT_PUBLIC_API_URL",
    "NEXT_PUBLIC_GATEWAY_URL",
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
)

PLATFORM_SERVICES: Mapping[str, PlatformService] = MappingProxyType(
    {
        "worker": PlatformService(
            name="worker",
            description="BullMQ job worker (sessions, billing, sync); serves only /health.",
            enabled_by_default=True,
            runtime="node",
            image=ImageSpec(context=".", dockerfile="apps/worker/Dockerfile"),
            port=8080,
            port_environment=MappingProxyType({"WORKER_PORT": "8080"}),
            health_path="/health",
            validates_schema=True,
            rds_ca="node",
            writable_paths=("/tmp",),
            sources=MappingProxyType(
                {
                    "image": _src(
                        "scripts/install-platform.cjs",
                        '"-f", "apps/worker/Dockerfile", ... "." (cwd: ROOT)',
                        "ec6803d",
                    ),
                    "runtime": _src("apps/worker/Dockerfile", "FROM node:20-slim"),
                    "port": _src("apps/worker/Dockerfile", "EXPOSE 8080 / ENV WORKER_PORT=8080"),
                    "port_environment": _src(
                        "apps/worker/src/index.ts", "const PORT = env.WORKER_PORT;", "ec6803d"
                    ),
                    "health_path": _src(
                        "apps/worker/src/index.ts", 'if (req.url === "/health") {', "ec6803d"
                    ),
                    "start_period_seconds": _src("infra/terraform/worker.tf", "startPeriod = 60"),
                    "validates_schema": _src(
                        "packages/environment/src/server.ts",
                        'skipValidation: ... (process.env.NODE_ENV !== "production" && '
                        'process.env.STRICT_ENV !== "true")',
                        "ec6803d",
                    ),
                    "rds_ca": _RDS_CA_NODE,
                    "writable_paths": _src(
                        "apps/worker/Dockerfile",
                        'CMD ["pnpm", "exec", "tsx", "src/index.ts"] (tsx caches under os.tmpdir())',
                    ),
                }
            ),
        ),
        "gateway": PlatformService(
            name="gateway",
            description="WebSocket gateway between browsers, the platform and sandboxes.",
            enabled_by_default=True,
            runtime="node",
            image=ImageSpec(context=".", dockerfile="apps/gateway/Dockerfile"),
            port=8787,
            port_environment=MappingProxyType({"GATEWAY_PORT": "8787"}),
            health_path="/health",
            validates_schema=True,
            rds_ca="node",
            writable_paths=("/tmp",),
            sources=MappingProxyType(
                {
                    "image": _src(
                        "scripts/install-platform.cjs",
                        '"-f", "apps/gateway/Dockerfile", ... "." (cwd: ROOT)',
                        "ec6803d",
                    ),
                    "runtime": _src("apps/gateway/Dockerfile", "FROM node:20-slim", "ec6803d"),
                    "port": _src(
                        "infra/helm/proliferate/values.yaml", "gateway: port: 8787 (EXPOSE 8787)"
                    ),
                    "port_environment": _src(
                        "apps/gateway/src/lib/env.ts",
                        "port: env.GATEWAY_PORT, (the Dockerfile sets no port: the stack must)",
                        "ec6803d",
                    ),
                    "health_path": _src(
                        "apps/gateway/src/api/health.ts",
                        'router.get("/health", (_req, res) => { res.json({ status: "ok" }); });',
                    ),
                    "validates_schema": _src(
                        "packages/environment/src/server.ts",
                        "export const env = createEnv({ server: createServerSchema(process.env), ...",
                        "ec6803d",
                    ),
                    "rds_ca": _src(
                        "infra/helm/proliferate/templates/gateway-deployment.yaml",
                        "- name: NODE_EXTRA_CA_CERTS value: {{ .Values.db.ssl.mountPath }}",
                    ),
                    "writable_paths": _src(
                        "apps/gateway/package.json",
                        '"start": "tsx src/index.ts" (tsx cache in /tmp)',
                    ),
                }
            ),
        ),
        "web": PlatformService(
            name="web",
            description="Next.js web app and API (optional: many run it on Vercel).",
            enabled_by_default=False,
            runtime="node",
            image=ImageSpec(
                context=".", dockerfile="apps/web/Dockerfile", build_args=_WEB_BUILD_ARGS
            ),
            port=3000,
            port_environment=MappingProxyType({"WEB_PORT": "3000"}),
            health_path="/api/health",
            validates_schema=True,
            rds_ca="node",
            writable_paths=("/tmp", "/app/apps/web/.next/cache"),
            readonly_root=True,
            sources=MappingProxyType(
                {
                    "image": _src(
                        "scripts/install-platform.cjs",
                        '"-f", "apps/web/Dockerfile", ... "--build-arg", `NEXT_PUBLIC_APP_URL=...`',
                        "ec6803d",
                    ),
                    "runtime": _src(
                        "apps/web/Dockerfile", "FROM node:20-slim AS runner ... USER nextjs"
                    ),
                    "port": _src("apps/web/Dockerfile", "ENV WEB_PORT=3000 / ENV PORT=3000"),
                    "port_environment": _src(
                        "apps/web/Dockerfile",
                        'CMD ["sh", "-c", "PORT=${WEB_PORT:-${PORT:-3000}} node apps/web/server.js"]',
                    ),
                    "health_path": _src(
                        "apps/web/src/app/api/health/route.ts",
                        'return Response.json({ status: "ok" }, { status: 200 });',
                        "ec6803d",
                    ),
                    "validates_schema": _src("apps/web/Dockerfile", "ENV NODE_ENV=production"),
                    "rds_ca": _src(
                        "infra/helm/proliferate/templates/web-deployment.yaml",
                        "- name: NODE_EXTRA_CA_CERTS value: {{ .Values.db.ssl.mountPath }}",
                    ),
                    "writable_paths": _src(
                        "apps/web/Dockerfile",
                        "RUN chown -R nextjs:nodejs /app (Next.js writes .next/cache at run time)",
                    ),
                    "readonly_root": _src(
                        "apps/web/Dockerfile",
                        'CMD ["sh", "-c", "PORT=${WEB_PORT:-${PORT:-3000}} node apps/web/server.js"] '
                        "(the standalone server: no package manager at start)",
                    ),
                }
            ),
        ),
        "llm-proxy": PlatformService(
            name="llm-proxy",
            description="LiteLLM proxy in front of Anthropic, with per-session virtual keys.",
            enabled_by_default=True,
            runtime="python",
            image=ImageSpec(context="apps/llm-proxy", dockerfile="apps/llm-proxy/Dockerfile"),
            port=4000,
            health_path="/health/liveliness",
            start_period_seconds=120,
            environment=MappingProxyType({"LITELLM_MIGRATION_DIR": "/tmp/litellm-migrations"}),
            rds_ca="combined",
            writable_paths=("/tmp",),
            readonly_root=True,
            sources=MappingProxyType(
                {
                    "image": _src(
                        "scripts/install-platform.cjs",
                        '"-f", "apps/llm-proxy/Dockerfile", ... "apps/llm-proxy"',
                        "ec6803d",
                    ),
                    "runtime": _src(
                        "apps/llm-proxy/Dockerfile", "FROM ghcr.io/berriai/litellm:main-latest"
                    ),
                    "port": _src(
                        "apps/llm-proxy/Dockerfile",
                        'CMD ["--config", "/app/config.yaml", "--port", "4000"]',
                    ),
                    "health_path": _src(
                        "infra/helm/proliferate/templates/llm-proxy-deployment.yaml",
                        "readinessProbe: httpGet: path: /health/liveliness",
                    ),
                    "start_period_seconds": _src(
                        "infra/terraform/llm-proxy.tf",
                        "startPeriod = 120 (LiteLLM migrates its tables at start)",
                    ),
                    "environment": _src(
                        "docker-compose.yml",
                        "LITELLM_MIGRATION_DIR=/tmp/litellm-migrations (LiteLLM runs prisma "
                        "migrate deploy at start)",
                        "3b4e838",
                    ),
                    "rds_ca": _src(
                        "infra/helm/proliferate/templates/llm-proxy-deployment.yaml",
                        "Python's SSL_CERT_FILE replaces (not appends) the default trust store. "
                        "... Use a combined bundle instead.",
                    ),
                    "writable_paths": _src(
                        "docker-compose.yml",
                        "LITELLM_MIGRATION_DIR=/tmp/litellm-migrations",
                        "3b4e838",
                    ),
                    "readonly_root": _src(
                        "docker-compose.yml",
                        "LITELLM_MIGRATION_DIR=/tmp/litellm-migrations (LiteLLM: 'a custom "
                        "migrations directory, to support baselining db in read-only fs')",
                        "3b4e838",
                    ),
                }
            ),
        ),
        "trigger-service": PlatformService(
            name="trigger-service",
            description="Webhook ingestion and polling for automation triggers (optional).",
            enabled_by_default=False,
            runtime="node",
            image=ImageSpec(context=".", dockerfile="apps/trigger-service/Dockerfile"),
            port=3001,
            port_environment=MappingProxyType({"PORT": "3001"}),
            health_path="/health",
            validates_schema=True,
            rds_ca="node",
            writable_paths=("/tmp",),
            sources=MappingProxyType(
                {
                    "enabled_by_default": _src(
                        "infra/helm/proliferate/values.yaml", "triggerService: enabled: false"
                    ),
                    "image": _src(
                        "scripts/install-platform.cjs",
                        '"-f", "apps/trigger-service/Dockerfile", ... "."',
                        "ec6803d",
                    ),
                    "runtime": _src(
                        "apps/trigger-service/Dockerfile", "FROM node:20-slim", "ec6803d"
                    ),
                    "port": _src(
                        "infra/helm/proliferate/values.yaml", "triggerService: port: 3001"
                    ),
                    "port_environment": _src(
                        "apps/trigger-service/src/index.ts",
                        "const PORT = process.env.PORT || 3001;",
                        "ec6803d",
                    ),
                    "health_path": _src(
                        "apps/trigger-service/src/server.ts",
                        'app.get("/health", (_req, res) => { res.json({ status: "ok" }); });',
                    ),
                    "validates_schema": _src(
                        "packages/environment/src/server.ts",
                        "export const env = createEnv({ server: createServerSchema(process.env), ...",
                        "ec6803d",
                    ),
                    "rds_ca": _src(
                        "apps/trigger-service/src/polling/worker.ts",
                        "reads DATABASE_URL through @proliferate/services (the chart omits the CA "
                        "for it; the stack gives it like every Node service that uses the database)",
                    ),
                    "writable_paths": _src(
                        "apps/trigger-service/package.json", '"start": "tsx src/index.ts"'
                    ),
                }
            ),
        ),
        "migrations": PlatformService(
            name="migrations",
            description="One-off task applying the database migrations (drizzle-kit).",
            enabled_by_default=True,
            runtime="node",
            image_of="worker",
            command=("pnpm", "-C", "packages/db", "db:migrate"),
            working_directory="/app",
            environment=MappingProxyType({"SKIP_ENV_VALIDATION": "true"}),
            rds_ca="node",
            writable_paths=("/tmp",),
            sources=MappingProxyType(
                {
                    "image_of": _src(
                        "infra/helm/proliferate/templates/migrate-job.yaml",
                        'image: "{{ .Values.image.worker.repository }}:'
                        '{{ .Values.image.worker.tag }}"',
                    ),
                    "runtime": _src("apps/worker/Dockerfile", "FROM node:20-slim"),
                    "command": _src(
                        "infra/helm/proliferate/templates/migrate-job.yaml",
                        'command: ["pnpm", "-C", "packages/db", "db:migrate"]',
                    ),
                    "working_directory": _src(
                        "infra/helm/proliferate/templates/migrate-job.yaml", "workingDir: /app"
                    ),
                    "environment": _src(
                        "packages/db/drizzle.config.ts",
                        "dbCredentials: { url: env.DATABASE_URL } (it reads nothing else; "
                        "SKIP_ENV_VALIDATION=true as docker-compose.yml's db-migrate)",
                    ),
                    "rds_ca": _src(
                        "infra/helm/proliferate/templates/migrate-job.yaml",
                        "- name: NODE_EXTRA_CA_CERTS value: {{ .Values.db.ssl.mountPath }}",
                    ),
                    "writable_paths": _src(
                        "packages/db/package.json", '"db:migrate": "drizzle-kit migrate"', "ec6803d"
                    ),
                }
            ),
        ),
    }
)
"""Every service of the platform, by name (deployment order)."""

RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
"""AWS's bundle of every RDS certificate authority (all regions). Upstream commits this file
in its Helm chart (``infra/helm/proliferate/files/aws-rds-global-bundle.pem``); on ECS a
one-shot init container fetches it from AWS into a task volume before the service starts."""

RDS_CA_DIRECTORY = "/rds-ca"
"""Task volume holding the RDS CA bundle (``rds-ca-bundle.pem``) and, for Python services,
``combined-ca-bundle.pem`` (system CAs plus the RDS bundle)."""


def platform_service(name: str) -> PlatformService:
    """The service called ``name``.

    Raises:
        ConfigError: no such service.
    """
    found = PLATFORM_SERVICES.get(name)
    if found is None:
        raise ConfigError("service", name, f"one of {', '.join(PLATFORM_SERVICES)}")
    return found


def env_keys(service: str) -> tuple[EnvVar, ...]:
    """The environment keys ``service`` receives, in :data:`ENVIRONMENT` order."""
    platform_service(service)
    return tuple(v for v in ENVIRONMENT if service in v.services)


def health_check_command(runtime: Runtime, port: int, path: str) -> tuple[str, ...]:
    """An ECS ``CMD`` health check that works in an image of ``runtime`` with no shell
    tools: ``node`` with its ``http`` module (the web image has no curl), ``python`` with
    ``urllib`` (LiteLLM), both as upstream's compose checks them. Healthy means HTTP 200."""
    url = f"http://localhost:{port}{path}"
    if runtime == "node":
        script = (
            f"require('http').get({json.dumps(url)},r=>process.exit(r.statusCode===200?0:1))"
            ".on('error',()=>process.exit(1))"
        )
        return ("CMD", "node", "-e", script)
    script = (
        "import sys,urllib.request;"
        f"r=urllib.request.urlopen({json.dumps(url)},timeout=4);"
        "sys.exit(0 if r.status==200 else 1)"
    )
    return ("CMD", "python", "-c", script)


def rds_ca_init_command(
    runtime: Runtime, url: str = RDS_CA_BUNDLE_URL, directory: str = RDS_CA_DIRECTORY
) -> tuple[str, ...]:
    """The init container's command: fetch ``url`` into ``directory`` and check it is a PEM
    bundle (exit 1 otherwise, so the service never starts without it). The ``python``
    variant also writes the combined bundle (the image's CAs, then the RDS bundle), like
    upstream's ``build-ca-bundle`` init container."""
    bundle = f"{directory}/rds-ca-bundle.pem"
    combined = f"{directory}/combined-ca-bundle.pem"
    if runtime == "node":
        script = (
            "const fs=require('fs');"
            f"fetch({json.dumps(url)}).then(r=>{{if(!r.ok)throw new Error('HTTP '+r.status);"
            "return r.text()}).then(t=>{if(!t.includes('-----BEGIN CERTIFICATE-----'))"
            "throw new Error('not a PEM bundle');"
            f"fs.writeFileSync({json.dumps(bundle)},t)}})"
            ".catch(e=>{console.error('rds-ca: '+e.message);process.exit(1)})"
        )
        return ("node", "-e", script)
    script = (
        "import os,ssl,sys,urllib.request\n"
        f"pem=urllib.request.urlopen({json.dumps(url)},timeout=30).read().decode()\n"
        "if '-----BEGIN CERTIFICATE-----' not in pem: sys.exit('rds-ca: not a PEM bundle')\n"
        f"open({json.dumps(bundle)},'w').write(pem)\n"
        "paths=[ssl.get_default_verify_paths().cafile,'/etc/ssl/certs/ca-certificates.crt',"
        "'/etc/pki/tls/certs/ca-bundle.crt','/etc/ssl/cert.pem']\n"
        "system=next((p for p in paths if p and os.path.isfile(p)),None)\n"
        "if system is None: sys.exit('rds-ca: no system CA bundle found')\n"
        f"open({json.dumps(combined)},'w').write(open(system).read()+'\\n'+pem)\n"
    )
    return ("python", "-c", script)


def litellm_database_url(database_url: str) -> str:
    """``DATABASE_URL`` as LiteLLM gets it: with ``schema=litellm`` (kept if the URL names a
    schema already), like upstream's installer (``appendQueryParam(databaseUrlWithSsl,
    "schema", "litellm")`` in scripts/install-platform.cjs)."""
    query = database_url.partition("?")[2]
    if any(part.split("=", 1)[0] == "schema" for part in query.split("&") if part):
        return database_url
    return database_url + ("&" if "?" in database_url else "?") + "schema=litellm"
