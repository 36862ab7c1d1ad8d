"""Policy pack processes kept running between offline previews (``preview --watch``).

A cold preview starts the pack's process, uses it once and stops it. :class:`PackPool` keeps
the process of the last preview and hands it to the next one when nothing the pack depends
on changed: the pack directory, the ``--policy-pack-config`` content, the project and stack
names and the stack's (non-secret) config, which the engine passes to the pack when it
starts it (``PULUMI_CONFIG``). Anything else starts a new process (the old one is stopped).
A pack that exited or failed to start is never reused. A pack process keeps no state between
previews: ``Configure`` is the same, and ``Analyze``/``AnalyzeStack`` answer each request on
its own, as they do for the engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..analyzer import AnalyzerProcess

__all__ = ["PackPool"]


class PackPool:
    """Keeps one started policy pack process for the next preview that needs the same one.

    Use as a context manager or call :meth:`close`; the process is stopped either way.
    """

    def __init__(self) -> None:
        self._key: str | None = None
        self._process: AnalyzerProcess | None = None
        self._ready: Future[AnalyzerProcess] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policy-pack")
        self.started = 0
        """How many pack processes this pool started (the first preview's included)."""

    def __enter__(self) -> PackPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def acquire(
        self,
        pack_dir: Path,
        policy_config: Mapping[str, Any] | None,
        *,
        project: str,
        stack: str,
        stack_config: Mapping[str, str],
    ) -> Callable[[], AnalyzerProcess]:
        """A function returning the started pack for these settings (call it on any thread).

        The running process is reused when the settings are those it was started with and
        it is still alive; otherwise it is stopped and a new one starts now, in the
        background (the result waits for it).
        """
        key = json.dumps(
            [str(pack_dir), policy_config or {}, project, stack, dict(stack_config)],
            sort_keys=True,
            default=str,
        )
        if key == self._key and self._usable():
            assert self._ready is not None
            return self._ready.result
        self.discard()
        from ..analyzer import AnalyzerProcess

        process = AnalyzerProcess(
            pack_dir,
            config=dict(policy_config) if policy_config else None,
            project=project,
            stack=stack,
            stack_config=stack_config,
        )
        process.launch()  # the pack boots in its own process while the caller goes on
        # Import Pulumi on this thread before the executor's thread imports its protobuf
        # modules (two threads importing `pulumi` at once can see it half initialised).
        from .. import testing as _testing  # noqa: F401  # pyright: ignore[reportUnusedImport]

        def start() -> AnalyzerProcess:
            process.start()
            process.reconcile()
            return process

        self._key = key
        self._process = process
        self._ready = self._executor.submit(start)
        self.started += 1
        return self._ready.result

    def _usable(self) -> bool:
        process, ready = self._process, self._ready
        if process is None or ready is None or not process.alive():
            return False
        return not (ready.done() and ready.exception() is not None)

    def discard(self) -> None:
        """Stop the kept process (the next :meth:`acquire` starts a new one)."""
        process, ready = self._process, self._ready
        self._key = self._process = self._ready = None
        if ready is not None:
            ready.cancel()
            if not ready.cancelled():
                ready.exception()  # wait for a start in progress before stopping the process
        if process is not None:
            process.close()

    def close(self) -> None:
        """Stop the kept process and the pool's thread (idempotent)."""
        self.discard()
        self._executor.shutdown(wait=True)
