"""Plan the adoption of a Terraform deployment by ``ProliferateStack``.

:func:`plan_migration` works in three steps, none of which touches AWS or Pulumi's CLI:

1. infer each Terraform resource's role and derive the stack config
   (:mod:`~proliferate_components.migrate.roles`, :mod:`~proliferate_components.migrate.derive`);
2. run ``ProliferateStack`` with that config under the capture harness twice: first to learn
   the component children (type, logical name, parents) and their roles, then again with
   mocks that answer each adopted child with the Terraform resource's real id and
   attributes, so every input that references another resource (a subnet's ``vpcId``, a
   NAT gateway's ``allocationId``, ...) carries the real id;
3. compare each Terraform resource with the child that plays its role: the properties that
   force a replacement (:data:`~proliferate_components.migrate.forcenew.REPLACEMENT_PROPERTIES`)
   decide whether it can be adopted; the other inputs the component sets are listed as the
   in-place changes the first ``pulumi up`` makes. A resource whose replacement-forcing
   input references a resource that cannot be adopted cannot be adopted either.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pulumi

from ..config import StackConfig
from ..testing import Capture, OfflineMocks, capture
from .derive import DerivedConfig, derive_config
from .forcenew import (
    RECOGNISED_TYPES,
    REPLACEMENT_PROPERTIES,
    UNORDERED_INPUTS,
    camel,
    import_id,
    normalize,
    pulumi_type_of,
    snake,
    values_equal,
)
from .roles import ComponentChild, RoleAssignment, component_roles, terraform_roles
from .tfstate import TfResource, TfState, with_inline_routes

__all__ = [
    "AUTONAME",
    "Difference",
    "MigrationPlan",
    "ResourcePlan",
    "Status",
    "plan_migration",
    "stack_program",
    "urn_of",
]

AUTONAME = "<auto-name>"
"""Shown as the component value of a name Pulumi generates (``<logical name>-<random>``)."""

# Inputs that only steer Pulumi/Terraform behaviour, not the AWS resource.
_BEHAVIOUR_INPUTS = frozenset(
    {
        "applyImmediately",
        "finalSnapshotIdentifier",
        "forceDelete",
        "waitForSteadyState",
        "skipDestroy",
        "authToken",
        "tagsAll",
    }
)


class Status(str, Enum):
    """What happens to a Terraform resource."""

    ADOPT = "adopt"
    """Adopted as is: imported, and the first ``pulumi up`` changes nothing on it."""
    ADOPT_WITH_CHANGES = "adopt_with_changes"
    """Adopted with a config change: imported, then updated in place (properties listed)."""
    BLOCKED = "blocked"
    """Cannot be adopted safely: a replacement-forcing property differs (safe path given)."""
    NOT_ADOPTED = "not_adopted"
    """Not imported: no component child takes it over (what to do with it is given)."""


STATUS_LABELS: Mapping[Status, str] = {
    Status.ADOPT: "adopted as is",
    Status.ADOPT_WITH_CHANGES: "adopted with a config change",
    Status.BLOCKED: "cannot be adopted safely",
    Status.NOT_ADOPTED: "not adopted",
}
"""Human labels of :class:`Status`."""


@dataclass(frozen=True)
class Difference:
    """One property whose Terraform value differs from the component's input."""

    property: str
    """The Pulumi input name (camelCase)."""
    state_value: Any
    """The value in the Terraform state."""
    component_value: Any
    """What the component registers (``<auto-name>`` for a generated name)."""
    forces_replacement: bool
    """Whether the difference would replace the resource."""


@dataclass(frozen=True)
class ResourcePlan:
    """The plan for one Terraform resource."""

    address: str
    """Terraform address."""
    tf_type: str
    """Terraform type."""
    tf_id: str
    """Terraform ``id``."""
    status: Status
    """What happens to it."""
    role: str | None = None
    """Its role (``network/vpc``), if any."""
    pulumi_type: str | None = None
    """Type token of the child that takes it over."""
    logical_name: str | None = None
    """Logical name of that child (e.g. ``proliferate-network-vpc``)."""
    urn: str | None = None
    """URN the child gets (full parent type chain, as the engine builds it)."""
    parent_chain: tuple[tuple[str, str], ...] = ()
    """(type, logical name) of each component ancestor, outermost first."""
    import_id: str | None = None
    """The id to import it with (adopted resources only)."""
    differences: tuple[Difference, ...] = ()
    """Every property that differs (replacement-forcing ones first)."""
    reason: str = ""
    """Why it has this status."""
    safe_path: str = ""
    """For blocked / not adopted resources: what to do instead."""
    missing_inputs: tuple[str, ...] = ()
    """Component inputs that do not exist yet and would allow a clean adoption."""
    inline_of: str | None = None
    """For an inline block (a route table's ``route``), the address of its resource: it has
    no ``terraform state rm`` of its own."""

    @property
    def adopted(self) -> bool:
        """Whether it goes into the import file."""
        return self.status in (Status.ADOPT, Status.ADOPT_WITH_CHANGES)


@dataclass(frozen=True)
class MigrationPlan:
    """Everything the migration found: per-resource plans, config, and the created children."""

    component_name: str
    """Name of the ``ProliferateStack`` component."""
    project: str
    """Pulumi project name (``proliferate``)."""
    stack: str
    """Pulumi stack name."""
    config: DerivedConfig
    """The derived stack config."""
    state: TfState
    """The Terraform state the plan was made from (with inline routes as routes)."""
    resources: tuple[ResourcePlan, ...]
    """One entry per Terraform resource, in state order."""
    created: tuple[tuple[str, str, str], ...] = ()
    """(role, type, logical name) of the component children nothing is adopted into: the
    first ``pulumi up`` creates them."""
    notes: tuple[str, ...] = field(default_factory=tuple[str, ...])
    """Remarks about the whole migration."""

    def by_status(self, status: Status) -> list[ResourcePlan]:
        """The resources with ``status``."""
        return [r for r in self.resources if r.status == status]

    @property
    def missing_inputs(self) -> dict[str, list[str]]:
        """Missing component input -> addresses it would let adopt."""
        out: dict[str, list[str]] = {}
        for r in self.resources:
            for m in r.missing_inputs:
                out.setdefault(m, []).append(r.address)
        return out


# --- the program ----------------------------------------------------------------------------


def stack_program(config: StackConfig, component_name: str) -> Any:
    """The Pulumi program the plan runs: ``ProliferateStack(component_name, config)`` as the
    bundled example builds it, with placeholder secrets (their values are never compared)."""

    def program() -> None:
        from ..environment import ENVIRONMENT, Source
        from ..stack import ProliferateStack

        secrets: dict[str, pulumi.Input[str]] = {
            v.name: "placeholder"
            for v in ENVIRONMENT
            if v.secret and v.source == Source.USER and v.services
        }
        secrets["DATABASE_URL"] = "postgresql://placeholder@localhost:5432/proliferate"
        if config.enable_rds:
            del secrets["DATABASE_URL"]
        ProliferateStack(
            component_name,
            config,
            user_secret_values=secrets,
            settings={},
            strict_secrets=False,
        )

    return program


def _zones(derived: DerivedConfig, region: str) -> list[str]:
    zones = [z for z in derived.availability_zones if z]
    for letter in "abcdef":
        zone = f"{region}{letter}"
        if zone not in zones:
            zones.append(zone)
    return zones


class _AdoptingMocks(OfflineMocks):
    """OfflineMocks that answer adopted children with the Terraform resource's id and
    attributes (so references between resources carry the real ids)."""

    def __init__(
        self,
        region: str,
        availability_zones: list[str],
        answers: Mapping[tuple[str, str], tuple[str, dict[str, Any]]],
    ) -> None:
        super().__init__(region=region, availability_zones=availability_zones)
        self._answers = dict(answers)

    def new_resource(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        rid, outputs = super().new_resource(args)
        answer = self._answers.get((args.typ, args.name))
        if answer is None:
            return rid, outputs
        real_id, attributes = answer
        return real_id, {**outputs, **attributes}


def _answer(res: TfResource, the_import_id: str) -> tuple[str, dict[str, Any]]:
    attributes: dict[str, Any] = {}
    for key, value in res.attributes.items():
        if isinstance(value, (str, int, float, bool)) and value != "" and key != "id":
            attributes[camel(key)] = value
    real_id = res.id
    if res.type == "aws_security_group_rule" and the_import_id:
        real_id = the_import_id
    return real_id, attributes


def _run(
    config: StackConfig,
    derived: DerivedConfig,
    component_name: str,
    stack: str,
    project: str,
    answers: Mapping[tuple[str, str], tuple[str, dict[str, Any]]],
) -> Capture:
    mocks = _AdoptingMocks(config.region, _zones(derived, config.region), answers)
    return capture(
        stack_program(config, component_name),
        config=dict(derived.values),
        secret_keys=sorted(derived.secret_keys),
        project=project,
        stack=stack,
        mocks=mocks,
    )


def urn_of(child: ComponentChild, *, stack: str, project: str) -> str:
    """The URN the engine gives ``child``: the type chain of every component ancestor."""
    types = [a.type for a in child.ancestors] + [child.registration.type]
    return f"urn:pulumi:{stack}::{project}::{'$'.join(types)}::{child.registration.name}"


# --- comparison -----------------------------------------------------------------------------


def _differences(res: TfResource, child: ComponentChild) -> list[Difference]:
    reg = child.registration
    checks = REPLACEMENT_PROPERTIES.get(reg.type, ())
    forced = {c.pulumi_input for c in checks}
    diffs: list[Difference] = []
    for check in checks:
        state_value = res.attr(check.tf_attribute)
        if check.pulumi_input in reg.inputs:
            component_value = reg.input(check.pulumi_input)
        elif check.autonamed:
            diffs.append(Difference(check.pulumi_input, state_value, AUTONAME, True))
            continue
        else:
            component_value = check.default
        if check.default is not None and normalize(state_value) is None:
            state_value = check.default
        if not values_equal(
            state_value, component_value, unordered=check.pulumi_input in UNORDERED_INPUTS
        ):
            diffs.append(Difference(check.pulumi_input, state_value, component_value, True))
    for key in sorted(reg.inputs):
        if key in forced or key in _BEHAVIOUR_INPUTS or reg.is_secret(key):
            continue
        attribute = snake(key)
        if attribute not in res.attributes:
            continue
        state_value, component_value = res.attributes[attribute], reg.input(key)
        if not values_equal(state_value, component_value, unordered=key in UNORDERED_INPUTS):
            diffs.append(Difference(key, state_value, component_value, False))
    return diffs


def _identifiers(res: TfResource) -> set[str]:
    ids = {str(res.attr(k, "")) for k in ("id", "arn", "name")}
    return {i for i in ids if len(i) > 3}


def _mentions(value: Any, identifiers: set[str]) -> str | None:
    if isinstance(value, str):
        return value if value in identifiers else None
    if isinstance(value, (list, tuple)):
        for v in value:  # pyright: ignore[reportUnknownVariableType]
            hit = _mentions(v, identifiers)
            if hit:
                return hit
    if isinstance(value, dict):
        for v in value.values():  # pyright: ignore[reportUnknownVariableType]
            hit = _mentions(v, identifiers)
            if hit:
                return hit
    return None


# --- guidance -------------------------------------------------------------------------------

_MISSING_INPUTS: Mapping[tuple[str, str], str] = {
    ("aws:ec2/vpc:Vpc", "cidrBlock"): "proliferate:vpcCidr accepts /16 to /24 only",
    ("aws:ec2/subnet:Subnet", "cidrBlock"): "proliferate:adopt.network.publicSubnetCidrs / "
    "privateSubnetCidrs (one per zone, inside the VPC, disjoint)",
    ("aws:ec2/subnet:Subnet", "availabilityZone"): "proliferate:adopt.network.availabilityZones",
    ("aws:ecs/cluster:Cluster", "name"): "proliferate:adopt.clusterName",
    (
        "aws:cloudwatch/logGroup:LogGroup",
        "name",
    ): "proliferate:adopt.services.<service>.logGroupName (FargateServiceArgs.log_group_name)",
    ("aws:cloudwatch/logGroup:LogGroup", "logGroupClass"): "a log group class input "
    "(the components create STANDARD log groups only)",
    (
        "aws:ecr/repository:Repository",
        "name",
    ): "proliferate:adopt.services.<service>.repositoryName (FargateServiceArgs.repository_name)",
    ("aws:ecr/repository:Repository", "encryptionConfigurations"): "FargateServiceArgs repository "
    "encryption (KMS) setting (not an input yet: the components use AES256)",
    ("aws:iam/role:Role", "name"): "proliferate:adopt.executionRoleName / "
    "proliferate:adopt.services.<service>.taskRoleName (EcsExecutionRoleArgs.role_name / "
    "FargateServiceArgs.task_role_name)",
    ("aws:iam/role:Role", "path"): "an IAM role path input (not an input yet: the components "
    "create roles under /)",
    ("aws:ecs/service:Service", "name"): "proliferate:adopt.services.<service>.serviceName "
    "(FargateServiceArgs.service_name)",
    ("aws:ec2/securityGroup:SecurityGroup", "name"): "proliferate:adopt "
    "...securityGroupName (security_group_name on FargateServiceArgs, RedisCacheArgs and "
    "PublicLoadBalancerArgs)",
    ("aws:ec2/securityGroup:SecurityGroup", "description"): "proliferate:adopt "
    "...securityGroupDescription (security_group_description on FargateServiceArgs, "
    "RedisCacheArgs and PublicLoadBalancerArgs)",
    ("aws:lb/loadBalancer:LoadBalancer", "name"): "proliferate:adopt.loadBalancer.name "
    "(PublicLoadBalancerArgs.name)",
    ("aws:lb/targetGroup:TargetGroup", "name"): "proliferate:adopt.services.<service>."
    "targetGroupName (LbRoute.target_group_name)",
    ("aws:lb/targetGroup:TargetGroup", "port"): "ServiceSpec.port per service (ProliferateStack "
    "service_specs exists, but not as stack config)",
    (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "replicationGroupId",
    ): "proliferate:adopt.redis.replicationGroupId (RedisCacheArgs.replication_group_id)",
    ("aws:elasticache/subnetGroup:SubnetGroup", "name"): "proliferate:adopt.redis."
    "subnetGroupName (RedisCacheArgs.subnet_group_name)",
    ("aws:elasticache/parameterGroup:ParameterGroup", "name"): "proliferate:adopt.redis."
    "parameterGroupName (RedisCacheArgs.parameter_group_name)",
    ("aws:elasticache/parameterGroup:ParameterGroup", "description"): "proliferate:adopt.redis."
    "parameterGroupDescription (RedisCacheArgs.parameter_group_description)",
}
"""(Pulumi type, replacement-forcing input) -> the input that would let a resource differing
on it adopt: a ``proliferate:adopt`` entry where one exists (then the derived config sets it
unless the state lacks the value or it breaks an AWS rule), else what is missing."""

_REDIS_SAFE_PATH = (
    "The component's replication group (encrypted, AUTH token, noeviction, automatic "
    "failover) is created new by `pulumi up`, and the services it adopts switch REDIS_URL to "
    "it in that same `pulumi up`. So move the queues around that step, one of: (a) drain - "
    "before `pulumi up`, stop everything that enqueues (web/API, gateway) and let the workers "
    "empty the queues (`LLEN bull:<queue>:wait` and `ZCARD bull:<queue>:delayed` reach 0; "
    "re-create repeatable jobs afterwards); or (b) seed - stop what enqueues, `aws "
    "elasticache create-snapshot --cache-cluster-id <node> --snapshot-name <snapshot>` (for a "
    "replication group `--replication-group-id`), then `pulumi config set --path "
    "proliferate:adopt.redis.snapshotName <snapshot>` so the new group starts from it "
    "(RedisCacheArgs.snapshot_name; read only at creation), which keeps delayed jobs. Then "
    "`pulumi up`, check the workers, and retire the Terraform store (`terraform destroy "
    "-target=...`)."
)

_SAFE_PATHS: Mapping[str, str] = {
    "aws:elasticache/replicationGroup:ReplicationGroup": _REDIS_SAFE_PATH,
    "aws:elasticache/parameterGroup:ParameterGroup": "The component creates its own "
    "parameter group (maxmemory-policy noeviction) for its replication group; the Terraform "
    "one goes away with the Terraform store.",
    "aws:elasticache/subnetGroup:SubnetGroup": "The component creates its own subnet group; "
    "the Terraform one goes away with the Terraform store.",
    "aws:ec2/securityGroup:SecurityGroup": "The component creates its own security group and "
    "rules; the Terraform group stays attached to the Terraform resources until they are "
    "retired.",
    "aws:ecs/service:Service": "Side by side: the component starts its own service; check it, "
    "switch DNS (services behind the ALB), then `terraform destroy -target` the old service "
    "(workers of both fleets may share the queue meanwhile).",
    "aws:lb/loadBalancer:LoadBalancer": "Side by side: the component creates a new ALB; point "
    "DNS at it (lower the TTL first), watch traffic drain from the old one, then retire it.",
    "aws:lb/targetGroup:TargetGroup": "Created new with the new ALB; retired with the old one.",
    "aws:lb/listener:Listener": "Created new with the new ALB; retired with the old one.",
    "aws:ecr/repository:Repository": "The component creates its own repository: push the "
    "images you deploy to it (CI, or copy tags with `aws ecr batch-get-image` + "
    "`put-image`); keep the Terraform repository (`terraform state rm` it) until nothing "
    "pulls from it.",
    "aws:cloudwatch/logGroup:LogGroup": "The services log to a new group; `terraform state rm` "
    "the old one so `terraform destroy` does not delete its history, and delete it when you "
    "no longer need it.",
    "aws:iam/role:Role": "New roles are created; the Terraform roles stay in use by the "
    "Terraform services until they are retired.",
    "aws:ecs/cluster:Cluster": "The services run in a new cluster side by side; retire the "
    "old cluster after the cutover.",
    "aws:ecs/taskDefinition:TaskDefinition": "Task definitions are immutable: the component "
    "registers a revision of its own family and the service rolls to it.",
}

_NETWORK_SAFE_PATH = (
    "The component builds its network next to the Terraform one (a second VPC; the same CIDR "
    "is allowed). Everything in the old VPC (Redis, services, ALB) moves with the side-by-side "
    "cutover; retire the Terraform network last."
)

_NOT_ADOPTED: Mapping[str, str] = {
    "aws_iam_role_policy_attachment": "The components grant with inline, least-privilege "
    "policies only. `terraform state rm` the attachment and detach it (`aws iam "
    "detach-role-policy`) once no Terraform service uses the role.",
    "aws_iam_role_policy": "The components write their own inline policies. `terraform state "
    "rm` it and delete it (`aws iam delete-role-policy`) once the role is no longer used.",
    "aws_ecs_task_definition": "Task definitions are immutable: the component registers a "
    "revision of its own family and the service rolls to it; the Terraform revisions stay "
    "registered (inactive) until you deregister them.",
    "aws_elasticache_cluster": "",
}


def _safe_path(pulumi_type: str | None) -> str:
    if pulumi_type is None:
        return ""
    if pulumi_type in _SAFE_PATHS:
        return _SAFE_PATHS[pulumi_type]
    if pulumi_type.startswith("aws:ec2/") and "securityGroup" not in pulumi_type:
        return _NETWORK_SAFE_PATH
    if pulumi_type.startswith("aws:vpc/"):
        return "The component creates its own rule on its own security group."
    return "The component creates its own resource alongside; retire the Terraform one after the cutover."


# --- the plan -------------------------------------------------------------------------------


def plan_migration(
    state: TfState,
    *,
    component_name: str = "proliferate",
    stack: str = "dev",
    project: str = "proliferate",
    adopt_names: bool = True,
) -> MigrationPlan:
    """Plan how ``ProliferateStack(component_name)`` in ``project``/``stack`` adopts ``state``.

    ``adopt_names`` (default True) carries the existing physical names, zones and subnet
    CIDRs into the stack config (``proliferate:adopt``) so that resources adopt in place;
    False plans with the names Pulumi would generate (every named resource is then refused,
    naming the missing input).

    Raises:
        ConfigError: if the state has no resource the migration recognises, or the names
            are invalid.
    """
    _check_plan_inputs(state, component_name=component_name, stack=stack)
    state = with_inline_routes(state)
    assignments = terraform_roles(state)
    derived, config, plans, roles2 = _plan_without_name_clashes(
        state, assignments, component_name, stack, project, adopt_names=adopt_names
    )
    used = {p.role for p in plans.values() if p.adopted}
    created = tuple(
        (role, child.registration.type, child.registration.name)
        for role, child in sorted(roles2.items())
        if role not in used
    )
    return MigrationPlan(
        component_name=component_name,
        project=project,
        stack=stack,
        config=derived,
        state=state,
        resources=tuple(plans[r.address] for r in state.resources),
        created=created,
        notes=tuple(_plan_notes(derived, config, assignments, plans, component_name)),
    )


def _check_plan_inputs(state: TfState, *, component_name: str, stack: str) -> None:
    """The stack and component names are valid, and the state has a resource to adopt."""
    from ..errors import ConfigError

    if not re.fullmatch(r"[A-Za-z0-9_.-]+", stack):
        raise ConfigError("--stack", stack, "a Pulumi stack name (letters, digits, _ . -)")
    if not re.fullmatch(r"[a-z][a-z0-9-]*", component_name):
        raise ConfigError(
            "--component-name", component_name, "lower-case letters, digits and hyphens"
        )
    if not any(r.type in RECOGNISED_TYPES for r in state.resources):
        raise ConfigError(
            "--state",
            f"{len(state.resources)} managed resources",
            "a state with the spec's AWS resources (aws_vpc, aws_ecs_service, "
            "aws_elasticache_*, ...)",
        )


def _plan_without_name_clashes(
    state: TfState,
    assignments: list[RoleAssignment],
    component_name: str,
    stack: str,
    project: str,
    *,
    adopt_names: bool,
) -> tuple[DerivedConfig, StackConfig, dict[str, ResourcePlan], dict[str, ComponentChild]]:
    """Derive the config and classify, again without the names of the refused resources
    until none is left: a refused resource keeps its old name, so the component's new one
    must not take it. Returns the config, the plans by address and the children by role."""
    skip: frozenset[str] = frozenset()
    while True:
        derived = derive_config(assignments, adopt_names=adopt_names, skip_roles=skip)
        config, plans, roles2 = _classify(
            state, assignments, derived, component_name, stack, project
        )
        refused = {
            p.role
            for p in plans.values()
            if p.status == Status.BLOCKED and p.role in derived.named_roles
        }
        if refused <= skip:
            break
        skip |= refused
    for address, p in plans.items():
        if p.role in skip:  # its name is left out on purpose: do not suggest setting it
            kept = tuple(m for m in p.missing_inputs if not m.startswith("proliferate:adopt"))
            plans[address] = dataclasses.replace(p, missing_inputs=kept)
    return derived, config, plans, roles2


def _plan_notes(
    derived: DerivedConfig,
    config: StackConfig,
    assignments: list[RoleAssignment],
    plans: Mapping[str, ResourcePlan],
    component_name: str,
) -> list[str]:
    """The config's notes, then remarks about zones, Redis eviction and the default
    security group of an adopted VPC."""
    notes = list(derived.notes)
    network = config.adopt.network if config.adopt is not None else None
    pinned = network is not None and network.availability_zones is not None
    if derived.availability_zones and not pinned:
        notes.append(
            "zones: the components take the region's first available zones "
            f"(aws.getAvailabilityZones); this plan assumes they are {', '.join(derived.availability_zones)} "
            "like the Terraform subnets - check with `aws ec2 describe-availability-zones`"
        )
    notes.extend(_eviction_notes(assignments))
    if any(p.role == "network/vpc" and p.adopted for p in plans.values()):
        notes.append(
            "the adopted VPC's default security group is taken over by "
            f"{component_name}-network-default-sg, which removes all its rules: check that "
            "nothing uses it (`aws ec2 describe-network-interfaces --filters "
            "Name=group-id,Values=<default sg id>`) before `pulumi up`"
        )
    return notes


def _classify(
    state: TfState,
    assignments: list[RoleAssignment],
    derived: DerivedConfig,
    component_name: str,
    stack: str,
    project: str,
) -> tuple[StackConfig, dict[str, ResourcePlan], dict[str, ComponentChild]]:
    """Run the stack under ``derived`` (twice, see the module docstring) and classify every
    resource; returns the config, the plans by address and the children by role."""
    config = derived.stack_config()

    first = _run(config, derived, component_name, stack, project, {})
    roles = component_roles(first, component_name)
    answers: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    matched: dict[str, ComponentChild] = {}
    for a in assignments:
        child = roles.get(a.role) if a.role is not None else None
        if child is None or pulumi_type_of(a.resource) != child.registration.type:
            continue
        matched[a.resource.address] = child
        if a.resource.type == "aws_ecs_task_definition":
            # Never imported in practice (a revision is immutable and the component's family
            # differs): the service then rolls to the component's new revision, which its
            # taskDefinition input must show as a change.
            continue
        answers[(child.registration.type, child.registration.name)] = _answer(
            a.resource, import_id(a.resource)
        )
    second = _run(config, derived, component_name, stack, project, answers)
    roles2 = component_roles(second, component_name)

    plans: dict[str, ResourcePlan] = {}
    for a in assignments:
        plans[a.resource.address] = _plan_one(a, roles, roles2, matched, stack, project)
    _check_new_subnets(state, plans, roles2)
    plans = _propagate(state, plans)
    return config, plans, roles2


def _eviction_notes(assignments: list[RoleAssignment]) -> list[str]:
    """A warning when the Terraform Redis does not run with ``maxmemory-policy noeviction``."""
    by_role = {a.role: a.resource for a in assignments if a.role is not None}
    store = by_role.get("redis/replication-group")
    if store is None:
        return []
    params = by_role.get("redis/params")
    policy = "volatile-lru (the ElastiCache default)"
    if params is not None:
        items: list[Any] = list(params.attr("parameter", []) or [])
        for item in items:
            if isinstance(item, dict):
                entry: dict[str, Any] = item  # pyright: ignore[reportUnknownVariableType]
                if entry.get("name") == "maxmemory-policy":
                    policy = str(entry.get("value"))
    if policy == "noeviction":
        return []
    return [
        f"{store.address} runs with maxmemory-policy {policy}, not noeviction: under memory "
        "pressure Redis may already have evicted BullMQ keys (lost or stuck jobs). The "
        "component's store always uses noeviction; check the queues before the cutover, and "
        "prefer draining over seeding from a snapshot (a snapshot copies any damage)"
    ]


def _plan_one(
    a: RoleAssignment,
    roles: Mapping[str, ComponentChild],
    roles2: Mapping[str, ComponentChild],
    matched: Mapping[str, ComponentChild],
    stack: str,
    project: str,
) -> ResourcePlan:
    """One Terraform resource's plan: not adopted (no part in the components), blocked (a
    different object, a replacement, no import id) or adopted (with or without changes)."""
    res = a.resource
    base: dict[str, Any] = {
        "address": res.address,
        "tf_type": res.type,
        "tf_id": res.id,
        "role": a.role,
        "inline_of": res.inline_of,
    }
    if res.type not in RECOGNISED_TYPES:
        return ResourcePlan(
            **base,
            status=Status.NOT_ADOPTED,
            reason=f"{res.type} is not one of the spec's resources",
            safe_path="Not touched by the migration: it stays with Terraform (or move it yourself).",
        )
    child = roles.get(a.role) if a.role else None
    if a.role is None or child is None:
        return _without_child(a, base)
    child2 = roles2.get(a.role, child)
    reg = child2.registration
    common: dict[str, Any] = {
        **base,
        "pulumi_type": reg.type,
        "logical_name": reg.name,
        "urn": urn_of(child2, stack=stack, project=project),
        "parent_chain": tuple((p.type, p.name) for p in child2.ancestors),
    }
    if res.address not in matched:
        what = "a single-node cache cluster" if res.type == "aws_elasticache_cluster" else res.type
        return ResourcePlan(
            **common,
            status=Status.BLOCKED,
            reason=f"{what} is a different AWS object than the component's {reg.type}: it cannot be imported as one",
            safe_path=_safe_path(reg.type),
        )
    diffs = _differences(res, child2)
    forced = [d for d in diffs if d.forces_replacement]
    the_id = import_id(res)
    if res.type == "aws_ecs_task_definition" and forced:
        return ResourcePlan(
            **common,
            status=Status.NOT_ADOPTED,
            differences=tuple(diffs),
            reason="a task definition revision is immutable and the component's differs "
            f"({', '.join(d.property for d in forced)})",
            safe_path=_NOT_ADOPTED["aws_ecs_task_definition"],
        )
    if forced:
        return _would_be_replaced(res, reg.type, common, diffs, forced)
    return _importable(common, diffs, the_id)


def _without_child(a: RoleAssignment, base: Mapping[str, Any]) -> ResourcePlan:
    """No component child plays the resource's part (no role, or none under the config)."""
    res = a.resource
    reason = (
        a.why if a.role is None else f"the components have no {a.role} under the derived config"
    )
    path = _NOT_ADOPTED.get(res.type) or (
        "No component child plays this part: `terraform state rm` it after the cutover and "
        "delete it with the Terraform resources it belongs to."
    )
    return ResourcePlan(
        **base,
        status=Status.NOT_ADOPTED,
        pulumi_type=pulumi_type_of(res),
        reason=reason,
        safe_path=path,
    )


def _would_be_replaced(
    res: TfResource,
    pulumi_type: str,
    common: Mapping[str, Any],
    diffs: list[Difference],
    forced: list[Difference],
) -> ResourcePlan:
    """Blocked: importing it would replace it (``forced`` differences); says which name the
    replacement would reuse and which inputs would avoid the replacement."""
    same_name = [
        f"`{state_value}` ({c.pulumi_input})"
        for c in REPLACEMENT_PROPERTIES.get(pulumi_type, ())
        if c.pulumi_input in ("name", "replicationGroupId")
        and c.pulumi_input not in {d.property for d in forced}
        and (state_value := res.attr(c.tf_attribute))
    ]
    missing = tuple(
        dict.fromkeys(
            _MISSING_INPUTS[(pulumi_type, d.property)]
            for d in forced
            if (pulumi_type, d.property) in _MISSING_INPUTS
        )
    )
    return ResourcePlan(
        **common,
        status=Status.BLOCKED,
        differences=tuple(diffs),
        reason="would be replaced: "
        + ", ".join(d.property for d in forced)
        + (
            "; the replacement would reuse the name "
            + ", ".join(same_name)
            + ", which AWS refuses while the old one exists: deploy to a stack with another "
            "name, or rename the Terraform resource first"
            if same_name
            else ""
        ),
        safe_path=_safe_path(pulumi_type),
        missing_inputs=missing,
    )


def _importable(common: Mapping[str, Any], diffs: list[Difference], the_id: str) -> ResourcePlan:
    """Adopted (updated in place by the first ``pulumi up`` when ``diffs``), or blocked when
    the state lacks the id ``pulumi import`` needs."""
    if not the_id:
        return ResourcePlan(
            **common,
            status=Status.BLOCKED,
            differences=tuple(diffs),
            reason="the state does not hold the id needed to import it "
            "(security_group_rule_id is missing: refresh the state with a current AWS provider)",
            safe_path="Run `terraform apply -refresh-only` with hashicorp/aws >= 4.x and run the "
            "migration again, or let the component create its own rule.",
        )
    status = Status.ADOPT_WITH_CHANGES if diffs else Status.ADOPT
    reason = (
        "the first `pulumi up` updates in place: " + ", ".join(d.property for d in diffs)
        if diffs
        else "every input the component sets equals the state"
    )
    return ResourcePlan(
        **common, status=status, import_id=the_id, differences=tuple(diffs), reason=reason
    )


_NOT_REFERENCES = frozenset({"id", "arn", "name", "name_prefix", "description", "tags", "tags_all"})


def _check_new_subnets(
    state: TfState, plans: dict[str, ResourcePlan], roles: Mapping[str, ComponentChild]
) -> None:
    """Block the VPC when the component's new subnets would overlap the Terraform subnets
    that stay in it (AWS refuses overlapping subnets in one VPC)."""
    vpc = next((p for p in plans.values() if p.role == "network/vpc" and p.adopted), None)
    if vpc is None:
        return
    adopted_roles = {p.role for p in plans.values() if p.adopted}
    new = [
        str(child.registration.input("cidrBlock"))
        for role, child in roles.items()
        if child.registration.type == "aws:ec2/subnet:Subnet" and role not in adopted_roles
    ]
    kept = [
        (r.address, str(r.attr("cidr_block")))
        for r in state.of_type("aws_subnet")
        if r.attr("vpc_id") == vpc.tf_id and not plans[r.address].adopted
    ]
    clashes = [
        f"{cidr} overlaps {address} ({old})"
        for cidr in new
        for address, old in kept
        if ipaddress.ip_network(cidr, strict=False).overlaps(
            ipaddress.ip_network(old, strict=False)
        )
    ]
    if clashes:
        plans[vpc.address] = _blocked(
            vpc,
            "the component's new subnets cannot be created next to the Terraform subnets in "
            "this VPC: " + "; ".join(clashes),
            (),
        )


# Terraform type of a blocked resource -> the attribute naming the adopted resource its
# replacement would collide with (a second default route in the same table, a second
# association of the same subnet, a rule duplicated on the same group, a second NAT gateway
# on the same Elastic IP).
_CONTAINERS: Mapping[str, tuple[str, str]] = {
    "aws_route": (
        "route_table_id",
        "its default route cannot be adopted and a new one would collide with it",
    ),
    "aws_route_table_association": (
        "subnet_id",
        "its route table association cannot be adopted and a subnet has only one",
    ),
    "aws_security_group_rule": (
        "security_group_id",
        "a rule on it cannot be adopted and the new one would duplicate it",
    ),
    "aws_vpc_security_group_ingress_rule": (
        "security_group_id",
        "a rule on it cannot be adopted and the new one would duplicate it",
    ),
    "aws_vpc_security_group_egress_rule": (
        "security_group_id",
        "a rule on it cannot be adopted and the new one would duplicate it",
    ),
    "aws_nat_gateway": (
        "allocation_id",
        "its NAT gateway cannot be adopted and the new one cannot share this address while the old one holds it",
    ),
}


def _block_containers(state: TfState, plans: dict[str, ResourcePlan]) -> bool:
    """Block adopted resources that a blocked resource's replacement would collide with."""
    by_identifier: dict[str, str] = {}
    for p in plans.values():
        if p.adopted:
            res = state.by_address(p.address)
            for ident in (res.id, str(res.attr("allocation_id", ""))):
                if ident:
                    by_identifier.setdefault(ident, p.address)
    changed = False
    for p in list(plans.values()):
        if p.status != Status.BLOCKED or p.tf_type not in _CONTAINERS:
            continue
        attribute, why = _CONTAINERS[p.tf_type]
        target = by_identifier.get(str(state.by_address(p.address).attr(attribute, "")))
        if target is None or not plans[target].adopted:
            continue
        plans[target] = _blocked(plans[target], f"{why} ({p.address})", ())
        changed = True
    return changed


def _blocked(p: ResourcePlan, reason: str, extra: tuple[Difference, ...]) -> ResourcePlan:
    return ResourcePlan(
        address=p.address,
        tf_type=p.tf_type,
        tf_id=p.tf_id,
        status=Status.BLOCKED,
        role=p.role,
        pulumi_type=p.pulumi_type,
        logical_name=p.logical_name,
        urn=p.urn,
        parent_chain=p.parent_chain,
        differences=extra + p.differences,
        reason=reason,
        safe_path=_safe_path(p.pulumi_type),
        missing_inputs=p.missing_inputs,
        inline_of=p.inline_of,
    )


def _propagate(state: TfState, plans: dict[str, ResourcePlan]) -> dict[str, ResourcePlan]:
    """Block every adoption that references a resource which cannot be adopted.

    A replacement-forcing reference (a subnet's ``vpc_id``) would replace it; any other
    reference (an internet gateway's ``vpc_id``, a replication group's security groups)
    would be moved in place to the component's new resource while the Terraform deployment
    still runs on the old one - an outage in the middle of the side-by-side period. Both
    are refused; repeated until nothing changes.
    """
    changed = True
    while changed:
        changed = False
        replaced: dict[str, str] = {}
        for p in plans.values():
            if p.status == Status.BLOCKED and p.pulumi_type is not None:
                for ident in sorted(_identifiers(state.by_address(p.address))):
                    replaced[ident] = (
                        f"{replaced[ident]} or {p.address}" if ident in replaced else p.address
                    )
        if not replaced:
            return plans
        changed = _block_containers(state, plans) or changed
        for address, p in list(plans.items()):
            if not p.adopted:
                continue
            res = state.by_address(address)
            forcing = {c.tf_attribute for c in REPLACEMENT_PROPERTIES.get(p.pulumi_type or "", ())}
            new_diffs: list[Difference] = []
            for key, value in res.attributes.items():
                if key in _NOT_REFERENCES:
                    continue
                hit = _mentions(value, set(replaced))
                if hit:
                    new_diffs.append(
                        Difference(camel(key), value, f"<new {replaced[hit]}>", key in forcing)
                    )
            if not new_diffs:
                continue
            why = "; ".join(
                f"{d.property} references {d.component_value[5:-1]}, which cannot be adopted"
                + (
                    ""
                    if d.forces_replacement
                    else " (it would be moved to the new one while "
                    "the Terraform deployment still uses the old)"
                )
                for d in new_diffs
            )
            reused = [
                f"`{res.attr(c.tf_attribute)}`"
                for c in REPLACEMENT_PROPERTIES.get(p.pulumi_type or "", ())
                if c.pulumi_input in ("name", "replicationGroupId")
                and not c.autonamed
                and res.attr(c.tf_attribute)
                and not any(d.property == c.pulumi_input for d in p.differences)
            ]
            if reused:
                why += (
                    f"; the component's new one would reuse the name {', '.join(reused)}, which AWS "
                    "refuses while the old one exists: deploy to a stack with another name, or "
                    "rename the Terraform resource first"
                )
            plans[address] = _blocked(p, why, tuple(new_diffs))
            changed = True
    return plans
