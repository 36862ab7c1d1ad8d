"""Properties of the estimator (Hypothesis): a cost never decreases when a count, a size or
an hour figure increases, whether the figure is a resource input, a usage figure or the price
table's hours per month; and adding a resource never lowers the total."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from proliferate_components.cost import CostResource, Usage, estimate, load_prices

PRICES = load_prices()
_NODE_FAMILIES = ("cache.t3", "cache.t4g")
_DB_FAMILIES = ("db.t3", "db.t4g")
_SIZES = ("micro", "small", "medium")


def _urn(kind: str, name: str) -> str:
    return f"urn:pulumi:dev::p::{kind}::{name}"


def _resource(
    kind: str, name: str, inputs: Mapping[str, Any], deps: tuple[str, ...] = ()
) -> CostResource:
    return CostResource(
        urn=_urn(kind, name), type=kind, name=name, inputs=dict(inputs), dependencies=deps
    )


def _cost(
    resources: list[CostResource],
    usage: Mapping[str, Mapping[str, float]] | None = None,
    *,
    hours: float | None = None,
    region: str = "us-east-1",
) -> float:
    prices = PRICES if hours is None else dataclasses.replace(PRICES, hours_per_month=hours)
    return estimate(
        resources, prices=prices, usage=Usage(resources=dict(usage or {})), region=region
    ).total_usd


def _fargate_pair(
    *, cpu: int, memory: int, count: float, storage: int, arm: bool, public: bool
) -> list[CostResource]:
    task = _resource(
        "aws:ecs/taskDefinition:TaskDefinition",
        "task",
        {
            "cpu": str(cpu),
            "memory": str(memory),
            "requiresCompatibilities": ["FARGATE"],
            "ephemeralStorage": {"sizeInGib": storage},
            "runtimePlatform": {"cpuArchitecture": "ARM64" if arm else "X86_64"},
        },
    )
    service = _resource(
        "aws:ecs/service:Service",
        "svc",
        {
            "desiredCount": count,
            "launchType": "FARGATE",
            "networkConfiguration": {"assignPublicIp": public},
        },
        deps=(task.urn,),
    )
    return [task, service]


counts = st.integers(min_value=0, max_value=50)
sizes = st.floats(min_value=0, max_value=10_000, allow_nan=False)
regions = st.sampled_from(sorted(PRICES.regions))


@settings(max_examples=60, deadline=None)
@given(
    cpu=st.integers(256, 16384),
    memory=st.integers(512, 122880),
    count=counts,
    storage=st.integers(20, 200),
    arm=st.booleans(),
    public=st.booleans(),
    bump=st.sampled_from(["cpu", "memory", "count", "storage"]),
    by=st.integers(1, 4096),
    region=regions,
)
def test_fargate_cost_never_drops_when_size_or_count_grows(
    cpu: int,
    memory: int,
    count: int,
    storage: int,
    arm: bool,
    public: bool,
    bump: str,
    by: int,
    region: str,
) -> None:
    before: dict[str, Any] = {
        "cpu": cpu,
        "memory": memory,
        "count": count,
        "storage": storage,
        "arm": arm,
        "public": public,
    }
    after = {**before, bump: before[bump] + by}
    assert _cost(_fargate_pair(**after), region=region) >= _cost(
        _fargate_pair(**before), region=region
    )


@settings(max_examples=60, deadline=None)
@given(
    family=st.sampled_from(_NODE_FAMILIES),
    size=st.integers(0, len(_SIZES) - 2),
    nodes=st.integers(1, 6),
    retention=st.integers(0, 35),
    engine=st.sampled_from(["redis", "valkey"]),
    bump=st.sampled_from(["size", "nodes", "retention", "snapshot"]),
    snapshot=sizes,
    region=regions,
)
def test_cache_cost_never_drops_when_nodes_size_or_retention_grows(
    family: str,
    size: int,
    nodes: int,
    retention: int,
    engine: str,
    bump: str,
    snapshot: float,
    region: str,
) -> None:
    def cache(size: int, nodes: int, retention: int) -> list[CostResource]:
        return [
            _resource(
                "aws:elasticache/replicationGroup:ReplicationGroup",
                "cache",
                {
                    "nodeType": f"{family}.{_SIZES[size]}",
                    "numCacheClusters": nodes,
                    "snapshotRetentionLimit": retention,
                    "engine": engine,
                },
            )
        ]

    usage = {"cache": {"snapshot_size_gb": snapshot}}
    grown = {
        "size": (size + 1, nodes, retention),
        "nodes": (size, nodes + 1, retention),
        "retention": (size, nodes, retention + 1),
        "snapshot": (size, nodes, retention),
    }[bump]
    more_usage = {"cache": {"snapshot_size_gb": snapshot + 1}} if bump == "snapshot" else usage
    assert _cost(cache(*grown), more_usage, region=region) >= _cost(
        cache(size, nodes, retention), usage, region=region
    )


@settings(max_examples=80, deadline=None)
@given(
    family=st.sampled_from(_DB_FAMILIES),
    size=st.integers(0, len(_SIZES) - 2),
    storage=st.integers(20, 2000),
    storage_type=st.sampled_from(["gp2", "gp3", "io1"]),
    iops=st.integers(1000, 20000),
    backup=st.integers(0, 35),
    insights=st.sampled_from([7, 31, 93, 186, 341, 731]),
    interval=st.sampled_from([0, 60, 30, 15, 10, 5, 1]),
    multi_az=st.booleans(),
    bump=st.sampled_from(
        ["size", "storage", "iops", "backup", "insights", "frequency", "multi_az", "exports"]
    ),
)
def test_database_cost_never_drops_when_a_figure_grows(
    family: str,
    size: int,
    storage: int,
    storage_type: str,
    iops: int,
    backup: int,
    insights: int,
    interval: int,
    multi_az: bool,
    bump: str,
) -> None:
    intervals = [0, 60, 30, 15, 10, 5, 1]  # each more frequent than the one before
    retentions = [7, 31, 93, 186, 341, 731]
    inputs: dict[str, Any] = {
        "engine": "postgres",
        "instanceClass": f"{family}.{_SIZES[size]}",
        "allocatedStorage": storage,
        "storageType": storage_type,
        "iops": iops,
        "backupRetentionPeriod": backup,
        "performanceInsightsEnabled": True,
        "performanceInsightsRetentionPeriod": insights,
        "monitoringInterval": interval,
        "multiAz": multi_az,
        "enabledCloudwatchLogsExports": ["postgresql"],
    }
    grown = dict(inputs)
    if bump == "size":
        grown["instanceClass"] = f"{family}.{_SIZES[size + 1]}"
    elif bump == "storage":
        grown["allocatedStorage"] = storage + 10
    elif bump == "iops":
        grown["iops"] = iops + 500
    elif bump == "backup":
        grown["backupRetentionPeriod"] = backup + 1
    elif bump == "insights":
        grown["performanceInsightsRetentionPeriod"] = retentions[
            min(retentions.index(insights) + 1, len(retentions) - 1)
        ]
    elif bump == "frequency":
        grown["monitoringInterval"] = intervals[min(intervals.index(interval) + 1, 6)]
    elif bump == "multi_az":
        grown["multiAz"] = True
    else:
        grown["enabledCloudwatchLogsExports"] = ["postgresql", "upgrade"]
    kind = "aws:rds/instance:Instance"
    assert _cost([_resource(kind, "db", grown)]) >= _cost([_resource(kind, "db", inputs)])


_USAGE_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("aws:ec2/natGateway:NatGateway", {}, "monthly_data_processed_gb"),
    ("aws:ec2/natGateway:NatGateway", {}, "monthly_hours"),
    ("aws:ec2/eip:Eip", {}, "monthly_hours"),
    ("aws:lb/loadBalancer:LoadBalancer", {"subnets": ["a", "b"]}, "average_lcus"),
    ("aws:lb/loadBalancer:LoadBalancer", {"subnets": ["a", "b"]}, "monthly_hours"),
    ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 30}, "monthly_data_ingested_gb"),
    ("aws:cloudwatch/logGroup:LogGroup", {}, "months_stored_without_retention"),
    ("aws:ecr/repository:Repository", {}, "storage_gb"),
    ("aws:s3/bucket:Bucket", {}, "storage_gb"),
    ("aws:s3/bucket:Bucket", {}, "monthly_put_requests"),
    ("aws:s3/bucket:Bucket", {}, "monthly_get_requests"),
    ("aws:secretsmanager/secret:Secret", {}, "monthly_api_calls"),
    ("aws:kms/key:Key", {}, "monthly_requests"),
    ("aws:route53/zone:Zone", {}, "monthly_standard_queries"),
    (
        "aws:ecs/cluster:Cluster",
        {"settings": [{"name": "containerInsights", "value": "enabled"}]},
        "container_insights_metrics",
    ),
    (
        "aws:ecs/cluster:Cluster",
        {"settings": [{"name": "containerInsights", "value": "enabled"}]},
        "container_insights_log_gb",
    ),
    (
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        {"vpcEndpointType": "Interface", "subnetIds": ["a"]},
        "monthly_data_processed_gb",
    ),
]


@settings(max_examples=120, deadline=None)
@given(
    case=st.sampled_from(_USAGE_CASES),
    value=st.floats(min_value=0, max_value=700, allow_nan=False),
    by=st.floats(min_value=0.001, max_value=44, allow_nan=False),
    region=regions,
)
def test_usage_figures_never_lower_the_cost_when_they_grow(
    case: tuple[str, dict[str, Any], str], value: float, by: float, region: str
) -> None:
    kind, inputs, key = case
    resources = [_resource(kind, "it", inputs)]
    assert _cost(resources, {"it": {key: value + by}}, region=region) >= _cost(
        resources, {"it": {key: value}}, region=region
    )


@settings(max_examples=40, deadline=None)
@given(
    hours=st.floats(min_value=1, max_value=700, allow_nan=False),
    by=st.floats(min_value=0.5, max_value=44, allow_nan=False),
    retention=st.sampled_from([1, 7, 30, 365]),
)
def test_more_hours_in_a_month_never_lower_a_stack(hours: float, by: float, retention: int) -> None:
    stack = [
        _resource("aws:ec2/natGateway:NatGateway", "nat", {}),
        _resource("aws:ec2/eip:Eip", "ip", {}),
        _resource("aws:lb/loadBalancer:LoadBalancer", "lb", {"subnets": ["a", "b"]}),
        _resource(
            "aws:rds/instance:Instance",
            "db",
            {
                "engine": "postgres",
                "instanceClass": "db.t4g.micro",
                "allocatedStorage": 20,
                "monitoringInterval": 60,
                "backupRetentionPeriod": retention,
                "databaseInsightsMode": "advanced",
            },
        ),
        _resource(
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "cache",
            {"nodeType": "cache.t3.micro", "numCacheClusters": 2},
        ),
        *_fargate_pair(cpu=512, memory=1024, count=2, storage=20, arm=False, public=True),
    ]
    assert _cost(stack, hours=hours + by) >= _cost(stack, hours=hours)


@settings(max_examples=40, deadline=None)
@given(
    extra=st.sampled_from(
        [kind for kind, _, _ in _USAGE_CASES] + ["aws:sqs/queue:Queue", "aws:iam/role:Role"]
    ),
    copies=st.integers(1, 5),
)
def test_adding_resources_never_lowers_the_total(extra: str, copies: int) -> None:
    base = _fargate_pair(cpu=256, memory=512, count=1, storage=20, arm=False, public=False)
    more = base + [_resource(extra, f"extra-{i}", {}) for i in range(copies)]
    assert _cost(more) >= _cost(base)
