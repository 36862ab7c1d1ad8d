"""The production profile: hardened by default and held to it by the policy pack.

The prod preset is previewed with the bundled pack under the prod profile's policy config
(the hardening rules mandatory) and must pass with no violation at all; the dev preset stays
cheap (no key, no access-log bucket, no RDS monitoring) and reports the same rules as
advisory. Each hardening rule has its own compliant and non-compliant fixture in
tests/policy_fixtures.py.
"""

from __future__ import annotations

import functools
import json

import pytest

from proliferate_components.cli.policy_pack import bundled_pack_dir
from proliferate_components.policies import get_rule
from proliferate_components.policies.profiles import (
    HARDENING_RULES,
    PROFILE_POLICY_CONFIG,
    WRITABLE_ROOT_EXCEPTIONS,
    policy_config_for,
)
from proliferate_components.preview.runner import PreviewResult, run_preview

SECRETS = {
    "ANTHROPIC_API_KEY": "sk-ant-user-value-0123456789",
    "GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nk\n-----END RSA PRIVATE KEY-----",
    "GITHUB_APP_WEBHOOK_SECRET": "whsec-user-value-abcdef",
    "MODAL_TOKEN_ID": "ak-modal-user-id-value",
    "MODAL_TOKEN_SECRET": "as-modal-user-secret-value",
}
PLAIN = {"GITHUB_APP_ID": "123456", "NEXT_PUBLIC_GITHUB_APP_SLUG": "app", "enableWeb": "true"}


@functools.cache
def _preview(preset: str) -> PreviewResult:
    return run_preview(
        preset=preset,
        stack=preset,
        config=PLAIN,
        secret_config=SECRETS,
        policy_pack=bundled_pack_dir(),
    )


def test_the_prod_preset_passes_its_mandatory_hardening() -> None:
    result = _preview("prod")
    assert [(v.policy, v.message) for v in result.violations] == []
    types = {r.type for r in result.capture.resources}
    assert {
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    } <= types
    lb = result.capture.one("aws:lb/loadBalancer:LoadBalancer")
    assert lb.input("accessLogs")["enabled"] is True
    db = result.capture.one("aws:rds/instance:Instance")
    assert db.input("performanceInsightsEnabled") is True and db.input("monitoringInterval") == 60
    assert db.input("iamDatabaseAuthenticationEnabled") is True
    for group in result.capture.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group.input("retentionInDays") == 365 and group.input("kmsKeyId"), group.name


def test_the_dev_preset_stays_cheap_and_hears_the_hardening_as_advice() -> None:
    result = _preview("dev")
    types = {r.type for r in result.capture.resources}
    assert "aws:kms/key:Key" not in types and "aws:s3/bucket:Bucket" not in types
    assert all(v.enforcement == "advisory" for v in result.violations)
    reported = {v.policy for v in result.violations}
    assert {
        "proliferate-logs-kms",
        "proliferate-rds-performance-insights",
        "proliferate-rds-enhanced-monitoring",
        "proliferate-elb-access-logs",
        "proliferate-ecs-readonly-root-filesystem",
    } <= reported


def test_each_hardening_rule_is_advisory_by_default_and_mandatory_in_prod() -> None:
    prod = PROFILE_POLICY_CONFIG["prod"]
    for rule_id in HARDENING_RULES:
        assert get_rule(rule_id).enforcement == "advisory", rule_id
        level = prod[rule_id]
        assert (level if isinstance(level, str) else level["enforcementLevel"]) == "mandatory"
    assert policy_config_for("dev") == {}
    assert policy_config_for("prod")["proliferate-logs-retention"]["minRetentionDays"] == 365


def test_writable_root_exceptions_come_from_the_platform_contract() -> None:
    # pnpm/tsx services keep a writable root; the web app and LiteLLM run read-only
    assert set(WRITABLE_ROOT_EXCEPTIONS) == {"worker", "gateway", "trigger-service", "migrations"}
    result = _preview("prod")
    for task in result.capture.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        for c in json.loads(task.input("containerDefinitions")):
            if not c["essential"]:
                continue
            expected = c["name"] not in WRITABLE_ROOT_EXCEPTIONS
            assert c["readonlyRootFilesystem"] is expected, c["name"]
            if expected:
                paths = {m["containerPath"] for m in c["mountPoints"] if not m["readOnly"]}
                assert "/tmp" in paths, c["name"]


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_policy_pack_config_command_prints_the_profile(
    profile: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from proliferate_components.cli.main import main

    assert main(["policy-pack", "config", "--profile", profile]) == 0
    assert json.loads(capsys.readouterr().out) == policy_config_for(profile)
