"""DnsTls: Route53 zone (new or existing), DNS-validated ACM certificate, alias records."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from proliferate_components.dns import AliasTarget, DnsTls, DnsTlsArgs, hosts_for_domain
from proliferate_components.errors import ConfigError
from proliferate_components.testing import Capture, capture

ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
CERT = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"


def _build(args: DnsTlsArgs, *, alias: bool = True) -> Capture:
    def program() -> None:
        dns = DnsTls("prod-dns", args)
        if alias:
            dns.alias_to(
                AliasTarget(dns_name="lb-1.us-east-1.elb.amazonaws.com", zone_id="Z35SXDOTRQ7X7K")
            )
        pulumi.export("certificateArn", dns.certificate_arn)
        pulumi.export("zoneId", dns.zone_id)
        pulumi.export("nameServers", dns.name_servers)

    return capture(program)


def test_hosts_live_under_the_domain() -> None:
    hosts = hosts_for_domain("App.Example.com")
    assert hosts.by_role() == {
        "app": "app.example.com",
        "gateway": "gateway.app.example.com",
        "llm-proxy": "llm.app.example.com",
    }


def test_new_zone_certificate_validation_and_aliases() -> None:
    cap = _build(DnsTlsArgs(domain_name="app.example.com"))
    component = cap.one("proliferate:dns:DnsTls")
    assert all(r.parent == component.urn for r in cap.resources if r is not component)

    zone = cap.one(ZONE)
    assert zone.input("name") == "app.example.com"
    assert zone.protect is True

    cert = cap.one(CERT)
    assert cert.input("domainName") == "app.example.com"
    assert cert.input("validationMethod") == "DNS"
    assert sorted(cert.input("subjectAlternativeNames")) == [
        "gateway.app.example.com",
        "llm.app.example.com",
    ]

    # One validation record per name on the certificate, each carrying exactly what ACM asked for.
    options = {o["domainName"]: o for o in cert.outputs["domainValidationOptions"]}
    validation_records = [r for r in cap.of_type(RECORD) if "-validation-" in r.name]
    assert len(validation_records) == 3
    by_name = {r.input("name"): r for r in validation_records}
    for host, option in options.items():
        record = by_name[option["resourceRecordName"]]
        assert record.input("type") == option["resourceRecordType"]
        assert record.input("records") == [option["resourceRecordValue"]], host
        assert record.input("zoneId") == zone.outputs["zoneId"]

    validation = cap.one(VALIDATION)
    assert validation.input("certificateArn") == cert.outputs["arn"]
    assert sorted(validation.input("validationRecordFqdns")) == sorted(by_name)
    # The exported ARN comes from the validation resource, i.e. only once the cert is issued.
    assert cap.output("certificateArn") == cert.outputs["arn"]
    assert cap.output("zoneId") == zone.outputs["zoneId"]
    assert cap.output("nameServers") == zone.outputs["nameServers"]

    aliases = {r.input("name"): r for r in cap.of_type(RECORD) if "-alias-" in r.name}
    assert set(aliases) == {"app.example.com", "gateway.app.example.com", "llm.app.example.com"}
    for record in aliases.values():
        assert record.input("type") == "A"
        (alias,) = record.input("aliases")
        assert alias["name"] == "lb-1.us-east-1.elb.amazonaws.com"
        assert alias["zoneId"] == "Z35SXDOTRQ7X7K"


def test_existing_zone_creates_no_zone() -> None:
    cap = _build(DnsTlsArgs(domain_name="app.example.com", hosted_zone_id="Z0123456789ABC"))
    assert cap.of_type(ZONE) == []
    assert {r.input("zoneId") for r in cap.of_type(RECORD)} == {"Z0123456789ABC"}
    assert cap.output("nameServers") == []


def test_alias_roles_can_leave_the_app_host_alone() -> None:
    def program() -> None:
        dns = DnsTls("dns", DnsTlsArgs(domain_name="app.example.com"))
        dns.alias_to(AliasTarget(dns_name="lb", zone_id="Z1"), roles=("gateway", "llm-proxy"))

    cap = capture(program)
    names = sorted(r.input("name") for r in cap.of_type(RECORD) if "-alias-" in r.name)
    assert names == ["gateway.app.example.com", "llm.app.example.com"]


def test_alias_to_twice_is_an_error() -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        dns = DnsTls("dns", DnsTlsArgs(domain_name="app.example.com"))
        target = AliasTarget(dns_name="lb", zone_id="Z1")
        dns.alias_to(target)
        try:
            dns.alias_to(target)
        except ConfigError as exc:
            errors.append(exc)

    capture(program)
    assert len(errors) == 1


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"domain_name": "https://app.example.com"}, "DnsTlsArgs.domain_name"),
        ({"domain_name": "localhost"}, "DnsTlsArgs.domain_name"),
        (
            {"domain_name": "app.example.com", "hosted_zone_id": "/hostedzone/Z123"},
            "DnsTlsArgs.hosted_zone_id",
        ),
        (
            {"domain_name": "app.example.com", "record_ttl_seconds": 5},
            "DnsTlsArgs.record_ttl_seconds",
        ),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(kwargs: dict[str, Any], key: str) -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        try:
            DnsTls("dns", DnsTlsArgs(**kwargs))
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program)
    assert [e.key for e in errors] == [key]
    assert cap.resources == []


def test_unknown_alias_role_is_rejected() -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        dns = DnsTls("dns", DnsTlsArgs(domain_name="app.example.com"))
        try:
            dns.alias_to(AliasTarget(dns_name="lb", zone_id="Z1"), roles=("api",))
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program)
    assert [e.key for e in errors] == ["DnsTls.alias_to.roles"]
    assert not [r for r in cap.of_type(RECORD) if "-alias-" in r.name]
