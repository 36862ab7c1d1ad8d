"""The closing summary and next-steps checklist (DNS records, OAuth callbacks, webhook)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..ops.pulumi_backend import OutputEntry

GITHUB_OAUTH_CALLBACK_PATH = "/api/auth/callback/github"
"""better-auth's callback path for the GitHub provider (set it in the GitHub OAuth app)."""

GOOGLE_OAUTH_CALLBACK_PATH = "/api/auth/callback/google"
"""better-auth's callback path for the Google provider."""

GITHUB_WEBHOOK_PATH = "/api/webhooks/github-app"
"""Where the platform receives GitHub App webhooks (check it against your platform version)."""


@dataclass(frozen=True)
class DomainPlan:
    """What the domain step decided.

    Attributes:
        domain: the custom domain ("" for none).
        tls: ``managed``, ``existing`` or ``none``.
        hosted_zone_id: the zone Pulumi uses (managed; None: the stack creates one).
        validation_steps: steps printed for an existing certificate.
    """

    domain: str = ""
    tls: str = "none"
    hosted_zone_id: str | None = None
    validation_steps: tuple[str, ...] = ()


def _output(outputs: Mapping[str, OutputEntry], key: str) -> str:
    entry = outputs.get(key)
    if entry is None or entry.value in (None, ""):
        return ""
    value = entry.value
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
    return str(value)


def checklist(
    domain: DomainPlan,
    outputs: Mapping[str, OutputEntry],
    *,
    app_url: str,
    google: bool,
    unset_keys: list[str],
) -> list[str]:
    """The next steps, in the order the user should do them."""
    steps: list[str] = []
    alb = _output(outputs, "albDnsName") or "<albDnsName output>"
    if domain.domain:
        hosts = [domain.domain, f"gateway.{domain.domain}", f"llm.{domain.domain}"]
        if domain.tls == "managed":
            if domain.hosted_zone_id:
                steps.append(
                    f"DNS: Pulumi manages the records of {', '.join(hosts)} in zone "
                    f"{domain.hosted_zone_id}; nothing to do"
                )
            else:
                servers = _output(outputs, "nameServers") or "<nameServers output>"
                steps.append(
                    f"DNS: delegate {domain.domain} to the new hosted zone: add an NS record "
                    f"for {domain.domain} in the parent zone with {servers}"
                )
        else:
            steps.extend(f"TLS: {line}" for line in domain.validation_steps)
            for host in hosts:
                steps.append(f"DNS: CNAME {host} -> {alb}")
    else:
        steps.append(f"No custom domain: the app is served at {app_url or alb} over HTTP")
    base = app_url.rstrip("/") or "<appUrl>"
    steps.append(f"GitHub OAuth app: set the callback URL to {base}{GITHUB_OAUTH_CALLBACK_PATH}")
    if google:
        steps.append(
            f"Google OAuth client: add the redirect URI {base}{GOOGLE_OAUTH_CALLBACK_PATH}"
        )
    steps.append(f"GitHub App: set the webhook URL to {base}{GITHUB_WEBHOOK_PATH}")
    if unset_keys:
        steps.append(
            f"{len(unset_keys)} optional keys are unset (commented out in the env file): "
            + ", ".join(unset_keys[:8])
            + (" ..." if len(unset_keys) > 8 else "")
        )
    return steps
