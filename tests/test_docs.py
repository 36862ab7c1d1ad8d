"""The documentation: generated tables are current, every code block is valid, the site builds.

- Generated blocks (between ``<!-- BEGIN GENERATED: name -->`` markers) must equal what
  ``proliferate_components.docgen`` renders from the single sources; otherwise run
  ``python -m proliferate_components.docgen``.
- Every fenced code block of ``docs/**/*.md``, ``README.md``, ``CONTRIBUTING.md`` and
  ``SECURITY.md`` has a language and is checked: python is compiled, yaml and json parsed,
  bash/sh checked with ``bash -n``, toml parsed. A python block preceded by
  ``<!-- test: run -->`` is executed. Blocks titled ``title="DIR/FILE"`` are written to a
  temporary DIR, and a DIR holding ``Pulumi.yaml`` is previewed offline with
  ``proliferate-infra preview --offline DIR``, as a reader would.
- ``pulumi config set`` lines name real keys; policy configs name real policies.
- ``mkdocs build --strict`` passes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from proliferate_components import docgen

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = sorted(
    [
        *(ROOT / "docs").rglob("*.md"),
        *(
            p
            for p in (ROOT / n for n in ("README.md", "CONTRIBUTING.md", "SECURITY.md"))
            if p.exists()
        ),
    ]
)
RUN_MARKER = "<!-- test: run -->"
SKIPPED_LANGUAGES = frozenset({"text", "mermaid", "console", "output", "diff"})
SHELL_LANGUAGES = frozenset({"bash", "sh", "shell"})


@dataclass(frozen=True)
class CodeBlock:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int
    language: str
    title: str | None
    run: bool
    code: str

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


_FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")


def code_blocks(path: Path) -> list[CodeBlock]:
    """The fenced code blocks of ``path`` (fences may be indented, e.g. inside lists)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[CodeBlock] = []
    index = 0
    while index < len(lines):
        match = _FENCE_OPEN.match(lines[index])
        if not match:
            index += 1
            continue
        indent, fence, info = match["indent"], match["fence"], match["info"].strip()
        language = info.split()[0].lstrip("{.").rstrip("}") if info else ""
        title_match = re.search(r'title="([^"]+)"', info)
        previous = next(
            (lines[i].strip() for i in range(index - 1, -1, -1) if lines[i].strip()), ""
        )
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            stripped = lines[end].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) <= {fence[0]}:
                break
            body.append(lines[end][len(indent) :] if lines[end].startswith(indent) else lines[end])
            end += 1
        else:
            raise AssertionError(f"{path}:{index + 1}: unclosed code fence")
        blocks.append(
            CodeBlock(
                path=path,
                line=index + 1,
                language=language.lower(),
                title=title_match.group(1) if title_match else None,
                run=previous == RUN_MARKER,
                code="\n".join(body) + "\n",
            )
        )
        index = end + 1
    return blocks


ALL_BLOCKS = [block for path in DOC_FILES for block in code_blocks(path)]


def test_docs_have_code_blocks() -> None:
    """The collector finds the blocks (a broken parser must not make every check vacuous)."""
    languages = {b.language for b in ALL_BLOCKS}
    assert {"python", "bash", "yaml"} <= languages
    assert any(b.run for b in ALL_BLOCKS)
    assert any(b.title for b in ALL_BLOCKS)


# --- generated blocks -------------------------------------------------------------------------


def test_generated_blocks_are_current() -> None:
    stale = docgen.stale_blocks(ROOT)
    assert stale == [], (
        f"stale generated docs: {stale}; regenerate with `python -m proliferate_components.docgen`"
    )


def test_every_block_has_its_markers_once() -> None:
    for block in docgen.BLOCKS:
        text = (ROOT / block.page).read_text(encoding="utf-8")
        assert text.count(docgen.BEGIN.format(name=block.name)) == 1, block
        assert text.count(docgen.END.format(name=block.name)) == 1, block


def test_generated_blocks_are_not_empty() -> None:
    for block in docgen.BLOCKS:
        assert block.render().strip(), f"{block.name} renders nothing"


def test_docgen_check_detects_drift_and_rewrite_fixes_it(tmp_path: Path) -> None:
    for block in docgen.BLOCKS:
        target = tmp_path / block.page
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / block.page, target)
    command = [sys.executable, "-m", "proliferate_components.docgen", "--root", str(tmp_path)]
    assert subprocess.run([*command, "--check"], capture_output=True, check=False).returncode == 0
    page = tmp_path / "docs" / "configuration.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("`proliferate:workerCpu`", "`proliferate:workerCPU`"), "utf-8")
    check = subprocess.run([*command, "--check"], capture_output=True, text=True, check=False)
    assert check.returncode == 1
    assert "docs/configuration.md:config" in check.stderr
    fix = subprocess.run(command, capture_output=True, text=True, check=False)
    assert fix.returncode == 0, fix.stderr
    assert page.read_text(encoding="utf-8") == text


def test_replace_block_rejects_missing_or_repeated_markers() -> None:
    begin, end = docgen.BEGIN.format(name="x"), docgen.END.format(name="x")
    assert docgen.replace_block(f"a\n{begin}\nold\n{end}\nb", "x", "new\n") == (
        f"a\n{begin}\nnew\n{end}\nb"
    )
    for bad in ("no markers", f"{begin}\n{begin}\n{end}", f"{end}\n{begin}"):
        with pytest.raises(docgen.DocgenError):
            docgen.replace_block(bad, "x", "new")


def test_config_table_lists_every_key() -> None:
    from proliferate_components.config import CONFIG_KEYS

    table = docgen.render_config()
    for ck in CONFIG_KEYS:
        assert f"`{ck.full_key}`" in table
    assert table.count("\n") == len(CONFIG_KEYS) + 2


def test_environment_tables_list_every_variable() -> None:
    from proliferate_components.environment import ENVIRONMENT

    text = docgen.render_environment()
    for var in ENVIRONMENT:
        assert f"| `{var.name}` |" in text


def test_policy_reference_lists_every_rule() -> None:
    from proliferate_components.policies import RULES

    text = docgen.render_policies()
    for rule in RULES:
        assert f"### `{rule.id}`" in text


def test_component_reference_marks_replacing_fields() -> None:
    import proliferate_components.cache as cache

    text = docgen.render_components()
    assert "### RedisCacheArgs" in text
    section = text.split("### RedisCacheArgs", 1)[1].split("\n## ", 1)[0]
    for field_name in cache.FORCES_REPLACEMENT:
        row = next(line for line in section.splitlines() if line.startswith(f"| `{field_name}` |"))
        assert "| yes: " in row, row


# --- code blocks ------------------------------------------------------------------------------


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda b: b.id)
def test_code_block_is_valid(block: CodeBlock, tmp_path: Path) -> None:
    language = block.language
    assert language, f"{block.id}: give the code block a language (```bash, ```python, ...)"
    if language in ("python", "py"):
        compile(block.code, block.id, "exec")
    elif language in ("yaml", "yml"):
        list(yaml.safe_load_all(block.code))
    elif language == "json":
        json.loads(block.code)
    elif language in SHELL_LANGUAGES:
        script = tmp_path / "block.sh"
        script.write_text(block.code, encoding="utf-8")
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, f"{block.id}: {result.stderr}"
    elif language == "toml":
        tomllib = pytest.importorskip("tomllib")
        tomllib.loads(block.code)
    else:
        assert language in SKIPPED_LANGUAGES, f"{block.id}: no checker for language {language!r}"


RUNNABLE = [b for b in ALL_BLOCKS if b.run]


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.id)
def test_runnable_python_examples_run(block: CodeBlock) -> None:
    """Blocks marked `<!-- test: run -->` run as written (they use the capture harness)."""
    assert block.language == "python", f"{block.id}: only python blocks can be marked to run"
    namespace: dict[str, object] = {"__name__": "__docs__"}
    exec(compile(block.code, block.id, "exec"), namespace)


def _projects() -> list[tuple[str, dict[str, str]]]:
    projects: dict[str, dict[str, str]] = {}
    for block in ALL_BLOCKS:
        if block.title and "/" in block.title:
            directory, name = block.title.split("/", 1)
            key = f"{block.path.relative_to(ROOT)}:{directory}"
            projects.setdefault(key, {})[name] = block.code
    return sorted(projects.items())


PROJECTS = _projects()


def test_docs_contain_a_previewable_project() -> None:
    assert any("Pulumi.yaml" in files and "__main__.py" in files for _, files in PROJECTS)


@pytest.mark.parametrize(("key", "files"), PROJECTS, ids=[k for k, _ in PROJECTS])
def test_documented_project_previews_offline(
    key: str, files: dict[str, str], tmp_path: Path
) -> None:
    """A reader who copies the titled files gets a program that previews cleanly."""
    directory = tmp_path / key.rsplit(":", 1)[1]
    for name, text in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    if "Pulumi.yaml" not in files:
        return
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "proliferate_components.cli.main",
            "preview",
            "--offline",
            str(directory),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 mandatory" in result.stdout, result.stdout


def _config_set_keys() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for block in ALL_BLOCKS:
        if block.language not in SHELL_LANGUAGES:
            continue
        for match in re.finditer(r"pulumi config set (?:--secret |--path )*([\w:.-]+)", block.code):
            found.append((block.id, match.group(1)))
    return found


def test_config_set_lines_name_real_keys() -> None:
    from proliferate_components.config import CONFIG_KEYS
    from proliferate_components.environment import ENVIRONMENT, config_key

    known = {ck.full_key for ck in CONFIG_KEYS}
    known |= {config_key(v.name) for v in ENVIRONMENT}
    used = _config_set_keys()
    assert used, "no `pulumi config set` line found in the docs"
    unknown = [(where, key) for where, key in used if key not in known]
    assert unknown == [], f"unknown config keys in the docs: {unknown}"


def test_policy_configs_name_real_policies() -> None:
    from proliferate_components.policies import RULES

    ids = {rule.id for rule in RULES}
    checked = 0
    for block in ALL_BLOCKS:
        if block.language != "json" or "policies" not in block.path.name:
            continue
        config = json.loads(block.code)
        assert set(config) - {"all"} <= ids, block.id
        checked += 1
    assert checked


# --- pages ------------------------------------------------------------------------------------


def _headings(page: str) -> list[str]:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    return [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]


def test_self_hosting_guide_has_the_spec_sections() -> None:
    headings = _headings("self-hosting.md")
    for required in (
        "1. Prerequisites",
        "2. Quick start",
        "3. Configuration reference",
        "Scaling recommendations",
        "4. Troubleshooting",
        "Common deployment errors",
        "Where the logs are",
        "How to redeploy",
        "How to roll back",
    ):
        assert required in headings, required
    steps = [h for h in headings if h.startswith("Step ")]
    assert len(steps) == 5, steps


def test_decisions_answer_the_open_questions() -> None:
    headings = _headings("decisions.md")
    for question in ("State backend", "Multi-cloud", "Database", "Web hosting", "Sandbox provider"):
        assert question in headings
    text = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    assert text.count("**Decision:") == 5


def test_mkdocs_builds_strict(tmp_path: Path) -> None:
    mkdocs = shutil.which(
        "mkdocs", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if mkdocs is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("mkdocs is not installed (pip install mkdocs-material)")
        pytest.skip("mkdocs is not installed (pip install mkdocs-material)")
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "self-hosting" / "index.html").is_file()
    # What a reader sees: no escaped entity or backslash left visible inside code, no
    # private helper shown as a default value.
    leftovers: list[str] = []
    for page in (tmp_path / "site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for code in re.findall(r"<code>(.*?)</code>", html, flags=re.S):
            if "&amp;lt;" in code or "&amp;gt;" in code or "\\_" in code:
                leftovers.append(f"{page.relative_to(tmp_path)}: {code[:80]}")
        leftovers += [
            f"{page.relative_to(tmp_path)}: {m}" for m in re.findall(r"\b_[a-z_]+\(\)", html)
        ]
    assert leftovers == []


def test_environment_minimum_names_every_required_user_key() -> None:
    """The hand-written "minimum you must provide" list follows the schema."""
    from proliferate_components.environment import ENVIRONMENT, Source

    text = (ROOT / "docs" / "environment.md").read_text(encoding="utf-8")
    prose = text.split(docgen.BEGIN.format(name="environment"), 1)[0]
    required = [
        v.name for v in ENVIRONMENT if v.source is Source.USER and v.required and v.default is None
    ]
    assert required
    missing = [name for name in required if f"`{name}`" not in prose]
    assert missing == [], f"docs/environment.md does not name required keys {missing}"


def test_config_keys_mentioned_in_the_docs_exist() -> None:
    """Every `proliferate:<key>` named anywhere in the docs is a real config or secret key."""
    from proliferate_components.config import CONFIG_KEYS
    from proliferate_components.environment import ENVIRONMENT, config_key

    known = {ck.full_key for ck in CONFIG_KEYS} | {config_key(v.name) for v in ENVIRONMENT}
    unknown: list[str] = []
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for key in sorted(set(re.findall(r"\bproliferate:[A-Za-z][A-Za-z0-9_]*(?![\w:=])", text))):
            if key not in known and not key.startswith(
                ("proliferate:cache:", "proliferate:stack:")
            ):
                unknown.append(f"{path.relative_to(ROOT)}: {key}")
    assert unknown == [], unknown


def test_documented_idle_timeout_is_the_load_balancers_default() -> None:
    from proliferate_components.loadbalancer import DEFAULT_IDLE_TIMEOUT_SECONDS

    stated: list[tuple[str, int]] = []
    for path in DOC_FILES:
        text = " ".join(path.read_text(encoding="utf-8").split())
        for seconds in re.findall(r"idle timeout (\d+) ?s\b", text, flags=re.IGNORECASE):
            stated.append((str(path.relative_to(ROOT)), int(seconds)))
    assert ("docs/self-hosting.md", DEFAULT_IDLE_TIMEOUT_SECONDS) in stated
    assert [s for s in stated if s[1] != DEFAULT_IDLE_TIMEOUT_SECONDS] == []
