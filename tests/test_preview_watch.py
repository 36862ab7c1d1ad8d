"""``preview --watch``: every re-preview gives what a cold preview of the same files gives.

Equality of the ``--json`` export is tested here, never time (the benchmark measures it).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from proliferate_components.analyzer import BUNDLED_PACK_DIR
from proliferate_components.preview import watch as watch_module
from proliferate_components.preview.pack_pool import PackPool
from proliferate_components.preview.watch import FileWatch, purge_local_modules

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "proliferate"


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "proliferate_components.cli.main", "preview", "--offline", *args]


class _Watch:
    """A ``preview --watch`` subprocess whose output lines are read on a thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            _cli(*args, "--watch"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, ""):
            self.lines.put(line.rstrip("\n"))

    def until(self, needle: str, timeout: float = 180) -> list[str]:
        """Lines up to the first one containing ``needle``."""
        deadline = time.monotonic() + timeout
        got: list[str] = []
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            got.append(line)
            self.seen.append(line)
            if needle in line:
                return got

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def _cold(project: Path, out: Path, env: dict[str, str]) -> bytes:
    proc = subprocess.run(
        _cli(str(project), "--preset", "prod", "--json", str(out)),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr
    return out.read_bytes()


@pytest.fixture
def edited_example(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the example whose program also exports a value from a local library."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    library = tmp_path / "lib"
    library.mkdir()
    (library / "watched_lib.py").write_text('TAG = "one"\n', encoding="utf-8")
    main = project / "__main__.py"
    main.write_text(
        main.read_text(encoding="utf-8")
        + '\nimport pulumi\nimport watched_lib\n\npulumi.export("tag", watched_lib.TAG)\n'
        + 'pulumi.export("edit", "0")\n',
        encoding="utf-8",
    )
    return project, library


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    time.sleep(0.05)  # a new mtime even on coarse file systems
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.slow
def test_each_re_preview_writes_the_export_of_a_cold_preview(
    edited_example: tuple[Path, Path], tmp_path: Path
) -> None:
    project, library = edited_example
    env = dict(os.environ, PYTHONPATH=str(library), PROLIFERATE_CACHE_DIR=str(tmp_path / "cache"))
    warm_out, cold_out = tmp_path / "warm.json", tmp_path / "cold.json"
    watch = _Watch([str(project), "--preset", "prod", "--json", str(warm_out)], env)
    try:
        watch.until("watching")
        assert warm_out.read_bytes() == _cold(project, cold_out, env)

        # a one-line change to the program
        _edit(project / "__main__.py", 'pulumi.export("edit", "0")', 'pulumi.export("edit", "1")')
        assert "re-previewed in" in watch.until("re-previewed in")[-1]
        watch.until("watching")
        assert json.loads(warm_out.read_bytes())["outputs"]["edit"] == "1"
        assert warm_out.read_bytes() == _cold(project, cold_out, env)

        # local code outside the project: dropped and imported afresh
        _edit(library / "watched_lib.py", '"one"', '"two"')
        watch.until("watching")
        assert json.loads(warm_out.read_bytes())["outputs"]["tag"] == "two"
        assert warm_out.read_bytes() == _cold(project, cold_out, env)

        # the stack's config: the program sees it and the pack is restarted with it
        (project / "Pulumi.prod.yaml").write_text("config:\n  proliferate:azCount: 3\n")
        watch.until("watching")
        document = json.loads(warm_out.read_bytes())
        assert sum(r["type"] == "aws:ec2/subnet:Subnet" for r in document["resources"]) == 6
        assert warm_out.read_bytes() == _cold(project, cold_out, env)

        # a broken edit is reported and the watch goes on
        _edit(project / "__main__.py", 'pulumi.export("edit", "1")', 'pulumi.export("edit", ')
        assert any("error:" in line for line in watch.until("watching"))
        _edit(project / "__main__.py", 'pulumi.export("edit", ', 'pulumi.export("edit", "2")')
        watch.until("watching")
        assert warm_out.read_bytes() == _cold(project, cold_out, env)
    finally:
        code = watch.stop()
    assert code in (0, 1)  # the last preview's exit code
    assert watch.seen.count("stopped watching") <= 1


# -- the pieces ------------------------------------------------------------------------------


def test_the_watch_sees_project_files_but_not_outputs_environments_or_caches(
    tmp_path: Path,
) -> None:
    project = tmp_path / "p"
    for name in (
        "Pulumi.yaml",
        "__main__.py",
        "infra/network.py",
        "data/sizes.json",
        "venv/pyvenv.cfg",
        "venv/lib/x.py",
        ".git/HEAD",
        "__pycache__/m.pyc",
        "node_modules/a.js",
        "out/preview.json",
    ):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("x")
    watcher = FileWatch(project, ignore=[project / "out" / "preview.json"], notify=False)
    seen = {p.relative_to(project).as_posix() for p in watcher.scan()}
    assert seen == {"Pulumi.yaml", "__main__.py", "infra/network.py", "data/sizes.json"}


def test_changes_are_sorted_by_what_they_require(tmp_path: Path) -> None:
    project, pack, config = tmp_path / "project", tmp_path / "pack", tmp_path / "levels.json"
    watcher = FileWatch(project, pack, extra_files=[config], notify=False)
    change = watcher.classify(
        [project / "__main__.py", pack / "__main__.py", config.resolve(), tmp_path / "lib.py"]
    )
    assert (change.project, change.pack, change.local_code) == (True, True, True)
    only_project = watcher.classify([project.resolve() / "Pulumi.yaml"])
    assert (only_project.project, only_project.pack, only_project.local_code) == (
        True,
        False,
        False,
    )


@pytest.mark.parametrize("notify", [True, False], ids=["inotify", "polling"])
def test_a_change_is_reported_once_it_has_settled(tmp_path: Path, notify: bool) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\n")
    watcher = FileWatch(tmp_path, notify=notify)
    if notify and sys.platform.startswith("linux"):
        assert watcher._notifier is not None  # pyright: ignore[reportPrivateUsage]
    watcher.start()
    watcher.refresh_modules()
    assert watcher.wait(poll=0.01, stop=0.05) is None  # nothing changed

    def write_twice() -> None:
        time.sleep(0.05)
        (tmp_path / "__main__.py").write_text("a = 1\n")
        time.sleep(0.005)
        (tmp_path / "Pulumi.yaml").write_text("name: q\n")

    writer = threading.Thread(target=write_twice)
    writer.start()
    change = watcher.wait(poll=0.02, settle=0.05, stop=10)
    writer.join()
    watcher.close()
    assert change is not None and change.project
    assert {p.name for p in change.paths} == {"__main__.py", "Pulumi.yaml"}


def test_a_file_saved_while_a_preview_runs_is_a_change(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\n")
    watcher = FileWatch(tmp_path, notify=False)
    watcher.start()  # what the preview is about to read
    (tmp_path / "Pulumi.yaml").write_text("name: saved-during-the-preview\n")
    (tmp_path / "new_module.py").write_text("x = 1\n")
    watcher.refresh_modules()  # the preview ended
    change = watcher.wait(poll=0.01, settle=0.01, stop=5)
    assert change is not None
    assert {p.name for p in change.paths} == {"Pulumi.yaml", "new_module.py"}


@pytest.fixture
def local_module(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "purge_me_module.py").write_text("VALUE = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield "purge_me_module"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("purge_me_module", None)


def test_purging_drops_local_modules_but_not_the_watch_loop(local_module: str) -> None:
    import importlib

    importlib.import_module(local_module)
    loop_modules = {m for m in sys.modules if m.startswith("proliferate_components.cli")}
    snapshot = dict(sys.modules)
    try:
        dropped = purge_local_modules()
        assert local_module in dropped and local_module not in sys.modules
        assert watch_module.__name__ in sys.modules and watch_module.__name__ not in dropped
        assert loop_modules <= set(sys.modules)
        assert not [m for m in dropped if m.startswith(("pulumi.", "pulumi_aws", "json"))]
    finally:
        # put this test process back as it was (other tests hold the old modules' classes)
        sys.modules.update({k: v for k, v in snapshot.items() if k != local_module})


def test_the_pack_pool_reuses_a_pack_until_its_settings_change() -> None:
    settings = {
        "project": "proliferate",
        "stack": "dev",
        "stack_config": {"aws:region": "us-east-1"},
    }
    with PackPool() as pool:
        first = pool.acquire(BUNDLED_PACK_DIR, None, **settings)()  # pyright: ignore[reportArgumentType]
        again = pool.acquire(BUNDLED_PACK_DIR, None, **settings)()  # pyright: ignore[reportArgumentType]
        assert again is first and first.alive() and pool.started == 1
        changed = pool.acquire(
            BUNDLED_PACK_DIR,
            None,
            project="proliferate",
            stack="dev",
            stack_config={"aws:region": "eu-west-1"},
        )()
        assert changed is not first and not first.alive() and pool.started == 2
        assert changed.pid is not None
        os.kill(changed.pid, signal.SIGKILL)
        changed._proc.wait()  # pyright: ignore[reportOptionalMemberAccess, reportPrivateUsage]
        fresh = pool.acquire(
            BUNDLED_PACK_DIR,
            None,
            project="proliferate",
            stack="dev",
            stack_config={"aws:region": "eu-west-1"},
        )()
        assert fresh is not changed and fresh.alive() and pool.started == 3
    assert not fresh.alive()  # closing the pool stops its pack


def test_a_bad_option_ends_the_watch_at_once(tmp_path: Path) -> None:
    proc = subprocess.run(
        _cli(str(EXAMPLE), "--watch", "--diagram", str(tmp_path / "diagram.txt")),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "--diagram" in proc.stderr and "watching" not in proc.stdout
