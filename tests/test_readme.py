"""The README's promises hold: its program runs, its diagram is current, its commands exist."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from proliferate_components.testing import capture, redact

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_first_screen_gives_the_two_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:15])
    assert "make preview" in first_screen and "make test" in first_screen
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^preview: ", makefile, flags=re.M) and re.search(
        r"^test: ", makefile, flags=re.M
    )
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M), (
        ".ci/run must call exactly the README's test command"
    )


def test_readme_data_tier_program_runs_and_protects_the_data_stores() -> None:
    program = next(b for b in _python_blocks(README) if "RedisCache(" in b)
    assert 5 <= len([line for line in program.splitlines() if line.strip()]) <= 16
    cap = capture(lambda: exec(compile(program, "README.md", "exec"), {"__name__": "__main__"}))
    protected = {r.type for r in cap.resources if r.protect}
    assert protected == {
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:rds/instance:Instance",
        "random:index/randomPassword:RandomPassword",  # the AUTH token and the DB password
    }
    assert set(cap.outputs) == {"redisUrl", "databaseUrl"}
    assert all(redact(v) == "[secret]" for v in cap.outputs.values())
    assert cap.output("redisUrl").startswith("rediss://:")
    tasks = cap.one("aws:ec2/securityGroup:SecurityGroup", "app-tasks")
    sources = {
        r.input("referencedSecurityGroupId")
        for r in cap.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    }
    assert sources == {tasks.id}


def test_readme_example_program_block_is_the_bundled_one() -> None:
    program = next(b for b in _python_blocks(README) if "ProliferateStack(" in b)
    assert program.strip() in (REPO / "examples" / "proliferate" / "__main__.py").read_text()


def test_readme_architecture_diagram_is_the_generated_one() -> None:
    block = README.split("<!-- BEGIN GENERATED: architecture -->", 1)[1].split(
        "<!-- END GENERATED: architecture -->", 1
    )[0]
    body = block.strip().removeprefix("```mermaid").removesuffix("```").strip()
    generated = (REPO / "docs" / "architecture.mmd").read_text().strip()
    assert body == generated, (
        "README diagram drifted from docs/architecture.mmd: regenerate the .mmd (see "
        "tests/test_preview_diagram.py) and paste it into README's architecture block"
    )


@pytest.mark.parametrize(
    "name", ["Network", "RedisCache", "PostgresDb", "ProliferateStack", "StackConfig"]
)
def test_public_names_import_from_the_top_level(name: str) -> None:
    import proliferate_components

    assert getattr(proliferate_components, name).__name__ == name
    assert name in proliferate_components.__all__


def test_importing_the_package_does_not_import_pulumi() -> None:
    import subprocess

    code = "import sys, proliferate_components; print('pulumi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_rule_count_in_the_readme_is_the_pack_s() -> None:
    from proliferate_components.policies.catalog import RULES

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    counts = re.findall(r"\((\d+) rules\)", readme)
    assert counts == [str(len(RULES))], (counts, len(RULES))
