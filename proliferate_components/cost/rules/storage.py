"""Storage: ECR image storage, S3 buckets (Standard storage and requests), Route53 zones."""

from __future__ import annotations

from collections.abc import Mapping

from ..resources import CostResource
from .base import Outcome, Priced, PricingContext, Rule

__all__ = ["RULES"]

_PER_1K = 1_000
_PER_MILLION = 1_000_000


def ecr_repository(r: CostResource, ctx: PricingContext) -> Outcome:
    """Image data stored (pulls from the same region are free)."""
    stored = ctx.figure(r, "storage_gb")
    return Priced(
        (
            ctx.line(
                "storage",
                "ECR image storage",
                stored.value,
                "GB-months",
                "ecr.storage_gb_month",
                stored,
            ),
        ),
        notes=("basic scan on push is free",) if _scan_on_push(r) else (),
    )


def _scan_on_push(r: CostResource) -> bool:
    return r.input_map("imageScanningConfiguration").get("scanOnPush") is True


def s3_bucket(r: CostResource, ctx: PricingContext) -> Outcome:
    """S3 Standard storage plus PUT-class and GET-class requests."""
    stored = ctx.figure(r, "storage_gb")
    puts = ctx.figure(r, "monthly_put_requests")
    gets = ctx.figure(r, "monthly_get_requests")
    lines = [
        ctx.line(
            "storage",
            "S3 Standard storage",
            stored.value,
            "GB-months",
            "s3.standard_gb_month",
            stored,
        ),
        ctx.line(
            "put",
            "S3 PUT, COPY, POST, LIST requests",
            puts.value / _PER_1K,
            "1k requests",
            "s3.per_1k_put_requests",
            puts,
        ),
    ]
    if gets.value > 0:
        lines.append(
            ctx.line(
                "get",
                "S3 GET requests",
                gets.value / _PER_1K,
                "1k requests",
                "s3.per_1k_get_requests",
                gets,
            )
        )
    return Priced(tuple(lines))


def hosted_zone(r: CostResource, ctx: PricingContext) -> Outcome:
    """A hosted zone per month, plus standard queries (alias queries to AWS resources are free)."""
    queries = ctx.figure(r, "monthly_standard_queries")
    lines = [ctx.line("zone", "Route53 hosted zone", 1, "zone-months", "route53.hosted_zone_month")]
    if queries.value > 0:
        lines.append(
            ctx.line(
                "queries",
                "Route53 standard queries",
                queries.value / _PER_MILLION,
                "million queries",
                "route53.per_million_queries",
                queries,
            )
        )
    return Priced(tuple(lines), notes=("alias queries to the load balancer are free",))


RULES: Mapping[str, Rule] = {
    "aws:ecr/repository:Repository": ecr_repository,
    "aws:s3/bucket:Bucket": s3_bucket,
    "aws:s3/bucketV2:BucketV2": s3_bucket,
    "aws:route53/zone:Zone": hosted_zone,
}
