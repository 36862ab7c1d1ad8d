"""Read a Terraform state file (format version 4, as written by ``terraform state pull``).

Only what the migration needs: the managed resource instances with their type, address
and attributes. Data sources are skipped. Every structural problem raises
:class:`~proliferate_components.errors.ConfigError` naming the JSON path that is wrong.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from ..errors import ConfigError

__all__ = [
    "STATE_VERSION",
    "TfResource",
    "TfState",
    "hcl_string",
    "load_state",
    "parse_state",
    "rule_shape",
    "unresolved_rule_id",
    "with_inline_routes",
    "with_inline_rules",
]

STATE_VERSION = 4
"""The only Terraform state format version understood (Terraform 0.12 and later)."""


@dataclass(frozen=True)
class TfResource:
    """One managed resource instance of a Terraform state."""

    address: str
    """Terraform address, e.g. ``aws_subnet.public[0]`` or ``module.net.aws_vpc.main``."""
    type: str
    """Terraform resource type, e.g. ``aws_subnet``."""
    name: str
    """Resource name in the configuration, e.g. ``public``."""
    index_key: int | str | None
    """``count`` index or ``for_each`` key; ``None`` for a single instance."""
    attributes: Mapping[str, Any] = field(default_factory=dict[str, Any])
    """The instance's attributes as stored in the state."""
    inline_of: str | None = None
    """For a block written inline in another resource (a route table's ``route``), the
    address of that resource; ``None`` for a resource of the state itself."""
    module: str = ""
    """The module path (``module.vpc``; ``""`` for the root module)."""
    inferred: tuple[str, ...] = ()
    """Attributes the state does not hold, read from their equivalents
    (:func:`~proliferate_components.migrate.equivalents.with_equivalents`)."""

    @property
    def id(self) -> str:
        """The Terraform ``id`` attribute (``""`` when absent)."""
        return str(self.attributes.get("id") or "")

    def attr(self, key: str, default: Any = None) -> Any:
        """An attribute, ``default`` when absent or null."""
        value = self.attributes.get(key)
        return default if value is None else value

    def block(self, key: str) -> Mapping[str, Any]:
        """The first element of a nested block (Terraform stores blocks as lists), or ``{}``."""
        value = self.attributes.get(key)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return cast("Mapping[str, Any]", value[0])
        if isinstance(value, dict):
            return cast("Mapping[str, Any]", value)
        return {}


@dataclass(frozen=True)
class TfState:
    """The managed resources of a Terraform state, in file order."""

    resources: tuple[TfResource, ...]
    """Every managed resource instance."""
    terraform_version: str = ""
    """The Terraform version that wrote the state."""
    lineage: str = ""
    """The state's lineage id."""

    data_sources: int = 0
    """How many data source instances the state holds (skipped)."""

    def with_resources(self, extra: Sequence[TfResource]) -> TfState:
        """This state with ``extra`` appended (itself when there is none)."""
        return replace(self, resources=self.resources + tuple(extra)) if extra else self

    @cached_property
    def _by_type(self) -> dict[str, list[TfResource]]:
        index: dict[str, list[TfResource]] = {}
        for r in self.resources:
            index.setdefault(r.type, []).append(r)
        return index

    @cached_property
    def _by_address(self) -> dict[str, TfResource]:
        return {r.address: r for r in self.resources}

    def of_type(self, *types: str) -> list[TfResource]:
        """The instances of the given Terraform types, in file order."""
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        return [r for r in self.resources if r.type in types]

    def by_address(self, address: str) -> TfResource:
        """The instance at ``address``.

        Raises:
            KeyError: if there is none.
        """
        return self._by_address[address]


def _address(module: str | None, rtype: str, name: str, index_key: int | str | None) -> str:
    base = f"{module + '.' if module else ''}{rtype}.{name}"
    if index_key is None:
        return base
    if isinstance(index_key, int):
        return f"{base}[{index_key}]"
    return f"{base}[{hcl_string(index_key)}]"


def hcl_string(text: str) -> str:
    """``text`` as a quoted HCL string, the way Terraform writes a ``for_each`` key in an
    address (``aws_x.y["O'Brien"]``, ``aws_x.y["a\\"b"]``)."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
        .replace("${", "$${")
        .replace("%{", "%%{")
    )
    return f'"{escaped}"'


def parse_state(data: Any, *, source: str = "state") -> TfState:
    """Validate and parse a decoded Terraform state document.

    Args:
        data: the decoded JSON (a dict with ``version: 4`` and ``resources``).
        source: how errors name the document (e.g. the file path).

    Raises:
        ConfigError: naming the JSON path (``<source>.version``, ``<source>.resources[3].type``,
            ...) and what is expected there.
    """
    doc = _state_document(data, source)
    found: list[TfResource] = []
    data_sources = 0
    for i, raw in enumerate(_raw_resources(doc, source)):
        path = f"{source}.resources[{i}]"
        res = _resource_entry(raw, path)
        if res["mode"] == "data":
            data_sources += _data_instance_count(res)
            continue
        found.extend(_managed_instances(res, path))
    return TfState(
        resources=tuple(found),
        terraform_version=str(doc.get("terraform_version") or ""),
        lineage=str(doc.get("lineage") or ""),
        data_sources=data_sources,
    )


def _state_document(data: Any, source: str) -> dict[str, Any]:
    """``data`` as a state document of format version 4."""
    if not isinstance(data, dict):
        raise ConfigError(source, type(data).__name__, "a JSON object (a Terraform state file)")
    doc = cast("dict[str, Any]", data)
    version = doc.get("version")
    if version != STATE_VERSION:
        hint = (
            "a Terraform state of format version 4 (Terraform 0.12 or later; get it with "
            "`terraform state pull > terraform.tfstate`)"
        )
        if "format_version" in doc and "values" in doc:
            hint += "; this looks like `terraform show -json` output, which is not a state file"
        raise ConfigError(f"{source}.version", version, hint)
    return doc


def _raw_resources(doc: Mapping[str, Any], source: str) -> list[Any]:
    """The document's ``resources`` list (empty when absent)."""
    raw_resources = doc.get("resources", [])
    if not isinstance(raw_resources, list):
        raise ConfigError(f"{source}.resources", raw_resources, "a list of resources")
    return cast("list[Any]", raw_resources)


def _resource_entry(raw: Any, path: str) -> dict[str, Any]:
    """One entry of ``resources``: an object with a non-empty ``mode``, ``type`` and ``name``."""
    if not isinstance(raw, dict):
        raise ConfigError(path, raw, "a resource object")
    res = cast("dict[str, Any]", raw)
    for key in ("mode", "type", "name"):
        if not isinstance(res.get(key), str) or not res.get(key):
            raise ConfigError(f"{path}.{key}", res.get(key), "a non-empty string")
    return res


def _data_instance_count(res: Mapping[str, Any]) -> int:
    """How many instances a data source entry holds (they are skipped, only counted)."""
    instances = res.get("instances")
    return len(cast("list[Any]", instances)) if isinstance(instances, list) else 0


def _managed_instances(res: Mapping[str, Any], path: str) -> list[TfResource]:
    """The instances of one managed resource entry (its ``mode`` must be ``managed``)."""
    if res["mode"] != "managed":
        raise ConfigError(f"{path}.mode", res["mode"], "'managed' or 'data'")
    instances = res.get("instances", [])
    if not isinstance(instances, list):
        raise ConfigError(f"{path}.instances", instances, "a list of instances")
    module = res.get("module")
    if module is not None and not isinstance(module, str):
        raise ConfigError(f"{path}.module", module, "a module address string")
    rtype, name = str(res["type"]), str(res["name"])
    return [
        _instance(inst, f"{path}.instances[{j}]", rtype=rtype, name=name, module=module)
        for j, inst in enumerate(cast("list[Any]", instances))
    ]


def _instance(inst: Any, ipath: str, *, rtype: str, name: str, module: str | None) -> TfResource:
    """One instance of a managed resource: its attributes and ``count``/``for_each`` key."""
    if not isinstance(inst, dict):
        raise ConfigError(ipath, inst, "an instance object")
    instance = cast("dict[str, Any]", inst)
    attributes = instance.get("attributes")
    if not isinstance(attributes, dict):
        raise ConfigError(
            f"{ipath}.attributes",
            attributes,
            "an object of attributes (states with only `attributes_flat` are from "
            "Terraform < 0.12: upgrade the state first)",
        )
    index_key = instance.get("index_key")
    if index_key is not None and not isinstance(index_key, (int, str)):
        raise ConfigError(f"{ipath}.index_key", index_key, "an integer or a string")
    return TfResource(
        address=_address(module, rtype, name, index_key),
        type=rtype,
        name=name,
        index_key=index_key,
        attributes=cast("dict[str, Any]", attributes),
        module=module or "",
    )


def load_state(path: str | Path) -> TfState:
    """Read and parse a Terraform state file.

    Raises:
        ConfigError: on ``--state`` when the file is missing or not JSON, else as
            :func:`parse_state`.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            "--state", str(path), "an existing Terraform state file (terraform.tfstate)"
        )
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            "--state", str(path), f"a JSON Terraform state file ({exc.__class__.__name__}: {exc})"
        ) from None
    return parse_state(data, source=file.name)


def with_inline_routes(state: TfState) -> TfState:
    """``state`` plus one ``aws_route`` per IPv4 route written inline in an
    ``aws_route_table`` (``route { cidr_block = ... }``), so that it can be matched and
    imported like a separate route (the components model routes as resources). Such entries
    have :attr:`TfResource.inline_of` set to the route table's address."""
    extra: list[TfResource] = []
    for table in state.of_type("aws_route_table"):
        for block in cast("list[Any]", table.attr("route", [])):
            if not isinstance(block, dict):
                continue
            route = cast("dict[str, Any]", block)
            cidr = route.get("cidr_block")
            if not cidr:
                continue
            extra.append(
                TfResource(
                    address=f'{table.address}.route["{cidr}"]',
                    type="aws_route",
                    name=table.name,
                    index_key=None,
                    attributes={
                        "id": f"r-{table.id}{zlib.crc32(str(cidr).encode())}",
                        "route_table_id": table.id,
                        "destination_cidr_block": cidr,
                        "gateway_id": route.get("gateway_id") or "",
                        "nat_gateway_id": route.get("nat_gateway_id") or "",
                    },
                    inline_of=table.address,
                )
            )
    return state.with_resources(extra)


_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "all": "-1", "58": "icmpv6"}

RuleShape = tuple[str, str, str, int | None, int | None, str]
"""(security group id, ``ingress``/``egress``, protocol, from port, to port, source): one
AWS security group rule (source: a CIDR, a prefix list or a security group id)."""


def _ports(protocol: str, from_port: Any, to_port: Any) -> tuple[int | None, int | None]:
    if protocol == "-1":
        return None, None
    try:
        return int(from_port), int(to_port)
    except (TypeError, ValueError):
        return None, None


def rule_shape(rule: TfResource) -> list[RuleShape]:
    """The AWS rules one Terraform rule resource stands for (an ``aws_security_group_rule``
    with several CIDRs is several AWS rules)."""
    if rule.type == "aws_security_group_rule":
        direction = str(rule.attr("type", ""))
        protocol = _PROTOCOLS.get(str(rule.attr("protocol", "")), str(rule.attr("protocol", "")))
        ports = _ports(protocol, rule.attr("from_port"), rule.attr("to_port"))
        sources: list[str] = [
            *map(str, cast("list[Any]", rule.attr("cidr_blocks", []))),
            *map(str, cast("list[Any]", rule.attr("ipv6_cidr_blocks", []))),
            *map(str, cast("list[Any]", rule.attr("prefix_list_ids", []))),
        ]
        if rule.attr("source_security_group_id"):
            sources.append(str(rule.attr("source_security_group_id")))
        if rule.attr("self"):
            sources.append(str(rule.attr("security_group_id", "")))
        group = str(rule.attr("security_group_id", ""))
        return [(group, direction, protocol, *ports, source) for source in sources]
    direction = "ingress" if rule.type.endswith("ingress_rule") else "egress"
    protocol = _PROTOCOLS.get(str(rule.attr("ip_protocol", "")), str(rule.attr("ip_protocol", "")))
    ports = _ports(protocol, rule.attr("from_port"), rule.attr("to_port"))
    source = (
        rule.attr("cidr_ipv4")
        or rule.attr("cidr_ipv6")
        or rule.attr("prefix_list_id")
        or rule.attr("referenced_security_group_id")
        or ""
    )
    return [(str(rule.attr("security_group_id", "")), direction, protocol, *ports, str(source))]


def unresolved_rule_id(shape: RuleShape) -> str:
    """The placeholder import id of a rule whose ``sgr-`` id the state does not hold:
    ``unresolved:<group>/<direction>/<protocol>/<from>-<to>/<source>``
    (``migrate resolve-rules`` replaces it with the id AWS gives the rule)."""
    group, direction, protocol, from_port, to_port, source = shape
    ports = "all" if from_port is None else f"{from_port}-{to_port}"
    return f"unresolved:{group}/{direction}/{protocol}/{ports}/{source}"


def with_inline_rules(state: TfState) -> TfState:
    """``state`` plus one ``aws_vpc_security_group_ingress_rule`` /
    ``..._egress_rule`` per AWS rule written inline in an ``aws_security_group``
    (``ingress { ... }`` / ``egress { ... }``, one per CIDR, prefix list or source group),
    so that each can be matched and imported like the components' separate rules. Rules that
    a separate rule resource of the state already stands for are left out. Their
    :attr:`TfResource.inline_of` is the group's address, their address that of the group
    plus the rule (``aws_security_group.app.ingress["tcp/4000-4000/aws_security_group.lb"]``,
    a source group by its address); their id is unknown (the state does not hold the
    ``sgr-`` id): :func:`unresolved_rule_id`."""
    separate: set[RuleShape] = set()
    for rule in state.of_type(
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
    ):
        separate.update(rule_shape(rule))
    extra: list[TfResource] = []
    group_address = {g.id: g.address for g in state.of_type("aws_security_group") if g.id}
    for group in state.of_type("aws_security_group"):
        for direction in ("ingress", "egress"):
            for block in cast("list[Any]", group.attr(direction, [])):
                if not isinstance(block, dict):
                    continue
                b = cast("dict[str, Any]", block)
                protocol = _PROTOCOLS.get(str(b.get("protocol", "")), str(b.get("protocol", "")))
                from_port, to_port = _ports(protocol, b.get("from_port"), b.get("to_port"))
                sources: list[tuple[str, str]] = [
                    *(("cidr_ipv4", str(c)) for c in cast("list[Any]", b.get("cidr_blocks") or [])),
                    *(
                        ("cidr_ipv6", str(c))
                        for c in cast("list[Any]", b.get("ipv6_cidr_blocks") or [])
                    ),
                    *(
                        ("prefix_list_id", str(c))
                        for c in cast("list[Any]", b.get("prefix_list_ids") or [])
                    ),
                    *(
                        ("referenced_security_group_id", str(c))
                        for c in cast("list[Any]", b.get("security_groups") or [])
                    ),
                ]
                if b.get("self"):
                    sources.append(("referenced_security_group_id", group.id))
                for kind, source in sources:
                    shape: RuleShape = (group.id, direction, protocol, from_port, to_port, source)
                    if shape in separate:
                        continue
                    separate.add(shape)
                    ports = "all" if from_port is None else f"{from_port}-{to_port}"
                    attributes: dict[str, Any] = {
                        "id": "",
                        "security_group_id": group.id,
                        "ip_protocol": protocol,
                        kind: source,
                        "description": b.get("description") or "",
                    }
                    if from_port is not None:
                        attributes["from_port"] = from_port
                        attributes["to_port"] = to_port
                    key = f"{protocol}/{ports}/{group_address.get(source, source)}"
                    extra.append(
                        TfResource(
                            address=f"{group.address}.{direction}[{hcl_string(key)}]",
                            type=f"aws_vpc_security_group_{direction}_rule",
                            name=group.name,
                            index_key=None,
                            attributes=attributes,
                            inline_of=group.address,
                            module=group.module,
                        )
                    )
    return state.with_resources(extra)
