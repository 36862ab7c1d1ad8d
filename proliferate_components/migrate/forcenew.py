"""What each Terraform resource becomes in Pulumi, how it is imported, and which of its
properties force a replacement.

:data:`PULUMI_TYPES` maps a Terraform type to the Pulumi type token of the component child
that takes it over; :func:`import_id` builds the id ``pulumi import`` expects (the "Import"
section of each pulumi-aws resource); :data:`REPLACEMENT_PROPERTIES` lists, per Pulumi type,
the inputs whose change makes the provider replace the resource (``ForceNew`` attributes of
the terraform-provider-aws schema that pulumi-aws bridges), each with the Terraform
attribute it is read from.

Only properties the components can set (or leave to a provider default) are listed; a
ForceNew attribute that neither side sets (e.g. ``outpost_arn``) cannot differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast

from .tfstate import TfResource, rule_shape, unresolved_rule_id

__all__ = [
    "PULUMI_TYPES",
    "RECOGNISED_TYPES",
    "REPLACEMENT_PROPERTIES",
    "UNORDERED_INPUTS",
    "ReplacementProperty",
    "camel",
    "import_id",
    "normalize",
    "pulumi_type_of",
    "snake",
    "values_equal",
]

PULUMI_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "aws_vpc": "aws:ec2/vpc:Vpc",
        "aws_subnet": "aws:ec2/subnet:Subnet",
        "aws_internet_gateway": "aws:ec2/internetGateway:InternetGateway",
        "aws_eip": "aws:ec2/eip:Eip",
        "aws_nat_gateway": "aws:ec2/natGateway:NatGateway",
        "aws_route_table": "aws:ec2/routeTable:RouteTable",
        "aws_route": "aws:ec2/route:Route",
        "aws_route_table_association": "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws_ecs_cluster": "aws:ecs/cluster:Cluster",
        "aws_cloudwatch_log_group": "aws:cloudwatch/logGroup:LogGroup",
        "aws_ecr_repository": "aws:ecr/repository:Repository",
        "aws_ecr_lifecycle_policy": "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws_iam_role": "aws:iam/role:Role",
        "aws_iam_role_policy": "aws:iam/rolePolicy:RolePolicy",
        "aws_ecs_task_definition": "aws:ecs/taskDefinition:TaskDefinition",
        "aws_ecs_service": "aws:ecs/service:Service",
        "aws_security_group": "aws:ec2/securityGroup:SecurityGroup",
        "aws_vpc_security_group_ingress_rule": "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws_vpc_security_group_egress_rule": "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws_lb": "aws:lb/loadBalancer:LoadBalancer",
        "aws_alb": "aws:lb/loadBalancer:LoadBalancer",
        "aws_lb_listener": "aws:lb/listener:Listener",
        "aws_alb_listener": "aws:lb/listener:Listener",
        "aws_lb_target_group": "aws:lb/targetGroup:TargetGroup",
        "aws_alb_target_group": "aws:lb/targetGroup:TargetGroup",
        "aws_elasticache_replication_group": "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws_elasticache_subnet_group": "aws:elasticache/subnetGroup:SubnetGroup",
        "aws_elasticache_parameter_group": "aws:elasticache/parameterGroup:ParameterGroup",
        "aws_db_instance": "aws:rds/instance:Instance",
        "aws_db_subnet_group": "aws:rds/subnetGroup:SubnetGroup",
        "aws_db_parameter_group": "aws:rds/parameterGroup:ParameterGroup",
        "aws_default_security_group": "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws_default_network_acl": "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
        "aws_default_route_table": "aws:ec2/defaultRouteTable:DefaultRouteTable",
        "aws_ecs_cluster_capacity_providers": (
            "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
        ),
        "aws_lb_listener_rule": "aws:lb/listenerRule:ListenerRule",
        "aws_alb_listener_rule": "aws:lb/listenerRule:ListenerRule",
    }
)
"""Terraform type -> the Pulumi type of the component child that adopts it, where the two
are the same AWS object. Not here: ``aws_security_group_rule`` (ingress or egress, see
:func:`pulumi_type_of`), ``aws_elasticache_cluster`` (the components run a replication
group, a different AWS object) and ``aws_iam_role_policy_attachment`` (the components
grant with inline policies only)."""

RECOGNISED_TYPES: frozenset[str] = frozenset(
    {
        *PULUMI_TYPES,
        "aws_security_group_rule",
        "aws_elasticache_cluster",
        "aws_iam_role_policy_attachment",
        "aws_iam_policy",
        "aws_secretsmanager_secret",
        "aws_secretsmanager_secret_version",
    }
)
"""Every Terraform type the migration knows about (others are reported as not recognised)."""


def pulumi_type_of(res: TfResource) -> str | None:
    """The Pulumi type that adopts ``res``, or ``None`` when no component child can."""
    if res.type == "aws_security_group_rule":
        kind = "Ingress" if res.attr("type") == "ingress" else "Egress"
        return f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule"
    return PULUMI_TYPES.get(res.type)


def _tail(value: Any, sep: str = "/") -> str:
    return str(value or "").rsplit(sep, 1)[-1]


def _unresolved(rule: TfResource) -> str:
    """The placeholder id of a rule whose ``sgr-`` id the state does not hold (``""`` for
    a rule without a source)."""
    shapes = rule_shape(rule)
    return unresolved_rule_id(shapes[0]) if len(shapes) == 1 else ""


_IMPORT_IDS: Mapping[str, Callable[[TfResource], str]] = MappingProxyType(
    {
        "aws_eip": lambda r: str(r.attr("allocation_id") or r.id),
        "aws_route": lambda r: f"{r.attr('route_table_id')}_{r.attr('destination_cidr_block')}",
        "aws_route_table_association": lambda r: (
            f"{r.attr('subnet_id')}/{r.attr('route_table_id')}"
        ),
        "aws_ecs_cluster": lambda r: str(r.attr("name") or _tail(r.id)),
        "aws_cloudwatch_log_group": lambda r: str(r.attr("name") or r.id),
        "aws_ecr_repository": lambda r: str(r.attr("name") or r.id),
        "aws_ecr_lifecycle_policy": lambda r: str(r.attr("repository") or r.id),
        "aws_iam_role": lambda r: str(r.attr("name") or r.id),
        "aws_iam_role_policy": lambda r: r.id,
        "aws_ecs_task_definition": lambda r: str(r.attr("arn") or r.id),
        "aws_ecs_service": lambda r: f"{_tail(r.attr('cluster'))}/{r.attr('name')}",
        "aws_security_group_rule": lambda r: (
            str(r.attr("security_group_rule_id") or "") or _unresolved(r)
        ),
        "aws_vpc_security_group_ingress_rule": lambda r: (
            str(r.attr("security_group_rule_id") or r.id) or _unresolved(r)
        ),
        "aws_vpc_security_group_egress_rule": lambda r: (
            str(r.attr("security_group_rule_id") or r.id) or _unresolved(r)
        ),
        "aws_db_instance": lambda r: str(r.attr("identifier") or r.id),
        "aws_db_subnet_group": lambda r: str(r.attr("name") or r.id),
        "aws_db_parameter_group": lambda r: str(r.attr("name") or r.id),
        "aws_lb_listener_rule": lambda r: str(r.attr("arn") or r.id),
        "aws_alb_listener_rule": lambda r: str(r.attr("arn") or r.id),
        "aws_lb": lambda r: str(r.attr("arn") or r.id),
        "aws_alb": lambda r: str(r.attr("arn") or r.id),
        "aws_lb_listener": lambda r: str(r.attr("arn") or r.id),
        "aws_alb_listener": lambda r: str(r.attr("arn") or r.id),
        "aws_lb_target_group": lambda r: str(r.attr("arn") or r.id),
        "aws_alb_target_group": lambda r: str(r.attr("arn") or r.id),
        "aws_elasticache_subnet_group": lambda r: str(r.attr("name") or r.id),
        "aws_elasticache_parameter_group": lambda r: str(r.attr("name") or r.id),
        # A default route table is imported by its VPC's id (pulumi-aws's Import section).
        "aws_default_route_table": lambda r: str(r.attr("vpc_id") or ""),
        "aws_ecs_cluster_capacity_providers": lambda r: str(r.attr("cluster_name") or r.id),
    }
)


def import_id(res: TfResource) -> str:
    """The id ``pulumi import`` takes for ``res`` (per pulumi-aws's "Import" sections):
    e.g. ``rtb-1_0.0.0.0/0`` for a route, ``subnet-1/rtb-1`` for a route table
    association, ``<cluster>/<service>`` for an ECS service, the name for a log group, the
    ARN for load balancers, listeners, target groups and task definitions, the ``sgr-``
    id for a rule. ``""`` when the state lacks what the id needs."""
    build = _IMPORT_IDS.get(res.type)
    return build(res) if build is not None else res.id


def camel(name: str) -> str:
    """``cidr_block`` -> ``cidrBlock`` (Pulumi input names are the camelCase Terraform names)."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def snake(name: str) -> str:
    """``cidrBlock`` -> ``cidr_block``."""
    out: list[str] = []
    for ch in name:
        if ch.isupper():
            out.append("_" + ch.lower())
        else:
            out.append(ch)
    return "".join(out)


def normalize(value: Any) -> Any:
    """A canonical form for comparing a Terraform attribute with a Pulumi input.

    Integral floats become ints (Pulumi sends numbers as floats), ``"true"``/``"false"``
    become booleans (the AWS provider stores some booleans as strings), dict keys become
    snake_case, a one-element list of a dict (a Terraform block) becomes the dict, JSON
    text of an object or array becomes the parsed value, and empty values (``None``,
    ``""``, ``[]``, ``{}``) become ``None``.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text in ("true", "false"):  # hashicorp/aws 5 stores a few booleans as strings
            return text == "true"
        if text[:1] in ("{", "[") and text[-1:] in ("}", "]"):
            try:
                return normalize(json.loads(text))
            except json.JSONDecodeError:
                return value
        return value or None
    if isinstance(value, dict):
        items = cast("dict[Any, Any]", value)
        out = {snake(str(k)): normalize(v) for k, v in items.items()}
        out = {k: v for k, v in out.items() if v is not None}
        return out or None
    if isinstance(value, list):
        items_list: list[Any] = [normalize(v) for v in cast("list[Any]", value)]
        items_list = [v for v in items_list if v is not None]
        if len(items_list) == 1 and isinstance(items_list[0], dict):
            return cast("dict[str, Any]", items_list[0])
        return items_list or None
    return value


def values_equal(state_value: Any, input_value: Any, *, unordered: bool = False) -> bool:
    """Whether a state attribute and a component input are the same after :func:`normalize`;
    ``unordered`` compares lists as sets (security group ids, subnets)."""
    a, b = normalize(state_value), normalize(input_value)
    if unordered and isinstance(a, list) and isinstance(b, list):
        a_list = cast("list[Any]", a)
        b_list = cast("list[Any]", b)
        return sorted(map(repr, a_list)) == sorted(map(repr, b_list))
    return a == b


@dataclass(frozen=True)
class ReplacementProperty:
    """One input whose change replaces the resource."""

    pulumi_input: str
    """The Pulumi input (camelCase), e.g. ``cidrBlock``."""
    tf_attribute: str
    """The Terraform state attribute it is read from, e.g. ``cidr_block``."""
    autonamed: bool = False
    """Pulumi generates ``<logical name>-<random>`` when the component leaves it unset."""
    default: Any = None
    """What the provider uses when the component leaves it unset (``None``: nothing)."""
    computed: bool = False
    """Left unset, the provider keeps whatever AWS chose (``Optional+Computed``): no
    difference then."""


def _p(
    pulumi_input: str,
    tf_attribute: str,
    *,
    autonamed: bool = False,
    default: Any = None,
    computed: bool = False,
) -> ReplacementProperty:
    return ReplacementProperty(pulumi_input, tf_attribute, autonamed, default, computed)


REPLACEMENT_PROPERTIES: Mapping[str, tuple[ReplacementProperty, ...]] = MappingProxyType(
    {
        "aws:ec2/vpc:Vpc": (_p("cidrBlock", "cidr_block"),),
        "aws:ec2/subnet:Subnet": (
            _p("vpcId", "vpc_id"),
            _p("cidrBlock", "cidr_block"),
            _p("availabilityZone", "availability_zone"),
        ),
        "aws:ec2/internetGateway:InternetGateway": (),
        "aws:ec2/eip:Eip": (_p("domain", "domain", default="standard"),),
        "aws:ec2/natGateway:NatGateway": (
            _p("allocationId", "allocation_id"),
            _p("subnetId", "subnet_id"),
            _p("connectivityType", "connectivity_type", default="public"),
        ),
        "aws:ec2/routeTable:RouteTable": (_p("vpcId", "vpc_id"),),
        "aws:ec2/route:Route": (
            _p("routeTableId", "route_table_id"),
            _p("destinationCidrBlock", "destination_cidr_block"),
        ),
        "aws:ec2/routeTableAssociation:RouteTableAssociation": (_p("subnetId", "subnet_id"),),
        "aws:ecs/cluster:Cluster": (_p("name", "name", autonamed=True),),
        "aws:cloudwatch/logGroup:LogGroup": (
            _p("name", "name", autonamed=True),
            _p("logGroupClass", "log_group_class", default="STANDARD"),
        ),
        "aws:ecr/repository:Repository": (
            _p("name", "name", autonamed=True),
            _p(
                "encryptionConfigurations",
                "encryption_configuration",
                default=[{"encryption_type": "AES256"}],
            ),
        ),
        "aws:ecr/lifecyclePolicy:LifecyclePolicy": (_p("repository", "repository"),),
        "aws:iam/role:Role": (_p("name", "name", autonamed=True), _p("path", "path", default="/")),
        "aws:iam/rolePolicy:RolePolicy": (_p("name", "name", autonamed=True), _p("role", "role")),
        "aws:ecs/taskDefinition:TaskDefinition": (
            _p("family", "family"),
            _p("containerDefinitions", "container_definitions"),
            _p("cpu", "cpu"),
            _p("memory", "memory"),
            _p("networkMode", "network_mode"),
            _p("requiresCompatibilities", "requires_compatibilities"),
            _p("executionRoleArn", "execution_role_arn"),
            _p("taskRoleArn", "task_role_arn"),
        ),
        "aws:ecs/service:Service": (
            _p("name", "name", autonamed=True),
            _p("cluster", "cluster"),
            _p("launchType", "launch_type"),
            _p("schedulingStrategy", "scheduling_strategy", default="REPLICA"),
        ),
        "aws:ec2/securityGroup:SecurityGroup": (
            _p("name", "name", autonamed=True),
            _p("description", "description", default="Managed by Pulumi"),
            _p("vpcId", "vpc_id"),
        ),
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
            _p("securityGroupId", "security_group_id"),
        ),
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
            _p("securityGroupId", "security_group_id"),
        ),
        "aws:lb/loadBalancer:LoadBalancer": (
            _p("name", "name", autonamed=True),
            _p("internal", "internal", default=False),
            _p("loadBalancerType", "load_balancer_type", default="application"),
        ),
        "aws:lb/listener:Listener": (_p("loadBalancerArn", "load_balancer_arn"),),
        "aws:lb/targetGroup:TargetGroup": (
            _p("name", "name", autonamed=True),
            _p("port", "port"),
            _p("protocol", "protocol"),
            _p("vpcId", "vpc_id"),
            _p("targetType", "target_type", default="instance"),
        ),
        "aws:elasticache/replicationGroup:ReplicationGroup": (
            _p("replicationGroupId", "replication_group_id"),
            _p("atRestEncryptionEnabled", "at_rest_encryption_enabled", default=False),
            _p("kmsKeyId", "kms_key_id"),
            _p("port", "port", default=6379),
            _p("subnetGroupName", "subnet_group_name"),
            _p("snapshotName", "snapshot_name"),
        ),
        "aws:elasticache/subnetGroup:SubnetGroup": (_p("name", "name"),),
        "aws:elasticache/parameterGroup:ParameterGroup": (
            _p("name", "name"),
            _p("family", "family"),
            _p("description", "description", default="Managed by Pulumi"),
        ),
        "aws:rds/instance:Instance": (
            _p("engine", "engine"),
            _p("dbName", "db_name"),
            _p("username", "username"),
            _p("storageEncrypted", "storage_encrypted", default=False),
            _p("kmsKeyId", "kms_key_id", computed=True),
            _p("characterSetName", "character_set_name", computed=True),
        ),
        "aws:rds/subnetGroup:SubnetGroup": (_p("name", "name"),),
        "aws:rds/parameterGroup:ParameterGroup": (
            _p("name", "name"),
            _p("family", "family"),
            _p("description", "description", default="Managed by Pulumi"),
        ),
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (_p("vpcId", "vpc_id"),),
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": (
            _p("defaultNetworkAclId", "default_network_acl_id"),
        ),
        "aws:ec2/defaultRouteTable:DefaultRouteTable": (
            _p("defaultRouteTableId", "default_route_table_id"),
        ),
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": (
            _p("clusterName", "cluster_name"),
        ),
        "aws:lb/listenerRule:ListenerRule": (_p("listenerArn", "listener_arn"),),
    }
)
"""Pulumi type -> its replacement-forcing inputs (terraform-provider-aws ``ForceNew``
attributes), with the Terraform attribute each is read from. Shared by the migration's
classification and its tests: an adopted resource must agree on every one of these."""

UNORDERED_INPUTS: frozenset[str] = frozenset(
    {"securityGroupIds", "securityGroups", "subnets", "subnetIds", "requiresCompatibilities"}
)
"""Inputs that are sets in AWS (order does not matter when comparing)."""
