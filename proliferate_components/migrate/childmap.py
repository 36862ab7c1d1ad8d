"""Where each part of a Terraform deployment goes in ``ProliferateStack``: the one table.

Everything the migration knows about the stack's children (their roles, which Terraform part
each one takes over, which ``proliferate:adopt`` entry carries its name, how a shared
Terraform resource is split between services) is written here and nowhere else, so that a
change of the stack's children is one edit of this module:

- **Execution roles** are per service: each service's ``S-execution``
  (``EcsExecutionRole``: ``S-execution-role`` and ``S-execution-policy``) is the role
  ``{service}-execution/role``; a shared Terraform execution role is adopted as the execution
  role of the first service that uses it (:data:`SERVICE_ORDER`), and the other services get
  new roles of their own. Its name travels in ``services.{service}.executionRoleName``.
- **Service security groups** live at stack level (``N-<service>-sg`` with the rules
  ``N-<service>-egress`` and ``N-<service>-ingress-0``, created before the data stores so
  those can admit them): roles ``stack/{service}-sg`` and :data:`RULE`.

A role is ``<group>/<child>``: ``<group>`` is the owning component's name without the stack
component's prefix (``network``, ``lb``, ``redis``, ``postgres``, ``execution``, a service
such as ``worker``, or ``stack`` for the stack's own children) and ``<child>`` the
component's documented child suffix. ``{service}`` stands for a service name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "CLUSTER_PARTS",
    "EXECUTION_POLICY",
    "EXECUTION_ROLE",
    "NAME_CARRIERS",
    "RULE",
    "SECRET_KEY_ALIASES",
    "SECURITY_GROUP",
    "SERVICES",
    "SERVICE_ORDER",
    "SHARED_EXECUTION_ROLE",
    "STORES",
    "TASK_ROLE",
    "TASK_SERVICES",
    "VPC_DEFAULTS",
    "role_for",
]

SERVICES: tuple[str, ...] = ("worker", "llm-proxy", "gateway", "web")
"""The long-running services of the stack."""

TASK_SERVICES: tuple[str, ...] = (*SERVICES, "migrations")
"""Every service with a task definition (``migrations`` has no ECS service)."""

SERVICE_ORDER: tuple[str, ...] = TASK_SERVICES
"""When several services share one Terraform resource (an execution or task role), the
first of them in this order adopts it; the others get a new one."""

STORES: tuple[str, ...] = ("redis", "postgres")
"""The data stores (their security groups admit the services)."""

SHARED_EXECUTION_ROLE: str | None = None
"""The stack's shared execution role, or ``None`` once each service has its own."""

EXECUTION_ROLE: str = "{service}-execution/role"
"""The role a Terraform execution role is adopted as (``{service}``: its first user)."""

EXECUTION_POLICY: str = "{service}-execution/policy"
"""A service's inline policy on its execution role."""

TASK_ROLE: str = "{service}/task-role"
"""A service's task role."""

SECURITY_GROUP: Mapping[str, str] = MappingProxyType(
    {
        "service": "stack/{service}-sg",
        "lb": "lb/sg",
        "redis": "redis/sg",
        "postgres": "postgres/sg",
        "default": "network/default-sg",
    }
)
"""Security groups by owner."""

VPC_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {
        "aws_default_security_group": SECURITY_GROUP["default"],
        "aws_default_network_acl": "network/default-nacl",
        "aws_default_route_table": "network/default-rt",
    }
)
"""The VPC's defaults the ``Network`` takes over, by Terraform type (one of each per VPC)."""

CLUSTER_PARTS: Mapping[str, str] = MappingProxyType(
    {
        "exec-logs": "stack/cluster-exec-logs",
        "capacity-providers": "stack/cluster-capacity-providers",
    }
)
"""The cluster's own satellites: its ECS Exec log group (``/aws/ecs/<cluster name>``, named
after the adopted cluster, so no name of its own travels in config) and its capacity
providers."""

RULE: Mapping[str, str] = MappingProxyType(
    {
        "store-from-service": "stack/{store}-from-{service}",
        "service-from-lb": "stack/{service}-ingress-0",
        "service-egress": "stack/{service}-egress",
        "lb-ingress": "lb/{label}-{family}",
        "lb-to-service": "lb/to-{service}",
    }
)
"""Security group rules by what they open to what (``{label}``: ``http``/``https``,
``{family}``: ``ipv4``/``ipv6``, ``{store}``: an entry of :data:`STORES`)."""

SECRET_KEY_ALIASES: Mapping[str, str] = MappingProxyType(
    {"LITELLM_MASTER_KEY": "LLM_PROXY_MASTER_KEY"}
)
"""Environment names a Terraform task definition may use for a key the stack knows by
another name (upstream sets ``LITELLM_MASTER_KEY`` equal to ``LLM_PROXY_MASTER_KEY``)."""

NAME_CARRIERS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("stack/cluster", ("clusterName",), "name"),
    (EXECUTION_ROLE, ("services", "{service}", "executionRoleName"), "name"),
    ("{service}/service", ("services", "{service}", "serviceName"), "name"),
    ("{service}/repo", ("services", "{service}", "repositoryName"), "name"),
    ("{service}/logs", ("services", "{service}", "logGroupName"), "name"),
    (TASK_ROLE, ("services", "{service}", "taskRoleName"), "name"),
    (EXECUTION_POLICY, ("services", "{service}", "executionPolicyName"), "name"),
    ("{service}/task", ("services", "{service}", "taskFamily"), "family"),
    ("stack/{service}-sg", ("services", "{service}", "securityGroupName"), "name"),
    ("stack/{service}-sg", ("services", "{service}", "securityGroupDescription"), "description"),
    ("lb/tg-{service}", ("services", "{service}", "targetGroupName"), "name"),
    ("redis/replication-group", ("redis", "replicationGroupId"), "replication_group_id"),
    ("redis/subnets", ("redis", "subnetGroupName"), "name"),
    ("redis/params", ("redis", "parameterGroupName"), "name"),
    ("redis/params", ("redis", "parameterGroupDescription"), "description"),
    ("redis/sg", ("redis", "securityGroupName"), "name"),
    ("redis/sg", ("redis", "securityGroupDescription"), "description"),
    ("postgres/instance", ("database", "identifier"), "identifier"),
    ("postgres/instance", ("database", "dbName"), "db_name"),
    ("postgres/instance", ("database", "username"), "username"),
    ("postgres/subnets", ("database", "subnetGroupName"), "name"),
    ("postgres/params", ("database", "parameterGroupName"), "name"),
    ("postgres/params", ("database", "parameterGroupDescription"), "description"),
    ("postgres/sg", ("database", "securityGroupName"), "name"),
    ("postgres/sg", ("database", "securityGroupDescription"), "description"),
    ("lb/alb", ("loadBalancer", "name"), "name"),
    ("lb/sg", ("loadBalancer", "securityGroupName"), "name"),
    ("lb/sg", ("loadBalancer", "securityGroupDescription"), "description"),
)
"""(role, ``proliferate:adopt`` JSON path, Terraform attribute): the existing name each
adopted role carries into the stack config (``{service}`` expands to each service)."""


def role_for(template: str, **parts: str) -> str:
    """``template`` with its ``{service}``/``{store}``/... placeholders filled in."""
    return template.format(**parts)
