"""``proliferate-infra preview --offline --watch``: preview again whenever a file changes.

The first preview is a cold one. Then the process stays: the interpreter keeps every module
it imported (Pulumi, the provider SDKs, this package) and :class:`~.pack_pool.PackPool`
keeps the policy pack's process running, so the next preview pays for neither. The watched
files are looked at when the kernel reports a change in their directories (inotify, on
Linux) or else polled every :data:`POLL_SECONDS`; once a change has settled (the files stay
the same for :data:`SETTLE_SECONDS`) the preview runs again and
prints the same report a cold run prints, writes the same ``--json``/``--diagram`` files,
then ``re-previewed in ... s``.

What is watched and what a change reloads:

* **the project directory** (every file, except hidden directories, ``__pycache__``,
  ``node_modules``, virtual environments and the preview's own output files): the next
  preview reads ``Pulumi.yaml`` and the stack file again and runs the program from scratch;
  the modules the program imports from the project directory are dropped after every
  preview (as :func:`~proliferate_components.testing.capture_project` always does), so they
  are imported afresh.
* **local Python code outside the project**: the package directories of every module that
  is loaded from outside the standard library and ``site-packages`` (an editable install or
  a checkout, like this package's own in development, or a library next to the project).
  A change there drops all such modules from ``sys.modules`` (not only the changed one: the
  others may hold its old classes), so they are imported afresh, and restarts the pack,
  which may import them too. The modules running the watch loop itself
  (``proliferate_components.cli.*`` and the ``watch``, ``sdk_loader`` and ``timings``
  modules of this package) cannot be replaced while they run: a change to them is reported
  with a hint to restart.
* **the policy pack directory and the ``--policy-pack-config`` file**: a change restarts
  the pack. So does a change of the stack's config (the pack receives it at start-up).

Not reloaded: installed packages (``site-packages``: Pulumi, ``pulumi_aws``, an installed
copy of this package). Restart the watch after upgrading them.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import os
import site
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .timeout import PreviewTimeout

if TYPE_CHECKING:
    import argparse

    from .pack_pool import PackPool

__all__ = [
    "KEEP_MODULES",
    "POLL_SECONDS",
    "Change",
    "FileWatch",
    "local_module_files",
    "purge_local_modules",
    "watch",
]

POLL_SECONDS = 0.025
"""How often the watched files are checked."""

SETTLE_SECONDS = 0.01
"""A change is acted on once the files stayed the same for this long (editors write in steps)."""

KEEP_MODULES: tuple[str, ...] = (
    "proliferate_components.cli",
    "proliferate_components.preview.watch",
    "proliferate_components.preview.sdk_loader",
    "proliferate_components.preview.timings",
)
"""Modules (and their submodules) never dropped: they run the watch loop."""

_SKIP_DIRS = frozenset({"__pycache__", "node_modules"})

Stamp = tuple[int, int]
"""``(mtime_ns, size)`` of a file."""


@functools.cache
def _installed_roots() -> tuple[str, ...]:
    """Directories of the standard library and of installed packages (as given and resolved)."""
    roots: set[str] = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        with contextlib.suppress(KeyError):
            roots.add(sysconfig.get_paths()[key])
    with contextlib.suppress(AttributeError):
        roots.update(site.getsitepackages())
    with contextlib.suppress(AttributeError):
        roots.add(site.getusersitepackages())
    roots.update({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})
    given = {os.path.abspath(r) + os.sep for r in roots if r}
    return tuple(sorted(given | {os.path.realpath(r) + os.sep for r in given}))


def _is_local(path: str, installed: Iterable[str]) -> bool:
    if path.startswith(tuple(installed)):
        return False
    real = os.path.realpath(path)
    return not real.startswith(tuple(installed))


def local_module_files() -> dict[str, str]:
    """``{module name: source file}`` of every loaded module that is local code (not from
    the standard library or ``site-packages``)."""
    installed = _installed_roots()
    found: dict[str, str] = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or not file.endswith(".py"):
            continue
        if _is_local(file, installed) and os.path.isfile(file):
            found[name] = file
    return found


def _kept(name: str) -> bool:
    return any(name == keep or name.startswith(keep + ".") for keep in KEEP_MODULES)


def purge_local_modules() -> list[str]:
    """Drop every local module (see :func:`local_module_files`) except :data:`KEEP_MODULES`
    from ``sys.modules``, so the next import executes its current source; returns the names."""
    dropped = sorted(name for name in local_module_files() if not _kept(name))
    for name in dropped:
        sys.modules.pop(name, None)
    importlib.invalidate_caches()
    return dropped


def _package_root(name: str, file: str) -> Path:
    """The directory of the top-level package ``name`` belongs to (or the module's file)."""
    path = Path(file).resolve()
    depth = name.count(".") + (1 if path.name == "__init__.py" else 0)
    root = path.parent
    for _ in range(depth):
        root = root.parent
    if depth == 0:
        return path  # a top-level module: watch its file
    return root / name.partition(".")[0]


@dataclass
class Change:
    """What changed between two looks at the watched files."""

    paths: list[Path]
    """The files that were changed, added or removed."""
    project: bool = False
    """A file of the project directory."""
    local_code: bool = False
    """Local Python code outside the project (modules are dropped, the pack restarts)."""
    pack: bool = False
    """The policy pack directory or the ``--policy-pack-config`` file."""
    kept: list[str] = field(default_factory=list[str])
    """Modules of the watch loop itself that changed (a restart is needed to use them)."""


class FileWatch:
    """Polls the files a preview depends on (see the module docstring).

    Args:
        project_dir: the project directory.
        pack_dir: the policy pack directory (``None`` without a pack).
        extra_files: more files to watch as part of the pack (``--policy-pack-config``).
        ignore: files never watched (the preview's own ``--json``/``--diagram`` outputs).
        notify: wait for the kernel's file events (inotify, Linux) rather than polling when
            available; the files are compared the same way either way.
    """

    def __init__(
        self,
        project_dir: Path,
        pack_dir: Path | None = None,
        extra_files: Iterable[Path] = (),
        ignore: Iterable[Path] = (),
        *,
        notify: bool = True,
    ) -> None:
        self.project_dir = project_dir.resolve()
        self.pack_dir = pack_dir.resolve() if pack_dir is not None else None
        self.extra_files = [p.resolve() for p in extra_files]
        self.ignore = {p.resolve() for p in ignore}
        self._code_roots: set[Path] = set()
        self._kept_files: dict[Path, str] = {}
        self._snapshot: dict[Path, Stamp] = {}
        self._directories: set[Path] = set()
        self._notifier = _Inotify.open() if notify else None

    def close(self) -> None:
        """Release the kernel notifier (idempotent; the watch polls afterwards)."""
        notifier, self._notifier = self._notifier, None
        if notifier is not None:
            notifier.close()

    def start(self) -> None:
        """Note the watched files as they are now (call before the first preview)."""
        self._snapshot = self.scan()

    def refresh_modules(self) -> None:
        """Watch the packages of the local modules loaded now (call after each preview).

        Files already watched keep the state noted before the preview, so that one saved
        while it ran counts as a change; files of newly watched packages are noted as
        they are now.
        """
        for name, file in local_module_files().items():
            path = Path(file).resolve()
            if path.is_relative_to(self.project_dir):
                continue
            self._code_roots.add(_package_root(name, file))
            if _kept(name):
                self._kept_files[path] = name
        noted = dict(self._snapshot)
        for path, stamp in self.scan().items():
            if path not in noted and not self._watched_before_modules(path):
                noted[path] = stamp
        self._snapshot = noted

    def _watched_before_modules(self, path: Path) -> bool:
        """A file :meth:`start` already looked for (a new one is a change)."""
        in_pack = self.pack_dir is not None and path.is_relative_to(self.pack_dir)
        return in_pack or path.is_relative_to(self.project_dir) or path in self.extra_files

    def scan(self) -> dict[Path, Stamp]:
        """``{file: (mtime_ns, size)}`` of every watched file now."""
        found: dict[Path, Stamp] = {}
        self._walk(self.project_dir, found, python_only=False)
        for root in sorted(self._code_roots):
            self._walk(root, found, python_only=True)
        if self.pack_dir is not None:
            self._walk(self.pack_dir, found, python_only=False)
        for file in self.extra_files:
            self._stat(file, found)
            self._directories.add(file.parent)
        for path in self.ignore:
            found.pop(path, None)
        if self._notifier is not None:
            self._notifier.watch(self._directories)
        return found

    @property
    def count(self) -> int:
        """How many files are watched."""
        return len(self._snapshot)

    def _walk(self, root: Path, found: dict[Path, Stamp], *, python_only: bool) -> None:
        if root.is_file():
            self._stat(root, found)
            self._directories.add(root.parent)
            return
        stack = [root]
        while stack:
            directory = stack.pop()
            try:
                entries = list(os.scandir(directory))
            except OSError:
                continue
            if any(e.name == "pyvenv.cfg" for e in entries) and directory != root:
                continue  # a virtual environment inside the project
            self._directories.add(directory)
            for entry in entries:
                if entry.name.startswith(".") or entry.name in _SKIP_DIRS:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif not python_only or entry.name.endswith(".py"):
                    with contextlib.suppress(OSError):
                        st = entry.stat()
                        found[Path(entry.path)] = (st.st_mtime_ns, st.st_size)

    @staticmethod
    def _stat(path: Path, found: dict[Path, Stamp]) -> None:
        with contextlib.suppress(OSError):
            st = path.stat()
            found[path] = (st.st_mtime_ns, st.st_size)

    def wait(
        self,
        *,
        poll: float = POLL_SECONDS,
        settle: float = SETTLE_SECONDS,
        stop: float | None = None,
    ) -> Change | None:
        """Block until watched files change and settle; ``None`` if ``stop`` seconds passed.

        With inotify, the files are looked at when the kernel reports an event in one of
        the watched directories (and at least every second, in case an event was lost);
        otherwise every ``poll`` seconds.
        """
        started = time.monotonic()
        while True:
            if self._notifier is not None:
                self._notifier.wait(1.0 if stop is None else min(1.0, stop))
            else:
                time.sleep(poll)
            now = self.scan()
            if now == self._snapshot:
                if stop is not None and time.monotonic() - started > stop:
                    return None
                continue
            while True:  # wait until the writes are over
                time.sleep(settle)
                later = self.scan()
                if later == now:
                    break
                now = later
            changed = sorted(
                p for p in set(now) | set(self._snapshot) if now.get(p) != self._snapshot.get(p)
            )
            self._snapshot = now
            return self.classify(changed)

    def classify(self, paths: list[Path]) -> Change:
        """Sort changed files into what they require (see :class:`Change`)."""
        change = Change(paths=paths)
        for path in paths:
            in_pack = self.pack_dir is not None and path.is_relative_to(self.pack_dir)
            if in_pack or path in self.extra_files:
                change.pack = True
            elif path.is_relative_to(self.project_dir):
                change.project = True
            else:
                change.local_code = True
                if path in self._kept_files:
                    change.kept.append(self._kept_files[path])
        return change


class _Inotify:
    """Linux inotify through ``ctypes``: wakes the watch when a watched directory changes."""

    _MASK = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800
    """IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE, IN_MOVED_FROM/TO, IN_CREATE, IN_DELETE(_SELF), IN_MOVE_SELF."""

    def __init__(self, libc: Any, fd: int) -> None:
        self._libc = libc
        self._fd = fd
        self._watched: set[Path] = set()

    @classmethod
    def open(cls) -> _Inotify | None:
        """A notifier, or ``None`` where inotify is not available (then the watch polls)."""
        if not sys.platform.startswith("linux"):
            return None
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fd = int(libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC))
        except (OSError, AttributeError):
            return None
        if fd < 0:
            return None
        return cls(libc, fd)

    def watch(self, directories: Iterable[Path]) -> None:
        """Add the directories not watched yet."""
        for directory in directories:
            if directory not in self._watched:
                self._watched.add(directory)
                self._libc.inotify_add_watch(self._fd, os.fsencode(directory), self._MASK)

    def close(self) -> None:
        os.close(self._fd)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for events; True if some came (they are drained)."""
        import select

        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError):
            while os.read(self._fd, 65536):
                pass
        return True


def watch(
    args: argparse.Namespace,
    run_once: Callable[[argparse.Namespace, PackPool], int],
    report_error: Callable[[BaseException], None],
    *,
    out: IO[str] | None = None,
    max_runs: int | None = None,
) -> int:
    """Preview, then preview again after every change, until interrupted (Ctrl-C).

    Args:
        args: the ``preview`` command's arguments.
        run_once: one preview with these arguments and a pack pool, printing its report and
            writing its files; returns the exit code.
        report_error: prints an error a preview raised (the watch goes on).
        out: where the watch's own lines go (default stdout).
        max_runs: stop after this many previews (for tests; default: never).

    Returns:
        the exit code of the last preview that ran (0, 1 or 2).
    """
    from .pack_pool import PackPool

    stream = out if out is not None else sys.stdout
    watcher = _watcher_for(args)
    watcher.start()
    code = 2
    runs = 0
    with PackPool() as pool, contextlib.closing(watcher):
        try:
            while True:
                started = time.perf_counter()
                code, error = _guarded(run_once, args, pool, report_error)
                runs += 1
                if runs == 1 and _bad_option(error):
                    return code  # no edit of a watched file can fix the command line
                if runs > 1:
                    print(
                        f"re-previewed in {time.perf_counter() - started:.2f} s",
                        file=stream,
                        flush=True,
                    )
                if max_runs is not None and runs >= max_runs:
                    return code
                _collect_garbage(first=runs == 1)
                if runs == 1:
                    _fill_cache()
                watcher.refresh_modules()
                print(
                    f"watching {watcher.count} files for changes (Ctrl-C to stop)",
                    file=stream,
                    flush=True,
                )
                change = watcher.wait()
                assert change is not None
                _apply(change, pool, stream)
        except PreviewTimeout:
            raise  # --timeout, not Ctrl-C: the command reports it
        except KeyboardInterrupt:
            print("stopped watching", file=stream)
            return code


def _watcher_for(args: argparse.Namespace) -> FileWatch:
    from .runner import bundled_example_dir

    project_dir = Path(args.project_dir) if args.project_dir else bundled_example_dir()
    pack_dir: Path | None = None
    if not args.no_policy:
        if args.policy_pack:
            pack_dir = Path(args.policy_pack)
        else:
            from ..analyzer import BUNDLED_PACK_DIR

            pack_dir = BUNDLED_PACK_DIR
    extra = [Path(args.policy_pack_config)] if args.policy_pack_config else []
    outputs = [Path(p) for p in (args.json_file, args.diagram) if p]
    return FileWatch(project_dir, pack_dir, extra_files=extra, ignore=outputs)


def _guarded(
    run_once: Callable[[argparse.Namespace, PackPool], int],
    args: argparse.Namespace,
    pool: PackPool,
    report_error: Callable[[BaseException], None],
) -> tuple[int, Exception | None]:
    try:
        return run_once(args, pool), None
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a broken edit: report it and keep watching
        report_error(exc)
        if type(exc).__name__ == "PolicyPackError":  # (a class a purge may have renewed)
            pool.discard()  # the pack failed: start a new one next time
        return 2, exc


def _bad_option(error: Exception | None) -> bool:
    """An invalid command-line option (as opposed to a file the user can fix and save)."""
    key = getattr(error, "key", None)
    return (
        isinstance(key, str) and key.startswith("--") and not key.startswith("--policy-pack-config")
    )


def _apply(change: Change, pool: PackPool, stream: IO[str]) -> None:
    shown = ", ".join(_short(p) for p in change.paths[:3])
    more = f" and {len(change.paths) - 3} more" if len(change.paths) > 3 else ""
    print(f"changed: {shown}{more}; previewing again", file=stream, flush=True)
    if change.local_code:
        purge_local_modules()
    if change.local_code or change.pack:
        pool.discard()
    for name in change.kept:
        print(
            f"note: {name} runs the watch itself; restart `preview --watch` to use the change",
            file=stream,
        )


def _short(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def _fill_cache() -> None:
    """Have the provider modules the first preview loaded the plain way compiled for the
    next cold preview (see :func:`.sdk_loader.fill_cache_in_background`)."""
    from . import sdk_loader

    sdk_loader.fill_cache_in_background()


def _collect_garbage(*, first: bool) -> None:
    """Free the last preview's garbage while idle (previews run with the collector off).

    After the first preview, what is left (modules, classes, caches) lives as long as the
    watch: it is frozen so later collections do not walk it again.
    """
    gc.collect()
    if first:
        gc.freeze()
