"""The platform contract as data, and its commands run by the real runtimes.

The health checks and the RDS CA download are executed here with the real ``node`` and
``python`` against an HTTP server on 127.0.0.1, because a check that does not run in the
image is worse than none (the web image has no curl; LiteLLM's is Python). Tests that need
``node`` skip when it is absent.
"""

from __future__ import annotations

import http.server
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from proliferate_components.environment import ENVIRONMENT, SERVICES
from proliferate_components.errors import ConfigError
from proliferate_components.platform import (
    PLATFORM_SERVICES,
    env_keys,
    health_check_command,
    litellm_database_url,
    platform_service,
    rds_ca_init_command,
)

PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"

# Facts read from upstream: each must name the file it came from.
UPSTREAM_FACTS = (
    "image",
    "image_of",
    "runtime",
    "port",
    "port_environment",
    "health_path",
    "command",
    "working_directory",
    "environment",
    "validates_schema",
    "rds_ca",
    "writable_paths",
    "readonly_root",
)


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, str]]] = {}

    def do_GET(self) -> None:
        status, body = self.routes.get(self.path, (404, "not found"))
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[int, dict[str, tuple[int, str]]]]:
    routes: ClassVar[dict[str, tuple[int, str]]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], routes
    finally:
        httpd.shutdown()
        httpd.server_close()


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH")
    return node


def _run(argv: tuple[str, ...]) -> int:
    exe = {"node": _node(), "python": sys.executable}.get(argv[0], argv[0])
    return subprocess.run([exe, *argv[1:]], capture_output=True, timeout=30, check=False).returncode


def test_every_upstream_fact_names_its_source() -> None:
    for svc in PLATFORM_SERVICES.values():
        for field in UPSTREAM_FACTS:
            value = getattr(svc, field)
            if value is None or value in ((), {}) or value is False:
                continue
            source = svc.sources.get(field)
            assert source is not None, (svc.name, field)
            assert (source.quote and source.commit and "/" in source.path) or "." in source.path
            assert source.url.startswith("https://github.com/proliferate-ai/proliferate/blob/")


def test_every_service_of_the_environment_is_in_the_contract() -> None:
    assert set(PLATFORM_SERVICES) == set(SERVICES)
    for var in ENVIRONMENT:
        assert var.services <= set(PLATFORM_SERVICES), var.name
    assert {v.env_name for v in env_keys("llm-proxy")} == {
        "DATABASE_URL",
        "LITELLM_MASTER_KEY",
        "ANTHROPIC_API_KEY",
    }
    with pytest.raises(ConfigError, match="service"):
        platform_service("database")


@pytest.mark.parametrize("runtime", ["node", "python"])
def test_health_checks_run_in_their_runtime(
    runtime: str, server: tuple[int, dict[str, tuple[int, str]]]
) -> None:
    port, routes = server
    routes["/health"] = (200, '{"status":"ok"}')
    routes["/sick"] = (503, "billing worker down")
    command = health_check_command(runtime, port, "/health")  # type: ignore[arg-type]
    assert command[0] == "CMD"  # no shell needed in the image
    assert _run(command[1:]) == 0
    assert _run(health_check_command(runtime, port, "/sick")[1:]) != 0  # type: ignore[arg-type]
    assert _run(health_check_command(runtime, port, "/missing")[1:]) != 0  # type: ignore[arg-type]
    # nothing listening
    routes.clear()
    assert _run(health_check_command(runtime, 1, "/health")[1:]) != 0  # type: ignore[arg-type]


@pytest.mark.parametrize("runtime", ["node", "python"])
def test_rds_ca_download_writes_the_bundle_or_fails(
    runtime: str, server: tuple[int, dict[str, tuple[int, str]]], tmp_path: Path
) -> None:
    port, routes = server
    routes["/bundle.pem"] = (200, PEM)
    routes["/junk"] = (200, "<html>captive portal</html>")
    url = f"http://127.0.0.1:{port}"
    ok = rds_ca_init_command(runtime, f"{url}/bundle.pem", str(tmp_path))  # type: ignore[arg-type]
    assert _run(ok) == 0
    assert (tmp_path / "rds-ca-bundle.pem").read_text() == PEM
    if runtime == "python":
        combined = (tmp_path / "combined-ca-bundle.pem").read_text()
        assert combined.endswith(PEM) and combined.count("BEGIN CERTIFICATE") > 1
    bad = tmp_path / "bad"
    bad.mkdir()
    for path in ("/junk", "/missing"):
        command = rds_ca_init_command(runtime, url + path, str(bad))  # type: ignore[arg-type]
        assert _run(command) != 0, path
    assert list(bad.iterdir()) == []


def test_litellm_gets_its_own_schema_of_the_same_database() -> None:
    base = "postgresql://u:p@db:5432/app"
    assert litellm_database_url(base) == base + "?schema=litellm"
    assert (
        litellm_database_url(base + "?sslmode=require") == base + "?sslmode=require&schema=litellm"
    )
    assert litellm_database_url(base + "?schema=x") == base + "?schema=x"
