"""Asking the user: the :class:`Prompter` protocol and its implementations.

- :class:`QuestionaryPrompter` asks in a terminal through questionary (imported when first
  used). Tests drive it with prompt_toolkit's pipe input and ``DummyOutput``.
- :class:`ScriptedPrompter` answers from a mapping keyed by answer key (tests and scripted
  runs); an unscripted question raises :class:`~.errors.MissingAnswerError`.

Every question carries the answer ``key`` it is for, so scripted answers, error messages and
the docs all use the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .errors import MissingAnswerError, SetupError

Validator = Callable[[str], "str | None"]
"""Returns an error message for an invalid answer, or None when it is valid."""


@runtime_checkable
class Prompter(Protocol):
    """Something that can ask the user a question and return the answer."""

    def text(
        self,
        key: str,
        message: str,
        *,
        default: str = "",
        secret: bool = False,
        multiline: bool = False,
        validate: Validator | None = None,
    ) -> str:
        """Ask for a line (or with ``multiline`` several lines) of text; returns the answer."""
        ...

    def confirm(self, key: str, message: str, *, default: bool = False) -> bool:
        """Ask a yes/no question; returns the answer."""
        ...

    def select(self, key: str, message: str, choices: Sequence[str], *, default: str) -> str:
        """Ask for one of ``choices``; returns the chosen one."""
        ...


class QuestionaryPrompter:
    """Interactive prompts in a terminal, through questionary.

    Args:
        input: a prompt_toolkit input; None (the default) uses the terminal.
        output: a prompt_toolkit output; None (the default) uses the terminal.

    Ctrl-C raises :class:`KeyboardInterrupt` (``unsafe_ask``), which the CLI turns into exit
    code 130 without a traceback; the end of input (Ctrl-D, a closed stdin) is a
    :class:`~.errors.SetupError` naming the question.
    """

    def __init__(self, *, input: Any = None, output: Any = None) -> None:
        self._io: dict[str, Any] = {}
        if input is not None:
            self._io["input"] = input
        if output is not None:
            self._io["output"] = output

    def text(
        self,
        key: str,
        message: str,
        *,
        default: str = "",
        secret: bool = False,
        multiline: bool = False,
        validate: Validator | None = None,
    ) -> str:
        """Ask for text; ``secret`` hides the input, ``multiline`` ends with Esc then Enter."""
        import questionary

        def check(value: str) -> bool | str:
            if validate is None:
                return True
            problem = validate(value)
            return True if problem is None else problem

        if secret and not multiline:
            question = questionary.password(message, default=default, validate=check, **self._io)
        else:
            question = questionary.text(
                message,
                default=default,
                validate=check,
                multiline=multiline,
                instruction="(finish with Esc then Enter)" if multiline else None,
                **self._io,
            )
        return str(_ask(question, key))

    def confirm(self, key: str, message: str, *, default: bool = False) -> bool:
        """Ask yes/no."""
        import questionary

        return bool(_ask(questionary.confirm(message, default=default, **self._io), key))

    def select(self, key: str, message: str, choices: Sequence[str], *, default: str) -> str:
        """Ask for one of ``choices`` (arrow keys or the shortcut numbers)."""
        import questionary

        answer = _ask(
            questionary.select(
                message, choices=list(choices), default=default, use_shortcuts=True, **self._io
            ),
            key,
        )
        return str(answer)


def _ask(question: Any, key: str) -> Any:
    """Ask; Ctrl-C stays KeyboardInterrupt, the end of input (Ctrl-D) is a SetupError."""
    try:
        return question.unsafe_ask()
    except EOFError:
        raise SetupError(f"input ended while asking {key!r}", step="answers") from None


class ScriptedPrompter:
    """Answers from a mapping keyed by answer key; records every question asked.

    Args:
        responses: answer key -> answer (str for text/select, bool for confirm). A key
            mapped to a list gives successive answers to repeated questions.

    Attributes:
        asked: the keys asked, in order.
    """

    def __init__(self, responses: Mapping[str, object] | None = None) -> None:
        self._responses: dict[str, object] = dict(responses or {})
        self.asked: list[str] = []

    def _next(self, key: str, message: str) -> object:
        self.asked.append(key)
        if key not in self._responses:
            raise MissingAnswerError(key, [f"a scripted response for {key!r}"], why=message)
        value = self._responses[key]
        if isinstance(value, list):
            items: list[object] = value  # pyright: ignore[reportUnknownVariableType]
            if not items:
                raise MissingAnswerError(key, [f"another scripted response for {key!r}"])
            return items.pop(0)
        return value

    def text(
        self,
        key: str,
        message: str,
        *,
        default: str = "",
        secret: bool = False,
        multiline: bool = False,
        validate: Validator | None = None,
    ) -> str:
        """Return the scripted text; an empty string means "accept the default"."""
        value = str(self._next(key, message)) or default
        if validate is not None:
            problem = validate(value)
            if problem is not None:
                raise ValueError(f"scripted answer for {key!r} is invalid: {problem}")
        return value

    def confirm(self, key: str, message: str, *, default: bool = False) -> bool:
        """Return the scripted yes/no."""
        return bool(self._next(key, message))

    def select(self, key: str, message: str, choices: Sequence[str], *, default: str) -> str:
        """Return the scripted choice; it must be one of ``choices``."""
        value = str(self._next(key, message)) or default
        if value not in choices:
            raise ValueError(f"scripted answer {value!r} for {key!r} is not one of {choices}")
        return value
