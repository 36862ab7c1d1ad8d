"""A step of an operation (setup, deploy) that could not complete."""

from __future__ import annotations

from ..errors import ProliferateError


class StepError(ProliferateError, RuntimeError):
    """A step could not complete; the message says what failed and what to do.

    The setup wizard calls it :class:`~proliferate_components.setup.errors.SetupError`.

    Attributes:
        step: the step that failed (``preflight``, ``backend``, ``migrations``, ...).
    """

    def __init__(self, message: str, *, step: str = "") -> None:
        self.step = step
        prefix = f"[{step}] " if step else ""
        super().__init__(prefix + message)
