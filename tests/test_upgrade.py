"""Upgrading a deployed stack: the current program previewed against release 0.1's state.

``tests/upgrade_fixtures/release-0.1-{dev,prod}.json`` are the registrations of the bundled
example as release 0.1 made them (recorded by ``record.py`` from that release's code: the
state a deployed user has). The current program runs with mocks that answer every resource
the state holds with its recorded id and outputs, as the engine does for an existing
resource; random values in particular keep their recorded results. The checks are the ones
``pulumi preview`` would show: nothing that holds data or a credential is deleted or
replaced, and no generated secret changes value.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from proliferate_components.config import DEV_PRESET, PROD_PRESET
from proliferate_components.migrate.forcenew import REPLACEMENT_PROPERTIES
from proliferate_components.testing import Capture, OfflineMocks, capture_project, unwrap

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "upgrade_fixtures"

# Replacement-forcing inputs (ForceNew in terraform-provider-aws / terraform-provider-random)
# of the types that hold data or credentials; the others come from the migration's table.
FORCES_REPLACEMENT: dict[str, tuple[str, ...]] = {
    "random:index/randomPassword:RandomPassword": (
        "length",
        "special",
        "upper",
        "lower",
        "numeric",
        "overrideSpecial",
        "minLower",
        "minUpper",
        "minNumeric",
        "minSpecial",
        "keepers",
    ),
    "aws:rds/instance:Instance": (
        "dbName",
        "username",
        "kmsKeyId",
        "storageEncrypted",
        "engine",
        "availabilityZone",
    ),
    "aws:rds/parameterGroup:ParameterGroup": ("name", "family"),
    "aws:rds/subnetGroup:SubnetGroup": ("name",),
    "aws:secretsmanager/secret:Secret": ("name", "namePrefix"),
    "aws:route53/zone:Zone": ("name",),
    **{t: tuple(p.pulumi_input for p in props) for t, props in REPLACEMENT_PROPERTIES.items()},
}
# A task definition is an immutable revision: any change registers a new one and the ECS
# service rolls to it (no downtime); the services themselves are checked like the rest.
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
HOLDS_DATA = frozenset(
    {
        "random:index/randomPassword:RandomPassword",
        "aws:rds/instance:Instance",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:secretsmanager/secret:Secret",
        "aws:route53/zone:Zone",
    }
)

USER_SECRETS = {
    "proliferate:ANTHROPIC_API_KEY": "sk-ant-user-value-0123456789",
    "proliferate:GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nuser-pem\n-----END RSA PRIVATE KEY-----",
    "proliferate:GITHUB_APP_WEBHOOK_SECRET": "whsec-user-value-abcdef",
    "proliferate:GITHUB_OAUTH_APP_SECRET": "oauth-user-secret-value",
    "proliferate:MODAL_TOKEN_ID": "ak-modal-user-id-value",
    "proliferate:MODAL_TOKEN_SECRET": "as-modal-user-secret-value",
}
PLAIN = {"proliferate:GITHUB_APP_ID": "123456", "proliferate:NEXT_PUBLIC_GITHUB_APP_SLUG": "app"}

# What this release removes on purpose (docs/upgrading.md): the migrations task runs the
# worker's image now, so its own repository goes; the shared execution role and the
# per-service policies added to it give way to one role per service.
REMOVED = {
    "proliferate-migrations-repo",
    "proliferate-migrations-repo-lifecycle",
    "proliferate-execution",
    "proliferate-execution-role",
    "proliferate-execution-policy",
    *(
        f"proliferate-{s}-execution-policy"
        for s in ("worker", "llm-proxy", "gateway", "migrations")
    ),
}


def _key(urn: str) -> str:
    """A URN reduced to what the offline mocks keep of it (the parent's type, the type and
    the name), so an alias computed the engine's way compares with a recorded URN."""
    head, project, qualified, name = urn.split("::")
    return "::".join((head, project, "$".join(qualified.split("$")[-2:]), name))


def _by_old_urn(cap: Capture) -> dict[str, Any]:
    """The upgraded program's registrations by the old URN each stands for: its own, or an
    alias (a resource that moved to another parent stays the same resource)."""
    out: dict[str, Any] = {}
    for r in cap.resources:
        out[_key(r.urn)] = r
        for alias in r.aliases:
            out[_key(alias)] = r
    return out


def _state(preset: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / f"release-0.1-{preset}.json").read_text())


class _StateMocks(OfflineMocks):
    """Answers a resource the state holds with its recorded id and outputs."""

    def __init__(self, state: list[dict[str, Any]]) -> None:
        super().__init__(region="us-east-1")
        self.known = {(r["type"], r["name"]): r for r in state if r["custom"]}

    def new_resource(self, args: Any) -> tuple[str | None, dict[str, Any]]:  # type: ignore[override]
        rid, outputs = super().new_resource(args)
        old = self.known.get((args.typ, args.name))
        if old is None:
            return rid, outputs
        return old["id"], {**outputs, **old["outputs"]}


@cache
def _upgraded(preset: str) -> Capture:
    config = {**(DEV_PRESET if preset == "dev" else PROD_PRESET), **USER_SECRETS, **PLAIN}
    return capture_project(
        ROOT / "examples" / "proliferate",
        config=config,
        secret_keys=["proliferate:certificateArn", *USER_SECRETS],
        stack=preset,
        mocks=_StateMocks(_state(preset)),
    )


def _canon(value: Any) -> str:
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_nothing_that_holds_data_or_a_credential_is_deleted(preset: str) -> None:
    new = _by_old_urn(_upgraded(preset))
    gone = [r for r in _state(preset) if _key(r["urn"]) not in new]
    assert {r["name"] for r in gone} == REMOVED
    assert not [r["name"] for r in gone if r["protect"] or r["type"] in HOLDS_DATA]


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_no_kept_resource_is_replaced(preset: str) -> None:
    """The upgrade changes no replacement-forcing input of any resource it keeps (a change
    under ``ignore_changes`` is not made: the engine keeps the state's value)."""
    new = _by_old_urn(_upgraded(preset))
    replaced: list[str] = []
    checked = 0
    for old in _state(preset):
        reg = new.get(_key(old["urn"]))
        if reg is None or old["type"] not in FORCES_REPLACEMENT or old["type"] == TASK_DEFINITION:
            continue
        checked += 1
        for prop in FORCES_REPLACEMENT[old["type"]]:
            if prop in reg.ignore_changes:
                continue
            before, after = old["inputs"].get(prop), unwrap(reg.inputs.get(prop))
            if _canon(before) != _canon(after):
                replaced.append(f"{old['name']}.{prop}: {before!r} -> {after!r}")
    assert checked >= 40
    assert replaced == []


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_data_stores_and_credentials_stay_protected(preset: str) -> None:
    new = _by_old_urn(_upgraded(preset))
    for old in _state(preset):
        if old["type"] in HOLDS_DATA:
            # 0.2 also protects the generated credentials (the Redis token, the DB password)
            assert new[_key(old["urn"])].protect, old["name"]


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_no_generated_secret_changes_value(preset: str) -> None:
    def values(versions: list[tuple[str, Any]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for _, secret_string in versions:
            out.update(json.loads(secret_string))
        return out

    before = values(
        [
            (r["name"], r["inputs"]["secretString"])
            for r in _state(preset)
            if r["type"] == "aws:secretsmanager/secretVersion:SecretVersion"
        ]
    )
    after = values(
        [
            (r.name, r.input("secretString"))
            for r in _upgraded(preset).of_type("aws:secretsmanager/secretVersion:SecretVersion")
        ]
    )
    generated = (
        "BETTER_AUTH_SECRET",
        "SERVICE_TO_SERVICE_AUTH_TOKEN",
        "USER_SECRETS_ENCRYPTION_KEY",
        "GATEWAY_JWT_SECRET",
        "BILLING_JWT_SECRET",
    )
    for key in generated:
        assert after[key] == before[key], key
    # LiteLLM accepts only sk- keys: the one value that changes gains that prefix, nothing else
    assert after["LLM_PROXY_MASTER_KEY"] == "sk-" + before["LLM_PROXY_MASTER_KEY"]
    for key in ("DATABASE_URL", "REDIS_URL", "ANTHROPIC_API_KEY", "MODAL_TOKEN_ID"):
        assert after[key] == before[key], key


def test_the_fixtures_are_release_0_1s_state() -> None:
    """Guard against re-recording the fixtures with the current code by mistake."""
    for preset in ("dev", "prod"):
        state = _state(preset)
        passwords = [r for r in state if r["type"] == "random:index/randomPassword:RandomPassword"]
        generated = [r for r in passwords if r["name"].startswith("proliferate-secrets-")]
        assert len(generated) == 6
        assert {r["inputs"]["length"] for r in generated} == {44}
        assert any(r["name"] == "proliferate-migrations-repo" for r in state)
