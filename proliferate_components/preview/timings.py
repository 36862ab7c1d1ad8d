"""Where a ``proliferate-infra preview`` process spends its time, for ``benchmarks/``.

With ``PROLIFERATE_PREVIEW_TIMINGS=FILE`` in the environment the preview command writes
``FILE`` (JSON) when it ends: wall-clock stamps (``time.time()``) of its phases, the seconds
spent importing modules (every import, however late: the program imports most of what it
uses), and the peak resident memory of the process and of its policy pack. A benchmark that
noted ``time.time()`` before starting the process derives the breakdown from it (see
:func:`breakdown`). Without the variable nothing is measured and nothing is installed.

Import time is measured by a ``sys.meta_path`` finder that wraps every module's loader and
adds up the time of the outermost ``exec_module`` calls (nested imports are inside them).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["ENV", "PhaseClock", "breakdown", "clock", "mark", "start_from_env"]

ENV = "PROLIFERATE_PREVIEW_TIMINGS"
"""Environment variable naming the JSON file the preview command writes its timings to."""


class _TimedLoader:
    """A loader proxy that times ``exec_module`` (outermost calls only)."""

    def __init__(self, loader: Any, clock: PhaseClock) -> None:
        self._loader = loader
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        clock = self._clock
        depth = getattr(clock.local, "depth", 0)
        clock.local.depth = depth + 1
        started = time.perf_counter() if depth == 0 else 0.0
        try:
            self._loader.exec_module(module)
        finally:
            clock.local.depth = depth
            if depth == 0 and threading.current_thread() is threading.main_thread():
                clock.import_seconds += time.perf_counter() - started


class _TimingFinder:
    def __init__(self, clock: PhaseClock) -> None:
        self._clock = clock
        self._busy = threading.local()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: Any = None
    ) -> Any:
        if getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            for finder in sys.meta_path:
                if finder is self:
                    continue
                find = getattr(finder, "find_spec", None)
                if find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                        spec.loader = _TimedLoader(spec.loader, self._clock)
                    return spec
            return None
        finally:
            self._busy.on = False

    def invalidate_caches(self) -> None:
        """Part of the finder protocol: nothing cached here."""


class PhaseClock:
    """Wall-clock stamps of the preview's phases and the seconds spent importing.

    Args:
        path: the JSON file :meth:`write` writes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stamps: dict[str, float] = {"handler": time.time()}
        self.cpu: dict[str, float] = {"handler": time.process_time()}
        self.import_seconds = 0.0
        self.local = threading.local()
        self.extra: dict[str, Any] = {}
        self._imports_at: dict[str, float] = {}
        self._finder = _TimingFinder(self)

    def install(self) -> None:
        """Start timing imports (the finder goes first on ``sys.meta_path``)."""
        sys.meta_path.insert(0, self._finder)  # pyright: ignore[reportArgumentType]

    def mark(self, name: str, at: float | None = None) -> None:
        """Note that phase boundary ``name`` is now (or at ``at``, a ``time.time()``)."""
        self.stamps[name] = time.time() if at is None else at
        self.cpu[name] = time.process_time()
        self._imports_at[name] = self.import_seconds

    def write(self) -> None:
        """Write the stamps, import seconds and peak memory (KiB) to :attr:`path`."""
        import resource

        self.mark("end")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        document = {
            "stamps": self.stamps,
            "cpu_at": self.cpu,
            "import_seconds": self.import_seconds,
            "import_seconds_at": self._imports_at,
            "cpu_seconds": time.process_time(),
            "maxrss_kib": own,
            "maxrss_children_kib": children,
            **self.extra,
        }
        try:
            self.path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"warning: could not write {self.path}: {exc}", file=sys.stderr)


_CLOCK: list[PhaseClock] = []


def start_from_env() -> PhaseClock | None:
    """Start a :class:`PhaseClock` if ``PROLIFERATE_PREVIEW_TIMINGS`` names a file (once)."""
    if _CLOCK:
        return _CLOCK[0]
    target = os.environ.get(ENV)
    if not target:
        return None
    found = PhaseClock(Path(target))
    found.install()
    _CLOCK.append(found)
    return found


def clock() -> PhaseClock | None:
    """The running clock, if any."""
    return _CLOCK[0] if _CLOCK else None


def mark(name: str) -> None:
    """Mark phase boundary ``name`` on the running clock (nothing without one)."""
    if _CLOCK:
        _CLOCK[0].mark(name)


def breakdown(document: Mapping[str, Any], spawned: float, ended: float) -> dict[str, float]:
    """Seconds per phase of one preview process from its timings document.

    Args:
        document: what the process wrote (see the module docstring).
        spawned: ``time.time()`` just before the process was started.
        ended: ``time.time()`` when it had exited.

    Returns:
        ``imports`` (interpreter start-up up to the command's handler, plus every import
        after it, wherever it happened), ``program`` (the program under mocks), ``policy``
        (waiting for the pack once the program ended), ``report`` (console report and
        files), each without the imports inside it, ``other`` (config, starting the pack,
        exit: the rest) and ``total``.
    """
    stamps: Mapping[str, float] = document["stamps"]
    at: Mapping[str, float] = document.get("import_seconds_at", {})

    def phase(start: str, end: str) -> float:
        end_at = stamps.get(end, stamps[start])
        return (end_at - stamps[start]) - (at.get(end, 0.0) - at.get(start, 0.0))

    startup = stamps["handler"] - spawned
    parts = {
        "imports": startup + float(document.get("import_seconds", 0.0)),
        "program": phase("program_start", "program_end"),
        "policy": phase("program_end", "policy_end"),
        "report": phase("policy_end", "report_end"),
    }
    total = ended - spawned
    parts["other"] = total - sum(parts.values())
    parts["total"] = total
    return parts
