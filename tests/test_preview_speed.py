"""The fast path of the offline preview gives the same results as the plain one.

No timing here (speed is measured by ``benchmarks/preview_bench.py``): these tests show that
what the optimisations change - how provider SDKs are imported (postponed annotations, lazy
service packages, deferred ``pulumi.automation``), the skipped stack traces, the pipelined
analysis - leaves every result as it was: the same ``--json`` export byte for byte, the same
types the Pulumi SDK reads from the provider classes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sdk_fixtures import HEADER, write_source

from proliferate_components.preview import sdk_loader
from proliferate_components.preview.timings import ENV as TIMINGS_ENV
from proliferate_components.preview.timings import breakdown

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "proliferate"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != sdk_loader.DISABLE_ENV}
    env.update(extra)
    return env


def _preview_json(tmp: Path, preset: str, name: str, **env: str) -> bytes:
    out = tmp / f"{name}.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "proliferate_components.cli.main",
            "preview",
            "--offline",
            str(EXAMPLE),
            "--preset",
            preset,
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=_env(**env),
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return out.read_bytes()


# The preview as it ran before issue 17: provider SDKs imported by Python's own loader, a
# stack trace walked for every registration, the pack run after the program (one Analyze
# after the other, AnalyzeStack built at the end), PyYAML's pure-Python parser.
_REFERENCE = textwrap.dedent(
    """
    import contextlib, sys, yaml
    from pathlib import Path
    from proliferate_components.testing import harness
    from proliferate_components.preview import project as project_module
    harness._without_stack_traces = contextlib.nullcontext
    yaml.CSafeLoader = yaml.SafeLoader
    from proliferate_components.analyzer import AnalyzerProcess, BUNDLED_PACK_DIR
    from proliferate_components.policies.profiles import policy_config_for
    from proliferate_components.preview import runner
    from proliferate_components.preview.export import write_json

    preset, out = sys.argv[1], sys.argv[2]
    result = runner.run_preview(sys.argv[3], stack=preset, preset=preset, policy_pack=None)
    config = {k: v for k, v in result.config.values.items() if k not in result.config.secret_keys}
    with AnalyzerProcess(
        BUNDLED_PACK_DIR,
        policy_config_for(config.get("proliferate:profile")) or None,
        project=result.project.name,
        stack=result.stack,
        stack_config=config,
    ) as pack:
        violations = pack.analyze(result.capture.resources)
    result.violations = sorted(violations, key=runner._violation_key)
    result.policy_pack = BUNDLED_PACK_DIR
    write_json(result, out)
    """
)


def _reference_json(tmp: Path, preset: str) -> bytes:
    out = tmp / f"reference-{preset}.json"
    proc = subprocess.run(
        [sys.executable, "-c", _REFERENCE, preset, str(out), str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=_env(**{sdk_loader.DISABLE_ENV: "0"}),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_the_fast_preview_writes_the_export_of_the_reference_path_byte_for_byte(
    tmp_path: Path, preset: str
) -> None:
    cache = tmp_path / "cache"
    # a cold cache: the SDKs load as Python loads them, a process compiles them afterwards
    cold = _preview_json(tmp_path, preset, "cold", PROLIFERATE_CACHE_DIR=str(cache))
    assert sdk_loader.wait_for_fill(cache)
    assert len(list(cache.glob("sdk-*/pulumi_aws.ec2.lazy.*.code"))) == 1
    fast = _preview_json(tmp_path, preset, "fast", PROLIFERATE_CACHE_DIR=str(cache))
    plain_imports = _preview_json(tmp_path, preset, "plain", **{sdk_loader.DISABLE_ENV: "0"})
    reference = _reference_json(tmp_path, preset)
    assert cold == reference
    assert fast == reference  # compiled code read back from the cache
    assert plain_imports == reference
    document = json.loads(reference)
    assert len(document["resources"]) > 100  # a real comparison
    # dev has advisory violations to compare; prod is held to its profile and passes clean
    assert bool(document["violations"]) is (preset == "dev")


# -- the provider SDK loader, on a generated SDK made up for the test ----------------------


@pytest.fixture
def fake_sdk(tmp_path: Path) -> Iterator[Path]:
    """``pulumi_fakesdk``: a package shaped like a generated provider SDK, on ``sys.path``."""
    root = tmp_path / "site"
    pkg = root / "pulumi_fakesdk"
    write_source(pkg / "_utilities.py", "VERSION = '1.0.0'\n")
    write_source(
        pkg / "__init__.py",
        HEADER
        + textwrap.dedent(
            """\
            import typing
            from . import _utilities
            from .alpha import *
            from .beta import *
            from . import extra
            """
        ),
    )
    write_source(
        pkg / "alpha.py",
        """\
        from typing import TypedDict
        __all__ = ['Alpha', 'AlphaArgsDict', 'shared']

        class Alpha:
            def method(self, x: NotDefinedAnywhere) -> int:  # evaluated, this fails
                return 1

        class AlphaArgsDict(TypedDict):
            '''Alpha as a dict.'''
            size: NotRequired[int]
            '''How big.'''
            name: 'str'

        shared = 'alpha'
        """,
    )
    write_source(
        pkg / "beta.py", "__all__ = ['Beta', 'shared']\nclass Beta: pass\nshared = 'beta'\n"
    )
    write_source(pkg / "extra.py", "VALUE = 42\n")
    sys.path.insert(0, str(root))
    try:
        yield pkg
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("pulumi_fakesdk")]:
            del sys.modules[name]


@pytest.fixture
def finder(tmp_path: Path) -> Iterator[sdk_loader.SdkFinder]:
    found = sdk_loader.SdkFinder(tmp_path / "cache")
    sys.meta_path.insert(0, found)  # pyright: ignore[reportArgumentType]
    try:
        yield found
    finally:
        sys.meta_path.remove(found)  # pyright: ignore[reportArgumentType]


def _forget_fake_sdk() -> None:
    for name in [m for m in sys.modules if m.startswith("pulumi_fakesdk")]:
        del sys.modules[name]


def test_star_imports_of_a_generated_package_bind_on_first_access(
    fake_sdk: Path, finder: sdk_loader.SdkFinder
) -> None:
    import pulumi_fakesdk  # pyright: ignore[reportMissingImports]

    assert "pulumi_fakesdk.alpha" not in sys.modules
    assert pulumi_fakesdk.extra.VALUE == 42  # explicit imports still run
    assert pulumi_fakesdk.Alpha().method(None) == 1
    assert "pulumi_fakesdk.alpha" in sys.modules and "pulumi_fakesdk.beta" not in sys.modules
    assert pulumi_fakesdk.shared == "beta"  # the later star-import wins, as when executed
    assert {"Alpha", "Beta", "shared", "alpha", "beta"} <= set(dir(pulumi_fakesdk))
    namespace: dict[str, object] = {}
    exec("from pulumi_fakesdk import *", namespace)
    assert namespace["Beta"] is pulumi_fakesdk.Beta and namespace["shared"] == "beta"
    assert pulumi_fakesdk.alpha.__name__ == "pulumi_fakesdk.alpha"  # submodule attribute
    with pytest.raises(AttributeError, match="no attribute 'Gamma'"):
        _ = pulumi_fakesdk.Gamma


def test_annotations_of_a_generated_sdk_are_postponed(
    fake_sdk: Path, finder: sdk_loader.SdkFinder
) -> None:
    from pulumi_fakesdk import Alpha  # pyright: ignore[reportMissingImports]

    # evaluated at definition time, 'NotDefinedAnywhere' would have failed the import
    assert Alpha.method.__annotations__ == {"x": "NotDefinedAnywhere", "return": "int"}
    from pulumi_fakesdk import AlphaArgsDict  # pyright: ignore[reportMissingImports]

    assert AlphaArgsDict.__annotations__ == {"size": "NotRequired[int]", "name": "'str'"}
    assert AlphaArgsDict.__doc__ is None  # compiled without docstrings: nothing reads them
    assert AlphaArgsDict(size=1, name="a") == {"size": 1, "name": "a"}


def test_compiled_code_is_cached_and_recompiled_when_the_source_changes(
    fake_sdk: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = sdk_loader.SdkFinder(cache)
    sys.meta_path.insert(0, first)  # pyright: ignore[reportArgumentType]
    try:
        import pulumi_fakesdk  # pyright: ignore[reportMissingImports]

        assert pulumi_fakesdk.Beta and first.compiled == 4 and first.loaded == 0  # with _utilities
    finally:
        sys.meta_path.remove(first)  # pyright: ignore[reportArgumentType]
    _forget_fake_sdk()
    second = sdk_loader.SdkFinder(cache)
    sys.meta_path.insert(0, second)  # pyright: ignore[reportArgumentType]
    try:
        write_source(
            fake_sdk / "beta.py", "__all__ = ['Beta', 'shared']\nclass Beta: pass\nshared = 'b2'\n"
        )
        os.utime(fake_sdk / "beta.py", ns=(1, 1))  # a different mtime whatever the clock
        import pulumi_fakesdk  # pyright: ignore[reportMissingImports]

        assert pulumi_fakesdk.shared == "b2"
        assert pulumi_fakesdk.extra.VALUE == 42
        # the package index depends on beta.py, so it was rebuilt too; the others were cached
        assert (second.compiled, second.loaded) == (2, 2)
    finally:
        sys.meta_path.remove(second)  # pyright: ignore[reportArgumentType]


def test_an_unwritable_cache_only_costs_a_compile(fake_sdk: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    found = sdk_loader.SdkFinder(blocker)
    sys.meta_path.insert(0, found)  # pyright: ignore[reportArgumentType]
    try:
        import pulumi_fakesdk  # pyright: ignore[reportMissingImports]

        assert pulumi_fakesdk.shared == "beta" and found.compiled == 4
    finally:
        sys.meta_path.remove(found)  # pyright: ignore[reportArgumentType]


def test_a_package_without_literal_all_in_a_module_runs_its_star_imports(
    fake_sdk: Path, finder: sdk_loader.SdkFinder
) -> None:
    write_source(fake_sdk / "beta.py", "__all__ = [n for n in ('Beta',)]\nclass Beta: pass\n")
    import pulumi_fakesdk  # pyright: ignore[reportMissingImports]

    assert "pulumi_fakesdk.beta" in sys.modules  # executed as written, not lazily
    assert pulumi_fakesdk.Beta.__name__ == "Beta"


def test_packages_not_generated_by_pulumi_load_as_python_loads_them(
    fake_sdk: Path, finder: sdk_loader.SdkFinder
) -> None:
    init = fake_sdk / "__init__.py"
    init.write_text(init.read_text().replace(HEADER, ""), encoding="utf-8")
    with pytest.raises(NameError, match="NotDefinedAnywhere"):
        import pulumi_fakesdk  # noqa: F401  # pyright: ignore[reportMissingImports, reportUnusedImport]
    assert "pulumi_fakesdk.beta" not in sys.modules and finder.compiled == 0


def test_install_is_off_with_the_environment_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sdk_loader.DISABLE_ENV, "0")
    assert sdk_loader.install() is None


# -- pulumi_aws and pulumi through the loader (fresh interpreters) ------------------------

_TYPES = textwrap.dedent(
    """
    import json, sys
    from proliferate_components.preview import sdk_loader
    if sys.argv[1] == "fast":
        assert sdk_loader.install() is not None
        from proliferate_components.preview import sdk_patches
        assert sdk_patches.apply()
    import pulumi
    from pulumi import _types
    import pulumi_aws as aws
    deferred = "pulumi.automation._local_workspace" not in sys.modules
    tokens = json.loads(sys.argv[2])
    out = {}
    for token in tokens:
        module, name = token.split(":")[1].split("/")[0], token.rsplit(":", 1)[1]
        if token.startswith("random:"):
            import pulumi_random as package
        else:
            package = getattr(aws, module) if module != "index" else aws
        cls = getattr(package, name)
        args = getattr(package, name + "Args", None)
        out[token] = {
            "resource": repr(sorted(_types.resource_types(cls).items())),
            "inputs": repr(sorted(_types.input_type_types(args).items())) if args else "",
        }
    out["automation"] = pulumi.automation.LocalWorkspace.__name__
    print(json.dumps({"types": out, "deferred": deferred}))
    """
)


@pytest.mark.slow
def test_the_sdk_reads_the_same_types_from_classes_loaded_the_fast_way(tmp_path: Path) -> None:
    document = json.loads(
        _preview_json(tmp_path, "prod", "types", PROLIFERATE_CACHE_DIR=str(tmp_path))
    )
    tokens = sorted({r["type"] for r in document["resources"] if r["custom"]})
    assert len(tokens) > 20

    def types(mode: str) -> dict[str, object]:
        proc = subprocess.run(
            [sys.executable, "-c", _TYPES, mode, json.dumps(tokens)],
            capture_output=True,
            text=True,
            env=_env(PROLIFERATE_CACHE_DIR=str(tmp_path)),
            check=True,
        )
        return json.loads(proc.stdout)

    fast, plain = types("fast"), types("plain")
    assert fast["types"] == plain["types"]
    assert fast["deferred"] is True and plain["deferred"] is False


# -- the benchmark's hooks -------------------------------------------------------------------


@pytest.mark.slow
def test_the_timings_document_accounts_for_the_whole_run(tmp_path: Path) -> None:
    import time

    target = tmp_path / "timings.json"
    spawned = time.time()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "proliferate_components.cli.main",
            "preview",
            "--offline",
            str(EXAMPLE),
            "--preset",
            "dev",
        ],
        capture_output=True,
        text=True,
        env=_env(**{TIMINGS_ENV: str(target)}),
        check=False,
    )
    ended = time.time()
    assert proc.returncode in (0, 1), proc.stderr
    document = json.loads(target.read_text())
    stamps = document["stamps"]
    order = ["handler", "program_start", "program_end", "policy_end", "report_end", "end"]
    assert [stamps[k] for k in order] == sorted(stamps[k] for k in order)
    assert spawned < stamps["handler"] < stamps["end"] < ended
    assert document["import_seconds"] > 0 and document["maxrss_kib"] > 10_000
    assert document["maxrss_children_kib"] > 10_000  # the pack's process
    parts = breakdown(document, spawned, ended)
    total = sum(v for k, v in parts.items() if k != "total")
    assert total == pytest.approx(parts["total"]) and parts["total"] == pytest.approx(
        ended - spawned
    )
    assert min(parts[k] for k in ("imports", "program", "report")) > 0


def test_the_synthetic_program_registers_the_resources_asked_for(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from synthetic import write_project  # pyright: ignore[reportMissingImports]
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    from proliferate_components.preview import run_preview

    project = write_project(tmp_path / "synthetic", 12)
    result = run_preview(project)
    assert len(result.capture.resources) == 12
    assert {r.type.split(":")[1] for r in result.capture.resources} >= {
        "ec2/vpc",
        "ec2/securityGroup",
        "vpc/securityGroupIngressRule",
        "cloudwatch/logGroup",
        "s3/bucket",
        "iam/role",
    }
    with pytest.raises(ValueError, match="at least 1"):
        write_project(tmp_path / "none", 0)


def test_a_cold_cache_loads_the_plain_way_and_is_filled_for_the_next_time(
    fake_sdk: Path, tmp_path: Path
) -> None:
    write_source(
        fake_sdk / "alpha.py", "__all__ = ['Alpha', 'shared']\nclass Alpha: pass\nshared = 'a'\n"
    )
    cache = tmp_path / "cache"
    cold = sdk_loader.SdkFinder(cache, compile_missing=False)
    sys.meta_path.insert(0, cold)  # pyright: ignore[reportArgumentType]
    try:
        import pulumi_fakesdk  # pyright: ignore[reportMissingImports]

        assert pulumi_fakesdk.shared == "beta"
        assert "pulumi_fakesdk.alpha" in sys.modules  # star-imports ran: loaded as Python does
        assert cold.compiled == 0 and not list(cache.glob("sdk-*/*.code"))
        missed = {name for name, _path, _lazy in cold.missing}
        assert {"pulumi_fakesdk", "pulumi_fakesdk.alpha", "pulumi_fakesdk.beta"} <= missed
    finally:
        sys.meta_path.remove(cold)  # pyright: ignore[reportArgumentType]
    assert sdk_loader.fill_cache(cold.missing, cache) == len(cold.missing)
    _forget_fake_sdk()
    warm = sdk_loader.SdkFinder(cache, compile_missing=False)
    sys.meta_path.insert(0, warm)  # pyright: ignore[reportArgumentType]
    try:
        import pulumi_fakesdk  # pyright: ignore[reportMissingImports]

        assert "pulumi_fakesdk.alpha" not in sys.modules  # the lazy package, from the cache
        assert pulumi_fakesdk.shared == "beta" and not warm.missing and warm.compiled == 0
    finally:
        sys.meta_path.remove(warm)  # pyright: ignore[reportArgumentType]
