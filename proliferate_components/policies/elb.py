"""Load balancer rules: HTTPS with a modern TLS policy, HTTP only redirects, strict header parsing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .rule import ConfigProperty, Resource, ResourceRule, StackRule, resource_rule, stack_rule
from .values import is_unknown, items, mapping, of_type, refers_to, text, unless_true

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")

MODERN_TLS_POLICY_PREFIXES: tuple[str, ...] = (
    "ELBSecurityPolicy-TLS13-1-2",
    "ELBSecurityPolicy-TLS13-1-3",
    "ELBSecurityPolicy-FS-1-2",
    "ELBSecurityPolicy-TLS-1-2",
)
"""Security policies that refuse TLS 1.0/1.1 (the ones checkov CKV_AWS_103 accepts)."""


def _is_application(lb: Resource) -> bool:
    return (text(lb.props.get("loadBalancerType")) or "application") == "application"


def _redirects_to_https(listener: Resource) -> bool:
    actions = [mapping(a) for a in items(listener.props.get("defaultActions"))]
    return bool(actions) and all(
        text(a.get("type")) == "redirect"
        and (text(mapping(a.get("redirect")).get("protocol")) or "").upper() == "HTTPS"
        for a in actions
    )


def _protocol(listener: Resource) -> str:
    return (text(listener.props.get("protocol")) or "").upper()


def _listeners_by_lb(resources: Sequence[Resource]) -> Iterator[tuple[Resource, list[Resource]]]:
    listeners = list(of_type(resources, *LISTENERS))
    for lb in of_type(resources, *LOAD_BALANCERS):
        if _is_application(lb):
            yield lb, [li for li in listeners if refers_to(li, "loadBalancerArn", lb)]


@stack_rule(
    id="proliferate-elb-http-redirect",
    service="elb",
    types=(*LOAD_BALANCERS, *LISTENERS),
    description="On a load balancer that has an HTTPS listener, HTTP listeners only redirect to HTTPS",
    severity="high",
    enforcement="mandatory",
    remediation=(
        "make the HTTP listener's default action {type: 'redirect', redirect: {protocol: 'HTTPS', "
        "port: '443', status_code: 'HTTP_301'}}"
    ),
    equivalents=("checkov:CKV2_AWS_20", "checkov:CKV_AWS_2"),
)
def http_redirect(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """HTTP listeners redirect when the same load balancer serves HTTPS."""
    for lb, listeners in _listeners_by_lb(resources):
        if not any(_protocol(li) == "HTTPS" for li in listeners):
            continue
        for li in listeners:
            if _protocol(li) == "HTTP" and not _redirects_to_https(li):
                yield (
                    li,
                    f"{li.label} on {lb.label} serves plain HTTP next to HTTPS instead of redirecting",
                )


@stack_rule(
    id="proliferate-elb-https-listener",
    service="elb",
    types=(*LOAD_BALANCERS, *LISTENERS),
    description="Application load balancers serve HTTPS (an ACM certificate), not only plain HTTP",
    severity="medium",
    enforcement="advisory",
    remediation=(
        "set a certificate (proliferate:certificateArn or a domain to issue one) so the load balancer "
        "gets an HTTPS listener and HTTP redirects to it"
    ),
    equivalents=("checkov:CKV_AWS_2",),
)
def https_listener(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """At least one HTTPS listener per application load balancer that has listeners."""
    for lb, listeners in _listeners_by_lb(resources):
        if listeners and not any(_protocol(li) == "HTTPS" for li in listeners):
            yield (
                lb,
                f"{lb.label} has no HTTPS listener: traffic, cookies and tokens travel in clear",
            )


@resource_rule(
    id="proliferate-elb-tls-policy",
    service="elb",
    types=LISTENERS,
    description="HTTPS/TLS listeners use a security policy that refuses TLS 1.0 and 1.1",
    severity="high",
    enforcement="mandatory",
    remediation="set ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06' (TLS 1.3 and 1.2)",
    config=(
        ConfigProperty(
            "allowedPolicyPrefixes",
            "array",
            MODERN_TLS_POLICY_PREFIXES,
            "Accepted ssl_policy name prefixes.",
            items_type="string",
        ),
    ),
    equivalents=("checkov:CKV_AWS_103",),
)
def tls_policy(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """sslPolicy starts with an accepted prefix on HTTPS/TLS listeners."""
    if _protocol(r) not in {"HTTPS", "TLS"}:
        return
    raw = r.props.get("sslPolicy")
    if is_unknown(raw):
        return
    policy = text(raw)
    prefixes = tuple(str(p) for p in items(config.get("allowedPolicyPrefixes")))
    if policy is None:
        yield f"{r.label} sets no ssl_policy (the provider default ELBSecurityPolicy-2016-08 allows TLS 1.0)"
    elif not policy.startswith(prefixes):
        yield f"{r.label} uses ssl_policy {policy!r}, which allows TLS older than 1.2"


@resource_rule(
    id="proliferate-elb-drop-invalid-headers",
    service="elb",
    types=LOAD_BALANCERS,
    description="Application load balancers drop HTTP headers with invalid names (request smuggling)",
    severity="medium",
    enforcement="advisory",
    remediation="set drop_invalid_header_fields=True",
    equivalents=("checkov:CKV_AWS_131",),
)
def drop_invalid_headers(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """dropInvalidHeaderFields true on application load balancers."""
    if _is_application(r):
        raw = r.props.get("dropInvalidHeaderFields")
        yield from unless_true(r.label, raw, "forwards headers with invalid names")


@resource_rule(
    id="proliferate-elb-access-logs",
    service="elb",
    types=LOAD_BALANCERS,
    description="Load balancers write access logs to S3",
    severity="low",
    enforcement="advisory",
    remediation="set access_logs={'bucket': <bucket>, 'enabled': True} (the bucket needs the ELB log-delivery policy)",
    equivalents=("cdk-nag:AwsSolutions-ELB2", "checkov:CKV_AWS_91"),
)
def access_logs(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """accessLogs.enabled true."""
    raw = mapping(r.props.get("accessLogs")).get("enabled")
    yield from unless_true(r.label, raw, "writes no access logs")


@resource_rule(
    id="proliferate-elb-deletion-protection",
    service="elb",
    types=LOAD_BALANCERS,
    description="Load balancers have deletion protection (their DNS name is what users' records point to)",
    severity="low",
    enforcement="advisory",
    remediation="set enable_deletion_protection=True",
    equivalents=("checkov:CKV_AWS_150",),
)
def deletion_protection(r: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """enableDeletionProtection true."""
    raw = r.props.get("enableDeletionProtection")
    yield from unless_true(r.label, raw, "can be deleted by any update")


RULES: tuple[ResourceRule | StackRule, ...] = (
    http_redirect,
    https_listener,
    tls_policy,
    drop_invalid_headers,
    access_logs,
    deletion_protection,
)
"""The load balancer rules, in catalog order."""
