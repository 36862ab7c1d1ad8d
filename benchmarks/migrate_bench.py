"""Time and peak memory of `proliferate-infra migrate terraform` on a 5,000-resource state.

The state is upstream's real one (tests/tf_corpus/upstream/terraform.tfstate, written by
Terraform) plus other applications of the same account in the same state, until it holds
``--resources`` managed resource instances: per application an ECS service and task
definition in the shared cluster, its security group with rules, a log group, a repository,
a task role with a policy attachment, a target group, a bucket and an SSM parameter.

Each run is a fresh subprocess (interpreter start-up and imports count, as they do for a
user). It prints the median wall time, the peak resident memory of the process, the bytes
printed to stdout (a summary, not a table) and the outcome counts of the last run.

Earlier figure (before issue 13): 8.8 s, 168 MB and a 1.5 MB table on stdout.

Usage: python benchmarks/migrate_bench.py [--resources 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
UPSTREAM = REPO / "tests" / "tf_corpus" / "upstream" / "terraform.tfstate"
PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'
ACCOUNT = "123456789012"


def _resource(rtype: str, name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        "mode": "managed",
        "type": rtype,
        "name": name,
        "provider": PROVIDER,
        "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}],
    }


def _application(i: int, vpc: str, cluster: str, subnets: list[str]) -> list[dict[str, Any]]:
    """One other application: 10 resources that share the VPC and the cluster."""
    app = f"app{i:04d}"
    sg = f"sg-{i:017x}"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{app}-task"
    repo_url = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/{app}"
    task_arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{app}:3"
    tg_arn = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/{app}/{i:016x}"
    container = [
        {
            "name": app,
            "image": f"{repo_url}:v{i}",
            "environment": [{"name": "MODE", "value": "production"}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": f"/ecs/{app}"},
            },
        }
    ]
    return [
        _resource(
            "aws_security_group",
            f"{app}",
            {"id": sg, "name": app, "description": app, "vpc_id": vpc, "ingress": [], "egress": []},
        ),
        _resource(
            "aws_vpc_security_group_egress_rule",
            f"{app}_egress",
            {
                "id": f"sgr-{i:017x}",
                "security_group_rule_id": f"sgr-{i:017x}",
                "security_group_id": sg,
                "ip_protocol": "-1",
                "cidr_ipv4": "0.0.0.0/0",
            },
        ),
        _resource(
            "aws_cloudwatch_log_group",
            f"{app}",
            {"id": f"/ecs/{app}", "name": f"/ecs/{app}", "retention_in_days": 14},
        ),
        _resource(
            "aws_ecr_repository", f"{app}", {"id": app, "name": app, "repository_url": repo_url}
        ),
        _resource(
            "aws_iam_role",
            f"{app}_task",
            {
                "id": f"{app}-task",
                "name": f"{app}-task",
                "arn": role_arn,
                "assume_role_policy": '{"Statement":[{"Principal":{"Service":"ecs-tasks.amazonaws.com"}}]}',
            },
        ),
        _resource(
            "aws_iam_role_policy_attachment",
            f"{app}_task",
            {
                "id": f"{app}-task-0001",
                "role": f"{app}-task",
                "policy_arn": f"arn:aws:iam::{ACCOUNT}:policy/{app}",
            },
        ),
        _resource(
            "aws_ecs_task_definition",
            f"{app}",
            {
                "id": app,
                "arn": task_arn,
                "family": app,
                "cpu": "256",
                "memory": "512",
                "task_role_arn": role_arn,
                "container_definitions": json.dumps(container),
            },
        ),
        _resource(
            "aws_lb_target_group",
            f"{app}",
            {
                "id": tg_arn,
                "arn": tg_arn,
                "name": app,
                "port": 9000,
                "protocol": "HTTP",
                "vpc_id": vpc,
            },
        ),
        _resource(
            "aws_ecs_service",
            f"{app}",
            {
                "id": f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/{cluster}/{app}",
                "name": app,
                "cluster": f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/{cluster}",
                "task_definition": task_arn,
                "desired_count": 1,
                "network_configuration": [
                    {"subnets": subnets, "security_groups": [sg], "assign_public_ip": False}
                ],
                "load_balancer": [
                    {"target_group_arn": tg_arn, "container_name": app, "container_port": 9000}
                ],
            },
        ),
        _resource(
            "aws_s3_bucket",
            f"{app}",
            {"id": f"{app}-data", "bucket": f"{app}-data", "arn": f"arn:aws:s3:::{app}-data"},
        ),
    ]


def build_state(total: int) -> dict[str, Any]:
    """Upstream's state plus other applications up to ``total`` managed instances."""
    document: dict[str, Any] = json.loads(UPSTREAM.read_text(encoding="utf-8"))
    managed = [r for r in document["resources"] if r["mode"] == "managed"]
    count = sum(len(r["instances"]) for r in managed)

    def first(rtype: str) -> dict[str, Any]:
        return next(r for r in managed if r["type"] == rtype)["instances"][0]["attributes"]

    vpc = first("aws_vpc")["id"]
    cluster = first("aws_ecs_cluster")["name"]
    subnets = [
        inst["attributes"]["id"]
        for r in managed
        if r["type"] == "aws_subnet" and r["name"] == "private"
        for inst in r["instances"]
    ]
    i = 0
    extra: list[dict[str, Any]] = []
    while count < total:
        app = _application(i, vpc, cluster, subnets)[: total - count]
        extra += app
        count += len(app)
        i += 1
    document = copy.deepcopy(document)
    document["resources"] += extra
    return document


def one_run(state: Path, out: Path) -> tuple[float, int, int, dict[str, int]]:
    """Wall time (s), peak RSS (KiB), stdout bytes and outcome counts of one run."""
    cmd = [sys.executable, "-m", "proliferate_components.cli.main", "migrate", "terraform"]
    cmd += ["--state", str(state), "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr}")
    summary = json.loads((out / "report.json").read_text(encoding="utf-8"))["summary"]
    return elapsed, max(peak, before), len(proc.stdout.encode()), summary


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--resources", type=int, default=5000, help="managed instances (default 5000)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs (default 3)")
    args = parser.parse_args()
    document = build_state(args.resources)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    with tempfile.TemporaryDirectory(prefix="migrate-bench-") as tmp:
        state = Path(tmp) / "terraform.tfstate"
        state.write_text(json.dumps(document), encoding="utf-8")
        size = state.stat().st_size
        print(
            f"python {sys.version.split()[0]} · {os.cpu_count()} CPUs · state of "
            f"{args.resources} managed instances ({size / 1e6:.1f} MB) · {args.runs} runs · "
            f"load {load[0]:.2f}"
        )
        times: list[float] = []
        peaks: list[int] = []
        stdout = 0
        summary: dict[str, int] = {}
        for run in range(max(1, args.runs)):
            elapsed, peak, stdout, summary = one_run(state, Path(tmp) / f"out{run}")
            times.append(elapsed)
            peaks.append(peak)
            print(
                f"run {run + 1}: {elapsed:.2f} s, peak RSS {peak / 1024:.0f} MiB, stdout {stdout} bytes"
            )
    print(
        f"median {statistics.median(times):.2f} s, peak RSS {max(peaks) / 1024:.0f} MiB, "
        f"stdout {stdout} bytes (a summary; the table is in report.md)"
    )
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
