"""Calling every public health endpoint through the load balancer.

Each public service (:attr:`PlatformService.health_path
<proliferate_components.platform.PlatformService.health_path>`: gateway ``/health``,
llm-proxy ``/health/liveliness``, web ``/api/health``, trigger-service ``/health``) is called
at its public URL (the ``serviceUrls`` output; the gateway's ``ws``/``wss`` URL is called over
``http``/``https``). Healthy means HTTP 200. A target that just registered can take a few
health-check intervals to receive traffic, so failures are retried until a deadline.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..platform import PLATFORM_SERVICES

Getter = Callable[[str, float], tuple[int | None, str]]
"""GETs a URL with a timeout; returns (HTTP status or None, a few words)."""


@dataclass(frozen=True)
class SmokeCheck:
    """One health endpoint and what it answered last."""

    service: str
    url: str
    status: int | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True for HTTP 200."""
        return self.status == 200

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "service": self.service,
            "url": self.url,
            "status": self.status,
            "ok": self.ok,
            "detail": self.detail,
        }


def health_urls(service_urls: Mapping[str, str], running: Sequence[str]) -> list[SmokeCheck]:
    """The health endpoint of every running public service, in contract order."""
    checks: list[SmokeCheck] = []
    for name, service in PLATFORM_SERVICES.items():
        base = service_urls.get(name)
        if base is None or name not in running or service.health_path is None:
            continue
        base = str(base).rstrip("/")
        if base.startswith(("ws://", "wss://")):
            base = "http" + base[2:]
        checks.append(SmokeCheck(service=name, url=base + service.health_path))
    return checks


def http_get(url: str, timeout: float) -> tuple[int | None, str]:
    """GET ``url``; redirects (HTTP to HTTPS) are followed."""
    request = urllib.request.Request(url, headers={"User-Agent": "proliferate-infra-deploy"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), "OK"
    except urllib.error.HTTPError as exc:
        return int(exc.code), str(exc.reason)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason: Any = getattr(exc, "reason", exc)
        return None, str(reason)


def smoke_check(
    checks: Sequence[SmokeCheck],
    *,
    deadline_seconds: float,
    poll_seconds: float,
    request_timeout: float = 10.0,
    get: Getter = http_get,
    on_wait: Callable[[float, Sequence[SmokeCheck]], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SmokeCheck]:
    """Call each endpoint until it answers 200 or ``deadline_seconds`` pass; returns the
    last answer of each (check ``ok``)."""
    started = clock()
    results = list(checks)
    while True:
        results = [
            r if r.ok else SmokeCheck(r.service, r.url, *get(r.url, request_timeout))
            for r in results
        ]
        elapsed = clock() - started
        if all(r.ok for r in results) or elapsed >= deadline_seconds:
            return results
        if on_wait is not None:
            on_wait(elapsed, results)
        sleep(poll_seconds)
