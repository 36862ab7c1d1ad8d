"""Planning the adoption of the spec's Terraform deployment by ProliferateStack."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from migrate_fixtures.builder import DEV, PROD, TfDeployment, build_state
from migrate_fixtures.checks import replacement_mismatches

from proliferate_components.config import StackConfig
from proliferate_components.migrate import (
    IMPORT_FILE_SCHEMA,
    MigrationPlan,
    Status,
    TfState,
    build_import_file,
    parse_state,
    plan_migration,
    write_outputs,
)
from proliferate_components.subnets import plan_subnets

# A deployment laid out the way the components lay out theirs (plan_subnets layout), so
# that the network can be adopted.
NETWORK_LIKE_COMPONENTS = dataclasses.replace(DEV, subnet_layout="component")
PROD_NETWORK_LIKE_COMPONENTS = dataclasses.replace(PROD, subnet_layout="component")


@cache
def _planned(deployment: TfDeployment, stack: str = "dev") -> tuple[MigrationPlan, TfState]:
    plan = plan_migration(parse_state(build_state(deployment)), stack=stack)
    return plan, plan.state


def _status(plan: MigrationPlan, address: str) -> Status:
    return next(r for r in plan.resources if r.address == address).status


def _plan(plan: MigrationPlan, address: str):
    return next(r for r in plan.resources if r.address == address)


# -- derived config -------------------------------------------------------------------------


@pytest.mark.parametrize("deployment", [DEV, PROD], ids=["dev", "prod"])
def test_config_reproduces_the_sizing_of_the_state(deployment: TfDeployment) -> None:
    plan, _ = _planned(deployment)
    config = plan.config.stack_config()
    assert config.vpc_cidr == deployment.vpc_cidr
    assert config.az_count == deployment.az_count
    assert (config.worker_cpu, config.worker_memory_mib) == (
        deployment.worker_cpu,
        deployment.worker_memory,
    )
    assert (config.llm_proxy_cpu, config.llm_proxy_memory_mib) == (
        deployment.llm_proxy_cpu,
        deployment.llm_proxy_memory,
    )
    assert config.worker_desired_count == deployment.desired_count
    assert config.redis_cache_node_type == deployment.redis_node_type
    assert config.redis_engine_version == deployment.redis_engine_version
    assert config.redis_num_cache_clusters == (
        1 if deployment.redis_kind == "cluster" else deployment.redis_nodes
    )
    assert config.enable_https is deployment.https
    assert config.nat_strategy == ("one_per_az" if deployment.nat_per_az else "single")
    assert config.enable_rds is False
    assert config.log_retention_days == deployment.log_retention_days


def test_https_config_carries_the_certificate_as_a_secret() -> None:
    plan, _ = _planned(PROD)
    assert plan.config.values["proliferate:certificateArn"] == PROD.certificate_arn
    assert "proliferate:certificateArn" in plan.config.secret_keys
    line = next(c for c in plan.config.commands("prod") if "certificateArn" in c)
    assert "--secret" in line and "--stack prod" in line


def _pulumi_config_set(lines: list[str]) -> dict[str, str]:
    """What a program sees after running ``lines`` (``pulumi config set``, with ``--path``
    building objects as the CLI does: ``true``/``false`` -> booleans, integers -> numbers,
    objects handed to the program as JSON text)."""
    plain: dict[str, str] = {}
    objects: dict[str, Any] = {}
    for line in lines:
        words = shlex.split(line)
        assert words[:3] == ["pulumi", "config", "set"]
        key, value = words[-2], words[-1]
        if "--path" not in words:
            plain[key] = value
            continue
        root, _, rest = key.partition(".")
        steps = [
            (name or quoted, index)
            for name, quoted, index in re.findall(r'([^.\[\]"]+)|\["([^"]+)"\]|\[([0-9]+)\]', rest)
        ]
        node: Any = objects.setdefault(root, {})
        parsed: Any = (
            {"true": True, "false": False}[value]
            if value in ("true", "false")
            else int(value)
            if re.fullmatch(r"-?[0-9]+", value)
            else value
        )
        for i, (name, index) in enumerate(steps):
            last = i == len(steps) - 1
            nxt: Any = parsed if last else ([] if steps[i + 1][1] else {})
            if name:
                node = node.setdefault(name, nxt) if not last else node.__setitem__(name, nxt)
            else:
                while len(node) <= int(index):
                    node.append(None)
                if last:
                    node[int(index)] = nxt
                else:
                    node[int(index)] = node[int(index)] or nxt
                    node = node[int(index)]
    return {**plain, **{k: json.dumps(v) for k, v in objects.items()}}


@pytest.mark.parametrize("deployment", [DEV, PROD], ids=["dev", "prod"])
def test_config_commands_rebuild_the_same_stack_config(deployment: TfDeployment) -> None:
    plan, _ = _planned(deployment)
    lines = plan.config.commands("dev")
    assert any("--path 'proliferate:adopt.network.availabilityZones[0]'" in c for c in lines)
    rebuilt = _pulumi_config_set(lines)
    assert StackConfig.from_mapping(rebuilt) == plan.config.stack_config()
    assert plan.config.stack_config().adopt is not None


def test_single_node_cache_sets_the_explicit_opt_out() -> None:
    plan, _ = _planned(DEV)
    assert plan.config.values["proliferate:redisNumCacheClusters"] == "1"
    assert plan.config.values["proliferate:redisAllowSingleNode"] == "true"


def test_value_the_library_refuses_is_dropped_and_explained() -> None:
    plan, _ = _planned(dataclasses.replace(DEV, log_retention_days=0))
    assert "proliferate:logRetentionDays" not in plan.config.values
    assert any("retention 0" in n for n in plan.config.notes)


# -- classification -------------------------------------------------------------------------


def test_standalone_cache_cluster_cannot_be_adopted_and_gets_the_snapshot_path() -> None:
    plan, _ = _planned(DEV)
    redis = _plan(plan, "aws_elasticache_cluster.redis")
    assert redis.status is Status.BLOCKED
    assert redis.pulumi_type == "aws:elasticache/replicationGroup:ReplicationGroup"
    assert "different AWS object" in redis.reason
    commands = "\n".join(redis.commands)
    assert "aws elasticache create-snapshot --cache-cluster-id" in commands
    assert "drain" in commands
    assert "--path proliferate:adopt.redis.snapshotName" in commands
    assert "terraform destroy -target=aws_elasticache_cluster.redis" in commands
    # The seed snapshot does not exist yet: the derived config never sets it.
    assert "snapshotName" not in plan.config.values.get("proliferate:adopt", "")


def test_hand_written_subnet_layout_is_adopted_with_explicit_cidrs() -> None:
    plan, _ = _planned(DEV)
    adopt = plan.config.stack_config().adopt
    assert adopt is not None and adopt.network is not None
    assert adopt.network.public_subnet_cidrs == ("10.0.0.0/24", "10.0.1.0/24")
    assert adopt.network.private_subnet_cidrs == ("10.0.10.0/24", "10.0.11.0/24")
    assert adopt.network.availability_zones == ("us-east-1a", "us-east-1b")
    assert adopt.network.public_subnet_cidrs != plan_subnets("10.0.0.0/16", 2).public
    for address in ("aws_vpc.main", "aws_subnet.public[0]", "aws_subnet.private[1]"):
        assert _plan(plan, address).adopted, _plan(plan, address).reason
    subnet = _plan(plan, "aws_subnet.public[0]")
    assert not any(d.forces_replacement for d in subnet.differences)


def test_without_the_existing_names_the_layout_blocks_the_network_with_the_exact_cidrs() -> None:
    plan = plan_migration(parse_state(build_state(DEV)), adopt_names=False)
    assert "proliferate:adopt" not in plan.config.values
    subnet = _plan(plan, "aws_subnet.public[0]")
    assert subnet.status is Status.BLOCKED
    cidr = next(d for d in subnet.differences if d.property == "cidrBlock")
    assert cidr.state_value == "10.0.0.0/24"
    assert cidr.component_value == plan_subnets("10.0.0.0/16", 2).public[0]
    assert cidr.forces_replacement
    assert any("publicSubnetCidrs" in m for m in subnet.missing_inputs)
    vpc = _plan(plan, "aws_vpc.main")
    assert vpc.status is Status.BLOCKED and "overlaps" in vpc.reason
    # Everything attached to the VPC follows: nothing would be moved to the new network.
    assert _status(plan, "aws_internet_gateway.main") is Status.BLOCKED
    assert _status(plan, "aws_route_table.public") is Status.BLOCKED


@pytest.mark.parametrize(
    "deployment", [NETWORK_LIKE_COMPONENTS, PROD_NETWORK_LIKE_COMPONENTS], ids=["dev", "prod"]
)
def test_network_laid_out_like_the_components_is_adopted(deployment: TfDeployment) -> None:
    plan, _ = _planned(deployment)
    nat_count = deployment.az_count if deployment.nat_per_az else 1
    expected = [
        "aws_vpc.main",
        "aws_internet_gateway.main",
        "aws_route_table.public",
        *(
            f"aws_subnet.{t}[{i}]"
            for t in ("public", "private")
            for i in range(deployment.az_count)
        ),
        *(f"aws_nat_gateway.main[{j}]" for j in range(nat_count)),
        *(f"aws_eip.nat[{j}]" for j in range(nat_count)),
        *(
            f"aws_route_table_association.{t}[{i}]"
            for t in ("public", "private")
            for i in range(deployment.az_count)
        ),
        "aws_route.public_internet",
    ]
    for address in expected:
        assert _plan(plan, address).adopted, (address, _plan(plan, address).reason)
    subnet = _plan(plan, "aws_subnet.public[0]")
    assert subnet.logical_name == "proliferate-network-public-subnet-0"
    assert subnet.urn == (
        "urn:pulumi:dev::proliferate::proliferate:stack:ProliferateStack$"
        "proliferate:network:Network$aws:ec2/subnet:Subnet::proliferate-network-public-subnet-0"
    )
    # The public subnet maps public IPs on launch in Terraform; the component does not.
    change = next(d for d in subnet.differences if d.property == "mapPublicIpOnLaunch")
    assert (change.state_value, change.component_value, change.forces_replacement) == (
        True,
        False,
        False,
    )
    assert subnet.status is Status.ADOPT_WITH_CHANGES


def test_every_adopted_resource_agrees_on_every_replacement_forcing_property() -> None:
    for deployment in (DEV, PROD, NETWORK_LIKE_COMPONENTS, PROD_NETWORK_LIKE_COMPONENTS):
        plan, state = _planned(deployment)
        assert replacement_mismatches(plan, state) == []


def test_the_independent_check_catches_a_replacement() -> None:
    plan, state = _planned(NETWORK_LIKE_COMPONENTS)
    # Pretend the migration let the VPC through with another CIDR: the check must object.
    vpc_address = "aws_vpc.main"
    tampered = dict(state.by_address(vpc_address).attributes, cidr_block="10.9.0.0/16")
    resources = tuple(
        dataclasses.replace(r, attributes=tampered) if r.address == vpc_address else r
        for r in state.resources
    )
    problems = replacement_mismatches(plan, dataclasses.replace(state, resources=resources))
    assert any("aws_vpc.main: cidrBlock" in p for p in problems)


@pytest.mark.parametrize(
    ("address", "attribute", "prop"),
    [
        ("aws_ecs_service.worker", "name", "name"),
        ("aws_security_group.alb", "description", "description"),
        ("aws_elasticache_parameter_group.bullmq", "name", "name"),
        ("aws_elasticache_replication_group.redis", "replication_group_id", "replicationGroupId"),
        ("aws_subnet.private[1]", "cidr_block", "cidrBlock"),
    ],
)
def test_the_independent_check_catches_a_renamed_adopted_resource(
    address: str, attribute: str, prop: str
) -> None:
    plan, state = _planned(PROD)
    assert _plan(plan, address).adopted
    changed = "10.0.99.0/24" if attribute == "cidr_block" else "renamed-by-hand"
    tampered = dict(state.by_address(address).attributes, **{attribute: changed})
    resources = tuple(
        dataclasses.replace(r, attributes=tampered) if r.address == address else r
        for r in state.resources
    )
    problems = replacement_mismatches(plan, dataclasses.replace(state, resources=resources))
    assert any(p.startswith(f"{address}: {prop} state='{changed}'") for p in problems), problems


def test_the_independent_check_catches_a_config_without_the_existing_names() -> None:
    plan, state = _planned(PROD)
    values = {k: v for k, v in plan.config.values.items() if k != "proliferate:adopt"}
    stripped = dataclasses.replace(plan, config=dataclasses.replace(plan.config, values=values))
    problems = replacement_mismatches(stripped, state)
    for address, *_ in NAMED:
        assert any(p.startswith(f"{address}: name would be auto-named") for p in problems), address
    assert any(p.startswith("aws_subnet.public[0]: cidrBlock") for p in problems)


NAMED = (
    ("aws_ecr_repository.worker", "repositoryName", "services.worker.repositoryName"),
    ("aws_cloudwatch_log_group.worker", "logGroupName", "services.worker.logGroupName"),
    ("aws_ecs_service.worker", "serviceName", "services.worker.serviceName"),
    ("aws_lb.main", "loadBalancer.name", "loadBalancer.name"),
    ("aws_ecs_cluster.main", "clusterName", "clusterName"),
    ("aws_iam_role.ecs_task", "taskRoleName", "services.worker.taskRoleName"),
    ("aws_lb_target_group.llm_proxy", "targetGroupName", "services.llm-proxy.targetGroupName"),
    ("aws_security_group.redis", "securityGroupName", "redis.securityGroupName"),
)


def _adopt_entry(plan: MigrationPlan, path: str) -> Any:
    node: Any = json.loads(plan.config.values["proliferate:adopt"])
    for part in path.split("."):
        node = node[part]
    return node


def test_existing_names_are_carried_and_those_resources_adopt() -> None:
    plan, state = _planned(PROD)
    for address, _missing, path in NAMED:
        r = _plan(plan, address)
        assert r.adopted, (address, r.reason)
        assert _adopt_entry(plan, path) == state.by_address(address).attr("name")
        assert not any(d.forces_replacement for d in r.differences)
    redis = _plan(plan, "aws_elasticache_replication_group.redis")
    assert redis.adopted, redis.reason
    assert _adopt_entry(plan, "redis.replicationGroupId") == "proliferate-redis"
    sg = state.by_address("aws_security_group.worker")
    assert _adopt_entry(plan, "services.worker.securityGroupDescription") == sg.attr("description")


def test_names_pulumi_would_generate_block_adoption_and_name_the_missing_input() -> None:
    plan = plan_migration(parse_state(build_state(PROD)), adopt_names=False)
    for address, missing, _path in NAMED:
        r = _plan(plan, address)
        assert r.status is Status.BLOCKED, address
        name = next(d for d in r.differences if d.property == "name")
        assert name.component_value == "<auto-name>" and name.forces_replacement
        assert any(missing in m for m in r.missing_inputs), (address, r.missing_inputs)
    assert any("repositoryName" in m for m in plan.missing_inputs)


def test_unencrypted_replication_group_is_still_refused() -> None:
    plan, _ = _planned(dataclasses.replace(PROD, redis_encrypted=False))
    redis = _plan(plan, "aws_elasticache_replication_group.redis")
    assert redis.status is Status.BLOCKED
    props = {d.property for d in redis.differences if d.forces_replacement}
    assert "atRestEncryptionEnabled" in props
    assert "transitEncryptionEnabled" not in props  # in place for Redis 7, not a replacement
    commands = "\n".join(redis.commands)
    assert "--replication-group-id proliferate-redis" in commands and "drain" in commands
    assert "proliferate:adopt.redis.snapshotName" in commands
    # Its id is not carried: the component's new group gets an id of its own, next to it.
    adopt = plan.config.stack_config().adopt
    assert adopt is not None and adopt.redis is not None
    assert adopt.redis.replication_group_id is None
    assert any("aws_elasticache_replication_group.redis" in n for n in plan.config.notes)
    assert not any(m.startswith("proliferate:adopt") for m in redis.missing_inputs)
    # Its subnet and parameter groups can be shared by the new group: they still adopt.
    assert _plan(plan, "aws_elasticache_parameter_group.bullmq").adopted
    assert replacement_mismatches(plan, plan.state) == []


def test_replication_group_without_the_id_is_refused_naming_the_input() -> None:
    plan = plan_migration(parse_state(build_state(PROD)), adopt_names=False)
    redis = _plan(plan, "aws_elasticache_replication_group.redis")
    assert redis.status is Status.BLOCKED
    group_id = next(d for d in redis.differences if d.property == "replicationGroupId")
    assert (group_id.state_value, group_id.component_value) == (
        "proliferate-redis",
        "proliferate-redis-dev",
    )
    assert any("redis.replicationGroupId" in m for m in redis.missing_inputs)


def test_policy_attachments_are_retired_and_task_definitions_continue_as_new_revisions() -> None:
    plan, _ = _planned(DEV)
    attachment = _plan(plan, "aws_iam_role_policy_attachment.ecs_execution")
    assert attachment.status is Status.SUPERSEDED
    assert any(c.startswith("aws iam detach-role-policy") for c in attachment.commands)
    task = _plan(plan, "aws_ecs_task_definition.worker")
    assert task.status is Status.NEW_REVISION and "next revision" in task.reason
    assert task.import_id is None
    assert task.counts_adopted and not task.adopted


def test_unrecognised_resources_are_reported_not_touched() -> None:
    extra = {
        "mode": "managed",
        "type": "aws_s3_bucket",
        "name": "assets",
        "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
        "instances": [{"schema_version": 0, "attributes": {"id": "assets", "bucket": "assets"}}],
    }
    document = build_state(DEV)
    document["resources"].append(extra)
    plan = plan_migration(parse_state(document))
    bucket = _plan(plan, "aws_s3_bucket.assets")
    assert bucket.status is Status.NOT_OURS and "not ours" in bucket.reason
    assert not bucket.commands


def test_every_terraform_resource_has_exactly_one_entry() -> None:
    plan, _ = _planned(PROD)
    state = parse_state(build_state(PROD))
    assert [r.address for r in plan.resources] == [r.address for r in state.resources]
    adopted_roles = [r.role for r in plan.resources if r.adopted]
    assert len(adopted_roles) == len(set(adopted_roles))


def test_components_created_new_are_listed() -> None:
    plan, _ = _planned(DEV)
    created = {name for _role, _type, name in plan.created}
    assert "proliferate-gateway-service" in created  # the gateway is new (spec step 7)
    assert "proliferate-redis-replication-group" in created


def test_stack_name_changes_derived_physical_names() -> None:
    plan = plan_migration(parse_state(build_state(PROD)), stack="prod", adopt_names=False)
    redis = _plan(plan, "aws_elasticache_replication_group.redis")
    group_id = next(d for d in redis.differences if d.property == "replicationGroupId")
    assert group_id.component_value == "proliferate-redis-prod"


# -- import file ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "deployment", [DEV, PROD, NETWORK_LIKE_COMPONENTS, PROD_NETWORK_LIKE_COMPONENTS]
)
def test_import_file_matches_pulumis_format(deployment: TfDeployment) -> None:
    plan, _ = _planned(deployment)
    document = build_import_file(plan)
    jsonschema.validate(document, IMPORT_FILE_SCHEMA)
    names = [e["name"] for e in document["resources"]]
    assert len(names) == len(set(names))
    for entry in document["resources"]:
        if "parent" in entry:
            parent_index = names.index(entry["parent"])
            assert parent_index < names.index(entry["name"])
            assert document["resources"][parent_index].get("component") is True
    imported = [e for e in document["resources"] if not e.get("component")]
    assert len(imported) == sum(1 for r in plan.resources if r.adopted)


def test_import_file_nests_children_under_their_components() -> None:
    plan, _ = _planned(NETWORK_LIKE_COMPONENTS)
    entries = {e["name"]: e for e in build_import_file(plan)["resources"]}
    vpc = entries["proliferate_network_vpc"]
    assert vpc == {
        "type": "aws:ec2/vpc:Vpc",
        "name": "proliferate_network_vpc",
        "id": _plan(plan, "aws_vpc.main").tf_id,
        "logicalName": "proliferate-network-vpc",
        "parent": "proliferate_network",
        "version": vpc["version"],
    }
    assert entries["proliferate_network"]["parent"] == "proliferate"
    assert entries["proliferate"] == {
        "type": "proliferate:stack:ProliferateStack",
        "name": "proliferate",
        "logicalName": "proliferate",
        "component": True,
    }
    route = entries["proliferate_network_public_default_route"]
    rt = _plan(plan, "aws_route_table.public").tf_id
    assert route["id"] == f"{rt}_0.0.0.0/0"
    rta = entries["proliferate_network_private_rta_1"]
    assert rta["id"].endswith("/" + _plan(plan, "aws_route_table.private[0]").tf_id)


def test_schema_rejects_what_pulumi_import_rejects() -> None:
    bad_documents = [
        {"resources": [{"type": "aws:ec2/vpc:Vpc", "name": "vpc"}]},  # no id
        {"resources": [{"type": "proliferate:x:Y", "name": "c", "component": True, "id": "x"}]},
        {"resources": [{"name": "vpc", "id": "vpc-1"}]},  # no type
        {"resources": [], "extra": 1},
        {"nameTable": {"p": "not-a-urn"}, "resources": []},
    ]
    for document in bad_documents:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(document, IMPORT_FILE_SCHEMA)


def test_report_json_is_serialisable_and_counts_add_up() -> None:
    from proliferate_components.migrate import plan_to_json

    plan, state = _planned(PROD)
    data = json.loads(json.dumps(plan_to_json(plan), default=str))
    assert sum(data["summary"].values()) == len(state.resources)
    for r in data["resources"]:
        if r["status"] == "blocked":
            assert r["safePath"], r["address"]
            assert r["reason"], r["address"]


def test_inline_routes_are_imported_as_the_components_routes(tmp_path: Path) -> None:
    plan, _ = _planned(dataclasses.replace(NETWORK_LIKE_COMPONENTS, inline_routes=True))
    route = _plan(plan, 'aws_route_table.public.route["0.0.0.0/0"]')
    assert route.inline_of == "aws_route_table.public"
    assert route.logical_name == "proliferate-network-public-default-route"
    assert route.adopted
    assert route.import_id == f"{_plan(plan, 'aws_route_table.public').tf_id}_0.0.0.0/0"
    assert replacement_mismatches(plan, plan.state) == []
    write_outputs(plan, tmp_path)
    commands = [
        shlex.split(line)
        for line in (tmp_path / "terraform-state-rm.sh").read_text().splitlines()
        if line.startswith("terraform state rm")
    ]
    assert ["terraform", "state", "rm", "aws_route_table.public"] in commands
    assert not any("route[" in words[-1] for words in commands)


def test_a_store_without_noeviction_is_flagged() -> None:
    plan, _ = _planned(dataclasses.replace(DEV, redis_noeviction=False))
    assert any("not noeviction" in n and "aws_elasticache_cluster.redis" in n for n in plan.notes)
    plan, _ = _planned(DEV)
    assert not any("not noeviction" in n for n in plan.notes)
