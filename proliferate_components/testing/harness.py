"""Run a Pulumi program under Pulumi's own mocks and record every registration.

`capture(program)` runs ``program`` (a callable, or a project directory via
:func:`capture_project`) the way the Python language host does (``run_in_stack``), against
a :class:`RecordingMonitor` - a ``pulumi.runtime.mocks.MockMonitor`` subclass that records
each ``RegisterResource`` request with its options (protect, parent, dependencies,
property dependencies, delete-before-replace, ignore-changes, retain-on-delete, aliases,
import id) and each resource's outputs. Nothing touches a network or a cloud account.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import runpy
import sys
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await  # pyright: ignore[reportPrivateUsage]

from ..errors import UnansweredInvokeError
from .mocks import OfflineMocks

SECRET_MARKER = "[secret]"
"""What every secret value is replaced with in :meth:`Registration.plain_inputs` and exports."""


@dataclass(frozen=True)
class Registration:
    """One ``RegisterResource`` call, as the engine would have received it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    remote: bool
    protect: bool | None
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    provider: str
    delete_before_replace: bool
    ignore_changes: tuple[str, ...]
    replace_on_changes: tuple[str, ...]
    retain_on_delete: bool | None
    aliases: tuple[str, ...]
    import_id: str
    inputs: Mapping[str, Any]
    """Inputs as deserialized from the request; secrets stay wrapped (see ``is_secret``)."""
    id: str = ""
    outputs: Mapping[str, Any] = field(default_factory=dict[str, Any])

    def input(self, key: str, default: Any = None) -> Any:
        """An input with secrets unwrapped (for assertions on values)."""
        return unwrap(self.inputs.get(key, default))

    def plain_inputs(self) -> dict[str, Any]:
        """Inputs with every secret replaced by :data:`SECRET_MARKER` (safe to print)."""
        return {k: redact(v) for k, v in self.inputs.items()}

    def is_secret(self, key: str) -> bool:
        return rpc.is_rpc_secret(self.inputs.get(key))


def _alias_urn(alias: Any, request: Any) -> str:
    """The URN an alias of ``request`` denotes, as the engine resolves it: a given URN, or
    the spec's name, type and parent with the request's own filling the blanks."""
    if alias.urn:
        return str(alias.urn)
    spec = alias.spec
    parent = "" if spec.noParent else (spec.parentUrn or request.parent)
    name, typ = spec.name or request.name, spec.type or request.type
    head = str(parent or request.parent).split("::")
    stack = spec.stack or head[0].removeprefix("urn:pulumi:")
    project = spec.project or (head[1] if len(head) > 1 else "")
    qualified = f"{parent.split('::')[2]}${typ}" if parent else typ
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def unwrap(value: Any) -> Any:
    """Recursively unwrap Pulumi RPC secrets."""
    if rpc.is_rpc_secret(value):
        return unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [unwrap(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


def redact(value: Any) -> Any:
    """Recursively replace Pulumi RPC secrets by :data:`SECRET_MARKER`."""
    if rpc.is_rpc_secret(value):
        return SECRET_MARKER
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [redact(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, pulumi.Resource):
        return "<resource>"
    return value


OnRegister = Callable[[Registration], None]
"""A callback given each :class:`Registration` as soon as it is recorded (see :class:`RecordingMonitor`)."""


# Every asyncio loop a capture ran on: the loop of the thread that called `capture` and the
# loops the mock monitor makes on the SDK's executor threads. They stay open between captures
# (the Pulumi SDK keeps futures bound to them) and are closed once, at interpreter exit: left
# to the final garbage collection, an open loop's finaliser runs after its self-pipe is gone
# and prints "Exception ignored ... Invalid file descriptor".
_LOOPS: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
_LOOPS_LOCK = threading.Lock()
_AT_EXIT: list[bool] = []


def _remember_loop() -> None:
    """Remember the current thread's event loop (if any) for :func:`close_event_loops`."""
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:  # none in this thread
        return
    with _LOOPS_LOCK:
        if loop not in _LOOPS:
            _LOOPS.add(loop)
        if not _AT_EXIT:
            atexit.register(close_event_loops)
            _AT_EXIT.append(True)


def _usable_event_loop() -> None:
    """Give this thread a new event loop if it has none or a closed one.

    A closed one: see :func:`close_event_loops`. None: anything that ran ``asyncio.run()`` on
    this thread before (prompt_toolkit does, for instance) leaves ``set_event_loop(None)``
    behind, and the Pulumi SDK's ``get_event_loop()`` then raises "There is no current event
    loop"."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            loop = None
    if loop is None or loop.is_closed():
        asyncio.set_event_loop(asyncio.new_event_loop())


def close_event_loops() -> int:
    """Close every idle event loop a capture ran on; returns how many were closed.

    Registered with :mod:`atexit` by the first capture, so a process that captured exits
    quietly. Callable earlier too: a later capture then starts on a new loop (Pulumi objects
    made outside a capture before the call stay bound to the closed one).
    """
    with _LOOPS_LOCK:
        loops = list(_LOOPS)
    closed = 0
    for loop in loops:
        if not loop.is_running() and not loop.is_closed():
            loop.close()
            closed += 1
    return closed


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that records each registration with its resource options.

    Args:
        mocks: answers for resources and invokes.
        on_register: called with each :class:`Registration` (the ``pulumi:pulumi:Stack``
            resource excluded) as soon as it is recorded, before the SDK gets the response,
            on the SDK's registration thread - so a resource's provider is always passed
            before the resource. Keep it quick (queue slow work). The first exception it
            raises is kept in :attr:`callback_error` (later registrations are not passed to
            it) and :func:`capture` raises it once the program has finished. Default: none.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks, on_register: OnRegister | None = None) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.stack_outputs: dict[str, Any] = {}
        self.stack_urn = ""
        self.on_register = on_register
        self.callback_error: BaseException | None = None
        """The first exception ``on_register`` raised, if any."""
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        _remember_loop()  # the mock made (or reused) an event loop for this executor thread
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        outputs: dict[str, Any] = (
            rpc.deserialize_properties(response.object, keep_unknowns=True)
            if response.object
            else {}
        )
        secret_outputs = set(request.additionalSecretOutputs)
        if secret_outputs:
            # The engine, not the SDK, marks additional secret outputs (e.g. a RandomPassword's
            # `result`): do the same so secrets stay secrets downstream.
            outputs = {
                k: rpc.wrap_rpc_secret(v) if k in secret_outputs else v for k, v in outputs.items()
            }
            response = resource_pb2.RegisterResourceResponse(
                urn=response.urn,
                id=response.id,
                object=_sync_await(rpc.serialize_properties(outputs, {})),
            )
        prop_deps = {k: tuple(v.urns) for k, v in request.propertyDependencies.items()}
        aliases = tuple(_alias_urn(a, request) for a in request.aliases)
        registration = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=bool(request.custom),
            remote=bool(request.remote),
            protect=request.protect if request.HasField("protect") else None,
            dependencies=tuple(request.dependencies),
            property_dependencies=prop_deps,
            provider=request.provider,
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=tuple(request.ignoreChanges),
            replace_on_changes=tuple(request.replaceOnChanges),
            retain_on_delete=request.retainOnDelete if request.HasField("retainOnDelete") else None,
            aliases=aliases,
            import_id=request.importId,
            inputs=inputs,
            id=response.id,
            outputs=outputs,
        )
        with self._lock:
            self.registrations.append(registration)
            callback = self.on_register if self.callback_error is None else None
        if callback is not None:
            try:
                callback(registration)
            except BaseException as exc:  # kept and raised by capture(), never swallowed
                with self._lock:
                    if self.callback_error is None:
                        self.callback_error = exc
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self.stack_urn:
            self.stack_outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)


@dataclass
class Capture:
    """Everything a program registered, in registration order, plus its stack outputs."""

    project: str
    stack: str
    config: Mapping[str, str]
    resources: list[Registration]
    outputs: dict[str, Any]

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registration:
        """The single resource of ``type_`` (and ``name``); fails loudly otherwise."""
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_)]
            raise AssertionError(
                f"expected one {type_} named {name!r}, found {len(found)} among {names}"
            )
        return found[0]

    def named(self, name: str) -> Registration:
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise AssertionError(f"expected one resource named {name!r}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)

    def children_of(self, parent: Registration | str) -> list[Registration]:
        urn = parent if isinstance(parent, str) else parent.urn
        return [r for r in self.resources if r.parent == urn]

    def output(self, key: str) -> Any:
        return unwrap(self.outputs[key])


def capture(
    program: Callable[[], Any],
    *,
    config: Mapping[str, Any] | None = None,
    secret_keys: list[str] | None = None,
    project: str = "proliferate",
    stack: str = "dev",
    mocks: pulumi.runtime.Mocks | None = None,
    preview: bool = True,
    on_register: OnRegister | None = None,
) -> Capture:
    """Run ``program`` under mocks and return what it registered.

    Args:
        program: a callable that creates resources and may call ``pulumi.export``.
        config: Pulumi config, ``{"proliferate:workerCpu": "512", ...}`` (values are
            strings as the CLI would pass them; non-strings are converted).
        secret_keys: config keys to treat as secret.
        project, stack: names used in URNs and by ``pulumi.get_project/get_stack``.
        mocks: answers for resources and invokes (default :class:`OfflineMocks` in the
            config's ``aws:region``).
        preview: run as ``pulumi preview`` (True) or ``pulumi up`` (False).
        on_register: called with each registration as soon as it is recorded, while the
            program still runs (see :class:`RecordingMonitor`); default none.

    Raises:
        UnansweredInvokeError: the program called a provider function with no offline answer.
        Whatever the program raised (e.g. :class:`~proliferate_components.errors.ConfigError`).
        Whatever ``on_register`` first raised, once the program has finished (if the program
        itself failed, its error is raised instead, with a note naming the callback's).
    """
    cfg = {k: v if isinstance(v, str) else _config_string(v) for k, v in (config or {}).items()}
    region = cfg.get("aws:region", "us-east-1")
    the_mocks = mocks if mocks is not None else OfflineMocks(region=region)
    monitor = RecordingMonitor(the_mocks, on_register)
    _usable_event_loop()
    token_root = settings.ROOT.set(None)
    try:
        set_all_config(cfg, secret_keys or [])
        pulumi.runtime.set_mocks(
            the_mocks, project=project, stack=stack, preview=preview, monitor=monitor
        )
        settings.ROOT.set(None)
        # A failed earlier run leaves its exception and pending tasks in the ambient RPC
        # manager; start from a clean one, as `pulumi.runtime.test` does.
        ambient: Any = settings.SETTINGS
        ambient.rpc_manager.clear()
        ambient.outputs.clear()
        try:
            _sync_await(run_in_stack(program))
        except Exception as exc:
            _settle_failed_run()
            _note_callback_error(exc, monitor)
            # The SDK may wrap an invoke failure; surface the invoke that had no answer.
            unanswered: list[UnansweredInvokeError] = getattr(the_mocks, "unanswered", [])
            if unanswered and exc is not unanswered[0]:
                _note_callback_error(unanswered[0], monitor)
                raise unanswered[0] from exc
            raise
        finally:
            set_all_config({}, [])
            _remember_loop()
        if monitor.callback_error is not None:
            raise monitor.callback_error
    finally:
        settings.ROOT.reset(token_root)
    return Capture(
        project=project,
        stack=stack,
        config=cfg,
        resources=monitor.registrations,
        outputs=monitor.stack_outputs,
    )


_SETTLE_SECONDS = 10.0  # a bound, never reached in practice: a failed run's tasks end at once


def _settle_failed_run() -> None:
    """Finish what a failed run left behind, so its echoes of the error stay silent.

    When the program (or one of its registrations) fails, the SDK stops at the first error:
    the outputs it tracks (``SETTINGS.outputs``) and the RPCs still queued are never awaited,
    and each failed ``Output`` carries the error on three futures (value, known, secret) of
    which the SDK awaits only the first. Left so, every one of them is reported by the
    garbage collector as "Future exception was never retrieved" (or "Task was destroyed but
    it is pending!") during a later run - tens of thousands of lines for one failed network.
    The error itself is raised to the caller by :func:`capture`: here the leftover tasks are
    run to their end (cancelled past a bound), then the futures of this harness's loops that
    hold an error are marked as retrieved.
    """
    import gc

    loop = asyncio.get_event_loop()
    ambient: Any = settings.SETTINGS
    rounds = 0 if loop.is_running() else 100  # a round may start new outputs: a few settle all
    for _ in range(rounds):
        with ambient.lock:
            left: list[Any] = [*ambient.outputs, *ambient.rpc_manager.rpcs]
            ambient.outputs.clear()
        ambient.rpc_manager.rpcs.clear()
        if not left:
            break
        tasks = [asyncio.ensure_future(f, loop=loop) for f in left]
        _, pending = loop.run_until_complete(asyncio.wait(tasks, timeout=_SETTLE_SECONDS))
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    _remember_loop()
    with _LOOPS_LOCK:
        loops = set(_LOOPS)
    for obj in gc.get_objects():
        if (
            isinstance(obj, asyncio.Future)
            and obj.done()
            and not obj.cancelled()
            and obj.get_loop() in loops  # pyright: ignore[reportUnknownMemberType]
        ):
            obj.exception()  # pyright: ignore[reportUnknownMemberType]  # marks it retrieved


def _note_callback_error(exc: BaseException, monitor: RecordingMonitor) -> None:
    error = monitor.callback_error
    if error is not None and error is not exc:
        add_note: Callable[[str], None] | None = getattr(exc, "add_note", None)  # Python >= 3.11
        if add_note is not None:
            add_note(f"on_register also failed: {type(error).__name__}: {error}")


def capture_project(
    project_dir: str | os.PathLike[str],
    *,
    config: Mapping[str, Any] | None = None,
    secret_keys: list[str] | None = None,
    project: str | None = None,
    stack: str = "dev",
    mocks: pulumi.runtime.Mocks | None = None,
    main: str | None = None,
    on_register: OnRegister | None = None,
) -> Capture:
    """Run a Pulumi Python project directory (its ``__main__.py`` or ``main``) under mocks.

    The directory is put first on ``sys.path`` and made the working directory for the
    run, as the language host does; both are restored afterwards. Modules the program
    imported from its own directory are dropped from ``sys.modules`` afterwards so the
    next run starts clean. ``on_register`` is passed to :func:`capture`.
    """
    root = Path(project_dir).resolve()
    entry = root / (main or "")
    if entry.is_dir():
        entry = entry / "__main__.py"
    if not entry.exists():
        raise FileNotFoundError(f"no Pulumi program at {entry}")
    name = project or root.name
    before = set(sys.modules)
    old_cwd = Path.cwd()
    sys.path.insert(0, str(entry.parent))

    def program() -> None:
        runpy.run_path(str(entry), run_name="__main__")

    try:
        os.chdir(entry.parent)
        return capture(
            program,
            config=config,
            secret_keys=secret_keys,
            project=name,
            stack=stack,
            mocks=mocks,
            on_register=on_register,
        )
    finally:
        os.chdir(old_cwd)
        with contextlib.suppress(ValueError):
            sys.path.remove(str(entry.parent))
        for mod in set(sys.modules) - before:
            file = getattr(sys.modules[mod], "__file__", None) or ""
            if file.startswith(str(entry.parent)):
                del sys.modules[mod]


def _config_string(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)
