"""The estimator on small programs captured under mocks: totals computed by hand from the
price table's own numbers, per-component roll-up, free and not-priced resources, regions,
usage overrides and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from proliferate_components.cost import (
    BUNDLED_PRICES_PATH,
    CostEstimate,
    CostResource,
    Usage,
    compare,
    estimate,
    load_usage,
    resources_from_document,
    resources_from_registrations,
)
from proliferate_components.errors import ConfigError
from proliferate_components.testing import capture

# importing pulumi_aws.s3 warns about its deprecated V2 classes; not this module's concern
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws.*")

TABLE: dict[str, Any] = json.loads(BUNDLED_PRICES_PATH.read_text(encoding="utf-8"))
HOURS = TABLE["metadata"]["hours_per_month"]
P = TABLE["regions"]["us-east-1"]


def test_the_bundled_table_uses_the_aws_calculator_month() -> None:
    assert HOURS == 730


# -- a small stack, priced by hand ---------------------------------------------------------


class Data(pulumi.ComponentResource):
    """A cache and a database, nested inside App."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("test:app:Data", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        aws.elasticache.ReplicationGroup(
            f"{name}-cache",
            description="queue",
            engine="valkey",
            node_type="cache.t4g.micro",
            num_cache_clusters=2,
            snapshot_retention_limit=3,
            opts=child,
        )
        aws.rds.Instance(
            f"{name}-db",
            engine="postgres",
            instance_class="db.t4g.small",
            allocated_storage=30,
            storage_type="gp3",
            multi_az=True,
            backup_retention_period=7,
            performance_insights_enabled=True,
            performance_insights_retention_period=93,
            monitoring_interval=60,
            username="app",
            password="not-a-real-password",
            opts=child,
        )
        aws.rds.SubnetGroup(f"{name}-db-subnets", subnet_ids=["subnet-1", "subnet-2"], opts=child)


class App(pulumi.ComponentResource):
    """A NAT gateway, an ALB, an ARM Fargate service, and Data."""

    def __init__(self, name: str) -> None:
        super().__init__("test:app:App", name)
        child = pulumi.ResourceOptions(parent=self)
        eip = aws.ec2.Eip(f"{name}-eip", domain="vpc", opts=child)
        aws.ec2.NatGateway(f"{name}-nat", allocation_id=eip.id, subnet_id="subnet-1", opts=child)
        aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            subnets=["subnet-1", "subnet-2"],
            opts=child,
        )
        task = aws.ecs.TaskDefinition(
            f"{name}-task",
            family="app",
            cpu="512",
            memory="1024",
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"cpu_architecture": "ARM64", "operating_system_family": "LINUX"},
            container_definitions="[]",
            opts=child,
        )
        aws.ecs.Service(
            f"{name}-service",
            cluster="arn:aws:ecs:us-east-1:123456789012:cluster/app",
            task_definition=task.arn,
            desired_count=3,
            launch_type="FARGATE",
            opts=child,
        )
        Data(f"{name}-data", pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def small_stack() -> None:
    App("app")
    aws.secretsmanager.Secret("settings")
    aws.kms.Key("key", enable_key_rotation=True)
    aws.cloudwatch.LogGroup("logs", retention_in_days=14)
    aws.ecr.Repository("images")
    aws.route53.Zone("zone", name="example.com")
    aws.s3.Bucket("access-logs")
    aws.iam.Role("role", assume_role_policy="{}")
    aws.sqs.Queue("jobs")


def _estimate(program: Callable[[], None], **kwargs: Any) -> CostEstimate:
    result = capture(program)
    return estimate(resources_from_registrations(result.resources), **kwargs)


@pytest.fixture(scope="module")
def small() -> CostEstimate:
    return _estimate(small_stack)


def _by_name(cost: CostEstimate) -> dict[str, float]:
    return {r.name: r.monthly_usd for r in cost.resources}


def test_small_stack_resources_match_hand_computed_figures(small: CostEstimate) -> None:
    ipv4 = P["public_ipv4"]["hour"]
    nat, lb, fargate = P["nat_gateway"], P["load_balancer"], P["fargate"]
    cache, rds, logs = P["elasticache"], P["rds"], P["cloudwatch"]
    expected = {
        "app-eip": HOURS * ipv4,
        "app-nat": HOURS * nat["hour"] + 25 * nat["gb_processed"],
        # hours, 1 LCU on average, one public IPv4 per subnet
        "app-alb": HOURS * lb["alb_hour"] + HOURS * lb["alb_lcu_hour"] + 2 * HOURS * ipv4,
        # 3 ARM tasks of 0.5 vCPU and 1 GB
        "app-service": 3 * HOURS * (0.5 * fargate["arm_vcpu_hour"] + 1 * fargate["arm_gb_hour"]),
        "app-task": 0.0,  # run by the service
        # 2 Valkey nodes (20% below Redis), 2 snapshots beyond the free one, 0.5 GB each
        "app-data-cache": 2 * HOURS * cache["node_hour"]["cache.t4g.micro"] * 0.8
        + 2 * 0.5 * cache["backup_gb_month"],
        "app-data-db": (
            HOURS * rds["instance_hour"]["postgres"]["db.t4g.small"] * 2  # Multi-AZ
            + 30 * rds["storage_gb_month"]["gp3"] * 2
            + (30 * (1 + 0.02 * 7) - 30) * rds["backup_gb_month"]
            # 93 days = 3 months of retention, 2 vCPUs counted twice (Multi-AZ)
            + 2
            * 2
            * (
                rds["performance_insights_first_month_vcpu"]
                + 2 * rds["performance_insights_additional_month_vcpu"]
            )
            # one 12 KB event a minute, ingested and kept 30 days
            + (HOURS * 3600 / 60 * 12 / 1024 / 1024)
            * (logs["logs_ingested_gb"] + logs["logs_stored_gb_month"])
        ),
        "app-data-db-subnets": 0.0,
        "settings": P["secrets_manager"]["secret_month"]
        + P["secrets_manager"]["per_10k_api_calls"],
        "key": P["kms"]["key_month"] + P["kms"]["per_10k_requests"],
        "logs": logs["logs_ingested_gb"] + 14 / 30 * logs["logs_stored_gb_month"],
        "images": P["ecr"]["storage_gb_month"],
        "zone": P["route53"]["hosted_zone_month"],
        "access-logs": P["s3"]["standard_gb_month"] + 20 * P["s3"]["per_1k_put_requests"],
        "role": 0.0,
        "jobs": 0.0,
    }
    actual = _by_name(small)
    assert set(actual) == set(expected)
    for name, usd in expected.items():
        assert actual[name] == pytest.approx(usd), name
    assert small.total_usd == pytest.approx(sum(expected.values()))


def test_small_stack_total_is_the_sum_of_its_lines(small: CostEstimate) -> None:
    lines = [line for r in small.resources for line in r.lines]
    assert small.total_usd == pytest.approx(sum(line.quantity * line.unit_price for line in lines))
    assert small.total_usd == pytest.approx(sum(r.monthly_usd for r in small.resources))


def test_components_roll_up_through_the_parent_chain(small: CostEstimate) -> None:
    names = _by_name(small)
    components = {c.name: c for c in small.components}
    data = names["app-data-cache"] + names["app-data-db"]
    assert components["app-data"].monthly_usd == pytest.approx(data)
    assert components["app-data"].parent == components["app"].urn
    assert components["app-data"].depth == 1
    assert components["app"].monthly_usd == pytest.approx(
        data + sum(names[n] for n in ("app-eip", "app-nat", "app-alb", "app-service"))
    )
    # every custom resource below it: 5 of its own, 3 of Data's
    assert components["app"].resource_count == 8
    db = next(r for r in small.resources if r.name == "app-data-db")
    assert db.component == "app-data"
    assert db.component_urns == (components["app-data"].urn, components["app"].urn)
    top = next(r for r in small.resources if r.name == "settings")
    assert (top.component, top.component_urns) == ("", ())


def test_free_resources_say_why_and_unpriced_types_are_counted(small: CostEstimate) -> None:
    status = {r.name: (r.status, r.reason) for r in small.resources}
    assert status["role"] == ("free", "IAM has no charge")
    assert status["app-task"][0] == "free"
    assert "ECS service that runs it" in status["app-task"][1]
    assert status["app-data-db-subnets"][0] == "free"
    assert status["jobs"] == ("not priced", "no price for this resource type in the table")
    assert [(t.type, t.count) for t in small.not_priced] == [("aws:sqs/queue:Queue", 1)]
    assert all(t.reason for t in small.free)


def test_lines_say_which_figures_are_assumptions(small: CostEstimate) -> None:
    nat = next(r for r in small.resources if r.name == "app-nat")
    hours, data = nat.lines
    assert not hours.rests_on_assumptions  # 730 hours is the convention, not a guess
    assert data.rests_on_assumptions
    assert [(a.key, a.value, a.source) for a in data.assumptions] == [
        ("monthly_data_processed_gb", 25.0, "default")
    ]
    service = next(r for r in small.resources if r.name == "app-service")
    assumption = service.lines[0].assumptions[0]
    assert (assumption.key, assumption.source, assumption.detail) == (
        "average_task_count",
        "derived",
        "desiredCount 3",
    )


def test_usage_file_overrides_defaults_by_type_then_by_name(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yml"
    usage.write_text(
        "version: 0.1\n"
        "resource_type_default_usage:\n"
        "  aws:ec2/natGateway:NatGateway:\n"
        "    monthly_data_processed_gb: 100\n"
        "  aws:cloudwatch/logGroup:LogGroup:\n"
        "    monthly_data_ingested_gb: 10\n"
        "resource_usage:\n"
        "  logs:\n"
        "    monthly_data_ingested_gb: 3\n"
        "  app-service:\n"
        "    average_task_count: 1\n"
        "    monthly_hours: 365\n",
        encoding="utf-8",
    )
    cost = _estimate(small_stack, usage=load_usage(usage))
    names = _by_name(cost)
    nat, fargate, logs = P["nat_gateway"], P["fargate"], P["cloudwatch"]
    assert names["app-nat"] == pytest.approx(HOURS * nat["hour"] + 100 * nat["gb_processed"])
    assert names["logs"] == pytest.approx(
        3 * logs["logs_ingested_gb"] + 3 * 14 / 30 * logs["logs_stored_gb_month"]
    )
    assert names["app-service"] == pytest.approx(
        365 * (0.5 * fargate["arm_vcpu_hour"] + fargate["arm_gb_hour"])
    )
    service = next(r for r in cost.resources if r.name == "app-service")
    assert {a.source for line in service.lines for a in line.assumptions} == {"usage file"}
    assert not any(line.rests_on_assumptions for line in service.lines)


def test_usage_key_of_another_type_for_a_named_resource_is_an_error(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yml"
    usage.write_text(
        "version: 0.1\nresource_usage:\n  app-nat:\n    storage_gb: 5\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        _estimate(small_stack, usage=load_usage(usage))
    assert caught.value.key == f"--usage {usage}: resource_usage.app-nat.storage_gb"
    assert "monthly_data_processed_gb" in caught.value.valid


def test_usage_for_a_resource_the_program_lacks_is_a_warning(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yml"
    usage.write_text(
        "version: 0.1\nresource_usage:\n  no-such-nat:\n    monthly_data_processed_gb: 5\n",
        encoding="utf-8",
    )
    cost = _estimate(small_stack, usage=load_usage(usage))
    assert any("no-such-nat" in w and "ignored" in w for w in cost.warnings)


# -- regions -------------------------------------------------------------------------------


def test_region_changes_prices_and_unknown_regions_are_errors() -> None:
    frankfurt = _estimate(small_stack, region="eu-central-1")
    nat = TABLE["regions"]["eu-central-1"]["nat_gateway"]
    assert _by_name(frankfurt)["app-nat"] == pytest.approx(
        HOURS * nat["hour"] + 25 * nat["gb_processed"]
    )
    with pytest.raises(ConfigError) as caught:
        _estimate(small_stack, region="mars-north-1")
    assert caught.value.key == "aws:region"
    assert caught.value.value == "mars-north-1"
    assert "us-east-1" in caught.value.valid and "eu-west-1" in caught.value.valid


def test_explicit_provider_region_wins_for_its_resources() -> None:
    def program() -> None:
        ireland = aws.Provider("ireland", region="eu-west-1")
        aws.ec2.Eip("home", domain="vpc")
        aws.ecr.Repository("away", opts=pulumi.ResourceOptions(provider=ireland))

    cost = _estimate(program, region="us-east-1")
    regions = {r.name: r.region for r in cost.resources}
    assert regions["home"] == "us-east-1"
    assert regions["away"] == "eu-west-1"
    provider = next(r for r in cost.resources if r.name == "ireland")
    assert (provider.region, provider.status) == ("eu-west-1", "free")


def test_unknown_instance_class_names_the_resource_key() -> None:
    def program() -> None:
        aws.rds.Instance(
            "db", engine="postgres", instance_class="db.t4g.mirco", allocated_storage=20
        )

    with pytest.raises(ConfigError) as caught:
        _estimate(program)
    assert caught.value.key == "db.instanceClass"
    assert caught.value.value == "db.t4g.mirco"
    assert "db.t4g.micro" in caught.value.valid and "--prices" in caught.value.valid


def test_unknown_node_type_names_the_resource_key() -> None:
    def program() -> None:
        aws.elasticache.ReplicationGroup(
            "cache", description="c", node_type="cache.x9.huge", num_cache_clusters=2
        )

    with pytest.raises(ConfigError) as caught:
        _estimate(program)
    assert caught.value.key == "cache.nodeType"
    assert "cache.t4g.micro" in caught.value.valid


# -- rules with alternatives -----------------------------------------------------------------


def test_internal_load_balancer_has_no_public_addresses_and_nlb_uses_nlcus() -> None:
    def program() -> None:
        aws.lb.LoadBalancer("inside", internal=True, subnets=["s-1", "s-2", "s-3"])
        aws.lb.LoadBalancer("net", load_balancer_type="network", subnets=["s-1"])

    cost = _estimate(program)
    lb = P["load_balancer"]
    assert _by_name(cost)["inside"] == pytest.approx(HOURS * (lb["alb_hour"] + lb["alb_lcu_hour"]))
    assert _by_name(cost)["net"] == pytest.approx(
        HOURS * (lb["nlb_hour"] + lb["nlb_nlcu_hour"] + P["public_ipv4"]["hour"])
    )


def test_fargate_details_public_ips_extra_storage_spot_and_one_off_tasks() -> None:
    def program() -> None:
        big = aws.ecs.TaskDefinition(
            "big",
            family="big",
            cpu="1 vCPU",
            memory="2 GB",
            requires_compatibilities=["FARGATE"],
            ephemeral_storage={"size_in_gib": 50},
            container_definitions="[]",
        )
        aws.ecs.Service(
            "public",
            task_definition=big.arn,
            desired_count=2,
            launch_type="FARGATE",
            network_configuration={"subnets": ["s-1"], "assign_public_ip": True},
        )
        spot_task = aws.ecs.TaskDefinition(
            "spot-task",
            family="spot",
            cpu="256",
            memory="512",
            requires_compatibilities=["FARGATE"],
            container_definitions="[]",
        )
        aws.ecs.Service(
            "spot",
            task_definition=spot_task.arn,
            desired_count=4,
            capacity_provider_strategies=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}],
        )
        aws.ecs.TaskDefinition(
            "one-off",
            family="migrate",
            cpu="256",
            memory="512",
            requires_compatibilities=["FARGATE"],
            container_definitions="[]",
        )

    cost = _estimate(program)
    fargate = P["fargate"]
    per_task_hour = (
        1 * fargate["x86_vcpu_hour"]
        + 2 * fargate["x86_gb_hour"]
        + 30 * fargate["ephemeral_gb_hour"]
        + P["public_ipv4"]["hour"]
    )
    names = _by_name(cost)
    assert names["public"] == pytest.approx(2 * HOURS * per_task_hour)
    spot = next(r for r in cost.resources if r.name == "spot")
    assert (spot.status, spot.monthly_usd) == ("not priced", 0.0)
    assert "Spot" in spot.reason
    # a task definition no service runs: one task-hour a month by default
    assert names["one-off"] == pytest.approx(
        0.25 * fargate["x86_vcpu_hour"] + 0.5 * fargate["x86_gb_hour"]
    )


def test_autoscaling_minimum_above_desired_count_sets_the_task_count() -> None:
    def program() -> None:
        task = aws.ecs.TaskDefinition(
            "task", family="t", cpu="256", memory="512", requires_compatibilities=["FARGATE"],
            container_definitions="[]",
        )  # fmt: skip
        service = aws.ecs.Service(
            "svc", task_definition=task.arn, desired_count=1, launch_type="FARGATE"
        )
        aws.appautoscaling.Target(
            "scaling",
            min_capacity=3,
            max_capacity=6,
            resource_id=service.name.apply(lambda n: f"service/cluster/{n}"),
            scalable_dimension="ecs:service:DesiredCount",
            service_namespace="ecs",
        )

    cost = _estimate(program)
    svc = next(r for r in cost.resources if r.name == "svc")
    count = svc.lines[0].assumptions[0]
    assert count.value == 3
    assert "minCapacity 3" in count.detail


def test_rds_options_single_az_io1_advanced_insights_public() -> None:
    def program() -> None:
        aws.rds.Instance(
            "db",
            engine="mysql",
            instance_class="db.m5.large",
            allocated_storage=100,
            storage_type="io1",
            iops=1000,
            backup_retention_period=0,
            database_insights_mode="advanced",
            performance_insights_enabled=True,
            performance_insights_retention_period=465,
            publicly_accessible=True,
        )
        aws.rds.Instance(
            "oracle", engine="oracle-se2", instance_class="db.m5.large", allocated_storage=20
        )

    cost = _estimate(program)
    rds = P["rds"]
    assert _by_name(cost)["db"] == pytest.approx(
        HOURS * rds["instance_hour"]["mysql"]["db.m5.large"]
        + 100 * rds["storage_gb_month"]["io1"]
        + 1000 * rds["provisioned_iops_month"]
        + 2 * HOURS * rds["database_insights_advanced_vcpu_hour"]
        + HOURS * P["public_ipv4"]["hour"]
    )
    oracle = next(r for r in cost.resources if r.name == "oracle")
    assert oracle.status == "not priced"
    assert "oracle-se2" in oracle.reason


def test_container_insights_counts_the_services_of_its_cluster() -> None:
    def program() -> None:
        cluster = aws.ecs.Cluster(
            "cluster", settings=[{"name": "containerInsights", "value": "enabled"}]
        )
        task = aws.ecs.TaskDefinition(
            "task", family="t", cpu="256", memory="512", requires_compatibilities=["FARGATE"],
            container_definitions="[]",
        )  # fmt: skip
        for name in ("a", "b"):
            aws.ecs.Service(
                name, cluster=cluster.arn, task_definition=task.arn, launch_type="FARGATE"
            )
        aws.ecs.Cluster("plain")

    cost = _estimate(program)
    metrics, logs = next(r for r in cost.resources if r.name == "cluster").lines
    assert metrics.quantity == 15 + 26 * 2
    assert metrics.monthly_usd == pytest.approx(67 * P["cloudwatch"]["metric_month"])
    assert logs.monthly_usd == pytest.approx(P["cloudwatch"]["logs_ingested_gb"])
    assert next(r for r in cost.resources if r.name == "plain").status == "free"


def test_unknown_inputs_leave_parts_unpriced_not_zero() -> None:
    # what a real preview records for an input computed from another resource's output
    urn = "urn:pulumi:dev::p::aws:rds/instance:Instance::db"
    db_inputs = {"engine": "postgres", "instanceClass": "db.t4g.micro", "allocatedStorage": None}
    cache_inputs = {"description": "c", "nodeType": None, "numCacheClusters": 2}
    cost = estimate(
        [
            CostResource(urn=urn, type="aws:rds/instance:Instance", name="db", inputs=db_inputs),
            CostResource(
                urn=urn.replace("rds/instance:Instance::db", "elasticache/rg:RG::cache"),
                type="aws:elasticache/replicationGroup:ReplicationGroup",
                name="cache",
                inputs=cache_inputs,
            ),
        ]
    )
    found = {r.name: r for r in cost.resources}
    db, cache = found["db"], found["cache"]
    assert db.status == "partly priced"
    assert "allocatedStorage unknown" in db.reason
    assert db.monthly_usd == pytest.approx(
        HOURS * P["rds"]["instance_hour"]["postgres"]["db.t4g.micro"]
    )
    assert (cache.status, cache.monthly_usd) == ("not priced", 0.0)
    assert {t.type for t in cost.not_priced} == {
        "aws:rds/instance:Instance",
        "aws:elasticache/replicationGroup:ReplicationGroup",
    }


# -- the --json export and comparisons ---------------------------------------------------------


def test_the_json_export_prices_the_same_as_the_capture(small: CostEstimate) -> None:
    from proliferate_components.preview.export import Redactor

    result = capture(small_stack)
    red = Redactor()
    document = {
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent or None,
                "custom": r.custom,
                "dependencies": sorted(set(r.dependencies)),
                "provider": r.provider or None,
                "inputs": red.plain(dict(r.inputs)),
            }
            for r in result.resources
        ]
    }
    again = estimate(resources_from_document(document))
    assert _by_name(again) == pytest.approx(_by_name(small))


def test_comparison_shows_each_changed_line_and_added_resources() -> None:
    def base() -> None:
        aws.rds.Instance(
            "db", engine="postgres", instance_class="db.t4g.micro", allocated_storage=20
        )

    def other() -> None:
        aws.rds.Instance(
            "db",
            engine="postgres",
            instance_class="db.t4g.micro",
            allocated_storage=20,
            multi_az=True,
        )
        aws.ec2.Eip("extra", domain="vpc")

    first, second = _estimate(base), _estimate(other)
    comparison = compare(first, second, base_label="single", other_label="multi")
    rds = P["rds"]
    deltas = {(d.name, d.key): d.delta_usd for d in comparison.lines}
    assert deltas[("db", "instance")] == pytest.approx(
        HOURS * rds["instance_hour"]["postgres"]["db.t4g.micro"]
    )
    assert deltas[("db", "storage")] == pytest.approx(20 * rds["storage_gb_month"]["gp2"])
    assert deltas[("extra", "ipv4")] == pytest.approx(HOURS * P["public_ipv4"]["hour"])
    assert ("db", "backup") not in deltas  # unchanged lines are left out
    assert comparison.delta_usd == pytest.approx(sum(deltas.values()))
    assert comparison.lines[0].key == "instance"  # largest change first
    document = comparison.to_dict()
    assert document["baseLabel"] == "single"
    assert document["deltaMonthly"] == pytest.approx(comparison.delta_usd)


def test_empty_usage_means_every_default() -> None:
    cost = _estimate(lambda: aws.ecr.Repository("r").urn.apply(lambda _: None), usage=Usage())
    assert cost.total_usd == pytest.approx(P["ecr"]["storage_gb_month"])
