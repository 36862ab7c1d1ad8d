"""The capture harness records what the engine would receive, options included."""

from __future__ import annotations

import subprocess
import sys

import pulumi
import pulumi_aws as aws
import pulumi_random as random
import pytest

from proliferate_components.errors import UnansweredInvokeError
from proliferate_components.testing import (
    SECRET_MARKER,
    OfflineMocks,
    Registration,
    capture,
)


class _Pair(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proliferate:test:Pair", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block="10.1.0.0/16",
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.subnet = aws.ec2.Subnet(
            f"{name}-subnet",
            vpc_id=self.vpc.id,
            cidr_block="10.1.1.0/24",
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=["tags"], delete_before_replace=True
            ),
        )
        self.password = random.RandomPassword(
            f"{name}-password", length=24, special=False, opts=child
        )
        self.register_outputs({"vpc_id": self.vpc.id})


def _program() -> None:
    pair = _Pair("pair")
    pulumi.export("vpcId", pair.vpc.id)
    pulumi.export("password", pair.password.result)


def test_records_options_parents_and_dependencies() -> None:
    cap = capture(_program)
    component = cap.one("proliferate:test:Pair")
    vpc = cap.one("aws:ec2/vpc:Vpc")
    subnet = cap.one("aws:ec2/subnet:Subnet")
    assert component.custom is False and vpc.custom is True
    assert vpc.parent == component.urn and subnet.parent == component.urn
    assert vpc.protect is True
    assert subnet.protect in (None, False)
    assert subnet.delete_before_replace is True
    assert subnet.ignore_changes == ("tags",)
    assert vpc.urn in subnet.dependencies
    assert subnet.property_dependencies["vpcId"] == (vpc.urn,)
    assert subnet.input("vpcId") == vpc.id and vpc.id.startswith("vpc-")
    assert {r.name for r in cap.children_of(component)} == {
        "pair-vpc",
        "pair-subnet",
        "pair-password",
    }


def test_stack_outputs_and_secrets_are_marked() -> None:
    cap = capture(_program)
    password = cap.one("random:index/randomPassword:RandomPassword")
    assert len(password.outputs["result"]["value"]) == 24
    assert cap.output("password") == password.outputs["result"]["value"]
    assert cap.output("vpcId") == cap.one("aws:ec2/vpc:Vpc").id
    assert pulumi.runtime.rpc.is_rpc_secret(cap.outputs["password"])


def test_outputs_are_deterministic_across_runs() -> None:
    first, second = capture(_program), capture(_program)
    # Registration order depends on asyncio scheduling; identity is by URN.
    assert sorted((r.urn, r.id, repr(dict(r.inputs))) for r in first.resources) == sorted(
        (r.urn, r.id, repr(dict(r.inputs))) for r in second.resources
    )
    assert first.outputs == second.outputs


def test_config_and_region_reach_the_program() -> None:
    seen: dict[str, object] = {}

    def program() -> None:
        seen["size"] = pulumi.Config("proliferate").get_int("workerCpu")
        seen["stack"] = pulumi.get_stack()
        azs = aws.get_availability_zones_output()
        aws.ec2.Subnet(
            "s", vpc_id="vpc-1", cidr_block="10.0.0.0/24", availability_zone=azs.names[1]
        )

    cap = capture(
        program, config={"proliferate:workerCpu": 512, "aws:region": "eu-west-1"}, stack="prod"
    )
    assert seen == {"size": 512, "stack": "prod"}
    assert cap.one("aws:ec2/subnet:Subnet").input("availabilityZone") == "eu-west-1b"


def test_unanswered_invoke_names_the_token() -> None:
    def program() -> None:
        aws.ec2.get_vpc_output(default=True)

    with pytest.raises(UnansweredInvokeError, match=r"aws:ec2/getVpc:getVpc"):
        capture(program)


def test_extra_invoke_answers() -> None:
    mocks = OfflineMocks(
        invokes={"aws:ec2/getVpc:getVpc": lambda _a: {"id": "vpc-123", "cidrBlock": "10.9.0.0/16"}}
    )

    def program() -> None:
        vpc = aws.ec2.get_vpc_output(default=True)
        aws.ec2.Subnet("s", vpc_id=vpc.id, cidr_block=vpc.cidr_block)

    cap = capture(program, mocks=mocks)
    assert cap.one("aws:ec2/subnet:Subnet").input("cidrBlock") == "10.9.0.0/16"


def test_plain_inputs_redact_secrets() -> None:
    def program() -> None:
        aws.secretsmanager.SecretVersion(
            "v", secret_id="arn:x", secret_string=pulumi.Output.secret("hunter2")
        )

    reg = capture(program).one("aws:secretsmanager/secretVersion:SecretVersion")
    assert reg.is_secret("secretString")
    assert reg.input("secretString") == "hunter2"
    assert reg.plain_inputs()["secretString"] == SECRET_MARKER
    assert "hunter2" not in repr(reg.plain_inputs())


def test_program_errors_propagate_and_nothing_leaks_into_next_run() -> None:
    def bad() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        capture(bad)
    assert len(capture(_program).resources) == 4


def test_on_register_sees_every_registration_before_its_dependents() -> None:
    seen: list[Registration] = []

    def program() -> None:
        east = aws.Provider("east", region="us-east-1")
        _Pair("pair", opts=pulumi.ResourceOptions(provider=east))

    cap = capture(program, on_register=seen.append)
    assert [r.urn for r in seen] == [r.urn for r in cap.resources]
    assert all(a is b for a, b in zip(seen, cap.resources, strict=True))
    position = {r.urn: i for i, r in enumerate(seen)}
    for reg in seen:
        for dep in (*reg.dependencies, reg.parent):
            if dep in position:  # the stack is not passed
                assert position[dep] < position[reg.urn], (reg.name, dep)
        if reg.provider:
            provider_urn = reg.provider.rsplit("::", 1)[0]
            assert position[provider_urn] < position[reg.urn]
    assert "pulumi:pulumi:Stack" not in {r.type for r in seen}


def test_an_exception_in_on_register_surfaces_after_the_program() -> None:
    calls: list[str] = []

    def explode(reg: Registration) -> None:
        calls.append(reg.name)
        if reg.type == "aws:ec2/vpc:Vpc":
            raise LookupError(f"callback failed on {reg.name}")

    with pytest.raises(LookupError, match="callback failed on pair-vpc"):
        capture(_program, on_register=explode)
    assert calls[-1] == "pair-vpc"  # not called again after its first failure
    assert len(capture(_program).resources) == 4  # the next run is unaffected


def test_a_failing_program_wins_but_names_the_callback_error() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        # No offline answer: the program fails. The invoke waits for the VPC's id, so the
        # failing callback has run by then (without the dependency the order is a race).
        aws.ec2.get_vpc_output(id=vpc.id)

    def explode(_reg: Registration) -> None:
        raise LookupError("callback failed")

    with pytest.raises(UnansweredInvokeError) as err:
        capture(program, on_register=explode)
    assert any("LookupError: callback failed" in n for n in getattr(err.value, "__notes__", []))


_EXIT_SCRIPT = """
import warnings
warnings.simplefilter("ignore", DeprecationWarning)
import pulumi_aws as aws
from proliferate_components.testing import capture, harness

def program():
    aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")

first, second = capture(program), capture(program)
assert [r.urn for r in first.resources] == [r.urn for r in second.resources]
print("loops", len(harness._LOOPS))
assert harness.close_event_loops() >= 2 and harness.close_event_loops() == 0
third = capture(program)  # on a new loop: closing early is safe
assert [r.urn for r in third.resources] == [r.urn for r in first.resources]
"""


def test_event_loops_are_closed_at_exit_without_noise() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-c", _EXIT_SCRIPT],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    loops = int(proc.stdout.split("loops", 1)[1].split()[0])
    assert loops >= 2  # the main thread's loop and at least one executor thread's
    assert "Exception ignored" not in proc.stderr
    assert "unclosed event loop" not in proc.stderr, proc.stderr[-2000:]


def test_capture_works_after_asyncio_run_cleared_the_loop() -> None:
    import asyncio

    async def noop() -> None:
        return None

    asyncio.run(noop())  # leaves set_event_loop(None) behind, as prompt_toolkit does
    assert len(capture(_program).resources) == 4


_FAILED_RUN_SCRIPT = """
import gc
import warnings
warnings.simplefilter("ignore", DeprecationWarning)
from proliferate_components.network import Network, NetworkArgs
from proliferate_components.testing import OfflineMocks, capture

mocks = OfflineMocks(availability_zones=["us-east-1a", "us-east-1b"])
for _ in range(2):
    try:  # the zone lookup answers 2 zones: every subnet, NAT and route fails on the error
        capture(lambda: Network("net", NetworkArgs(availability_zone_count=3)), mocks=mocks)
    except ValueError as exc:
        print("failed:", type(exc).__name__, "availability_zone_count" in str(exc))
ok = capture(lambda: Network("net", NetworkArgs()), mocks=mocks)  # the failures' leftovers are
gc.collect()                                                     # collected during this run
print("registered", len(ok.resources))
"""


def test_a_failed_run_leaves_no_unretrieved_futures_behind() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _FAILED_RUN_SCRIPT],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("failed: ValueError True") == 2, proc.stdout
    assert int(proc.stdout.split("registered", 1)[1].split()[0]) > 10
    for noise in ("never retrieved", "Task was destroyed", "Exception ignored"):
        assert noise not in proc.stderr, proc.stderr[:3000]
