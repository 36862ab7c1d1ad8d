"""Errors of the setup wizard: each is a clear message and a non-zero exit, never a traceback."""

from __future__ import annotations

from collections.abc import Sequence

from ..ops.errors import StepError

SetupError = StepError
"""A setup step could not complete (the wizard's name for :class:`~..ops.errors.StepError`);
``step`` is the wizard step that failed (``preflight``, ``backend``, ``stack``, ...)."""


class MissingAnswerError(SetupError):
    """A required answer is missing in non-interactive mode.

    Attributes:
        key: the answer key, e.g. ``region`` or ``env.ANTHROPIC_API_KEY``.
        sources: how the answer could be supplied (flag, environment variable, answers-file
            key), most specific first.
    """

    def __init__(self, key: str, sources: Sequence[str], *, why: str = "") -> None:
        self.key = key
        self.sources = tuple(sources)
        reason = f" ({why})" if why else ""
        super().__init__(
            f"missing required answer {key!r}{reason}; supply it with " + " or ".join(sources),
            step="answers",
        )


class ChangeNotConfirmedError(SetupError):
    """An existing value would change but the change was not confirmed.

    Attributes:
        key: what would change (a Pulumi config key, an env var, a file).
    """

    def __init__(self, key: str, detail: str) -> None:
        self.key = key
        super().__init__(
            f"{key} already has a different value ({detail}); not changed. Re-run "
            "interactively to confirm, pass --yes to accept every change, or make the answer "
            "match the existing value",
            step="confirm",
        )
