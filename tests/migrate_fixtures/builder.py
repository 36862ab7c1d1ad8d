"""Build Terraform state v4 documents shaped like the spec's ``infra/terraform/`` deployment.

``main.tf`` (VPC, public/private subnets, NAT gateway + EIP, internet gateway, route tables,
ECS cluster, log groups), ``worker.tf`` (ECR repo + lifecycle policy, execution and task
roles, task definition, service, security group), ``llm-proxy.tf`` (ECR repo, ALB with HTTP
and optional HTTPS listeners, target group, task definition, service, security groups) and
``elasticache.tf`` (a single cache cluster or a replication group, subnet group, parameter
group, security group and rules). :class:`TfDeployment` has a field for every variation the
tests need; :func:`build_state` returns the state as a dict (``json.dumps`` it for a file).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from proliferate_components.subnets import plan_subnets

ACCOUNT = "210987654321"
AWS_PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'


def _hex(*parts: object, n: int = 17) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:n]


@dataclass(frozen=True, kw_only=True)
class TfDeployment:
    """One variation of the spec's Terraform deployment."""

    name: str = "proliferate"
    """The ``var.environment``-style prefix of every Terraform name."""
    region: str = "us-east-1"
    vpc_cidr: str = "10.0.0.0/16"
    az_count: int = 2
    subnet_layout: Literal["terraform", "component"] = "terraform"
    """``terraform``: ``cidrsubnet(var.vpc_cidr, 8, i)`` public then ``+10`` private (the usual
    hand-written layout); ``component``: exactly :func:`plan_subnets`'s layout."""
    nat_per_az: bool = False
    inline_routes: bool = False
    """Routes as ``route`` blocks of the route tables instead of ``aws_route`` resources."""
    worker_cpu: int = 256
    worker_memory: int = 512
    llm_proxy_cpu: int = 512
    llm_proxy_memory: int = 1024
    desired_count: int = 1
    log_retention_days: int = 30
    https: bool = False
    certificate_arn: str = (
        "arn:aws:acm:us-east-1:210987654321:certificate/11111111-2222-3333-4444-555555555555"
    )
    redis_kind: Literal["cluster", "replication_group"] = "cluster"
    redis_node_type: str = "cache.t3.micro"
    redis_engine_version: str = "7.0"
    redis_nodes: int = 1
    redis_noeviction: bool = True
    redis_encrypted: bool = False
    redis_snapshot_retention: int = 0
    redis_group_id: str | None = None
    """Replication group id; default ``<name>-redis``."""
    redis_subnet_group_name: str | None = None
    redis_parameter_group_name: str | None = None
    redis_parameter_group_description: str = "Redis parameters for BullMQ"
    rule_style: Literal["standalone", "vpc"] = "standalone"
    """``standalone``: ``aws_security_group_rule``; ``vpc``: ``aws_vpc_security_group_*_rule``."""
    policy_attachment: bool = True
    extra: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    """Raw resource objects appended as they are."""

    @property
    def zones(self) -> list[str]:
        return [f"{self.region}{c}" for c in "abcdef"[: self.az_count]]

    def subnet_cidrs(self) -> tuple[list[str], list[str]]:
        if self.subnet_layout == "component":
            layout = plan_subnets(self.vpc_cidr, self.az_count)
            return list(layout.public), list(layout.private)
        net = ipaddress.IPv4Network(self.vpc_cidr)
        new_prefix = min(net.prefixlen + 8, 28)
        subnets = list(net.subnets(new_prefix=new_prefix))
        public = [str(subnets[i]) for i in range(self.az_count)]
        private = [str(subnets[10 + i]) for i in range(self.az_count)]
        return public, private


class _Builder:
    def __init__(self, d: TfDeployment) -> None:
        self.d = d
        self.resources: list[dict[str, Any]] = []

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        return f"arn:aws:{service}:{self.d.region if regional else ''}:{ACCOUNT}:{resource}"

    def add(
        self, rtype: str, name: str, instances: list[dict[str, Any]], *, each: str | None = None
    ) -> None:
        res: dict[str, Any] = {
            "mode": "managed",
            "type": rtype,
            "name": name,
            "provider": AWS_PROVIDER,
            "instances": [
                {
                    **({"index_key": i} if each else {}),
                    "schema_version": 0,
                    "attributes": attrs,
                    "sensitive_attributes": [],
                }
                for i, attrs in enumerate(instances)
            ],
        }
        if each:
            res["each"] = each
        self.resources.append(res)

    def tags(self, name: str) -> dict[str, Any]:
        return {"tags": {"Name": name}, "tags_all": {"Name": name, "Environment": self.d.name}}

    def build(self) -> dict[str, Any]:
        d, n = self.d, self.d.name
        vpc_id = f"vpc-{_hex(n, 'vpc')}"
        self.add(
            "aws_vpc",
            "main",
            [
                {
                    "id": vpc_id,
                    "arn": self.arn("ec2", f"vpc/{vpc_id}"),
                    "cidr_block": d.vpc_cidr,
                    "enable_dns_hostnames": True,
                    "enable_dns_support": True,
                    "instance_tenancy": "default",
                    "main_route_table_id": f"rtb-{_hex(n, 'main')}",
                    "owner_id": ACCOUNT,
                    **self.tags(f"{n}-vpc"),
                }
            ],
        )
        public, private = d.subnet_cidrs()
        pub_ids = [f"subnet-{_hex(n, 'pub', i)}" for i in range(d.az_count)]
        priv_ids = [f"subnet-{_hex(n, 'priv', i)}" for i in range(d.az_count)]
        for tier, cidrs, ids in (("public", public, pub_ids), ("private", private, priv_ids)):
            self.add(
                "aws_subnet",
                tier,
                [
                    {
                        "id": ids[i],
                        "arn": self.arn("ec2", f"subnet/{ids[i]}"),
                        "vpc_id": vpc_id,
                        "cidr_block": cidrs[i],
                        "availability_zone": d.zones[i],
                        "map_public_ip_on_launch": tier == "public",
                        **self.tags(f"{n}-{tier}-{i}"),
                    }
                    for i in range(d.az_count)
                ],
                each="list",
            )
        igw_id = f"igw-{_hex(n, 'igw')}"
        self.add(
            "aws_internet_gateway",
            "main",
            [
                {
                    "id": igw_id,
                    "vpc_id": vpc_id,
                    "arn": self.arn("ec2", f"internet-gateway/{igw_id}"),
                    **self.tags(f"{n}-igw"),
                }
            ],
        )
        nat_count = d.az_count if d.nat_per_az else 1
        eip_ids = [f"eipalloc-{_hex(n, 'eip', j)}" for j in range(nat_count)]
        nat_ids = [f"nat-{_hex(n, 'nat', j)}" for j in range(nat_count)]
        self.add(
            "aws_eip",
            "nat",
            [
                {
                    "id": eip_ids[j],
                    "allocation_id": eip_ids[j],
                    "domain": "vpc",
                    "public_ip": f"198.51.100.{j + 10}",
                    **self.tags(f"{n}-nat-eip-{j}"),
                }
                for j in range(nat_count)
            ],
            each="list",
        )
        self.add(
            "aws_nat_gateway",
            "main",
            [
                {
                    "id": nat_ids[j],
                    "allocation_id": eip_ids[j],
                    "subnet_id": pub_ids[j],
                    "connectivity_type": "public",
                    **self.tags(f"{n}-nat-{j}"),
                }
                for j in range(nat_count)
            ],
            each="list",
        )
        pub_rt = f"rtb-{_hex(n, 'rt-pub')}"
        priv_rts = [f"rtb-{_hex(n, 'rt-priv', j)}" for j in range(nat_count)]

        def inline(target: dict[str, str]) -> list[dict[str, Any]]:
            if not d.inline_routes:
                return []
            return [{"cidr_block": "0.0.0.0/0", "gateway_id": "", "nat_gateway_id": "", **target}]

        self.add(
            "aws_route_table",
            "public",
            [
                {
                    "id": pub_rt,
                    "vpc_id": vpc_id,
                    "route": inline({"gateway_id": igw_id}),
                    **self.tags(f"{n}-public-rt"),
                }
            ],
        )
        self.add(
            "aws_route_table",
            "private",
            [
                {
                    "id": priv_rts[j],
                    "vpc_id": vpc_id,
                    "route": inline({"nat_gateway_id": nat_ids[j]}),
                    **self.tags(f"{n}-private-rt-{j}"),
                }
                for j in range(nat_count)
            ],
            each="list",
        )
        if not d.inline_routes:
            self.add(
                "aws_route",
                "public_internet",
                [
                    {
                        "id": f"r-{pub_rt}1080289494",
                        "route_table_id": pub_rt,
                        "destination_cidr_block": "0.0.0.0/0",
                        "gateway_id": igw_id,
                        "nat_gateway_id": "",
                    }
                ],
            )
            self.add(
                "aws_route",
                "private_nat",
                [
                    {
                        "id": f"r-{priv_rts[j]}1080289494",
                        "route_table_id": priv_rts[j],
                        "destination_cidr_block": "0.0.0.0/0",
                        "gateway_id": "",
                        "nat_gateway_id": nat_ids[j],
                    }
                    for j in range(nat_count)
                ],
                each="list",
            )
        self.add(
            "aws_route_table_association",
            "public",
            [
                {
                    "id": f"rtbassoc-{_hex(n, 'rta-pub', i)}",
                    "subnet_id": pub_ids[i],
                    "route_table_id": pub_rt,
                    "gateway_id": "",
                }
                for i in range(d.az_count)
            ],
            each="list",
        )
        self.add(
            "aws_route_table_association",
            "private",
            [
                {
                    "id": f"rtbassoc-{_hex(n, 'rta-priv', i)}",
                    "subnet_id": priv_ids[i],
                    "route_table_id": priv_rts[i if nat_count > 1 else 0],
                    "gateway_id": "",
                }
                for i in range(d.az_count)
            ],
            each="list",
        )
        cluster_arn = self.arn("ecs", f"cluster/{n}-cluster")
        self.add(
            "aws_ecs_cluster",
            "main",
            [
                {
                    "id": cluster_arn,
                    "arn": cluster_arn,
                    "name": f"{n}-cluster",
                    "setting": [{"name": "containerInsights", "value": "enabled"}],
                    **self.tags(f"{n}-cluster"),
                }
            ],
        )
        self._roles(n)
        self._security_groups(n, vpc_id)
        self._alb(n, vpc_id, pub_ids)
        for service, port, cpu, memory in (
            ("worker", 8080, d.worker_cpu, d.worker_memory),
            ("llm-proxy", 4000, d.llm_proxy_cpu, d.llm_proxy_memory),
        ):
            self._service(n, service, port, cpu, memory, priv_ids, cluster_arn)
        self._redis(n, priv_ids)
        self.resources.extend(d.extra)
        return {
            "version": 4,
            "terraform_version": "1.9.8",
            "serial": 17,
            "lineage": f"{_hex(n, 'lineage', n=8)}-0000-4000-8000-{_hex(n, 'l2', n=12)}",
            "outputs": {},
            "resources": self.resources,
            "check_results": None,
        }

    def _roles(self, n: str) -> None:
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        self.add(
            "aws_iam_role",
            "ecs_execution",
            [
                {
                    "id": f"{n}-ecs-execution",
                    "name": f"{n}-ecs-execution",
                    "arn": self.arn("iam", f"role/{n}-ecs-execution", regional=False),
                    "path": "/",
                    "assume_role_policy": trust,
                    "unique_id": f"AROA{_hex(n, 'exec').upper()}",
                    **self.tags(f"{n}-ecs-execution"),
                }
            ],
        )
        self.add(
            "aws_iam_role",
            "ecs_task",
            [
                {
                    "id": f"{n}-ecs-task",
                    "name": f"{n}-ecs-task",
                    "arn": self.arn("iam", f"role/{n}-ecs-task", regional=False),
                    "path": "/",
                    "assume_role_policy": trust,
                    "unique_id": f"AROA{_hex(n, 'task').upper()}",
                    **self.tags(f"{n}-ecs-task"),
                }
            ],
        )
        if self.d.policy_attachment:
            policy = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
            self.add(
                "aws_iam_role_policy_attachment",
                "ecs_execution",
                [
                    {
                        "id": f"{n}-ecs-execution-2024",
                        "role": f"{n}-ecs-execution",
                        "policy_arn": policy,
                    }
                ],
            )
        self.add(
            "aws_iam_role_policy",
            "ecs_execution_secrets",
            [
                {
                    "id": f"{n}-ecs-execution:secrets",
                    "name": "secrets",
                    "role": f"{n}-ecs-execution",
                    "policy": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "secretsmanager:GetSecretValue",
                                    "Resource": "*",
                                }
                            ],
                        }
                    ),
                }
            ],
        )

    def _security_groups(self, n: str, vpc_id: str) -> None:
        self.sg = {
            key: f"sg-{_hex(n, 'sg', key)}" for key in ("alb", "worker", "llm-proxy", "redis")
        }
        for key, sg in self.sg.items():
            self.add(
                "aws_security_group",
                key.replace("-", "_"),
                [
                    {
                        "id": sg,
                        "arn": self.arn("ec2", f"security-group/{sg}"),
                        "name": f"{n}-{key}-sg",
                        "description": f"{key} security group",
                        "vpc_id": vpc_id,
                        "ingress": [],
                        "egress": [],
                        "owner_id": ACCOUNT,
                        "revoke_rules_on_delete": False,
                        **self.tags(f"{n}-{key}-sg"),
                    }
                ],
            )
        rules: list[tuple[str, str, str, int, int, str, str | None, str | None]] = [
            ("alb_http", "ingress", self.sg["alb"], 80, 80, "tcp", "0.0.0.0/0", None),
            (
                "llm_proxy_from_alb",
                "ingress",
                self.sg["llm-proxy"],
                4000,
                4000,
                "tcp",
                None,
                self.sg["alb"],
            ),
            (
                "redis_from_worker",
                "ingress",
                self.sg["redis"],
                6379,
                6379,
                "tcp",
                None,
                self.sg["worker"],
            ),
            (
                "redis_from_llm_proxy",
                "ingress",
                self.sg["redis"],
                6379,
                6379,
                "tcp",
                None,
                self.sg["llm-proxy"],
            ),
            ("worker_egress", "egress", self.sg["worker"], 0, 0, "-1", "0.0.0.0/0", None),
            ("llm_proxy_egress", "egress", self.sg["llm-proxy"], 0, 0, "-1", "0.0.0.0/0", None),
            ("alb_egress", "egress", self.sg["alb"], 0, 0, "-1", "0.0.0.0/0", None),
        ]
        if self.d.https:
            rules.append(
                ("alb_https", "ingress", self.sg["alb"], 443, 443, "tcp", "0.0.0.0/0", None)
            )
        for name, direction, sg, from_port, to_port, protocol, cidr, source in rules:
            sgr = f"sgr-{_hex(n, 'rule', name)}"
            if self.d.rule_style == "standalone":
                self.add(
                    "aws_security_group_rule",
                    name,
                    [
                        {
                            "id": f"sgrule-{int(_hex(n, name, n=8), 16)}",
                            "security_group_rule_id": sgr,
                            "type": direction,
                            "security_group_id": sg,
                            "from_port": from_port,
                            "to_port": to_port,
                            "protocol": protocol,
                            "cidr_blocks": [cidr] if cidr else [],
                            "ipv6_cidr_blocks": [],
                            "source_security_group_id": source,
                            "self": False,
                            "description": "",
                        }
                    ],
                )
            else:
                rtype = f"aws_vpc_security_group_{direction}_rule"
                self.add(
                    rtype,
                    name,
                    [
                        {
                            "id": sgr,
                            "security_group_rule_id": sgr,
                            "arn": self.arn("ec2", f"security-group-rule/{sgr}"),
                            "security_group_id": sg,
                            "from_port": None if protocol == "-1" else from_port,
                            "to_port": None if protocol == "-1" else to_port,
                            "ip_protocol": protocol,
                            "cidr_ipv4": cidr,
                            "referenced_security_group_id": source,
                            "description": None,
                            "tags": None,
                        }
                    ],
                )

    def _alb(self, n: str, vpc_id: str, subnets: list[str]) -> None:
        lb_arn = self.arn(
            "elasticloadbalancing", f"loadbalancer/app/{n}-alb/{_hex(n, 'alb', n=16)}"
        )
        self.lb_arn = lb_arn
        self.add(
            "aws_lb",
            "main",
            [
                {
                    "id": lb_arn,
                    "arn": lb_arn,
                    "name": f"{n}-alb",
                    "internal": False,
                    "load_balancer_type": "application",
                    "security_groups": [self.sg["alb"]],
                    "subnets": subnets,
                    "idle_timeout": 60,
                    "enable_deletion_protection": False,
                    "dns_name": f"{n}-alb-123.{self.d.region}.elb.amazonaws.com",
                    "zone_id": "Z35SXDOTRQ7X7K",
                    **self.tags(f"{n}-alb"),
                }
            ],
        )
        self.tg_arn = self.arn(
            "elasticloadbalancing", f"targetgroup/{n}-llm-proxy/{_hex(n, 'tg', n=16)}"
        )
        self.add(
            "aws_lb_target_group",
            "llm_proxy",
            [
                {
                    "id": self.tg_arn,
                    "arn": self.tg_arn,
                    "name": f"{n}-llm-proxy",
                    "port": 4000,
                    "protocol": "HTTP",
                    "target_type": "ip",
                    "vpc_id": vpc_id,
                    "deregistration_delay": "30",
                    "health_check": [
                        {
                            "enabled": True,
                            "path": "/health/liveliness",
                            "port": "traffic-port",
                            "protocol": "HTTP",
                            "matcher": "200",
                            "interval": 30,
                            "timeout": 5,
                            "healthy_threshold": 3,
                            "unhealthy_threshold": 3,
                        }
                    ],
                    **self.tags(f"{n}-llm-proxy-tg"),
                }
            ],
        )
        forward = [
            {
                "type": "forward",
                "target_group_arn": self.tg_arn,
                "redirect": [],
                "fixed_response": [],
            }
        ]
        http_arn = self.arn(
            "elasticloadbalancing",
            f"listener/app/{n}-alb/{_hex(n, 'alb', n=16)}/{_hex(n, 'http', n=16)}",
        )
        if self.d.https:
            redirect = [
                {
                    "type": "redirect",
                    "redirect": [{"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}],
                    "target_group_arn": "",
                    "fixed_response": [],
                }
            ]
            self.add(
                "aws_lb_listener",
                "http",
                [
                    {
                        "id": http_arn,
                        "arn": http_arn,
                        "load_balancer_arn": lb_arn,
                        "port": 80,
                        "protocol": "HTTP",
                        "default_action": redirect,
                        "certificate_arn": None,
                        "ssl_policy": "",
                    }
                ],
            )
            https_arn = self.arn(
                "elasticloadbalancing",
                f"listener/app/{n}-alb/{_hex(n, 'alb', n=16)}/{_hex(n, 'https', n=16)}",
            )
            self.add(
                "aws_lb_listener",
                "https",
                [
                    {
                        "id": https_arn,
                        "arn": https_arn,
                        "load_balancer_arn": lb_arn,
                        "port": 443,
                        "protocol": "HTTPS",
                        "default_action": forward,
                        "certificate_arn": self.d.certificate_arn,
                        "ssl_policy": "ELBSecurityPolicy-2016-08",
                    }
                ],
            )
        else:
            self.add(
                "aws_lb_listener",
                "http",
                [
                    {
                        "id": http_arn,
                        "arn": http_arn,
                        "load_balancer_arn": lb_arn,
                        "port": 80,
                        "protocol": "HTTP",
                        "default_action": forward,
                        "certificate_arn": None,
                        "ssl_policy": "",
                    }
                ],
            )

    def _service(
        self,
        n: str,
        service: str,
        port: int,
        cpu: int,
        memory: int,
        subnets: list[str],
        cluster_arn: str,
    ) -> None:
        key = service.replace("-", "_")
        repo_url = f"{ACCOUNT}.dkr.ecr.{self.d.region}.amazonaws.com/{n}-{service}"
        self.add(
            "aws_ecr_repository",
            key,
            [
                {
                    "id": f"{n}-{service}",
                    "name": f"{n}-{service}",
                    "arn": self.arn("ecr", f"repository/{n}-{service}"),
                    "repository_url": repo_url,
                    "registry_id": ACCOUNT,
                    "image_tag_mutability": "MUTABLE",
                    "force_delete": False,
                    "encryption_configuration": [{"encryption_type": "AES256", "kms_key": ""}],
                    "image_scanning_configuration": [{"scan_on_push": True}],
                    **self.tags(f"{n}-{service}"),
                }
            ],
        )
        policy = json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "description": "keep 10",
                        "selection": {
                            "tagStatus": "any",
                            "countType": "imageCountMoreThan",
                            "countNumber": 10,
                        },
                        "action": {"type": "expire"},
                    }
                ]
            }
        )
        self.add(
            "aws_ecr_lifecycle_policy",
            key,
            [
                {
                    "id": f"{n}-{service}",
                    "repository": f"{n}-{service}",
                    "policy": policy,
                    "registry_id": ACCOUNT,
                }
            ],
        )
        group = f"/ecs/{n}-{service}"
        self.add(
            "aws_cloudwatch_log_group",
            key,
            [
                {
                    "id": group,
                    "name": group,
                    "arn": self.arn("logs", f"log-group:{group}"),
                    "retention_in_days": self.d.log_retention_days,
                    "log_group_class": "STANDARD",
                    "kms_key_id": "",
                    "skip_destroy": False,
                    **self.tags(group),
                }
            ],
        )
        containers = [
            {
                "name": service,
                "image": f"{repo_url}:latest",
                "essential": True,
                "portMappings": [{"containerPort": port, "hostPort": port, "protocol": "tcp"}],
                "environment": [{"name": "NODE_ENV", "value": "production"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": group,
                        "awslogs-region": self.d.region,
                        "awslogs-stream-prefix": service,
                    },
                },
            }
        ]
        family = f"{n}-{service}"
        task_arn = self.arn("ecs", f"task-definition/{family}:3")
        self.add(
            "aws_ecs_task_definition",
            key,
            [
                {
                    "id": family,
                    "arn": task_arn,
                    "arn_without_revision": self.arn("ecs", f"task-definition/{family}"),
                    "family": family,
                    "revision": 3,
                    "cpu": str(cpu),
                    "memory": str(memory),
                    "network_mode": "awsvpc",
                    "requires_compatibilities": ["FARGATE"],
                    "execution_role_arn": self.arn(
                        "iam", f"role/{n}-ecs-execution", regional=False
                    ),
                    "task_role_arn": self.arn("iam", f"role/{n}-ecs-task", regional=False),
                    "container_definitions": json.dumps(containers),
                    "runtime_platform": [],
                    **self.tags(family),
                }
            ],
        )
        load_balancer = (
            [
                {
                    "target_group_arn": self.tg_arn,
                    "container_name": service,
                    "container_port": port,
                    "elb_name": "",
                }
            ]
            if service == "llm-proxy"
            else []
        )
        self.add(
            "aws_ecs_service",
            key,
            [
                {
                    "id": self.arn("ecs", f"service/{n}-cluster/{n}-{service}"),
                    "name": f"{n}-{service}",
                    "cluster": cluster_arn,
                    "task_definition": task_arn,
                    "desired_count": self.d.desired_count,
                    "launch_type": "FARGATE",
                    "scheduling_strategy": "REPLICA",
                    "platform_version": "LATEST",
                    "network_configuration": [
                        {
                            "subnets": subnets,
                            "security_groups": [self.sg[service]],
                            "assign_public_ip": False,
                        }
                    ],
                    "load_balancer": load_balancer,
                    "deployment_minimum_healthy_percent": 100,
                    "deployment_maximum_percent": 200,
                    "enable_execute_command": False,
                    **self.tags(f"{n}-{service}"),
                }
            ],
        )

    def _redis(self, n: str, subnets: list[str]) -> None:
        d = self.d
        group_id = d.redis_group_id or f"{n}-redis"
        subnet_group = d.redis_subnet_group_name or f"{n}-redis-subnets"
        family = f"redis{d.redis_engine_version.split('.')[0]}"
        param_group = d.redis_parameter_group_name or f"{n}-redis-params"
        self.add(
            "aws_elasticache_subnet_group",
            "main",
            [
                {
                    "id": subnet_group,
                    "name": subnet_group,
                    "description": "Managed by Terraform",
                    "subnet_ids": subnets,
                    "arn": self.arn("elasticache", f"subnetgroup:{subnet_group}"),
                    **self.tags(subnet_group),
                }
            ],
        )
        params = [{"name": "maxmemory-policy", "value": "noeviction"}] if d.redis_noeviction else []
        self.add(
            "aws_elasticache_parameter_group",
            "bullmq",
            [
                {
                    "id": param_group,
                    "name": param_group,
                    "family": family,
                    "description": d.redis_parameter_group_description,
                    "parameter": params,
                    "arn": self.arn("elasticache", f"parametergroup:{param_group}"),
                    **self.tags(param_group),
                }
            ],
        )
        common = {
            "node_type": d.redis_node_type,
            "engine": "redis",
            "engine_version": d.redis_engine_version,
            "engine_version_actual": f"{d.redis_engine_version}.7",
            "port": 6379,
            "parameter_group_name": param_group,
            "subnet_group_name": subnet_group,
            "security_group_ids": [self.sg["redis"]],
            "snapshot_retention_limit": d.redis_snapshot_retention,
            "snapshot_window": "03:00-04:00",
            "maintenance_window": "sun:05:00-sun:06:00",
            **self.tags(group_id),
        }
        if d.redis_kind == "cluster":
            self.add(
                "aws_elasticache_cluster",
                "redis",
                [
                    {
                        "id": group_id,
                        "cluster_id": group_id,
                        "num_cache_nodes": 1,
                        "replication_group_id": "",
                        "arn": self.arn("elasticache", f"cluster:{group_id}"),
                        **common,
                    }
                ],
            )
        else:
            self.add(
                "aws_elasticache_replication_group",
                "redis",
                [
                    {
                        "id": group_id,
                        "replication_group_id": group_id,
                        "description": "BullMQ",
                        "num_cache_clusters": d.redis_nodes,
                        "automatic_failover_enabled": d.redis_nodes > 1,
                        "multi_az_enabled": d.redis_nodes > 1,
                        "at_rest_encryption_enabled": d.redis_encrypted,
                        "transit_encryption_enabled": d.redis_encrypted,
                        "kms_key_id": "",
                        "cluster_mode": "disabled",
                        "arn": self.arn("elasticache", f"replicationgroup:{group_id}"),
                        "primary_endpoint_address": f"master.{group_id}.abc123.use1.cache.amazonaws.com",
                        **common,
                    }
                ],
            )


def build_state(deployment: TfDeployment | None = None) -> dict[str, Any]:
    """A Terraform state v4 document for ``deployment`` (default: the spec's dev shape)."""
    return _Builder(deployment or TfDeployment()).build()


DEV = TfDeployment()
"""The spec's dev deployment: 256/512 worker, 512/1024 llm-proxy, cache.t3.micro single node, HTTP."""

PROD = TfDeployment(
    worker_cpu=512,
    worker_memory=1024,
    llm_proxy_cpu=1024,
    llm_proxy_memory=2048,
    desired_count=2,
    https=True,
    nat_per_az=True,
    redis_kind="replication_group",
    redis_node_type="cache.t3.small",
    redis_nodes=2,
    redis_snapshot_retention=7,
    redis_encrypted=True,
)
"""The spec's prod deployment: bigger tasks, HTTPS, a NAT gateway per AZ, a 2-node replication group."""
