"""The cloud-neutral contract: what the Proliferate platform receives from its infrastructure.

Everything here is a plain frozen dataclass of Pulumi outputs. Nothing in this module knows
about AWS: an AWS stack (:class:`~proliferate_components.stack.ProliferateStack`) fills it
from its resources today, and a GCP or Azure implementation can fill the same dataclasses
later. Tooling that only needs to *use* a deployment (the setup wizard, the migration
runner, documentation) should depend on this contract and on :data:`OUTPUT_NAMES`, never on
the AWS resources behind them.

What the platform receives:

- public URLs: the app (web), the gateway (WebSocket) and the llm-proxy;
- per service: its plain settings and its secret references (the provider's way of handing
  a secret to a container without the value appearing in the service definition; on AWS a
  Secrets Manager ``valueFrom`` reference);
- the database and Redis connection URLs (secret outputs);
- a description of how to run one-off database migrations (where and with what).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

__all__ = [
    "OUTPUT_NAMES",
    "REPOSITORY_OUTPUTS",
    "SECRET_OUTPUT_NAMES",
    "SERVICE_NAMES",
    "MigrationRunner",
    "PlatformContract",
    "PlatformUrls",
    "ServiceContract",
]

SERVICE_NAMES: tuple[str, ...] = ("web", "worker", "gateway", "llm-proxy")
"""The long-running services of the platform, in the order they are documented."""

OUTPUT_NAMES: tuple[str, ...] = (
    "appUrl",
    "gatewayUrl",
    "llmProxyUrl",
    "databaseUrl",
    "redisUrl",
    "workerRepositoryUrl",
    "llmProxyRepositoryUrl",
    "gatewayRepositoryUrl",
    "migrationsRepositoryUrl",
    "clusterName",
    "albDnsName",
    "migrationsClusterArn",
    "migrationsTaskDefinitionArn",
    "migrationsSubnetIds",
    "migrationsSecurityGroupIds",
    "serviceNames",
    "serviceUrls",
)
"""Stack outputs every deployment exports (the spec's ``outputs.ts``, plus ``serviceNames``
and ``serviceUrls`` for ``proliferate-infra deploy``). Conditional ones:
``webRepositoryUrl`` when the web service runs in the stack,
``triggerServiceRepositoryUrl`` when the trigger service does, ``nameServers`` and
``hostedZoneId`` when the stack manages DNS."""

REPOSITORY_OUTPUTS: tuple[tuple[str, str], ...] = (
    ("worker", "workerRepositoryUrl"),
    ("llm-proxy", "llmProxyRepositoryUrl"),
    ("gateway", "gatewayRepositoryUrl"),
    ("web", "webRepositoryUrl"),
    ("trigger-service", "triggerServiceRepositoryUrl"),
    ("migrations", "migrationsRepositoryUrl"),
)
"""Service -> the stack output holding the repository its images are pushed to."""

SECRET_OUTPUT_NAMES: frozenset[str] = frozenset({"databaseUrl", "redisUrl"})
"""Outputs that are Pulumi secrets (encrypted in state, ``[secret]`` in ``pulumi stack output``)."""


@dataclass(frozen=True, kw_only=True)
class PlatformUrls:
    """The public base URLs of the platform, without a trailing slash."""

    app: pulumi.Output[str]
    """Where users open the web app (``https://app.example.com`` with a domain, else the load
    balancer's address)."""
    gateway: pulumi.Output[str]
    """Base URL of the WebSocket gateway (clients use the ``ws``/``wss`` form of it)."""
    llm_proxy: pulumi.Output[str]
    """Base URL of the LLM proxy."""


@dataclass(frozen=True, kw_only=True)
class ServiceContract:
    """What one service receives: its image, plain settings and secret references."""

    name: str
    """Service name, one of :data:`SERVICE_NAMES` (or ``migrations``)."""
    image: pulumi.Output[str]
    """The container image reference (``registry/repository:tag``)."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict[str, Any])
    """Plain (non-secret) settings, env name -> value."""
    secrets: Mapping[str, pulumi.Output[str]] = field(default_factory=dict[str, Any])
    """Secret settings, env name -> the provider's reference to the secret (never the value)."""
    url: pulumi.Output[str] | None = None
    """The service's public base URL, ``None`` for services nobody reaches (the worker)."""


@dataclass(frozen=True, kw_only=True)
class MigrationRunner:
    """How to run a one-off migration task, as the setup wizard and CI need it.

    The task runs inside the private network with the database credentials delivered as
    secrets, so no database credential ever sits on the machine that starts it.
    """

    cluster_arn: pulumi.Output[str]
    """The cluster (or equivalent) to run the task on."""
    task_definition_arn: pulumi.Output[str]
    """The task definition (or job template) that runs the migrations."""
    subnet_ids: pulumi.Output[Sequence[str]]
    """Private subnets to place the task in."""
    security_group_ids: pulumi.Output[Sequence[str]]
    """Security groups (or firewall tags) that let the task reach the database."""
    command: tuple[str, ...] = ()
    """The command the task runs (empty: the image's default command)."""


@dataclass(frozen=True, kw_only=True)
class PlatformContract:
    """Everything the platform receives from one deployment, independent of the cloud."""

    urls: PlatformUrls
    """Public URLs."""
    services: Mapping[str, ServiceContract]
    """Per service name: image, settings and secret references."""
    database_url: pulumi.Output[str]
    """PostgreSQL connection URL (a secret output)."""
    redis_url: pulumi.Output[str]
    """Redis connection URL (a secret output)."""
    migrations: MigrationRunner
    """How to run one-off migrations."""
    repository_urls: Mapping[str, pulumi.Output[str]] = field(default_factory=dict[str, Any])
    """Per service name: where to push its images."""
    cluster_name: pulumi.Output[str] | None = None
    """Name of the compute cluster the services run on."""
    load_balancer_dns_name: pulumi.Output[str] | None = None
    """DNS name of the public entry point (point CNAMEs here when DNS is not managed)."""
    name_servers: pulumi.Output[Sequence[str]] | None = None
    """Name servers of the managed DNS zone (delegate the domain to them), if any."""
    hosted_zone_id: pulumi.Output[str] | None = None
    """Id of the managed DNS zone, if any."""
    service_names: Mapping[str, pulumi.Output[str | None]] = field(default_factory=dict[str, Any])
    """Per long-running service: the name its compute platform knows it by (on AWS the ECS
    service name), for deployment tooling that waits for a rollout."""

    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        """The stack outputs, keyed by the names in :data:`OUTPUT_NAMES` (plus conditional ones).

        ``databaseUrl`` and ``redisUrl`` are wrapped with :func:`pulumi.Output.secret` so they
        stay secret even if the underlying output lost its secret flag.
        """
        out: dict[str, pulumi.Output[Any]] = {
            "appUrl": self.urls.app,
            "gatewayUrl": self.urls.gateway,
            "llmProxyUrl": self.urls.llm_proxy,
            "databaseUrl": pulumi.Output.secret(self.database_url),
            "redisUrl": pulumi.Output.secret(self.redis_url),
        }
        for service, key in REPOSITORY_OUTPUTS:
            if service in self.repository_urls:
                out[key] = self.repository_urls[service]
        if self.cluster_name is not None:
            out["clusterName"] = self.cluster_name
        if self.load_balancer_dns_name is not None:
            out["albDnsName"] = self.load_balancer_dns_name
        out["migrationsClusterArn"] = self.migrations.cluster_arn
        out["migrationsTaskDefinitionArn"] = self.migrations.task_definition_arn
        out["migrationsSubnetIds"] = self.migrations.subnet_ids
        out["migrationsSecurityGroupIds"] = self.migrations.security_group_ids
        if self.service_names:
            out["serviceNames"] = pulumi.Output.all(**self.service_names)
        urls = {s: c.url for s, c in self.services.items() if c.url is not None}
        if urls:
            out["serviceUrls"] = pulumi.Output.all(**urls)
        if self.name_servers is not None:
            out["nameServers"] = self.name_servers
        if self.hosted_zone_id is not None:
            out["hostedZoneId"] = self.hosted_zone_id
        return out
