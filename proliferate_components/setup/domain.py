"""Route53 and ACM helpers for the domain step (read-only: the stack creates DNS and TLS).

- :func:`find_hosted_zone` finds the public zone that can hold records for a domain, for
  ``--tls managed`` (Pulumi then creates the certificate and its validation records there).
- :func:`describe_certificate` reads an existing certificate for ``--tls existing`` and
  :func:`validation_steps` turns it into the DNS records the user must create.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..ops.aws_errors import aws_errors
from .errors import SetupError

STEP = "domain"


@dataclass(frozen=True)
class HostedZone:
    """A Route53 hosted zone."""

    zone_id: str
    name: str


@dataclass(frozen=True)
class ValidationRecord:
    """A DNS record ACM needs to validate one name of a certificate."""

    domain: str
    name: str
    type: str
    value: str
    status: str


@dataclass(frozen=True)
class CertificateInfo:
    """What the wizard needs to know about an ACM certificate."""

    arn: str
    status: str
    domain_names: tuple[str, ...]
    validation: tuple[ValidationRecord, ...]


def find_hosted_zone(route53: Any, domain: str) -> HostedZone | None:
    """The public hosted zone whose name is ``domain`` or its longest parent, or None."""
    wanted = domain.lower().rstrip(".")
    best: HostedZone | None = None
    with aws_errors(f"looking up the Route53 zone of {domain}", step=STEP):
        for page in route53.get_paginator("list_hosted_zones").paginate():
            for zone in page.get("HostedZones", []):
                if zone.get("Config", {}).get("PrivateZone"):
                    continue
                name = str(zone["Name"]).lower().rstrip(".")
                if (wanted == name or wanted.endswith("." + name)) and (
                    best is None or len(name) > len(best.name)
                ):
                    best = HostedZone(zone_id=str(zone["Id"]).rsplit("/", 1)[-1], name=name)
    return best


def covers(pattern: str, host: str) -> bool:
    """True when certificate name ``pattern`` (maybe ``*.example.com``) covers ``host``."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        base = pattern[2:]
        head, _, rest = host.partition(".")
        return bool(head) and rest == base
    return pattern == host


def describe_certificate(acm: Any, arn: str) -> CertificateInfo:
    """Read certificate ``arn`` (status, names, validation records).

    Raises:
        SetupError: it does not exist in this account and region, or AWS failed.
    """
    from botocore.exceptions import ClientError

    from ..ops.aws_errors import error_code

    with aws_errors(f"reading the certificate {arn}", step=STEP):
        try:
            cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise SetupError(
                    f"certificate {arn} not found in this account and region; request or "
                    "import it in the stack's region",
                    step=STEP,
                ) from None
            raise
    names = tuple(str(n) for n in cert.get("SubjectAlternativeNames", [cert["DomainName"]]))
    records: list[ValidationRecord] = []
    for option in cert.get("DomainValidationOptions", []):
        record = option.get("ResourceRecord")
        if record:
            records.append(
                ValidationRecord(
                    domain=str(option["DomainName"]),
                    name=str(record["Name"]),
                    type=str(record["Type"]),
                    value=str(record["Value"]),
                    status=str(option.get("ValidationStatus", "")),
                )
            )
    return CertificateInfo(
        arn=arn, status=str(cert.get("Status", "")), domain_names=names, validation=tuple(records)
    )


def validation_steps(cert: CertificateInfo, hosts: list[str]) -> list[str]:
    """Human steps to finish TLS with an existing certificate.

    Lists the validation CNAMEs still pending, and warns about hosts the certificate does
    not cover.
    """
    steps: list[str] = []
    missing = [h for h in hosts if not any(covers(n, h) for n in cert.domain_names)]
    if missing:
        steps.append(
            "the certificate does not cover " + ", ".join(missing) + ": request one that "
            "names them (or a wildcard) and pass its ARN"
        )
    if cert.status == "ISSUED":
        steps.append(f"certificate {cert.arn} is issued; nothing to validate")
        return steps
    steps.append(f"certificate status {cert.status}; create these DNS records to validate it:")
    seen: set[tuple[str, str]] = set()
    for record in cert.validation:
        if record.status == "SUCCESS" or (record.name, record.value) in seen:
            continue
        seen.add((record.name, record.value))
        steps.append(f"  {record.type} {record.name} -> {record.value}   (for {record.domain})")
    return steps
