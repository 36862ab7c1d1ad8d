"""The wizard's credential checks against providers served on 127.0.0.1 (HTTP and gRPC),
the cloud-provider question, ``.env.local`` with ``.env.prod`` carried over, and ending with
``deploy``."""

from __future__ import annotations

import base64
import json
import stat
import threading
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fake_pulumi import InMemoryPulumiBackend
from moto import mock_aws
from setup_fixtures import (
    USER_ENV,
    Harness,
    aws_environment,
    base_answers,
    make_project,
    make_stack_outputs,
)

from proliferate_components.errors import ConfigError
from proliferate_components.setup.errors import SetupError
from proliferate_components.setup.validation import Endpoints, github_app_jwt

GOOD = {"anthropic": "sk-ant-good", "e2b": "e2b_good", "modal": ("ak-good", "as-good")}
APP_ID = "123456"
SLUG = USER_ENV["NEXT_PUBLIC_GITHUB_APP_SLUG"]


def _rsa_pem() -> tuple[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


APP_PEM, APP_PUBLIC_KEY = _rsa_pem()
OTHER_PEM, _ = _rsa_pem()


def _verify_jwt(token: str) -> dict[str, Any] | None:
    """The claims of a GitHub App JWT signed by the app's key (None otherwise)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    def unb64(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    try:
        header, payload, signature = token.split(".")
        APP_PUBLIC_KEY.verify(
            unb64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (ValueError, InvalidSignature):
        return None
    if json.loads(unb64(header)) != {"alg": "RS256", "typ": "JWT"}:
        return None
    claims: dict[str, Any] = json.loads(unb64(payload))
    return claims


@dataclass
class Providers:
    """Anthropic, GitHub and E2B over HTTP, Modal over gRPC, all on 127.0.0.1."""

    http_port: int = 0
    grpc_port: int = 0
    requests: list[str] = field(default_factory=list[str])
    slug: str = SLUG

    @property
    def endpoints(self) -> Endpoints:
        base = f"http://127.0.0.1:{self.http_port}"
        return Endpoints(
            anthropic=base + "/anthropic",
            github=base + "/github",
            e2b=base + "/e2b",
            modal=f"127.0.0.1:{self.grpc_port}",
            modal_tls=False,
        )


def _json(handler: BaseHTTPRequestHandler, code: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    handler.send_response(code)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@pytest.fixture
def providers() -> Iterator[Providers]:
    import grpc

    state = Providers()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.path == "/anthropic/v1/models":
                ok = self.headers.get("x-api-key") == GOOD["anthropic"] and self.headers.get(
                    "anthropic-version"
                )
                if ok:
                    _json(self, 200, {"data": []})
                else:
                    error = {"type": "authentication_error", "message": "invalid x-api-key"}
                    _json(self, 401, {"type": "error", "error": error})
            elif self.path == "/github/app":
                auth = self.headers.get("Authorization", "")
                claims = _verify_jwt(auth.removeprefix("Bearer "))
                if claims and claims["iss"] == int(APP_ID) and claims["exp"] - claims["iat"] <= 600:
                    _json(self, 200, {"id": int(APP_ID), "slug": state.slug})
                else:
                    _json(self, 401, {"message": "A JSON web token could not be decoded"})
            elif self.path == "/e2b/sandboxes":
                if self.headers.get("X-API-Key") == GOOD["e2b"]:
                    _json(self, 200, {"sandboxes": []})
                else:
                    _json(self, 401, {"code": 401, "message": "Invalid API key"})
            else:
                _json(self, 404, {"message": "not found"})

        def log_message(self, format: str, *args: Any) -> None:
            return

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.http_port = http.server_address[1]
    threading.Thread(target=http.serve_forever, daemon=True).start()

    def hello(request: bytes, context: Any) -> bytes:
        metadata = dict(context.invocation_metadata())
        state.requests.append("modal:ClientHello")
        token = (metadata.get("x-modal-token-id"), metadata.get("x-modal-token-secret"))
        if token != GOOD["modal"]:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "Token ID is malformed or invalid")
        return b""

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "modal.client.ModalClient",
                {
                    "ClientHello": grpc.unary_unary_rpc_method_handler(
                        hello,
                        request_deserializer=lambda data: data,
                        response_serializer=lambda data: data,
                    )
                },
            ),
        )
    )
    state.grpc_port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield state
    finally:
        http.shutdown()
        http.server_close()
        server.stop(None)


@pytest.fixture
def harness(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, providers: Providers
) -> Iterator[Harness]:
    aws_environment(monkeypatch, tmp_path)
    with mock_aws():
        yield Harness(
            project=make_project(tmp_path),
            pulumi=InMemoryPulumiBackend(outputs_factory=make_stack_outputs()),
            endpoints=providers.endpoints,
        )


def answers(harness: Harness, **env: str) -> dict[str, object]:
    values = {
        **USER_ENV,
        "ANTHROPIC_API_KEY": GOOD["anthropic"],
        "GITHUB_APP_ID": APP_ID,
        "GITHUB_APP_PRIVATE_KEY": APP_PEM,
        "MODAL_TOKEN_ID": GOOD["modal"][0],
        "MODAL_TOKEN_SECRET": GOOD["modal"][1],
        **env,
    }
    return base_answers(harness.project, env=values)


def test_good_credentials_are_each_checked_once(harness: Harness, providers: Providers) -> None:
    result = harness.run(answers(harness), validate=True)
    assert [(c.keys, c.accepted) for c in result.checks] == [
        (("ANTHROPIC_API_KEY",), True),
        (("GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY"), True),
        (("MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET"), True),
    ]
    assert sorted(providers.requests) == [
        "/anthropic/v1/models",
        "/github/app",
        "modal:ClientHello",
    ]
    assert harness.pulumi.stacks["dev"].updates == 1


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"ANTHROPIC_API_KEY": "sk-ant-wrong"},
            "ANTHROPIC_API_KEY rejected by 127.0.0.1:{http} (HTTP 401: invalid x-api-key)",
        ),
        (
            {"GITHUB_APP_PRIVATE_KEY": OTHER_PEM},
            "GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY rejected by 127.0.0.1:{http} (HTTP 401",
        ),
        (
            {"GITHUB_APP_PRIVATE_KEY": USER_ENV["GITHUB_APP_PRIVATE_KEY"]},
            "GITHUB_APP_PRIVATE_KEY rejected by (local) (the key cannot sign",
        ),
        (
            {"MODAL_TOKEN_SECRET": "as-wrong"},
            "MODAL_TOKEN_ID, MODAL_TOKEN_SECRET rejected by 127.0.0.1 (UNAUTHENTICATED: Token ID",
        ),
        (
            {"DEFAULT_SANDBOX_PROVIDER": "e2b", "E2B_API_KEY": "e2b_wrong", "E2B_DOMAIN": "e2b.app",
             "E2B_TEMPLATE": "t", "E2B_TEMPLATE_ALIAS": "a"},
            "E2B_API_KEY rejected by 127.0.0.1:{http} (HTTP 401: Invalid API key)",
        ),
    ],
)  # fmt: skip
def test_a_rejected_credential_is_named_before_the_stack_changes(
    harness: Harness, providers: Providers, env: dict[str, str], expected: str
) -> None:
    with pytest.raises(SetupError) as info:
        harness.run(answers(harness, **env), validate=True)
    message = str(info.value)
    assert message.startswith("[validation] ")
    assert expected.format(http=providers.http_port) in message
    assert "--skip-validation" in message
    stack = harness.pulumi.stacks["dev"]
    assert stack.updates == 0, "no pulumi up"
    assert not any(key.split(":")[1].isupper() for key in stack.config if ":" in key), (
        "no credential was pushed to the stack"
    )
    assert not (harness.project / ".env.local").exists()


def test_a_slug_that_is_not_the_apps_is_rejected(harness: Harness, providers: Providers) -> None:
    providers.slug = "someone-elses-app"
    with pytest.raises(SetupError, match="NEXT_PUBLIC_GITHUB_APP_SLUG rejected"):
        harness.run(answers(harness), validate=True)


def test_an_unreachable_provider_is_a_warning_not_a_stop(harness: Harness) -> None:
    harness.endpoints = Endpoints(
        anthropic="http://127.0.0.1:9",
        github="http://127.0.0.1:9",
        e2b="http://127.0.0.1:9",
        modal="127.0.0.1:9",
        modal_tls=False,
    )
    result = harness.run(answers(harness), validate=True)
    assert [c.accepted for c in result.checks] == [None, None, None]
    assert any("not verified - could not reach it" in line for line in harness.lines)
    assert result.env_written


def test_skip_validation_makes_no_call(harness: Harness, providers: Providers) -> None:
    result = harness.run(answers(harness, ANTHROPIC_API_KEY="sk-ant-wrong"))
    assert providers.requests == [] and result.checks == []
    assert any("--skip-validation" in line for line in harness.lines)


def test_the_github_app_jwt_is_what_github_expects() -> None:
    token = github_app_jwt(APP_ID, APP_PEM, now=1_800_000_000)
    claims = _verify_jwt(token)
    assert claims == {"iat": 1_800_000_000 - 60, "exp": 1_800_000_000 + 540, "iss": 123456}


# -- the cloud provider --------------------------------------------------------------------


def test_another_cloud_is_refused_with_a_clear_message(harness: Harness) -> None:
    with pytest.raises(ConfigError) as info:
        harness.run(base_answers(harness.project, cloud="gcp"))
    assert info.value.key == "cloud" and "only AWS is supported today" in str(info.value)
    assert harness.log.calls == [], "before any AWS call"


def test_the_cloud_question_comes_first(harness: Harness) -> None:
    from proliferate_components.setup.prompts import ScriptedPrompter

    scripted = ScriptedPrompter({"cloud": "azure"})
    with pytest.raises(ConfigError, match="only AWS"):
        harness.run({"project_dir": str(harness.project)}, prompter=scripted)
    assert scripted.asked == ["cloud"]


# -- .env.local, and .env.prod carried over ------------------------------------------------


def test_an_existing_env_prod_is_carried_over_and_kept(harness: Harness) -> None:
    legacy = harness.project / ".env.prod"
    legacy.write_text(
        "ANTHROPIC_API_KEY=sk-ant-from-env-prod\nMY_OWN_SETTING=keep-me\nRESEND_API_KEY=re_old\n"
    )
    before = legacy.read_bytes()
    env = {k: v for k, v in USER_ENV.items() if k != "ANTHROPIC_API_KEY"}
    result = harness.run(base_answers(harness.project, env=env))
    local = harness.project / ".env.local"
    text = local.read_text()
    assert "ANTHROPIC_API_KEY=sk-ant-from-env-prod" in text
    assert "MY_OWN_SETTING=keep-me" in text and "RESEND_API_KEY=re_old" in text
    assert stat.S_IMODE(local.stat().st_mode) == 0o600
    assert legacy.read_bytes() == before, ".env.prod is never changed"
    assert result.migrated_from == legacy and result.env_file == local
    # a second run reads .env.local first and changes nothing
    harness.run(base_answers(harness.project, env=env))
    assert local.read_text() == text and legacy.read_bytes() == before


# -- ending with deploy --------------------------------------------------------------------


def test_the_wizard_can_end_with_deploy(harness: Harness, tmp_path: Path) -> None:
    from proliferate_components.deploy.result import DeployResult

    seen: list[Any] = []

    def deploy(request: Any, deps: Any, progress: Any) -> DeployResult:
        seen.append((request, deps))
        progress.step("source", "Commit of the checkout")
        return DeployResult(status="deployed", exit_code=0, stack=request.stack, tag="1a2b3c4",
                            message="Deployed 1a2b3c4 to stack dev")  # fmt: skip

    harness.deploy = deploy
    source = tmp_path / "platform"
    source.mkdir()
    result = harness.run(base_answers(harness.project, deploy=True, source=str(source)))
    ((request, deps),) = seen
    assert (request.source, request.stack, request.project_dir) == (source, "dev", harness.project)
    assert deps.pulumi_factory(harness.project, {}) is harness.pulumi
    assert result.deploy is not None and result.deploy.exit_code == 0
    assert any("==> Commit of the checkout" in line for line in harness.lines)
    assert "deploy 1a2b3c4: deployed" in result.changes
    dry = harness.run(base_answers(harness.project, deploy=True, source=str(source)), dry_run=True)
    assert len(seen) == 1 and dry.deploy is None
    assert any(c.startswith("proliferate-infra deploy --source") for c in dry.changes)


def test_without_deploy_the_next_steps_say_how(harness: Harness) -> None:
    result = harness.run(base_answers(harness.project))
    assert result.deploy is None
    assert any("proliferate-infra deploy --stack dev" in step for step in result.steps)
