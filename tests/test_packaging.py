"""Packaging: the sdist and wheel build and pass `twine check`; the wheel works on its own.

The slow tests build both distributions from this checkout, install the wheel into a fresh
virtualenv (no access to the source tree: every command runs from an empty temporary
directory), import every module, and run the installed `proliferate-infra`: `--version`,
`policy-pack path/write` and the offline preview of the bundled example.

The fast tests check `proliferate-infra policy-pack` against a stand-in pack.
"""

from __future__ import annotations

import argparse
import contextlib
import email.message
import email.parser
import fcntl
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from proliferate_components._version import __version__
from proliferate_components.cli import policy_pack
from proliferate_components.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
DIST_NAME = "proliferate_components"
WHEEL_EXCLUDED = {"proliferate_components.docgen"}
"""Modules of the source tree the wheel leaves out on purpose (pyproject's wheel ``exclude``)."""


# --- policy-pack command (fast) ------------------------------------------------------------


@pytest.fixture
def fake_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in bundled pack, so the command is tested whatever the real pack holds."""
    pack = tmp_path / "bundled"
    (pack / "__pycache__").mkdir(parents=True)
    (pack / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n", encoding="utf-8")
    (pack / "__main__.py").write_text("print('pack')\n", encoding="utf-8")
    (pack / "requirements.txt").write_text("proliferate-components\n", encoding="utf-8")
    monkeypatch.setattr(policy_pack, "bundled_pack_dir", lambda: pack)
    return pack


def _cli(argv: list[str]) -> int:
    """Run `proliferate-infra ARGV` with only the policy-pack subcommand registered."""
    parser = argparse.ArgumentParser(prog="proliferate-infra")
    policy_pack.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def test_write_pack_copies_the_pack_and_pins_this_version(fake_pack: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "pack"
    written = policy_pack.write_pack(dest)
    assert sorted(p.name for p in written) == [
        "PulumiPolicy.yaml",
        "__main__.py",
        "requirements.txt",
    ]
    assert sorted(p.name for p in dest.iterdir()) == [
        "PulumiPolicy.yaml",
        "__main__.py",
        "requirements.txt",
    ]
    assert (dest / "__main__.py").read_text(encoding="utf-8") == "print('pack')\n"
    requirements = (dest / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert f"proliferate-components=={__version__}" in requirements
    assert all(not line or line.startswith("#") or "==" in line for line in requirements)


def test_write_pack_refuses_a_non_empty_directory(fake_pack: Path, tmp_path: Path) -> None:
    dest = tmp_path / "pack"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        policy_pack.write_pack(dest)
    assert info.value.key == "DIR"
    assert "--force" in info.value.valid
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt"]


def test_write_pack_force_overwrites_pack_files_only(fake_pack: Path, tmp_path: Path) -> None:
    dest = tmp_path / "pack"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    (dest / "__main__.py").write_text("stale\n", encoding="utf-8")
    policy_pack.write_pack(dest, force=True)
    assert (dest / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (dest / "__main__.py").read_text(encoding="utf-8") == "print('pack')\n"


def test_write_pack_refuses_a_file(fake_pack: Path, tmp_path: Path) -> None:
    dest = tmp_path / "pack"
    dest.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError):
        policy_pack.write_pack(dest, force=True)
    assert dest.read_text(encoding="utf-8") == "x"


def test_write_to_a_path_that_cannot_be_created_is_an_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    dest = blocker / "pack"  # the OS refuses: a file is in the way (ENOTDIR)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "proliferate_components.cli.main",
            "policy-pack",
            "write",
            str(dest),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: DIR: invalid value '{dest}'; a directory this user")
    assert "Not a directory" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert blocker.read_text(encoding="utf-8") == "x"


def test_a_write_failing_midway_names_the_file_and_leaves_nothing(
    fake_pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    dest = tmp_path / "new" / "pack"

    def refused(src: object, dst: object) -> None:  # what a read-only directory answers
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(shutil, "copyfile", refused)
    with pytest.raises(ConfigError) as info:
        policy_pack.write_pack(dest)
    assert info.value.key == "DIR" and info.value.value == str(dest)
    assert "Permission denied" in info.value.valid
    assert str(dest / "PulumiPolicy.yaml") in info.value.valid
    assert not (tmp_path / "new").exists(), "the directories it created are removed"


def test_policy_pack_cli(
    fake_pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(["policy-pack", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(fake_pack)
    dest = tmp_path / "pack"
    assert _cli(["policy-pack", "write", str(dest)]) == 0
    out = capsys.readouterr().out
    assert f"pulumi preview --policy-pack {dest}" in out
    assert _cli(["policy-pack", "write", str(dest)]) == 2
    assert "--force" in capsys.readouterr().err
    assert _cli(["policy-pack", "write", "--force", str(dest)]) == 0
    assert _cli(["policy-pack"]) == 2


def test_bundled_pack_dir_reports_a_missing_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_analyzer = type(sys)("proliferate_components.analyzer")
    fake_analyzer.BUNDLED_PACK_DIR = tmp_path / "nowhere"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "proliferate_components.analyzer", fake_analyzer)
    with pytest.raises(policy_pack.PolicyPackMissingError, match="nowhere"):
        policy_pack.bundled_pack_dir()


def test_bundled_pack_dir_is_the_analyzers() -> None:
    if importlib.util.find_spec("proliferate_components.analyzer") is None:
        pytest.skip("proliferate_components.analyzer (engineer E) has not landed yet")
    from proliferate_components.analyzer import BUNDLED_PACK_DIR

    assert policy_pack.bundled_pack_dir() == Path(BUNDLED_PACK_DIR)
    assert (Path(BUNDLED_PACK_DIR) / "__main__.py").is_file()


# --- build, twine, wheel contents (slow) -----------------------------------------------------


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by the xdist workers of this run (or this process without xdist)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / "packaging"
    path.mkdir(exist_ok=True)
    return path


@contextlib.contextmanager  # pyright: ignore[reportDeprecated]
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on DIRECTORY so one worker builds while the others wait."""
    with open(directory / ".lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(out: Path) -> None:
    command = [sys.executable, "-m", "build", "--outdir", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-isolation")  # same backend, no download of a build environment
    result = subprocess.run(
        [*command, str(ROOT)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _install(wheel: Path, venv: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel) built once per run by `python -m build` (the wheel from the sdist)."""
    shared = _shared_dir(tmp_path_factory)
    out = shared / "dist"
    with _locked(shared):
        if not (shared / "built").exists():
            shutil.rmtree(out, ignore_errors=True)
            _build(out)
            (shared / "built").touch()
    sdists = sorted(out.glob("*.tar.gz"))
    wheels = sorted(out.glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, sorted(p.name for p in out.iterdir())
    return sdists[0], wheels[0]


@pytest.mark.slow
def test_twine_check_is_clean(dists: tuple[Path, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dists)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2


def _wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(name).decode("utf-8"))


@pytest.mark.slow
def test_wheel_metadata_is_complete(dists: tuple[Path, Path]) -> None:
    _, wheel = dists
    assert wheel.name == f"{DIST_NAME}-{__version__}-py3-none-any.whl"
    meta = _wheel_metadata(wheel)
    assert meta["Name"] == "proliferate-components"
    assert meta["Version"] == __version__, "the version has one source: _version.py"
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["Requires-Python"]
    assert meta["Description-Content-Type"] == "text/markdown"
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    urls = {u.split(",")[0] for u in meta.get_all("Project-URL") or []}
    assert {"Homepage", "Documentation", "Source", "Changelog", "Issues"} <= urls
    requires = " ".join(meta.get_all("Requires-Dist") or [])
    for dependency in ("pulumi", "pulumi-aws", "pulumi-policy"):
        assert dependency in requires


@pytest.mark.slow
def test_wheel_ships_data_files(dists: tuple[Path, Path]) -> None:
    _, wheel = dists
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert f"{DIST_NAME}/py.typed" in names
    assert f"{DIST_NAME}/templates/github/pulumi-preview.yml" in names
    assert f"{DIST_NAME}/templates/github/pulumi-deploy.yml" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


@pytest.mark.slow
def test_wheel_ships_nothing_test_only_or_maintainer_only(dists: tuple[Path, Path]) -> None:
    """The wheel holds the library, its CLI and its data; not the test doubles or the docs
    generator (both live in the checkout only)."""
    _, wheel = dists
    with zipfile.ZipFile(wheel) as archive:
        modules = [n for n in archive.namelist() if n.endswith(".py")]
    assert f"{DIST_NAME}/provider.py" in modules  # the check sees real module paths
    shipped_names = {Path(n).name for n in modules}
    for unwanted in ("docgen.py", "fake_pulumi.py", "conftest.py"):
        assert unwanted not in shipped_names, unwanted
    assert not [n for n in modules if Path(n).name.startswith("test_")]
    assert not [n for n in modules if "/tests/" in n or n.startswith("tests/")]


@pytest.mark.slow
def test_sdist_has_sources_tests_and_license(dists: tuple[Path, Path]) -> None:
    sdist, _ = dists
    prefix = f"{DIST_NAME}-{__version__}/"
    with tarfile.open(sdist) as archive:
        names = {n.removeprefix(prefix) for n in archive.getnames()}
    for required in (
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "proliferate_components/py.typed",
        "proliferate_components/docgen.py",
        "provider/PulumiPlugin.yaml",
        "provider/__main__.py",
    ):
        assert required in names
    assert any(n.startswith("tests/") for n in names)
    for optional in ("CHANGELOG.md", "docs/index.md"):
        if (ROOT / optional).exists():
            assert optional in names, f"{optional} exists but is not in the sdist"


# --- the installed wheel (slow) --------------------------------------------------------------


class Installed:
    """A fresh virtualenv with the wheel installed, and an empty working directory."""

    def __init__(self, venv: Path, cwd: Path) -> None:
        self.venv = venv
        self.cwd = cwd
        self.bin = venv / "bin"

    def run(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run ARGV (a program of the virtualenv) from the empty directory, isolated from here."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONSAFEPATH"] = "1"
        program = argv[0] if "/" in argv[0] else str(self.bin / argv[0])
        return subprocess.run(
            [program, *argv[1:]],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture(scope="session")
def installed_venv(dists: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with `pip install <wheel>` done once per run (dependencies from PyPI or
    pip's cache)."""
    shared = _shared_dir(tmp_path_factory)
    venv = shared / "venv"
    with _locked(shared):
        if not (shared / "installed").exists():
            shutil.rmtree(venv, ignore_errors=True)
            _install(dists[1], venv)
            (shared / "installed").touch()
    return venv


@pytest.fixture
def installed(installed_venv: Path, tmp_path: Path) -> Installed:
    """The installed wheel, with an empty working directory of this test's own."""
    cwd = tmp_path / "work"
    cwd.mkdir()
    return Installed(installed_venv, cwd)


_IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import proliferate_components as package
modules, failed = [], {}
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if info.name.endswith("__main__"):
        continue
    try:
        module = importlib.import_module(info.name)
        modules.append(info.name)
    except Exception as exc:
        failed[info.name] = repr(exc)
        continue
    missing = [n for n in getattr(module, "__all__", []) if not hasattr(module, n)]
    if missing:
        failed[info.name] = f"__all__ names missing: {missing}"
public = {name: hasattr(package, name) for name in getattr(package, "__all__", [])}
print(json.dumps({"file": package.__file__, "version": package.__version__,
                  "modules": modules, "failed": failed, "public": public}))
"""


@pytest.mark.slow
def test_installed_package_imports_from_site_packages(installed: Installed) -> None:
    result = installed.run("python", "-c", _IMPORT_EVERYTHING)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert Path(report["file"]).is_relative_to(installed.venv), "imported the source tree"
    assert report["version"] == __version__
    assert report["failed"] == {}
    assert all(report["public"].values()), report["public"]
    source_modules = {
        "proliferate_components." + ".".join(p.relative_to(ROOT / DIST_NAME).with_suffix("").parts)
        for p in (ROOT / DIST_NAME).rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
        and not any(part.startswith(".") for part in p.parts)
    }
    tracked = subprocess.run(
        ["git", "ls-files", DIST_NAME], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    if tracked:  # only modules committed to git must be shipped
        committed = {
            "proliferate_components."
            + ".".join(Path(t).relative_to(DIST_NAME).with_suffix("").parts)
            for t in tracked
            if t.endswith(".py") and not t.endswith(("__init__.py", "__main__.py"))
        }
        source_modules &= committed
    source_modules -= WHEEL_EXCLUDED
    assert source_modules <= set(report["modules"]), sorted(source_modules - set(report["modules"]))


@pytest.mark.slow
def test_installed_cli_reports_its_version(installed: Installed) -> None:
    result = installed.run("proliferate-infra", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"proliferate-infra {__version__}"


def _has_module(installed: Installed, module: str) -> bool:
    probe = installed.run(
        "python",
        "-c",
        f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)",
    )
    return probe.returncode == 0


def _package_file_exists(installed: Installed, relative: str) -> bool:
    probe = installed.run(
        "python",
        "-c",
        "import pathlib, sys, proliferate_components as p; "
        "sys.exit(not (pathlib.Path(p.__file__).parent / sys.argv[1]).is_file())",
        relative,
    )
    return probe.returncode == 0


@pytest.mark.slow
def test_installed_policy_pack_path_and_write(installed: Installed) -> None:
    if not _has_module(installed, "proliferate_components.analyzer"):
        pytest.skip("the wheel has no proliferate_components.analyzer (BUNDLED_PACK_DIR) yet")
    if not _package_file_exists(installed, "_policy_pack/PulumiPolicy.yaml"):
        pytest.skip(
            "the wheel does not ship the policy pack: pyproject.toml needs "
            '[tool.hatch.build.targets.wheel.force-include] "policies" = '
            '"proliferate_components/_policy_pack"'
        )
    result = installed.run("proliferate-infra", "policy-pack", "path")
    assert result.returncode == 0, result.stderr
    pack = Path(result.stdout.strip())
    assert pack.is_relative_to(installed.venv), f"{pack} is not inside the installed package"
    assert (pack / "PulumiPolicy.yaml").is_file()
    assert (pack / "__main__.py").is_file()
    dest = installed.cwd / "policy-pack"
    result = installed.run("proliferate-infra", "policy-pack", "write", str(dest))
    assert result.returncode == 0, result.stderr
    assert (dest / "PulumiPolicy.yaml").read_bytes() == (pack / "PulumiPolicy.yaml").read_bytes()
    assert f"proliferate-components=={__version__}" in (dest / "requirements.txt").read_text()
    # The written pack starts the way the engine starts it, from the installed package.
    result = installed.run(
        "python",
        "-c",
        "import sys; from proliferate_components.analyzer import AnalyzerProcess\n"
        "with AnalyzerProcess(sys.argv[1]) as analyzer:\n"
        "    info = analyzer.info()\n"
        "    print(len(info.policies))\n",
        str(dest),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 0


@pytest.mark.slow
def test_installed_offline_preview_of_the_bundled_example(installed: Installed) -> None:
    if not _has_module(installed, "proliferate_components.cli.preview"):
        pytest.skip("the wheel has no `preview` subcommand (engineer F's cli/preview.py) yet")
    if not _package_file_exists(installed, "_examples/proliferate/Pulumi.yaml"):
        pytest.skip(
            "the wheel does not ship the bundled example: pyproject.toml needs "
            '[tool.hatch.build.targets.wheel.force-include] "examples/proliferate" = '
            '"proliferate_components/_examples/proliferate"'
        )
    result = installed.run("proliferate-infra", "preview", "--offline", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ProliferateStack" in result.stdout or "proliferate:" in result.stdout, result.stdout
    assert not list(installed.cwd.glob("Pulumi*.yaml")), "the preview wrote into the cwd"
