"""ProliferateStack through the bundled example, and the PublicLoadBalancer on its own."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from proliferate_components.config import DEV_PRESET, PROD_PRESET, StackConfig
from proliferate_components.errors import ConfigError
from proliferate_components.loadbalancer import (
    TLS_POLICY,
    LbRoute,
    PublicLoadBalancer,
    PublicLoadBalancerArgs,
)
from proliferate_components.stack import ProliferateStack, ServiceImage
from proliferate_components.testing import Capture, capture, capture_project, unwrap

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "proliferate"

LISTENER = "aws:lb/listener:Listener"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
ECS_SERVICE = "aws:ecs/service:Service"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

USER_SECRETS = {
    "proliferate:ANTHROPIC_API_KEY": "sk-ant-user-value-0123456789",
    "proliferate:GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nuser-pem\n-----END RSA PRIVATE KEY-----",
    "proliferate:GITHUB_APP_WEBHOOK_SECRET": "whsec-user-value-abcdef",
    "proliferate:GITHUB_OAUTH_APP_SECRET": "oauth-user-secret-value",
    "proliferate:MODAL_TOKEN_ID": "ak-modal-user-id-value",
    "proliferate:MODAL_TOKEN_SECRET": "as-modal-user-secret-value",
}
EXTERNAL_DB = "postgres://app:external-db-password@db.example.com:5432/proliferate"


@functools.cache
def _run(
    preset: str, extra: tuple[tuple[str, str], ...] = (), with_secrets: bool = True
) -> Capture:
    config = {**(DEV_PRESET if preset == "dev" else PROD_PRESET), **dict(extra)}
    secret_keys = ["proliferate:certificateArn"]
    if with_secrets:
        config.update(USER_SECRETS)
        secret_keys += list(USER_SECRETS)
    if "proliferate:DATABASE_URL" in config:
        secret_keys.append("proliferate:DATABASE_URL")
    return capture_project(EXAMPLE, config=config, secret_keys=secret_keys, stack=preset)


def _containers(cap: Capture) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for task in cap.of_type(TASK_DEF):
        for container in json.loads(task.input("containerDefinitions")):
            if container["essential"]:  # the service's own (not the rds-ca init container)
                out[container["name"]] = container
    return out


def _secret_values(cap: Capture) -> set[str]:
    """Every secret value the stack holds: user values, generated values, data-tier URLs."""
    values = {v for v in USER_SECRETS.values()}
    for version in cap.of_type(SECRET_VERSION):
        assert version.is_secret("secretString"), version.name
        values |= {str(v) for v in json.loads(version.input("secretString")).values()}
    for reg in cap.resources:
        if reg.type.startswith("random:index/randomPassword"):
            values.add(str(unwrap(reg.outputs["result"])))
    return {v for v in values if len(v) >= 8}


# -- builds ------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_every_child_is_parented_and_names_derive_from_the_stack(preset: str) -> None:
    cap = _run(preset)
    (top,) = cap.of_type("proliferate:stack:ProliferateStack")
    assert top.parent == "" or "pulumi:pulumi:Stack" in top.parent
    urns = {r.urn for r in cap.resources}
    for reg in cap.resources:
        if reg is top:
            continue
        assert reg.parent in urns, f"{reg.type} {reg.name} is not parented inside the stack"
        assert reg.name.startswith("proliferate-"), reg.name
    direct = {r.name for r in cap.children_of(top)}
    assert {
        "proliferate-network",
        "proliferate-cluster",
        "proliferate-lb",
        "proliferate-redis",
        "proliferate-postgres",
        "proliferate-secrets",
        "proliferate-worker",
        "proliferate-worker-sg",  # security groups are made by the stack, before services
        "proliferate-gateway-sg",
        "proliferate-llm-proxy",
        "proliferate-gateway",
        "proliferate-migrations",
    } <= direct


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_cluster_has_container_insights_and_services_their_sizes(preset: str) -> None:
    cap = _run(preset)
    cluster = cap.one("aws:ecs/cluster:Cluster")
    assert {"name": "containerInsights", "value": "enabled"} in cluster.input("settings")
    config = StackConfig.from_mapping(DEV_PRESET if preset == "dev" else PROD_PRESET)
    expected = {
        "worker": (config.worker_cpu, config.worker_memory_mib),
        "llm-proxy": (config.llm_proxy_cpu, config.llm_proxy_memory_mib),
        "gateway": (config.gateway_cpu, config.gateway_memory_mib),
    }
    if preset == "prod":
        assert expected["worker"] == (512, 1024) and expected["llm-proxy"] == (1024, 2048)
    else:
        assert expected["worker"] == (256, 512) and expected["llm-proxy"] == (512, 1024)
    for service, (cpu, memory) in expected.items():
        task = cap.one(TASK_DEF, f"proliferate-{service}-task")
        assert (task.input("cpu"), task.input("memory")) == (str(cpu), str(memory)), service
    worker = _containers(cap)["worker"]
    assert worker["portMappings"][0]["containerPort"] == 8080
    assert "8080" in " ".join(worker["healthCheck"]["command"])
    assert not cap.one(ECS_SERVICE, "proliferate-worker-service").input("loadBalancers")


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_cluster_logs_ecs_exec_sessions_to_its_own_group(preset: str) -> None:
    cap = _run(preset)
    config = StackConfig.from_mapping(DEV_PRESET if preset == "dev" else PROD_PRESET)
    group = cap.one("aws:cloudwatch/logGroup:LogGroup", "proliferate-cluster-exec-logs")
    # /aws/ecs/<cluster> like terraform-aws-modules/ecs; the cluster's name is generated here
    assert group.input("name") == f"/aws/ecs/proliferate-{preset}"
    assert group.input("retentionInDays") == config.log_retention_days
    worker_logs = cap.one("aws:cloudwatch/logGroup:LogGroup", "proliferate-worker-logs")
    assert group.input("kmsKeyId") == worker_logs.input("kmsKeyId")
    if preset == "prod":
        assert group.input("kmsKeyId") == cap.one("aws:kms/key:Key").outputs["arn"]
    cluster = cap.one("aws:ecs/cluster:Cluster")
    assert cluster.input("configuration") == {
        "executeCommandConfiguration": {
            "logging": "OVERRIDE",
            "logConfiguration": {
                "cloudWatchLogGroupName": f"/aws/ecs/proliferate-{preset}",
                "cloudWatchEncryptionEnabled": False,
                "s3BucketEncryptionEnabled": False,
            },
        }
    }
    assert group.urn in cluster.dependencies


def test_the_default_network_acl_is_managed_unless_the_config_says_not() -> None:
    nacl = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
    assert len(_run("dev").of_type(nacl)) == 1
    off = _run("dev", (("proliferate:manageDefaultNetworkAcl", "false"),))
    assert off.of_type(nacl) == []
    # the route table and security group are still taken over (no rules are rewritten)
    assert len(off.of_type("aws:ec2/defaultRouteTable:DefaultRouteTable")) == 1
    with pytest.raises(ConfigError, match="manageDefaultNetworkAcl"):
        _run("dev", (("proliferate:manageDefaultNetworkAcl", "sometimes"),))


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_cluster_offers_fargate_and_spot_and_defaults_to_fargate(preset: str) -> None:
    cap = _run(preset)
    providers = cap.one(
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
        "proliferate-cluster-capacity-providers",
    )
    cluster = cap.one("aws:ecs/cluster:Cluster")
    assert providers.input("clusterName") == cluster.outputs["name"]
    assert providers.input("capacityProviders") == ["FARGATE", "FARGATE_SPOT"]
    assert providers.input("defaultCapacityProviderStrategies") == [
        {"capacityProvider": "FARGATE", "base": 0, "weight": 1}
    ]
    # The default strategy moves nothing: every service names its launch type.
    for service in cap.of_type(ECS_SERVICE):
        assert service.input("launchType") == "FARGATE", service.name
        assert not service.input("capacityProviderStrategies"), service.name


def test_ecs_exec_task_roles_may_write_only_the_exec_log_group() -> None:
    cap = _run("dev", (("proliferate:enableExecuteCommand", "true"),))
    policy = json.loads(cap.one(ROLE_POLICY, "proliferate-worker-task-policy").input("policy"))
    by_sid = {st.get("Sid"): st for st in policy["Statement"]}
    group = "arn:aws:logs:*:*:log-group:/aws/ecs/proliferate-dev"
    assert by_sid["EcsExecLogs"]["Resource"] == [group, f"{group}:*"]
    assert "logs:PutLogEvents" in by_sid["EcsExecLogs"]["Action"]
    assert by_sid["EcsExecLogGroups"]["Action"] == "logs:DescribeLogGroups"
    without = _run("dev")
    assert not [r for r in without.of_type(ROLE_POLICY) if r.name.endswith("-task-policy")]


def test_no_churn_two_runs_register_identical_inputs() -> None:
    first = capture_project(EXAMPLE, config=PROD_PRESET, stack="prod")
    second = capture_project(EXAMPLE, config=PROD_PRESET, stack="prod")
    # Registration order depends on when outputs resolve; the set and the inputs must not.
    a = {r.urn: r for r in first.resources}
    b = {r.urn: r for r in second.resources}
    assert len(a) == len(first.resources) and set(a) == set(b)
    for urn, reg in a.items():
        assert reg.plain_inputs() == b[urn].plain_inputs(), urn
        assert reg.input("containerDefinitions") == b[urn].input("containerDefinitions")
        assert reg.input("policy") == b[urn].input("policy")
    assert first.outputs == second.outputs


# -- secrets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "extra"), [("dev", ()), ("prod", (("proliferate:enableWeb", "true"),))]
)
def test_no_secret_value_in_any_container_environment(
    preset: str, extra: tuple[tuple[str, str], ...]
) -> None:
    cap = _run(preset, extra)
    secrets = _secret_values(cap)
    assert len(secrets) >= len(USER_SECRETS) + 5  # user values, generated values, data URLs
    arns = {s.outputs["arn"] for s in cap.of_type(SECRET)}
    containers = _containers(cap)
    assert set(containers) >= {"worker", "llm-proxy", "gateway", "migrations"}
    for name, container in containers.items():
        for item in container["environment"]:
            for value in secrets:
                assert value not in item["value"], f"{name}: {item['name']} carries a secret value"
        env_names = {e["name"] for e in container["environment"]}
        # LiteLLM reads LITELLM_MASTER_KEY (= LLM_PROXY_MASTER_KEY) and its own DATABASE_URL
        renamed = (
            {"LITELLM_MASTER_KEY": "LLM_PROXY_MASTER_KEY", "DATABASE_URL": "LITELLM_DATABASE_URL"}
            if name == "llm-proxy"
            else {}
        )
        for item in container["secrets"]:
            assert item["name"] not in env_names
            arn, key, stage, version = item["valueFrom"].rsplit(":", 3)
            expected_key = renamed.get(item["name"], item["name"])
            assert arn in arns and key == expected_key and stage == version == "", item
    # The user's key reaches the services that need it, by reference.
    for service in ("worker", "gateway", "llm-proxy"):
        assert "ANTHROPIC_API_KEY" in {s["name"] for s in containers[service]["secrets"]}
    assert "DATABASE_URL" in {s["name"] for s in containers["migrations"]["secrets"]}


def test_external_database_url_comes_from_user_secret_config() -> None:
    cap = _run(
        "dev", (("proliferate:enableRds", "false"), ("proliferate:DATABASE_URL", EXTERNAL_DB))
    )
    assert cap.of_type("aws:rds/instance:Instance") == []
    assert cap.of_type("proliferate:database:PostgresDb") == []
    data = cap.one(SECRET_VERSION, "proliferate-secrets-database-version")
    assert json.loads(data.input("secretString"))["DATABASE_URL"] == EXTERNAL_DB
    litellm = cap.one(SECRET_VERSION, "proliferate-secrets-llm-proxy-version")
    assert json.loads(litellm.input("secretString")) == {
        "LITELLM_DATABASE_URL": EXTERNAL_DB + "?schema=litellm"
    }
    assert cap.output("databaseUrl") == EXTERNAL_DB
    assert pulumi_secret(cap, "databaseUrl")
    for container in _containers(cap).values():
        assert EXTERNAL_DB not in json.dumps(container["environment"])


def pulumi_secret(cap: Capture, key: str) -> bool:
    from pulumi.runtime import rpc

    return bool(rpc.is_rpc_secret(cap.outputs[key]))


# -- HTTPS, DNS and web ------------------------------------------------------------------


def test_https_redirects_http_and_uses_the_tls13_policy() -> None:
    cap = _run("prod")
    listeners = {r.input("port"): r for r in cap.of_type(LISTENER)}
    assert set(listeners) == {80, 443}
    (redirect,) = listeners[80].input("defaultActions")
    assert redirect["type"] == "redirect"
    assert (
        redirect["redirect"]["protocol"] == "HTTPS"
        and redirect["redirect"]["statusCode"] == "HTTP_301"
    )
    https = listeners[443]
    assert https.input("protocol") == "HTTPS"
    assert https.input("sslPolicy") == TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https.input("certificateArn") == PROD_PRESET["proliferate:certificateArn"]
    rules = cap.of_type("aws:lb/listenerRule:ListenerRule")
    assert rules and all(r.input("listenerArn") == https.outputs["arn"] for r in rules)
    hosts = sorted(r.input("conditions")[0]["hostHeader"]["values"][0] for r in rules)
    assert hosts == ["gateway.app.example.com", "llm.app.example.com"]
    assert cap.output("appUrl") == "https://app.example.com"
    assert cap.output("gatewayUrl") == "wss://gateway.app.example.com"
    assert cap.output("llmProxyUrl") == "https://llm.app.example.com"


def test_http_only_forwards_with_path_routes() -> None:
    cap = _run("dev")
    (listener,) = cap.of_type(LISTENER)
    assert listener.input("port") == 80 and listener.input("protocol") == "HTTP"
    assert listener.input("defaultActions")[0]["type"] in ("forward", "fixed-response")
    rules = {r.name: r for r in cap.of_type("aws:lb/listenerRule:ListenerRule")}
    gateway = rules["proliferate-lb-rule-gateway"]
    assert gateway.input("conditions")[0]["pathPattern"]["values"] == ["/gateway", "/gateway/*"]
    (transform,) = gateway.input("transforms")
    assert transform["urlRewriteConfig"]["rewrite"] == {
        "regex": "^/gateway/?(.*)$",
        "replace": "/$1",
    }
    dns = cap.output("albDnsName")
    assert cap.output("gatewayUrl") == f"ws://{dns}/gateway"
    assert cap.output("llmProxyUrl") == f"http://{dns}/llm-proxy"
    lb = cap.one("aws:lb/loadBalancer:LoadBalancer")
    assert lb.input("dropInvalidHeaderFields") is True
    assert lb.input("idleTimeout") == 3600
    assert lb.input("internal") is False


def test_managed_dns_creates_zone_certificate_validation_and_aliases() -> None:
    cap = _run(
        "prod",
        (
            ("proliferate:manageDns", "true"),
            ("proliferate:certificateArn", ""),
            ("proliferate:enableWeb", "true"),
        ),
    )
    zone = cap.one("aws:route53/zone:Zone")
    cert = cap.one("aws:acm/certificate:Certificate")
    validation = cap.one("aws:acm/certificateValidation:CertificateValidation")
    records = cap.of_type("aws:route53/record:Record")
    assert len([r for r in records if "-validation-" in r.name]) == 3
    aliases = {r.input("name") for r in records if "-alias-" in r.name}
    assert aliases == {"app.example.com", "gateway.app.example.com", "llm.app.example.com"}
    https = next(r for r in cap.of_type(LISTENER) if r.input("port") == 443)
    assert https.input("certificateArn") == cert.outputs["arn"]
    assert validation.urn in https.dependencies or any(
        validation.urn in deps for deps in https.property_dependencies.values()
    ), "the listener must wait for the validated certificate"
    assert cap.output("nameServers") == zone.outputs["nameServers"]
    assert cap.output("hostedZoneId") == zone.outputs["zoneId"]


def test_managed_dns_without_web_leaves_the_app_record_to_vercel() -> None:
    cap = _run("prod", (("proliferate:manageDns", "true"),))
    aliases = {
        r.input("name") for r in cap.of_type("aws:route53/record:Record") if "-alias-" in r.name
    }
    assert aliases == {"gateway.app.example.com", "llm.app.example.com"}
    # The configured certificate ARN wins over requesting one.
    https = next(r for r in cap.of_type(LISTENER) if r.input("port") == 443)
    assert https.input("certificateArn") == PROD_PRESET["proliferate:certificateArn"]


@pytest.mark.parametrize("enable_web", [False, True])
def test_enable_web_toggles_the_web_service(enable_web: bool) -> None:
    cap = _run("prod", (("proliferate:enableWeb", "true" if enable_web else "false"),))
    services = {r.name for r in cap.of_type(ECS_SERVICE)}
    assert ("proliferate-web-service" in services) is enable_web
    assert ("webRepositoryUrl" in cap.outputs) is enable_web
    target_groups = {r.name for r in cap.of_type("aws:lb/targetGroup:TargetGroup")}
    assert ("proliferate-lb-tg-web" in target_groups) is enable_web
    https = next(r for r in cap.of_type(LISTENER) if r.input("port") == 443)
    default = https.input("defaultActions")[0]
    assert default["type"] == ("forward" if enable_web else "fixed-response")
    if enable_web:
        web = _containers(cap)["web"]
        env = {e["name"]: e["value"] for e in web["environment"]}
        assert env["NEXT_PUBLIC_APP_URL"] == "https://app.example.com"
        assert env["NEXT_PUBLIC_GATEWAY_URL"] == "wss://gateway.app.example.com"
        assert env["WEB_PORT"] == str(web["portMappings"][0]["containerPort"])


@pytest.mark.parametrize("protect", [True, False])
def test_data_stores_are_protected_unless_opted_out(protect: bool) -> None:
    cap = _run("dev", (("proliferate:protectDataStores", "true" if protect else "false"),))
    redis = cap.one("aws:elasticache/replicationGroup:ReplicationGroup")
    db = cap.one("aws:rds/instance:Instance")
    assert redis.protect is protect
    assert db.protect is protect
    assert db.input("deletionProtection") is protect
    for secret in cap.of_type(SECRET):
        assert secret.protect is protect


def test_migrations_outputs_describe_a_runnable_task() -> None:
    cap = _run("dev")
    task = cap.one(TASK_DEF, "proliferate-migrations-task")
    assert cap.output("migrationsTaskDefinitionArn") == task.outputs["arn"]
    assert cap.output("migrationsClusterArn") == cap.one("aws:ecs/cluster:Cluster").outputs["arn"]
    private = [s.id for s in cap.of_type("aws:ec2/subnet:Subnet") if "private" in s.name]
    assert sorted(cap.output("migrationsSubnetIds")) == sorted(private)
    migrations_sg = cap.one("aws:ec2/securityGroup:SecurityGroup", "proliferate-migrations-sg")
    assert cap.output("migrationsSecurityGroupIds") == [migrations_sg.id]
    # the task definition is the migrations one (its container and secrets), not a service's
    container = _containers(cap)["migrations"]
    assert "DATABASE_URL" in {s["name"] for s in container["secrets"]}
    # upstream's migrate job (infra/helm/proliferate/templates/migrate-job.yaml): the worker
    # image, `pnpm -C packages/db db:migrate` in /app
    worker = _containers(cap)["worker"]
    assert container["image"] == worker["image"]
    assert container["command"] == ["pnpm", "-C", "packages/db", "db:migrate"]
    assert container["workingDirectory"] == "/app"
    assert cap.output("migrationsRepositoryUrl") == cap.output("workerRepositoryUrl")
    # a one-off task: no ECS service runs it, and nothing may connect to it
    assert [r.name for r in cap.of_type(ECS_SERVICE) if "migrations" in r.name] == []
    assert not any(
        r.input("securityGroupId") == migrations_sg.id
        for r in cap.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    )
    assert migrations_sg.input("ingress") in (None, [])


@pytest.mark.parametrize(
    ("preset", "extra", "running"),
    [
        ("dev", (), ("worker", "llm-proxy", "gateway")),
        ("prod", (), ("worker", "llm-proxy", "gateway")),
        (
            "prod",
            (("proliferate:enableWeb", "true"),),
            ("worker", "llm-proxy", "gateway", "web"),
        ),
    ],
)
def test_only_the_running_services_get_an_ecs_service(
    preset: str, extra: tuple[tuple[str, str], ...], running: tuple[str, ...]
) -> None:
    cap = _run(preset, extra)
    services = sorted(r.name for r in cap.of_type(ECS_SERVICE))
    assert services == sorted(f"proliferate-{s}-service" for s in running)
    # every running service plus the migrations runner has a task definition
    tasks = sorted(r.name for r in cap.of_type(TASK_DEF))
    assert tasks == sorted(f"proliferate-{s}-task" for s in (*running, "migrations"))
    by_arn = {t.outputs["arn"]: t.name for t in cap.of_type(TASK_DEF)}
    assert {by_arn[r.input("taskDefinition")] for r in cap.of_type(ECS_SERVICE)} == {
        f"proliferate-{s}-task" for s in running
    }
    scaling = [r.name for r in cap.resources if r.type.startswith("aws:appautoscaling/")]
    for name in scaling:
        assert name.rsplit("-scaling-", 1)[0] in {f"proliferate-{s}" for s in running}, name


def test_images_are_inputs() -> None:
    def program() -> None:
        config = StackConfig.dev(image_tag="v1.2.3")
        stack = ProliferateStack(
            "proliferate",
            config,
            images={"gateway": "ghcr.io/proliferate-ai/gateway:v1.2.3"},
            user_secret_values={},
            settings={},
        )
        stack.export_outputs()

    cap = capture(program)
    containers = _containers(cap)
    assert containers["gateway"]["image"] == "ghcr.io/proliferate-ai/gateway:v1.2.3"
    worker_repo = cap.one("aws:ecr/repository:Repository", "proliferate-worker-repo")
    assert containers["worker"]["image"] == f"{worker_repo.outputs['repositoryUrl']}:v1.2.3"


@pytest.mark.parametrize(
    ("mutable", "mode", "filters"),
    [
        (None, "IMMUTABLE", None),
        ("latest", "IMMUTABLE_WITH_EXCLUSION", [{"filter": "latest", "filterType": "WILDCARD"}]),
    ],
)
def test_commit_tags_are_immutable_and_latest_mutable_only_when_asked(
    mutable: str | None, mode: str, filters: list[dict[str, str]] | None
) -> None:
    def program() -> None:
        config = StackConfig.dev(mutable_image_tags=mutable, enable_trigger_service=True)
        ProliferateStack("proliferate", config, user_secret_values={}, settings={})

    repos = capture(program).of_type("aws:ecr/repository:Repository")
    assert {r.name for r in repos} == {
        f"proliferate-{s}-repo" for s in ("worker", "llm-proxy", "gateway", "trigger-service")
    }
    for repo in repos:
        assert repo.input("imageTagMutability") == mode, repo.name
        assert repo.input("imageTagMutabilityExclusionFilters") == filters, repo.name


def test_bad_image_arguments_fail_before_registration() -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        try:
            ProliferateStack(
                "proliferate",
                StackConfig.dev(),
                images={"gateway": ServiceImage(image="x:1", build_context="./gateway")},
            )
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program)
    assert [e.key for e in errors] == ["ProliferateStack.images['gateway']"]
    assert cap.resources == []


# -- PublicLoadBalancer on its own --------------------------------------------------------


def _lb(args: PublicLoadBalancerArgs) -> Capture:
    return capture(lambda: PublicLoadBalancer("edge", args))


def test_load_balancer_with_existing_target_security_group_opens_both_sides() -> None:
    cap = _lb(
        PublicLoadBalancerArgs(
            vpc_id="vpc-1",
            subnet_ids=["subnet-a", "subnet-b"],
            routes=(
                LbRoute(
                    name="api",
                    port=9000,
                    priority=1,
                    host="api.example.com",
                    target_security_group_id="sg-target",
                ),
            ),
        )
    )
    egress = cap.one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert (egress.input("fromPort"), egress.input("toPort")) == (9000, 9000)
    assert egress.input("referencedSecurityGroupId") == "sg-target"
    ingress = cap.one(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "edge-api-from-lb"
    )
    assert ingress.input("securityGroupId") == "sg-target"
    assert (
        ingress.input("referencedSecurityGroupId")
        == cap.one("aws:ec2/securityGroup:SecurityGroup").id
    )
    sg = cap.one("aws:ec2/securityGroup:SecurityGroup")
    assert (
        sg.input("ingress") is None and sg.input("egress") is None
    )  # rules are separate resources


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"enable_https": True}, "PublicLoadBalancerArgs.certificate_arn"),
        ({"idle_timeout_seconds": 5000}, "PublicLoadBalancerArgs.idle_timeout_seconds"),
        (
            {
                "routes": (
                    LbRoute(name="a", port=1, priority=1, path_prefix="/a"),
                    LbRoute(name="b", port=2, priority=1, path_prefix="/b"),
                )
            },
            "PublicLoadBalancerArgs.routes[1].priority",
        ),
        (
            {"routes": (LbRoute(name="a", port=1, priority=1),)},
            "PublicLoadBalancerArgs.routes[0].host",
        ),
        (
            {"routes": (LbRoute(name="a", port=1, priority=1, path_prefix="/a/"),)},
            "PublicLoadBalancerArgs.routes[0].path_prefix",
        ),
        (
            {"routes": (LbRoute(name="a", port=70000, priority=1, path_prefix="/a"),)},
            "PublicLoadBalancerArgs.routes[0].port",
        ),
    ],
)
def test_load_balancer_rejects_bad_arguments_before_registering(
    kwargs: dict[str, Any], key: str
) -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        base: dict[str, Any] = {
            "vpc_id": "vpc-1",
            "subnet_ids": ["subnet-a", "subnet-b"],
            "routes": (),
        }
        try:
            PublicLoadBalancer("edge", PublicLoadBalancerArgs(**{**base, **kwargs}))
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program)
    assert [e.key for e in errors] == [key]
    assert cap.resources == []


def test_allow_egress_to_is_once_per_known_route() -> None:
    errors: list[str] = []

    def program() -> None:
        lb = PublicLoadBalancer(
            "edge",
            PublicLoadBalancerArgs(
                vpc_id="vpc-1",
                subnet_ids=["subnet-a", "subnet-b"],
                routes=(LbRoute(name="api", port=9000, priority=1, path_prefix="/api"),),
            ),
        )
        lb.allow_egress_to("api", "sg-1")
        for route in ("api", "nope"):
            try:
                lb.allow_egress_to(route, "sg-2")
            except ConfigError as exc:
                errors.append(str(exc.value))
        pulumi.export("url", lb.urls["api"])

    cap = capture(program)
    assert errors == ["api", "nope"]
    assert len(cap.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")) == 1
    assert cap.output("url").endswith(".elb.amazonaws.com/api")


def test_access_logs_bucket_reaches_the_load_balancer() -> None:
    def program() -> None:
        ProliferateStack(
            "proliferate",
            StackConfig.prod(),
            user_secret_values={},
            settings={},
            access_logs_bucket="my-alb-logs",
        )

    cap = capture(program)
    lb = cap.one("aws:lb/loadBalancer:LoadBalancer")
    assert lb.input("accessLogs") == {
        "bucket": "my-alb-logs",
        "enabled": True,
        "prefix": "proliferate-lb",
    }
    assert lb.input("enableDeletionProtection") is True  # the prod profile


def test_bad_plain_setting_fails_before_registration() -> None:
    errors: list[ConfigError] = []

    def program() -> None:
        try:
            ProliferateStack(
                "proliferate",
                StackConfig.dev(),
                user_secret_values={},
                settings={"LOG_LEVEL": "loud"},
            )
        except ConfigError as exc:
            errors.append(exc)

    cap = capture(program)
    assert [e.key for e in errors] == ["LOG_LEVEL"]
    assert cap.resources == []


def test_load_balancer_names_are_generated_unless_given() -> None:
    route = LbRoute(name="api", port=9000, priority=1, path_prefix="/api")
    base = {"vpc_id": "vpc-1", "subnet_ids": ["subnet-a", "subnet-b"]}
    generated = _lb(PublicLoadBalancerArgs(**base, routes=(route,)))
    for type_ in ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"):
        assert "name" not in generated.one(type_).inputs
    assert "name" not in generated.one("aws:ec2/securityGroup:SecurityGroup").inputs
    named = _lb(
        PublicLoadBalancerArgs(
            **base,
            routes=(
                LbRoute(
                    name="api",
                    port=9000,
                    priority=1,
                    path_prefix="/api",
                    target_group_name="tf-api",
                ),
            ),
            name="tf-alb",
            security_group_name="tf-alb-sg",
            security_group_description="ALB security group",
        )
    )
    assert named.one("aws:lb/loadBalancer:LoadBalancer").input("name") == "tf-alb"
    assert named.one("aws:lb/targetGroup:TargetGroup").input("name") == "tf-api"
    sg = named.one("aws:ec2/securityGroup:SecurityGroup")
    assert (sg.input("name"), sg.input("description")) == ("tf-alb-sg", "ALB security group")


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"name": "a" * 33}, "PublicLoadBalancerArgs.name"),
        ({"name": "internal-alb"}, "PublicLoadBalancerArgs.name"),
        ({"name": "-alb"}, "PublicLoadBalancerArgs.name"),
        ({"security_group_name": "sg-x"}, "PublicLoadBalancerArgs.security_group_name"),
        (
            {"target_group_name": "tg_underscore"},
            "PublicLoadBalancerArgs.routes[0].target_group_name",
        ),
    ],
)
def test_bad_load_balancer_names_fail_before_registration(
    overrides: dict[str, Any], key: str
) -> None:
    tg = overrides.pop("target_group_name", None)
    route = LbRoute(name="api", port=9000, priority=1, path_prefix="/api", target_group_name=tg)
    args = {"vpc_id": "vpc-1", "subnet_ids": ["subnet-a", "subnet-b"], "routes": (route,)}
    with pytest.raises(ConfigError) as info:
        _lb(PublicLoadBalancerArgs(**args, **overrides))
    assert info.value.key == key


# -- proliferate:adopt: the stack passes the existing names to its components -------------

ADOPT = {
    "clusterName": "tf-cluster",
    "executionRoleName": "tf-execution",
    "services": {
        "worker": {
            "serviceName": "tf-worker",
            "repositoryName": "tf/worker",
            "logGroupName": "/ecs/tf-worker",
            "taskRoleName": "tf-worker-task",
            "securityGroupName": "tf-worker-sg",
            "securityGroupDescription": "worker security group",
        },
        "llm-proxy": {"targetGroupName": "tf-llm-proxy"},
    },
    "redis": {
        "replicationGroupId": "tf-redis",
        "subnetGroupName": "tf-redis-subnets",
        "parameterGroupName": "tf-redis-params",
        "parameterGroupDescription": "BullMQ",
        "securityGroupName": "tf-redis-sg",
        "securityGroupDescription": "Redis security group",
    },
    "loadBalancer": {
        "name": "tf-alb",
        "securityGroupName": "tf-alb-sg",
        "securityGroupDescription": "ALB security group",
    },
    "network": {
        "availabilityZones": ["us-east-1b", "us-east-1c"],
        "publicSubnetCidrs": ["10.0.0.0/24", "10.0.1.0/24"],
        "privateSubnetCidrs": ["10.0.10.0/24", "10.0.11.0/24"],
    },
}


def test_adopt_config_reaches_every_component() -> None:
    cap = _run("dev", (("proliferate:adopt", json.dumps(ADOPT)),))

    def named(type_: str, name: str, prop: str = "name") -> Any:
        return cap.one(type_, name).input(prop)

    assert named("aws:ecs/cluster:Cluster", "proliferate-cluster") == "tf-cluster"
    exec_logs = named("aws:cloudwatch/logGroup:LogGroup", "proliferate-cluster-exec-logs")
    assert exec_logs == "/aws/ecs/tf-cluster"
    # the one shared role is adopted as the worker's (the others get roles of their own)
    assert named("aws:iam/role:Role", "proliferate-worker-execution-role") == "tf-execution"
    assert named("aws:ecs/service:Service", "proliferate-worker-service") == "tf-worker"
    assert named("aws:ecr/repository:Repository", "proliferate-worker-repo") == "tf/worker"
    assert named("aws:cloudwatch/logGroup:LogGroup", "proliferate-worker-logs") == "/ecs/tf-worker"
    assert named("aws:iam/role:Role", "proliferate-worker-task-role") == "tf-worker-task"
    assert named("aws:ec2/securityGroup:SecurityGroup", "proliferate-worker-sg") == "tf-worker-sg"
    assert named("aws:lb/targetGroup:TargetGroup", "proliferate-lb-tg-llm-proxy") == "tf-llm-proxy"
    assert named("aws:lb/loadBalancer:LoadBalancer", "proliferate-lb-alb") == "tf-alb"
    assert (
        named("aws:ec2/securityGroup:SecurityGroup", "proliferate-lb-sg", "description")
        == "ALB security group"
    )
    group = cap.one(
        "aws:elasticache/replicationGroup:ReplicationGroup", "proliferate-redis-replication-group"
    )
    assert group.input("replicationGroupId") == "tf-redis"
    assert group.input("parameterGroupName") == "tf-redis-params"
    assert named("aws:ec2/securityGroup:SecurityGroup", "proliferate-redis-sg") == "tf-redis-sg"
    subnets = {r.name: r for r in cap.of_type("aws:ec2/subnet:Subnet")}
    assert subnets["proliferate-network-public-subnet-1"].input("cidrBlock") == "10.0.1.0/24"
    assert subnets["proliferate-network-private-subnet-0"].input("cidrBlock") == "10.0.10.0/24"
    assert subnets["proliferate-network-private-subnet-0"].input("availabilityZone") == "us-east-1b"
    # Services not named keep generated names.
    gateway = cap.one("aws:ecs/service:Service", "proliferate-gateway-service")
    assert "name" not in gateway.inputs


def test_an_empty_adopt_object_registers_exactly_what_no_adopt_does() -> None:
    from data_tier_fixtures import snapshot

    for preset in ("dev", "prod"):
        plain = snapshot(_run(preset))
        empty = snapshot(_run(preset, (("proliferate:adopt", "{}"),)))
        assert plain == empty, preset


def test_bad_adopt_config_fails_before_anything_is_registered() -> None:
    bad = {**ADOPT, "services": {"worker": {"serviceNmae": "x"}}}
    with pytest.raises(ConfigError) as info:
        _run("dev", (("proliferate:adopt", json.dumps(bad)),))
    assert info.value.key == "proliferate:adopt.services.worker.serviceNmae"
    assert "did you mean serviceName" in info.value.valid


def test_deploy_outputs_name_every_service_and_its_public_url() -> None:
    """What ``proliferate-infra deploy`` reads: each ECS service's name (to wait for its
    rollout), each public service's URL (to smoke-check it) and every repository."""

    def program() -> None:
        config = StackConfig.dev(enable_web=True, enable_trigger_service=True)
        stack = ProliferateStack("proliferate", config, user_secret_values={}, settings={})
        stack.export_outputs()

    cap = capture(program)
    names = cap.output("serviceNames")
    running = ("worker", "llm-proxy", "gateway", "web", "trigger-service")
    assert set(names) == set(running), "the migrations task has no service"
    for service in running:
        ecs = cap.one("aws:ecs/service:Service", f"proliferate-{service}-service")
        assert names[service] == ecs.outputs["name"]
    urls = cap.output("serviceUrls")
    assert set(urls) == {"llm-proxy", "gateway", "web", "trigger-service"}
    assert urls["web"] == cap.output("appUrl")
    assert urls["gateway"] == cap.output("gatewayUrl")
    assert urls["trigger-service"].endswith("/trigger-service")
    trigger_repo = cap.one("aws:ecr/repository:Repository", "proliferate-trigger-service-repo")
    assert cap.output("triggerServiceRepositoryUrl") == trigger_repo.outputs["repositoryUrl"]
    assert cap.output("migrationsRepositoryUrl") == cap.output("workerRepositoryUrl")
