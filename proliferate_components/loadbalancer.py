"""The public entry point: one Application Load Balancer in front of gateway, llm-proxy and web.

Why an ALB and not an NLB (the spec leaves "ALB or NLB for WebSocket connections" open):

- an ALB upgrades WebSocket connections natively on its HTTP and HTTPS listeners, so the
  gateway needs nothing special (reference.md, "AWS facts");
- it terminates TLS with an ACM certificate and a managed TLS policy, redirects HTTP to HTTPS
  and routes by host or path, so ONE load balancer serves all three services behind one
  certificate; an NLB would need a listener (port) per service, no redirect and no routing;
- it drops invalid header fields and has HTTP health checks per target group;
- its idle timeout (default 60 s, up to 4000 s) is what ends quiet WebSockets, so it is set
  to :data:`DEFAULT_IDLE_TIMEOUT_SECONDS` (one hour) and is configurable.

Routing (a public contract):

- with host names (a domain): each route matches its ``host`` (``gateway.app.example.com``
  -> gateway, ``llm.app.example.com`` -> llm-proxy, ``app.example.com`` -> web);
- without a domain: each route matches a path prefix (``/gateway``, ``/llm-proxy``) on the
  load balancer's own DNS name; the prefix is stripped with a URL rewrite transform so the
  services see the same paths as behind a host name. The web app, when it runs in the
  stack, takes everything else.

Requests matching no route get a fixed 404. Stickiness is off: the gateway keeps state per
connection, not per client, and a WebSocket stays on its target for its whole life anyway.

Security group: ingress only on 80 (and 443 with HTTPS) from ``0.0.0.0/0`` and ``::/0``;
egress only to each route's target security group on that route's port; each target
security group gets the matching ingress rule from the load balancer, so the services are
reachable from the load balancer only.
"""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import pulumi
import pulumi_aws as aws

from ._args import coerce_args, register_outputs
from .constraints import AwsName, Pattern, Range, check_args
from .errors import ConfigError

__all__ = [
    "DEFAULT_IDLE_TIMEOUT_SECONDS",
    "TLS_POLICY",
    "LbRoute",
    "PublicLoadBalancer",
    "PublicLoadBalancerArgs",
]

DEFAULT_IDLE_TIMEOUT_SECONDS = 3600
"""Idle timeout of the load balancer: one hour, so quiet WebSocket sessions survive."""

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""The HTTPS listener's security policy: TLS 1.3 and 1.2 with forward-secret ciphers only."""

ROUTE_NAME = Pattern(
    r"[a-z][a-z0-9-]{0,20}",
    "1-21 lower-case letters, digits and hyphens starting with a letter",
)
PATH_PREFIX = Pattern(
    r"/[a-z0-9][a-z0-9-]*", "a single path segment such as /gateway (lower-case, no trailing slash)"
)
PORT = Range(1, 65535, unit="TCP port")
RULE_PRIORITY = Range(1, 50000, unit="listener rule priority, lower first")
IDLE_TIMEOUT_SECONDS = Range(1, 4000, unit="seconds, the ALB's range")


@dataclass(frozen=True, kw_only=True)
class LbRoute:
    """One service behind the load balancer."""

    name: Annotated[str, ROUTE_NAME]
    """Route (service) name, e.g. ``gateway``; unique among the routes."""
    port: Annotated[int, PORT]
    """The container port the target group sends traffic to."""
    priority: Annotated[int, RULE_PRIORITY]
    """Listener rule priority, unique among the routes (lower is evaluated first)."""
    host: pulumi.Input[str] | None = None
    """Host header to match (host-based routing); may be another resource's output (a DNS
    record's name). Default ``None``: use ``path_prefix``."""
    path_prefix: Annotated[str, PATH_PREFIX] | None = None
    """Path prefix to match when there is no ``host``, e.g. ``/gateway``; stripped before the
    request reaches the service. Default ``None``."""
    is_default: bool = False
    """Default ``False``. ``True``: requests no other route matches go here (the web app);
    such a route needs neither ``host`` nor ``path_prefix`` (with ``host`` it also gets a
    host rule)."""
    health_check_path: Annotated[str, Pattern(r"/.*", "a path starting with /")] = "/health"
    """HTTP path the target group's health check requests. Default ``/health``."""
    health_check_matcher: str = "200-399"
    """HTTP codes counted as healthy. Default ``200-399``."""
    health_check_interval_seconds: Annotated[int, Range(5, 300, unit="seconds")] = 15
    """Seconds between health checks. Default 15."""
    deregistration_delay_seconds: Annotated[int, Range(0, 3600, unit="seconds")] = 30
    """Seconds a deregistering target keeps its connections (open WebSockets are closed
    after it). Default 30."""
    target_security_group_id: pulumi.Input[str] | None = None
    """The service's security group, when it exists already: the load balancer may reach
    it on ``port`` (egress rule) and it gets an ingress rule from the load balancer on
    ``port``. Default ``None``: nothing is opened; call
    :meth:`PublicLoadBalancer.allow_egress_to` once the service's security group exists
    (and admit :attr:`PublicLoadBalancer.security_group_id` on the service's side)."""
    target_group_name: Annotated[str, AwsName("target_group")] | None = None
    """AWS name of the route's target group ``N-tg-<route>``, unique among the routes.
    Default ``None``: generated by Pulumi. For adopting an existing target group (its name
    is immutable)."""


@dataclass(frozen=True, kw_only=True)
class PublicLoadBalancerArgs:
    """Arguments of :class:`PublicLoadBalancer`."""

    vpc_id: pulumi.Input[str]
    """The VPC of the load balancer and its target groups."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Public subnets, at least two in different availability zones."""
    routes: Sequence[LbRoute] = ()
    """The services behind the load balancer. Default none: every request gets a 404."""
    enable_https: bool = False
    """Default ``False``: one HTTP listener on 80 that forwards. ``True``: an HTTPS listener on
    443 with :data:`TLS_POLICY` and ``certificate_arn``, and the listener on 80 only redirects
    to HTTPS (301)."""
    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate of the HTTPS listener (same region). Required with ``enable_https``."""
    idle_timeout_seconds: Annotated[int, IDLE_TIMEOUT_SECONDS] = DEFAULT_IDLE_TIMEOUT_SECONDS
    """Seconds an idle connection (e.g. a quiet WebSocket) stays open. Default 3600."""
    deletion_protection: bool = False
    """Default ``False``. ``True`` sets the load balancer's deletion protection (``pulumi
    destroy`` then fails until it is turned off)."""
    access_logs_bucket: pulumi.Input[str] | None = None
    """S3 bucket for access logs (its policy must allow ELB log delivery, e.g.
    :class:`~proliferate_components.accesslogs.AccessLogBucket`'s ``bucket``, which resolves
    once that policy exists), written under the prefix ``<component name>``. Default
    ``None``: no access logs."""
    name: Annotated[str, AwsName("load_balancer")] | None = None
    """AWS name of the load balancer ``N-alb``. Default ``None``: generated by Pulumi. For
    adopting an existing ALB (its name is immutable: another name replaces it, and its DNS
    name with it)."""
    security_group_name: Annotated[str, AwsName("security_group")] | None = None
    """AWS name of the security group ``N-sg``. Default ``None``: generated by Pulumi. For
    adopting an existing group (the name is immutable)."""
    security_group_description: Annotated[str, AwsName("security_group_description")] | None = None
    """Description of ``N-sg``. Default ``None``: ``N: public load balancer, 80/443 from the
    internet only``. For adopting an existing group (the description is immutable)."""


class PublicLoadBalancer(pulumi.ComponentResource):
    """An internet-facing ALB with a locked-down security group, listeners and target groups.

    Children (``name`` = this component's name; ``<route>`` = :attr:`LbRoute.name`):

    - ``{name}-sg``: the load balancer's security group, with rules ``{name}-http-ipv4``,
      ``{name}-http-ipv6`` (and ``{name}-https-ipv4``, ``{name}-https-ipv6`` with HTTPS) and
      ``{name}-to-<route>`` (egress to each target: at construction for routes with a
      ``target_security_group_id``, else by :meth:`allow_egress_to`);
    - ``{name}-<route>-from-lb``: ingress rule on a route's ``target_security_group_id``;
    - ``{name}-alb``: the ``aws.lb.LoadBalancer``;
    - ``{name}-tg-<route>``: an ``ip`` target group per route;
    - ``{name}-http`` (and ``{name}-https`` with HTTPS): the listeners;
    - ``{name}-rule-<route>``: a listener rule per routed service.
    """

    _type_token = "proliferate:loadbalancer:PublicLoadBalancer"

    arn: pulumi.Output[str]
    """The load balancer's ARN."""
    dns_name: pulumi.Output[str]
    """The load balancer's DNS name (what a domain's alias record points at)."""
    zone_id: pulumi.Output[str]
    """The load balancer's canonical hosted zone id (for alias records)."""
    security_group_id: pulumi.Output[str]
    """The load balancer's security group (a service admits it on its port)."""
    target_group_arns: dict[str, pulumi.Output[str]]
    """Route name -> its target group's ARN (an ECS service registers its tasks there)."""
    listener_arn: pulumi.Output[str]
    """The listener that routes: HTTPS with ``enable_https``, else HTTP."""
    urls: dict[str, pulumi.Output[str]]
    """Route name -> public base URL (``https://gateway.app.example.com`` or
    ``http://<dns-name>/gateway``)."""
    base_url: pulumi.Output[str]
    """``<scheme>://<dns-name>``."""

    def __init__(
        self,
        name: str,
        args: PublicLoadBalancerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = _validate(coerce_args(PublicLoadBalancerArgs, args, key="PublicLoadBalancer.args"))
        super().__init__(self._type_token, name, None, opts)
        self._name = name
        self._routes = {r.name: r for r in args.routes}
        self._egress_done: set[str] = set()
        self._route_resources: dict[str, list[pulumi.Resource]] = {}
        self._security_group = self._create_security_group(args)
        alb = self._create_load_balancer(args)
        target_groups = self._create_target_groups(args)
        serving = self._create_listeners(args, alb, target_groups)
        self._create_rules(args, serving, target_groups)
        self._set_outputs(args, alb, serving, target_groups)

    def route_dependencies(self, route_name: str) -> list[pulumi.Resource]:
        """The listener and listener rule that send traffic to ``route_name``'s target group:
        an ECS service behind it should depend on them (ECS rejects a target group that no
        listener uses yet)."""
        return list(self._route_resources[route_name])

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _create_security_group(self, args: PublicLoadBalancerArgs) -> aws.ec2.SecurityGroup:
        """``N-sg`` open on 80 (and 443) to the internet; egress and ingress per target."""
        name = self._name
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=args.security_group_name,
            vpc_id=args.vpc_id,
            description=args.security_group_description
            or f"{name}: public load balancer, 80/443 from the internet only",
            tags={"Name": f"{name}-sg"},
            opts=self._child(),
        )
        ports = {"http": 80, **({"https": 443} if args.enable_https else {})}
        for label, port in ports.items():
            for family, cidr in (("ipv4", "0.0.0.0/0"), ("ipv6", "::/0")):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-{label}-{family}",
                    security_group_id=sg.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr if family == "ipv4" else None,
                    cidr_ipv6=cidr if family == "ipv6" else None,
                    description=f"{label.upper()} from the internet ({family})",
                    opts=self._child(),
                )
        self._security_group = sg
        for route in args.routes:
            if route.target_security_group_id is None:
                continue
            self.allow_egress_to(route.name, route.target_security_group_id)
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{route.name}-from-lb",
                security_group_id=route.target_security_group_id,
                ip_protocol="tcp",
                from_port=route.port,
                to_port=route.port,
                referenced_security_group_id=sg.id,
                description=f"{route.name} from the load balancer {name} on {route.port}",
                opts=self._child(),
            )
        return sg

    def _create_load_balancer(self, args: PublicLoadBalancerArgs) -> aws.lb.LoadBalancer:
        """``N-alb``: internet-facing, invalid headers dropped, defensive desync mitigation."""
        return aws.lb.LoadBalancer(
            f"{self._name}-alb",
            name=args.name,
            load_balancer_type="application",
            internal=False,
            security_groups=[self._security_group.id],
            subnets=args.subnet_ids,
            idle_timeout=args.idle_timeout_seconds,
            drop_invalid_header_fields=True,
            enable_http2=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=args.deletion_protection,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=args.access_logs_bucket, enabled=True, prefix=self._name
            )
            if args.access_logs_bucket is not None
            else None,
            tags={"Name": f"{self._name}-alb"},
            opts=self._child(),
        )

    def _create_target_groups(self, args: PublicLoadBalancerArgs) -> dict[str, aws.lb.TargetGroup]:
        """``N-tg-<route>``: an ``ip`` target group per route with its HTTP health check."""
        return {
            route.name: aws.lb.TargetGroup(
                f"{self._name}-tg-{route.name}",
                name=route.target_group_name,
                target_type="ip",
                protocol="HTTP",
                port=route.port,
                vpc_id=args.vpc_id,
                deregistration_delay=route.deregistration_delay_seconds,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    enabled=True,
                    protocol="HTTP",
                    path=route.health_check_path,
                    port="traffic-port",
                    matcher=route.health_check_matcher,
                    interval=route.health_check_interval_seconds,
                    timeout=5,
                    healthy_threshold=2,
                    unhealthy_threshold=3,
                ),
                tags={"Name": f"{self._name}-tg-{route.name}"},
                opts=self._child(),
            )
            for route in args.routes
        }

    def _create_listeners(
        self,
        args: PublicLoadBalancerArgs,
        alb: aws.lb.LoadBalancer,
        target_groups: dict[str, aws.lb.TargetGroup],
    ) -> aws.lb.Listener:
        """``N-http`` (a 301 to HTTPS when ``enable_https``, with ``N-https``); returns the
        listener that routes. Its default action forwards to the default route, else 404."""
        name = self._name
        default = next((r for r in args.routes if r.is_default), None)
        serving_default = (
            aws.lb.ListenerDefaultActionArgs(
                type="forward", target_group_arn=target_groups[default.name].arn
            )
            if default is not None
            else aws.lb.ListenerDefaultActionArgs(
                type="fixed-response",
                fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                    content_type="text/plain", status_code="404", message_body="not found"
                ),
            )
        )
        if not args.enable_https:
            return aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[serving_default],
                opts=self._child(),
            )
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            opts=self._child(),
        )
        return aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=args.certificate_arn,
            default_actions=[serving_default],
            opts=self._child(),
        )

    def _create_rules(
        self,
        args: PublicLoadBalancerArgs,
        serving: aws.lb.Listener,
        target_groups: dict[str, aws.lb.TargetGroup],
    ) -> None:
        """``N-rule-<route>``: a host rule, or a path rule that strips its prefix."""
        self._route_resources = {route.name: [serving] for route in args.routes}
        for route in args.routes:
            if route.host is not None:
                conditions = [
                    aws.lb.ListenerRuleConditionArgs(
                        host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=[route.host])
                    )
                ]
                transforms = None
            elif route.path_prefix is not None:
                conditions, transforms = _path_rule(route.path_prefix)
            else:
                continue  # the default route is served by the listener's default action
            self._route_resources[route.name].append(
                aws.lb.ListenerRule(
                    f"{self._name}-rule-{route.name}",
                    listener_arn=serving.arn,
                    priority=route.priority,
                    conditions=conditions,
                    transforms=transforms,
                    actions=[
                        aws.lb.ListenerRuleActionArgs(
                            type="forward", target_group_arn=target_groups[route.name].arn
                        )
                    ],
                    opts=self._child(),
                )
            )

    def _set_outputs(
        self,
        args: PublicLoadBalancerArgs,
        alb: aws.lb.LoadBalancer,
        serving: aws.lb.Listener,
        target_groups: dict[str, aws.lb.TargetGroup],
    ) -> None:
        scheme = "https" if args.enable_https else "http"
        self.arn = alb.arn
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.security_group_id = self._security_group.id
        self.listener_arn = serving.arn
        self.target_group_arns = {k: tg.arn for k, tg in target_groups.items()}
        self.base_url = alb.dns_name.apply(lambda d: f"{scheme}://{d}")
        self.urls = {}
        for route in args.routes:
            if route.host is not None:
                self.urls[route.name] = pulumi.Output.concat(f"{scheme}://", route.host)
            else:
                suffix = route.path_prefix or ""
                self.urls[route.name] = self.base_url.apply(lambda b, s=suffix: f"{b}{s}")
        register_outputs(
            self,
            "arn",
            "dns_name",
            "zone_id",
            "security_group_id",
            "listener_arn",
            "target_group_arns",
            "urls",
            "base_url",
        )

    def allow_egress_to(
        self, route_name: str, security_group_id: pulumi.Input[str]
    ) -> aws.vpc.SecurityGroupEgressRule:
        """Let the load balancer reach ``security_group_id`` on the port of ``route_name``.

        Creates ``{name}-to-<route>`` (an egress rule on the load balancer's security group).
        Used when the service's security group is created after the load balancer (the
        service needs the target group first); the service side admits
        :attr:`security_group_id` on its port itself.

        Raises:
            ConfigError: unknown route, or egress for that route was added already.
        """
        route = self._routes.get(route_name)
        if route is None or route_name in self._egress_done:
            raise ConfigError(
                "PublicLoadBalancer.allow_egress_to.route_name",
                route_name,
                f"a route without egress yet, one of {', '.join(sorted(self._routes))}",
            )
        self._egress_done.add(route_name)
        return aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-to-{route.name}",
            security_group_id=self._security_group.id,
            ip_protocol="tcp",
            from_port=route.port,
            to_port=route.port,
            referenced_security_group_id=security_group_id,
            description=f"to {route.name} on {route.port}",
            opts=pulumi.ResourceOptions(parent=self),
        )


def _path_rule(
    prefix: str,
) -> tuple[list[aws.lb.ListenerRuleConditionArgs], list[aws.lb.ListenerRuleTransformArgs]]:
    """Match ``prefix`` and ``prefix/*``; rewrite the path without the prefix."""
    conditions = [
        aws.lb.ListenerRuleConditionArgs(
            path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=[prefix, f"{prefix}/*"])
        )
    ]
    transforms = [
        aws.lb.ListenerRuleTransformArgs(
            type="url-rewrite",
            url_rewrite_config=aws.lb.ListenerRuleTransformUrlRewriteConfigArgs(
                rewrite=aws.lb.ListenerRuleTransformUrlRewriteConfigRewriteArgs(
                    regex=f"^{prefix}/?(.*)$", replace="/$1"
                )
            ),
        )
    ]
    return conditions, transforms


def _validate(args: PublicLoadBalancerArgs) -> PublicLoadBalancerArgs:
    """The declared constraints of every field, then what spans fields or routes."""
    key = "PublicLoadBalancerArgs"
    args = check_args(args, key=key)
    if args.enable_https and args.certificate_arn is None:
        raise ConfigError(
            f"{key}.certificate_arn",
            None,
            "an ACM certificate ARN in the load balancer's region when enable_https is true",
        )
    routes = [
        check_args(coerce_args(LbRoute, r, key=f"{key}.routes[{i}]"), key=f"{key}.routes[{i}]")
        for i, r in enumerate(args.routes)
    ]
    defaults = [r.name for r in routes if r.is_default]
    if len(defaults) > 1:
        raise ConfigError(f"{key}.routes", defaults, "at most one route with is_default=True")
    for field_name, what in (
        ("name", "a unique route name"),
        ("priority", "a unique listener rule priority"),
        ("target_group_name", "a target group name no other route uses"),
    ):
        seen: set[object] = set()
        for i, route in enumerate(routes):
            value = getattr(route, field_name)
            if value is not None and value in seen:
                raise ConfigError(f"{key}.routes[{i}].{field_name}", value, what)
            seen.add(value)
    for i, route in enumerate(routes):
        rkey = f"{key}.routes[{i}]"
        if route.host is not None and route.path_prefix is not None:
            raise ConfigError(
                f"{rkey}.path_prefix", route.path_prefix, "None when host is set (one rule kind)"
            )
        if route.host is None and route.path_prefix is None and not route.is_default:
            raise ConfigError(
                f"{rkey}.host", None, "a host name or a path_prefix (or is_default=True)"
            )
    return dataclasses.replace(args, routes=tuple(routes))
