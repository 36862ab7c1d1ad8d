"""The corpus: states real Terraform wrote (tests/tf_corpus/, README.md there) adopt as planned.

For every state: the adoption rate, 0 replacements when the generated import file and the
written config are previewed against the state (the independent check of
migrate_fixtures.checks), a schema-valid import file, and a safe path as commands for every
resource that is not adopted. Then what each state is there for: upstream's real
infra/terraform resource by resource, the terraform-aws-modules addresses, RDS, a state
without ECS services, for_each keys and other applications' resources.

The slow test at the end lets real Terraform apply a configuration against moto_server again
and checks the fresh state adopts the same way (skipped without Terraform and its provider
mirror; upstream's configuration is not in this repository: skipped unless
PROLIFERATE_UPSTREAM_TF names upstream's infra/terraform in a checkout of upstream).
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from functools import cache
from pathlib import Path

import jsonschema
import pytest
from migrate_fixtures.checks import replacement_mismatches

from proliferate_components.cli.main import main
from proliferate_components.migrate import (
    IMPORT_FILE_SCHEMA,
    MigrationPlan,
    ResourcePlan,
    Status,
    build_import_file,
    load_state,
    plan_migration,
)
from proliferate_components.migrate.report import adoption_rate, state_secrets

CORPUS = Path(__file__).parent / "tf_corpus"
NAMES = ("upstream", "tfmodules", "rds", "no-services", "for-each")

# (adopted, of the platform's resources) as measured; the floor each must keep.
RATES: dict[str, tuple[int, int]] = {
    "upstream": (47, 52),
    "tfmodules": (77, 85),
    "rds": (82, 87),
    "no-services": (48, 49),
    "for-each": (64, 65),
}
FLOORS: dict[str, float] = {
    "upstream": 0.9,
    "tfmodules": 0.9,
    "rds": 0.9,
    "no-services": 0.9,
    "for-each": 0.9,
}


@cache
def _plan(name: str) -> MigrationPlan:
    return plan_migration(load_state(CORPUS / name / "terraform.tfstate"))


def _by_address(plan: MigrationPlan) -> dict[str, ResourcePlan]:
    return {r.address: r for r in plan.resources}


@pytest.mark.parametrize("name", NAMES)
def test_each_state_was_written_by_terraform(name: str) -> None:
    document = json.loads((CORPUS / name / "terraform.tfstate").read_text())
    assert document["version"] == 4
    assert document["terraform_version"].startswith("1.")
    providers = {r["provider"] for r in document["resources"]}
    assert providers == {'provider["registry.terraform.io/hashicorp/aws"]'}
    own = list((CORPUS / name).glob("*.tf"))
    cited = (CORPUS / name / "source.json").is_file()
    assert own or cited, "the configuration Terraform applied, or where it is"
    assert not (own and cited)


def test_upstreams_configuration_is_cited_not_copied() -> None:
    """Upstream's code is never committed here: its files are named by path, commit and
    SHA-256, and read from a checkout of upstream when the state is recorded again."""
    folder = CORPUS / "upstream"
    assert not list(folder.glob("*.tf"))
    source = json.loads((folder / "source.json").read_text())
    assert (source["repository"], source["directory"], source["environment"]) == (
        "proliferate-ai/proliferate",
        "infra/terraform",
        "PROLIFERATE_UPSTREAM_TF",
    )
    assert set(source["files"]) == {
        "main.tf",
        "variables.tf",
        "worker.tf",
        "llm-proxy.tf",
        "elasticache.tf",
    }
    for file_name, version in source["files"].items():
        assert version["path"] == f"infra/terraform/{file_name}"
        assert len(version["commit"]) == 40 and int(version["commit"], 16) >= 0
        assert len(version["sha256"]) == 64 and int(version["sha256"], 16) >= 0
    # The moto workarounds only override what moto cannot apply: no upstream resource body.
    overrides = "\n".join(p.read_text() for p in (folder / "moto").glob("*.tf"))
    assert "container_definitions" not in overrides


@pytest.mark.parametrize("name", NAMES)
def test_adoption_rate(name: str) -> None:
    plan = _plan(name)
    adopted, considered = adoption_rate(plan)
    assert (adopted, considered) == RATES[name]
    assert adopted / considered >= FLOORS[name]


@pytest.mark.parametrize("name", NAMES)
def test_import_file_and_config_preview_with_no_replacement(name: str) -> None:
    plan = _plan(name)
    assert replacement_mismatches(plan, plan.state) == []
    document = build_import_file(plan)
    jsonschema.validate(document, IMPORT_FILE_SCHEMA)
    imported = [e for e in document["resources"] if not e.get("component")]
    assert len(imported) == len([r for r in plan.resources if r.adopted])
    assert not any(r.adopted for r in plan.resources if r.status is Status.NEW_REVISION)


@pytest.mark.parametrize("name", NAMES)
def test_every_resource_not_adopted_has_its_safe_path_as_commands(name: str) -> None:
    plan = _plan(name)
    for r in plan.resources:
        if r.status in (Status.BLOCKED, Status.SUPERSEDED, Status.NOT_ADOPTED):
            assert r.commands, (r.address, r.status)
            for line in r.commands:
                if not line.startswith("#"):
                    assert shlex.split(line), line  # one parseable shell command per line
        if r.status is Status.BLOCKED:
            assert r.decided_by, r.address


# -- upstream's infra/terraform ---------------------------------------------------------------


def test_upstream_every_resource_has_its_deliberate_outcome() -> None:
    plan = _plan("upstream")
    r = _by_address(plan)
    network = [
        "aws_vpc.main",
        "aws_internet_gateway.main",
        "aws_eip.nat",
        "aws_nat_gateway.main",
        "aws_route_table.public",
        "aws_route_table.private",
        'aws_route_table.public.route["0.0.0.0/0"]',
        'aws_route_table.private.route["0.0.0.0/0"]',
        *(f"aws_subnet.{t}[{i}]" for t in ("public", "private") for i in (0, 1)),
        *(f"aws_route_table_association.{t}[{i}]" for t in ("public", "private") for i in (0, 1)),
    ]
    compute = [
        "aws_ecs_cluster.main",
        "aws_cloudwatch_log_group.worker",
        "aws_cloudwatch_log_group.llm_proxy",
        "aws_ecr_repository.worker",
        "aws_ecr_repository.llm_proxy",
        "aws_ecr_lifecycle_policy.worker",
        "aws_ecr_lifecycle_policy.llm_proxy",
        "aws_iam_role.ecs_execution",
        "aws_iam_role.ecs_task",
        "aws_iam_role_policy.ecs_execution_secrets",
        "aws_ecs_service.worker",
        "aws_ecs_service.llm_proxy",
    ]
    edge = [
        "aws_lb.llm_proxy",
        "aws_lb_target_group.llm_proxy",
        "aws_lb_listener.llm_proxy_http",
        "aws_lb_listener.llm_proxy_https[0]",
        "aws_security_group.llm_proxy_alb",
        "aws_security_group.llm_proxy",
        "aws_security_group.worker",
        "aws_security_group.redis",
    ]
    cache_groups = ["aws_elasticache_parameter_group.bullmq", "aws_elasticache_subnet_group.main"]
    for address in network + compute + edge + cache_groups:
        assert r[address].adopted, (address, r[address].reason)
    for address in ("aws_ecs_task_definition.worker", "aws_ecs_task_definition.llm_proxy"):
        assert r[address].status is Status.NEW_REVISION, r[address].reason
    # The services are adopted by name and roll to the next revision: not replaced.
    service = r["aws_ecs_service.worker"]
    roll = next(d for d in service.differences if d.property == "taskDefinition")
    assert not roll.forces_replacement and "proliferate-worker" in str(roll.component_value)
    # The one shared execution role becomes the worker's own (its first user), with the
    # worker's inline policy (names kept). The llm-proxy gets an execution role of its own, so
    # its policy on the worker's role is retired with Terraform after the cutover (until then
    # the llm-proxy's Terraform revision still starts with it).
    assert r["aws_iam_role.ecs_execution"].role == "worker-execution/role"
    assert r["aws_iam_role_policy.ecs_execution_secrets"].role == "worker-execution/policy"
    left = r["aws_iam_role_policy.ecs_execution_llm_proxy_secrets"]
    assert left.status is Status.SUPERSEDED and left.role is None
    assert "llm-proxy gets an execution role of its own" in left.reason
    assert "terraform destroy -target=aws_iam_role_policy.ecs_execution_llm_proxy_secrets" in (
        left.commands
    )
    assert r["aws_iam_role.ecs_task"].role == "worker/task-role"
    assert r["aws_lb_listener.llm_proxy_https[0]"].role == "lb/https"
    # The security groups' inline rules split into the components' rule resources.
    inline = {a: p for a, p in r.items() if p.inline_of and (".ingress[" in a or ".egress[" in a)}
    assert {p.role for p in inline.values()} == {
        "lb/http-ipv4",
        "lb/https-ipv4",
        "lb/to-llm-proxy",
        "stack/llm-proxy-ingress-0",
        "stack/llm-proxy-egress",
        "stack/worker-egress",
        "stack/redis-from-worker",
    }
    assert all(p.adopted and str(p.import_id).startswith("unresolved:") for p in inline.values())
    assert plan.needs_rule_ids
    # Deliberately not imported: the managed-policy attachment, the llm-proxy's policy on the
    # worker's role (above) and the two secrets.
    for address in (
        "aws_iam_role_policy_attachment.ecs_execution",
        "aws_secretsmanager_secret.worker",
        "aws_secretsmanager_secret.llm_proxy",
    ):
        assert r[address].status is Status.SUPERSEDED, address
    # Refused: the single-node cache cluster, with the snapshot path as commands.
    cluster = r["aws_elasticache_cluster.main"]
    assert cluster.status is Status.BLOCKED
    commands = "\n".join(cluster.commands)
    assert "aws elasticache create-snapshot --cache-cluster-id proliferate-redis" in commands
    assert "--path proliferate:adopt.redis.snapshotName proliferate-redis-migrate" in commands
    assert "terraform destroy -target=aws_elasticache_cluster.main" in commands
    assert [p.address for p in plan.by_status(Status.BLOCKED)] == ["aws_elasticache_cluster.main"]


def test_a_default_acl_terraform_did_not_manage_stays_unmanaged() -> None:
    # Upstream's state has no aws_default_network_acl: taking the ACL over would rewrite its
    # rules on every subnet, so the written config leaves it alone and says how to opt in.
    upstream = _plan("upstream")
    assert upstream.config.values["proliferate:manageDefaultNetworkAcl"] == "false"
    assert any("manageDefaultNetworkAcl true" in note for note in upstream.notes)
    # terraform-aws-modules manages it: it is imported, so the stack manages it too
    assert "proliferate:manageDefaultNetworkAcl" not in _plan("tfmodules").config.values


def test_log_groups_with_different_retentions_keep_the_longest() -> None:
    # terraform-aws-modules: services keep 14 days, the cluster's ECS Exec group 90; the
    # stack has one retention for all, and a shorter one would delete audit logs.
    plan = _plan("tfmodules")
    assert plan.config.values["proliferate:logRetentionDays"] == "90"
    assert any("different retentions [14, 90]" in note for note in plan.notes)
    exec_logs = _by_address(plan)["module.ecs_cluster.aws_cloudwatch_log_group.this[0]"]
    assert not [d for d in exec_logs.differences if d.property == "retentionInDays"]


def test_upstream_config_carries_every_name_the_state_holds() -> None:
    plan = _plan("upstream")
    adopt = plan.config.stack_config().adopt
    assert adopt is not None and adopt.network is not None
    assert adopt.network.public_subnet_cidrs == ("10.0.101.0/24", "10.0.102.0/24")
    assert adopt.network.private_subnet_cidrs == ("10.0.1.0/24", "10.0.2.0/24")
    assert adopt.cluster_name == "proliferate"
    worker = adopt.services["worker"]
    # The shared Terraform execution role is the worker's own now; the llm-proxy's is new.
    assert (adopt.execution_role_name, worker.execution_role_name) == (
        None,
        "proliferate-ecs-execution",
    )
    assert (worker.service_name, worker.repository_name, worker.log_group_name) == (
        "proliferate-worker",
        "proliferate-worker",
        "/ecs/proliferate-worker",
    )
    assert (worker.task_family, worker.execution_policy_name, worker.task_role_name) == (
        "proliferate-worker",
        "secrets-access",
        "proliferate-ecs-task",
    )
    proxy = adopt.services["llm-proxy"]
    assert (proxy.execution_role_name, proxy.execution_policy_name) == (None, None)
    assert proxy.target_group_name == "proliferate-llm-proxy"
    assert proxy.security_group_description == "Security group for LLM Proxy ECS tasks"
    assert adopt.load_balancer is not None and adopt.load_balancer.name == "proliferate-llm-proxy"
    assert adopt.redis is not None
    assert (adopt.redis.parameter_group_name, adopt.redis.subnet_group_name) == (
        "proliferate-redis-bullmq",
        "proliferate-redis-subnet",
    )
    assert adopt.redis.replication_group_id is None  # the refused cluster's id is not reused
    # No "edit this by hand" for a value the state holds.
    assert not [m for r in plan.resources for m in r.missing_inputs]


def test_upstream_secret_values_move_into_the_bundle_without_being_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "migration"
    main(
        [
            "migrate",
            "terraform",
            "--state",
            str(CORPUS / "upstream" / "terraform.tfstate"),
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    script = (out / "secrets.sh").read_text()
    assert stat.S_IMODE((out / "secrets.sh").stat().st_mode) == 0o600
    for key in (
        "DATABASE_URL",
        "SERVICE_TO_SERVICE_AUTH_TOKEN",
        "NANGO_SECRET_KEY",
        "ANTHROPIC_API_KEY",
        "LLM_PROXY_MASTER_KEY",  # upstream's LITELLM_MASTER_KEY
    ):
        assert f"--secret proliferate:{key}" in script, key
    # Read from Secrets Manager at run time, fed on standard input.
    assert "aws secretsmanager get-secret-value" in script
    commands = [line for line in script.splitlines() if not line.startswith("#")]
    assert all(
        "pulumi config set" not in line or line.startswith("printf '%s' \"$value\" | ")
        for line in commands
    )
    assert "secrets.sh" in printed


# -- the other layouts -------------------------------------------------------------------------


def test_terraform_aws_modules_addresses_adopt() -> None:
    plan = _plan("tfmodules")
    r = _by_address(plan)
    for address, role in {
        "module.vpc.aws_vpc.this[0]": "network/vpc",
        "module.vpc.aws_subnet.private[2]": "network/private-subnet-2",
        "module.vpc.aws_route.private_nat_gateway[0]": "network/private-default-route-0",
        "module.vpc.aws_default_security_group.this[0]": "network/default-sg",
        "module.vpc.aws_default_network_acl.this[0]": "network/default-nacl",
        "module.vpc.aws_default_route_table.default[0]": "network/default-rt",
        "module.ecs_cluster.aws_ecs_cluster.this[0]": "stack/cluster",
        "module.ecs_cluster.aws_cloudwatch_log_group.this[0]": "stack/cluster-exec-logs",
        "module.ecs_cluster.aws_ecs_cluster_capacity_providers.this[0]": (
            "stack/cluster-capacity-providers"
        ),
        'module.service["llm-proxy"].aws_ecs_service.this[0]': "llm-proxy/service",
        'module.service["gateway"].module.container_definition["gateway"].aws_cloudwatch_log_group.this[0]': "gateway/logs",
        'module.service["worker"].aws_iam_role.tasks[0]': "worker/task-role",
        # Each service's own execution role is that service's execution role.
        'module.service["worker"].aws_iam_role.task_exec[0]': "worker-execution/role",
        'module.service["gateway"].aws_iam_role.task_exec[0]': "gateway-execution/role",
        'module.service["llm-proxy"].aws_iam_role.task_exec[0]': "llm-proxy-execution/role",
        # LiteLLM reads the database too (as LITELLM_DATABASE_URL in the stack).
        'aws_security_group_rule.db_from_service["llm-proxy"]': "stack/postgres-from-llm-proxy",
        'module.ecr["worker"].aws_ecr_repository.this[0]': "worker/repo",
        'module.alb.aws_lb_listener_rule.this["gateway"]': "lb/rule-gateway",
        "module.elasticache.aws_elasticache_replication_group.this[0]": "redis/replication-group",
        "module.db.module.db_instance.aws_db_instance.this[0]": "postgres/instance",
        "module.db.module.db_parameter_group.aws_db_parameter_group.this[0]": "postgres/params",
    }.items():
        assert r[address].role == role, address
        assert r[address].adopted, (address, r[address].reason)
    # Their names go into the config, each under its service.
    adopt = plan.config.stack_config().adopt
    assert adopt is not None
    for service in ("worker", "gateway", "llm-proxy"):
        role = r[f'module.service["{service}"].aws_iam_role.task_exec[0]']
        assert adopt.services[service].execution_role_name == role.tf_id
    # The VPC's defaults and the cluster's satellites keep what they are: only tags change
    # (and the exec log group's retention follows logRetentionDays).
    for address in (
        "module.vpc.aws_default_network_acl.this[0]",
        "module.vpc.aws_default_route_table.default[0]",
        "module.ecs_cluster.aws_ecs_cluster.this[0]",
        "module.ecs_cluster.aws_ecs_cluster_capacity_providers.this[0]",
    ):
        assert {d.property for d in r[address].differences} <= {"tags"}, address
    # A default route table is imported by its VPC's id, the rest by their own.
    assert (
        r["module.vpc.aws_default_route_table.default[0]"].import_id
        == r["module.vpc.aws_vpc.this[0]"].tf_id
    )
    assert r["module.vpc.aws_default_network_acl.this[0]"].import_id.startswith("acl-")
    assert r["module.ecs_cluster.aws_ecs_cluster_capacity_providers.this[0]"].import_id == (
        "platform"
    )
    # The exec log group's name follows from the adopted cluster's: nothing to write.
    assert adopt.cluster_name == "platform"
    assert r["module.ecs_cluster.aws_cloudwatch_log_group.this[0]"].import_id == (
        "/aws/ecs/platform"
    )
    # Their customer-managed policies and attachments cannot become the components' inline
    # policies: retired with Terraform.
    for kind in ("aws_iam_policy", "aws_iam_role_policy_attachment"):
        grant = r[f'module.service["worker"].{kind}.task_exec[0]']
        assert grant.status is Status.SUPERSEDED, grant.address


def test_rds_is_adopted_with_its_names() -> None:
    plan = _plan("rds")
    r = _by_address(plan)
    assert r["aws_db_instance.acme"].adopted, r["aws_db_instance.acme"].reason
    # Every service that connects keeps its way in, the LLM proxy (LiteLLM) included.
    for key, service in (("worker", "worker"), ("llm_proxy", "llm-proxy"), ("web", "web")):
        rule = r[f'aws_vpc_security_group_ingress_rule.db["{key}"]']
        assert rule.role == f"stack/postgres-from-{service}" and rule.adopted, rule.address
    config = plan.config.stack_config()
    assert config.enable_rds and config.enable_web
    assert config.adopt is not None and config.adopt.database is not None
    database = config.adopt.database
    assert (database.identifier, database.db_name, database.username) == (
        "acme-postgres",
        "acme",
        "acme_admin",
    )
    assert database.parameter_group_name == "acme-postgres15"
    assert any("master password" in n for n in plan.notes)
    # Secrets in SSM Parameter Store: carried, the values from the state into secrets.sh only.
    assert plan.secret_sources["proliferate:USER_SECRETS_ENCRYPTION_KEY"].startswith(
        "the state's SSM parameter"
    )


def test_a_state_without_services_still_adopts_what_the_services_will_use() -> None:
    r = _by_address(_plan("no-services"))
    for address, role in {
        "aws_ecr_repository.images[1]": "llm-proxy/repo",
        "aws_cloudwatch_log_group.apps[2]": "gateway/logs",
        "aws_security_group.svc[0]": "stack/worker-sg",
        "aws_security_group.cache": "redis/sg",
        "aws_iam_role.exec": "worker-execution/role",
        "aws_lb_target_group.svc[1]": "lb/tg-gateway",
        "aws_security_group_rule.svc_from_lb[0]": "stack/llm-proxy-ingress-0",
    }.items():
        assert r[address].role == role and r[address].adopted, address


def test_for_each_keys_and_other_applications() -> None:
    plan = _plan("for-each")
    r = _by_address(plan)
    assert r['aws_subnet.private["us-east-1b"]'].role == "network/private-subnet-1"
    assert r['aws_ecs_service.this["llm-proxy"]'].role == "llm-proxy/service"
    # The analytics worker looks like the platform's worker: not chosen, and reported.
    assert r['aws_ecs_service.this["worker"]'].role == "worker/service"
    assert any("analytics-worker" in n and "worker/service" in n for n in plan.notes)
    foreign = {p.address for p in plan.by_status(Status.NOT_OURS)}
    assert 'aws_ecs_service.this["billing-api"]' in foreign
    assert 'aws_ecs_service.this["analytics-worker"]' in foreign
    assert 'aws_lb_listener_rule.this["billing-api"]' in foreign
    assert "aws_s3_bucket.billing_reports" in foreign
    assert not [a for a in foreign if "billing" not in a and "analytics" not in a]
    # The execution role is shared with them: its managed policy stays.
    attachment = r["aws_iam_role_policy_attachment.execution"]
    assert attachment.status is Status.NOT_ADOPTED and "other applications" in attachment.reason
    assert any("shared with other applications" in n for n in plan.notes)


@pytest.mark.parametrize("name", ["tfmodules", "rds"])
def test_secret_values_in_the_state_reach_only_secrets_sh(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = CORPUS / name / "terraform.tfstate"
    secrets = {s for s in state_secrets(load_state(state_file)) if len(s) >= 12}
    assert secrets, "the state holds secret values"
    out = tmp_path / "migration"
    main(["migrate", "terraform", "--state", str(state_file), "--out", str(out)])
    captured = capsys.readouterr()
    for path in out.iterdir():
        if path.name == "secrets.sh":
            continue
        text = path.read_text()
        leaked = [s for s in secrets if s in text]
        assert not leaked, (path.name, leaked[:2])
    assert not [s for s in secrets if s in captured.out + captured.err]
    assert any(s in (out / "secrets.sh").read_text() for s in secrets)


# -- real Terraform, again ---------------------------------------------------------------------

sys.path.insert(0, str(CORPUS))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_a_fresh_apply_adopts_the_same_way(name: str, tmp_path: Path) -> None:
    """Real Terraform applies the configuration against moto_server again; the fresh state
    adopts exactly like the committed one. Upstream's configuration is read from a checkout
    of upstream (PROLIFERATE_UPSTREAM_TF); of the others, only for-each unless
    PROLIFERATE_TF_CORPUS=all (each apply takes minutes)."""
    import regenerate  # tests/tf_corpus/regenerate.py

    if name not in ("upstream", "for-each") and os.environ.get("PROLIFERATE_TF_CORPUS") != "all":
        pytest.skip("set PROLIFERATE_TF_CORPUS=all to re-apply every corpus folder")
    missing = regenerate.missing_source(name)
    if missing is not None:
        pytest.skip(missing)
    tools = regenerate.tooling(tmp_path)
    if tools is None:
        pytest.skip("terraform or a provider mirror with hashicorp/aws 5.x is not installed")
    if not regenerate.moto_server_available():
        pytest.skip("moto_server (moto[server]) is not installed")
    with regenerate.MotoServer() as moto:
        fresh = regenerate.apply_corpus(name, tools, moto.url, tmp_path)
    path = tmp_path / f"{name}.tfstate"
    path.write_text(json.dumps(fresh))
    plan = plan_migration(load_state(path))
    committed = _plan(name)
    assert {r.address: (r.status, r.role) for r in plan.resources} == {
        r.address: (r.status, r.role) for r in committed.resources
    }
    assert adoption_rate(plan) == RATES[name]
    assert replacement_mismatches(plan, plan.state) == []
