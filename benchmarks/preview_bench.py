"""Wall time of `proliferate-infra preview --offline` on the bundled example, and the policy overhead.

Each run is a fresh subprocess (``python -m proliferate_components.cli.main preview --offline
...``), so interpreter start-up and every import count, as they do for a user. For the dev
and prod presets it runs the preview with the bundled policy pack and with ``--no-policy``,
interleaved so that machine load hits both alike, and prints the median of N runs of each
and the policy overhead ((with - without) / without).

Goal (2-core machine): prod with every policy < 2 s, policy overhead < 30 %.

Usage: python benchmarks/preview_bench.py [--runs 7] [--project DIR] [--pack DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_SECONDS = 2.0
GOAL_OVERHEAD = 0.30


def one_run(
    project: str | None, preset: str, policy: bool, pack: str | None
) -> tuple[float, float]:
    """Wall time and CPU time (user + sys, the pack's process included) of one preview in a
    fresh interpreter, in seconds."""
    cmd = [sys.executable, "-m", "proliferate_components.cli.main", "preview", "--offline"]
    if project:
        cmd.append(project)
    cmd += ["--preset", preset]
    if not policy:
        cmd.append("--no-policy")
    elif pack:
        cmd += ["--policy-pack", pack]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr}")
    return elapsed, cpu


def _load() -> str:
    """The 1/5/15-minute load averages (the machine may be shared: read figures with them)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="runs per configuration (default 7)")
    parser.add_argument("--project", help="project directory (default: the bundled example)")
    parser.add_argument("--pack", help="policy pack directory (default: the bundled pack)")
    args = parser.parse_args()
    runs = max(1, args.runs)

    print(f"python {sys.version.split()[0]} · {os.cpu_count()} CPUs · {runs} runs each")
    print(f"load average before the runs (1/5/15 min): {_load()}")
    one_run(args.project, "dev", True, args.pack)  # warm the OS file cache; not counted
    rows: list[tuple[str, float, float, float, float, float]] = []
    bests: list[tuple[str, float, float, float]] = []
    for preset in ("dev", "prod"):
        with_pack: list[tuple[float, float]] = []
        without: list[tuple[float, float]] = []
        for _ in range(runs):
            with_pack.append(one_run(args.project, preset, True, args.pack))
            without.append(one_run(args.project, preset, False, args.pack))
        w = statistics.median(t for t, _ in with_pack)
        wo = statistics.median(t for t, _ in without)
        wc = statistics.median(c for _, c in with_pack)
        woc = statistics.median(c for _, c in without)
        rows.append((preset, w, wo, (w - wo) / wo, wc, woc))
        best_w, best_wo = min(t for t, _ in with_pack), min(t for t, _ in without)
        bests.append((preset, best_w, best_wo, (best_w - best_wo) / best_wo))
    print(f"load average after the runs (1/5/15 min): {_load()}")
    print("median wall time; CPU = user+sys of the preview and its policy-pack process")
    header = f"{'preset':<8}{'with pack':>11}{'no policy':>11}{'overhead':>10}{'CPU with':>10}{'CPU no':>9}"
    print(header)
    for preset, w, wo, overhead, wc, woc in rows:
        print(f"{preset:<8}{w:>10.2f}s{wo:>10.2f}s{overhead:>10.0%}{wc:>9.2f}s{woc:>8.2f}s")
    print("fastest run of each (less sensitive to other load on a shared machine):")
    for preset, bw, bwo, boverhead in bests:
        print(f"{preset:<8}{bw:>10.2f}s{bwo:>10.2f}s{boverhead:>10.0%}")
    prod = next(r for r in rows if r[0] == "prod")
    print(
        f"goal: prod with every policy < {GOAL_SECONDS:g} s -> {'met' if prod[1] < GOAL_SECONDS else 'NOT met'}; "
        f"overhead < {GOAL_OVERHEAD:.0%} -> {'met' if prod[3] < GOAL_OVERHEAD else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent.parent)
    sys.exit(main())
