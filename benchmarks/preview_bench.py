"""Speed of `proliferate-infra preview --offline`: cold against CDK + cdk-nag, warm, memory, scale.

Every cold run is a fresh process (``python -m proliferate_components.cli.main preview
--offline ...``), so interpreter start-up and every import count, as they do for a user.
Sections (``--sections``, all by default):

* ``cdk``: the prod example with the bundled pack (every policy) against the AWS CDK's
  synth plus cdk-nag of an equivalent stack (``CDK_VALIDATION=false node app.js`` in the
  anchor directory), run alternately so that machine load hits both alike. Prints the ratio
  (ours / CDK) of each pair as median, min and max, and where our time goes (imports,
  program, policy, report, other; from ``PROLIFERATE_PREVIEW_TIMINGS``). The anchor is
  ``--cdk DIR``, else ``$PROLIFERATE_CDK_ANCHOR``, else ``../shared/bench/cdk`` next to the
  repository; it needs ``node`` and ``npm install`` done there. Without it the ratio is
  skipped (and says why); the cold runs are still timed.
* ``memory``: peak resident memory of those cold prod previews (the command's process,
  its policy pack's process, and their sum).
* ``scale``: a synthetic program of 250, 500 and 1,000 resources (``synthetic.py``), with the
  pack: time per resource and the marginal cost of each resource between the sizes.
* ``watch``: ``preview --watch`` of a copy of the example; a one-line change to its
  ``__main__.py`` (the retention of a log group it adds), repeated: time from the write to
  the new report (``re-previewed in``), the CPU it took, and the watch's resident memory
  after the edits.
* ``presets``: dev and prod with and without the pack, and the pack's overhead.

The load average is printed before and after: the figures are only comparable at similar
load. Goals (issue 17): ratio <= 1.0, warm re-preview <= 0.3 s, peak RSS <= 200 MB.

Usage: python benchmarks/preview_bench.py [--runs 7] [--sections cdk,memory,scale,watch,presets]
           [--cdk DIR] [--project DIR] [--pack DIR] [--edits 10]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import queue
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_project  # noqa: E402

from proliferate_components.preview import sdk_loader  # noqa: E402
from proliferate_components.preview.timings import ENV as TIMINGS_ENV  # noqa: E402
from proliferate_components.preview.timings import breakdown  # noqa: E402

GOAL_RATIO = 1.0
GOAL_WARM_SECONDS = 0.3
GOAL_RSS_MB = 200
SECTIONS = ("cdk", "memory", "scale", "watch", "presets")
CDK_ENV = "PROLIFERATE_CDK_ANCHOR"
PHASES = ("imports", "program", "policy", "report", "other")


def _load() -> str:
    """The 1/5/15-minute load averages (the machine may be shared: read figures with them)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def preview_cmd(
    project: str | None, preset: str | None, *, policy: bool = True, pack: str | None = None
) -> list[str]:
    cmd = [sys.executable, "-m", "proliferate_components.cli.main", "preview", "--offline"]
    if project:
        cmd.append(project)
    if preset:
        cmd += ["--preset", preset]
    if not policy:
        cmd.append("--no-policy")
    elif pack:
        cmd += ["--policy-pack", pack]
    return cmd


def one_preview(cmd: Sequence[str], timings_file: Path) -> dict[str, Any]:
    """Run one preview process; its wall time, CPU (its pack's included), phases and memory."""
    env = dict(os.environ, **{TIMINGS_ENV: str(timings_file)})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned = time.time()
    proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False, env=env)
    ended = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr}")
    document = json.loads(timings_file.read_text(encoding="utf-8"))
    return {
        "wall": ended - spawned,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "phases": breakdown(document, spawned, ended),
        "rss_mb": document["maxrss_kib"] / 1024,
        "pack_rss_mb": document["maxrss_children_kib"] / 1024,
    }


def cdk_anchor(explicit: str | None) -> tuple[Path | None, str]:
    """The CDK anchor directory, or ``None`` and why it cannot run."""
    where = Path(
        explicit or os.environ.get(CDK_ENV) or ROOT.parent / "shared" / "bench" / "cdk"
    ).resolve()
    if not (where / "app.js").is_file():
        return None, f"no app.js in {where}"
    if shutil.which("node") is None:
        return None, "node is not installed"
    if not (where / "node_modules" / "aws-cdk-lib").is_dir():
        return (
            None,
            f"run `npm install` in {where} (or point --cdk/{CDK_ENV} at a copy where it ran)",
        )
    return where, ""


def one_cdk(anchor: Path) -> tuple[float, float]:
    """Wall and CPU time (user + sys) of one CDK synth + cdk-nag, in seconds."""
    env = dict(os.environ, CDK_VALIDATION="false")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        ["node", "app.js"], cwd=anchor, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or '"resources"' not in proc.stdout:
        raise SystemExit(f"the CDK anchor failed (exit {proc.returncode}):\n{proc.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def section_cdk(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    anchor, why = cdk_anchor(args.cdk)
    cmd = preview_cmd(args.project, "prod", pack=args.pack)
    print("\n== cold prod preview, every policy ==")
    print(f"command: proliferate-infra {' '.join(cmd[4:])}")
    if anchor is None:
        print(f"CDK anchor: skipped ({why}); timing our runs only")
    else:
        print(f"CDK anchor: CDK_VALIDATION=false node app.js in {anchor}")
        one_cdk(anchor)  # warm the OS file cache; not counted
    ours: list[dict[str, Any]] = []
    cdk: list[float] = []
    cdk_cpu: list[float] = []
    for _ in range(args.runs):
        ours.append(one_preview(cmd, work / "timings.json"))
        if anchor is not None:
            wall, cpu = one_cdk(anchor)
            cdk.append(wall)
            cdk_cpu.append(cpu)
    walls = [r["wall"] for r in ours]
    print(
        f"ours: median {_median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
        f"CPU {_median([r['cpu'] for r in ours]):.2f} s with the pack's process"
    )
    phases = "  ".join(f"{p} {_median([r['phases'][p] for r in ours]):.2f}" for p in PHASES)
    print(f"where it goes (median s): {phases}")
    if cdk:
        ratios = [o / c for o, c in zip(walls, cdk, strict=True)]
        ratio = _median(ratios)
        print(
            f"CDK:  median {_median(cdk):.2f} s (min {min(cdk):.2f}, max {max(cdk):.2f}), "
            f"CPU {_median(cdk_cpu):.2f} s"
        )
        print(
            f"ratio ours/CDK of each pair: median {ratio:.2f}, min {min(ratios):.2f}, "
            f"max {max(ratios):.2f} -> goal <= {GOAL_RATIO:g}: {'met' if ratio <= GOAL_RATIO else 'NOT met'}"
        )
    return ours


def section_memory(cold: list[dict[str, Any]]) -> None:
    print("\n== peak memory of the cold prod previews ==")
    main = max(r["rss_mb"] for r in cold)
    pack = max(r["pack_rss_mb"] for r in cold)
    both = max(r["rss_mb"] + r["pack_rss_mb"] for r in cold)
    print(
        f"peak RSS: command {main:.0f} MB, policy pack process {pack:.0f} MB, "
        f"both {both:.0f} MB -> goal (command) <= {GOAL_RSS_MB} MB: "
        f"{'met' if main <= GOAL_RSS_MB else 'NOT met'}; both: "
        f"{'met' if both <= GOAL_RSS_MB else 'NOT met'}"
    )


def section_scale(args: argparse.Namespace, work: Path) -> None:
    print("\n== synthetic programs, with the pack (time per resource) ==")
    sizes = (250, 500, 1000)
    rows: list[tuple[int, float, float, float]] = []
    for size in sizes:
        project = write_project(work / f"synthetic-{size}", size)
        cmd = preview_cmd(str(project), None, pack=args.pack)
        one_preview(cmd, work / "timings.json")  # new SDK modules: compiled in the background
        sdk_loader.wait_for_fill()
        runs = [one_preview(cmd, work / "timings.json") for _ in range(max(1, args.runs // 2))]
        wall = _median([r["wall"] for r in runs])
        program = _median([r["phases"]["program"] + r["phases"]["policy"] for r in runs])
        cpu = _median([r["cpu"] for r in runs])
        rows.append((size, wall, program, cpu))
    print(
        f"{'resources':>10}{'wall':>8}{'/resource':>11}{'program+policy':>16}{'/resource':>11}"
        f"{'CPU':>8}{'/resource':>11}"
    )
    for size, wall, program, cpu in rows:
        print(
            f"{size:>10}{wall:>7.2f}s{wall / size * 1000:>9.2f}ms{program:>15.2f}s"
            f"{program / size * 1000:>9.2f}ms{cpu:>7.2f}s{cpu / size * 1000:>9.2f}ms"
        )
    for (n0, w0, p0, c0), (n1, w1, p1, c1) in itertools.pairwise(rows):
        print(
            f"each resource from {n0} to {n1}: {(w1 - w0) / (n1 - n0) * 1000:.2f} ms wall, "
            f"{(p1 - p0) / (n1 - n0) * 1000:.2f} ms program+policy, "
            f"{(c1 - c0) / (n1 - n0) * 1000:.2f} ms CPU (both processes)"
        )


def _reader(stream: Any, lines: queue.Queue[tuple[float, str]]) -> None:
    for line in iter(stream.readline, ""):
        lines.put((time.time(), line.rstrip("\n")))


def _until(lines: queue.Queue[tuple[float, str]], needle: str, timeout: float) -> tuple[float, str]:
    deadline = time.time() + timeout
    while True:
        at, line = lines.get(timeout=max(0.1, deadline - time.time()))
        if needle in line:
            return at, line


def _cpu_of_tree(pid: int) -> float:
    """CPU seconds (user + sys) used so far by ``pid`` and its live children (Linux)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _rss(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status")
    if not status.is_file():
        return float("nan"), float("nan")
    fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
    return (
        int(fields["VmRSS"].split()[0]) / 1024,
        int(fields["VmHWM"].split()[0]) / 1024,
    )


def section_watch(args: argparse.Namespace, work: Path) -> None:
    print("\n== preview --watch: a one-line change to the program ==")
    source = Path(args.project) if args.project else ROOT / "examples" / "proliferate"
    project = work / "watched"
    shutil.copytree(source, project, dirs_exist_ok=True)
    main = project / "__main__.py"
    original = main.read_text(encoding="utf-8")
    # the edited line: one resource's argument (its Analyze request and AnalyzeStack change)
    retention = (14, 30, 60, 90, 120, 150, 180, 365)
    edited = 'aws.cloudwatch.LogGroup("bench-edit", retention_in_days={})\n'
    main.write_text(original + "\nimport pulumi_aws as aws\n\n" + edited.format(retention[0]))
    cmd = [
        *preview_cmd(str(project), "prod", pack=args.pack),
        "--watch",
        "--json",
        str(work / "w.json"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    end_to_end: list[float] = []
    internal: list[float] = []
    cpu: list[float] = []
    try:
        _until(lines, "watching", 300)
        for edit in range(1, args.edits + 1):
            time.sleep(0.3)  # let the watch settle into polling
            text = main.read_text(encoding="utf-8")
            used = _cpu_of_tree(proc.pid)
            written = time.time()
            before = edited.format(retention[(edit - 1) % len(retention)])
            after = edited.format(retention[edit % len(retention)])
            main.write_text(text.replace(before, after), encoding="utf-8")
            done, line = _until(lines, "re-previewed in", 60)
            cpu.append(_cpu_of_tree(proc.pid) - used)
            end_to_end.append(done - written)
            internal.append(float(line.split("re-previewed in", 1)[1].split()[0]))
            _until(lines, "watching", 60)
        rss, hwm = _rss(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(
        f"{args.edits} edits: from the write to the new report median {_median(end_to_end):.3f} s "
        f"(min {min(end_to_end):.3f}, max {max(end_to_end):.3f}); the preview itself median "
        f"{_median(internal):.3f} s -> goal <= {GOAL_WARM_SECONDS:g} s: "
        f"{'met' if _median(end_to_end) <= GOAL_WARM_SECONDS else 'NOT met'}"
    )
    if Path("/proc").is_dir():
        print(
            f"CPU per re-preview (the watch and its pack, median): {_median(cpu):.3f} s "
            "(about the wall time it takes on an idle machine)"
        )
    print(f"watch process after the edits: RSS {rss:.0f} MB (peak {hwm:.0f} MB)")


def section_presets(args: argparse.Namespace, work: Path) -> None:
    print("\n== presets, with and without the pack ==")
    header = f"{'preset':<8}{'with pack':>11}{'no policy':>11}{'overhead':>10}{'CPU with':>10}{'CPU no':>9}"
    print(header)
    for preset in ("dev", "prod"):
        with_pack: list[dict[str, Any]] = []
        without: list[dict[str, Any]] = []
        for _ in range(args.runs):
            with_pack.append(
                one_preview(preview_cmd(args.project, preset, pack=args.pack), work / "t.json")
            )
            without.append(
                one_preview(preview_cmd(args.project, preset, policy=False), work / "t.json")
            )
        w = _median([r["wall"] for r in with_pack])
        wo = _median([r["wall"] for r in without])
        wc = _median([r["cpu"] for r in with_pack])
        woc = _median([r["cpu"] for r in without])
        print(f"{preset:<8}{w:>10.2f}s{wo:>10.2f}s{(w - wo) / wo:>10.0%}{wc:>9.2f}s{woc:>8.2f}s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (default 7)")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}"
    )
    parser.add_argument(
        "--cdk", help=f"CDK anchor directory (default ${CDK_ENV} or ../shared/bench/cdk)"
    )
    parser.add_argument("--project", help="project directory (default: the bundled example)")
    parser.add_argument("--pack", help="policy pack directory (default: the bundled pack)")
    parser.add_argument(
        "--edits", type=int, default=10, help="one-line changes in `watch` (default 10)"
    )
    args = parser.parse_args()
    args.runs = max(1, args.runs)
    args.edits = max(1, args.edits)
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        parser.error(f"--sections: unknown {', '.join(unknown)}; valid: {', '.join(SECTIONS)}")

    print(f"python {sys.version.split()[0]} · {os.cpu_count()} CPUs · {args.runs} runs each")
    # An installed wheel ships compiled bytecode; a checkout compiles on first import unless
    # PYTHONDONTWRITEBYTECODE is set: compile once so every run starts like an installed one.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "proliferate_components")],
        check=False,
        capture_output=True,
    )
    print("bytecode of proliferate_components compiled (python -m compileall), as a wheel ships it")
    print(f"load average before (1/5/15 min): {_load()}")
    with tempfile.TemporaryDirectory(prefix="preview-bench-") as tmp:
        work = Path(tmp)
        # warm the OS file cache and fill the provider-SDK code cache; not counted
        one_preview(preview_cmd(args.project, "prod", pack=args.pack), work / "timings.json")
        sdk_loader.wait_for_fill()  # the first preview compiles the SDKs in the background
        one_preview(preview_cmd(args.project, "prod", pack=args.pack), work / "timings.json")
        cold: list[dict[str, Any]] = []
        if "cdk" in wanted or "memory" in wanted:
            cold = section_cdk(args, work)
        if "memory" in wanted:
            section_memory(cold)
        if "scale" in wanted:
            section_scale(args, work)
        if "watch" in wanted:
            section_watch(args, work)
        if "presets" in wanted:
            section_presets(args, work)
    print(f"\nload average after (1/5/15 min): {_load()}")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
