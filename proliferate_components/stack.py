"""`ProliferateStack`: the whole self-hosted Proliferate platform on AWS from one StackConfig.

Composition, in the order resources are created (each arrow is a data dependency)::

    Network (VPC, public + private subnets, NAT)
      -> ECS cluster (Container Insights on)
      -> PublicLoadBalancer (ALB in the public subnets; target groups for llm-proxy,
         gateway and, with enable_web, web)
      -> DnsTls (only with manageDns: zone, certificate, validation; aliases once the ALB
         exists)
      -> RedisCache and PostgresDb (only with enableRds) in the private subnets
      -> SecretsBundle (generated secrets, DATABASE_URL/REDIS_URL, user secrets)
      -> EcsExecutionRole (shared; reads exactly the bundle's secrets)
      -> FargateService worker, llm-proxy, gateway, web (optional) and the migrations
         task definition, in the private subnets without public IPs
      -> ingress rules on Redis/PostgreSQL from the services that use them, egress rules
         from the ALB to the services behind it

Network rules (tested by tests/test_reachability.py from the registered resources): only the
ALB is reachable from the internet, on 80 (and 443 with HTTPS); each service behind the
ALB only from the ALB's security group on its container port; the worker and the migrations
task from nothing; Redis and PostgreSQL only from the security groups of the services whose
environment contains ``REDIS_URL`` / ``DATABASE_URL`` (per the environment schema).

Why the data tier admits the services *after* they exist: a service's security group is
created inside :class:`~proliferate_components.service.FargateService`, whose secrets
(``DATABASE_URL``, ``REDIS_URL``) come from the data tier. So the data stores start with
no ingress and the stack adds one ``aws.vpc.SecurityGroupIngressRule`` per service once the
service exists (in the same ``pulumi up``; a task that starts a few seconds earlier
retries its connection).

Images: each service's image is an input. Default: the service's own ECR repository
(created by its FargateService) with ``StackConfig.image_tag``. Pass :class:`ServiceImage`
per service for an image from elsewhere (``image=``) or a local Docker build pushed with
``awsx.ecr.Image`` (``build_context=``).

Adopting an existing deployment: ``config.adopt`` (Pulumi key ``proliferate:adopt``, an
:class:`~proliferate_components.config.AdoptConfig`) passes existing physical names (ECS
cluster, services, repositories, log groups, roles, security groups, load balancer, target
groups, Redis groups) and the existing zones and subnet CIDRs to the components, so that
imported resources are updated in place rather than replaced. Unset, every name is generated
as before. ``proliferate-infra migrate terraform`` writes it (docs/migrating-from-terraform.md).

Migrations: a dedicated ``migrations`` image and task definition (a FargateService with
``create_service=False``: no ECS service, no load balancer, no ingress) rather than the
web image, because the web app is off by default (Vercel) while migrations are always
needed. Run it once with the ``migrations*`` outputs (``aws ecs run-task --cluster <migrationsClusterArn>
--task-definition <migrationsTaskDefinitionArn> --launch-type FARGATE
--network-configuration awsvpcConfiguration={subnets=[...],securityGroups=[...]}``); the
database URL reaches it as a secret, never on the machine that starts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .cache import RedisCache, RedisCacheArgs
from .config import (
    AdoptConfig,
    AdoptDatabase,
    AdoptLoadBalancer,
    AdoptNetwork,
    AdoptRedis,
    AdoptService,
    StackConfig,
)
from .contract import (
    MigrationRunner,
    PlatformContract,
    PlatformUrls,
    ServiceContract,
)
from .database import PostgresDb, PostgresDbArgs
from .dns import AliasTarget, DnsTls, DnsTlsArgs, hosts_for_domain
from .environment import plain_environment, service_keys
from .errors import ConfigError
from .iam import EcsExecutionRole, EcsExecutionRoleArgs
from .loadbalancer import LbRoute, PublicLoadBalancer, PublicLoadBalancerArgs
from .network import Network, NetworkArgs
from .secrets import SecretsBundle, SecretsBundleArgs
from .service import AutoscalingArgs, FargateService, FargateServiceArgs

__all__ = [
    "DEFAULT_SERVICE_SPECS",
    "STACK_SERVICES",
    "ProliferateStack",
    "ServiceImage",
    "ServiceSpec",
]

STACK_SERVICES: tuple[str, ...] = ("worker", "llm-proxy", "gateway", "web", "migrations")
"""Every service the stack can run (``web`` only with ``enable_web``; ``migrations`` is a
task definition for one-off runs)."""


@dataclass(frozen=True, kw_only=True)
class ServiceSpec:
    """How one service's container is reached and checked."""

    port: int
    """Container port (also the target group's port for services behind the ALB)."""
    health_check_path: str
    """HTTP path of the health endpoint (container health check and target group)."""
    behind_load_balancer: bool
    """Whether the ALB routes to it."""
    route_prefix: str | None = None
    """Path prefix on the ALB without a domain (``/gateway``); ``None`` for the web app,
    which takes every path no other route matches."""
    host_label: str | None = None
    """Sub-domain label with a domain (``gateway`` -> ``gateway.<domain>``); ``None`` for
    the web app, which is served at the domain itself."""
    priority: int = 100
    """Listener rule priority (lower first)."""
    port_env: str | None = None
    """Environment variable that tells the service its port (set to ``port``)."""


DEFAULT_SERVICE_SPECS: Mapping[str, ServiceSpec] = {
    "worker": ServiceSpec(
        port=8080, health_check_path="/health", behind_load_balancer=False, port_env="WORKER_PORT"
    ),
    "llm-proxy": ServiceSpec(
        port=4000,
        health_check_path="/health/liveliness",
        behind_load_balancer=True,
        route_prefix="/llm-proxy",
        host_label="llm",
        priority=10,
    ),
    "gateway": ServiceSpec(
        port=8787,
        health_check_path="/health",
        behind_load_balancer=True,
        route_prefix="/gateway",
        host_label="gateway",
        priority=20,
        port_env="GATEWAY_PORT",
    ),
    "web": ServiceSpec(
        port=3000,
        health_check_path="/api/health",
        behind_load_balancer=True,
        priority=30,
        port_env="WEB_PORT",
    ),
    "migrations": ServiceSpec(port=8080, health_check_path="/", behind_load_balancer=False),
}
"""Ports and health endpoints of the platform's services: worker 8080 (``/health``, the
spec's port), llm-proxy 4000 (LiteLLM's port and its unauthenticated ``/health/liveliness``),
gateway 8787 (``GATEWAY_PORT``'s default), web 3000 (``WEB_PORT``'s default). Override per
service with ``ProliferateStack(service_specs=...)``."""


@dataclass(frozen=True, kw_only=True)
class ServiceImage:
    """Where a service's image comes from. Default (all ``None``): the service's own ECR
    repository with ``StackConfig.image_tag``."""

    image: str | None = None
    """A full image reference (``registry/repository:tag`` or ``...@sha256:...``), e.g. a
    public release image. Default ``None``."""
    build_context: str | None = None
    """A local directory to build with Docker and push to the service's repository on every
    ``pulumi up`` (``awsx.ecr.Image``). Default ``None``: no build (CI pushes images)."""
    dockerfile: str | None = None
    """Dockerfile for ``build_context``. Default ``None``: ``<build_context>/Dockerfile``."""


class ProliferateStack(pulumi.ComponentResource):
    """Every AWS resource of a self-hosted Proliferate deployment, from one :class:`StackConfig`.

    Args:
        name: component name; every child name is derived from it (below).
        config: the validated stack configuration (e.g. ``StackConfig.from_pulumi_config()``).
        opts: resource options of the component.
        images: per service (``worker``, ``llm-proxy``, ``gateway``, ``web``,
            ``migrations``), a :class:`ServiceImage` or an image reference string. Default:
            each service's own ECR repository with ``config.image_tag``.
        user_secret_values: secret values by environment key (API keys, an external
            ``DATABASE_URL`` when ``enable_rds`` is false, ...). Default ``None``: read from
            Pulumi secret config ``proliferate:<KEY>``.
        settings: plain platform settings by environment key (e.g.
            ``{"DEFAULT_SANDBOX_PROVIDER": "e2b"}``). Default ``None``: read from Pulumi
            config ``proliferate:<KEY>``.
        strict_secrets: what a missing required secret does (see
            :attr:`SecretsBundleArgs.strict`). Default ``None``: warn in previews, fail in
            ``pulumi up``.
        service_specs: per-service overrides of :data:`DEFAULT_SERVICE_SPECS`.
        access_logs_bucket: an S3 bucket (its policy must allow ELB log delivery) for the
            load balancer's access logs. Default ``None``: no access logs.

    Children (names are a public contract; ``N`` = ``name``):

    - ``N-network`` (:class:`Network`);
    - ``N-cluster`` (``aws.ecs.Cluster``, Container Insights enabled);
    - ``N-lb`` (:class:`PublicLoadBalancer`; routes ``llm-proxy``, ``gateway``, ``web``);
    - ``N-dns`` (:class:`DnsTls`, only with ``manage_dns``);
    - ``N-redis`` (:class:`RedisCache`), ``N-postgres`` (:class:`PostgresDb`, only with
      ``enable_rds``);
    - ``N-secrets`` (:class:`SecretsBundle`);
    - ``N-execution`` (:class:`EcsExecutionRole`, shared by all services);
    - ``N-worker``, ``N-llm-proxy``, ``N-gateway``, ``N-web`` (only with ``enable_web``)
      (:class:`FargateService`, each with its ECS service ``N-<service>-service``);
    - ``N-migrations`` (:class:`FargateService` with ``create_service=False``: the task
      definition ``N-migrations-task`` and its security group, no ECS service);
    - ``N-redis-from-<service>``, ``N-postgres-from-<service>``: ingress rules on the data
      stores' security groups from each service that uses them.

    Outputs: :attr:`contract` (the cloud-neutral :class:`PlatformContract`) and
    :meth:`export_outputs` exports its stack outputs (``appUrl``, ``gatewayUrl``,
    ``llmProxyUrl``, ``databaseUrl`` and ``redisUrl`` as secrets, the repository URLs,
    ``clusterName``, ``albDnsName``, the four ``migrations*`` outputs, and ``nameServers`` /
    ``hostedZoneId`` with ``manage_dns``).
    """

    contract: PlatformContract
    network: Network
    cluster: aws.ecs.Cluster
    load_balancer: PublicLoadBalancer
    dns: DnsTls | None
    redis: RedisCache
    postgres: PostgresDb | None
    secrets: SecretsBundle
    execution_role: EcsExecutionRole
    services: dict[str, FargateService]

    def __init__(
        self,
        name: str,
        config: StackConfig,
        opts: pulumi.ResourceOptions | None = None,
        *,
        images: Mapping[str, ServiceImage | str] | None = None,
        user_secret_values: Mapping[str, pulumi.Input[str]] | None = None,
        settings: Mapping[str, str] | None = None,
        strict_secrets: bool | None = None,
        service_specs: Mapping[str, ServiceSpec] | None = None,
        access_logs_bucket: str | None = None,
    ) -> None:
        specs = {**DEFAULT_SERVICE_SPECS, **dict(service_specs or {})}
        the_images = _validate(config, images, specs)
        the_settings = dict(settings) if settings is not None else _settings_from_config()
        for service in STACK_SERVICES:  # bad settings fail here, before any registration
            keys = service_keys(service).environment
            plain_environment(service, {k: v for k, v in the_settings.items() if k in keys})
        super().__init__("proliferate:stack:ProliferateStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        protect = config.protect_data_stores
        running = [s for s in ("worker", "llm-proxy", "gateway", "web") if _enabled(config, s)]
        routed = [s for s in running if specs[s].behind_load_balancer]
        adopt = config.adopt or AdoptConfig()
        net = adopt.network or AdoptNetwork()
        lb_names = adopt.load_balancer or AdoptLoadBalancer()
        redis_names = adopt.redis or AdoptRedis()
        db_names = adopt.database or AdoptDatabase()

        def names_of(service: str) -> AdoptService:
            return adopt.services.get(service) or AdoptService()

        # -- network and cluster ----------------------------------------------------------
        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                cidr_block=config.vpc_cidr,
                availability_zone_count=config.az_count,
                nat_strategy=config.nat_strategy,
                enable_flow_logs=config.enable_flow_logs,
                flow_log_retention_days=config.flow_log_retention_days,
                availability_zones=net.availability_zones,
                public_subnet_cidrs=net.public_subnet_cidrs,
                private_subnet_cidrs=net.private_subnet_cidrs,
            ),
            opts=child,
        )
        private_subnets = self.network.private_subnet_ids
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=adopt.cluster_name,
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            tags={"Name": f"{name}-cluster"},
            opts=child,
        )

        # -- DNS/TLS and the load balancer ------------------------------------------------
        self.dns = None
        certificate_arn: pulumi.Input[str] | None = config.certificate_arn
        if config.manage_dns and config.domain_name is not None:
            self.dns = DnsTls(
                f"{name}-dns",
                DnsTlsArgs(
                    domain_name=config.domain_name,
                    hosted_zone_id=config.hosted_zone_id,
                    protect_zone=protect,
                ),
                opts=child,
            )
            if certificate_arn is None:
                certificate_arn = self.dns.certificate_arn
        hosts = hosts_for_domain(config.domain_name) if config.domain_name else None
        routes: list[LbRoute] = []
        for service in routed:
            spec = specs[service]
            if hosts is not None:
                host = hosts.app if spec.host_label is None else f"{spec.host_label}.{hosts.app}"
                prefix = None
            else:
                host, prefix = None, spec.route_prefix
            routes.append(
                LbRoute(
                    name=service,
                    port=spec.port,
                    priority=spec.priority,
                    host=host,
                    path_prefix=prefix,
                    is_default=spec.host_label is None and spec.route_prefix is None,
                    health_check_path=spec.health_check_path,
                    deregistration_delay_seconds=60 if service == "gateway" else 30,
                    target_group_name=names_of(service).target_group_name,
                )
            )
        self.load_balancer = PublicLoadBalancer(
            f"{name}-lb",
            PublicLoadBalancerArgs(
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.public_subnet_ids,
                routes=tuple(routes),
                enable_https=config.enable_https,
                certificate_arn=certificate_arn if config.enable_https else None,
                deletion_protection=config.profile == "prod",
                access_logs_bucket=access_logs_bucket,
                name=lb_names.name,
                security_group_name=lb_names.security_group_name,
                security_group_description=lb_names.security_group_description,
            ),
            opts=child,
        )
        lb = self.load_balancer
        if self.dns is not None:
            roles = (
                ("app", "gateway", "llm-proxy") if "web" in running else ("gateway", "llm-proxy")
            )
            self.dns.alias_to(AliasTarget(dns_name=lb.dns_name, zone_id=lb.zone_id), roles=roles)

        # -- URLs -------------------------------------------------------------------------
        scheme = "https" if config.enable_https else "http"
        if hosts is not None:
            app_url: pulumi.Output[str] = pulumi.Output.from_input(f"{scheme}://{hosts.app}")
            gateway_http = pulumi.Output.from_input(f"{scheme}://{hosts.gateway}")
            llm_proxy_url = pulumi.Output.from_input(f"{scheme}://{hosts.llm_proxy}")
        else:
            app_url = lb.base_url
            gateway_http = lb.urls["gateway"]
            llm_proxy_url = lb.urls["llm-proxy"]
        gateway_url = gateway_http.apply(lambda u: "ws" + u[len("http") :])

        # -- data tier --------------------------------------------------------------------
        self.redis = RedisCache(
            f"{name}-redis",
            RedisCacheArgs(
                vpc_id=self.network.vpc_id,
                subnet_ids=private_subnets,
                allowed_security_group_ids=[],
                node_type=config.redis_cache_node_type,
                engine=config.redis_engine,
                engine_version=config.redis_engine_version,
                num_cache_clusters=config.redis_num_cache_clusters,
                allow_single_node=config.redis_allow_single_node,
                snapshot_retention_days=config.redis_snapshot_retention_days,
                protect=protect,
                replication_group_id=redis_names.replication_group_id,
                subnet_group_name=redis_names.subnet_group_name,
                parameter_group_name=redis_names.parameter_group_name,
                parameter_group_description=redis_names.parameter_group_description,
                security_group_name=redis_names.security_group_name,
                security_group_description=redis_names.security_group_description,
                snapshot_name=redis_names.snapshot_name,
            ),
            opts=child,
        )
        self.postgres = None
        database_url: pulumi.Input[str] | None = None
        if config.enable_rds:
            self.postgres = PostgresDb(
                f"{name}-postgres",
                PostgresDbArgs(
                    vpc_id=self.network.vpc_id,
                    subnet_ids=private_subnets,
                    allowed_security_group_ids=[],
                    instance_class=config.db_instance_class,
                    engine_version=config.db_engine_version,
                    allocated_storage_gib=config.db_allocated_storage_gib,
                    max_allocated_storage_gib=config.db_max_allocated_storage_gib,
                    multi_az=config.db_multi_az,
                    backup_retention_days=config.db_backup_retention_days,
                    deletion_protection=protect,
                    protect=protect,
                    identifier=db_names.identifier,
                    db_name=db_names.db_name or "proliferate",
                    username=db_names.username or "proliferate",
                    subnet_group_name=db_names.subnet_group_name,
                    parameter_group_name=db_names.parameter_group_name,
                    parameter_group_description=db_names.parameter_group_description,
                    security_group_name=db_names.security_group_name,
                    security_group_description=db_names.security_group_description,
                ),
                opts=child,
            )
            database_url = self.postgres.database_url

        # -- secrets and the shared execution role ----------------------------------------
        self.secrets = SecretsBundle(
            f"{name}-secrets",
            SecretsBundleArgs(
                database_url=database_url,
                redis_url=self.redis.redis_url,
                user_values=user_secret_values,
                settings=the_settings,
                strict=strict_secrets,
                protect=protect,
            ),
            opts=child,
        )
        self.execution_role = EcsExecutionRole(
            f"{name}-execution",
            EcsExecutionRoleArgs(
                secret_arns=self.secrets.secret_arns, role_name=adopt.execution_role_name
            ),
            opts=child,
        )

        # -- services ---------------------------------------------------------------------
        derived: dict[str, pulumi.Input[str]] = {
            "NEXT_PUBLIC_APP_URL": app_url,
            "NEXT_PUBLIC_API_URL": app_url,
            "NEXT_PUBLIC_GATEWAY_URL": gateway_url,
            "LLM_PROXY_URL": llm_proxy_url,
        }
        self.services = {}
        contracts: dict[str, ServiceContract] = {}
        urls = {"web": app_url, "gateway": gateway_url, "llm-proxy": llm_proxy_url}
        sizing = {
            "worker": (config.worker_cpu, config.worker_memory_mib, config.worker_desired_count),
            "llm-proxy": (
                config.llm_proxy_cpu,
                config.llm_proxy_memory_mib,
                config.llm_proxy_desired_count,
            ),
            "gateway": (
                config.gateway_cpu,
                config.gateway_memory_mib,
                config.gateway_desired_count,
            ),
            "web": (config.web_cpu, config.web_memory_mib, config.web_desired_count),
            "migrations": (config.worker_cpu, config.worker_memory_mib, 0),
        }
        for service in [*running, "migrations"]:
            spec = specs[service]
            cpu, memory_mib, desired = sizing[service]
            keys = service_keys(service)
            fixed = {**the_settings}
            if spec.port_env is not None:
                fixed[spec.port_env] = str(spec.port)
            environment: dict[str, pulumi.Input[str]] = dict(
                plain_environment(
                    service, {k: v for k, v in fixed.items() if k in keys.environment}
                )
            )
            environment.update({k: v for k, v in derived.items() if k in keys.environment})
            secrets = self.secrets.secrets_for(service)
            image = the_images.get(service)
            behind = service in routed
            autoscaling = (
                AutoscalingArgs(
                    min_capacity=max(desired, 1), max_capacity=config.autoscaling_max_count
                )
                if config.enable_autoscaling and service != "migrations" and desired >= 1
                else None
            )
            svc = FargateService(
                f"{name}-{service}",
                FargateServiceArgs(
                    cluster_arn=self.cluster.arn,
                    vpc_id=self.network.vpc_id,
                    subnet_ids=private_subnets,
                    image=image.image if image else None,
                    build_context=image.build_context if image else None,
                    dockerfile=image.dockerfile if image else None,
                    image_tag=config.image_tag,
                    cpu=cpu,
                    memory_mib=memory_mib,
                    container_port=spec.port,
                    container_name=service,
                    container_health_check=service != "migrations",
                    health_check_path=spec.health_check_path,
                    environment=environment,
                    secrets=secrets,
                    execution_role=self.execution_role,
                    desired_count=desired,
                    ingress_security_group_ids=[lb.security_group_id] if behind else [],
                    target_group_arn=lb.target_group_arns[service] if behind else None,
                    autoscaling=autoscaling,
                    enable_execute_command=config.enable_execute_command,
                    retention_days=config.log_retention_days,
                    create_service=service != "migrations",
                    service_name=names_of(service).service_name,
                    repository_name=names_of(service).repository_name,
                    log_group_name=names_of(service).log_group_name,
                    task_role_name=names_of(service).task_role_name,
                    security_group_name=names_of(service).security_group_name,
                    security_group_description=names_of(service).security_group_description,
                    task_family=names_of(service).task_family,
                    execution_policy_name=names_of(service).execution_policy_name,
                ),
                opts=child,
            )
            self.services[service] = svc
            if behind:
                lb.allow_egress_to(service, svc.security_group_id)
            secret_names = set(secrets)
            if "REDIS_URL" in secret_names:
                _admit(
                    f"{name}-redis-from-{service}", self.redis.security_group_id, svc, 6379, self
                )
            if self.postgres is not None and "DATABASE_URL" in secret_names:
                _admit(
                    f"{name}-postgres-from-{service}",
                    self.postgres.security_group_id,
                    svc,
                    5432,
                    self,
                )
            contracts[service] = ServiceContract(
                name=service,
                image=_image_of(svc, image, config.image_tag),
                environment=environment,
                secrets=secrets,
                url=urls.get(service),
            )

        migrations = self.services["migrations"]
        runner = MigrationRunner(
            cluster_arn=self.cluster.arn,
            task_definition_arn=migrations.task_definition_arn,
            subnet_ids=pulumi.Output.all(*private_subnets).apply(lambda ids: [str(i) for i in ids]),
            security_group_ids=migrations.security_group_id.apply(lambda sg: [sg]),
        )
        repository_urls: dict[str, pulumi.Output[str]] = {
            s: svc.repository_url.apply(lambda u: u or "") for s, svc in self.services.items()
        }
        self.contract = PlatformContract(
            urls=PlatformUrls(app=app_url, gateway=gateway_url, llm_proxy=llm_proxy_url),
            services=contracts,
            database_url=_database_url(user_secret_values, database_url),
            redis_url=self.redis.redis_url,
            migrations=runner,
            repository_urls=repository_urls,
            cluster_name=self.cluster.name,
            load_balancer_dns_name=lb.dns_name,
            name_servers=self.dns.name_servers if self.dns is not None else None,
            hosted_zone_id=self.dns.zone_id if self.dns is not None else None,
        )
        self.register_outputs(
            {
                "app_url": app_url,
                "gateway_url": gateway_url,
                "llm_proxy_url": llm_proxy_url,
                "cluster_name": self.cluster.name,
                "alb_dns_name": lb.dns_name,
            }
        )

    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        """The stack outputs (see :meth:`PlatformContract.outputs`)."""
        return self.contract.outputs()

    def export_outputs(self) -> None:
        """``pulumi.export`` every stack output of :meth:`outputs` (call it from the program)."""
        for key, value in self.outputs().items():
            pulumi.export(key, value)


def _enabled(config: StackConfig, service: str) -> bool:
    return service != "web" or config.enable_web


def _settings_from_config() -> dict[str, str]:
    from .secrets import settings_from_config

    return settings_from_config()


def _database_url(
    user_values: Mapping[str, pulumi.Input[str]] | None, database_url: pulumi.Input[str] | None
) -> pulumi.Output[str]:
    if database_url is not None:
        return pulumi.Output.secret(database_url)
    if user_values is not None:
        value = user_values.get("DATABASE_URL")
    else:
        value = pulumi.Config("proliferate").get_secret("DATABASE_URL")
    return pulumi.Output.secret(value if value is not None else "")


def _image_of(svc: FargateService, image: ServiceImage | None, tag: str) -> pulumi.Output[str]:
    if image is not None and image.image is not None:
        return pulumi.Output.from_input(image.image)
    return svc.repository_url.apply(lambda u: f"{u}:{tag}")


def _admit(
    rule_name: str,
    store_security_group_id: pulumi.Input[str],
    service: FargateService,
    port: int,
    parent: pulumi.Resource,
) -> None:
    aws.vpc.SecurityGroupIngressRule(
        rule_name,
        security_group_id=store_security_group_id,
        referenced_security_group_id=service.security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=f"port {port} from {rule_name.rsplit('-from-', 1)[-1]}",
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _validate(
    config: StackConfig,
    images: Mapping[str, ServiceImage | str] | None,
    specs: Mapping[str, ServiceSpec],
) -> dict[str, ServiceImage]:
    if not isinstance(config, StackConfig):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError("ProliferateStack.config", config, "a StackConfig")
    out: dict[str, ServiceImage] = {}
    for service, image in (images or {}).items():
        key = f"ProliferateStack.images[{service!r}]"
        if service not in STACK_SERVICES:
            raise ConfigError(key, image, f"a service among {', '.join(STACK_SERVICES)}")
        if isinstance(image, str):
            image = ServiceImage(image=image)
        if image.image is not None and image.build_context is not None:
            raise ConfigError(key, image, "an image reference or a build context, not both")
        if isinstance(image.image, str) and (
            not image.image or any(c.isspace() for c in image.image)
        ):
            raise ConfigError(key, image.image, "an image reference such as registry/repo:tag")
        out[service] = image
    for service, spec in specs.items():
        key = f"ProliferateStack.service_specs[{service!r}]"
        if service not in STACK_SERVICES:
            raise ConfigError(key, spec, f"a service among {', '.join(STACK_SERVICES)}")
        if not 1 <= spec.port <= 65535:
            raise ConfigError(f"{key}.port", spec.port, "a TCP port from 1 to 65535")
        if service in ("worker", "migrations") and spec.behind_load_balancer:
            raise ConfigError(
                f"{key}.behind_load_balancer",
                True,
                f"False: the {service} is reachable from nothing",
            )
    return out
