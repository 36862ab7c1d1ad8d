"""Compliant and non-compliant resources for every policy, in the engine's shape.

Each resource is a plain dict like the engine's ``AnalyzerResource``: ``urn``, ``type``,
``name``, ``properties`` (camelCase inputs; secrets wrapped with the wire signature),
``options`` (``protect``, ``parent``), ``dependencies``, ``propertyDependencies`` and the
provider-assigned ``id``. :func:`registration` turns one into a
:class:`~proliferate_components.testing.Registration` (for the gRPC path through
:mod:`proliferate_components.analyzer`), :func:`resource` into a
:class:`~proliferate_components.policies.Resource` (for calling the pure checks).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from proliferate_components.policies import Resource
from proliferate_components.policies.values import secret_paths
from proliferate_components.testing import Registration, unwrap

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}

Res = dict[str, Any]

KMS_KEY = "aws:kms/key:Key"
RDS_PG = "aws:rds/parameterGroup:ParameterGroup"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def secret(value: Any) -> dict[str, Any]:
    """A secret value as the engine marshals it."""
    return {**SECRET_SIG, "value": value}


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::proliferate::{type_}::{name}"


def res(
    type_: str,
    name: str,
    properties: Mapping[str, Any],
    *,
    protect: bool = False,
    id: str | None = None,
    property_dependencies: Mapping[str, Sequence[str]] | None = None,
    outputs: Mapping[str, Any] | None = None,
) -> Res:
    """One resource in the engine's shape (outputs = inputs + id + ``outputs``)."""
    rid = id or f"{name}-id"
    deps = {k: list(v) for k, v in (property_dependencies or {}).items()}
    return {
        "urn": urn(type_, name),
        "type": type_,
        "name": name,
        "id": rid,
        "properties": dict(properties),
        "outputs": {**properties, "id": rid, **(outputs or {})},
        "options": {"protect": protect, "parent": ""},
        "dependencies": sorted({u for v in deps.values() for u in v}),
        "propertyDependencies": deps,
    }


def registration(r: Res) -> Registration:
    """The fixture as the capture harness would have recorded it."""
    return Registration(
        urn=r["urn"],
        type=r["type"],
        name=r["name"],
        parent=r["options"]["parent"],
        custom=True,
        remote=False,
        protect=r["options"]["protect"],
        dependencies=tuple(r["dependencies"]),
        property_dependencies={k: tuple(v) for k, v in r["propertyDependencies"].items()},
        provider="",
        delete_before_replace=False,
        ignore_changes=(),
        replace_on_changes=(),
        retain_on_delete=None,
        aliases=(),
        import_id="",
        inputs=r["properties"],
        id=r["id"],
        outputs=r["outputs"],
    )


def resource(r: Res, *, outputs: bool = False) -> Resource:
    """The fixture as a pure check sees it (inputs for resource rules, outputs for stack rules)."""
    raw = r["outputs"] if outputs else r["properties"]
    return Resource(
        type=r["type"],
        name=r["name"],
        props=unwrap(raw),
        secret_paths=secret_paths(raw),
        urn=r["urn"],
        protect=r["options"]["protect"],
        parent=r["options"]["parent"],
        dependencies=tuple(r["dependencies"]),
        property_dependencies={k: tuple(v) for k, v in r["propertyDependencies"].items()},
    )


# -- types -------------------------------------------------------------------------------------
RG = "aws:elasticache/replicationGroup:ReplicationGroup"
EC_CLUSTER = "aws:elasticache/cluster:Cluster"
PG = "aws:elasticache/parameterGroup:ParameterGroup"
RDS = "aws:rds/instance:Instance"
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
SERVICE = "aws:ecs/service:Service"
REPO = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
SECRET = "aws:secretsmanager/secret:Secret"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
MQ_BROKER = "aws:mq/broker:Broker"


# -- compliant building blocks -----------------------------------------------------------------
def parameter_group(name: str = "queue-params", policy: str | None = "noeviction") -> Res:
    params = [{"name": "maxmemory-policy", "value": policy}] if policy is not None else []
    return res(PG, name, {"family": "redis7", "parameters": params, "name": name}, id=name)


def replication_group(
    name: str = "queue", protect: bool = True, pg: Res | None = None, **changes: Any
) -> Res:
    props: dict[str, Any] = {
        "description": "BullMQ queue",
        "engine": "redis",
        "nodeType": "cache.t3.micro",
        "numCacheClusters": 2,
        "automaticFailoverEnabled": True,
        "multiAzEnabled": True,
        "atRestEncryptionEnabled": True,
        "transitEncryptionEnabled": True,
        "authToken": secret("s3cr3t-token-value"),
        "snapshotRetentionLimit": 7,
        "parameterGroupName": "queue-params",
        "subnetGroupName": "queue-subnets",
        "securityGroupIds": ["sg-cache"],
    }
    props.update(changes)
    props = {k: v for k, v in props.items() if v is not None}
    deps = {"parameterGroupName": [pg["urn"]]} if pg is not None else None
    return res(RG, name, props, protect=protect, property_dependencies=deps)


def db_instance(name: str = "app-db", protect: bool = True, **changes: Any) -> Res:
    props: dict[str, Any] = {
        "engine": "postgres",
        "engineVersion": "16",
        "instanceClass": "db.t4g.micro",
        "allocatedStorage": 20,
        "username": "proliferate",
        "manageMasterUserPassword": True,
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "app-db-final",
        "backupRetentionPeriod": 7,
        "storageEncrypted": True,
        "publiclyAccessible": False,
        "multiAz": True,
        "iamDatabaseAuthenticationEnabled": True,
        "autoMinorVersionUpgrade": True,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
    }
    props.update(changes)
    return res(RDS, name, {k: v for k, v in props.items() if v is not None}, protect=protect)


def security_group(name: str, ingress: list[dict[str, Any]] | None = None) -> Res:
    return res(
        SG, name, {"vpcId": "vpc-main", "ingress": ingress or [], "egress": []}, id=f"sg-{name}"
    )


def open_ingress(
    port: int, cidr: str = "0.0.0.0/0", protocol: str = "tcp", to_port: int | None = None
) -> dict[str, Any]:
    key = "ipv6CidrBlocks" if ":" in cidr else "cidrBlocks"
    return {
        "protocol": protocol,
        "fromPort": port,
        "toPort": to_port if to_port is not None else port,
        key: [cidr],
    }


def load_balancer(name: str = "web", groups: Sequence[Res] = (), **changes: Any) -> Res:
    props: dict[str, Any] = {
        "loadBalancerType": "application",
        "internal": False,
        "securityGroups": [g["id"] for g in groups],
        "subnets": ["subnet-a", "subnet-b"],
        "dropInvalidHeaderFields": True,
        "enableDeletionProtection": True,
        "accessLogs": {"bucket": "proliferate-lb-logs", "enabled": True},
    }
    props.update(changes)
    deps = {"securityGroups": [g["urn"] for g in groups]} if groups else None
    arn = f"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/{name}/abc"
    return res(
        LB,
        name,
        {k: v for k, v in props.items() if v is not None},
        id=arn,
        outputs={"arn": arn},
        property_dependencies=deps,
    )


def listener(name: str, lb: Res, protocol: str, **changes: Any) -> Res:
    props: dict[str, Any] = {
        "loadBalancerArn": lb["id"],
        "protocol": protocol,
        "port": 443 if protocol == "HTTPS" else 80,
    }
    if protocol == "HTTPS":
        props.update(
            sslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
            certificateArn="arn:aws:acm:us-east-1:123456789012:certificate/abc",
            defaultActions=[{"type": "forward", "targetGroupArn": "arn:tg"}],
        )
    else:
        props["defaultActions"] = [
            {
                "type": "redirect",
                "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
            }
        ]
    props.update(changes)
    return res(
        LISTENER,
        name,
        {k: v for k, v in props.items() if v is not None},
        property_dependencies={"loadBalancerArn": [lb["urn"]]},
    )


def task_definition(name: str = "worker", **container_changes: Any) -> Res:
    container: dict[str, Any] = {
        "name": name,
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:abc",
        "essential": True,
        "environment": [
            {"name": "NODE_ENV", "value": "production"},
            {"name": "LOG_LEVEL", "value": "info"},
        ],
        "secrets": [
            {
                "name": "DATABASE_URL",
                "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbC:DATABASE_URL::",
            }
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/proliferate/worker",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "worker",
            },
        },
    }
    container.update(container_changes)
    props = {
        "family": name,
        "cpu": "256",
        "memory": "512",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "executionRoleArn": "arn:aws:iam::123456789012:role/execution",
        "taskRoleArn": "arn:aws:iam::123456789012:role/worker-task",
        "containerDefinitions": json.dumps([{k: v for k, v in container.items() if v is not None}]),
    }
    return res(TASK_DEF, name, props)


def repository(name: str = "worker", **changes: Any) -> Res:
    props: dict[str, Any] = {
        "name": name,
        "imageScanningConfiguration": {"scanOnPush": True},
        "imageTagMutability": "IMMUTABLE",
    }
    props.update(changes)
    return res(REPO, name, {k: v for k, v in props.items() if v is not None}, id=name)


def a_secret(name: str = "app-secrets", **changes: Any) -> Res:
    arn = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf"
    props: dict[str, Any] = {"name": name}
    props.update(changes)
    return res(SECRET, name, props, id=arn, outputs={"arn": arn})


def bucket(name: str = "logs", **changes: Any) -> Res:
    """An S3 bucket (v7 ``Bucket``); its id is its name, as AWS and the offline mocks say."""
    props: dict[str, Any] = {"bucket": name, **changes}
    arn = f"arn:aws:s3:::{name}"
    return res(
        BUCKET,
        name,
        {k: v for k, v in props.items() if v is not None},
        id=name,
        outputs={"arn": arn},
    )


def bucket_config(type_: str, name: str, of: Res, **props: Any) -> Res:
    """A bucket's separate configuration resource, its ``bucket`` input depending on ``of``."""
    return res(
        type_,
        name,
        {"bucket": of["id"], **props},
        id=of["id"],
        property_dependencies={"bucket": [of["urn"]]},
    )


def public_access_block(of: Res, name: str = "logs-pab", **off: bool) -> Res:
    flags = {
        f: True
        for f in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    }
    flags.update(off)
    return bucket_config(BUCKET_PAB, name, of, **flags)


def tls_only_statement(of: Res) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{of['id']}"
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def bucket_policy(of: Res, *statements: dict[str, Any], name: str = "logs-policy") -> Res:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return bucket_config(BUCKET_POLICY, name, of, policy=json.dumps(document))


# -- the cases ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """Resources a policy must accept, and resources where it must report ``offender``."""

    compliant: list[Res]
    noncompliant: list[Res]
    offender: str
    """Name of the resource the violation must be reported against."""


def _noeviction() -> Case:
    pg = parameter_group()
    return Case(
        [pg, replication_group(pg=pg)],
        [replication_group(parameterGroupName="default.redis7")],
        "queue",
    )


def _public_ingress() -> Case:
    lb_sg = security_group("lb", [open_ingress(443), open_ingress(443, "::/0")])
    lb = load_balancer(groups=[lb_sg])
    http_rule = res(
        INGRESS_RULE,
        "lb-http",
        {
            "securityGroupId": lb_sg["id"],
            "cidrIpv4": "0.0.0.0/0",
            "ipProtocol": "tcp",
            "fromPort": 80,
            "toPort": 80,
        },
        property_dependencies={"securityGroupId": [lb_sg["urn"]]},
    )
    app_sg = security_group(
        "app",
        [{"protocol": "tcp", "fromPort": 8080, "toPort": 8080, "securityGroups": [lb_sg["id"]]}],
    )
    bad = security_group("bastion", [open_ingress(22)])
    return Case([lb_sg, lb, http_rule, app_sg], [bad], "bastion")


def _elb_pair() -> tuple[Res, Res, Res]:
    lb = load_balancer()
    return lb, listener("https", lb, "HTTPS"), listener("http", lb, "HTTP")


def _http_redirect() -> Case:
    lb, https, http = _elb_pair()
    forward = listener(
        "http", lb, "HTTP", defaultActions=[{"type": "forward", "targetGroupArn": "arn:tg"}]
    )
    return Case([lb, https, http], [lb, https, forward], "http")


def _https_listener() -> Case:
    lb, https, http = _elb_pair()
    forward = listener(
        "http", lb, "HTTP", defaultActions=[{"type": "forward", "targetGroupArn": "arn:tg"}]
    )
    return Case([lb, https, http], [lb, forward], "web")


def _flow_logs() -> Case:
    vpc = res(VPC, "main", {"cidrBlock": "10.0.0.0/16", "enableDnsHostnames": True}, id="vpc-main")
    fl = res(
        FLOW_LOG,
        "main-flow-log",
        {
            "vpcId": "vpc-main",
            "trafficType": "ALL",
            "logDestination": "arn:aws:logs:us-east-1:123456789012:log-group:/vpc",
        },
        property_dependencies={"vpcId": [vpc["urn"]]},
    )
    return Case([vpc, fl], [vpc], "main")


def _lifecycle() -> Case:
    repo = repository()
    lp = res(
        LIFECYCLE,
        "worker-lifecycle",
        {"repository": "worker", "policy": '{"rules": []}'},
        property_dependencies={"repository": [repo["urn"]]},
    )
    return Case([repo, lp], [repo], "worker")


def _rotation() -> Case:
    s = a_secret()
    rot = res(
        ROTATION,
        "app-secrets-rotation",
        {
            "secretId": s["id"],
            "rotationLambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:rotate",
            "rotationRules": {"automaticallyAfterDays": 30},
        },
        property_dependencies={"secretId": [s["urn"]]},
    )
    return Case([s, rot], [s], "app-secrets")


def _s3_cases() -> dict[str, Any]:
    logs = bucket()
    log_delivery = {  # what ALB access logs need: a service principal, narrowed by account
        "Effect": "Allow",
        "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{logs['id']}/*",
    }
    org_read = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{logs['id']}/*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
    }
    public_read = {
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{logs['id']}/*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},  # says how, not who
    }

    def lifecycle(status: str) -> Res:
        rule = {"id": "expire", "status": status, "expiration": {"days": 365}}
        return bucket_config(BUCKET_LIFECYCLE, "logs-lifecycle", logs, rules=[rule])

    def versioning(status: str) -> Res:
        return bucket_config(
            BUCKET_VERSIONING, "logs-versioning", logs, versioningConfiguration={"status": status}
        )

    sse = bucket_config(
        BUCKET_SSE,
        "logs-sse",
        logs,
        rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}],
    )
    return {
        "proliferate-s3-no-public-acl": lambda: _single(
            bucket_config(BUCKET_ACL, "logs-acl", logs, acl="private"),
            bucket_config(BUCKET_ACL, "public-acl", logs, acl="public-read"),
        ),
        "proliferate-s3-no-public-policy": lambda: _single(
            bucket_policy(logs, tls_only_statement(logs), log_delivery, org_read),
            bucket_policy(logs, tls_only_statement(logs), public_read, name="public-policy"),
        ),
        "proliferate-s3-public-access-block-on": lambda: _single(
            public_access_block(logs),
            public_access_block(logs, name="open-pab", restrictPublicBuckets=False),
        ),
        "proliferate-s3-bucket-public-access-block": lambda: Case(
            [logs, public_access_block(logs)], [logs], "logs"
        ),
        "proliferate-s3-tls-only": lambda: Case(
            [logs, bucket_policy(logs, tls_only_statement(logs))],
            [logs, bucket_policy(logs, log_delivery)],
            "logs",
        ),
        "proliferate-s3-encryption": lambda: Case([logs, sse], [logs], "logs"),
        "proliferate-s3-lifecycle": lambda: Case(
            [logs, lifecycle("Enabled")], [logs, lifecycle("Disabled")], "logs"
        ),
        "proliferate-s3-versioning": lambda: Case(
            [logs, versioning("Enabled")], [logs, versioning("Suspended")], "logs"
        ),
        "proliferate-s3-access-logging": lambda: Case(
            [logs, bucket_config(BUCKET_LOGGING, "logs-logging", logs, targetBucket="audit")],
            [logs],
            "logs",
        ),
    }


def mq_broker(name: str = "broker", password: Any = None) -> Res:
    user = {
        "username": "app",
        "password": password if password is not None else secret("mq-pw-1234567"),
    }
    return res(
        MQ_BROKER,
        name,
        {
            "brokerName": name,
            "engineType": "ActiveMQ",
            "engineVersion": "5.18",
            "hostInstanceType": "mq.t3.micro",
            "users": [user],
        },
    )


def _plaintext_credentials() -> Case:
    # pulumi-aws does not mark a broker's users[].password secret: a literal stays plaintext
    return Case(
        [
            db_instance(password=secret("generated-pw"), manageMasterUserPassword=None),
            mq_broker(),
            task_definition(),
        ],
        [mq_broker("literal-broker", password="hunter2-literal")],
        "literal-broker",
    )


def _single(compliant: Res, noncompliant: Res) -> Case:
    return Case([compliant], [noncompliant], noncompliant["name"])


CASES: dict[str, Case] = {
    "proliferate-elasticache-noeviction": _noeviction(),
    "proliferate-elasticache-snapshot-retention": _single(
        replication_group(), replication_group(snapshotRetentionLimit=0)
    ),
    "proliferate-elasticache-automatic-failover": _single(
        replication_group(), replication_group(automaticFailoverEnabled=False, multiAzEnabled=False)
    ),
    "proliferate-elasticache-multi-az": _single(
        replication_group(), replication_group(multiAzEnabled=False)
    ),
    "proliferate-elasticache-encryption-at-rest": _single(
        replication_group(), replication_group(atRestEncryptionEnabled=False)
    ),
    "proliferate-elasticache-encryption-in-transit": _single(
        replication_group(), replication_group(transitEncryptionEnabled=False)
    ),
    "proliferate-elasticache-auth-token": _single(
        replication_group(), replication_group(authToken=None)
    ),
    "proliferate-elasticache-no-single-node-redis": _single(
        res(
            EC_CLUSTER,
            "sessions",
            {"engine": "memcached", "nodeType": "cache.t3.micro", "numCacheNodes": 2},
        ),
        res(
            EC_CLUSTER,
            "queue-node",
            {"engine": "redis", "nodeType": "cache.t3.micro", "numCacheNodes": 1},
        ),
    ),
    "proliferate-elasticache-in-vpc": _single(
        replication_group(), replication_group(subnetGroupName=None)
    ),
    "proliferate-rds-deletion-protection": _single(
        db_instance(), db_instance(deletionProtection=False)
    ),
    "proliferate-rds-final-snapshot": _single(db_instance(), db_instance(skipFinalSnapshot=True)),
    "proliferate-rds-backup-retention": _single(
        db_instance(), db_instance(backupRetentionPeriod=3)
    ),
    "proliferate-rds-storage-encrypted": _single(
        db_instance(), db_instance(storageEncrypted=False)
    ),
    "proliferate-rds-not-public": _single(db_instance(), db_instance(publiclyAccessible=True)),
    "proliferate-rds-multi-az": _single(db_instance(), db_instance(multiAz=False)),
    "proliferate-rds-iam-auth": _single(
        db_instance(), db_instance(iamDatabaseAuthenticationEnabled=None)
    ),
    "proliferate-rds-auto-minor-version-upgrade": _single(
        db_instance(), db_instance(autoMinorVersionUpgrade=False)
    ),
    "proliferate-rds-log-exports": _single(
        db_instance(), db_instance(enabledCloudwatchLogsExports=[])
    ),
    "proliferate-protect-data-stores": _single(db_instance(), db_instance(protect=False)),
    "proliferate-ec2-no-public-ingress": _public_ingress(),
    "proliferate-ec2-default-security-group-closed": _single(
        res(DEFAULT_SG, "default", {"vpcId": "vpc-main"}),
        res(
            DEFAULT_SG,
            "default-open",
            {
                "vpcId": "vpc-main",
                "ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}],
            },
        ),
    ),
    "proliferate-vpc-flow-logs": _flow_logs(),
    "proliferate-ec2-subnet-no-auto-public-ip": _single(
        res(
            SUBNET,
            "private-a",
            {"vpcId": "vpc-main", "cidrBlock": "10.0.1.0/24", "mapPublicIpOnLaunch": False},
        ),
        res(
            SUBNET,
            "public-a",
            {"vpcId": "vpc-main", "cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": True},
        ),
    ),
    "proliferate-ecs-no-plaintext-secrets": _single(
        task_definition(),
        task_definition(
            "gateway",
            environment=[
                {"name": "NODE_ENV", "value": "production"},
                {"name": "DATABASE_URL", "value": "postgres://u:p@h/db"},
            ],
        ),
    ),
    "proliferate-ecs-litellm-master-key": _single(
        task_definition(
            "llm-proxy",
            secrets=[
                {
                    "name": "LITELLM_MASTER_KEY",
                    "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:llm-AbC:LLM_PROXY_MASTER_KEY::",
                }
            ],
        ),
        task_definition(
            "llm-proxy",
            secrets=[
                {
                    "name": "LLM_PROXY_MASTER_KEY",
                    "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:llm-AbC:LLM_PROXY_MASTER_KEY::",
                }
            ],
        ),
    ),
    "proliferate-ecs-awslogs": _single(
        task_definition(), task_definition("gateway", logConfiguration=None)
    ),
    "proliferate-ecs-not-privileged": _single(
        task_definition(), task_definition("gateway", privileged=True)
    ),
    "proliferate-ecs-container-insights": _single(
        res(ECS_CLUSTER, "main", {"settings": [{"name": "containerInsights", "value": "enabled"}]}),
        res(
            ECS_CLUSTER, "plain", {"settings": [{"name": "containerInsights", "value": "disabled"}]}
        ),
    ),
    "proliferate-ecs-no-public-ip": _single(
        res(
            SERVICE,
            "worker",
            {
                "cluster": "main",
                "taskDefinition": "worker",
                "networkConfiguration": {"subnets": ["subnet-a"], "assignPublicIp": False},
            },
        ),
        res(
            SERVICE,
            "gateway",
            {
                "cluster": "main",
                "taskDefinition": "gateway",
                "networkConfiguration": {"subnets": ["subnet-a"], "assignPublicIp": True},
            },
        ),
    ),
    "proliferate-ecs-separate-task-roles": _single(
        task_definition(),
        res(
            TASK_DEF,
            "shared-role",
            {
                **task_definition()["properties"],
                "taskRoleArn": "arn:aws:iam::123456789012:role/execution",
            },
        ),
    ),
    "proliferate-ecr-scan-on-push": _single(
        repository(), repository("gateway", imageScanningConfiguration={"scanOnPush": False})
    ),
    "proliferate-ecr-immutable-tags": _single(
        repository(), repository("gateway", imageTagMutability="MUTABLE")
    ),
    "proliferate-ecr-lifecycle-policy": _lifecycle(),
    "proliferate-logs-retention": _single(
        res(LOG_GROUP, "worker-logs", {"name": "/proliferate/worker", "retentionInDays": 30}),
        res(LOG_GROUP, "forever-logs", {"name": "/proliferate/forever"}),
    ),
    "proliferate-elb-http-redirect": _http_redirect(),
    "proliferate-elb-https-listener": _https_listener(),
    "proliferate-elb-tls-policy": _single(
        listener("https", load_balancer(), "HTTPS"),
        listener("legacy-https", load_balancer(), "HTTPS", sslPolicy="ELBSecurityPolicy-2016-08"),
    ),
    "proliferate-elb-drop-invalid-headers": _single(
        load_balancer(), load_balancer("lax", dropInvalidHeaderFields=False)
    ),
    "proliferate-elb-access-logs": _single(
        load_balancer(), load_balancer("quiet", accessLogs=None)
    ),
    "proliferate-elb-deletion-protection": _single(
        load_balancer(), load_balancer("fragile", enableDeletionProtection=False)
    ),
    "proliferate-secretsmanager-recovery-window": _single(
        a_secret(), a_secret("throwaway", recoveryWindowInDays=0)
    ),
    "proliferate-secretsmanager-rotation": _rotation(),
    # -- the production hardening (advisory by default, mandatory in the prod profile) ----
    "proliferate-kms-key-rotation": _single(
        res(KMS_KEY, "stack-key", {"enableKeyRotation": True, "deletionWindowInDays": 30}),
        res(KMS_KEY, "static-key", {"enableKeyRotation": False}),
    ),
    "proliferate-logs-kms": _single(
        res(LOG_GROUP, "worker-logs", {"retentionInDays": 365, "kmsKeyId": KEY_ARN}),
        res(LOG_GROUP, "plain-logs", {"retentionInDays": 365}),
    ),
    "proliferate-ecr-kms": _single(
        repository(encryptionConfigurations=[{"encryptionType": "KMS", "kmsKey": KEY_ARN}]),
        repository("gateway", encryptionConfigurations=[{"encryptionType": "AES256"}]),
    ),
    "proliferate-secretsmanager-kms": _single(a_secret(kmsKeyId=KEY_ARN), a_secret("aws-managed")),
    "proliferate-elasticache-kms": _single(
        replication_group(kmsKeyId=KEY_ARN), replication_group("aws-managed-cache")
    ),
    "proliferate-rds-kms": _single(db_instance(kmsKeyId=KEY_ARN), db_instance("aws-managed-db")),
    "proliferate-rds-performance-insights": _single(
        db_instance(performanceInsightsEnabled=True, performanceInsightsKmsKeyId=KEY_ARN),
        db_instance("blind-db", performanceInsightsEnabled=False),
    ),
    "proliferate-rds-enhanced-monitoring": _single(
        db_instance(
            monitoringInterval=60,
            monitoringRoleArn="arn:aws:iam::123456789012:role/rds-monitoring",
        ),
        db_instance("unmonitored-db", monitoringInterval=0),
    ),
    "proliferate-rds-query-logging": _single(
        res(
            RDS_PG,
            "db-params",
            {
                "family": "postgres16",
                "parameters": [
                    {"name": "rds.force_ssl", "value": "1"},
                    {"name": "log_statement", "value": "ddl"},
                    {"name": "log_min_duration_statement", "value": "1000"},
                ],
            },
        ),
        res(
            RDS_PG,
            "quiet-params",
            {"family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
        ),
    ),
    "proliferate-ecs-readonly-root-filesystem": _single(
        task_definition("web", readonlyRootFilesystem=True),
        task_definition("scribbler", readonlyRootFilesystem=False),
    ),
    **{rule_id: case() for rule_id, case in _s3_cases().items()},
    "proliferate-credentials-not-in-plaintext": _plaintext_credentials(),
}
"""Policy id -> its compliant and non-compliant resources."""
