"""A small web app on plain pulumi_aws resources: VPC, ALB, one ECS service, Postgres, Redis."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from proliferate_components.errors import ConfigError

config = pulumi.Config()
app_port = config.get_int("appPort") or 8080
if not 1 <= app_port <= 65535:
    raise ConfigError("plainapp:appPort", app_port, "a TCP port between 1 and 65535")
enable_database = config.get_bool("enableDatabase")
deletion_protection = config.get_bool("deletionProtection")
allowed_cidrs = config.get_object("allowedCidrs") or []
api_token = config.require_secret("apiToken")

vpc = aws.ec2.Vpc("main", cidr_block="10.20.0.0/16", enable_dns_hostnames=True)
igw = aws.ec2.InternetGateway("main-igw", vpc_id=vpc.id)
public_rt = aws.ec2.RouteTable("public-rt", vpc_id=vpc.id)
aws.ec2.Route(
    "public-default",
    route_table_id=public_rt.id,
    destination_cidr_block="0.0.0.0/0",
    gateway_id=igw.id,
)
public, private = [], []
for i, az in enumerate(["us-west-2a", "us-west-2b"]):
    pub = aws.ec2.Subnet(
        f"public-{i}",
        vpc_id=vpc.id,
        cidr_block=f"10.20.{i}.0/24",
        availability_zone=az,
        map_public_ip_on_launch=True,
    )
    aws.ec2.RouteTableAssociation(f"public-{i}-rta", subnet_id=pub.id, route_table_id=public_rt.id)
    public.append(pub)
    private.append(
        aws.ec2.Subnet(
            f"private-{i}", vpc_id=vpc.id, cidr_block=f"10.20.{10 + i}.0/24", availability_zone=az
        )
    )

lb_sg = aws.ec2.SecurityGroup(
    "lb-sg",
    vpc_id=vpc.id,
    description="load balancer",
    ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}],
    egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
)
app_sg = aws.ec2.SecurityGroup("app-sg", vpc_id=vpc.id, description="app tasks")
aws.vpc.SecurityGroupIngressRule(
    "app-from-lb",
    security_group_id=app_sg.id,
    referenced_security_group_id=lb_sg.id,
    ip_protocol="tcp",
    from_port=app_port,
    to_port=app_port,
)
aws.vpc.SecurityGroupIngressRule(
    "app-from-office",
    security_group_id=app_sg.id,
    cidr_ipv4=allowed_cidrs[0],
    ip_protocol="tcp",
    from_port=22,
    to_port=22,
)
db_sg = aws.ec2.SecurityGroup("db-sg", vpc_id=vpc.id, description="postgres")
aws.ec2.SecurityGroupRule(
    "db-from-app",
    type="ingress",
    security_group_id=db_sg.id,
    source_security_group_id=app_sg.id,
    protocol="tcp",
    from_port=5432,
    to_port=5432,
)
cache_sg = aws.ec2.SecurityGroup(
    "cache-sg",
    vpc_id=vpc.id,
    description="redis",
    ingress=[
        {"protocol": "tcp", "from_port": 6379, "to_port": 6379, "security_groups": [app_sg.id]}
    ],
)

lb = aws.lb.LoadBalancer(
    "web-lb",
    load_balancer_type="application",
    subnets=[s.id for s in public],
    security_groups=[lb_sg.id],
)
tg = aws.lb.TargetGroup("web-tg", port=app_port, protocol="HTTP", target_type="ip", vpc_id=vpc.id)
aws.lb.Listener(
    "web-https",
    load_balancer_arn=lb.arn,
    port=443,
    protocol="HTTPS",
    certificate_arn="arn:aws:acm:us-west-2:123456789012:certificate/00000000-0000-0000-0000-000000000000",
    default_actions=[{"type": "forward", "target_group_arn": tg.arn}],
)

logs = aws.cloudwatch.LogGroup("app-logs", retention_in_days=30)
cluster = aws.ecs.Cluster("app-cluster")
password = random.RandomPassword("db-password", length=24, special=False)

if enable_database:
    db_subnets = aws.rds.SubnetGroup("db-subnets", subnet_ids=[s.id for s in private])
    db = aws.rds.Instance(
        "app-db",
        engine="postgres",
        engine_version="16.4",
        instance_class="db.t4g.micro",
        allocated_storage=20,
        username="app",
        password=password.result,
        db_subnet_group_name=db_subnets.name,
        vpc_security_group_ids=[db_sg.id],
        storage_encrypted=True,
        deletion_protection=deletion_protection,
        backup_retention_period=7,
        skip_final_snapshot=False,
        final_snapshot_identifier="app-db-final",
        opts=pulumi.ResourceOptions(protect=True),
    )
    database_url = pulumi.Output.secret(
        pulumi.Output.format("postgres://app:{0}@{1}/app", password.result, db.endpoint)
    )
    pulumi.export("databaseUrl", database_url)

cache_subnets = aws.elasticache.SubnetGroup("cache-subnets", subnet_ids=[s.id for s in private])
cache = aws.elasticache.ReplicationGroup(
    "app-cache",
    description="app cache",
    engine="redis",
    node_type="cache.t4g.micro",
    num_cache_clusters=1,
    subnet_group_name=cache_subnets.name,
    security_group_ids=[cache_sg.id],
    at_rest_encryption_enabled=True,
    transit_encryption_enabled=True,
)

task = aws.ecs.TaskDefinition(
    "app-task",
    family="app",
    cpu="256",
    memory="512",
    network_mode="awsvpc",
    requires_compatibilities=["FARGATE"],
    container_definitions=pulumi.Output.all(logs.name, api_token).apply(
        lambda a: json.dumps(
            [
                {
                    "name": "app",
                    "image": "public.ecr.aws/nginx/nginx:latest",
                    "portMappings": [{"containerPort": app_port}],
                    "environment": [{"name": "API_TOKEN", "value": a[1]}],
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {"awslogs-group": a[0]},
                    },
                }
            ]
        )
    ),
)
service = aws.ecs.Service(
    "app-service",
    cluster=cluster.arn,
    task_definition=task.arn,
    desired_count=1,
    launch_type="FARGATE",
    network_configuration={"subnets": [s.id for s in private], "security_groups": [app_sg.id]},
    load_balancers=[
        {"target_group_arn": tg.arn, "container_name": "app", "container_port": app_port}
    ],
)

pulumi.export("url", pulumi.Output.concat("https://", lb.dns_name))
pulumi.export("dbPassword", password.result)
pulumi.export("vpcId", vpc.id)
