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

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

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

_ROUTE_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,20}$")
_PREFIX_RE = re.compile(r"^/[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True, kw_only=True)
class LbRoute:
    """One service behind the load balancer."""

    name: str
    """Route (service) name, e.g. ``gateway``; lower-case letters, digits and hyphens."""
    port: int
    """The container port the target group sends traffic to."""
    priority: int
    """Listener rule priority (1-50000, unique; lower is evaluated first)."""
    host: str | None = None
    """Host header to match (host-based routing). Default ``None``: use ``path_prefix``."""
    path_prefix: str | None = None
    """Path prefix to match when there is no ``host``, e.g. ``/gateway``; stripped before the
    request reaches the service. Default ``None``."""
    is_default: bool = False
    """Default ``False``. ``True``: requests no other route matches go here (the web app);
    such a route needs neither ``host`` nor ``path_prefix`` (with ``host`` it also gets a
    host rule)."""
    health_check_path: str = "/health"
    """HTTP path the target group's health check requests. Default ``/health``."""
    health_check_matcher: str = "200-399"
    """HTTP codes counted as healthy. Default ``200-399``."""
    health_check_interval_seconds: int = 15
    """Seconds between health checks. Default 15."""
    deregistration_delay_seconds: int = 30
    """Seconds a deregistering target keeps its connections (open WebSockets are closed
    after it). Default 30."""
    target_security_group_id: pulumi.Input[str] | None = None
    """The service's security group, when it exists already: the load balancer may reach
    it on ``port`` (egress rule) and it gets an ingress rule from the load balancer on
    ``port``. Default ``None``: nothing is opened; call
    :meth:`PublicLoadBalancer.allow_egress_to` once the service's security group exists
    (and admit :attr:`PublicLoadBalancer.security_group_id` on the service's side)."""


@dataclass(frozen=True, kw_only=True)
class PublicLoadBalancerArgs:
    """Arguments of :class:`PublicLoadBalancer`."""

    vpc_id: pulumi.Input[str]
    """The VPC of the load balancer and its target groups."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Public subnets, at least two in different availability zones."""
    routes: tuple[LbRoute, ...]
    """The services behind the load balancer (may be empty: then everything gets a 404)."""
    enable_https: bool = False
    """Default ``False``: one HTTP listener on 80 that forwards. ``True``: an HTTPS listener on
    443 with :data:`TLS_POLICY` and ``certificate_arn``, and the listener on 80 only redirects
    to HTTPS (301)."""
    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate of the HTTPS listener (same region). Required with ``enable_https``."""
    idle_timeout_seconds: int = DEFAULT_IDLE_TIMEOUT_SECONDS
    """Seconds an idle connection (e.g. a quiet WebSocket) stays open, 1-4000. Default 3600."""
    deletion_protection: bool = False
    """Default ``False``. ``True`` sets the load balancer's deletion protection (``pulumi
    destroy`` then fails until it is turned off)."""
    access_logs_bucket: str | None = None
    """S3 bucket for access logs (its policy must allow ELB log delivery). Default ``None``:
    no access logs."""


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

    Outputs:
        arn, dns_name, zone_id: of the load balancer;
        security_group_id: the load balancer's security group;
        target_group_arns: route name -> target group ARN;
        listener_arn: the listener that routes (HTTPS with HTTPS, else HTTP);
        urls: route name -> public base URL (``https://gateway.app.example.com`` or
            ``http://<dns-name>/gateway``);
        base_url: ``<scheme>://<dns-name>``.
    """

    arn: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    target_group_arns: dict[str, pulumi.Output[str]]
    listener_arn: pulumi.Output[str]
    urls: dict[str, pulumi.Output[str]]
    base_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: PublicLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate(args)
        super().__init__("proliferate:loadbalancer:PublicLoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scheme = "https" if args.enable_https else "http"

        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{name}: public load balancer, 80/443 from the internet only",
            tags={"Name": f"{name}-sg"},
            opts=child,
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
                    opts=child,
                )
        self._name = name
        self._security_group = sg
        self._routes = {r.name: r for r in args.routes}
        self._egress_done: set[str] = set()
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
                opts=child,
            )

        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            security_groups=[sg.id],
            subnets=args.subnet_ids,
            idle_timeout=args.idle_timeout_seconds,
            drop_invalid_header_fields=True,
            enable_http2=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=args.deletion_protection,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=args.access_logs_bucket, enabled=True, prefix=name
            )
            if args.access_logs_bucket
            else None,
            tags={"Name": f"{name}-alb"},
            opts=child,
        )

        target_groups: dict[str, aws.lb.TargetGroup] = {}
        for route in args.routes:
            target_groups[route.name] = aws.lb.TargetGroup(
                f"{name}-tg-{route.name}",
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
                tags={"Name": f"{name}-tg-{route.name}"},
                opts=child,
            )

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
        if args.enable_https:
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
                opts=child,
            )
            serving = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=alb.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=args.certificate_arn,
                default_actions=[serving_default],
                opts=child,
            )
        else:
            serving = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[serving_default],
                opts=child,
            )

        for route in args.routes:
            if route.host is not None:
                conditions = [
                    aws.lb.ListenerRuleConditionArgs(
                        host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=[route.host])
                    )
                ]
                transforms = None
            elif route.path_prefix is not None:
                prefix = route.path_prefix
                conditions = [
                    aws.lb.ListenerRuleConditionArgs(
                        path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(
                            values=[prefix, f"{prefix}/*"]
                        )
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
            else:
                continue  # the default route is served by the listener's default action
            aws.lb.ListenerRule(
                f"{name}-rule-{route.name}",
                listener_arn=serving.arn,
                priority=route.priority,
                conditions=conditions,
                transforms=transforms,
                actions=[
                    aws.lb.ListenerRuleActionArgs(
                        type="forward", target_group_arn=target_groups[route.name].arn
                    )
                ],
                opts=child,
            )

        self.arn = alb.arn
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.security_group_id = sg.id
        self.listener_arn = serving.arn
        self.target_group_arns = {k: tg.arn for k, tg in target_groups.items()}
        self.base_url = alb.dns_name.apply(lambda d: f"{scheme}://{d}")
        self.urls = {}
        for route in args.routes:
            if route.host is not None:
                self.urls[route.name] = pulumi.Output.from_input(f"{scheme}://{route.host}")
            else:
                suffix = route.path_prefix or ""
                self.urls[route.name] = self.base_url.apply(lambda b, s=suffix: f"{b}{s}")
        self.register_outputs(
            {
                "arn": self.arn,
                "dns_name": self.dns_name,
                "zone_id": self.zone_id,
                "security_group_id": self.security_group_id,
                "listener_arn": self.listener_arn,
                "target_group_arns": self.target_group_arns,
                "urls": self.urls,
            }
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


def _validate(args: PublicLoadBalancerArgs) -> None:
    key = "PublicLoadBalancerArgs"
    if args.enable_https and args.certificate_arn is None:
        raise ConfigError(
            f"{key}.certificate_arn",
            None,
            "an ACM certificate ARN in the load balancer's region when enable_https is true",
        )
    if not 1 <= args.idle_timeout_seconds <= 4000 or isinstance(args.idle_timeout_seconds, bool):
        raise ConfigError(
            f"{key}.idle_timeout_seconds",
            args.idle_timeout_seconds,
            "an integer from 1 to 4000 (seconds, the ALB's range)",
        )
    names: set[str] = set()
    priorities: set[int] = set()
    defaults = [r.name for r in args.routes if r.is_default]
    if len(defaults) > 1:
        raise ConfigError(f"{key}.routes", defaults, "at most one route with is_default=True")
    for i, route in enumerate(args.routes):
        rkey = f"{key}.routes[{i}]"
        if not _ROUTE_NAME_RE.match(route.name) or route.name in names:
            raise ConfigError(
                f"{rkey}.name",
                route.name,
                "a unique name of 1-21 lower-case letters, digits and hyphens starting with a letter",
            )
        names.add(route.name)
        if not 1 <= route.port <= 65535:
            raise ConfigError(f"{rkey}.port", route.port, "a TCP port from 1 to 65535")
        if not 1 <= route.priority <= 50000 or route.priority in priorities:
            raise ConfigError(
                f"{rkey}.priority", route.priority, "a unique listener rule priority, 1-50000"
            )
        priorities.add(route.priority)
        if route.host is not None and route.path_prefix is not None:
            raise ConfigError(
                f"{rkey}.path_prefix", route.path_prefix, "None when host is set (one rule kind)"
            )
        if route.host is None and route.path_prefix is None and not route.is_default:
            raise ConfigError(
                f"{rkey}.host", None, "a host name or a path_prefix (or is_default=True)"
            )
        if route.path_prefix is not None and not _PREFIX_RE.match(route.path_prefix):
            raise ConfigError(
                f"{rkey}.path_prefix",
                route.path_prefix,
                "a single path segment such as /gateway (lower-case, no trailing slash)",
            )
        if not route.health_check_path.startswith("/"):
            raise ConfigError(
                f"{rkey}.health_check_path", route.health_check_path, "a path starting with /"
            )
        if not 5 <= route.health_check_interval_seconds <= 300:
            raise ConfigError(
                f"{rkey}.health_check_interval_seconds",
                route.health_check_interval_seconds,
                "an integer from 5 to 300 (seconds)",
            )
        if not 0 <= route.deregistration_delay_seconds <= 3600:
            raise ConfigError(
                f"{rkey}.deregistration_delay_seconds",
                route.deregistration_delay_seconds,
                "an integer from 0 to 3600 (seconds)",
            )
