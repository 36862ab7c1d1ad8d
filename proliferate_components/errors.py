"""Exceptions raised by proliferate-components.

Every input error names the offending key, shows the bad value and says what is valid,
and is raised before any resource is registered, any AWS call is made or any file written.
"""

from __future__ import annotations

from typing import Any


class ProliferateError(Exception):
    """Base class of every error this library raises on purpose."""


class ConfigError(ProliferateError, ValueError):
    """A configuration value or component argument is invalid.

    Attributes:
        key: the config key or argument name, e.g. ``proliferate:workerMemory`` or
            ``RedisCacheArgs.num_cache_clusters``.
        value: the rejected value (secrets are never echoed: pass ``secret=True``).
        valid: a human description of what would be accepted.
    """

    def __init__(self, key: str, value: Any, valid: str, *, secret: bool = False) -> None:
        self.key = key
        self.value = value
        self.valid = valid
        shown = "[secret]" if secret else repr(value)
        super().__init__(f"{key}: invalid value {shown}; {valid}")


class UnansweredInvokeError(ProliferateError, RuntimeError):
    """An offline run met a provider function (invoke) that has no offline answer."""

    def __init__(self, token: str, args: dict[str, Any] | None = None) -> None:
        self.token = token
        self.invoke_args = dict(args or {})
        super().__init__(
            f"invoke {token!r} cannot be answered offline (args: {sorted(self.invoke_args)}); "
            "pass the value as an input instead of looking it up, or add an answer with "
            "OfflineMocks(invokes={...})"
        )
