"""Secrets Manager secrets and their API calls; KMS customer-managed keys and requests;
Systems Manager advanced parameters."""

from __future__ import annotations

from collections.abc import Mapping

from ..resources import CostResource
from .base import Free, Outcome, Priced, PricingContext, Rule

__all__ = ["RULES"]

_PER_10K = 10_000


def secret(r: CostResource, ctx: PricingContext) -> Outcome:
    """Per secret per month (each replica region is another secret), plus API calls."""
    copies = 1 + len(r.input_list("replicas"))
    calls = ctx.figure(r, "monthly_api_calls")
    return Priced(
        (
            ctx.line(
                "secret",
                "Secrets Manager secret" + (f" (+{copies - 1} replicas)" if copies > 1 else ""),
                copies,
                "secret-months",
                "secrets_manager.secret_month",
            ),
            ctx.line(
                "api-calls",
                "Secrets Manager API calls",
                calls.value / _PER_10K,
                "10k calls",
                "secrets_manager.per_10k_api_calls",
                calls,
            ),
        )
    )


def kms_key(r: CostResource, ctx: PricingContext) -> Outcome:
    """A customer-managed key per month, plus requests (AWS-managed keys are not resources)."""
    requests = ctx.figure(r, "monthly_requests")
    notes: tuple[str, ...] = ()
    if r.input("enableKeyRotation") is True:
        notes = ("each of the first two yearly rotations adds $1/month to this key",)
    return Priced(
        (
            ctx.line("key", "KMS customer-managed key", 1, "key-months", "kms.key_month"),
            ctx.line(
                "requests",
                "KMS requests",
                requests.value / _PER_10K,
                "10k requests",
                "kms.per_10k_requests",
                requests,
            ),
        ),
        notes=notes,
    )


def ssm_parameter(r: CostResource, ctx: PricingContext) -> Outcome:
    """Standard parameters are free; advanced ones cost per parameter-month."""
    if str(r.input("tier", "Standard")) != "Advanced":
        return Free("standard Parameter Store parameters have no charge")
    return Priced(
        (
            ctx.line(
                "parameter",
                "Advanced parameter",
                1,
                "parameter-months",
                "ssm.advanced_parameter_month",
            ),
        )
    )


RULES: Mapping[str, Rule] = {
    "aws:secretsmanager/secret:Secret": secret,
    "aws:kms/key:Key": kms_key,
    "aws:ssm/parameter:Parameter": ssm_parameter,
}
