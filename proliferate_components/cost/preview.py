"""``preview --offline --cost``: estimate the previewed program, and optionally a second
configuration of it, for the CLI.

:func:`prepare_cost` checks every cost input before the program runs: the ``--prices`` and
``--usage`` files, the region each run will use (resolved from the project's config exactly
as the preview resolves it) and, for this package's own stack, the Redis node type and the
database instance class config keys. :meth:`CostRequest.run` then prices the preview's
registrations and, with ``--compare-preset``/``--compare-config``, previews the second
configuration (without a policy pack) and compares the two line by line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .compare import Comparison, compare
from .estimate import DEFAULT_REGION, check_region, estimate
from .model import CostEstimate
from .prices import PriceTable, load_prices
from .resources import resources_from_registrations
from .usage import Usage, load_usage

if TYPE_CHECKING:
    from ..preview.runner import PreviewResult

__all__ = ["CostOutcome", "CostRequest", "estimate_preview", "prepare_cost"]

_TYPE_KEYS: Mapping[str, str] = {
    "proliferate:redisCacheNodeType": "elasticache.node_hour",
    "proliferate:dbInstanceClass": "rds.instance_hour.postgres",
}
"""Config keys of this package's stack that name a priced type -> the price table holding it."""


@dataclass(frozen=True)
class CostOutcome:
    """The estimate of the preview, and the comparison when one was asked for."""

    estimate: CostEstimate
    comparison: Comparison | None = None

    def to_dict(self) -> dict[str, Any]:
        """What ``--json`` writes under ``cost``."""
        document = self.estimate.to_dict()
        document["comparison"] = self.comparison.to_dict() if self.comparison else None
        return document


@dataclass(frozen=True)
class CostRequest:
    """Checked cost inputs and the preview arguments a comparison run repeats."""

    prices: PriceTable
    usage: Usage
    project_dir: str | None = None
    stack: str = "dev"
    config: Mapping[str, str] = field(default_factory=dict[str, str])
    secret_config: Mapping[str, str] = field(default_factory=dict[str, str])
    preset: str | None = None
    compare_preset: str | None = None
    compare_config: Mapping[str, str] = field(default_factory=dict[str, str])
    report_file: str | None = None

    @property
    def compares(self) -> bool:
        """Whether a second configuration is previewed."""
        return self.compare_preset is not None or bool(self.compare_config)

    def run(self, result: PreviewResult) -> CostOutcome:
        """Estimate ``result`` (and the second configuration, previewed now).

        Raises:
            ConfigError: an instance class, node type or region the price table lacks, or a
                usage-file key that the named resource's type does not have.
        """
        base = estimate_preview(result, self.prices, self.usage)
        if not self.compares:
            return CostOutcome(base)
        from ..preview.runner import run_preview

        second = run_preview(
            self.project_dir,
            stack=self.stack,
            config={**self.config, **self.compare_config},
            secret_config=self.secret_config,
            preset=self.compare_preset or self.preset,
            policy_pack=None,
        )
        other = estimate_preview(second, self.prices, self.usage)
        return CostOutcome(
            base,
            compare(base, other, base_label=self._label(), other_label=self._other_label()),
        )

    def _label(self) -> str:
        return f"--preset {self.preset}" if self.preset else "as configured"

    def _other_label(self) -> str:
        parts: list[str] = []
        if self.compare_preset is not None:
            parts.append(f"--preset {self.compare_preset}")
        parts.extend(f"{k}={v}" for k, v in self.compare_config.items())
        return " ".join(parts)


def estimate_preview(result: PreviewResult, prices: PriceTable, usage: Usage) -> CostEstimate:
    """The estimate of an offline preview's registrations, in its ``aws:region``."""
    region = result.config.values.get("aws:region") or DEFAULT_REGION
    return estimate(
        resources_from_registrations(result.capture.resources),
        prices=prices,
        usage=usage,
        region=region,
    )


def prepare_cost(
    project_dir: str | None,
    *,
    cost: bool,
    stack: str = "dev",
    config: Mapping[str, str] | None = None,
    secret_config: Mapping[str, str] | None = None,
    preset: str | None = None,
    prices_file: str | None = None,
    usage_file: str | None = None,
    compare_preset: str | None = None,
    compare_config: Mapping[str, str] | None = None,
    report_file: str | None = None,
) -> CostRequest | None:
    """Check the cost options before anything runs; ``None`` when no estimate is wanted.

    Raises:
        ConfigError: a cost option without ``--cost``, a bad ``--cost-report`` name, an
            unreadable or malformed ``--prices`` or ``--usage`` file, or a region, Redis
            node type or database instance class (config keys) the price table lacks.
    """
    options = {
        "--prices": prices_file,
        "--usage": usage_file,
        "--compare-preset": compare_preset,
        "--compare-config": dict(compare_config or {}) or None,
        "--cost-report": report_file,
    }
    if not cost:
        for option, value in options.items():
            if value is not None:
                raise ConfigError(option, value, "only together with --cost")
        return None
    if report_file is not None and Path(report_file).suffix != ".md":
        raise ConfigError("--cost-report", report_file, "a Markdown file ending in .md")
    request = CostRequest(
        prices=load_prices(prices_file),
        usage=load_usage(usage_file) if usage_file is not None else Usage(),
        project_dir=project_dir,
        stack=stack,
        config=dict(config or {}),
        secret_config=dict(secret_config or {}),
        preset=preset,
        compare_preset=compare_preset,
        compare_config=dict(compare_config or {}),
        report_file=report_file,
    )
    _preflight(request)
    return request


def _preflight(request: CostRequest) -> None:
    """Resolve each run's config as the preview will and check its region and typed keys."""
    from ..preview.project import load_project
    from ..preview.runner import bundled_example_dir, preset_values

    project = load_project(
        request.project_dir if request.project_dir is not None else bundled_example_dir()
    )
    runs: list[tuple[str | None, Mapping[str, str]]] = [(request.preset, request.config)]
    if request.compares:
        runs.append(
            (request.compare_preset or request.preset, {**request.config, **request.compare_config})
        )
    for preset, overrides in runs:
        layers = ((f"--preset {preset}", preset_values(preset)),) if preset else ()
        resolved = project.resolve_config(
            request.stack, overrides, secret_overrides=request.secret_config, layers=layers
        )
        region = resolved.values.get("aws:region") or DEFAULT_REGION
        check_region(request.prices, region)
        if project.name != "proliferate":
            continue
        for key, table in _TYPE_KEYS.items():
            value = resolved.values.get(key)
            known = request.prices.instance_rates(region, table)
            if value is not None and value not in known:
                raise ConfigError(
                    key,
                    value,
                    f"a type the price table lists for {region} ({table}): "
                    + ", ".join(sorted(known))
                    + "; or add its price to a --prices file",
                )
