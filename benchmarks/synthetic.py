"""A synthetic Pulumi project of N resources, to see how the offline preview's cost grows.

``write_project(directory, resources)`` writes ``Pulumi.yaml`` and ``__main__.py``: one VPC,
then groups of five plain ``pulumi_aws`` resources (a security group, an ingress rule on it,
a log group, a bucket, an IAM role), each group wired to the VPC and to its own group, until
the program registers ``resources`` custom resources. Every resource is one the bundled
policy pack has rules for, so the pack works on all of them.
"""

from __future__ import annotations

from pathlib import Path

GROUP = 5
"""Resources per repeated group."""

_PROGRAM = '''\
"""Synthetic program of {resources} resources (benchmarks/synthetic.py)."""

import json

import pulumi
import pulumi_aws as aws

RESOURCES = {resources}
vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", enable_dns_hostnames=True)
made = 1
i = 0
trust = json.dumps(
    {{
        "Version": "2012-10-17",
        "Statement": [
            {{"Effect": "Allow", "Principal": {{"Service": "ecs-tasks.amazonaws.com"}},
             "Action": "sts:AssumeRole"}}
        ],
    }}
)
while made < RESOURCES:
    kinds = [
        lambda: aws.ec2.SecurityGroup(f"sg-{{i}}", vpc_id=vpc.id, description=f"group {{i}}"),
        lambda: aws.vpc.SecurityGroupIngressRule(
            f"in-{{i}}", security_group_id=group.id, cidr_ipv4="10.0.0.0/16",
            ip_protocol="tcp", from_port=443, to_port=443,
        ),
        lambda: aws.cloudwatch.LogGroup(f"logs-{{i}}", retention_in_days=30),
        lambda: aws.s3.Bucket(f"bucket-{{i}}", tags={{"group": str(i)}}),
        lambda: aws.iam.Role(f"role-{{i}}", assume_role_policy=trust),
    ]
    for n, kind in enumerate(kinds):
        if made >= RESOURCES:
            break
        created = kind()
        if n == 0:
            group = created
        made += 1
    i += 1
pulumi.export("vpcId", vpc.id)
pulumi.export("resources", made)
'''

_PROJECT = """\
name: synthetic
runtime: python
description: Synthetic program of {resources} resources for benchmarks/preview_bench.py
"""


def write_project(directory: Path, resources: int) -> Path:
    """Write the project of ``resources`` custom resources into ``directory``; returns it."""
    if resources < 1:
        raise ValueError(f"resources: {resources!r}; at least 1")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(_PROJECT.format(resources=resources), encoding="utf-8")
    (directory / "__main__.py").write_text(_PROGRAM.format(resources=resources), encoding="utf-8")
    return directory
