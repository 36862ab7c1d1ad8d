"""The component provider: Pulumi's schema inference over every component, the plugin as a
process answering GetSchema over gRPC, Construct with another language's inputs, and the
YAML and TypeScript examples held against the schema."""

import dataclasses
import inspect
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pytest
import yaml
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from proliferate_components._args import annotations, camel
from proliferate_components.constraints import python_only
from proliferate_components.loadbalancer import PublicLoadBalancer
from proliferate_components.provider import PACKAGE, ComponentsProvider, components, schema
from proliferate_components.testing import capture

ROOT = Path(__file__).resolve().parent.parent
PROVIDER_DIR = ROOT / "provider"
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return schema()


def _args_class(component: type) -> type:
    """The ``args`` type of the constructor the provider calls."""
    init = getattr(component, "_provider_init", component.__init__)
    return inspect.get_annotations(init)["args"]


def _inputs(args_class: type) -> list[dataclasses.Field[Any]]:
    """The fields other languages can pass (not the Python-only ones)."""
    return [f for f in dataclasses.fields(args_class) if python_only(args_class, f.name) is None]


def _outputs(component: type) -> list[str]:
    """The public annotated attributes that are not Python objects: the outputs."""
    base = set(annotations(pulumi.ComponentResource))
    return [
        n
        for n in annotations(component)
        if not n.startswith("_") and n not in base and python_only(component, n) is None
    ]


def _token(component: type) -> str:
    return f"{PACKAGE}:index:{component.__name__}"


@pytest.mark.parametrize("component", components(), ids=lambda c: c.__name__)
def test_every_input_is_in_the_schema_typed_and_described(
    spec: dict[str, Any], component: type
) -> None:
    resource = spec["resources"][_token(component)]
    assert resource["isComponent"] is True
    assert resource.get("description"), f"{component.__name__} has no description"
    args_class = _args_class(component)
    fields = _inputs(args_class)
    inputs = resource["inputProperties"]
    assert sorted(inputs) == sorted(camel(f.name) for f in fields)
    for name, prop in inputs.items():
        assert prop.get("description"), f"{component.__name__}.{name} has no description"
        assert "type" in prop or "$ref" in prop, f"{component.__name__}.{name} has no type"
    required = sorted(
        camel(f.name)
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )
    assert sorted(resource.get("requiredInputs", [])) == required


@pytest.mark.parametrize("component", components(), ids=lambda c: c.__name__)
def test_every_output_is_in_the_schema_camel_cased_and_described(
    spec: dict[str, Any], component: type
) -> None:
    resource = spec["resources"][_token(component)]
    outputs = _outputs(component)
    assert outputs, f"{component.__name__} declares no outputs"
    assert sorted(resource["properties"]) == sorted(camel(n) for n in outputs)
    for name, prop in resource["properties"].items():
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", name), name
        assert prop.get("description"), f"{component.__name__}.{name} has no description"


def test_every_object_type_is_described(spec: dict[str, Any]) -> None:
    assert spec["types"], "no object types (LbRoute, ...) in the schema"
    for token, definition in spec["types"].items():
        for name, prop in definition.get("properties", {}).items():
            assert prop.get("description"), f"{token}.{name} has no description"


def test_defaults_are_optional_and_constraints_are_told(spec: dict[str, Any]) -> None:
    lb = spec["resources"]["proliferate:index:PublicLoadBalancer"]
    assert "idleTimeoutSeconds" not in lb["requiredInputs"]
    assert "from 1 to 4000" in lb["inputProperties"]["idleTimeoutSeconds"]["description"]
    assert ":class:" not in json.dumps(spec), "reST roles leaked into the schema"


def test_inputs_that_come_from_other_resources_are_not_plain(spec: dict[str, Any]) -> None:
    """``plain`` inputs cannot take another resource's output in the generated SDKs."""
    lb = spec["resources"]["proliferate:index:PublicLoadBalancer"]["inputProperties"]
    network = spec["resources"]["proliferate:index:Network"]["inputProperties"]
    for prop in (lb["vpcId"], lb["subnetIds"], lb["certificateArn"], network["cidrBlock"]):
        assert not prop.get("plain"), prop


# --- the plugin as Pulumi runs it -----------------------------------------------------------


@pytest.fixture(scope="module")
def plugin() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    manifest = yaml.safe_load((PROVIDER_DIR / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    process = subprocess.Popen(
        [sys.executable, str(PROVIDER_DIR / "__main__.py"), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=PROVIDER_DIR,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().decode().strip()
        if not port.isdigit():
            _, err = process.communicate(timeout=10)
            pytest.fail(f"provider did not print its port: {port!r} {err.decode()[-2000:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield provider_pb2_grpc.ResourceProviderStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=10)


def test_plugin_process_serves_the_inferred_schema(
    plugin: provider_pb2_grpc.ResourceProviderStub, spec: dict[str, Any]
) -> None:
    answer = plugin.GetSchema(provider_pb2.GetSchemaRequest(version=0))
    served = json.loads(answer.schema)
    assert served["name"] == PACKAGE
    assert served == spec
    assert sorted(served["resources"]) == sorted(_token(c) for c in components())


# --- Construct: inputs as another language sends them --------------------------------------


def test_construct_takes_schema_inputs_and_registers_the_schema_token() -> None:
    provider = ComponentsProvider([PublicLoadBalancer])

    def program() -> None:
        result = provider.construct(
            "edge",
            "proliferate:index:PublicLoadBalancer",
            {
                "vpcId": "vpc-123",
                "subnetIds": ["subnet-a", "subnet-b"],
                "idleTimeoutSeconds": 120.0,  # numbers arrive as floats over the wire
                "routes": [{"name": "api", "port": 9000.0, "priority": 1.0, "pathPrefix": "/api"}],
            },
            pulumi.ResourceOptions(),
        )
        pulumi.export("state", result.state)

    cap = capture(program)
    component = cap.one("proliferate:index:PublicLoadBalancer")
    alb = cap.one("aws:lb/loadBalancer:LoadBalancer")
    assert alb.parent == component.urn
    assert alb.input("idleTimeout") == 120
    target_group = cap.one("aws:lb/targetGroup:TargetGroup")
    assert target_group.input("port") == 9000
    state = cap.output("state")
    assert {"arn", "dnsName", "urls", "targetGroupArns"} <= set(state)


def test_construct_rejects_a_bad_value_naming_the_key() -> None:
    provider = ComponentsProvider([PublicLoadBalancer])

    def program() -> None:
        provider.construct(
            "edge",
            "proliferate:index:PublicLoadBalancer",
            {"vpcId": "vpc-1", "subnetIds": ["a", "b"], "idleTimeoutSeconds": 9000.0},
            pulumi.ResourceOptions(),
        )

    with pytest.raises(Exception, match=r"idle_timeout_seconds: invalid value 9000") as caught:
        capture(program)
    assert "from 1 to 4000" in str(caught.value)


# --- example programs in other languages -----------------------------------------------------


def _check_properties(spec: dict[str, Any], token: str, given: dict[str, Any], where: str) -> None:
    resource = spec["resources"][token]
    inputs = resource["inputProperties"]
    unknown = sorted(set(given) - set(inputs))
    assert not unknown, f"{where}: {token} has no inputs {unknown}"
    missing = sorted(set(resource.get("requiredInputs", [])) - set(given))
    assert not missing, f"{where}: {token} needs {missing}"


def _yaml_program(folder: str) -> dict[str, Any]:
    program = yaml.safe_load((EXAMPLES / folder / "Pulumi.yaml").read_text())
    assert program["runtime"] == "yaml"
    assert PACKAGE in {p.split("@")[0] for p in program.get("packages", {})}
    return program


def test_yaml_example_uses_only_schema_inputs(spec: dict[str, Any]) -> None:
    program = _yaml_program("yaml")
    ours = {
        name: r for name, r in program["resources"].items() if r["type"].startswith(f"{PACKAGE}:")
    }
    assert len(ours) >= 3, "the YAML example should compose several components"
    for name, resource in ours.items():
        _check_properties(spec, resource["type"], resource.get("properties", {}), name)


def test_yaml_stack_example_uses_schema_inputs_config_keys_and_outputs(
    spec: dict[str, Any],
) -> None:
    program = _yaml_program("yaml-stack")
    token = f"{PACKAGE}:index:ProliferateStack"
    (name, resource), *_ = [(n, r) for n, r in program["resources"].items() if r["type"] == token]
    properties = resource["properties"]
    _check_properties(spec, token, properties, name)
    config_type = spec["types"][f"{PACKAGE}:index:StackConfig"]["properties"]
    unknown = sorted(set(properties["config"]) - set(config_type))
    assert not unknown, f"StackConfig has no {unknown}"
    outputs = spec["resources"][token]["properties"]
    for expression in program["outputs"].values():
        match = re.fullmatch(r"\$\{" + name + r"\.(\w+)\}", expression)
        assert match and match.group(1) in outputs, expression


def test_typescript_example_uses_only_schema_inputs(spec: dict[str, Any]) -> None:
    source = (EXAMPLES / "typescript" / "index.ts").read_text()
    constructions = re.findall(
        r"new proliferate\.(\w+)\(\s*\"[^\"]+\",\s*\{(.*?)\n\}\)", source, re.S
    )
    assert len(constructions) >= 3
    for component, body in constructions:
        keys = set(re.findall(r"^    (\w+):", body, re.M))
        _check_properties(spec, f"{PACKAGE}:index:{component}", dict.fromkeys(keys), component)


needs_pulumi = pytest.mark.skipif(shutil.which("pulumi") is None, reason="no pulumi CLI on PATH")


@needs_pulumi
def test_pulumi_reads_the_plugin_schema(tmp_path: Path, spec: dict[str, Any]) -> None:
    result = subprocess.run(
        ["pulumi", "package", "get-schema", str(PROVIDER_DIR)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert json.loads(result.stdout)["resources"].keys() == spec["resources"].keys()


def test_construct_builds_the_whole_stack_from_one_args_object() -> None:
    """ProliferateStack takes a config and keywords from Python; through the provider it
    takes one object, its nested config in camelCase as every SDK sends it."""
    from proliferate_components import ProliferateStack

    provider = ComponentsProvider([ProliferateStack])

    def program() -> None:
        result = provider.construct(
            "proliferate",
            "proliferate:index:ProliferateStack",
            {
                "config": {"azCount": 3.0, "natStrategy": "one_per_az", "enableWeb": True},
                "settings": {},
                "userSecretValues": {"ANTHROPIC_API_KEY": "sk-ant-test"},
                "strictSecrets": False,
            },
            pulumi.ResourceOptions(),
        )
        pulumi.export("state", result.state)

    cap = capture(program)
    stack = cap.one("proliferate:index:ProliferateStack")
    assert len(cap.of_type("aws:ec2/natGateway:NatGateway")) == 3
    services = cap.of_type("proliferate:service:FargateService")
    assert "proliferate-web" in {r.name for r in services}
    web = cap.named("proliferate-web")
    assert web.parent == stack.urn
    state = cap.output("state")
    assert {"appUrl", "clusterName", "databaseUrl", "repositoryUrls"} <= set(state)


def test_construct_refuses_a_bad_nested_config_value_naming_the_key() -> None:
    from proliferate_components import ProliferateStack

    provider = ComponentsProvider([ProliferateStack])

    def program() -> None:
        provider.construct(
            "proliferate",
            "proliferate:index:ProliferateStack",
            {"config": {"azCount": 9.0}, "settings": {}, "userSecretValues": {}},
            pulumi.ResourceOptions(),
        )

    with pytest.raises(Exception, match=r"az_count") as caught:
        capture(program)
    assert "9" in str(caught.value)
