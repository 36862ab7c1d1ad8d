"""The bundled pack driven like the Pulumi engine drives it: subprocess + gRPC Analyzer calls.

One pack process serves the whole module (module-scoped fixture); each test reconfigures it
through ``Configure``, exactly as a new ``pulumi preview`` would.
"""

from __future__ import annotations

import dataclasses
import os
import textwrap
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from google.protobuf import json_format
from policy_fixtures import CASES, Res, db_instance, registration, replication_group

from proliferate_components.analyzer import (
    BUNDLED_PACK_DIR,
    AnalyzerProcess,
    PolicyPackError,
    Violation,
    run_policy_pack,
)
from proliferate_components.errors import ConfigError
from proliferate_components.policies import RULES, StackRule, get_rule
from proliferate_components.testing import Registration, capture

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pack() -> Iterator[AnalyzerProcess]:
    with AnalyzerProcess(BUNDLED_PACK_DIR) as p:
        yield p


def only(rule_id: str) -> dict[str, Any]:
    """Config that runs ``rule_id`` (mandatory) and disables everything else."""
    return {"all": "disabled", rule_id: "mandatory"}


def analyze(
    pack: AnalyzerProcess, resources: list[Res], config: dict[str, Any] | None = None
) -> list[Violation]:
    return pack.analyze([registration(r) for r in resources], config=config)


def test_bundled_pack_dir_is_a_python_pack() -> None:
    manifest = (BUNDLED_PACK_DIR / "PulumiPolicy.yaml").read_text()
    assert "runtime: python" in manifest and "version:" in manifest
    assert (BUNDLED_PACK_DIR / "__main__.py").is_file()
    assert (BUNDLED_PACK_DIR / "requirements.txt").read_text().split() == ["proliferate-components"]


def test_analyzer_info_lists_every_rule_with_schema(pack: AnalyzerProcess) -> None:
    info = pack.info()
    assert info.name == "proliferate-aws"
    assert info.supportsConfig
    assert info.version == "0.1.0"  # from PulumiPolicy.yaml, as the engine does
    by_name = {p.name: p for p in info.policies}
    assert set(by_name) == {r.id for r in RULES}
    for r in RULES:
        p = by_name[r.id]
        assert p.description == r.description
        assert p.remediation_steps == r.remediation
        assert set(p.tags) == {r.service, *r.equivalents}
        assert p.policy_type == (2 if isinstance(r, StackRule) else 1)
        schema = json_format.MessageToDict(p.configSchema.properties)
        assert set(schema) == {c.name for c in r.config}
        for c in r.config:
            assert schema[c.name]["type"] == c.type
    backup = json_format.MessageToDict(
        by_name["proliferate-rds-backup-retention"].configSchema.properties
    )
    assert backup["minRetentionDays"]["default"] == 7


def test_reconciled_config_fills_defaults_and_levels(pack: AnalyzerProcess) -> None:
    merged = pack.reconcile({"proliferate-rds-backup-retention": {"minRetentionDays": 14}})
    assert merged["proliferate-rds-backup-retention"].properties == {"minRetentionDays": 14}
    assert merged["proliferate-elasticache-snapshot-retention"].properties == {
        "minRetentionDays": 1
    }
    assert merged["proliferate-secretsmanager-rotation"].enforcement == "disabled"
    assert merged["proliferate-elasticache-noeviction"].enforcement == "mandatory"
    everything = pack.reconcile({"all": "advisory", "proliferate-rds-not-public": "mandatory"})
    levels = {k: v.enforcement for k, v in everything.items() if k != "all"}
    assert levels.pop("proliferate-rds-not-public") == "mandatory"
    assert set(levels.values()) == {"advisory"}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_compliant_fixture_passes_through_grpc(pack: AnalyzerProcess, rule_id: str) -> None:
    found = [
        v for v in analyze(pack, CASES[rule_id].compliant, only(rule_id)) if v.policy == rule_id
    ]
    assert found == []


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_noncompliant_fixture_fails_through_grpc(pack: AnalyzerProcess, rule_id: str) -> None:
    case = CASES[rule_id]
    found = analyze(pack, case.noncompliant, only(rule_id))
    assert found, f"{rule_id} passed its non-compliant fixture"
    offender = next(r for r in case.noncompliant if r["name"] == case.offender)
    for v in found:
        assert v.policy == rule_id
        assert v.pack == "proliferate-aws"
        assert v.enforcement == "mandatory"
        assert v.urn == offender["urn"]
        assert v.severity == get_rule(rule_id).severity
        assert v.message.startswith(get_rule(rule_id).description)
        assert repr(case.offender) in v.message and "Fix: " in v.message


def test_default_levels_are_the_rules_own(pack: AnalyzerProcess) -> None:
    bad = replication_group(multiAzEnabled=False, snapshotRetentionLimit=0)
    levels = {v.policy: v.enforcement for v in analyze(pack, [bad])}
    assert levels["proliferate-elasticache-multi-az"] == "advisory"
    assert levels["proliferate-elasticache-snapshot-retention"] == "mandatory"


def test_enforcement_levels_from_config_are_honoured(pack: AnalyzerProcess) -> None:
    bad = [db_instance(deletionProtection=False)]
    rid = "proliferate-rds-deletion-protection"

    def level(config: dict[str, Any] | None) -> list[str]:
        return [v.enforcement for v in analyze(pack, bad, config) if v.policy == rid]

    assert level(None) == ["mandatory"]
    assert level({rid: "advisory"}) == ["advisory"]
    assert level({rid: {"enforcementLevel": "disabled"}}) == []
    assert level({"all": "advisory"}) == ["advisory"]
    assert level({"all": "disabled"}) == []
    assert level({"all": "advisory", rid: "mandatory"}) == ["mandatory"]


def test_disabled_by_default_rule_can_be_enabled(pack: AnalyzerProcess) -> None:
    case = CASES["proliferate-secretsmanager-rotation"]
    rid = "proliferate-secretsmanager-rotation"
    assert [v for v in analyze(pack, case.noncompliant) if v.policy == rid] == []
    assert [
        v.enforcement
        for v in analyze(pack, case.noncompliant, {rid: "advisory"})
        if v.policy == rid
    ] == ["advisory"]


def test_thresholds_from_config_change_the_outcome(pack: AnalyzerProcess) -> None:
    rid = "proliferate-rds-backup-retention"
    db = [db_instance(backupRetentionPeriod=10)]
    assert [v for v in analyze(pack, db, only(rid))] == []
    strict = {**only(rid), rid: {"enforcementLevel": "mandatory", "minRetentionDays": 14}}
    found = analyze(pack, db, strict)
    assert len(found) == 1 and "10 days (minimum 14)" in found[0].message
    rid = "proliferate-elasticache-snapshot-retention"
    rg = [replication_group(snapshotRetentionLimit=2)]
    assert analyze(pack, rg, only(rid)) == []
    assert analyze(
        pack, rg, {"all": "disabled", rid: {"enforcementLevel": "mandatory", "minRetentionDays": 3}}
    )


def test_protect_travels_in_resource_options(pack: AnalyzerProcess) -> None:
    rid = "proliferate-protect-data-stores"
    assert analyze(pack, [db_instance(protect=True)], only(rid)) == []
    assert len(analyze(pack, [db_instance(protect=False)], only(rid))) == 1


def test_secret_inputs_reach_the_rules_unwrapped(pack: AnalyzerProcess) -> None:
    rid = "proliferate-elasticache-auth-token"
    assert analyze(pack, [replication_group()], only(rid)) == []  # authToken is a wrapped secret


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"proliferate-rds-backup-retention": {"minRetentionDays": "seven"}}, "minRetentionDays"),
        ({"proliferate-rds-backup-retention": {"minRetentionDays": 0}}, "minRetentionDays"),
        ({"proliferate-rds-not-public": "sometimes"}, "proliferate-rds-not-public"),
        ({"proliferate-no-such-rule": "mandatory"}, "proliferate-no-such-rule"),
        ({"all": 3}, "all"),
    ],
)
def test_invalid_config_is_rejected_before_analysis(
    pack: AnalyzerProcess, config: dict[str, Any], key: str
) -> None:
    with pytest.raises(ConfigError) as err:
        analyze(pack, [db_instance()], config)
    assert key in str(err.value)


def test_a_captured_program_is_analyzed_with_its_options() -> None:
    def program() -> None:
        pg = aws.elasticache.ParameterGroup(
            "queue-params",
            family="redis7",
            parameters=[{"name": "maxmemory-policy", "value": "noeviction"}],
        )
        aws.elasticache.ReplicationGroup(
            "queue",
            description="queue",
            engine="redis",
            node_type="cache.t3.micro",
            parameter_group_name=pg.name,
            num_cache_clusters=1,
            snapshot_retention_limit=1,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            auth_token=pulumi.Output.secret("a-long-enough-token-123"),
            subnet_group_name="s",
            security_group_ids=["sg-1"],
            opts=pulumi.ResourceOptions(protect=True),
        )
        evicting = aws.elasticache.ParameterGroup("lru", family="redis7")
        aws.elasticache.ReplicationGroup(
            "cache", description="cache", parameter_group_name=evicting.name
        )

    cap = capture(program)
    violations = run_policy_pack(BUNDLED_PACK_DIR, cap.resources)
    by_rule: dict[str, set[str]] = {}
    for v in violations:
        by_rule.setdefault(v.policy, set()).add(v.urn.split("::")[-1])
    assert by_rule["proliferate-elasticache-noeviction"] == {"cache"}
    assert by_rule["proliferate-protect-data-stores"] == {"cache"}
    assert "queue" not in by_rule.get("proliferate-elasticache-auth-token", set())


def test_process_is_reaped_on_close() -> None:
    with AnalyzerProcess(BUNDLED_PACK_DIR) as p:
        pid = p.pid
        assert pid is not None
        os.kill(pid, 0)  # alive
    assert p.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone and reaped (a zombie would still accept signal 0)


def test_a_failing_pack_reports_its_stderr(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text(
        textwrap.dedent("""\
        raise RuntimeError("pack exploded on purpose")
        """)
    )
    with pytest.raises(PolicyPackError) as err:
        AnalyzerProcess(tmp_path, start_timeout_seconds=30).start()
    assert "failed to start" in str(err.value)
    assert "pack exploded on purpose" in str(err.value)


def test_a_directory_without_manifest_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        AnalyzerProcess(tmp_path).start()
    assert "PulumiPolicy.yaml" in str(err.value)


def test_unknown_values_are_skipped_not_reported_as_errors(pack: AnalyzerProcess) -> None:
    from proliferate_components.policies.values import UNKNOWN

    found = analyze(pack, [db_instance(deletionProtection=UNKNOWN, storageEncrypted=UNKNOWN)])
    policies = {v.policy for v in found}
    assert "proliferate-rds-deletion-protection" not in policies
    assert "proliferate-rds-storage-encrypted" not in policies
    assert not any("can't run policy" in v.message for v in found)


def test_remediate_level_reports_as_mandatory(pack: AnalyzerProcess) -> None:
    rid = "proliferate-rds-not-public"
    found = analyze(
        pack, [db_instance(publiclyAccessible=True)], {"all": "disabled", rid: "remediate"}
    )
    assert [(v.policy, v.enforcement) for v in found] == [(rid, "mandatory")]


def test_explicit_provider_is_sent_with_its_properties() -> None:
    def program() -> None:
        east = aws.Provider("east", region="us-east-1")
        aws.cloudwatch.LogGroup("forever", opts=pulumi.ResourceOptions(provider=east))

    cap = capture(program)
    log_group = cap.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.provider  # the harness recorded a provider reference
    found = run_policy_pack(BUNDLED_PACK_DIR, cap.resources, only("proliferate-logs-retention"))
    assert [(v.policy, v.urn) for v in found] == [("proliferate-logs-retention", log_group.urn)]


def test_assets_and_secrets_are_marshalled_like_the_engine_does(pack: AnalyzerProcess) -> None:
    def program() -> None:
        aws.lambda_.LayerVersion(
            "layer",
            layer_name="layer",
            code=pulumi.AssetArchive({"a.txt": pulumi.StringAsset("hello")}),
        )
        aws.secretsmanager.SecretVersion(
            "v", secret_id="s", secret_string=pulumi.Output.secret("p4ss")
        )

    cap = capture(program)
    assert cap.one("aws:secretsmanager/secretVersion:SecretVersion").is_secret("secretString")
    assert pack.analyze(cap.resources, config={"all": "mandatory"}) == []


def _key(v: Violation) -> tuple[str, str, str, str, str]:
    return (v.policy, v.urn, v.enforcement, v.message, v.severity)


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_streaming_analysis_reports_what_post_hoc_analysis_reports(
    pack: AnalyzerProcess, preset: str
) -> None:
    from proliferate_components.preview.runner import bundled_example_dir, preset_values
    from proliferate_components.testing import capture_project

    config = {"all": "advisory"}  # every rule, disabled-by-default ones included
    pack.configure(config)
    with pack.stream() as analysis:
        cap = capture_project(
            bundled_example_dir(),
            config={"aws:region": "us-east-1", **preset_values(preset)},
            project="proliferate",
            stack=preset,
            on_register=analysis.submit,
        )
        streamed = analysis.finish(cap.resources)
    post_hoc = pack.analyze(cap.resources, config=config)
    assert sorted(map(_key, streamed)) == sorted(map(_key, post_hoc))
    assert len(post_hoc) >= 3  # something to compare
    assert {v.urn for v in post_hoc if v.urn} - {r.urn for r in cap.resources if r.custom} == set()
    stack_rules = {r.id for r in RULES if isinstance(r, StackRule)}
    assert {v.policy for v in post_hoc} & stack_rules  # AnalyzeStack findings are compared too


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_the_preview_reports_what_post_hoc_analysis_reports(preset: str) -> None:
    from proliferate_components.policies.profiles import policy_config_for
    from proliferate_components.preview.runner import run_preview

    result = run_preview(preset=preset, policy_pack=BUNDLED_PACK_DIR)
    stack_config = {
        k: v for k, v in result.config.values.items() if k not in result.config.secret_keys
    }
    with AnalyzerProcess(
        BUNDLED_PACK_DIR,
        # the preview holds a prod stack to the prod profile's policy config
        config=policy_config_for(preset) or None,
        project=result.project.name,
        stack=result.stack,
        stack_config=stack_config,
    ) as fresh:
        post_hoc = fresh.analyze(result.capture.resources)
    assert sorted(map(_key, result.violations)) == sorted(map(_key, post_hoc))
    if preset == "dev":  # the dev profile has advisory findings to compare; prod has none
        assert result.violations


def test_streaming_analysis_sends_provider_properties_and_skips_components() -> None:
    def program() -> None:
        east = aws.Provider("east", region="us-east-1")
        aws.cloudwatch.LogGroup("forever", opts=pulumi.ResourceOptions(provider=east))

    with AnalyzerProcess(BUNDLED_PACK_DIR, only("proliferate-logs-retention")) as p:
        with p.stream() as analysis:
            cap = capture(program, on_register=analysis.submit)
            found = analysis.finish(cap.resources)
        assert found == p.analyze(cap.resources)
    log_group = cap.one("aws:cloudwatch/logGroup:LogGroup")
    assert [(v.policy, v.urn) for v in found] == [("proliferate-logs-retention", log_group.urn)]


def test_analyze_resource_and_analyze_stack_split_the_work(pack: AnalyzerProcess) -> None:
    pack.configure({"all": "mandatory"})
    regs = [registration(r) for r in CASES["proliferate-protect-data-stores"].noncompliant]
    per_resource = [v for reg in regs for v in pack.analyze_resource(reg)]
    whole_stack = pack.analyze_stack(regs)
    assert sorted(map(_key, per_resource + whole_stack)) == sorted(
        map(_key, pack.analyze(regs, config={"all": "mandatory"}))
    )
    assert "proliferate-protect-data-stores" in {v.policy for v in whole_stack}
    assert "proliferate-protect-data-stores" not in {v.policy for v in per_resource}


def test_a_pack_that_fails_to_start_fails_the_streaming_analysis(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text('raise RuntimeError("pack exploded on purpose")\n')

    def program() -> None:
        aws.cloudwatch.LogGroup("logs")

    broken = AnalyzerProcess(tmp_path, start_timeout_seconds=30)  # started by the worker
    try:
        with broken.stream() as analysis:
            cap = capture(program, on_register=analysis.submit)  # submit never raises
            with pytest.raises(PolicyPackError, match="pack exploded on purpose"):
                analysis.finish(cap.resources)
    finally:
        broken.close()
    assert broken.pid is None


class _RecordingPack(AnalyzerProcess):
    """No process: records what the streaming worker asks of it."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__(BUNDLED_PACK_DIR)
        self.gate = gate
        self.analyzed: list[str] = []
        self.stacks: list[list[str]] = []

    def configuration(self) -> dict[str, Any]:
        self.gate.wait(timeout=60)
        return {}

    def analyze_resource(
        self, reg: Registration, *, by_urn: Mapping[str, Registration] | None = None
    ) -> list[Violation]:
        assert by_urn is not None and (
            not reg.provider or reg.provider.rsplit("::", 1)[0] in by_urn
        )
        self.analyzed.append(reg.name)
        return [Violation("p", "pack", reg.urn, "advisory", "m", "d")]

    def analyze_stack(self, resources: Sequence[Registration]) -> list[Violation]:
        self.stacks.append([r.name for r in resources])
        return []


def _mixed_registrations() -> list[Registration]:
    """A component followed by custom resources of several kinds."""
    rules = ("proliferate-elasticache-noeviction", "proliferate-protect-data-stores")
    regs = [registration(r) for rule in rules for r in CASES[rule].noncompliant]
    component = dataclasses.replace(
        regs[0], urn=f"{regs[0].urn}-parent", name="parent", type="test:index:Parent", custom=False
    )
    return [component, *regs]


def test_streaming_analysis_analyzes_custom_resources_in_submission_order() -> None:
    gate = threading.Event()
    fake = _RecordingPack(gate)
    regs = _mixed_registrations()
    with fake.stream() as analysis:
        for reg in regs:
            analysis.submit(reg)  # returns while the worker still waits for the pack
        gate.set()
        found = analysis.finish(regs)
    custom = [r.name for r in regs if r.custom]
    assert fake.analyzed == custom and len(custom) >= 2
    assert [v.urn for v in found] == [r.urn for r in regs if r.custom]
    assert fake.stacks == [[r.name for r in regs]]


def test_closing_a_streaming_analysis_drops_what_is_queued() -> None:
    gate = threading.Event()
    fake = _RecordingPack(gate)
    regs = _mixed_registrations()
    analysis = fake.stream()
    for reg in regs:
        analysis.submit(reg)
    # e.g. the program failed: no AnalyzeStack, queued Analyze calls dropped
    closing = threading.Thread(target=analysis.close)
    closing.start()
    while not analysis._abandoned:  # pyright: ignore[reportPrivateUsage]
        closing.join(timeout=0.01)  # close() has not marked the queue yet
    gate.set()  # only now may the worker go on
    closing.join()
    assert fake.analyzed == [] and fake.stacks == []
    analysis.submit(regs[0])  # ignored after close
    assert fake.analyzed == []
