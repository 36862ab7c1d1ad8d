"""Looks up an AMI: an invoke that has no offline answer."""

import pulumi_aws as aws

ami = aws.ec2.get_ami(
    most_recent=True, owners=["amazon"], filters=[{"name": "name", "values": ["al2023-ami-*"]}]
)
aws.ec2.Instance("web", ami=ami.id, instance_type="t3.micro")
