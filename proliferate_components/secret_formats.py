"""The formats of the platform's generated secrets, as upstream generates and reads them.

One :class:`SecretFormat` per shape. Both generators use it: the stack's
:class:`~proliferate_components.secrets.SecretsBundle` (a ``random.RandomPassword`` over
the hex alphabet, then :meth:`SecretFormat.from_random`) and the setup wizard's local
``.env`` files (:meth:`SecretFormat.generate`). Which key has which format is
:attr:`~proliferate_components.environment.EnvVar.generated_format`.

Every format starts from 32 (or 24) random bytes written as hex, because a
``random.RandomPassword`` can produce exactly that (digits plus ``override_special`` =
``abcdef``, so the alphabet is the 16 hex digits and each character carries 4 bits). The
other shapes are computed from those bytes, so a stack holds one random value per key and
the value the services receive is a pure function of it.

Legacy values: stacks created before these formats hold 44 characters of ``[A-Za-z0-9]``.
:meth:`SecretFormat.from_random` passes such a value through unchanged (except
:data:`SK_HEX48`, which only adds the ``sk-`` prefix LiteLLM requires), so upgrading never
rotates a secret; the bundle keeps the old random value with ``ignore_changes``.

Pure: no Pulumi, no I/O.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

__all__ = [
    "BASE64_32",
    "FORMATS",
    "HEX64",
    "LEGACY_ALPHANUMERIC",
    "SK_HEX48",
    "SecretFormat",
    "format_named",
]

_HEX = re.compile(r"^[0-9a-f]+$")
LEGACY_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9]{44}$")
"""What this project generated before it followed upstream (``RandomPassword(length=44,
special=False)``)."""


@dataclass(frozen=True, kw_only=True)
class SecretFormat:
    """One shape of generated secret."""

    name: str
    """Short id used in the environment table (``hex64``, ``base64-32``, ``sk-hex48``)."""
    description: str
    """The shape in words, as the docs show it."""
    random_bytes: int
    """Random bytes behind it; the stack's ``RandomPassword`` has ``2 * random_bytes`` hex
    characters."""
    upstream: str
    """How upstream generates it, with the file (repo proliferate-ai/proliferate)."""
    pattern: re.Pattern[str]
    """What a value in this format matches."""
    prefix: str = ""
    """Text before the random part (``sk-``)."""
    encoding: str = "hex"
    """How the random bytes are written: ``hex`` or ``base64``."""

    @property
    def random_length(self) -> int:
        """Length of the hex ``RandomPassword`` behind a value."""
        return 2 * self.random_bytes

    def encode(self, raw: bytes) -> str:
        """The value for these random bytes."""
        body = raw.hex() if self.encoding == "hex" else base64.b64encode(raw).decode("ascii")
        return self.prefix + body

    def generate(self) -> str:
        """A fresh value (for local ``.env`` files)."""
        return self.encode(secrets.token_bytes(self.random_bytes))

    def from_random(self, result: str) -> str:
        """The value for a stack's random ``result``.

        A hex result of :attr:`random_length` characters is encoded in this format. Anything
        else is a value from before the formats (or a user's own): it is kept as it is, with
        only the prefix added when missing, so an upgrade never rotates a secret.
        """
        if len(result) == self.random_length and _HEX.match(result):
            return self.encode(bytes.fromhex(result))
        return result if result.startswith(self.prefix) else self.prefix + result

    def matches(self, value: str) -> bool:
        """Whether ``value`` has this format."""
        return self.pattern.fullmatch(value) is not None


HEX64 = SecretFormat(
    name="hex64",
    description="64 lowercase hex characters (32 random bytes)",
    random_bytes=32,
    upstream=(
        "randomHex(32) in scripts/install-platform.cjs; USER_SECRETS_ENCRYPTION_KEY is read "
        'with Buffer.from(key, "hex") as an aes-256-gcm key (packages/services/src/db/crypto.ts)'
    ),
    pattern=re.compile(r"[0-9a-f]{64}"),
)
BASE64_32 = SecretFormat(
    name="base64-32",
    description="44 base64 characters (32 random bytes, like `openssl rand -base64 32`)",
    random_bytes=32,
    upstream="randomBase64(32) in scripts/install-platform.cjs; read as an opaque string",
    pattern=re.compile(r"[A-Za-z0-9+/]{43}="),
    encoding="base64",
)
SK_HEX48 = SecretFormat(
    name="sk-hex48",
    description="`sk-` and 48 hex characters (24 random bytes); LiteLLM accepts only `sk-` keys",
    random_bytes=24,
    upstream='randomToken("sk-", 24) in scripts/install-platform.cjs',
    pattern=re.compile(r"sk-[0-9a-f]{48}"),
    prefix="sk-",
)

FORMATS: tuple[SecretFormat, ...] = (HEX64, BASE64_32, SK_HEX48)
"""Every format, by :attr:`SecretFormat.name`."""


def format_named(name: str) -> SecretFormat:
    """The format called ``name``.

    Raises:
        KeyError: no such format.
    """
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise KeyError(name)
