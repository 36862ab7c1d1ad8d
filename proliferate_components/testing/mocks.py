"""Offline answers for Pulumi's mock runtime: realistic, deterministic outputs.

`OfflineMocks` gives every registered resource the outputs AWS would return (ids with
the right prefix, ARNs, endpoints, DNS names) derived from a hash of the resource's
type and name, so the same program with the same config yields byte-identical outputs
(no churn between runs) and no network is ever touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from ..errors import UnansweredInvokeError

ACCOUNT_ID = "123456789012"
"""The AWS account id every offline ARN uses."""

InvokeAnswer = Callable[[dict[str, Any]], dict[str, Any]]


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


# type token -> (id prefix, arn service, arn resource kind)
_ID_PREFIX: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/route:Route": "r-rtb",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule",
}


class OfflineMocks(pulumi.runtime.Mocks):
    """Mocks that answer like AWS would, deterministically and without a network.

    Args:
        region: the AWS region used in ARNs and endpoints (default ``us-east-1``).
        availability_zones: answer of ``aws.get_availability_zones`` (default: the
            region's ``a`` to ``f`` zones).
        invokes: extra answers, token -> function of the invoke's args.
    """

    def __init__(
        self,
        region: str = "us-east-1",
        availability_zones: list[str] | None = None,
        invokes: Mapping[str, InvokeAnswer] | None = None,
    ) -> None:
        self.region = region
        self.availability_zones = availability_zones or [f"{region}{s}" for s in "abcdef"]
        self.unanswered: list[UnansweredInvokeError] = []
        self._invokes: dict[str, InvokeAnswer] = {
            "aws:index/getAvailabilityZones:getAvailabilityZones": self._azs,
            "aws:index/getCallerIdentity:getCallerIdentity": lambda _a: {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
                "userId": "AIDAOFFLINE",
                "id": ACCOUNT_ID,
            },
            "aws:index/getRegion:getRegion": lambda _a: {
                "name": self.region,
                "region": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
                "description": self.region,
            },
            "aws:index/getPartition:getPartition": lambda _a: {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "id": "aws",
                "reverseDnsPrefix": "com.amazonaws",
            },
        }
        if invokes:
            self._invokes.update(invokes)

    # -- invokes ---------------------------------------------------------------------------
    def _azs(self, _args: dict[str, Any]) -> dict[str, Any]:
        suffix = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
        short = "".join(w[0] for w in self.region.split("-")[:-1]) + self.region.split("-")[-1]
        return {
            "names": list(self.availability_zones),
            "zoneIds": [f"{short}-az{suffix.get(z[-1], 9)}" for z in self.availability_zones],
            "id": self.region,
            "state": "available",
        }

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # pyright: ignore[reportIncompatibleMethodOverride]
        call_args: dict[str, Any] = dict(args.args)  # pyright: ignore[reportUnknownArgumentType]
        answer = self._invokes.get(args.token)
        if answer is None:
            err = UnansweredInvokeError(args.token, call_args)
            self.unanswered.append(err)
            raise err
        return answer(call_args)

    # -- resources -------------------------------------------------------------------------
    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        account = ACCOUNT_ID if service not in {"s3"} else ""
        return f"arn:aws:{service}:{region}:{account}:{resource}"

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        typ = args.typ
        inputs: dict[str, Any] = dict(args.inputs)  # pyright: ignore[reportUnknownArgumentType]
        h = _digest(typ, args.name)
        physical = str(inputs.get("name") or f"{args.name}-{h[:7]}")
        outputs: dict[str, Any] = dict(inputs)
        rid = f"{_ID_PREFIX[typ]}-{h}" if typ in _ID_PREFIX else f"{physical}"
        r = self.region

        if typ == "aws:ec2/vpc:Vpc":
            outputs.update(
                arn=self.arn("ec2", f"vpc/{rid}"),
                defaultSecurityGroupId=f"sg-{_digest(rid, 'default')}",
                defaultRouteTableId=f"rtb-{_digest(rid, 'main')}",
                mainRouteTableId=f"rtb-{_digest(rid, 'main')}",
                defaultNetworkAclId=f"acl-{_digest(rid, 'acl')}",
                ownerId=ACCOUNT_ID,
            )
        elif typ in _ID_PREFIX:
            kind = _ID_PREFIX[typ].split("-")[0]
            resource_kind = {
                "sg": "security-group",
                "igw": "internet-gateway",
                "nat": "natgateway",
                "eipalloc": "elastic-ip",
                "rtb": "route-table",
                "fl": "vpc-flow-log",
                "sgr": "security-group-rule",
            }.get(kind, kind)
            outputs["arn"] = self.arn("ec2", f"{resource_kind}/{rid}")
            if typ == "aws:ec2/eip:Eip":
                outputs.update(publicIp=f"203.0.113.{int(h[:2], 16) % 250 + 1}", allocationId=rid)
            if typ == "aws:ec2/securityGroup:SecurityGroup":
                outputs.setdefault("name", physical)
                outputs["ownerId"] = ACCOUNT_ID
            if typ.startswith("aws:vpc/securityGroup"):
                outputs["securityGroupRuleId"] = rid
        elif typ == "aws:elasticache/replicationGroup:ReplicationGroup":
            rid = str(inputs.get("replicationGroupId") or physical)
            host = f"master.{rid}.{h[:6]}.{_short_region(r)}.cache.amazonaws.com"
            outputs.update(
                arn=self.arn("elasticache", f"replicationgroup:{rid}"),
                primaryEndpointAddress=host,
                readerEndpointAddress=host.replace("master.", "replica.", 1),
                port=int(inputs.get("port", 6379)),
                memberClusters=[
                    f"{rid}-{i + 1:03d}" for i in range(int(inputs.get("numCacheClusters", 1) or 1))
                ],
                clusterEnabled=False,
            )
        elif typ == "aws:elasticache/parameterGroup:ParameterGroup":
            rid = physical
            outputs.update(arn=self.arn("elasticache", f"parametergroup:{rid}"), name=rid)
        elif typ == "aws:elasticache/subnetGroup:SubnetGroup":
            rid = physical
            outputs.update(arn=self.arn("elasticache", f"subnetgroup:{rid}"), name=rid)
        elif typ == "aws:rds/instance:Instance":
            rid = str(inputs.get("identifier") or physical)
            address = f"{rid}.c{h[:10]}.{r}.rds.amazonaws.com"
            port = int(inputs.get("port", 5432))
            outputs.update(
                arn=self.arn("rds", f"db:{rid}"),
                address=address,
                endpoint=f"{address}:{port}",
                port=port,
                identifier=rid,
                resourceId=f"db-{h.upper()[:26]}",
                hostedZoneId="Z2R2ITUGPM61AM",
            )
            if inputs.get("manageMasterUserPassword"):
                outputs["masterUserSecrets"] = [
                    {
                        "secretArn": self.arn("secretsmanager", f"secret:rds!{rid}-{h[:6]}"),
                        "secretStatus": "active",
                        "kmsKeyId": "alias/aws/secretsmanager",
                    }
                ]
        elif typ in ("aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup"):
            rid = physical
            kind = "subgrp" if "subnet" in typ else "pg"
            outputs.update(arn=self.arn("rds", f"{kind}:{rid}"), name=rid)
        elif typ == "aws:ecs/cluster:Cluster":
            outputs.update(arn=self.arn("ecs", f"cluster/{physical}"), name=physical)
            rid = outputs["arn"]
        elif typ == "aws:ecs/taskDefinition:TaskDefinition":
            family = str(inputs.get("family") or physical)
            outputs.update(arn=self.arn("ecs", f"task-definition/{family}:1"), revision=1)
            outputs["arnWithoutRevision"] = self.arn("ecs", f"task-definition/{family}")
            rid = family
        elif typ == "aws:ecs/service:Service":
            outputs.update(name=physical)
            rid = self.arn("ecs", f"service/{physical}")
        elif typ == "aws:ecr/repository:Repository":
            outputs.update(
                arn=self.arn("ecr", f"repository/{physical}"),
                name=physical,
                registryId=ACCOUNT_ID,
                repositoryUrl=f"{ACCOUNT_ID}.dkr.ecr.{r}.amazonaws.com/{physical}",
            )
            rid = physical
        elif typ == "aws:iam/role:Role":
            outputs.update(
                arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{physical}",
                name=physical,
                uniqueId=f"AROA{h.upper()}",
            )
            rid = physical
        elif typ == "aws:iam/policy:Policy":
            outputs.update(arn=f"arn:aws:iam::{ACCOUNT_ID}:policy/{physical}", name=physical)
            rid = outputs["arn"]
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            outputs.update(arn=self.arn("logs", f"log-group:{physical}"), name=physical)
            rid = physical
        elif typ == "aws:secretsmanager/secret:Secret":
            outputs.update(
                arn=self.arn("secretsmanager", f"secret:{physical}-{h[:6]}"), name=physical
            )
            rid = outputs["arn"]
        elif typ == "aws:secretsmanager/secretVersion:SecretVersion":
            outputs.update(versionId=f"{h[:8]}-{h[8:12]}-{h[12:16]}", arn=inputs.get("secretId"))
            rid = f"{inputs.get('secretId')}|{outputs['versionId']}"
        elif typ == "aws:lb/loadBalancer:LoadBalancer":
            lb_name = physical[:32]
            outputs.update(
                arn=self.arn("elasticloadbalancing", f"loadbalancer/app/{lb_name}/{h[:16]}"),
                arnSuffix=f"app/{lb_name}/{h[:16]}",
                dnsName=f"{lb_name}-{int(h[:8], 16)}.{r}.elb.amazonaws.com",
                zoneId="Z35SXDOTRQ7X7K",
                name=lb_name,
            )
            rid = outputs["arn"]
        elif typ == "aws:lb/targetGroup:TargetGroup":
            tg = physical[:32]
            outputs.update(
                arn=self.arn("elasticloadbalancing", f"targetgroup/{tg}/{h[:16]}"),
                arnSuffix=f"targetgroup/{tg}/{h[:16]}",
                name=tg,
            )
            rid = outputs["arn"]
        elif typ in ("aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule"):
            outputs["arn"] = self.arn("elasticloadbalancing", f"listener/app/lb/{h[:16]}/{h[:8]}")
            rid = outputs["arn"]
        elif typ == "aws:acm/certificate:Certificate":
            domain = str(inputs.get("domainName", "example.com"))
            names = [domain, *list(inputs.get("subjectAlternativeNames") or [])]
            outputs.update(
                arn=self.arn("acm", f"certificate/{h[:8]}-{h[8:12]}-{h[12:16]}"),
                status="ISSUED",
                domainValidationOptions=[
                    {
                        "domainName": n,
                        "resourceRecordName": f"_{_digest(n, length=12)}.{n.lstrip('*.')}.",
                        "resourceRecordType": "CNAME",
                        "resourceRecordValue": f"_{_digest(n, 'v', length=12)}.acm-validations.aws.",
                    }
                    for n in names
                ],
            )
            rid = outputs["arn"]
        elif typ == "aws:acm/certificateValidation:CertificateValidation":
            rid = str(inputs.get("certificateArn", physical))
        elif typ == "aws:route53/zone:Zone":
            rid = f"Z{h.upper()[:13]}"
            outputs.update(
                zoneId=rid,
                arn=f"arn:aws:route53:::hostedzone/{rid}",
                nameServers=[
                    f"ns-{int(h[i : i + 3], 16) % 2048}.awsdns-{i:02d}.{tld}"
                    for i, tld in ((0, "com"), (3, "net"), (6, "org"), (9, "co.uk"))
                ],
            )
        elif typ == "aws:route53/record:Record":
            rid = f"{inputs.get('zoneId')}_{inputs.get('name')}_{inputs.get('type')}"
            outputs["fqdn"] = inputs.get("name")
        elif typ.startswith("random:index/random"):
            result = _random_value(typ, args.name, inputs)
            outputs.update(result=result)
            if typ == "random:index/randomPassword:RandomPassword":
                outputs["bcryptHash"] = "$2a$10$" + _digest(result, length=53)
            rid = "none"
        elif typ.startswith("aws:appautoscaling/"):
            rid = f"service/{h[:12]}"
            outputs["arn"] = self.arn("application-autoscaling", f"scalable-target/{h[:20]}")
        elif typ.startswith("aws:s3/"):
            bucket = str(inputs.get("bucket") or physical)
            outputs.update(arn=f"arn:aws:s3:::{bucket}", bucket=bucket)
            rid = bucket
        elif typ.startswith("aws:kms/key:Key"):
            rid = f"{h[:8]}-{h[8:12]}-{h[12:16]}"
            outputs.update(arn=self.arn("kms", f"key/{rid}"), keyId=rid)
        elif args.custom:
            # Any other custom resource: an ARN-shaped id so references still look real.
            service = typ.split(":")[1].split("/")[0]
            outputs.setdefault("arn", self.arn(service, f"{physical}"))
            rid = physical
        else:
            rid = ""
        return rid, outputs


def _short_region(region: str) -> str:
    parts = region.split("-")
    return "".join(p[0] for p in parts[:-1]) + parts[-1]


def _random_value(typ: str, name: str, inputs: Mapping[str, Any]) -> str:
    """A deterministic stand-in for a random:index value, honouring length and charset."""
    length = int(inputs.get("length", 32) or 32)
    alphabet = ""
    for flag, letters in (
        ("upper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        ("lower", "abcdefghijklmnopqrstuvwxyz"),
        ("numeric", "0123456789"),
    ):
        if inputs.get(flag, True) is not False:  # the provider's default is True
            alphabet += letters
    if inputs.get("special"):
        alphabet += str(inputs.get("overrideSpecial") or "!#$%&*()-_=+[]{}<>:?")
    alphabet = alphabet or "0123456789"
    seed = hashlib.sha256(f"{typ}/{name}".encode()).digest()
    out: list[str] = []
    while len(out) < length:
        seed = hashlib.sha256(seed).digest()
        out.extend(alphabet[b % len(alphabet)] for b in seed)
    return "".join(out[:length])
