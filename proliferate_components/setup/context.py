"""The run context shared by every step: answers, prompts, dry-run and change confirmation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from ..errors import ConfigError
from .answers import Answers, answer_spec
from .errors import ChangeNotConfirmedError, MissingAnswerError
from .prompts import Prompter, Validator

T = TypeVar("T")


def mask(value: str, *, secret: bool) -> str:
    """Show ``value`` for messages; secrets become ``[secret, N chars]``."""
    if not secret:
        return repr(value)
    return f"[secret, {len(value)} chars]"


@dataclass
class SetupContext:
    """What every step needs to ask, report and change things.

    Attributes:
        answers: the explicit answers (flags, environment, answers file).
        prompter: asks the user; None means non-interactive (defaults or errors instead).
        dry_run: report every change and make none (no AWS mutation, no Pulumi config set,
            no file written). Default in the CLI: False.
        echo: prints one line of progress for the user.
        changes: every change made (or, in a dry run, that would be made), in order.
    """

    answers: Answers
    prompter: Prompter | None
    dry_run: bool = False
    echo: Callable[[str], None] = print
    changes: list[str] = field(default_factory=list[str])

    @property
    def interactive(self) -> bool:
        """True when questions can be asked."""
        return self.prompter is not None

    @property
    def assume_yes(self) -> bool:
        """True when ``--yes`` accepts every change to an existing value."""
        answer = self.answers.get("yes")
        return bool(answer and answer.value)

    def text(
        self,
        key: str,
        message: str,
        *,
        default: str | None = None,
        existing: str | None = None,
        required: bool = True,
        secret: bool = False,
        validate: Validator | None = None,
    ) -> str:
        """Resolve a wizard text/choice answer in the documented priority order.

        Explicit answer, else (interactive) a prompt defaulting to ``existing`` or
        ``default``, else (non-interactive) ``existing``, ``default``, or "" when not
        ``required``.

        Raises:
            ConfigError: an explicit answer fails ``validate``.
            MissingAnswerError: non-interactive, required, and nothing supplies it.
        """
        explicit = self.answers.get(key)
        if explicit is not None:
            value = str(explicit.value)
            if validate is not None and value:
                problem = validate(value)
                if problem is not None:
                    raise ConfigError(key, value, problem, secret=secret)
            return value
        fallback = existing if existing is not None else default
        spec = answer_spec(key)
        if self.prompter is not None:
            if spec.kind == "choice":
                return self.prompter.select(
                    key, message, spec.choices, default=fallback or spec.choices[0]
                )
            return self.prompter.text(
                key, message, default=fallback or "", secret=secret, validate=validate
            )
        if fallback is not None:
            return fallback
        if not required:
            return ""
        raise MissingAnswerError(key, self.answers.sources_for(key), why=message)

    def flag(self, key: str, message: str, *, default: bool, ask: bool = True) -> bool:
        """Resolve a yes/no answer: explicit, else a prompt (when ``ask``), else ``default``."""
        explicit = self.answers.get(key)
        if explicit is not None:
            return bool(explicit.value)
        if self.prompter is not None and ask:
            return self.prompter.confirm(key, message, default=default)
        return default

    def choose(self, key: str, message: str, choices: Sequence[str], *, default: str) -> str:
        """Ask for one of ``choices`` that is not an answer key (e.g. a profile name).

        Non-interactive runs take ``default``.
        """
        if self.prompter is None:
            return default
        return self.prompter.select(key, message, choices, default=default)

    def confirm(self, key: str, message: str, *, default: bool) -> bool:
        """Ask yes/no; non-interactive runs take ``default``."""
        if self.prompter is None:
            return default
        return self.prompter.confirm(key, message, default=default)

    def confirm_change(self, what: str, old: str, new: str, *, secret: bool = False) -> bool:
        """Confirm changing ``what`` from ``old`` to ``new``.

        Returns True to change. Interactive: asks (default no). Non-interactive: True with
        ``--yes``.

        Raises:
            ChangeNotConfirmedError: non-interactive without ``--yes``.
        """
        detail = f"{mask(old, secret=secret)} -> {mask(new, secret=secret)}"
        if self.assume_yes:
            return True
        if self.prompter is None:
            raise ChangeNotConfirmedError(what, detail)
        return self.prompter.confirm(
            f"change:{what}",
            f"{what} is {detail.split(' -> ')[0]}; change it to {mask(new, secret=secret)}?",
            default=False,
        )

    def mutate(self, description: str, action: Callable[[], T]) -> T | None:
        """Make one change, or in a dry run only report it; returns the action's result."""
        if self.dry_run:
            self.changes.append(description)
            self.echo(f"  would {description}")
            return None
        self.echo(f"  {description}")
        result = action()
        self.changes.append(description)
        return result
