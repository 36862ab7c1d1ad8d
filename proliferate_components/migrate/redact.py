"""Keep secret values out of everything the migration prints or writes.

A Terraform state holds secrets in plaintext: container ``environment`` values, an RDS
``password``, an ElastiCache ``auth_token``, a ``secret_string``. :func:`redact` replaces

- every value under a field whose name says it holds a secret or an environment
  (:data:`SENSITIVE_FIELD`: ``environment``, ``secrets``, ``password``, ``auth_token``,
  ``secret_string``, ``private_key``, ...; the names inside an ECS ``environment`` list are
  kept, their values are not), and
- every value that looks like a secret wherever it is (:func:`looks_secret`: API key and
  token prefixes, AWS access keys, private keys, JWTs, credentials in URLs, long random
  strings),

with :data:`REDACTED`. JSON text (a task definition's ``container_definitions``) is parsed,
redacted and written back. The report, stdout and every file but ``secrets.sh`` (the
``pulumi config set --secret`` input, mode 0600) go through it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any, cast

__all__ = ["REDACTED", "SENSITIVE_FIELD", "looks_secret", "redact", "redact_text"]

REDACTED = "<redacted>"
"""What a secret value is replaced with."""

SENSITIVE_FIELD = re.compile(
    r"(^|[_-])(environment|secrets?|secret_string|secret_binary|password|passwd|passphrase|"
    r"auth_token|token|private_key|api_key|access_key|secret_key|credentials?|master_key|"
    r"user_data)($|[_-])|^(environment|secrets|valueFrom|value_from)$",
    re.IGNORECASE,
)
"""Field names (snake_case or camelCase, matched case-insensitively) whose values are
secret or environment values."""

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# Known secret shapes (prefixes of API keys and tokens, AWS keys, PEM keys, JWTs).
_SECRET_SHAPES = re.compile(
    r"sk-[A-Za-z0-9_-]{16,}|sk_(live|test)_[A-Za-z0-9]{16,}|rk_(live|test)_[A-Za-z0-9]{16,}"
    r"|(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|(AKIA|ASIA)[0-9A-Z]{16}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r"|AIza[0-9A-Za-z_-]{30,}"
)
# user:password@ in a URL.
_URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)
# Things that are long but not secret: ARNs, AWS ids, hosts, paths, CIDRs, name prefixes.
_NOT_SECRET = re.compile(
    r"^(arn:|[a-z]+-[0-9a-f]{8,17}$|[0-9./]+$|/|https?://[^@]*$|[0-9]{12}\.dkr\.ecr\.)"
    r"|^[A-Za-z0-9]+([-_.][A-Za-z0-9]+)*-[0-9]{20,32}$"
)


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def looks_secret(value: str) -> bool:
    """Whether ``value`` looks like a secret: a known key or token shape, credentials in a
    URL, or a long random string (upper case, lower
    case and digits in one 20+ character run between separators, with a high character
    entropy, or 32+ hex digits)."""
    if not value or len(value) < 16 or value.startswith("arn:"):
        return False
    if _SECRET_SHAPES.search(value) or _URL_CREDENTIALS.search(value):
        return True
    if " " in value or _NOT_SECRET.search(value):
        return False
    if re.fullmatch(r"[0-9a-fA-F]{32,}", value):
        return True
    for segment in re.split(r"[-_.:,;=@ ]", value):
        if len(segment) < 20:
            continue
        classes = sum(
            1 for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]") if re.search(pattern, segment)
        )
        if classes == 3 and _entropy(segment) >= 3.5:
            return True
    return False


def _sensitive(field: str) -> bool:
    return bool(SENSITIVE_FIELD.search(_CAMEL.sub("_", field)))


def _redact_environment(value: Any) -> Any:
    """An ECS ``environment``/``secrets`` list keeps its names; every other value goes."""
    if isinstance(value, list):
        out: list[Any] = []
        for item in cast("list[Any]", value):
            if isinstance(item, dict):
                entry = cast("dict[str, Any]", item)
                out.append({k: (v if k == "name" else REDACTED) for k, v in entry.items()})
            else:
                out.append(REDACTED)
        return out
    if isinstance(value, dict):
        return {k: REDACTED for k in cast("dict[str, Any]", value)}
    return REDACTED if value not in (None, "") else value


def redact(value: Any, field: str | None = None) -> Any:
    """``value`` with every secret value replaced by :data:`REDACTED` (see the module
    docstring); ``field`` is the name of the field holding it, if any."""
    if field is not None and _sensitive(field):
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                return json.dumps(_redact_environment(json.loads(value)))
            except json.JSONDecodeError:
                return REDACTED
        return _redact_environment(value)
    if isinstance(value, Mapping):
        items = cast("Mapping[str, Any]", value)
        return {k: redact(v, str(k)) for k, v in items.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in cast("list[Any]", value)]
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("[", "{") and text[-1:] in ("]", "}"):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
            if parsed is not None:
                return json.dumps(redact(parsed))
        return REDACTED if looks_secret(value) else value
    return value


def redact_text(text: str, secrets: set[str]) -> str:
    """``text`` with every occurrence of each of ``secrets`` replaced (a last line of
    defence for free text built from state values)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return text
