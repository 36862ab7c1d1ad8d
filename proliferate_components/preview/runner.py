"""Run a Pulumi Python project offline: config, program under mocks, then the policy pack.

:func:`run_preview` is the whole ``proliferate-infra preview --offline`` without printing:
it loads and validates ``Pulumi.yaml``, resolves the stack's config (type-checked before any
program code runs), runs the program under :class:`~proliferate_components.testing.OfflineMocks`
with the recording monitor, and runs a CrossGuard policy pack over the registrations through
the Analyzer gRPC protocol (:mod:`proliferate_components.analyzer`), exactly as
``pulumi preview --policy-pack`` would. The pack's process starts in the background while
the program runs, and each custom resource is analysed (``Analyze``, on a worker thread) as
soon as it registers; only ``AnalyzeStack`` waits for the program to finish.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ProliferateError
from .project import PulumiProject, ResolvedConfig, load_project
from .timings import mark

if TYPE_CHECKING:
    import pulumi

    from ..analyzer import AnalyzerProcess, StreamingAnalysis, Violation
    from ..testing import Capture, Registration
    from .pack_pool import PackPool

__all__ = [
    "PRESETS",
    "PreviewResult",
    "ProgramError",
    "bundled_example_dir",
    "load_policy_pack_config",
    "preset_values",
    "run_preview",
]

_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")

PRESETS: tuple[str, ...] = ("dev", "prod")
"""Names accepted by ``--preset`` (``config.DEV_PRESET`` and ``config.PROD_PRESET``)."""


class ProgramError(ProliferateError):
    """The Pulumi program itself raised; ``__cause__`` holds the original exception.

    Attributes:
        project: the project name.
        original: the exception the program raised.
    """

    def __init__(self, project: str, original: BaseException, message: str | None = None) -> None:
        self.project = project
        self.original = original
        kind = type(original).__name__
        detail = message if message is not None else str(original)
        super().__init__(f"the program of project {project!r} failed: {kind}: {detail}")


@dataclass
class PreviewResult:
    """Everything one offline preview produced."""

    project: PulumiProject
    """The validated ``Pulumi.yaml``."""
    stack: str
    """The stack name used for URNs and ``pulumi.get_stack()``."""
    config: ResolvedConfig
    """The config the program saw."""
    capture: Capture
    """Every registration (with options, inputs and mocked outputs) and the stack outputs."""
    violations: list[Violation]
    """What the policy pack reported (empty when no pack ran)."""
    policy_pack: Path | None
    """The pack directory that ran, or ``None`` with ``--no-policy``."""
    timings_seconds: dict[str, float] = field(default_factory=dict[str, float])
    """Wall time of ``program`` (per-resource analysis runs during it), ``policy`` (what
    the analysis took after the program: the last queued ``Analyze`` calls and
    ``AnalyzeStack``) and ``total``."""
    log: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])
    """``(level, message)`` the program logged through ``pulumi.log`` at warning or above."""
    policy_levels: dict[str, str] = field(default_factory=dict[str, str])
    """Each policy of the pack that ran -> its enforcement level after the policy config
    (``advisory``, ``mandatory``, ``remediate`` or ``disabled``); empty when no pack ran."""

    @property
    def every_policy_disabled(self) -> bool:
        """True when a pack ran but the policy config disabled every one of its policies
        (``{"all": "disabled"}``): nothing was checked, whatever the verdict says."""
        return bool(self.policy_levels) and all(
            level == "disabled" for level in self.policy_levels.values()
        )

    @property
    def mandatory(self) -> list[Violation]:
        """Violations whose enforcement level is ``mandatory`` (they fail the preview)."""
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def exit_code(self) -> int:
        """1 when any mandatory violation was reported, else 0."""
        return 1 if self.mandatory else 0


def bundled_example_dir(package_dir: Path | None = None) -> Path:
    """The bundled example project: ``examples/proliferate`` in a checkout, or the copy
    shipped inside the wheel as ``proliferate_components/_examples/proliferate``.

    Args:
        package_dir: the ``proliferate_components`` directory to look from (default: this
            installed package).

    Raises:
        ConfigError: neither exists (key ``PROJECT_DIR``).
    """
    package = package_dir if package_dir is not None else Path(__file__).resolve().parent.parent
    candidates = (
        package / "_examples" / "proliferate",
        package.parent / "examples" / "proliferate",
    )
    for candidate in candidates:
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise ConfigError(
        "PROJECT_DIR",
        None,
        "a Pulumi project directory (the bundled example was not found at "
        + " or ".join(str(c) for c in candidates)
        + ")",
    )


def preset_values(name: str) -> Mapping[str, str]:
    """The config set of a preset (``dev`` or ``prod``), from :mod:`proliferate_components.config`.

    Raises:
        ConfigError: unknown preset name (key ``--preset``).
    """
    if name not in PRESETS:
        raise ConfigError("--preset", name, f"one of {', '.join(PRESETS)}")
    from .. import config as stack_config

    return dict(stack_config.DEV_PRESET if name == "dev" else stack_config.PROD_PRESET)


def load_policy_pack_config(path: str | Path) -> dict[str, Any]:
    """Read and check a ``--policy-pack-config`` JSON file (same format as ``pulumi preview``'s).

    The format is ``{"all": "<level>", "<policy>": "<level>" | {"enforcementLevel": ...,
    "<property>": ...}}`` with levels ``advisory``, ``mandatory``, ``remediate`` or ``disabled``.
    Properties are checked against each policy's schema when the pack runs.

    Raises:
        ConfigError: unreadable file, invalid JSON, or an entry of the wrong shape.
    """
    from ..analyzer import parse_policy_pack_config, read_policy_pack_config

    try:
        config = read_policy_pack_config(path)
    except OSError as exc:
        raise ConfigError(
            "--policy-pack-config", str(path), f"a readable JSON file ({exc.strerror})"
        ) from None
    parse_policy_pack_config(config)
    return config


def run_preview(
    project_dir: str | Path | None = None,
    *,
    stack: str = "dev",
    config: Mapping[str, str] | None = None,
    secret_config: Mapping[str, str] | None = None,
    preset: str | None = None,
    policy_pack: str | Path | None = None,
    policy_config: Mapping[str, Any] | None = None,
    mocks: pulumi.runtime.Mocks | None = None,
    pack_pool: PackPool | None = None,
    while_analysing: Callable[[], object] | None = None,
) -> PreviewResult:
    """Preview a Pulumi Python project offline and check it with a policy pack.

    Args:
        project_dir: the directory holding ``Pulumi.yaml``; ``None`` for the bundled example.
        stack: the stack name (in URNs and ``pulumi.get_stack()``); default ``dev``.
        config: ``{key: value}`` as ``pulumi config set`` takes them (strings; keys without
            a colon get the project's namespace). They win over the preset.
        secret_config: like ``config`` but the values are secret (``pulumi config set --secret``).
        preset: ``dev`` or ``prod`` to start from the spec's config sets; ``None`` for none.
        policy_pack: the pack directory to run; ``None`` runs no pack.
        policy_config: ``--policy-pack-config`` content (enforcement levels and properties).
            Default ``None``: the profile's (``proliferate:profile=prod`` makes the
            production hardening mandatory; see :mod:`proliferate_components.policies.profiles`).
        mocks: answers for resources and invokes; default
            :class:`~proliferate_components.testing.OfflineMocks` in the config's region.
        pack_pool: keep the pack's process running for later previews and reuse the one a
            previous preview left when it fits (see :class:`.pack_pool.PackPool`); default
            none: the pack is started for this preview and stopped after it.
        while_analysing: called once the program has ended, while the pack still works on
            the last resources and the stack (e.g. to import what the report needs); not
            called without a pack or when the program failed.

    Raises:
        ConfigError: invalid ``Pulumi.yaml``, config or options (before the program runs).
        UnansweredInvokeError: the program called a provider function with no offline answer.
        ProgramError: the program raised anything but a ``ConfigError`` (which is re-raised
            as is, since it already names its key). Secret config values are scrubbed from
            every message.
        PolicyPackError: the pack could not start or failed to answer.
    """
    started = time.perf_counter()
    project, resolved = _project_and_config(project_dir, stack, config, secret_config, preset)
    pack_dir = _check_pack_dir(policy_pack) if policy_pack is not None else None
    if policy_config is None and pack_dir is not None:
        policy_config = _profile_policy_config(resolved)
    timings: dict[str, float] = {}
    log: list[tuple[str, str]] = []
    with contextlib.ExitStack() as stack_ctx:
        pending: Callable[[], AnalyzerProcess] | None = None
        if pack_dir is not None:
            pending = _open_pack(
                stack_ctx, pack_dir, policy_config, project.name, stack, resolved, pack_pool
            )
        analysis = _streaming_analysis(stack_ctx, pending, reuse_answers=pack_pool is not None)
        capture = _timed_program(project, stack, resolved, mocks, analysis, log, timings)
        violations, policy_levels = _finish_analysis(
            analysis, pending, capture, while_analysing, timings
        )
        mark("policy_end")
    timings["total"] = time.perf_counter() - started
    return PreviewResult(
        project=project,
        stack=stack,
        config=resolved,
        capture=capture,
        violations=violations,
        policy_pack=pack_dir,
        timings_seconds=timings,
        log=log,
        policy_levels=policy_levels,
    )


def _project_and_config(
    project_dir: str | Path | None,
    stack: str,
    config: Mapping[str, str] | None,
    secret_config: Mapping[str, str] | None,
    preset: str | None,
) -> tuple[PulumiProject, ResolvedConfig]:
    """Check the stack name, load ``Pulumi.yaml`` and resolve the stack's config (preset,
    stack file, overrides), type-checked before any program code runs."""
    if not _STACK_NAME.match(stack):
        raise ConfigError(
            "--stack", stack, "a stack name: 1-100 letters, digits, hyphens, underscores or periods"
        )
    project = load_project(project_dir if project_dir is not None else bundled_example_dir())
    layers = ((f"--preset {preset}", preset_values(preset)),) if preset else ()
    known, secret_known = _known_keys(project.name)
    resolved = project.resolve_config(
        stack,
        config,
        secret_overrides=secret_config,
        layers=layers,
        known_keys=known,
        secret_known_keys=secret_known,
    )
    return project, resolved


def _profile_policy_config(resolved: ResolvedConfig) -> dict[str, Any] | None:
    """The policy config of the stack's profile: a prod stack is held to the prod profile's
    hardening (policies/profiles.py); ``None`` for the pack's own defaults."""
    from ..policies.profiles import policy_config_for

    return policy_config_for(resolved.values.get("proliferate:profile")) or None


def _open_pack(
    exits: contextlib.ExitStack,
    pack_dir: Path,
    policy_config: Mapping[str, Any] | None,
    project: str,
    stack: str,
    resolved: ResolvedConfig,
    pack_pool: PackPool | None,
) -> Callable[[], AnalyzerProcess]:
    """The pack's process, started now (or reused from ``pack_pool``): a function that waits
    for it to be ready."""
    # the pack sees the stack's config as the engine passes it, minus secrets
    stack_config = {k: v for k, v in resolved.values.items() if k not in resolved.secret_keys}
    if pack_pool is not None:
        return pack_pool.acquire(
            pack_dir, policy_config, project=project, stack=stack, stack_config=stack_config
        )
    return _start_analyzer(
        exits, pack_dir, policy_config, project=project, stack=stack, stack_config=stack_config
    ).result


def _streaming_analysis(
    exits: contextlib.ExitStack,
    pending: Callable[[], AnalyzerProcess] | None,
    *,
    reuse_answers: bool,
) -> StreamingAnalysis | None:
    """Analysis of each custom resource as it registers, while the program still runs (as
    the engine does); only AnalyzeStack waits for the program's end. A pack kept for later
    previews answers again what it answered before. ``None`` without a pack."""
    if pending is None:
        return None
    from ..analyzer import StreamingAnalysis

    return exits.enter_context(StreamingAnalysis(pending, reuse_answers=reuse_answers))


def _timed_program(
    project: PulumiProject,
    stack: str,
    resolved: ResolvedConfig,
    mocks: pulumi.runtime.Mocks | None,
    analysis: StreamingAnalysis | None,
    log: list[tuple[str, str]],
    timings: dict[str, float],
) -> Capture:
    """Run the program (each registration going to ``analysis``), collecting what it logs
    into ``log`` and its wall time into ``timings["program"]``."""
    t0 = time.perf_counter()
    mark("program_start")
    with _collect_log(log):
        capture = _run_program(
            project, stack, resolved, mocks, analysis.submit if analysis else None
        )
    timings["program"] = time.perf_counter() - t0
    mark("program_end")
    return capture


def _finish_analysis(
    analysis: StreamingAnalysis | None,
    pending: Callable[[], AnalyzerProcess] | None,
    capture: Capture,
    while_analysing: Callable[[], object] | None,
    timings: dict[str, float],
) -> tuple[list[Violation], dict[str, str]]:
    """Wait for the last ``Analyze`` answers and ``AnalyzeStack`` (running ``while_analysing``
    meanwhile, timed as ``timings["policy"]``); the violations, mandatory first, and the
    policies' levels. Nothing without a pack."""
    if analysis is None or pending is None:
        return [], {}
    t1 = time.perf_counter()
    answers = analysis.finish_later(capture.resources)
    if while_analysing is not None:
        while_analysing()
    violations = sorted(answers(), key=_violation_key)
    timings["policy"] = time.perf_counter() - t1
    return violations, _policy_levels(pending())


def _policy_levels(process: AnalyzerProcess) -> dict[str, str]:
    """Each policy of the pack -> its enforcement level after the policy config."""
    names = {p.name for p in process.info().policies}  # not the config's "all"
    configured = process.configuration()
    return {n: c.enforcement for n, c in configured.items() if n in names}


def _known_keys(project: str) -> tuple[frozenset[str], frozenset[str]]:
    """Config keys this package's stack reads (``StackConfig`` and the secret environment),
    and which of them are secret; empty for projects not named ``proliferate``."""
    if project != "proliferate":
        return frozenset(), frozenset()
    known: set[str] = set()
    secret: set[str] = set()
    try:
        from ..config import CONFIG_KEYS

        known.update(f"proliferate:{k.key}" for k in CONFIG_KEYS if ":" not in k.key)
    except ImportError:  # pragma: no cover - the config module is part of the package
        pass
    try:
        from ..environment import ENVIRONMENT, config_key

        for var in ENVIRONMENT:
            known.add(config_key(var.name))
            if var.secret:
                secret.add(config_key(var.name))
    except ImportError:  # pragma: no cover
        pass
    return frozenset(known), frozenset(secret)


def _violation_key(v: Violation) -> tuple[int, str, str, str]:
    order = {"mandatory": 0, "remediate": 1, "advisory": 2}
    return (order.get(v.enforcement, 3), v.policy, v.urn, v.message)


def _check_pack_dir(policy_pack: str | Path) -> Path:
    pack = Path(policy_pack).expanduser().resolve()
    if not (pack / "PulumiPolicy.yaml").is_file():
        raise ConfigError(
            "--policy-pack",
            str(policy_pack),
            "a policy pack directory holding PulumiPolicy.yaml (not found)",
        )
    return pack


def _start_analyzer(
    exits: contextlib.ExitStack,
    pack_dir: Path,
    policy_config: Mapping[str, Any] | None,
    *,
    project: str,
    stack: str,
    stack_config: Mapping[str, str],
) -> Future[AnalyzerProcess]:
    """Start the pack's process now and connect to it in a background thread; its shutdown
    is registered on ``exits``."""
    from ..analyzer import AnalyzerProcess

    process = AnalyzerProcess(
        pack_dir,
        config=dict(policy_config) if policy_config else None,
        project=project,
        stack=stack,
        stack_config=stack_config,
    )
    exits.callback(process.close)
    process.launch()  # the pack boots in its own process while this one goes on
    # Import Pulumi (through the harness) on this thread before the pool's thread imports
    # Pulumi's protobuf modules: two threads importing the `pulumi` package at once can meet
    # it partially initialised (ImportError: cannot import name ... circular import).
    from .. import testing as _testing  # noqa: F401  # pyright: ignore[reportUnusedImport]

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policy-pack")
    exits.callback(pool.shutdown, wait=True)

    def start() -> AnalyzerProcess:
        process.start()
        # GetAnalyzerInfo (cached) and the config check happen while the program still runs.
        process.reconcile()
        return process

    return pool.submit(start)


def _run_program(
    project: PulumiProject,
    stack: str,
    resolved: ResolvedConfig,
    mocks: pulumi.runtime.Mocks | None,
    on_register: Callable[[Registration], None] | None = None,
) -> Capture:
    from ..errors import UnansweredInvokeError
    from ..testing import capture_project
    from . import sdk_patches

    sdk_patches.apply()
    try:
        return capture_project(
            project.directory,
            config=dict(resolved.values),
            secret_keys=sorted(resolved.secret_keys),
            project=project.name,
            stack=stack,
            mocks=mocks,
            main=project.main,
            on_register=on_register,
        )
    except SystemExit as exc:  # the program called sys.exit(): a failed program, not ours to exit
        raise ProgramError(project.name, exc, f"the program called sys.exit({exc.code!r})") from exc
    except Exception as exc:
        found: BaseException = exc
        if not isinstance(exc, ProliferateError):
            found = _find_cause(exc, UnansweredInvokeError) or _find_cause(exc, ConfigError) or exc
        raise _without_secrets(project.name, found, resolved) from exc


def _without_secrets(project: str, exc: BaseException, resolved: ResolvedConfig) -> BaseException:
    """``exc`` as the error to report: program failures wrapped in :class:`ProgramError`, and
    any secret config value in the message replaced by the marker."""
    from .export import Redactor

    secrets = [resolved.values[k] for k in resolved.secret_keys if k in resolved.values]
    redactor = Redactor(secrets)
    if not isinstance(exc, ProliferateError):
        original = _root_cause(exc)
        return ProgramError(project, original, redactor.text(str(original)))
    if redactor.text(str(exc)) == str(exc):
        return exc
    if isinstance(exc, ConfigError):
        return ConfigError(exc.key, None, redactor.text(exc.valid), secret=True)
    return ProliferateError(redactor.text(str(exc)))


def _find_cause(exc: BaseException, kind: type[BaseException]) -> Any:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _root_cause(exc: BaseException) -> BaseException:
    """Unwrap Pulumi's RunError wrappers to the exception the program raised."""
    current = exc
    while current.__cause__ is not None and type(current).__name__ in (
        "RunError",
        "InputPropertyError",
    ):
        current = current.__cause__
    return current


@contextlib.contextmanager
def _collect_log(sink: list[tuple[str, str]]) -> Generator[None]:
    """Collect what the program logs through ``pulumi.log`` (the mock engine logs to the root logger)."""

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            sink.append((record.levelname.lower(), record.getMessage()))

    root = logging.getLogger()
    handler = _Handler(level=logging.WARNING)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
