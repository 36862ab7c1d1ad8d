"""Optional DNS and TLS: a Route53 hosted zone, a DNS-validated ACM certificate and alias records.

:class:`DnsTls` is what the setup wizard's "let Pulumi manage Route53 + ACM" answer turns on.
Without it a stack takes an existing ``certificateArn`` and the user points their own DNS at
the load balancer.

Host names (a public contract, everything lives under ``domain_name``):

- the app (web) at ``domain_name`` itself, e.g. ``app.example.com``;
- the gateway at ``gateway.<domain_name>``, e.g. ``gateway.app.example.com``;
- the llm-proxy at ``llm.<domain_name>``, e.g. ``llm.app.example.com``.

Keeping every host under ``domain_name`` means a new hosted zone for ``domain_name`` is a
delegated sub-zone: the user adds one NS record in the parent zone and never hands the
parent (``example.com``) to the stack.

The certificate names the three hosts explicitly (``domain_name`` + two subject alternative
names) rather than a wildcard ``*.domain_name``: a leaked key then covers three hosts and not
every sub-domain, and each name gets its own validation record (a wildcard and its base name
share one validation CNAME, which would make two records collide).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import pulumi
import pulumi_aws as aws

from ._args import coerce_args, register_outputs
from .constraints import Pattern, Range, Rule, check_args
from .errors import ConfigError
from .sizing import validate_domain_name

__all__ = ["AliasTarget", "DnsHosts", "DnsTls", "DnsTlsArgs", "hosts_for_domain"]

DOMAIN_NAME = Rule(
    validate_domain_name,
    "a lower-case DNS name of two or more labels, e.g. app.example.com",
)
HOSTED_ZONE_ID = Pattern(
    r"Z[A-Z0-9]*",
    "a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ (upper-case letters and digits "
    "starting with Z, without the /hostedzone/ prefix), or None to create a zone",
)


@dataclass(frozen=True)
class DnsHosts:
    """The public host names of one deployment."""

    app: str
    """Host of the web app, the domain name itself."""
    gateway: str
    """Host of the WebSocket gateway, ``gateway.<domain>``."""
    llm_proxy: str
    """Host of the LLM proxy, ``llm.<domain>``."""

    def by_role(self) -> dict[str, str]:
        """Role (``app``, ``gateway``, ``llm-proxy``) -> host, in a fixed order."""
        return {"app": self.app, "gateway": self.gateway, "llm-proxy": self.llm_proxy}


def hosts_for_domain(domain_name: str) -> DnsHosts:
    """The host names derived from ``domain_name`` (see the module docstring).

    The domain is lower-cased (DNS is case-insensitive, ACM and Route53 store lower case, so
    this keeps a mixed-case config from showing a diff on every run).
    """
    domain = domain_name.lower()
    return DnsHosts(app=domain, gateway=f"gateway.{domain}", llm_proxy=f"llm.{domain}")


@dataclass(frozen=True)
class AliasTarget:
    """Where the alias records point: a load balancer's DNS name and canonical hosted zone."""

    dns_name: pulumi.Input[str]
    """The load balancer's DNS name (``aws.lb.LoadBalancer.dns_name``)."""
    zone_id: pulumi.Input[str]
    """The load balancer's canonical hosted zone id (``aws.lb.LoadBalancer.zone_id``)."""


@dataclass(frozen=True, kw_only=True)
class DnsTlsArgs:
    """Arguments of :class:`DnsTls`."""

    domain_name: Annotated[str, DOMAIN_NAME]
    """The app's domain, e.g. ``app.example.com``; the gateway and llm-proxy hosts are
    sub-domains of it. Required."""
    hosted_zone_id: Annotated[pulumi.Input[str], HOSTED_ZONE_ID] | None = None
    """An existing Route53 hosted zone to create the records in (e.g. ``Z0123456789ABC``, or
    another resource's output);
    the zone must be authoritative for ``domain_name``. Default ``None``: create a new public
    hosted zone named ``domain_name`` (then delegate to its ``name_servers``)."""
    protect_zone: bool = True
    """Default ``True``: the new hosted zone is ``protect``-ed, because replacing it assigns new
    name servers and silently breaks the delegation. Set ``False`` only for throw-away stacks.
    Ignored with ``hosted_zone_id``."""
    record_ttl_seconds: Annotated[int, Range(30, 86400, unit="seconds")] = 60
    """TTL of the certificate validation records. Default 60 seconds."""


class DnsTls(pulumi.ComponentResource):
    """Route53 zone (new or existing), a DNS-validated ACM certificate and alias records.

    Children (names are a public contract, ``name`` = this component's name):

    - ``{name}-zone``: ``aws.route53.Zone`` (only without ``hosted_zone_id``; protected);
    - ``{name}-certificate``: ``aws.acm.Certificate`` for the three hosts, DNS validation;
    - ``{name}-validation-app``, ``{name}-validation-gateway``, ``{name}-validation-llm-proxy``:
      the validation CNAMEs (``aws.route53.Record``);
    - ``{name}-certificate-validation``: ``aws.acm.CertificateValidation`` (waits for issuance);
    - after :meth:`alias_to`: ``{name}-alias-app``, ``{name}-alias-gateway``,
      ``{name}-alias-llm-proxy`` (``A`` alias records to the load balancer; the app's only
      when its role is asked for).

    From Python, :attr:`hosts` holds the :class:`DnsHosts` (plain strings); from another
    language the host names are the outputs ``appHost``, ``gatewayHost`` and
    ``llmProxyHost``, and the alias records are yours to create (``alias_to`` is Python's).
    """

    _type_token = "proliferate:dns:DnsTls"

    certificate_arn: pulumi.Output[str]
    """The certificate's ARN, known only once it is issued (use it for listeners so they
    never get an unvalidated certificate)."""
    zone_id: pulumi.Output[str]
    """The hosted zone's id."""
    name_servers: pulumi.Output[Sequence[str]]
    """The new zone's name servers (delegate ``domain_name`` to them); an empty list with
    ``hosted_zone_id`` (the zone is delegated already)."""
    app_host: pulumi.Output[str]
    """The web app's host, the domain name itself."""
    gateway_host: pulumi.Output[str]
    """The gateway's host, ``gateway.<domain>``."""
    llm_proxy_host: pulumi.Output[str]
    """The LLM proxy's host, ``llm.<domain>``."""

    def __init__(
        self,
        name: str,
        args: DnsTlsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(coerce_args(DnsTlsArgs, args, key="DnsTls.args"), key="DnsTlsArgs")
        super().__init__(self._type_token, name, None, opts)
        self._name = name
        self._aliased = False
        self.hosts = hosts_for_domain(args.domain_name)
        self.app_host = pulumi.Output.from_input(self.hosts.app)
        self.gateway_host = pulumi.Output.from_input(self.hosts.gateway)
        self.llm_proxy_host = pulumi.Output.from_input(self.hosts.llm_proxy)
        child = pulumi.ResourceOptions(parent=self)

        if args.hosted_zone_id is None:
            zone = aws.route53.Zone(
                f"{name}-zone",
                name=self.hosts.app,
                comment=f"Proliferate ({name}): delegate {self.hosts.app} to these name servers",
                force_destroy=False,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect_zone),
            )
            self.zone_id = zone.zone_id
            self.name_servers = zone.name_servers
        else:
            self.zone_id = pulumi.Output.from_input(args.hosted_zone_id)
            self.name_servers = pulumi.Output.from_input(tuple[str, ...]())

        roles = self.hosts.by_role()
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=self.hosts.app,
            subject_alternative_names=[self.hosts.gateway, self.hosts.llm_proxy],
            validation_method="DNS",
            tags={"Name": f"{name}-certificate"},
            opts=child,
        )
        records: list[aws.route53.Record] = []
        for role, host in roles.items():
            option = certificate.domain_validation_options.apply(
                lambda options, h=host: _option_for(options, h)
            )
            records.append(
                aws.route53.Record(
                    f"{name}-validation-{role}",
                    zone_id=self.zone_id,
                    name=option.apply(lambda o: o.resource_record_name or ""),
                    type=option.apply(lambda o: o.resource_record_type or "CNAME"),
                    records=[option.apply(lambda o: o.resource_record_value or "")],
                    ttl=args.record_ttl_seconds,
                    allow_overwrite=True,
                    opts=child,
                )
            )
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[r.fqdn for r in records],
            opts=child,
        )
        self.certificate_arn = validation.certificate_arn
        register_outputs(
            self,
            "certificate_arn",
            "zone_id",
            "name_servers",
            "app_host",
            "gateway_host",
            "llm_proxy_host",
        )

    def alias_to(
        self, target: AliasTarget, roles: Sequence[str] | None = None
    ) -> dict[str, aws.route53.Record]:
        """Create ``A`` alias records for the hosts of ``roles`` pointing at ``target``.

        Called once the load balancer exists (the load balancer's listener needs the
        validated certificate first, so the target cannot be a constructor argument).

        Args:
            target: the load balancer's DNS name and canonical zone.
            roles: which hosts to alias, a subset of ``app``, ``gateway``, ``llm-proxy``.
                Default ``None``: all three. Leave ``app`` out when the web app is hosted
                elsewhere (e.g. on Vercel, the default) and its record points there.

        Returns:
            role -> record.

        Raises:
            ConfigError: on an unknown role, or if called a second time (the records would
                be duplicates).
        """
        hosts = self.hosts.by_role()
        wanted = tuple(hosts) if roles is None else tuple(roles)
        unknown = [r for r in wanted if r not in hosts]
        if unknown or len(set(wanted)) != len(wanted):
            raise ConfigError(
                "DnsTls.alias_to.roles", list(wanted), f"distinct roles among {', '.join(hosts)}"
            )
        if self._aliased:
            raise ConfigError(
                "DnsTls.alias_to", "second call", "call alias_to once per DnsTls component"
            )
        self._aliased = True
        return {
            role: aws.route53.Record(
                f"{self._name}-alias-{role}",
                zone_id=self.zone_id,
                name=hosts[role],
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=target.dns_name, zone_id=target.zone_id, evaluate_target_health=True
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
            for role in wanted
        }


def _option_for(
    options: Sequence[aws.acm.outputs.CertificateDomainValidationOption], host: str
) -> aws.acm.outputs.CertificateDomainValidationOption:
    for option in options:
        if (option.domain_name or "").lower() == host:
            return option
    raise ValueError(f"ACM returned no validation option for {host}")
