"""The estimator: every registered resource priced, rolled up per component and in total.

:func:`estimate` is a pure function of the resources (their types, inputs, parents and
dependencies, as the offline preview records them), a price table and usage figures. It
works for any program, not only the bundled stack: types it has no rule for are reported as
"not priced" with their count, and types AWS does not bill say why they are free.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigError
from .model import ComponentCost, CostEstimate, ResourceCost, ResourceStatus
from .prices import PriceTable, load_prices
from .resources import CostResource, StackIndex
from .rules import Free, NotPriced, Outcome, Priced, PricingContext, classify
from .usage import USAGE_KEYS, Usage

__all__ = ["DEFAULT_REGION", "check_region", "estimate"]

DEFAULT_REGION = "us-east-1"
"""The region assumed when the program's config has no ``aws:region`` (as the offline
preview's mocks do)."""


def check_region(prices: PriceTable, region: str, *, key: str = "aws:region") -> None:
    """Raise :class:`ConfigError` on ``key`` when ``region`` is not in the price table."""
    if not prices.has_region(region):
        raise ConfigError(
            key,
            region,
            "a region the price table lists: "
            + ", ".join(sorted(prices.regions))
            + " (or add it to a --prices file)",
        )


def estimate(
    resources: Sequence[CostResource],
    *,
    prices: PriceTable | None = None,
    usage: Usage | None = None,
    region: str = DEFAULT_REGION,
    region_key: str = "aws:region",
) -> CostEstimate:
    """Price every resource of a program.

    Args:
        resources: every registration (custom resources and components), e.g. from
            :func:`~proliferate_components.cost.resources_from_registrations`.
        prices: the price table (default: the bundled one).
        usage: usage figures (default: every documented default).
        region: the program's region; a resource's own ``region`` input or its explicit
            provider's ``region`` wins for that resource.
        region_key: the config key named when ``region`` is not priced.

    Raises:
        ConfigError: a region, instance class or node type the price table does not list,
            or a usage-file key that the named resource's type does not have.
    """
    table = prices if prices is not None else load_prices()
    figures = usage if usage is not None else Usage()
    check_region(table, region, key=region_key)
    index = StackIndex(resources)
    components = {r.urn: r for r in resources if not r.custom and not r.remote}
    priced: list[ResourceCost] = []
    for r in resources:
        if not r.custom and not r.remote:
            continue
        _check_usage_keys(r, figures)
        where = _region_of(r, index, region)
        if where != region:
            check_region(table, where, key=f"{r.name}.region")
        ctx = PricingContext(region=where, prices=table, usage=figures, stack=index)
        outcome = classify(r, ctx)
        chain = _component_chain(r, components)
        component = components[chain[0]].name if chain else ""
        priced.append(_resource_cost(r, outcome, component, chain, where))
    return CostEstimate(
        region=region,
        currency="USD",
        hours_per_month=table.hours_per_month,
        prices_source=table.source,
        prices_as_of=table.as_of,
        prices_file=table.file,
        resources=tuple(sorted(priced, key=lambda c: c.urn)),
        components=_components(components, priced),
        warnings=tuple(_usage_warnings(resources, figures)),
    )


def _resource_cost(
    r: CostResource, outcome: Outcome, component: str, chain: tuple[str, ...], where: str
) -> ResourceCost:
    """One resource's line of the estimate: priced (wholly or partly), free or not priced;
    ``component`` names the outermost component of ``chain`` (its components' URNs)."""
    if isinstance(outcome, Priced):
        status: ResourceStatus = "partly priced" if outcome.unpriced else "priced"
        return ResourceCost(
            urn=r.urn,
            type=r.type,
            name=r.name,
            component=component,
            component_urns=chain,
            status=status,
            reason="not priced: " + "; ".join(outcome.unpriced) if outcome.unpriced else "",
            lines=outcome.lines,
            notes=outcome.notes,
            region=where,
        )
    assert isinstance(outcome, (Free, NotPriced))
    return ResourceCost(
        urn=r.urn,
        type=r.type,
        name=r.name,
        component=component,
        component_urns=chain,
        status="free" if isinstance(outcome, Free) else "not priced",
        reason=outcome.reason,
        region=where,
    )


def _region_of(r: CostResource, index: StackIndex, default: str) -> str:
    own = r.input("region")
    if isinstance(own, str) and own:
        return own
    if r.provider:
        provider = index.by_urn.get(r.provider.rsplit("::", 1)[0])
        if provider is not None:
            configured = provider.input("region")
            if isinstance(configured, str) and configured:
                return configured
    return default


def _component_chain(r: CostResource, components: dict[str, CostResource]) -> tuple[str, ...]:
    chain: list[str] = []
    parent = r.parent
    while parent in components and parent not in chain:
        chain.append(parent)
        parent = components[parent].parent
    return tuple(chain)


def _components(
    components: dict[str, CostResource],
    priced: Sequence[ResourceCost],
) -> tuple[ComponentCost, ...]:
    totals: dict[str, float] = dict.fromkeys(components, 0.0)
    counts: dict[str, int] = dict.fromkeys(components, 0)
    for cost in priced:
        for urn in cost.component_urns:
            totals[urn] += cost.monthly_usd
            counts[urn] += 1
    children: dict[str, list[CostResource]] = {}
    for c in components.values():
        parent = c.parent if c.parent in components else ""
        children.setdefault(parent, []).append(c)
    ordered: list[ComponentCost] = []

    def walk(parent: str, depth: int) -> None:
        # costliest first: a stable order whatever order the registrations arrived in
        for c in sorted(children.get(parent, []), key=lambda c: (-totals[c.urn], c.name)):
            ordered.append(
                ComponentCost(
                    urn=c.urn,
                    type=c.type,
                    name=c.name,
                    parent=parent,
                    depth=depth,
                    monthly_usd=totals[c.urn],
                    resource_count=counts[c.urn],
                )
            )
            walk(c.urn, depth + 1)

    walk("", 0)
    return tuple(ordered)


def _check_usage_keys(r: CostResource, usage: Usage) -> None:
    unknown = usage.unknown_keys_for(r.type, r.name, r.urn)
    if unknown:
        valid = [k.name for k in USAGE_KEYS.get(r.type, ())]
        raise ConfigError(
            f"--usage {usage.file}: resource_usage.{r.name}.{unknown[0]}",
            unknown[0],
            f"a usage key of {r.type}: {', '.join(valid)}"
            if valid
            else f"nothing: {r.type} has no usage figures",
        )


def _usage_warnings(resources: Sequence[CostResource], usage: Usage) -> list[str]:
    known = {r.name for r in resources} | {r.urn for r in resources}
    return [
        f"--usage {usage.file}: resource_usage.{name} names no resource of this program; ignored"
        for name in usage.resources
        if name not in known
    ]
