"""Run a CrossGuard policy pack exactly the way the Pulumi engine does, without the Pulumi CLI.

The engine (``sdk/go/common/resource/plugin/analyzer_plugin.go``) starts a Python pack as
``python -u -m pulumi.policy <engine-address> .`` in the pack directory (here with
``pulumi.automation`` and ``pulumi.dynamic``, which a pack never uses, loaded on first use:
see :mod:`proliferate_components.preview.sdk_loader`), with the stack's
config and names in ``PULUMI_CONFIG``/``PULUMI_PROJECT``/``PULUMI_STACK``/``PULUMI_DRY_RUN``/
``PULUMI_ORGANIZATION``; reads the gRPC port from the first line of stdout; calls
``Handshake`` (unimplemented by Python packs), ``ConfigureStack``, ``GetAnalyzerInfo``;
reconciles the pack's schema defaults, its ``initialConfig`` and the user's
``--policy-pack-config`` (``pkg/resource/analyzer/config.go``: ``ReconcilePolicyPackConfig``),
validates the result against each policy's schema and calls ``Configure``; then ``Analyze``
once per resource (its inputs and options) and ``AnalyzeStack`` once with every resource
(outputs, parent, dependencies, property dependencies). :class:`AnalyzerProcess` does the
same over pulumi's own protobuf stubs for resources recorded by
:mod:`proliferate_components.testing`.

The engine address: ``pulumi/policy/__main__.py`` parses it but never dials it (it configures
the runtime without an engine, so ``pulumi.log`` in a pack writes to stderr). No Engine
server is therefore needed; the pack's stderr is collected instead (:meth:`AnalyzerProcess.stderr`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from .errors import ConfigError, ProliferateError

if TYPE_CHECKING:
    import grpc
    from pulumi.runtime.proto import analyzer_pb2

    from .testing import Registration

ENGINE_ADDRESS = "127.0.0.1:0"
"""Passed where the engine passes its own gRPC address (Python packs never connect to it)."""

ENFORCEMENT_LEVELS: tuple[str, ...] = ("advisory", "mandatory", "remediate", "disabled")
"""Valid enforcement levels, as in ``--policy-pack-config``."""

_MAX_MESSAGE_BYTES = 400 * 1024 * 1024
_SEVERITIES = {0: "", 1: "low", 2: "medium", 3: "high", 4: "critical"}


def _find_bundled_pack() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_policy_pack", here.parent / "policies"):
        if (candidate / "PulumiPolicy.yaml").is_file():
            return candidate
    return here / "_policy_pack"


BUNDLED_PACK_DIR: Path = _find_bundled_pack()
"""The bundled pack: ``proliferate_components/_policy_pack`` in a wheel, ``policies/`` in a checkout."""


class PolicyPackError(ProliferateError, RuntimeError):
    """The policy pack could not be started or answered with an error."""


@dataclass(frozen=True)
class Violation:
    """One policy violation, as the engine reports it."""

    policy: str
    """The policy's name, e.g. ``proliferate-elasticache-noeviction``."""
    pack: str
    """The pack's name."""
    urn: str
    """The offending resource (empty for a violation of the stack as a whole)."""
    enforcement: str
    """``mandatory`` (fails the preview), ``advisory`` (warns) or ``remediate``."""
    message: str
    """The policy description, a newline, then the pack's message (as Pulumi prints it)."""
    description: str
    """The policy description."""
    severity: str = ""
    """``low``/``medium``/``high``/``critical`` (empty if the policy sets none)."""


def _enforcement_name(level: int) -> str:
    from pulumi.runtime.proto import analyzer_pb2

    names = {
        analyzer_pb2.ADVISORY: "advisory",
        analyzer_pb2.MANDATORY: "mandatory",
        analyzer_pb2.REMEDIATE: "remediate",
        analyzer_pb2.DISABLED: "disabled",
    }
    return names[level]  # pyright: ignore[reportArgumentType]


def _enforcement_value(name: str) -> int:
    from pulumi.runtime.proto import analyzer_pb2

    return {
        "advisory": analyzer_pb2.ADVISORY,
        "mandatory": analyzer_pb2.MANDATORY,
        "remediate": analyzer_pb2.REMEDIATE,
        "disabled": analyzer_pb2.DISABLED,
    }[name]


# ---------------------------------------------------------------------------------------------
# Policy config: parse, reconcile and validate like pkg/resource/analyzer/config.go
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyConfig:
    """One policy's reconciled configuration (what ``Configure`` receives)."""

    enforcement: str
    """Enforcement level name (empty: none given)."""
    properties: Mapping[str, Any]
    """Configured properties (defaults filled in)."""


def read_policy_pack_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a ``--policy-pack-config`` JSON file (an empty file means no config).

    Raises:
        ConfigError: the file is not a JSON object.
    """
    raw = Path(path).read_text(encoding="utf-8")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(
            f"--policy-pack-config {path}", raw[:80], f"a JSON object ({exc})"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"--policy-pack-config {path}", data, "a JSON object of policy name -> level or object"
        )
    return cast("dict[str, Any]", data)


def parse_policy_pack_config(config: Mapping[str, Any]) -> dict[str, PolicyConfig]:
    """Parse ``{"all": "mandatory", "<policy>": "advisory" | {"enforcementLevel": ..., ...}}``.

    Raises:
        ConfigError: a value is neither a level nor an object, or a level is invalid.
    """
    out: dict[str, PolicyConfig] = {}
    valid = f"one of {', '.join(ENFORCEMENT_LEVELS)}"
    for key, value in config.items():
        if isinstance(value, str):
            if value not in ENFORCEMENT_LEVELS:
                raise ConfigError(f"policy config {key!r}", value, f"an enforcement level: {valid}")
            out[key] = PolicyConfig(value, {})
            continue
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"policy config {key!r}", value, f"a string ({valid}) or an object of properties"
            )
        props = dict(cast("Mapping[str, Any]", value))
        level = props.pop("enforcementLevel", "")
        if level != "" and (not isinstance(level, str) or level not in ENFORCEMENT_LEVELS):
            raise ConfigError(f"policy config {key}.enforcementLevel", level, valid)
        if not level and not props:
            continue
        out[key] = PolicyConfig(level, props)
    return out


def _apply_config(
    result: dict[str, PolicyConfig], given: Mapping[str, PolicyConfig]
) -> dict[str, PolicyConfig]:
    """``applyConfig``: "all" sets every level first, then per-policy levels and properties."""
    everyone = given.get("all")
    if everyone is not None and everyone.enforcement:
        result = {k: PolicyConfig(everyone.enforcement, v.properties) for k, v in result.items()}
    for name, cfg in given.items():
        current = result.get(name, PolicyConfig("", {}))
        props = dict(current.properties)
        props.update(cfg.properties)
        result[name] = PolicyConfig(cfg.enforcement or current.enforcement, props)
    return result


def _is_integer(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isfinite(value) and value.is_integer()
    )


def _type_ok(value: Any, expected: str) -> bool:
    checks: dict[str, bool] = {
        "integer": _is_integer(value),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
        "null": value is None,
    }
    return checks.get(expected, True)


def schema_errors(schema: Mapping[str, Any], value: Any, where: str) -> list[tuple[str, Any, str]]:
    """JSON-schema errors of ``value`` (the subset policy schemas use: type, enum,
    minimum/maximum, items, required, properties) as ``(path, bad value, what is valid)``."""
    errors: list[tuple[str, Any, str]] = []
    expected = schema.get("type")
    types = [expected] if isinstance(expected, str) else list(cast("list[str]", expected or []))
    if types and not any(_type_ok(value, t) for t in types):
        return [(where, value, f"a value of type {' or '.join(types)}")]
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        errors.append((where, value, f"one of {enum}"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(low, (int, float)) and value < low:
            errors.append((where, value, f"a number >= {low:g}"))
        if isinstance(high, (int, float)) and value > high:
            errors.append((where, value, f"a number <= {high:g}"))
    item_schema = schema.get("items")
    if isinstance(value, list) and isinstance(item_schema, Mapping):
        for i, item in enumerate(cast("list[Any]", value)):
            errors += schema_errors(cast("Mapping[str, Any]", item_schema), item, f"{where}[{i}]")
    if isinstance(value, dict):
        obj = cast("dict[str, Any]", value)
        for req in cast("list[str]", schema.get("required") or []):
            if req not in obj:
                errors.append((f"{where}.{req}", None, "a value (required)"))
        props = cast("Mapping[str, Mapping[str, Any]]", schema.get("properties") or {})
        for key, sub in props.items():
            if key in obj:
                errors += schema_errors(sub, obj[key], f"{where}.{key}")
    return errors


# ---------------------------------------------------------------------------------------------
# Registration -> protobuf
# ---------------------------------------------------------------------------------------------

_SIG = "4dabf18193072939515e22adb298388d"
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _wire(value: Any) -> Any:
    """A deserialized property value in the engine's wire shape (secrets stay wrapped)."""
    if isinstance(value, Mapping):
        return {str(k): _wire(v) for k, v in cast("Mapping[Any, Any]", value).items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in cast("Sequence[Any]", value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    import pulumi

    if isinstance(value, pulumi.FileAsset):
        return {_SIG: _ASSET_SIG, "path": value.path}
    if isinstance(value, pulumi.StringAsset):
        return {_SIG: _ASSET_SIG, "text": value.text}
    if isinstance(value, pulumi.RemoteAsset):
        return {_SIG: _ASSET_SIG, "uri": value.uri}
    if isinstance(value, pulumi.AssetArchive):
        return {_SIG: _ARCHIVE_SIG, "assets": {k: _wire(v) for k, v in value.assets.items()}}
    if isinstance(value, pulumi.FileArchive):
        return {_SIG: _ARCHIVE_SIG, "path": value.path}
    if isinstance(value, pulumi.RemoteArchive):
        return {_SIG: _ARCHIVE_SIG, "uri": value.uri}
    # Resource references and other runtime objects cannot be resolved synchronously here;
    # the engine would send an id that a preview often does not know yet either.
    return _UNKNOWN


def _struct(props: Mapping[str, Any]) -> Any:
    from google.protobuf import struct_pb2

    s = struct_pb2.Struct()
    s.update(cast("dict[str, Any]", _wire(props)))
    return s


def _urn_type_and_name(urn: str) -> tuple[str, str]:
    parts = urn.split("::")
    if len(parts) < 4:
        return "", urn
    return parts[2].split("$")[-1], parts[-1]


def _options(reg: Registration) -> analyzer_pb2.AnalyzerResourceOptions:
    from pulumi.runtime.proto import analyzer_pb2

    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(reg.protect),
        ignoreChanges=list(reg.ignore_changes),
        deleteBeforeReplace=bool(reg.delete_before_replace),
        deleteBeforeReplaceDefined=bool(reg.delete_before_replace),
        aliases=list(reg.aliases),
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
        parent=reg.parent,
    )


def _provider_urn(reference: str) -> str:
    """The URN part of a provider reference (``urn::id``)."""
    parts = reference.split("::")
    return "::".join(parts[:-1]) if len(parts) > 4 else reference


def _provider(
    reg: Registration, by_urn: Mapping[str, Registration]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    from pulumi.runtime.proto import analyzer_pb2

    if not reg.provider:
        return None
    provider_urn = _provider_urn(reg.provider)
    typ, name = _urn_type_and_name(provider_urn)
    found = by_urn.get(provider_urn)
    return analyzer_pb2.AnalyzerProviderResource(
        urn=provider_urn, type=typ, name=name, properties=_struct(found.inputs if found else {})
    )


def _stack_properties(reg: Registration) -> Mapping[str, Any]:
    """What the engine's state holds as outputs: bridged providers include ``id``."""
    outputs = dict(reg.outputs) if reg.outputs else {}
    if reg.custom:
        if not outputs:
            outputs = dict(reg.inputs)
        if reg.id and "id" not in outputs:
            outputs["id"] = reg.id
    return outputs


# ---------------------------------------------------------------------------------------------
# The process
# ---------------------------------------------------------------------------------------------


def _drain(stream: IO[bytes], sink: queue.Queue[bytes | None] | list[bytes]) -> None:
    for line in iter(stream.readline, b""):
        if isinstance(sink, list):
            sink.append(line)
        else:
            sink.put(line)
    if not isinstance(sink, list):
        sink.put(None)


# `python -m pulumi.policy`, with the parts of `import pulumi` a pack never uses loaded on
# first use (see proliferate_components.preview.sdk_loader), and a thread that ends the pack
# when the process that started it is gone (its stdin, a pipe nobody writes to, reaches EOF):
# a preview killed by SIGKILL or a closed terminal leaves no pack behind. The pack's own code
# runs the same. PROLIFERATE_FAST_IMPORTS=0 runs the engine's exact command line instead.
_PACK_BOOT = """\
import os, runpy, sys, threading

def _end_with_parent():
    try:
        sys.stdin.buffer.read()
    finally:
        os._exit(0)

threading.Thread(target=_end_with_parent, name="parent-watch", daemon=True).start()
try:
    from proliferate_components.preview.sdk_loader import install
except ImportError:
    pass
else:
    install(None)
runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)
"""


def _pack_entry() -> list[str]:
    """How the pack's interpreter is started (after ``python -u``)."""
    from .preview import sdk_loader

    if sdk_loader.disabled():
        return ["-m", "pulumi.policy"]
    return ["-c", _PACK_BOOT]


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    """Terminate (then kill) and reap a pack process."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class AnalyzerProcess:
    """A policy pack running in a subprocess, driven over gRPC like the Pulumi engine does.

    Use as a context manager (``with AnalyzerProcess(BUNDLED_PACK_DIR) as pack: ...``) or call
    :meth:`close`; the process is terminated and reaped either way.

    Args:
        pack_dir: directory with ``PulumiPolicy.yaml`` (``runtime: python``) and ``__main__.py``.
        config: ``--policy-pack-config`` content, e.g. ``{"all": "mandatory",
            "proliferate-rds-backup-retention": {"minRetentionDays": 14}}`` (default: none,
            every policy at its own default level and thresholds).
        project, stack, organization: names given to the pack (``PULUMI_PROJECT`` ...;
            defaults ``proliferate``, ``dev``, ``organization``).
        stack_config: the stack's config as ``{"aws:region": "us-east-1", ...}``
            (``PULUMI_CONFIG``; default: none).
        dry_run: analyse as a preview (True, default) or an update.
        start_timeout_seconds: how long to wait for the pack to print its port (default 60).
        call_timeout_seconds: deadline of each gRPC call (default 300); a pack that hangs
            longer fails with :class:`PolicyPackError`.
    """

    def __init__(
        self,
        pack_dir: str | Path,
        config: Mapping[str, Any] | None = None,
        *,
        project: str = "proliferate",
        stack: str = "dev",
        organization: str = "organization",
        stack_config: Mapping[str, str] | None = None,
        dry_run: bool = True,
        start_timeout_seconds: float = 60.0,
        call_timeout_seconds: float = 300.0,
    ) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.config: dict[str, Any] = dict(config or {})
        self.project = project
        self.stack = stack
        self.organization = organization
        self.stack_config = dict(stack_config or {})
        self.dry_run = dry_run
        self.start_timeout_seconds = start_timeout_seconds
        self.call_timeout_seconds = call_timeout_seconds
        self.version = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: Any = None
        self._stderr: list[bytes] = []
        self._stdout: queue.Queue[bytes | None] = queue.Queue()
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self._configured: dict[str, PolicyConfig] | None = None
        self._threads: list[threading.Thread] = []
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._memo: dict[tuple[str, str], tuple[Registration, Registration | None, Any]] = {}
        parse_policy_pack_config(self.config)  # fail on a bad config before starting anything

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> AnalyzerProcess:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _read_manifest(self) -> None:
        import yaml

        manifest = self.pack_dir / "PulumiPolicy.yaml"
        if not manifest.is_file():
            raise ConfigError(
                "policy pack", str(self.pack_dir), "a directory containing PulumiPolicy.yaml"
            )
        data = cast("dict[str, Any]", yaml.safe_load(manifest.read_text(encoding="utf-8")) or {})
        runtime: Any = data.get("runtime")
        name: Any = (
            cast("Mapping[str, Any]", runtime).get("name")
            if isinstance(runtime, Mapping)
            else runtime
        )
        if name != "python":
            raise ConfigError(
                f"{manifest}: runtime", name, "python (only Python packs can run offline)"
            )
        self.version = str(data.get("version") or "")

    def launch(self) -> None:
        """Start the pack's process without connecting to it (idempotent).

        Imports neither gRPC nor Pulumi, so it is cheap to call on the caller's thread
        before handing :meth:`start` (which waits for the port and connects) to another.

        Raises:
            ConfigError: the directory is not a Python policy pack.
        """
        if self._proc is not None:
            return
        self._read_manifest()
        env = dict(os.environ)
        for key in ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS"):
            env.pop(key, None)
        if self.stack_config:
            env["PULUMI_CONFIG"] = json.dumps(self.stack_config)
        env.update(
            PULUMI_PROJECT=self.project,
            PULUMI_STACK=self.stack,
            PULUMI_ORGANIZATION=self.organization,
            PULUMI_DRY_RUN="true" if self.dry_run else "false",
        )
        entry = _pack_entry()
        self._proc = subprocess.Popen(
            [sys.executable, "-u", *entry, ENGINE_ADDRESS, "."],
            cwd=self.pack_dir,
            env=env,
            stdin=subprocess.PIPE if entry[0] == "-c" else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # Never leave a pack behind, even if close() is forgotten: terminate it when this
        # object is collected or the interpreter exits.
        self._finalizer = weakref.finalize(self, _terminate, self._proc)
        assert self._proc.stdout is not None and self._proc.stderr is not None
        for stream, sink in ((self._proc.stdout, self._stdout), (self._proc.stderr, self._stderr)):
            t = threading.Thread(target=_drain, args=(stream, sink), daemon=True)
            t.start()
            self._threads.append(t)

    def start(self) -> None:
        """Start the pack (see :meth:`launch`) and connect (idempotent).

        Raises:
            ConfigError: the directory is not a Python policy pack.
            PolicyPackError: the pack exited or printed no port in time (with its stderr).
        """
        if self._stub is not None:
            return
        self.launch()
        assert self._proc is not None
        import grpc
        from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

        try:
            first = self._stdout.get(timeout=self.start_timeout_seconds)
        except queue.Empty:
            self.close()
            raise PolicyPackError(
                f"policy pack {self.pack_dir} printed no port within {self.start_timeout_seconds:g} s"
                f"{self._stderr_suffix()}"
            ) from None
        port = (first or b"").decode(errors="replace").strip()
        if not port.isdigit():
            code = self._proc.wait(timeout=10) if first is None else None
            self.close()
            raise PolicyPackError(
                f"policy pack {self.pack_dir} failed to start"
                f"{f' (exit code {code})' if code is not None else f' (printed {port!r})'}"
                f"{self._stderr_suffix()}"
            )
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{port}",
            options=[
                ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
            ],
        )
        grpc.channel_ready_future(self._channel).result(timeout=self.start_timeout_seconds)
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        # Handshake: Python packs do not implement it; the engine then falls back silently.
        with contextlib.suppress(grpc.RpcError):
            self._stub.Handshake(
                analyzer_pb2.AnalyzerHandshakeRequest(
                    engine_address=ENGINE_ADDRESS,
                    root_directory=str(self.pack_dir),
                    program_directory=str(self.pack_dir),
                ),
                timeout=self.call_timeout_seconds,
            )
        self._call(
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.stack,
                project=self.project,
                organization=self.organization,
                dry_run=self.dry_run,
                config=self.stack_config,
            ),
            unimplemented_ok=True,
        )

    def close(self) -> None:
        """Disconnect, terminate the pack and reap it (idempotent)."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        self._stub = None
        proc, self._proc = self._proc, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if proc is not None:
            _terminate(proc)
            for t in self._threads:
                t.join(timeout=2)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        self._threads = []

    @property
    def pid(self) -> int | None:
        """The pack's process id while running."""
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        """True while the pack's process was launched and has not exited (nor been closed)."""
        return self._proc is not None and self._proc.poll() is None

    def stderr(self) -> str:
        """Everything the pack wrote to stderr so far (its logs)."""
        return b"".join(self._stderr).decode(errors="replace")

    def _stderr_suffix(self) -> str:
        err = self.stderr().strip()
        return f":\n{err}" if err else " (no output on stderr)"

    def _call(self, method: str, request: Any, *, unimplemented_ok: bool = False) -> Any:
        import grpc

        self.start()
        try:
            return getattr(self._stub, method)(request, timeout=self.call_timeout_seconds)
        except grpc.RpcError as exc:
            code = cast("Any", exc).code()
            if unimplemented_ok and code == grpc.StatusCode.UNIMPLEMENTED:
                return None
            raise PolicyPackError(
                f"policy pack {self.pack_dir}: {method} failed: {cast('Any', exc).details()}{self._stderr_suffix()}"
            ) from exc

    # -- metadata and config ---------------------------------------------------------------
    def info(self) -> analyzer_pb2.AnalyzerInfo:
        """The pack's ``GetAnalyzerInfo`` answer (version taken from PulumiPolicy.yaml, like the engine)."""
        from google.protobuf import empty_pb2

        info = self._info
        if info is None:
            info = cast(
                "analyzer_pb2.AnalyzerInfo", self._call("GetAnalyzerInfo", empty_pb2.Empty())
            )
            if self.version:
                info.version = self.version
            self._info = info
        return info

    def policy_schemas(self) -> dict[str, dict[str, Any]]:
        """Each policy's config schema as the engine sees it (``enforcementLevel`` injected)."""
        from google.protobuf import json_format

        info = self.info()
        out: dict[str, dict[str, Any]] = {}
        for p in info.policies:
            props = (
                json_format.MessageToDict(p.configSchema.properties) if info.supportsConfig else {}
            )
            if info.supportsConfig:
                props["enforcementLevel"] = {"type": "string", "enum": list(ENFORCEMENT_LEVELS)}
            out[p.name] = {"properties": props, "required": list(p.configSchema.required)}
        return out

    def reconcile(self, config: Mapping[str, Any] | None = None) -> dict[str, PolicyConfig]:
        """Defaults from the schemas, then ``initialConfig``, then ``config`` (default: the
        process's), validated like the engine.

        Raises:
            ConfigError: an unknown policy name, or a value its schema rejects.
        """
        from google.protobuf import json_format

        info = self.info()
        schemas = self.policy_schemas()
        result: dict[str, PolicyConfig] = {}
        for p in info.policies:
            properties = cast("dict[str, Any]", schemas[p.name]["properties"])
            defaults: dict[str, Any] = {
                k: cast("Mapping[str, Any]", v)["default"]
                for k, v in properties.items()
                if isinstance(v, Mapping) and "default" in v
            }
            result[p.name] = PolicyConfig(_enforcement_name(p.enforcementLevel), defaults)
        initial = {
            k: PolicyConfig(
                _enforcement_name(v.enforcementLevel), json_format.MessageToDict(v.properties)
            )
            for k, v in info.initialConfig.items()
        }
        if initial:
            result = _apply_config(result, initial)
        given = parse_policy_pack_config(self.config if config is None else config)
        unknown = sorted(set(given) - set(schemas) - {"all"})
        if unknown:
            raise ConfigError(
                f"policy config {unknown[0]!r}",
                given[unknown[0]].enforcement or dict(given[unknown[0]].properties),
                f"a policy of pack {info.name!r}: {', '.join(sorted(schemas))} (or 'all')",
            )
        result = _apply_config(result, given)
        for name, schema in schemas.items():
            cfg = result.get(name, PolicyConfig("", {}))
            whole = {"type": "object", **schema}
            errors = schema_errors(whole, dict(cfg.properties), name)
            if errors:
                where, value, valid = errors[0]
                raise ConfigError(f"policy config {where}", value, valid)
        return result

    def configure(self, config: Mapping[str, Any] | None = None) -> dict[str, PolicyConfig]:
        """Reconcile and send ``Configure``; returns what was sent."""
        from pulumi.runtime.proto import analyzer_pb2

        merged = self.reconcile(config)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, cfg in merged.items():
            entry = request.policyConfig[name]
            if cfg.enforcement:
                entry.enforcementLevel = _enforcement_value(cfg.enforcement)  # pyright: ignore[reportAttributeAccessIssue]
            if cfg.properties:
                entry.properties.update(dict(cfg.properties))
        if merged:
            self._call("Configure", request)
        self._configured = merged
        self._memo.clear()  # answers given under another config
        return merged

    def remembered(self, kind: str, reg: Registration, provider: Registration | None) -> Any:
        """What :meth:`remember` kept for ``reg`` under ``kind``, if ``reg`` and its provider's
        registration are equal to those it was kept for (else ``None``).

        ``Analyze`` answers depend on nothing else: the request is made of the resource's
        URN, type, inputs and options and its provider's inputs; the pack's config is the
        one sent with ``Configure`` (a new ``Configure`` forgets everything).
        """
        found = self._memo.get((kind, reg.urn))
        if found is None or found[0] != reg or found[1] != provider:
            return None
        return found[2]

    def remember(
        self, kind: str, reg: Registration, provider: Registration | None, value: Any
    ) -> None:
        """Keep ``value`` (an answer, or an ``AnalyzeStack`` entry) for ``reg``; see :meth:`remembered`."""
        self._memo[(kind, reg.urn)] = (reg, provider, value)

    # -- analysis --------------------------------------------------------------------------
    def _violations(self, response: Any, default_urn: str) -> Iterator[Violation]:
        for d in response.diagnostics:
            yield Violation(
                policy=d.policyName,
                pack=d.policyPackName,
                urn=d.urn or default_urn,
                enforcement=_enforcement_name(d.enforcementLevel),
                message=d.message,
                description=d.description,
                severity=_SEVERITIES.get(int(d.severity), ""),
            )

    def configuration(self) -> dict[str, PolicyConfig]:
        """The config last sent with ``Configure`` (reconciled and sent now if none was)."""
        merged = self._configured
        return merged if merged is not None else self.configure()

    def analyze_resource(
        self, reg: Registration, *, by_urn: Mapping[str, Registration] | None = None
    ) -> list[Violation]:
        """``Analyze`` one custom resource as the engine does when it registers: its inputs
        and options (and ``Remediate`` first when a policy is at ``remediate``).

        ``Configure`` is sent first if it was not yet (the process's config). A component
        (``reg.custom`` false) is not analysed: returns ``[]``.

        Args:
            reg: the registration (its outputs are not used).
            by_urn: registrations known so far by URN, for the inputs of ``reg``'s explicit
                provider (default: none; the provider is then sent without properties).
        """
        return self.analyze_resource_later(reg, by_urn=by_urn)()

    def analyze_resource_later(
        self, reg: Registration, *, by_urn: Mapping[str, Registration] | None = None
    ) -> Callable[[], list[Violation]]:
        """Send ``Analyze`` for ``reg`` without waiting for the answer (see :meth:`analyze_resource`).

        The request is built now (so ``by_urn`` is read now); the pack works on it while the
        caller goes on. Returns a function that waits for the answer and returns its
        violations (raising :class:`PolicyPackError` if the call failed). With a policy at
        ``remediate`` the calls are made one after the other before this returns.
        """
        if not reg.custom:
            return list
        request = self._analyze_request(reg, by_urn or {})
        if any(c.enforcement == "remediate" for c in self.configuration().values()):
            remediated = self._call("Remediate", request, unimplemented_ok=True)
            for rem in getattr(remediated, "remediations", []):
                if rem.HasField("properties"):
                    request.properties.CopyFrom(rem.properties)
            found = list(self._violations(self._call("Analyze", request), reg.urn))
            return lambda: found
        return self._call_later("Analyze", request, reg.urn)

    def _analyze_request(
        self, reg: Registration, by_urn: Mapping[str, Registration]
    ) -> analyzer_pb2.AnalyzeRequest:
        from pulumi.runtime.proto import analyzer_pb2

        request = analyzer_pb2.AnalyzeRequest(
            urn=reg.urn,
            type=reg.type,
            name=_urn_type_and_name(reg.urn)[1] if reg.urn else reg.name,
            properties=_struct(reg.inputs),
            options=_options(reg),
        )
        provider = _provider(reg, by_urn)
        if provider is not None:
            request.provider.CopyFrom(provider)
        return request

    def _call_later(self, method: str, request: Any, urn: str) -> Callable[[], list[Violation]]:
        import grpc

        self.start()
        future = getattr(self._stub, method).future(request, timeout=self.call_timeout_seconds)

        def wait() -> list[Violation]:
            try:
                response = future.result()
            except grpc.RpcError as exc:
                raise PolicyPackError(
                    f"policy pack {self.pack_dir}: {method} failed: {cast('Any', exc).details()}{self._stderr_suffix()}"
                ) from exc
            return list(self._violations(response, urn))

        return wait

    def stack_resource(
        self, reg: Registration, by_urn: Mapping[str, Registration]
    ) -> analyzer_pb2.AnalyzerResource:
        """The ``AnalyzeStack`` entry of one resource (outputs, options, parent,
        dependencies, provider, property dependencies); see :meth:`analyze_stack`."""
        from pulumi.runtime.proto import analyzer_pb2

        item = analyzer_pb2.AnalyzerResource(
            urn=reg.urn,
            type=reg.type,
            name=_urn_type_and_name(reg.urn)[1] if reg.urn else reg.name,
            properties=_struct(_stack_properties(reg)),
            options=_options(reg),
            parent=reg.parent,
            dependencies=list(reg.dependencies),
        )
        provider = _provider(reg, by_urn)
        if provider is not None:
            item.provider.CopyFrom(provider)
        for key, urns in reg.property_dependencies.items():
            if urns:
                item.propertyDependencies[key].urns.extend(urns)
        return item

    def analyze_stack(
        self,
        resources: Sequence[Registration],
        *,
        prepared: Mapping[str, analyzer_pb2.AnalyzerResource] | None = None,
    ) -> list[Violation]:
        """``AnalyzeStack`` once with every resource (outputs, parent, dependencies, property
        dependencies), as the engine does at the end of a preview.

        Args:
            resources: registrations in registration order (e.g. ``capture(...).resources``).
            prepared: entries already built with :meth:`stack_resource`, by URN (the
                streaming analysis builds them while the program runs); the others are
                built now.
        """
        return self.analyze_stack_later(resources, prepared=prepared)()

    def analyze_stack_later(
        self,
        resources: Sequence[Registration],
        *,
        prepared: Mapping[str, analyzer_pb2.AnalyzerResource] | None = None,
    ) -> Callable[[], list[Violation]]:
        """Send ``AnalyzeStack`` (see :meth:`analyze_stack`) without waiting for the answer;
        returns a function that waits for it and returns its violations."""
        from pulumi.runtime.proto import analyzer_pb2

        self.configuration()
        by_urn = {r.urn: r for r in resources}
        ready = prepared or {}
        stack = analyzer_pb2.AnalyzeStackRequest()
        stack.resources.extend(
            ready.get(reg.urn) or self.stack_resource(reg, by_urn) for reg in resources
        )
        return self._call_later("AnalyzeStack", stack, "")

    def analyze(
        self, resources: Sequence[Registration], *, config: Mapping[str, Any] | None = None
    ) -> list[Violation]:
        """``Configure`` once, ``Analyze`` each custom resource, then ``AnalyzeStack``.

        Args:
            resources: registrations in registration order (e.g. ``capture(...).resources``).
            config: a ``--policy-pack-config`` for this call only (default: the process's).
        """
        self.configure(config)
        by_urn = {r.urn: r for r in resources}
        violations: list[Violation] = []
        for reg in resources:
            violations.extend(self.analyze_resource(reg, by_urn=by_urn))
        violations.extend(self.analyze_stack(resources))
        return violations

    def stream(self) -> StreamingAnalysis:
        """A :class:`StreamingAnalysis` over this (started or not) process."""
        return StreamingAnalysis(self)


class StreamingAnalysis:
    """Analyse resources while a program still registers them, as the Pulumi engine does.

    :meth:`submit` (cheap, thread-safe, never blocks on the pack) queues a registration; a
    worker thread sends ``Configure`` once, then ``Analyze`` for each queued custom resource
    in submission order, off the caller's thread, without waiting for each answer (up to
    :attr:`window` calls are in flight, so the pack never waits for this process), and
    builds each resource's ``AnalyzeStack`` entry. :meth:`finish` waits for every answer,
    sends ``AnalyzeStack`` with every resource and returns all violations - the same ones
    :meth:`AnalyzerProcess.analyze` reports for the same registrations. Use it as the
    capture harness's ``on_register`` callback::

        with AnalyzerProcess(BUNDLED_PACK_DIR) as pack, pack.stream() as analysis:
            cap = capture(program, on_register=analysis.submit)
            violations = analysis.finish(cap.resources)

    Args:
        analyzer: the pack, or a callable returning it (called on the worker thread, e.g. a
            ``Future.result`` of a pack still starting in the background).
        reuse_answers: for a pack process that analysed the same program before (``preview
            --watch``): a resource whose registration (and its provider's) is equal to the
            one the process last answered for gets that answer again instead of a new
            ``Analyze`` call, and its ``AnalyzeStack`` entry is not rebuilt (see
            :meth:`AnalyzerProcess.remembered`). Default: every resource is sent.

    A failure of the pack (start-up, ``Configure`` or an ``Analyze`` call) stops the worker
    and is raised by :meth:`finish`; later submissions are then ignored.
    """

    window = 32
    """Most ``Analyze`` calls in flight at once."""

    def __init__(
        self,
        analyzer: AnalyzerProcess | Callable[[], AnalyzerProcess],
        *,
        reuse_answers: bool = False,
    ) -> None:
        self._get: Callable[[], AnalyzerProcess] = (
            (lambda: analyzer) if isinstance(analyzer, AnalyzerProcess) else analyzer
        )
        self._reuse = reuse_answers
        self._queue: queue.SimpleQueue[Registration | None] = queue.SimpleQueue()
        self._by_urn: dict[str, Registration] = {}
        self._answers: list[Callable[[], list[Violation]]] = []
        self._collected: list[list[Violation]] = []
        self._stack_items: dict[str, Any] = {}
        self._error: BaseException | None = None
        self._pack: AnalyzerProcess | None = None
        self._closed = False
        self._abandoned = False
        self._worker = threading.Thread(target=self._work, name="policy-analyze", daemon=True)
        self._worker.start()

    def __enter__(self) -> StreamingAnalysis:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def submit(self, reg: Registration) -> None:
        """Queue ``reg`` for ``Analyze`` and its ``AnalyzeStack`` entry."""
        self._by_urn[reg.urn] = reg  # before the resources that use it as their provider
        if not self._closed:
            self._queue.put(reg)

    def _work(self) -> None:
        try:
            pack = self._get()
            self._pack = pack
            pack.configuration()
            while (reg := self._queue.get()) is not None:
                if self._abandoned:
                    continue
                provider = self._by_urn.get(_provider_urn(reg.provider)) if reg.provider else None
                if reg.custom:
                    self._answers.append(self._answer(pack, reg, provider))
                    if len(self._answers) - len(self._collected) > self.window:
                        # wait for the oldest answer: at most `window` calls in flight
                        self._collected.append(self._answers[len(self._collected)]())
                if not reg.provider or provider is not None:
                    # the same entry AnalyzeStack would build once the program has ended
                    item = pack.remembered("stack", reg, provider) if self._reuse else None
                    if item is None:
                        item = pack.stack_resource(reg, self._by_urn)
                        if self._reuse:
                            pack.remember("stack", reg, provider, item)
                    self._stack_items[reg.urn] = item
        except BaseException as exc:  # raised by finish()
            self._error = exc
            self._closed = True

    def _answer(
        self, pack: AnalyzerProcess, reg: Registration, provider: Registration | None
    ) -> Callable[[], list[Violation]]:
        if not self._reuse:
            return pack.analyze_resource_later(reg, by_urn=self._by_urn)
        known: list[Violation] | None = pack.remembered("analyze", reg, provider)
        if known is not None:
            return lambda: list(known)
        wait = pack.analyze_resource_later(reg, by_urn=self._by_urn)

        def answer() -> list[Violation]:
            found = wait()
            pack.remember("analyze", reg, provider, list(found))
            return found

        return answer

    def close(self) -> None:
        """Stop the worker and drop what is still queued (idempotent); nothing is raised.

        For a run that ends without :meth:`finish` (e.g. the program failed).
        """
        self._abandoned = True
        self._stop()

    def _stop(self) -> None:
        self._closed = True
        self._queue.put(None)
        self._worker.join()

    def finish(self, resources: Sequence[Registration]) -> list[Violation]:
        """Wait for every queued ``Analyze``, then ``AnalyzeStack``; all violations.

        Args:
            resources: every registration in registration order (``capture(...).resources``).

        Raises:
            PolicyPackError: the pack failed to start or to answer (also any earlier failure
                of the worker).
        """
        return self.finish_later(resources)()

    def finish_later(self, resources: Sequence[Registration]) -> Callable[[], list[Violation]]:
        """Send ``AnalyzeStack`` once every queued ``Analyze`` is sent, without waiting for
        the answers; returns a function that waits for all of them and returns every
        violation (see :meth:`finish`, which is this and the wait). The caller can work
        while the pack does.

        Raises:
            PolicyPackError: as :meth:`finish` (a failed call is raised by the function).
        """
        self._stop()
        if self._error is not None:
            raise self._error
        assert self._pack is not None
        stack = self._pack.analyze_stack_later(resources, prepared=self._stack_items)

        def wait() -> list[Violation]:
            for answer in self._answers[len(self._collected) :]:
                self._collected.append(answer())
            found = [v for answers in self._collected for v in answers]
            return found + stack()

        return wait


def run_policy_pack(
    pack_dir: str | Path,
    resources: Sequence[Registration],
    config: Mapping[str, Any] | None = None,
    **options: Any,
) -> list[Violation]:
    """Start the pack, analyse ``resources`` once, stop it (see :class:`AnalyzerProcess`)."""
    with AnalyzerProcess(pack_dir, config, **options) as pack:
        return pack.analyze(resources)
