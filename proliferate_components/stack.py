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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import pulumi
import pulumi_aws as aws

from ._args import coerce_args, register_outputs
from ._options import physical_name
from .accesslogs import AccessLogBucket, AccessLogBucketArgs
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
from .constraints import PythonOnly
from .contract import (
    MigrationRunner,
    PlatformContract,
    PlatformUrls,
    ServiceContract,
)
from .database import PostgresDb, PostgresDbArgs
from .dns import AliasTarget, DnsHosts, DnsTls, DnsTlsArgs, hosts_for_domain
from .environment import config_key, missing_required, plain_environment, service_keys
from .errors import ConfigError
from .kms import EncryptionKey, EncryptionKeyArgs
from .loadbalancer import LbRoute, PublicLoadBalancer, PublicLoadBalancerArgs
from .network import Network, NetworkArgs
from .platform import PLATFORM_SERVICES, env_keys, health_check_command
from .secrets import SecretsBundle, SecretsBundleArgs
from .service import (
    AutoscalingArgs,
    CaBundleArgs,
    FargateService,
    FargateServiceArgs,
    service_security_group,
)

__all__ = [
    "DEFAULT_SERVICE_SPECS",
    "STACK_SERVICES",
    "ProliferateStack",
    "ProliferateStackArgs",
    "ServiceImage",
    "ServiceSpec",
    "exec_log_group_name",
    "exec_log_statements",
]

STACK_SERVICES: tuple[str, ...] = (
    "worker",
    "llm-proxy",
    "gateway",
    "web",
    "trigger-service",
    "migrations",
)
"""Every service the stack can run (``web`` only with ``enable_web``, ``trigger-service``
only with ``enable_trigger_service``; ``migrations`` is a task definition for one-off
runs)."""


def exec_log_group_name(name: str, stack: str, cluster_name: str | None) -> str:
    """The ECS Exec log group of the stack component ``name`` in ``stack``:
    ``/aws/ecs/<cluster name>`` as terraform-aws-modules/ecs names it, for an adopted
    cluster (``cluster_name``, ``proliferate:adopt.clusterName``); else
    ``/aws/ecs/<name>-<stack>`` (a generated cluster name is only known once the cluster
    exists, and the cluster's configuration names the group)."""
    return f"/aws/ecs/{cluster_name or physical_name(name, stack, max_length=200)}"


def exec_log_statements(group_name: str) -> list[dict[str, Any]]:
    """What a task role needs to record its ECS Exec sessions in the cluster's log group
    ``group_name`` (logging ``OVERRIDE``): write to that group, and find it."""
    group = f"arn:aws:logs:*:*:log-group:{group_name}"
    return [
        {
            "Sid": "EcsExecLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": [group, f"{group}:*"],
        },
        {
            "Sid": "EcsExecLogGroups",
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": "*",
        },
    ]


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
    path_on_every_host: bool = False
    """Route by ``route_prefix`` on every host, with a domain too (the trigger service lives
    under ``/trigger-service`` of whatever host a webhook calls, so it needs no DNS name or
    certificate of its own)."""


def _spec(service: str, **routing: Any) -> ServiceSpec:
    platform = PLATFORM_SERVICES[service]
    return ServiceSpec(
        port=platform.port or 8080,
        health_check_path=platform.health_path or "/",
        **routing,
    )


DEFAULT_SERVICE_SPECS: Mapping[str, ServiceSpec] = {
    "worker": _spec("worker", behind_load_balancer=False),
    "llm-proxy": _spec(
        "llm-proxy",
        behind_load_balancer=True,
        route_prefix="/llm-proxy",
        host_label="llm",
        priority=10,
    ),
    "gateway": _spec(
        "gateway",
        behind_load_balancer=True,
        route_prefix="/gateway",
        host_label="gateway",
        priority=20,
    ),
    "web": _spec("web", behind_load_balancer=True, priority=30),
    "trigger-service": _spec(
        "trigger-service",
        behind_load_balancer=True,
        route_prefix="/trigger-service",
        priority=5,
        path_on_every_host=True,
    ),
    "migrations": _spec("migrations", behind_load_balancer=False),
}
"""Ports and health endpoints from the platform contract
(:data:`~proliferate_components.platform.PLATFORM_SERVICES`: worker 8080 ``/health``,
llm-proxy 4000 ``/health/liveliness``, gateway 8787 ``/health``, web 3000 ``/api/health``,
trigger-service 3001 ``/health``), with the load balancer routing of each. Override per
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


@dataclass(frozen=True)
class _Urls:
    """The public URLs the services are given."""

    app: pulumi.Output[str]
    gateway: pulumi.Output[str]
    llm_proxy: pulumi.Output[str]
    trigger: pulumi.Output[str] | None


_PYTHON_OBJECT = PythonOnly("the stack outputs (appUrl, clusterName, ...)")


@dataclass(frozen=True, kw_only=True)
class ProliferateStackArgs:
    """Arguments of :class:`ProliferateStack` from other languages (through the component
    provider, see docs/languages.md). From Python, pass a :class:`StackConfig` and keywords
    instead; these fields mean the same as those keywords."""

    config: StackConfig = field(default_factory=StackConfig)
    """The stack configuration. Default: the dev profile's defaults."""
    images: Mapping[str, str] | None = None
    """Per service, an image reference. Default: each service's own ECR repository with
    ``config.image_tag``."""
    user_secret_values: Mapping[str, pulumi.Input[str]] | None = None
    """Secret values by environment key (API keys, ...). Default: read from Pulumi secret
    config ``proliferate:<KEY>``."""
    settings: Mapping[str, str] | None = None
    """Plain platform settings by environment key. Default: read from Pulumi config
    ``proliferate:<KEY>``."""
    strict_secrets: bool | None = None
    """What a missing required secret or setting does. Default: warn in previews, fail in
    ``pulumi up``."""
    access_logs_bucket: str | None = None
    """An existing S3 bucket for the load balancer's access logs. Default: the stack's own
    bucket with ``config.alb_access_logs``, else none."""


def _init_from_args(
    self: "ProliferateStack",
    name: str,
    args: ProliferateStackArgs,
    opts: pulumi.ResourceOptions | None = None,
) -> None:
    """The component provider's constructor: ``args`` as the Python keywords."""
    a = coerce_args(ProliferateStackArgs, args, key="ProliferateStack.args")
    ProliferateStack.__init__(
        self,
        name,
        a.config,
        opts,
        images=a.images,
        user_secret_values=a.user_secret_values,
        settings=a.settings,
        strict_secrets=a.strict_secrets,
        access_logs_bucket=a.access_logs_bucket,
    )


class ProliferateStack(pulumi.ComponentResource):
    """Every AWS resource of a self-hosted Proliferate deployment, from one :class:`StackConfig`.

    Args:
        name: component name; every child name is derived from it (below).
        config: the validated stack configuration (e.g. ``StackConfig.from_pulumi_config()``).
        opts: resource options of the component.
        images: per service (``worker``, ``llm-proxy``, ``gateway``, ``web``,
            ``trigger-service``, ``migrations``), a :class:`ServiceImage` or an image
            reference string. Default: each service's own ECR repository with
            ``config.image_tag`` (the migrations task: the worker's image).
        user_secret_values: secret values by environment key (API keys, an external
            ``DATABASE_URL`` when ``enable_rds`` is false, ...). Default ``None``: read from
            Pulumi secret config ``proliferate:<KEY>``.
        settings: plain platform settings by environment key (e.g.
            ``{"DEFAULT_SANDBOX_PROVIDER": "e2b"}``). Default ``None``: read from Pulumi
            config ``proliferate:<KEY>``.
        strict_secrets: what a missing required secret or setting does (see
            :attr:`SecretsBundleArgs.strict`). Default ``None``: warn in previews, fail in
            ``pulumi up``.
        service_specs: per-service overrides of :data:`DEFAULT_SERVICE_SPECS`.
        access_logs_bucket: an existing S3 bucket (its policy must allow ELB log delivery)
            for the load balancer's access logs. Default ``None``: the stack's own
            ``N-access-logs`` bucket with ``alb_access_logs``, else no access logs.

    Children (names are a public contract; ``N`` = ``name``), in the order they are made:

    - ``N-network`` (:class:`Network`), ``N-cluster`` (``aws.ecs.Cluster``, Container
      Insights enabled, ECS Exec sessions logged to ``N-cluster-exec-logs``),
      ``N-cluster-exec-logs`` (``aws.cloudwatch.LogGroup`` ``/aws/ecs/<cluster name>``, as
      terraform-aws-modules/ecs names it; ``logRetentionDays``, the stack's key) and
      ``N-cluster-capacity-providers`` (``aws.ecs.ClusterCapacityProviders``: ``FARGATE``
      and ``FARGATE_SPOT``, default strategy ``FARGATE``; the services set their launch
      type, so nothing moves);
    - ``N-key`` (:class:`EncryptionKey`, only with ``customer_managed_key``);
    - ``N-dns`` (:class:`DnsTls`, only with ``manage_dns``), ``N-access-logs``
      (:class:`AccessLogBucket`, only with ``alb_access_logs``);
    - ``N-lb`` (:class:`PublicLoadBalancer`; routes ``llm-proxy``, ``gateway``, ``web``,
      ``trigger-service``);
    - every service's security group and rules, **before any data store or service**:
      ``N-<service>-sg``, ``N-<service>-ingress-0`` (from the load balancer, for a routed
      service) and ``N-<service>-egress`` (they were children of the service's
      :class:`FargateService` before 0.2 and keep their identity through aliases);
    - ``N-redis`` (:class:`RedisCache`), ``N-postgres`` (:class:`PostgresDb`, only with
      ``enable_rds``), and ``N-redis-from-<service>``, ``N-postgres-from-<service>``:
      ingress rules on the data stores' groups from each service that reads their URL;
    - ``N-secrets`` (:class:`SecretsBundle`);
    - ``N-worker``, ``N-llm-proxy``, ``N-gateway``, ``N-web`` (only with ``enable_web``),
      ``N-trigger-service`` (only with ``enable_trigger_service``) (:class:`FargateService`,
      each with its own execution role ``N-<service>-execution`` reading exactly its
      secrets, repository and log group, and its ECS service ``N-<service>-service``, which
      waits for the listener, its listener rule and its data-store rules);
    - ``N-migrations`` (:class:`FargateService` with ``create_service=False``: the task
      definition ``N-migrations-task`` running the worker's image, no ECS service).

    Outputs: :attr:`contract` (the cloud-neutral :class:`PlatformContract`) and
    :meth:`export_outputs` exports its stack outputs (``appUrl``, ``gatewayUrl``,
    ``llmProxyUrl``, ``databaseUrl`` and ``redisUrl`` as secrets, the repository URLs,
    ``clusterName``, ``albDnsName``, the four ``migrations*`` outputs, and ``nameServers`` /
    ``hostedZoneId`` with ``manage_dns``). The same values are typed attributes
    (:attr:`app_url`, :attr:`database_url`, :attr:`repository_urls`, ...), registered as the
    component's outputs: what other languages read through the component provider.
    """

    _type_token = "proliferate:stack:ProliferateStack"
    _provider_init = _init_from_args
    """How the component provider constructs it (one ``args`` object)."""

    # The Python objects the stack keeps for Python programs; other languages read the
    # outputs below instead.
    contract: Annotated[PlatformContract, _PYTHON_OBJECT]
    network: Annotated[Network, _PYTHON_OBJECT]
    cluster: Annotated[aws.ecs.Cluster, _PYTHON_OBJECT]
    cluster_exec_logs: Annotated[aws.cloudwatch.LogGroup, _PYTHON_OBJECT]
    cluster_capacity_providers: Annotated[aws.ecs.ClusterCapacityProviders, _PYTHON_OBJECT]
    key: Annotated[EncryptionKey | None, _PYTHON_OBJECT]
    access_logs: Annotated[AccessLogBucket | None, _PYTHON_OBJECT]
    load_balancer: Annotated[PublicLoadBalancer, _PYTHON_OBJECT]
    dns: Annotated[DnsTls | None, _PYTHON_OBJECT]
    security_groups: Annotated[dict[str, aws.ec2.SecurityGroup], _PYTHON_OBJECT]
    redis: Annotated[RedisCache, _PYTHON_OBJECT]
    postgres: Annotated[PostgresDb | None, _PYTHON_OBJECT]
    secrets: Annotated[SecretsBundle, _PYTHON_OBJECT]
    services: Annotated[dict[str, FargateService], _PYTHON_OBJECT]

    app_url: pulumi.Output[str]
    """The web app's public URL (``appUrl``)."""
    gateway_url: pulumi.Output[str]
    """The gateway's public URL, where clients open WebSockets (``gatewayUrl``)."""
    llm_proxy_url: pulumi.Output[str]
    """The LLM proxy's public URL (``llmProxyUrl``)."""
    database_url: pulumi.Output[str]
    """Secret ``DATABASE_URL`` the services are given (``databaseUrl``)."""
    redis_url: pulumi.Output[str]
    """Secret ``REDIS_URL`` the services are given (``redisUrl``)."""
    cluster_name: pulumi.Output[str]
    """The ECS cluster's name (``clusterName``)."""
    alb_dns_name: pulumi.Output[str]
    """The load balancer's DNS name: point a CNAME here without ``manage_dns``."""
    repository_urls: pulumi.Output[dict[str, str]]
    """Per service, the ECR repository its image is pushed to (the migrations task: the
    worker's)."""
    service_names: pulumi.Output[dict[str, str]]
    """Per long-running service, its ECS service name."""
    migrations_cluster_arn: pulumi.Output[str]
    """Where the migrations task runs (``aws ecs run-task --cluster``)."""
    migrations_task_definition_arn: pulumi.Output[str]
    """The migrations task definition."""
    migrations_subnet_ids: pulumi.Output[Sequence[str]]
    """Private subnets for the migrations task."""
    migrations_security_group_ids: pulumi.Output[Sequence[str]]
    """Security groups of the migrations task."""
    name_servers: pulumi.Output[Sequence[str]] | None
    """With ``manage_dns``: the hosted zone's name servers (delegate the domain to them)."""
    hosted_zone_id: pulumi.Output[str] | None
    """With ``manage_dns``: the Route53 hosted zone's id."""

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
        _check_environment_config(settings is None, user_secret_values is None)
        the_settings = dict(settings) if settings is not None else _settings_from_config()
        for service in STACK_SERVICES:  # bad settings fail here, before any registration
            keys = service_keys(service).environment
            plain_environment(service, {k: v for k, v in the_settings.items() if k in keys})
        running = [s for s in STACK_SERVICES if s != "migrations" and _enabled(config, s)]
        missing = _missing_settings(running, the_settings)
        strict = strict_secrets if strict_secrets is not None else not pulumi.runtime.is_dry_run()
        if missing and strict:
            raise ConfigError(
                "ProliferateStack: required settings",
                missing,
                "set each with `pulumi config set "
                + " / ".join(config_key(m) for m in missing[:3])
                + (" ..." if len(missing) > 3 else "")
                + " <value>` (the platform's schema refuses to start without them)",
            )
        super().__init__(self._type_token, name, None, opts)
        if missing:
            pulumi.log.warn(
                f"{name}: required settings without a value: {', '.join(missing)}. The services "
                "would fail their start-up validation; `pulumi up` refuses to deploy until they "
                f"are set (pulumi config set {config_key(missing[0])} ...).",
                resource=self,
            )
        self._name = name
        self._config = config
        self._specs = specs
        self._running = running
        self._routed = [s for s in running if specs[s].behind_load_balancer]
        self._adopt = config.adopt or AdoptConfig()

        self._network_and_cluster()
        urls = self._edge(access_logs_bucket)
        self._security_groups()
        database_url = self._data_tier()
        self.secrets = SecretsBundle(
            f"{name}-secrets",
            SecretsBundleArgs(
                database_url=database_url,
                redis_url=self.redis.redis_url,
                user_values=user_secret_values,
                settings=the_settings,
                strict=strict_secrets,
                protect=config.protect_data_stores,
                kms_key_id=self._key_arn,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        contracts = self._services(urls, the_settings, the_images)
        self._finish(urls, contracts, _database_url(user_secret_values, database_url))

    # -- steps, in the order resources are made -------------------------------------------

    def _names_of(self, service: str) -> AdoptService:
        names = self._adopt.services.get(service) or AdoptService()
        if service == "worker" and names.execution_role_name is None:
            # 0.1's shared execution role (or a Terraform deployment's one role) becomes the
            # worker's: it keeps its name and nobody else's permissions.
            names = replace(names, execution_role_name=self._adopt.execution_role_name)
        return names

    def _network_and_cluster(self) -> None:
        name, config = self._name, self._config
        net = self._adopt.network or AdoptNetwork()
        self._encryption_key()
        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                cidr_block=config.vpc_cidr,
                availability_zone_count=config.az_count,
                nat_strategy=config.nat_strategy,
                enable_flow_logs=config.enable_flow_logs,
                flow_log_retention_days=config.flow_log_retention_days,
                manage_default_network_acl=config.manage_default_network_acl,
                flow_log_kms_key_id=self._key_arn,
                availability_zones=net.availability_zones,
                public_subnet_cidrs=net.public_subnet_cidrs,
                private_subnet_cidrs=net.private_subnet_cidrs,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._cluster()

    def _cluster(self) -> None:
        """``N-cluster`` with its ECS Exec log group and capacity providers, as
        terraform-aws-modules/ecs's cluster module makes them."""
        name, config = self._name, self._config
        child = pulumi.ResourceOptions(parent=self)
        self._exec_log_group = exec_log_group_name(
            name, pulumi.get_stack(), self._adopt.cluster_name
        )
        self.cluster_exec_logs = aws.cloudwatch.LogGroup(
            f"{name}-cluster-exec-logs",
            name=self._exec_log_group,
            retention_in_days=config.log_retention_days,
            kms_key_id=self._key_arn,
            tags={"Name": f"{name}-cluster-exec-logs"},
            opts=child,
        )
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=self._adopt.cluster_name,
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            configuration=aws.ecs.ClusterConfigurationArgs(
                execute_command_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationArgs(
                    logging="OVERRIDE",
                    # No encryption requirement on the session logs (the group itself is
                    # encrypted with the stack's key when it has one), spelt out as AWS
                    # reports it so an adopted cluster shows no change.
                    log_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgs(
                        cloud_watch_log_group_name=self.cluster_exec_logs.name,
                        cloud_watch_encryption_enabled=False,
                        s3_bucket_encryption_enabled=False,
                    ),
                )
            ),
            tags={"Name": f"{name}-cluster"},
            opts=child,
        )
        # FARGATE as the default strategy: what a service or task without a launch type or
        # strategy used before (the stack's services set launch type FARGATE anyway).
        self.cluster_capacity_providers = aws.ecs.ClusterCapacityProviders(
            f"{name}-cluster-capacity-providers",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[
                aws.ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs(
                    capacity_provider="FARGATE", base=0, weight=1
                )
            ],
            opts=child,
        )

    def _encryption_key(self) -> None:
        self.key = None
        self._key_arn: pulumi.Output[str] | None = None
        if self._config.customer_managed_key:
            self.key = EncryptionKey(
                f"{self._name}-key",
                EncryptionKeyArgs(protect=self._config.protect_data_stores),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self._key_arn = self.key.arn

    def _edge(self, access_logs_bucket: str | None) -> _Urls:
        """DNS/TLS, the access-log bucket, the load balancer, and the public URLs."""
        name, config = self._name, self._config
        child = pulumi.ResourceOptions(parent=self)
        self.dns = None
        certificate_arn: pulumi.Input[str] | None = config.certificate_arn
        if config.manage_dns and config.domain_name is not None:
            self.dns = DnsTls(
                f"{name}-dns",
                DnsTlsArgs(
                    domain_name=config.domain_name,
                    hosted_zone_id=config.hosted_zone_id,
                    protect_zone=config.protect_data_stores,
                ),
                opts=child,
            )
            if certificate_arn is None:
                certificate_arn = self.dns.certificate_arn
        self.access_logs = None
        logs_bucket: pulumi.Input[str] | None = access_logs_bucket
        if logs_bucket is None and config.alb_access_logs:
            self.access_logs = AccessLogBucket(
                f"{name}-access-logs",
                AccessLogBucketArgs(
                    prefix=f"{name}-lb", retention_days=config.access_log_retention_days
                ),
                opts=child,
            )
            logs_bucket = self.access_logs.bucket
        hosts = hosts_for_domain(config.domain_name) if config.domain_name else None
        lb_names = self._adopt.load_balancer or AdoptLoadBalancer()
        self.load_balancer = PublicLoadBalancer(
            f"{name}-lb",
            PublicLoadBalancerArgs(
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.public_subnet_ids,
                routes=tuple(self._route(s, hosts) for s in self._routed),
                enable_https=config.enable_https,
                certificate_arn=certificate_arn if config.enable_https else None,
                deletion_protection=config.profile == "prod",
                access_logs_bucket=logs_bucket,
                name=lb_names.name,
                security_group_name=lb_names.security_group_name,
                security_group_description=lb_names.security_group_description,
            ),
            opts=child,
        )
        lb = self.load_balancer
        if self.dns is not None:
            web = "web" in self._running
            roles = ("app", "gateway", "llm-proxy") if web else ("gateway", "llm-proxy")
            self.dns.alias_to(AliasTarget(dns_name=lb.dns_name, zone_id=lb.zone_id), roles=roles)
        return self._urls(hosts)

    def _route(self, service: str, hosts: DnsHosts | None) -> LbRoute:
        spec = self._specs[service]
        if hosts is not None and spec.path_on_every_host:
            host, prefix = None, spec.route_prefix
        elif hosts is not None:
            host = hosts.app if spec.host_label is None else f"{spec.host_label}.{hosts.app}"
            prefix = None
        else:
            host, prefix = None, spec.route_prefix
        return LbRoute(
            name=service,
            port=spec.port,
            priority=spec.priority,
            host=host,
            path_prefix=prefix,
            is_default=spec.host_label is None and spec.route_prefix is None,
            health_check_path=spec.health_check_path,
            deregistration_delay_seconds=60 if service == "gateway" else 30,
            target_group_name=self._names_of(service).target_group_name,
        )

    def _urls(self, hosts: DnsHosts | None) -> _Urls:
        lb = self.load_balancer
        scheme = "https" if self._config.enable_https else "http"
        if hosts is not None:
            app = pulumi.Output.from_input(f"{scheme}://{hosts.app}")
            gateway_http = pulumi.Output.from_input(f"{scheme}://{hosts.gateway}")
            llm_proxy = pulumi.Output.from_input(f"{scheme}://{hosts.llm_proxy}")
        else:
            app = lb.base_url
            gateway_http = lb.urls["gateway"]
            llm_proxy = lb.urls["llm-proxy"]
        trigger: pulumi.Output[str] | None = None
        if "trigger-service" in self._routed:
            prefix = self._specs["trigger-service"].route_prefix or ""
            if hosts is not None:  # a host with a DNS record and a certificate name
                host = hosts.app if "web" in self._running else hosts.gateway
                trigger = pulumi.Output.from_input(f"{scheme}://{host}{prefix}")
            else:
                trigger = lb.urls["trigger-service"]
        return _Urls(
            app=app,
            gateway=gateway_http.apply(lambda u: "ws" + u[len("http") :]),
            llm_proxy=llm_proxy,
            trigger=trigger,
        )

    def _security_groups(self) -> None:
        """Every service's group and rules, before any data store or service exists."""
        name, lb = self._name, self.load_balancer
        self.security_groups = {}
        for service in [*self._running, "migrations"]:
            names = self._names_of(service)
            routed = service in self._routed
            group = service_security_group(
                self,
                f"{name}-{service}",
                vpc_id=self.network.vpc_id,
                port=self._specs[service].port,
                sources=[lb.security_group_id] if routed else [],
                group_name=names.security_group_name,
                description=names.security_group_description,
                aliases_parent=pulumi.create_urn(
                    f"{name}-{service}", "proliferate:service:FargateService", parent=self
                ),
            )
            self.security_groups[service] = group
            if routed:
                lb.allow_egress_to(service, group.id)

    def _data_tier(self) -> pulumi.Output[str] | None:
        """Redis, PostgreSQL and their ingress rules from the services that read them.

        Returns the database URL the stack made (``None`` without ``enable_rds``)."""
        name, config = self._name, self._config
        child = pulumi.ResourceOptions(parent=self)
        protect = config.protect_data_stores
        redis_names = self._adopt.redis or AdoptRedis()
        db_names = self._adopt.database or AdoptDatabase()
        self.redis = RedisCache(
            f"{name}-redis",
            RedisCacheArgs(
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.private_subnet_ids,
                allowed_security_group_ids=[],
                node_type=config.redis_cache_node_type,
                engine=config.redis_engine,
                engine_version=config.redis_engine_version,
                num_cache_clusters=config.redis_num_cache_clusters,
                allow_single_node=config.redis_allow_single_node,
                snapshot_retention_days=config.redis_snapshot_retention_days,
                kms_key_id=self._key_arn,
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
        if config.enable_rds:
            self.postgres = PostgresDb(
                f"{name}-postgres",
                PostgresDbArgs(
                    vpc_id=self.network.vpc_id,
                    subnet_ids=self.network.private_subnet_ids,
                    allowed_security_group_ids=[],
                    instance_class=config.db_instance_class,
                    engine_version=config.db_engine_version,
                    allocated_storage_gib=config.db_allocated_storage_gib,
                    max_allocated_storage_gib=config.db_max_allocated_storage_gib,
                    multi_az=config.db_multi_az,
                    backup_retention_days=config.db_backup_retention_days,
                    performance_insights=config.db_performance_insights,
                    monitoring_interval_seconds=config.db_monitoring_interval_seconds,
                    query_logging=config.db_query_logging,
                    iam_authentication=config.db_iam_authentication,
                    kms_key_id=self._key_arn,
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
        # The rules exist as soon as both groups do (long before the stores are available),
        # and each service waits for its own: no task starts before it may connect.
        self._store_rules: dict[str, list[pulumi.Resource]] = {}
        for service in [*self._running, "migrations"]:
            reads = {v.env_name for v in env_keys(service) if v.secret}
            rules: list[pulumi.Resource] = []
            if "REDIS_URL" in reads:
                rules.append(self._admit("redis", self.redis.security_group_id, service, 6379))
            if self.postgres is not None and "DATABASE_URL" in reads:
                rules.append(
                    self._admit("postgres", self.postgres.security_group_id, service, 5432)
                )
            self._store_rules[service] = rules
        return self.postgres.database_url if self.postgres is not None else None

    def _admit(
        self, store: str, store_group: pulumi.Input[str], service: str, port: int
    ) -> aws.vpc.SecurityGroupIngressRule:
        return aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-{store}-from-{service}",
            security_group_id=store_group,
            referenced_security_group_id=self.security_groups[service].id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"port {port} from {service}",
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _services(
        self,
        urls: _Urls,
        settings: Mapping[str, str],
        images: Mapping[str, ServiceImage],
    ) -> dict[str, ServiceContract]:
        derived: dict[str, pulumi.Input[str]] = {
            "NEXT_PUBLIC_APP_URL": urls.app,
            "NEXT_PUBLIC_API_URL": urls.app,
            "NEXT_PUBLIC_GATEWAY_URL": urls.gateway,
            "LLM_PROXY_URL": urls.llm_proxy,
        }
        if urls.trigger is not None:
            derived["TRIGGER_SERVICE_URL"] = urls.trigger
        self.services = {}
        contracts: dict[str, ServiceContract] = {}
        for service in [*self._running, "migrations"]:
            image = images.get(service)
            image_ref: pulumi.Input[str] | None = image.image if image else None
            repository_arns: list[pulumi.Input[str]] = []
            if PLATFORM_SERVICES[service].image_of is not None and image is None:
                # The migrations task runs the worker's image, as upstream's migrate job does.
                source = PLATFORM_SERVICES[service].image_of or ""
                image_ref = contracts[source].image
                repository_arns = [self.services[source].repository_arn.apply(lambda a: a or "")]
            environment = self._environment(service, settings, derived)
            svc = FargateService(
                f"{self._name}-{service}",
                self._service_args(service, image, image_ref, repository_arns, environment),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.services[service] = svc
            contracts[service] = ServiceContract(
                name=service,
                image=(
                    pulumi.Output.from_input(image_ref)
                    if image_ref is not None
                    else svc.repository_url.apply(lambda u: f"{u}:{self._config.image_tag}")
                ),
                environment=environment,
                secrets=self.secrets.secrets_for(service),
                url={
                    "web": urls.app,
                    "gateway": urls.gateway,
                    "llm-proxy": urls.llm_proxy,
                    "trigger-service": urls.trigger,
                }.get(service),
            )
        return contracts

    def _environment(
        self, service: str, settings: Mapping[str, str], derived: Mapping[str, pulumi.Input[str]]
    ) -> dict[str, pulumi.Input[str]]:
        """Plain settings of ``service``: what it reads (platform contract), values first."""
        platform, port = PLATFORM_SERVICES[service], self._specs[service].port
        keys = service_keys(service).environment
        environment: dict[str, pulumi.Input[str]] = dict(
            plain_environment(service, {k: v for k, v in settings.items() if k in keys})
        )
        environment.update({k: v for k, v in derived.items() if k in keys})
        environment.update({k: str(port) for k in platform.port_environment})
        environment.update(platform.environment)
        return environment

    def _service_args(
        self,
        service: str,
        image: ServiceImage | None,
        image_ref: pulumi.Input[str] | None,
        repository_arns: list[pulumi.Input[str]],
        environment: Mapping[str, pulumi.Input[str]],
    ) -> FargateServiceArgs:
        config, spec = self._config, self._specs[service]
        platform = PLATFORM_SERVICES[service]
        sizing = config.service_sizing(platform.image_service)
        desired = 0 if service == "migrations" else sizing.desired_count
        names = self._names_of(service)
        routed = service in self._routed
        readonly = config.readonly_root_filesystem and platform.readonly_root
        lb = self.load_balancer
        return FargateServiceArgs(
            cluster_arn=self.cluster.arn,
            vpc_id=self.network.vpc_id,
            subnet_ids=self.network.private_subnet_ids,
            image=image_ref,
            image_repository_arns=repository_arns,
            build_context=image.build_context if image else None,
            dockerfile=image.dockerfile if image else None,
            create_repository=platform.image_of is None or image is not None,
            image_tag=config.image_tag,
            image_tag_mutability=(
                "IMMUTABLE_WITH_EXCLUSION" if config.mutable_tags else "IMMUTABLE"
            ),
            mutable_tags=config.mutable_tags,
            cpu=sizing.cpu,
            memory_mib=sizing.memory_mib,
            container_port=spec.port,
            container_name=service,
            container_health_check=platform.health_path is not None,
            health_check_command=(
                health_check_command(platform.runtime, spec.port, spec.health_check_path)
                if platform.health_path is not None
                else None
            ),
            health_check_path=spec.health_check_path,
            health_check_start_period_seconds=platform.start_period_seconds,
            command=platform.command,
            working_directory=platform.working_directory,
            ca_bundle=(
                CaBundleArgs(runtime=platform.runtime, combined=platform.rds_ca == "combined")
                if platform.rds_ca is not None and self.postgres is not None
                else None
            ),
            readonly_root_filesystem=readonly,
            scratch_paths=platform.writable_paths if readonly else (),
            environment=environment,
            secrets=self.secrets.secrets_for(service),
            kms_key_arn=self._key_arn,
            desired_count=desired,
            security_group_id=self.security_groups[service].id,
            service_depends_on=[
                *(lb.route_dependencies(service) if routed else []),
                *self._store_rules[service],
            ],
            target_group_arn=lb.target_group_arns[service] if routed else None,
            autoscaling=(
                AutoscalingArgs(
                    min_capacity=max(desired, 1), max_capacity=config.autoscaling_max_count
                )
                if config.enable_autoscaling and service != "migrations" and desired >= 1
                else None
            ),
            enable_execute_command=config.enable_execute_command,
            task_role_policy_statements=self._exec_statements(),
            retention_days=config.log_retention_days,
            create_service=service != "migrations",
            service_name=names.service_name,
            repository_name=names.repository_name,
            log_group_name=names.log_group_name,
            task_role_name=names.task_role_name,
            execution_role_name=names.execution_role_name,
            execution_policy_name=names.execution_policy_name,
            task_family=names.task_family,
        )

    def _exec_statements(self) -> list[dict[str, Any]]:
        """With ECS Exec on: what a task role needs to log its sessions to the cluster's
        exec log group (else nothing)."""
        if not self._config.enable_execute_command:
            return []
        return exec_log_statements(self._exec_log_group)

    def _finish(
        self, urls: _Urls, contracts: dict[str, ServiceContract], database_url: pulumi.Output[str]
    ) -> None:
        migrations = self.services["migrations"]
        private = self.network.private_subnet_ids
        runner = MigrationRunner(
            cluster_arn=self.cluster.arn,
            task_definition_arn=migrations.task_definition_arn,
            subnet_ids=pulumi.Output.all(*private).apply(lambda ids: [str(i) for i in ids]),
            security_group_ids=migrations.security_group_id.apply(lambda sg: [sg]),
        )
        # Where each service's image is pushed (the migrations task runs the worker's image).
        repository_urls: dict[str, pulumi.Output[str]] = {
            s: self.services[PLATFORM_SERVICES[s].image_service].repository_url.apply(
                lambda u: u or ""
            )
            for s in self.services
        }
        lb = self.load_balancer
        self.contract = PlatformContract(
            urls=PlatformUrls(app=urls.app, gateway=urls.gateway, llm_proxy=urls.llm_proxy),
            services=contracts,
            database_url=database_url,
            redis_url=self.redis.redis_url,
            migrations=runner,
            repository_urls=repository_urls,
            cluster_name=self.cluster.name,
            load_balancer_dns_name=lb.dns_name,
            name_servers=self.dns.name_servers if self.dns is not None else None,
            hosted_zone_id=self.dns.zone_id if self.dns is not None else None,
            service_names={
                s: svc.service_name for s, svc in self.services.items() if s != "migrations"
            },
        )
        self.app_url, self.gateway_url, self.llm_proxy_url = urls.app, urls.gateway, urls.llm_proxy
        self.database_url = pulumi.Output.secret(database_url)
        self.redis_url = pulumi.Output.secret(self.redis.redis_url)
        self.cluster_name = self.cluster.name
        self.alb_dns_name = lb.dns_name
        self.repository_urls = pulumi.Output.all(**repository_urls).apply(
            lambda v: {k: str(u) for k, u in v.items()}
        )
        running = {s: svc.service_name for s, svc in self.services.items() if s != "migrations"}
        self.service_names = pulumi.Output.all(**running).apply(
            lambda v: {k: str(n) for k, n in v.items() if n}
        )
        self.migrations_cluster_arn = runner.cluster_arn
        self.migrations_task_definition_arn = runner.task_definition_arn
        self.migrations_subnet_ids = runner.subnet_ids
        self.migrations_security_group_ids = runner.security_group_ids
        self.name_servers = None if self.dns is None else self.dns.name_servers
        self.hosted_zone_id = None if self.dns is None else self.dns.zone_id
        register_outputs(
            self,
            "app_url",
            "gateway_url",
            "llm_proxy_url",
            "database_url",
            "redis_url",
            "cluster_name",
            "alb_dns_name",
            "repository_urls",
            "service_names",
            "migrations_cluster_arn",
            "migrations_task_definition_arn",
            "migrations_subnet_ids",
            "migrations_security_group_ids",
            "name_servers",
            "hosted_zone_id",
        )

    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        """The stack outputs (see :meth:`PlatformContract.outputs`)."""
        return self.contract.outputs()

    def export_outputs(self) -> None:
        """``pulumi.export`` every stack output of :meth:`outputs` (call it from the program)."""
        for key, value in self.outputs().items():
            pulumi.export(key, value)


def _missing_settings(running: list[str], settings: Mapping[str, str]) -> list[str]:
    """Plain keys the running services require (given ``settings``) that have no value and
    no default, in environment order: e.g. ``GITHUB_APP_ID`` unless Nango handles GitHub."""
    out: list[str] = []
    for service in running:
        for name in missing_required(settings, names=service_keys(service).environment):
            if name not in out:
                out.append(name)
    return out


def _enabled(config: StackConfig, service: str) -> bool:
    if service == "web":
        return config.enable_web
    if service == "trigger-service":
        return config.enable_trigger_service
    return True


def _check_environment_config(settings: bool, secrets: bool) -> None:
    from .secrets import check_environment_config

    check_environment_config(settings=settings, secrets=secrets)


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
