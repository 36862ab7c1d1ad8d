"""A deadline for an offline preview: a program that never finishes is stopped, not waited on.

:func:`deadline` arms a real-time timer (``SIGALRM``) around a block; when it fires, the
block is interrupted wherever it is (a ``time.sleep``, an endless loop in the program, a
wait on the policy pack) by :class:`PreviewTimeout`. It derives from ``KeyboardInterrupt``
so that nothing on the way can swallow it: not a program's or an SDK's ``except
Exception``, and not asyncio, which re-raises only ``KeyboardInterrupt`` and ``SystemExit``
from a callback and logs any other ``BaseException`` (a timer that fired while the event
loop ran a callback was lost that way, and the preview waited forever: about 1 run in 40
with a 0.2-0.45 s deadline). Catch :class:`PreviewTimeout` before ``KeyboardInterrupt``.
``with`` blocks and ``finally`` clauses on the way out still run (the policy pack's process
is stopped).

The timer needs ``signal.setitimer`` and the main thread: elsewhere (Windows, a worker
thread) the block runs without a deadline and :func:`deadline` says so by yielding False.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Generator
from types import FrameType

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "PreviewTimeout", "deadline"]

DEFAULT_TIMEOUT_SECONDS = 300.0
"""``proliferate-infra preview --timeout``'s default: the bundled example previews in about
a second, a large program in tens of seconds; five minutes means something never ends."""


class PreviewTimeout(KeyboardInterrupt):  # an interruption asyncio lets through
    """The block did not finish within its deadline.

    Attributes:
        seconds: the deadline that passed.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"did not finish within {seconds:g} s")


@contextlib.contextmanager
def deadline(seconds: float | None) -> Generator[bool]:
    """Interrupt the block with :class:`PreviewTimeout` after ``seconds`` of wall time.

    Yields True when the deadline is armed; False when ``seconds`` is ``None`` or the
    platform or thread cannot arm it (then the block runs without one). The previous
    ``SIGALRM`` handler and timer are restored afterwards.
    """
    can_arm = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not can_arm or seconds is None:
        yield False
        return
    limit = seconds

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise PreviewTimeout(limit)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
