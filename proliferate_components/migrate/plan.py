"""Plan the adoption of a Terraform deployment by ``ProliferateStack``.

:func:`plan_migration` works in these steps, none of which touches AWS or Pulumi's CLI:

1. read every attribute the state lacks from its equivalent
   (:mod:`~proliferate_components.migrate.equivalents`), and split inline routes and security
   group rules into resources of their own (:mod:`~proliferate_components.migrate.tfstate`);
2. infer the part every resource plays (:mod:`~proliferate_components.migrate.roles`, with
   the one table of the stack's children in :mod:`~proliferate_components.migrate.childmap`)
   and derive the stack config (:mod:`~proliferate_components.migrate.derive`);
3. run ``ProliferateStack`` with that config under the capture harness twice: first to learn
   the component children (type, logical name, parents) and their roles, then again with
   mocks that answer each adopted child with the Terraform resource's real id and
   attributes, so every input that references another resource (a subnet's ``vpcId``, a
   NAT gateway's ``allocationId``, ...) carries the real id;
4. compare each Terraform resource with the child that plays its role: the properties that
   force a replacement (:data:`~proliferate_components.migrate.forcenew.REPLACEMENT_PROPERTIES`)
   decide whether it can be adopted (one the state does not hold is unknown, never a
   difference); the other inputs the component sets are listed as the in-place changes the
   first ``pulumi up`` makes;
5. spread each refusal to the resources whose own adoption truly depends on it (a
   replacement-forcing reference, an attachment, a collision), naming the deciding
   attribute; every other reference moves in place (:func:`_propagate`);
6. give everything that is not adopted its safe path as commands
   (:mod:`~proliferate_components.migrate.safepaths`) and carry the secret values
   (:mod:`~proliferate_components.migrate.secretvalues`).
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
from . import safepaths
from .derive import DerivedConfig, derive_config
from .equivalents import with_equivalents
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
from .refs import References
from .roles import ComponentChild, RoleAssignment, component_roles, terraform_roles
from .secretvalues import secret_config
from .tfstate import TfResource, TfState, with_inline_routes, with_inline_rules

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
    NEW_REVISION = "new_revision"
    """Continued, not imported: an immutable object (a task definition revision) whose family
    the component carries on; the first ``pulumi up`` registers the next revision and the
    adopted service rolls to it (the service is not replaced)."""
    BLOCKED = "blocked"
    """Cannot be adopted safely: a replacement-forcing property differs (safe path given)."""
    SUPERSEDED = "superseded"
    """Deliberately not adopted: a component resource does its job (a managed-policy
    attachment, a Terraform secret whose values move into the bundle); it stays with
    Terraform and goes when Terraform is retired (commands given)."""
    NOT_ADOPTED = "not_adopted"
    """Not imported: no component child takes it over (what to do with it is given)."""
    NOT_OURS = "not_ours"
    """Another application's resource in the same state: left in Terraform, untouched."""


STATUS_LABELS: Mapping[Status, str] = {
    Status.ADOPT: "adopted as is",
    Status.ADOPT_WITH_CHANGES: "adopted with a config change",
    Status.NEW_REVISION: "continued as a new revision",
    Status.BLOCKED: "cannot be adopted safely",
    Status.SUPERSEDED: "retired with Terraform",
    Status.NOT_ADOPTED: "not adopted",
    Status.NOT_OURS: "not ours",
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
    unknown: tuple[str, ...] = ()
    """Replacement-forcing properties the state does not hold (unknown, not a difference:
    ``pulumi preview`` after the import shows them)."""
    decided_by: str | None = None
    """For a refused resource, the Terraform attribute that decided it (``allocation_id``,
    ``vpc_id``, ...)."""
    commands: tuple[str, ...] = ()
    """The safe path as shell commands (every word quoted)."""

    @property
    def adopted(self) -> bool:
        """Whether it goes into the import file."""
        return self.status in (Status.ADOPT, Status.ADOPT_WITH_CHANGES)

    @property
    def counts_adopted(self) -> bool:
        """Whether it counts as adopted: imported, or continued as a new revision."""
        return self.adopted or self.status is Status.NEW_REVISION

    @property
    def leaves_terraform(self) -> bool:
        """Whether ``terraform-state-rm.sh`` removes it from the Terraform state."""
        return self.counts_adopted


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
    secret_sources: Mapping[str, str] = field(default_factory=dict[str, str])
    """Secret config key -> where ``secrets.sh`` reads its value (never the value)."""
    secrets_script: str = ""
    """``secrets.sh``: ``pulumi config set --secret`` fed from the existing values."""
    needs_rule_ids: bool = False
    """Whether import.json waits for ``migrate resolve-rules`` (inline security group rules
    have no id in the state)."""

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
    if "security_group" in res.type and res.type.endswith("rule") and the_import_id:
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


def _differences(res: TfResource, child: ComponentChild) -> tuple[list[Difference], list[str]]:
    """The properties that differ, and the replacement-forcing ones the state does not hold
    (unknown: never a difference)."""
    reg = child.registration
    checks = REPLACEMENT_PROPERTIES.get(reg.type, ())
    forced = {c.pulumi_input for c in checks}
    diffs: list[Difference] = []
    unknown: list[str] = []
    for check in checks:
        present = check.tf_attribute in res.attributes
        if check.pulumi_input in reg.inputs:
            component_value = reg.input(check.pulumi_input)
        elif check.autonamed:
            # A generated name never equals an existing one, whatever it is.
            state_value = res.attr(check.tf_attribute) if present else "<not in the state>"
            diffs.append(Difference(check.pulumi_input, state_value, AUTONAME, True))
            continue
        elif check.computed:
            continue
        else:
            component_value = check.default
        if not present:
            if component_value is not None:
                unknown.append(check.pulumi_input)
            continue
        state_value = res.attr(check.tf_attribute)
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
    # A rule's source is one of several inputs: one the state sets and the component does
    # not is a change too (an egress to 0.0.0.0/0 narrowed to a security group).
    for key in _RULE_SOURCES if reg.type in _RULE_TYPES else ():
        attribute = snake(key)
        state_value = normalize(res.attributes.get(attribute))
        if key not in reg.inputs and state_value is not None:
            diffs.append(Difference(key, res.attributes[attribute], None, False))
        elif key in reg.inputs and attribute not in res.attributes:
            diffs.append(Difference(key, None, reg.input(key), False))
    return diffs, unknown


_RULE_TYPES = frozenset(
    {
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    }
)
_RULE_SOURCES = (
    "cidrIpv4",
    "cidrIpv6",
    "prefixListId",
    "referencedSecurityGroupId",
    "fromPort",
    "toPort",
)


# --- guidance -------------------------------------------------------------------------------

_MISSING_INPUTS: Mapping[tuple[str, str], str] = {
    ("aws:ec2/vpc:Vpc", "cidrBlock"): "proliferate:vpcCidr accepts /16 to /24 only",
    ("aws:ec2/subnet:Subnet", "cidrBlock"): "proliferate:adopt.network.publicSubnetCidrs / "
    "privateSubnetCidrs (one per zone, inside the VPC, disjoint)",
    ("aws:ec2/subnet:Subnet", "availabilityZone"): "proliferate:adopt.network.availabilityZones",
    ("aws:ecs/cluster:Cluster", "name"): "proliferate:adopt.clusterName",
    ("aws:cloudwatch/logGroup:LogGroup", "name"): "proliferate:adopt.services.<service>."
    "logGroupName (FargateServiceArgs.log_group_name)",
    ("aws:cloudwatch/logGroup:LogGroup", "logGroupClass"): "a log group class input "
    "(the components create STANDARD log groups only)",
    ("aws:ecr/repository:Repository", "name"): "proliferate:adopt.services.<service>."
    "repositoryName (FargateServiceArgs.repository_name)",
    ("aws:ecr/repository:Repository", "encryptionConfigurations"): "FargateServiceArgs repository "
    "encryption (KMS) setting (not an input yet: the components use AES256)",
    ("aws:iam/role:Role", "name"): "proliferate:adopt.executionRoleName / "
    "proliferate:adopt.services.<service>.taskRoleName (EcsExecutionRoleArgs.role_name / "
    "FargateServiceArgs.task_role_name)",
    ("aws:iam/role:Role", "path"): "an IAM role path input (not an input yet: the components "
    "create roles under /)",
    ("aws:iam/rolePolicy:RolePolicy", "name"): "proliferate:adopt.services.<service>."
    "executionPolicyName (FargateServiceArgs.execution_policy_name)",
    ("aws:ecs/service:Service", "name"): "proliferate:adopt.services.<service>.serviceName "
    "(FargateServiceArgs.service_name)",
    ("aws:ec2/securityGroup:SecurityGroup", "name"): "proliferate:adopt "
    "...securityGroupName (security_group_name on FargateServiceArgs, RedisCacheArgs, "
    "PostgresDbArgs and PublicLoadBalancerArgs)",
    ("aws:ec2/securityGroup:SecurityGroup", "description"): "proliferate:adopt "
    "...securityGroupDescription (security_group_description on FargateServiceArgs, "
    "RedisCacheArgs, PostgresDbArgs and PublicLoadBalancerArgs)",
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
    ("aws:rds/instance:Instance", "dbName"): "proliferate:adopt.database.dbName",
    ("aws:rds/instance:Instance", "username"): "proliferate:adopt.database.username",
    ("aws:rds/subnetGroup:SubnetGroup", "name"): "proliferate:adopt.database.subnetGroupName",
    ("aws:rds/parameterGroup:ParameterGroup", "name"): "proliferate:adopt.database."
    "parameterGroupName",
    ("aws:rds/parameterGroup:ParameterGroup", "description"): "proliferate:adopt.database."
    "parameterGroupDescription",
}
"""(Pulumi type, replacement-forcing input) -> the input that would let a resource differing
on it adopt: a ``proliferate:adopt`` entry where one exists (then the derived config sets it
unless the state lacks the value or it breaks an AWS rule), else what is missing."""

_SAFE_PATHS: Mapping[str, str] = {
    "aws:elasticache/replicationGroup:ReplicationGroup": "The component's replication group "
    "(encrypted, AUTH token, noeviction, automatic failover) is created new and the adopted "
    "services switch REDIS_URL to it in the same `pulumi up`: move the queues around that "
    "step by seeding it from a snapshot (commands) or by draining.",
    "aws:ecs/service:Service": "Side by side: the component starts its own service; check it, "
    "switch DNS (services behind the ALB), then retire the old one.",
    "aws:lb/loadBalancer:LoadBalancer": "Side by side: the component creates a new ALB; point "
    "DNS at it (lower the TTL first), watch traffic drain from the old one, then retire it.",
    "aws:ecr/repository:Repository": "The component creates its own repository: push the "
    "images you deploy to it; keep the Terraform repository until nothing pulls from it.",
    "aws:cloudwatch/logGroup:LogGroup": "The services log to a new group; keep the old one for "
    "its history (`terraform state rm`) or retire it.",
    "aws:ecs/cluster:Cluster": "The services run in a new cluster side by side; retire the "
    "old cluster after the cutover.",
}

_NETWORK_SAFE_PATH = (
    "The component builds its network next to the Terraform one (a second VPC; the same CIDR "
    "is allowed). Everything in the old VPC moves with the side-by-side cutover; retire the "
    "Terraform network last."
)


def _safe_path(pulumi_type: str | None) -> str:
    if pulumi_type is None:
        return ""
    if pulumi_type in _SAFE_PATHS:
        return _SAFE_PATHS[pulumi_type]
    if pulumi_type.startswith("aws:ec2/") and "ecurityGroup" not in pulumi_type:
        return _NETWORK_SAFE_PATH
    return "The component creates its own resource alongside; retire the Terraform one after the cutover."


# Terraform attributes whose change, although AWS makes it in place, takes the resource
# away from something that stays with Terraform (an internet gateway moved off the old VPC,
# a service's load balancer attachment moved off the old target group, a subnet group moved
# off subnets that still hold cache nodes, a load balancer that cannot change VPC): a
# reference through one of these to a refused resource refuses the resource too. Every
# other reference to a refused resource is an in-place move to the component's new one.
_ATTACHMENTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("aws_internet_gateway", "vpc_id"),
        ("aws_ecs_service", "load_balancer"),
        ("aws_lb", "vpc_id"),
        ("aws_alb", "vpc_id"),
        ("aws_elasticache_subnet_group", "subnet_ids"),
        ("aws_db_subnet_group", "subnet_ids"),
        ("aws_elasticache_replication_group", "subnet_group_name"),
        ("aws_db_instance", "db_subnet_group_name"),
    }
)


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
    state = with_inline_rules(with_inline_routes(with_equivalents(state)))
    refs = References(state)
    assignments = terraform_roles(state, refs)
    derived, config, plans, roles2 = _plan_without_name_clashes(
        state, refs, assignments, component_name, stack, project, adopt_names=adopt_names
    )
    created = _created(plans, roles2)
    notes = _plan_notes(state, refs, derived, config, assignments, plans, component_name)
    secret_values = secret_config(state, assignments, derived, stack)
    ordered = tuple(plans[r.address] for r in state.resources)
    return MigrationPlan(
        component_name=component_name,
        project=project,
        stack=stack,
        config=derived,
        state=state,
        resources=ordered,
        created=created,
        notes=tuple(notes + list(secret_values.notes)),
        secret_sources=secret_values.sources,
        secrets_script=secret_values.script,
        needs_rule_ids=any(
            r.adopted and (r.import_id or "").startswith("unresolved:") for r in ordered
        ),
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
    refs: References,
    assignments: list[RoleAssignment],
    component_name: str,
    stack: str,
    project: str,
    *,
    adopt_names: bool,
) -> tuple[DerivedConfig, StackConfig, dict[str, ResourcePlan], dict[str, ComponentChild]]:
    """Derive the config and classify, again without the names of the refused resources
    until none is left: a refused resource keeps its old name, so the component's new one
    must not take it (:func:`_point_skipped_names_at_their_collision`). Returns the config,
    the plans by address and the children by role."""
    skip: frozenset[str] = frozenset()
    while True:
        derived = derive_config(assignments, adopt_names=adopt_names, skip_roles=skip)
        config, plans, roles2 = _classify(
            state, refs, assignments, derived, component_name, stack, project
        )
        refused = {
            p.role
            for p in plans.values()
            if p.status == Status.BLOCKED and p.role in derived.named_roles
        }
        if refused <= skip:
            break
        skip |= refused
    _point_skipped_names_at_their_collision(state, plans, skip, stack)
    return derived, config, plans, roles2


def _point_skipped_names_at_their_collision(
    state: TfState, plans: dict[str, ResourcePlan], skip: frozenset[str], stack: str
) -> None:
    """A resource whose name is left out on purpose: do not suggest setting it as a missing
    input; without commands of its own, give it the ones for its name collision."""
    for address, p in plans.items():
        if p.role not in skip:
            continue
        kept = tuple(m for m in p.missing_inputs if not m.startswith("proliferate:adopt"))
        res = state.by_address(address)
        attribute = next(
            (
                c.tf_attribute
                for c in REPLACEMENT_PROPERTIES.get(p.pulumi_type or "", ())
                if c.pulumi_input in ("name", "replicationGroupId")
            ),
            "name",
        )
        extra = () if p.commands else tuple(safepaths.named_collision(res, attribute, stack))
        plans[address] = dataclasses.replace(p, missing_inputs=kept, commands=p.commands + extra)


def _created(
    plans: Mapping[str, ResourcePlan], roles2: Mapping[str, ComponentChild]
) -> tuple[tuple[str, str, str], ...]:
    """(role, type, logical name) of every child no adopted resource plays: the first
    ``pulumi up`` creates it."""
    used = {p.role for p in plans.values() if p.counts_adopted}
    return tuple(
        (role, child.registration.type, child.registration.name)
        for role, child in sorted(roles2.items())
        if role not in used
    )


def _plan_notes(
    state: TfState,
    refs: References,
    derived: DerivedConfig,
    config: StackConfig,
    assignments: list[RoleAssignment],
    plans: Mapping[str, ResourcePlan],
    component_name: str,
) -> list[str]:
    """The config's notes, then remarks about the zones, Redis eviction, the adopted VPC's
    default security group and database password, ambiguous roles, resources shared with
    other applications and skipped data sources."""
    notes = list(derived.notes)
    notes += _zone_notes(derived, config)
    notes += _eviction_notes(assignments)
    notes += _adopted_vpc_notes(plans, component_name)
    notes += _adopted_database_notes(plans)
    notes += [a.ambiguity for a in assignments if a.ambiguity]
    notes += _shared_resource_notes(refs, plans)
    if state.data_sources:
        notes.append(f"{state.data_sources} data source instances skipped (nothing to adopt)")
    return notes


def _zone_notes(derived: DerivedConfig, config: StackConfig) -> list[str]:
    """Unless ``proliferate:adopt`` pins the zones: the plan assumes the region's first
    zones are the Terraform subnets' ones."""
    network = config.adopt.network if config.adopt is not None else None
    pinned = network is not None and network.availability_zones is not None
    if not derived.availability_zones or pinned:
        return []
    return [
        "zones: the components take the region's first available zones "
        f"(aws.getAvailabilityZones); this plan assumes they are {', '.join(derived.availability_zones)} "
        "like the Terraform subnets - check with `aws ec2 describe-availability-zones`"
    ]


def _adopted_vpc_notes(plans: Mapping[str, ResourcePlan], component_name: str) -> list[str]:
    """An adopted VPC's default security group loses its rules; a default network ACL the
    state does not hold is left unmanaged (taking it over would write its rules again)."""
    if not any(p.role == "network/vpc" and p.adopted for p in plans.values()):
        return []
    notes = [
        "the adopted VPC's default security group is taken over by "
        f"{component_name}-network-default-sg, which removes all its rules: check that "
        "nothing uses it (`aws ec2 describe-network-interfaces --filters "
        "Name=group-id,Values=<default sg id>`) before `pulumi up`"
    ]
    adopted = {p.role for p in plans.values() if p.adopted}
    if "network/default-nacl" not in adopted:
        notes.append(
            "the adopted VPC's default network ACL is not in the state, so it stays unmanaged "
            "(`proliferate:manageDefaultNetworkAcl` is false): taking it over as "
            f"{component_name}-network-default-nacl deletes its rules and writes the "
            "allow-all ones again (every subnet uses it, so traffic pauses for a moment); to "
            "do that, `pulumi config set proliferate:manageDefaultNetworkAcl true` and run "
            "`pulumi up` in a quiet window"
        )
    return notes


def _adopted_database_notes(plans: Mapping[str, ResourcePlan]) -> list[str]:
    """An adopted database gets the component's master password."""
    database = next(
        (p for p in plans.values() if p.role == "postgres/instance" and p.adopted), None
    )
    if database is None:
        return []
    return [
        f"{database.address}: the first `pulumi up` sets the master password the component "
        "generates (PostgresDb takes no password), in place; the adopted services receive "
        "the new DATABASE_URL in the same update, anything else connecting with the old "
        "password must be given the new one (`pulumi stack output` -> databaseUrl)"
    ]


def _shared_resource_notes(refs: References, plans: Mapping[str, ResourcePlan]) -> list[str]:
    """Adopted resources that other applications' resources reference."""
    notes: list[str] = []
    foreign = {p.address for p in plans.values() if p.status is Status.NOT_OURS}
    for p in plans.values():
        users = sorted(refs.dependents(p.address) & foreign) if p.counts_adopted else []
        if users:
            shown = ", ".join(f"`{u}`" for u in users[:3]) + (
                f" and {len(users) - 3} more" if len(users) > 3 else ""
            )
            notes.append(
                f"`{p.address}` is shared with other applications ({shown}): once adopted, "
                "changing or destroying it in Pulumi affects them too"
            )
    return notes


def _classify(
    state: TfState,
    refs: References,
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
            # Not imported (a revision is immutable): the component registers the next
            # revision of the family and the adopted service rolls to it, which its
            # taskDefinition input must show as a change.
            continue
        answers[(child.registration.type, child.registration.name)] = _answer(
            a.resource, import_id(a.resource)
        )
    second = _run(config, derived, component_name, stack, project, answers)
    roles2 = component_roles(second, component_name)

    plans: dict[str, ResourcePlan] = {}
    for a in assignments:
        plans[a.resource.address] = _plan_one(a, roles, roles2, matched, derived, stack, project)
    _roll_services(state, plans)
    _check_new_subnets(state, plans, roles2)
    plans = _propagate(state, refs, plans, stack)
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


def _part_plan(a: RoleAssignment, base: dict[str, Any]) -> ResourcePlan:
    """The plan of a resource without a role: superseded, ours without a counterpart, or
    another application's."""
    res = a.resource
    target = pulumi_type_of(res)
    if a.part == "foreign":
        return ResourcePlan(
            **base,
            status=Status.NOT_OURS,
            reason=a.why,
            safe_path="Left in Terraform: the migration does not touch it.",
        )
    if a.part == "superseded":
        if res.type == "aws_iam_role_policy_attachment":
            commands = safepaths.policy_attachment(res)
        elif res.type == "aws_secretsmanager_secret":
            commands = safepaths.terraform_secret(res)
        else:
            commands = safepaths.retire(res.address)
        return ResourcePlan(
            **base,
            status=Status.SUPERSEDED,
            pulumi_type=target,
            reason=a.why,
            safe_path="It stays with Terraform until the cutover; the components do its job.",
            commands=tuple(commands),
        )
    if a.part == "kept":
        commands = ["# nothing to do: it stays with Terraform as long as the others need it"]
    elif res.inline_of is not None and res.type.startswith("aws_vpc_security_group_"):
        commands = safepaths.inline_rule(res)
    elif res.type.startswith("aws_default_") or res.type == "aws_vpc_dhcp_options":
        commands = safepaths.keep_in_aws(
            res.address, "it goes with the adopted VPC; Terraform forgets it, AWS keeps it"
        )
    elif res.inline_of is not None:
        commands = []
    else:
        commands = safepaths.retire(res.address)
    reason = (
        a.why
        if res.type in RECOGNISED_TYPES or a.why
        else f"{res.type} is not one of the spec's resources"
    )
    return ResourcePlan(
        **base,
        status=Status.NOT_ADOPTED,
        pulumi_type=target,
        reason=reason,
        safe_path="Not imported: it stays with Terraform (or in AWS) as the commands say.",
        commands=tuple(commands),
    )


def _plan_one(
    a: RoleAssignment,
    roles: Mapping[str, ComponentChild],
    roles2: Mapping[str, ComponentChild],
    matched: Mapping[str, ComponentChild],
    derived: DerivedConfig,
    stack: str,
    project: str,
) -> ResourcePlan:
    """One Terraform resource's plan: by its part when it has no role; not adopted when no
    child plays its role; blocked when it is a different object or would be replaced; a new
    revision (task definitions); otherwise adopted, with or without in-place changes."""
    res = a.resource
    base: dict[str, Any] = {
        "address": res.address,
        "tf_type": res.type,
        "tf_id": res.id,
        "role": a.role,
        "inline_of": res.inline_of,
    }
    if a.role is None:
        return _part_plan(a, base)
    child = roles.get(a.role)
    if child is None:
        return _without_child(res, a.role, base)
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
        return _different_object(res, reg.type, common, stack)
    diffs, unknown = _differences(res, child2)
    forced = [d for d in diffs if d.forces_replacement]
    the_id = import_id(res)
    if res.type == "aws_ecs_task_definition":
        return _task_definition(res, a.role in derived.named_roles, common, diffs)
    if forced:
        return _would_be_replaced(res, reg.type, common, diffs, unknown, forced, stack)
    return _adopted(common, the_id, diffs, unknown)


def _without_child(res: TfResource, role: str, base: Mapping[str, Any]) -> ResourcePlan:
    """No component child plays ``role`` under the derived config: not adopted."""
    return ResourcePlan(
        **base,
        status=Status.NOT_ADOPTED,
        pulumi_type=pulumi_type_of(res),
        reason=f"the components have no {role} under the derived config",
        safe_path="Not imported: it stays with Terraform until it is retired.",
        commands=tuple(safepaths.retire(res.address)),
    )


def _different_object(
    res: TfResource, pulumi_type: str, common: Mapping[str, Any], stack: str
) -> ResourcePlan:
    """Blocked: the resource is another kind of AWS object than the child playing its role
    (a single-node cache cluster for a replication group)."""
    what = "a single-node cache cluster" if res.type == "aws_elasticache_cluster" else res.type
    commands = (
        safepaths.redis_store(res, stack, f"{res.attr('cluster_id') or res.id}-migrate")
        if res.type == "aws_elasticache_cluster"
        else safepaths.side_by_side(res, pulumi_type)
    )
    return ResourcePlan(
        **common,
        status=Status.BLOCKED,
        reason=f"{what} is a different AWS object than the component's {pulumi_type}: it "
        "cannot be imported as one",
        safe_path=_safe_path(pulumi_type),
        decided_by="type",
        commands=tuple(commands),
    )


def _task_definition(
    res: TfResource, family_carried: bool, common: Mapping[str, Any], diffs: list[Difference]
) -> ResourcePlan:
    """A task definition is never imported (a revision is immutable): with its family
    carried, the component registers the next revision of it; otherwise one of its own."""
    family = str(res.attr("family", ""))
    if family_carried and family:
        return ResourcePlan(
            **common,
            status=Status.NEW_REVISION,
            differences=tuple(d for d in diffs if d.property != "family"),
            reason=f"the first `pulumi up` registers the next revision of family `{family}` "
            "(a revision is immutable) and the adopted service rolls to it: the service "
            "is not replaced",
            safe_path="The Terraform revision stays registered (inactive after the roll): "
            "`aws ecs update-service --task-definition` back to it is the way back.",
        )
    return ResourcePlan(
        **common,
        status=Status.NOT_ADOPTED,
        differences=tuple(diffs),
        reason="a task definition revision is immutable and its family could not be carried",
        safe_path="The component registers a revision of its own family and the service "
        "rolls to it; the Terraform revisions stay registered (inactive).",
        commands=tuple(safepaths.retire(res.address)),
    )


def _would_be_replaced(
    res: TfResource,
    pulumi_type: str,
    common: Mapping[str, Any],
    diffs: list[Difference],
    unknown: list[str],
    forced: list[Difference],
    stack: str,
) -> ResourcePlan:
    """Blocked: importing it would replace it (the ``forced`` differences). Says which name
    the replacement would reuse, which inputs would avoid it and which attribute decided."""
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
        unknown=tuple(unknown),
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
        decided_by=_deciding_attribute(pulumi_type, forced[0]),
        commands=tuple(_replacement_commands(res, pulumi_type, stack)),
    )


def _deciding_attribute(pulumi_type: str, first: Difference) -> str:
    """The Terraform attribute behind the first replacement-forcing difference."""
    return next(
        (
            c.tf_attribute
            for c in REPLACEMENT_PROPERTIES.get(pulumi_type, ())
            if c.pulumi_input == first.property
        ),
        snake(first.property),
    )


def _replacement_commands(res: TfResource, pulumi_type: str, stack: str) -> list[str]:
    """The commands of a resource that would be replaced: the component's Redis store seeded
    from a snapshot of it (or the queues drained), or the component's resource side by side."""
    if pulumi_type == "aws:elasticache/replicationGroup:ReplicationGroup":
        return safepaths.redis_store(
            res, stack, f"{res.attr('replication_group_id') or res.id}-migrate"
        )
    return safepaths.side_by_side(res, pulumi_type)


def _adopted(
    common: Mapping[str, Any], the_id: str, diffs: list[Difference], unknown: list[str]
) -> ResourcePlan:
    """Adopted: as is, or with the in-place changes ``diffs`` the first ``pulumi up`` makes."""
    status = Status.ADOPT_WITH_CHANGES if diffs else Status.ADOPT
    reason = (
        "the first `pulumi up` updates in place: " + ", ".join(d.property for d in diffs)
        if diffs
        else "every input the component sets equals the state"
    )
    return ResourcePlan(
        **common,
        status=status,
        import_id=the_id,
        differences=tuple(diffs),
        unknown=tuple(unknown),
        reason=reason,
    )


def _roll_services(state: TfState, plans: dict[str, ResourcePlan]) -> None:
    """An adopted service whose task definition continues as a new revision rolls to it:
    show that as the change it is."""
    revised = {
        p.role.split("/")[0]: p
        for p in plans.values()
        if p.status is Status.NEW_REVISION and p.role is not None
    }
    for address, p in list(plans.items()):
        if not p.adopted or p.role is None or not p.role.endswith("/service"):
            continue
        task = revised.get(p.role.split("/")[0])
        if task is None:
            continue
        current = state.by_address(address).attr("task_definition", "")
        family = state.by_address(task.address).attr("family", "")
        roll = Difference("taskDefinition", current, f"<the next revision of {family}>", False)
        kept = tuple(d for d in p.differences if d.property != "taskDefinition")
        plans[address] = dataclasses.replace(
            p,
            status=Status.ADOPT_WITH_CHANGES,
            differences=(*kept, roll),
            reason=(p.reason if kept else "the first `pulumi up` updates in place")
            + "; it rolls to the next revision of its task definition (a normal ECS "
            "deployment, circuit breaker on)",
        )


def _check_new_subnets(
    state: TfState, plans: dict[str, ResourcePlan], roles: Mapping[str, ComponentChild]
) -> None:
    """Block the VPC when the component's new subnets would overlap the Terraform subnets
    that stay in it (AWS refuses overlapping subnets in one VPC)."""
    vpc = next((p for p in plans.values() if p.role == "network/vpc" and p.adopted), None)
    if vpc is None:
        return
    adopted_roles = {p.role for p in plans.values() if p.adopted}
    # Sorted: the component's children come in registration order, which varies between
    # runs, and the message (in report.md) should not.
    new = sorted(
        (
            str(child.registration.input("cidrBlock"))
            for role, child in roles.items()
            if child.registration.type == "aws:ec2/subnet:Subnet" and role not in adopted_roles
        ),
        key=lambda cidr: ipaddress.ip_network(cidr, strict=False),
    )
    kept = sorted(
        (r.address, str(r.attr("cidr_block")))
        for r in state.of_type("aws_subnet")
        if r.attr("vpc_id") == vpc.tf_id and not plans[r.address].adopted and r.attr("cidr_block")
    )
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
            "cidr_block",
            state.by_address(vpc.address),
        )


# Terraform type of a refused resource -> the attribute naming the adopted resource its
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


def _blocked(
    p: ResourcePlan,
    reason: str,
    extra: tuple[Difference, ...],
    decided_by: str,
    res: TfResource,
) -> ResourcePlan:
    return dataclasses.replace(
        p,
        status=Status.BLOCKED,
        import_id=None,
        differences=extra + p.differences,
        reason=reason,
        safe_path=_safe_path(p.pulumi_type),
        decided_by=decided_by,
        commands=tuple(safepaths.side_by_side(res, p.pulumi_type or res.type)),
    )


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
        plans[target] = _blocked(
            plans[target], f"{why} ({p.address})", (), attribute, state.by_address(target)
        )
        changed = True
    return changed


def _propagate(
    state: TfState, refs: References, plans: dict[str, ResourcePlan], stack: str
) -> dict[str, ResourcePlan]:
    """Spread each refusal to the resources whose own adoption truly depends on it.

    An adopted resource referencing a refused one through a replacement-forcing attribute
    (a subnet's ``vpc_id``) would be replaced: refused, naming the attribute. Through an
    attachment (:data:`_ATTACHMENTS`: an internet gateway's ``vpc_id``, a service's load
    balancer) the move would take it away from what stays with Terraform: refused too. Any
    other reference (a route's ``nat_gateway_id``, a service's security groups) moves in
    place to the component's new resource: still adopted, the move listed as a change.
    A refused resource whose replacement would collide with an adopted one (a second route
    in a table, a second NAT gateway on an Elastic IP) refuses that one. Repeated until
    nothing changes.
    """
    moved: set[tuple[str, str]] = set()
    changed = True
    while changed:
        changed = _block_containers(state, plans)
        refused = {
            p.address for p in plans.values() if p.status == Status.BLOCKED and p.pulumi_type
        }
        if not refused:
            return plans
        for address, p in list(plans.items()):
            if p.adopted and _follow_refused_references(
                state, refs, plans, address, p, refused, moved
            ):
                changed = True
    _ = stack
    return plans


def _follow_refused_references(
    state: TfState,
    refs: References,
    plans: dict[str, ResourcePlan],
    address: str,
    p: ResourcePlan,
    refused: set[str],
    moved: set[tuple[str, str]],
) -> bool:
    """Refuse the adopted ``p`` when one of its references to a refused resource forces a
    replacement or is an attachment; otherwise record each such reference (once, in
    ``moved``) as an in-place move. True when its plan changed."""
    res = state.by_address(address)
    forcing = {c.tf_attribute for c in REPLACEMENT_PROPERTIES.get(p.pulumi_type or "", ())}
    changed = False
    for attribute, targets in sorted(refs.out.get(address, {}).items()):
        hit = sorted(targets & refused)
        if not hit:
            continue
        names = " or ".join(hit)
        if attribute in forcing or (res.type, attribute) in _ATTACHMENTS:
            plans[address] = _refused_by_reference(p, res, attribute, names, attribute in forcing)
            return True
        if (address, attribute) in moved:
            continue
        moved.add((address, attribute))
        plans[address] = _moved_in_place(plans[address], res, attribute, names)
        changed = True
    return changed


def _refused_by_reference(
    p: ResourcePlan, res: TfResource, attribute: str, names: str, forcing: bool
) -> ResourcePlan:
    """``p`` blocked: its ``attribute`` references the refused ``names``, and adopting it
    would replace it (``forcing``) or take it away from what stays on the old one."""
    why = f"{attribute} references {names}, which cannot be adopted: " + (
        "adopting it would replace it"
        if forcing
        else "moving it to the component's new one would take it away "
        "from what still runs on the old one"
    )
    reused = [
        f"`{res.attr(c.tf_attribute)}`"
        for c in REPLACEMENT_PROPERTIES.get(p.pulumi_type or "", ())
        if c.pulumi_input in ("name", "replicationGroupId")
        and not c.autonamed
        and res.attr(c.tf_attribute)
    ]
    if reused:
        why += (
            f"; the component's new one would reuse the name {', '.join(reused)}, "
            "which AWS refuses while the old one exists"
        )
    difference = Difference(camel(attribute), res.attr(attribute), f"<new {names}>", forcing)
    return _blocked(p, why, (difference,), attribute, res)


def _moved_in_place(p: ResourcePlan, res: TfResource, attribute: str, names: str) -> ResourcePlan:
    """``p`` still adopted, its ``attribute`` moving in place to the component's new
    ``names`` (listed as a change)."""
    move = Difference(camel(attribute), res.attr(attribute), f"<new {names}>", False)
    return dataclasses.replace(
        p,
        status=Status.ADOPT_WITH_CHANGES,
        differences=(*p.differences, move),
        reason=p.reason + f"; {attribute} moves in place to the component's new {names}",
    )
