"""The S3 and plaintext-credential rules beyond their fixture pair: every way a bucket goes
public, how a bucket is related to its configuration resources, what counts as a credential,
and (through the real pack over gRPC) that secretness survives the trip from a program."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from policy_fixtures import (
    BUCKET_PAB,
    BUCKET_POLICY,
    BUCKET_SSE,
    Res,
    bucket,
    bucket_config,
    bucket_policy,
    public_access_block,
    res,
    resource,
    secret,
    task_definition,
    tls_only_statement,
)

from proliferate_components.analyzer import BUNDLED_PACK_DIR, AnalyzerProcess
from proliferate_components.policies import Resource, StackRule, get_rule
from proliferate_components.policies.credentials import CREDENTIAL_FORMATS, credential_kind
from proliferate_components.policies.values import UNKNOWN, secret_paths
from proliferate_components.testing import capture

CREDENTIALS = "proliferate-credentials-not-in-plaintext"


def violations(
    rule_id: str, resources: list[Res], config: dict[str, Any] | None = None
) -> list[str]:
    """``name: message`` of each violation of ``rule_id`` among ``resources``."""
    rule = get_rule(rule_id)
    if isinstance(rule, StackRule):
        found = rule.evaluate([resource(r, outputs=True) for r in resources], config)
        return [f"{key.split('::')[-1]}: {msg}" for key, msg in found]
    return [f"{r['name']}: {m}" for r in resources for m in rule.evaluate(resource(r), config)]


# -- public ACLs and policies -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("props", "public"),
    [
        ({"acl": "private"}, False),
        ({"acl": "log-delivery-write"}, False),
        ({"acl": "public-read"}, True),
        ({"acl": "public-read-write"}, True),
        ({"acl": "authenticated-read"}, True),
        ({"acl": UNKNOWN}, False),
        (
            {
                "grants": [
                    {
                        "type": "Group",
                        "permissions": ["READ"],
                        "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                    }
                ]
            },
            True,
        ),
        (
            {"grants": [{"type": "CanonicalUser", "permissions": ["FULL_CONTROL"], "id": "abc"}]},
            False,
        ),
    ],
)
def test_inline_bucket_acls(props: dict[str, Any], public: bool) -> None:
    found = violations("proliferate-s3-no-public-acl", [bucket("site", **props)])
    assert bool(found) is public, found


def test_a_bucket_acl_grant_to_every_aws_account_is_public() -> None:
    grants = [
        {
            "grantee": {
                "type": "Group",
                "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
            },
            "permission": "READ",
        }
    ]
    acl = bucket_config(
        "aws:s3/bucketAclV2:BucketAclV2", "v2-acl", bucket(), accessControlPolicy={"grants": grants}
    )
    [found] = violations("proliferate-s3-no-public-acl", [acl])
    assert "every AWS account" in found and "'v2-acl'" in found


def _allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "*",
        **extra,
    }


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        (_allow("*"), True),
        (_allow({"AWS": "*"}), True),
        (_allow({"AWS": ["arn:aws:iam::123456789012:root", "*"]}), True),
        (_allow({"AWS": "arn:aws:iam::123456789012:root"}), False),
        (_allow({"Service": "logging.s3.amazonaws.com"}), False),
        (_allow("*", Condition={"StringEquals": {"aws:SourceAccount": "123456789012"}}), False),
        (
            _allow(
                "*",
                Condition={"ArnLike": {"AWS:SourceArn": "arn:aws:cloudfront::1:distribution/X"}},
            ),
            False,
        ),
        (_allow("*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}), False),
        (_allow("*", Condition={"Bool": {"aws:SecureTransport": "true"}}), True),
        (
            {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:*"},
            True,
        ),
        ({"Effect": "Deny", "Principal": "*", "Action": "s3:*"}, False),
    ],
)
def test_public_policy_statements(statement: dict[str, Any], public: bool) -> None:
    found = violations("proliferate-s3-no-public-policy", [bucket_policy(bucket(), statement)])
    assert bool(found) is public, found


def test_policies_are_read_as_text_or_object_inline_or_separate() -> None:
    document = {"Statement": _allow("*")}  # a single statement, not a list
    inline = bucket("inline", policy=json.dumps(document))
    as_object = bucket_config(BUCKET_POLICY, "object-policy", bucket(), policy=document)
    found = violations("proliferate-s3-no-public-policy", [inline, as_object])
    assert [f.split(":")[0] for f in found] == ["inline", "object-policy"]
    unknown = bucket_config(BUCKET_POLICY, "later", bucket(), policy=UNKNOWN)
    assert violations("proliferate-s3-no-public-policy", [unknown]) == []


# -- public access blocks -----------------------------------------------------------------------
def test_an_unset_switch_is_off_and_an_unknown_one_is_not_judged() -> None:
    pab = bucket_config(
        BUCKET_PAB, "partial", bucket(), blockPublicAcls=True, blockPublicPolicy=True
    )
    [found] = violations("proliferate-s3-public-access-block-on", [pab])
    assert "ignorePublicAcls, restrictPublicBuckets off" in found
    later = public_access_block(bucket(), name="later", restrictPublicBuckets=UNKNOWN)  # type: ignore[arg-type]
    assert violations("proliferate-s3-public-access-block-on", [later]) == []


def test_configuration_resources_find_their_bucket_by_dependency_or_name() -> None:
    logs, other = bucket("logs"), bucket("other")
    by_name = res(BUCKET_PAB, "by-name", {"bucket": "logs"})  # no dependency recorded
    found = violations("proliferate-s3-bucket-public-access-block", [logs, other, by_name])
    assert [f.split(":")[0] for f in found] == ["other"]
    by_dependency = public_access_block(other, name="by-dependency")
    assert (
        violations(
            "proliferate-s3-bucket-public-access-block", [logs, other, by_name, by_dependency]
        )
        == []
    )


def test_deprecated_v2_buckets_are_checked_too() -> None:
    v2 = res("aws:s3/bucketV2:BucketV2", "legacy", {"bucket": "legacy"}, id="legacy")
    assert violations("proliferate-s3-bucket-public-access-block", [v2])


# -- TLS only, encryption, lifecycle ------------------------------------------------------------
def test_tls_only_accepts_an_inline_policy_and_needs_a_deny_of_all_actions() -> None:
    logs = bucket()
    inline = bucket("inline", policy=json.dumps({"Statement": [tls_only_statement(logs)]}))
    assert violations("proliferate-s3-tls-only", [inline]) == []
    narrow = {**tls_only_statement(logs), "Action": "s3:GetObject"}
    assert violations("proliferate-s3-tls-only", [logs, bucket_policy(logs, narrow)])
    as_list = {
        **tls_only_statement(logs),
        "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
    }
    assert violations("proliferate-s3-tls-only", [logs, bucket_policy(logs, as_list)]) == []
    later = bucket_config(BUCKET_POLICY, "later", logs, policy=UNKNOWN)
    assert violations("proliferate-s3-tls-only", [logs, later]) == []


def test_encryption_can_require_kms() -> None:
    logs = bucket()
    sse_s3 = bucket_config(
        BUCKET_SSE,
        "sse",
        logs,
        rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
    )
    assert violations("proliferate-s3-encryption", [logs, sse_s3]) == []
    [found] = violations("proliferate-s3-encryption", [logs, sse_s3], {"requireKms": True})
    assert "AES256, not KMS" in found
    inline = bucket(
        "inline",
        serverSideEncryptionConfiguration={
            "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}
        },
    )
    assert violations("proliferate-s3-encryption", [inline], {"requireKms": True}) == []


def test_inline_lifecycle_rules_count() -> None:
    enabled = bucket("enabled", lifecycleRules=[{"enabled": True, "expiration": {"days": 30}}])
    disabled = bucket("disabled", lifecycleRules=[{"enabled": False, "expiration": {"days": 30}}])
    found = violations("proliferate-s3-lifecycle", [enabled, disabled])
    assert [f.split(":")[0] for f in found] == ["disabled"]


# -- credentials --------------------------------------------------------------------------------
EXAMPLES = {
    "an AWS access key id": "AKIAIOSFODNN7EXAMPLE",
    "a private key": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----",
    "a GitHub token": "ghp_" + "a1B2" * 9,
    "a Slack token": "xoxb-1234567890-abcdefghij",
    "an Anthropic API key": "sk-ant-api03-" + "x" * 30,
    "an OpenAI-style API key": "sk-proj-" + "Ab1" * 12,
    "a Stripe secret key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
}


def test_every_credential_format_has_an_example_and_is_recognised() -> None:
    assert set(EXAMPLES) == set(CREDENTIAL_FORMATS)
    for kind, value in EXAMPLES.items():
        assert credential_kind(value) == kind
        assert credential_kind(f"prefix {value} suffix") == kind


@pytest.mark.parametrize(
    "value",
    [
        "production",
        "info",
        "https://app.example.com",
        "8080",
        "sk-short",
        "AKIA-not-a-key",
        "0b5c3f0e-9a4e-4bde-9f7a-1c2d3e4f5a6b",
        "postgres://db.internal:5432/app",
        "",
    ],
)
def test_ordinary_settings_are_not_credentials(value: str) -> None:
    assert credential_kind(value) is None


@pytest.mark.parametrize(
    ("props", "flagged"),
    [
        ({"password": "hunter2"}, True),
        ({"password": secret("hunter2")}, False),
        ({"password": UNKNOWN}, False),
        ({"password": ""}, False),
        ({"manageMasterUserPassword": True}, False),
    ],
)
def test_a_sensitive_input_must_arrive_as_a_secret(props: dict[str, Any], flagged: bool) -> None:
    db = res("aws:rds/instance:Instance", "db", {"engine": "postgres", **props})
    found = violations(CREDENTIALS, [db])
    assert bool(found) is flagged, found
    if flagged:
        assert "sets password in plaintext" in found[0]


def test_without_secretness_information_nothing_is_judged_plaintext() -> None:
    db = Resource(type="aws:rds/instance:Instance", name="db", props={"password": "hunter2"})
    assert get_rule(CREDENTIALS).evaluate(db) == []  # secret_paths None: cannot tell
    known = Resource(
        type="aws:rds/instance:Instance",
        name="db",
        props={"password": "hunter2"},
        secret_paths=frozenset(),
    )
    assert get_rule(CREDENTIALS).evaluate(known)


def test_nested_paths_and_whole_secret_containers() -> None:
    props = {
        "users": [{"username": "a", "password": secret("x1")}, {"username": "b", "password": "y2"}]
    }
    broker = res("aws:mq/broker:Broker", "broker", props)
    assert secret_paths(broker["properties"]) == frozenset({"users.0.password"})
    [found] = violations(CREDENTIALS, [broker])
    assert "users.1.password" in found
    whole = res(
        "aws:mq/broker:Broker", "whole", {"users": secret([{"username": "a", "password": "z"}])}
    )
    assert violations(CREDENTIALS, [whole]) == []  # the list itself is a secret


def test_ssm_parameters_are_judged_only_as_secure_strings() -> None:
    plain = res("aws:ssm/parameter:Parameter", "plain", {"type": "String", "value": "v1"})
    secure = res("aws:ssm/parameter:Parameter", "secure", {"type": "SecureString", "value": "v1"})
    assert [f.split(":")[0] for f in violations(CREDENTIALS, [plain, secure])] == ["secure"]


def test_a_credential_in_a_container_environment_is_caught_whatever_its_name() -> None:
    env = [{"name": "LLM_SETTINGS", "value": EXAMPLES["an Anthropic API key"]}]
    [found] = violations(CREDENTIALS, [task_definition("worker", environment=env)])
    assert "container 'worker' holds an Anthropic API key in plaintext in LLM_SETTINGS" in found
    assert violations(CREDENTIALS, [task_definition()]) == []


def test_lambda_environments_are_checked_by_value_and_by_name() -> None:
    def function(name: str, variables: dict[str, str]) -> Res:
        return res("aws:lambda/function:Function", name, {"environment": {"variables": variables}})

    found = violations(
        CREDENTIALS,
        [
            function("by-value", {"CONFIG": EXAMPLES["an AWS access key id"]}),
            function("by-name", {"DB_PASSWORD": "hunter2"}),
            function("fine", {"LOG_LEVEL": "info", "TABLE": "jobs"}),
            function("later", {"API_TOKEN": UNKNOWN}),
        ],
    )
    assert [f.split(":")[0] for f in found] == ["by-value", "by-name"]
    assert "AWS access key id" in found[0] and "DB_PASSWORD" in found[1]


# -- through the real pack, from a program (the SDK marks secrets as it registers) ---------------
@pytest.fixture(scope="module")
def pack() -> Iterator[AnalyzerProcess]:
    with AnalyzerProcess(BUNDLED_PACK_DIR) as p:
        yield p


@pytest.mark.slow
def test_secretness_survives_the_trip_from_program_to_pack(pack: AnalyzerProcess) -> None:
    def program() -> None:
        broker = dict(
            engine_type="ActiveMQ", engine_version="5.18", host_instance_type="mq.t3.micro"
        )
        # pulumi-aws leaves users[].password plaintext: a literal is visible as one
        aws.mq.Broker(
            "literal",
            broker_name="literal",
            users=[{"username": "a", "password": "hunter2-literal"}],
            **broker,
        )
        aws.mq.Broker(
            "from-config",
            broker_name="from-config",
            users=[{"username": "a", "password": pulumi.Output.secret("hunter2-config")}],
            **broker,
        )
        # pulumi-aws marks RDS `password` secret itself: a literal cannot be told from config
        aws.rds.Instance(
            "db",
            engine="postgres",
            instance_class="db.t4g.micro",
            allocated_storage=20,
            username="app",
            password="hunter2-literal",
        )
        aws.s3.Bucket("site", bucket="site", acl="public-read")

    cap = capture(program)
    found = pack.analyze(
        cap.resources,
        config={
            "all": "disabled",
            CREDENTIALS: "mandatory",
            "proliferate-s3-no-public-acl": "mandatory",
        },
    )
    by_policy = {(v.policy, v.urn.rsplit("::", 1)[-1]) for v in found}
    assert by_policy == {(CREDENTIALS, "literal"), ("proliferate-s3-no-public-acl", "site")}
