"""The Mermaid architecture diagram is derived from registrations, and the README's copy is current."""

from __future__ import annotations

import re
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from proliferate_components.cli.main import main
from proliferate_components.preview import render_mermaid, run_preview, write_diagram
from proliferate_components.testing import capture

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "preview_fixtures"
PLAIN = FIXTURES / "plain_aws"
EXAMPLE = REPO / "examples" / "proliferate"
ARCHITECTURE = REPO / "docs" / "architecture.mmd"
REGENERATE = "proliferate-infra preview --offline examples/proliferate --preset prod --no-policy --diagram docs/architecture.mmd"


def subgraph_body(diagram: str, title: str) -> str:
    """The lines of the subgraph titled ``title`` (up to its ``end``)."""
    match = re.search(rf'subgraph \w+\["{re.escape(title)}"\]\n(.*?)\n\s*end', diagram, re.S)
    assert match, f"no subgraph {title!r} in:\n{diagram}"
    return match.group(1)


def edges(diagram: str) -> set[tuple[str, str, str]]:
    return set(re.findall(r'^\s*(\w+) -->\|"([^"]*)"\| (\w+)$', diagram, re.M))


@pytest.fixture(scope="module")
def plain_diagram() -> str:
    return render_mermaid(run_preview(PLAIN).capture.resources)


def test_network_boundaries_and_placement(plain_diagram: str) -> None:
    vpc = subgraph_body(plain_diagram, "VPC main 10.20.0.0/16")
    public = subgraph_body(plain_diagram, "public subnets")
    private = subgraph_body(plain_diagram, "private subnets")
    assert "public subnets" in vpc
    assert "web-lb<br/>load balancer" in public
    assert "app-service<br/>ECS service" in private
    assert "app-db<br/>RDS postgres" in private
    assert "app-cache<br/>ElastiCache redis" in private
    assert "app-service" not in public


def test_who_talks_to_whom_from_every_kind_of_ingress_rule(plain_diagram: str) -> None:
    assert edges(plain_diagram) == {
        ("internet", "tcp 443", "lb_web_lb"),  # inline ingress with a CIDR
        ("lb_web_lb", "tcp 8080", "service_app_service"),  # aws.vpc.SecurityGroupIngressRule
        ("service_app_service", "tcp 5432", "store_app_db"),  # aws.ec2.SecurityGroupRule
        ("service_app_service", "tcp 6379", "store_app_cache"),  # inline ingress from a group
        ("cidr_203_0_113_0_24", "tcp 22", "service_app_service"),  # a CIDR that is not the Internet
    }


def test_diagram_follows_the_program_not_a_template() -> None:
    result = run_preview(PLAIN, config={"appPort": "9090", "enableDatabase": "false"})
    diagram = render_mermaid(result.capture.resources)
    assert ("lb_web_lb", "tcp 9090", "service_app_service") in edges(diagram)
    assert "app-db" not in diagram
    assert not any(dst == "store_app_db" for _, _, dst in edges(diagram))


def test_route_table_makes_a_subnet_public_and_nat_is_placed() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("net", cidr_block="10.1.0.0/16")
        igw = aws.ec2.InternetGateway("igw", vpc_id=vpc.id)
        table = aws.ec2.RouteTable(
            "rt", vpc_id=vpc.id, routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}]
        )
        edge = aws.ec2.Subnet("edge", vpc_id=vpc.id, cidr_block="10.1.0.0/24")
        inner = aws.ec2.Subnet("inner", vpc_id=vpc.id, cidr_block="10.1.1.0/24")
        aws.ec2.RouteTableAssociation("edge-rta", subnet_id=edge.id, route_table_id=table.id)
        eip = aws.ec2.Eip("nat-ip", domain="vpc")
        aws.ec2.NatGateway("nat", subnet_id=edge.id, allocation_id=eip.id)
        sg = aws.ec2.SecurityGroup(
            "box-sg",
            vpc_id=vpc.id,
            ingress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "self": True}],
        )
        aws.ec2.Instance(
            "box",
            ami="ami-123",
            instance_type="t3.micro",
            subnet_id=inner.id,
            vpc_security_group_ids=[sg.id],
        )
        pulumi.export("vpc", vpc.id)

    diagram = render_mermaid(capture(program).resources, title="demo")
    assert diagram.startswith("---\ntitle: demo\n---\nflowchart TB\n")
    assert "nat<br/>NAT gateway" in subgraph_body(diagram, "public subnets")
    assert "box<br/>EC2 instance" in subgraph_body(diagram, "private subnets")
    assert edges(diagram) == set()  # a self-referencing rule draws no edge


def test_write_diagram_formats(tmp_path: Path) -> None:
    resources = run_preview(PLAIN).capture.resources
    md = write_diagram(resources, tmp_path / "a.md").read_text()
    mmd = write_diagram(resources, tmp_path / "a.mmd").read_text()
    assert md.splitlines()[0].startswith("<!--")
    assert "```mermaid\nflowchart TB\n" in md and md.endswith("```\n")
    assert mmd.startswith("%% ") and mmd.splitlines()[1] == "flowchart TB"
    assert mmd.split("\n", 1)[1] == render_mermaid(resources)


def test_cli_writes_the_diagram(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "arch.mmd"
    assert main(["preview", "--offline", str(PLAIN), "--no-policy", "--diagram", str(target)]) == 0
    assert f"wrote {target}" in capsys.readouterr().out
    assert "lb_web_lb -->" in target.read_text()


def test_readme_architecture_diagram_is_current(tmp_path: Path) -> None:
    if not (EXAMPLE / "Pulumi.yaml").is_file():
        pytest.skip("examples/proliferate (the bundled example) is not in the tree yet")
    regenerated = tmp_path / "architecture.mmd"
    code = main(
        [
            "preview",
            "--offline",
            str(EXAMPLE),
            "--preset",
            "prod",
            "--no-policy",
            "--diagram",
            str(regenerated),
        ]
    )
    assert code == 0
    assert ARCHITECTURE.is_file(), (
        f"docs/architecture.mmd is missing; generate it with: {REGENERATE}"
    )
    assert regenerated.read_text() == ARCHITECTURE.read_text(), (
        f"docs/architecture.mmd is out of date with examples/proliferate; regenerate it with: {REGENERATE}"
    )


class _Job(pulumi.ComponentResource):
    """A task definition with its own security group and, optionally, a service running it."""

    def __init__(
        self, name: str, vpc: aws.ec2.Vpc, subnet: aws.ec2.Subnet, *, service: bool
    ) -> None:
        super().__init__("test:diagram:Job", name)
        child = pulumi.ResourceOptions(parent=self)
        self.sg = aws.ec2.SecurityGroup(f"{name}-sg", vpc_id=vpc.id, opts=child)
        task = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=name,
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            container_definitions='[{"name": "app", "image": "app:1"}]',
            opts=child,
        )
        if service:
            aws.ecs.Service(
                f"{name}-service",
                task_definition=task.arn,
                network_configuration={"subnets": [subnet.id], "security_groups": [self.sg.id]},
                opts=child,
            )
        self.register_outputs({})


def test_a_task_definition_no_service_runs_is_a_one_off_task() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("net", cidr_block="10.2.0.0/16")
        subnet = aws.ec2.Subnet("inner", vpc_id=vpc.id, cidr_block="10.2.1.0/24")
        web = _Job("web", vpc, subnet, service=True)
        batch = _Job("nightly-batch", vpc, subnet, service=False)
        db_sg = aws.ec2.SecurityGroup("db-sg", vpc_id=vpc.id)
        for name, job in (("web", web), ("batch", batch)):
            aws.vpc.SecurityGroupIngressRule(
                f"db-from-{name}",
                security_group_id=db_sg.id,
                referenced_security_group_id=job.sg.id,
                ip_protocol="tcp",
                from_port=5432,
                to_port=5432,
            )
        group = aws.rds.SubnetGroup("db-subnets", subnet_ids=[subnet.id])
        aws.rds.Instance(
            "db",
            engine="postgres",
            instance_class="db.t4g.micro",
            allocated_storage=20,
            db_subnet_group_name=group.name,
            vpc_security_group_ids=[db_sg.id],
        )

    diagram = render_mermaid(capture(program).resources)
    assert 'task_nightly_batch_task[["nightly-batch-task<br/>one-off ECS task"]]' in diagram
    assert "web-task" not in diagram  # run by a service: the service is drawn instead
    assert edges(diagram) == {
        ("service_web_service", "tcp 5432", "store_db"),
        ("task_nightly_batch_task", "tcp 5432", "store_db"),
    }
    # in its security group's VPC, in no tier (its subnets are only given at run time)
    assert re.search(r"^    task_nightly_batch_task\[\[", diagram, re.M), diagram
    assert "nightly-batch-task" not in subgraph_body(diagram, "private subnets")
