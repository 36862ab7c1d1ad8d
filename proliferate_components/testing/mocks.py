"""Offline answers for Pulumi's mock runtime: realistic, deterministic outputs.

`OfflineMocks` gives every registered resource the outputs AWS would return (ids with
the right prefix, ARNs, endpoints, DNS names) derived from a hash of the resource's
type and name, so the same program with the same config yields byte-identical outputs
(no churn between runs) and no network is ever touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
        """Outputs and id for one registration, from the handler for its resource family."""
        typ = args.typ
        inputs: dict[str, Any] = dict(args.inputs)  # pyright: ignore[reportUnknownArgumentType]
        h = _digest(typ, args.name)
        physical = str(inputs.get("name") or f"{args.name}-{h[:7]}")
        new = _New(
            typ=typ,
            name=args.name,
            inputs=inputs,
            h=h,
            physical=physical,
            outputs=dict(inputs),
            rid=f"{_ID_PREFIX[typ]}-{h}" if typ in _ID_PREFIX else physical,
        )
        rid = _handler(typ, custom=bool(args.custom))(self, new)
        return rid, new.outputs


@dataclass
class _New:
    """One registration being answered: what a resource family's handler reads and fills."""

    typ: str
    name: str
    inputs: dict[str, Any]
    h: str
    """The digest of the type and name every made-up id and address derives from."""
    physical: str
    """The ``name`` input, else the logical name with a hash suffix (as Pulumi auto-names)."""
    outputs: dict[str, Any]
    """The inputs, to which the handler adds what AWS would return."""
    rid: str
    """The default id: ``<prefix>-<hash>`` for the EC2 types of ``_ID_PREFIX``, else physical."""


_Handler = Callable[[OfflineMocks, _New], str]
"""Fills ``new.outputs`` for one resource family and returns the resource's id."""


def _vpc(m: OfflineMocks, new: _New) -> str:
    rid = new.rid
    new.outputs.update(
        arn=m.arn("ec2", f"vpc/{rid}"),
        defaultSecurityGroupId=f"sg-{_digest(rid, 'default')}",
        defaultRouteTableId=f"rtb-{_digest(rid, 'main')}",
        mainRouteTableId=f"rtb-{_digest(rid, 'main')}",
        defaultNetworkAclId=f"acl-{_digest(rid, 'acl')}",
        ownerId=ACCOUNT_ID,
    )
    return rid


def _vpc_default(m: OfflineMocks, new: _New) -> str:
    """A VPC's default network ACL or route table: taken over, so its id is the one given."""
    acl = new.typ == "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
    rid = str(
        new.inputs.get("defaultNetworkAclId" if acl else "defaultRouteTableId")
        or f"{'acl' if acl else 'rtb'}-{new.h}"
    )
    new.outputs.update(
        arn=m.arn("ec2", f"{'network-acl' if acl else 'route-table'}/{rid}"), ownerId=ACCOUNT_ID
    )
    return rid


_EC2_ARN_KIND = {
    "sg": "security-group",
    "igw": "internet-gateway",
    "nat": "natgateway",
    "eipalloc": "elastic-ip",
    "rtb": "route-table",
    "fl": "vpc-flow-log",
    "sgr": "security-group-rule",
}
"""Id prefix -> the resource kind in the ARN (the prefix itself when absent)."""


def _ec2(m: OfflineMocks, new: _New) -> str:
    typ, rid, outputs = new.typ, new.rid, new.outputs
    kind = _ID_PREFIX[typ].split("-")[0]
    outputs["arn"] = m.arn("ec2", f"{_EC2_ARN_KIND.get(kind, kind)}/{rid}")
    if typ == "aws:ec2/eip:Eip":
        outputs.update(publicIp=f"203.0.113.{int(new.h[:2], 16) % 250 + 1}", allocationId=rid)
    if typ == "aws:ec2/securityGroup:SecurityGroup":
        outputs.setdefault("name", new.physical)
        outputs["ownerId"] = ACCOUNT_ID
    if typ.startswith("aws:vpc/securityGroup"):
        outputs["securityGroupRuleId"] = rid
    return rid


def _replication_group(m: OfflineMocks, new: _New) -> str:
    inputs = new.inputs
    rid = str(inputs.get("replicationGroupId") or new.physical)
    host = f"master.{rid}.{new.h[:6]}.{_short_region(m.region)}.cache.amazonaws.com"
    new.outputs.update(
        arn=m.arn("elasticache", f"replicationgroup:{rid}"),
        primaryEndpointAddress=host,
        readerEndpointAddress=host.replace("master.", "replica.", 1),
        port=int(inputs.get("port", 6379)),
        memberClusters=[
            f"{rid}-{i + 1:03d}" for i in range(int(inputs.get("numCacheClusters", 1) or 1))
        ],
        clusterEnabled=False,
    )
    return rid


def _elasticache_group(m: OfflineMocks, new: _New) -> str:
    kind = "subnetgroup" if "subnetGroup" in new.typ else "parametergroup"
    new.outputs.update(arn=m.arn("elasticache", f"{kind}:{new.physical}"), name=new.physical)
    return new.physical


def _db_instance(m: OfflineMocks, new: _New) -> str:
    inputs, h = new.inputs, new.h
    rid = str(inputs.get("identifier") or new.physical)
    address = f"{rid}.c{h[:10]}.{m.region}.rds.amazonaws.com"
    port = int(inputs.get("port", 5432))
    new.outputs.update(
        arn=m.arn("rds", f"db:{rid}"),
        address=address,
        endpoint=f"{address}:{port}",
        port=port,
        identifier=rid,
        resourceId=f"db-{h.upper()[:26]}",
        hostedZoneId="Z2R2ITUGPM61AM",
    )
    if inputs.get("manageMasterUserPassword"):
        new.outputs["masterUserSecrets"] = [
            {
                "secretArn": m.arn("secretsmanager", f"secret:rds!{rid}-{h[:6]}"),
                "secretStatus": "active",
                "kmsKeyId": "alias/aws/secretsmanager",
            }
        ]
    return rid


def _rds_group(m: OfflineMocks, new: _New) -> str:
    kind = "subgrp" if "subnet" in new.typ else "pg"
    new.outputs.update(arn=m.arn("rds", f"{kind}:{new.physical}"), name=new.physical)
    return new.physical


def _ecs_cluster(m: OfflineMocks, new: _New) -> str:
    new.outputs.update(arn=m.arn("ecs", f"cluster/{new.physical}"), name=new.physical)
    return new.outputs["arn"]


def _task_definition(m: OfflineMocks, new: _New) -> str:
    family = str(new.inputs.get("family") or new.physical)
    new.outputs.update(arn=m.arn("ecs", f"task-definition/{family}:1"), revision=1)
    new.outputs["arnWithoutRevision"] = m.arn("ecs", f"task-definition/{family}")
    return family


def _ecs_service(m: OfflineMocks, new: _New) -> str:
    new.outputs.update(name=new.physical)
    return m.arn("ecs", f"service/{new.physical}")


def _ecr_repository(m: OfflineMocks, new: _New) -> str:
    physical = new.physical
    new.outputs.update(
        arn=m.arn("ecr", f"repository/{physical}"),
        name=physical,
        registryId=ACCOUNT_ID,
        repositoryUrl=f"{ACCOUNT_ID}.dkr.ecr.{m.region}.amazonaws.com/{physical}",
    )
    return physical


def _iam_role(_m: OfflineMocks, new: _New) -> str:
    new.outputs.update(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{new.physical}",
        name=new.physical,
        uniqueId=f"AROA{new.h.upper()}",
    )
    return new.physical


def _iam_policy(_m: OfflineMocks, new: _New) -> str:
    new.outputs.update(arn=f"arn:aws:iam::{ACCOUNT_ID}:policy/{new.physical}", name=new.physical)
    return new.outputs["arn"]


def _log_group(m: OfflineMocks, new: _New) -> str:
    new.outputs.update(arn=m.arn("logs", f"log-group:{new.physical}"), name=new.physical)
    return new.physical


def _secret(m: OfflineMocks, new: _New) -> str:
    new.outputs.update(
        arn=m.arn("secretsmanager", f"secret:{new.physical}-{new.h[:6]}"), name=new.physical
    )
    return new.outputs["arn"]


def _secret_version(_m: OfflineMocks, new: _New) -> str:
    h, secret_id = new.h, new.inputs.get("secretId")
    new.outputs.update(versionId=f"{h[:8]}-{h[8:12]}-{h[12:16]}", arn=secret_id)
    return f"{secret_id}|{new.outputs['versionId']}"


def _load_balancer(m: OfflineMocks, new: _New) -> str:
    lb_name, h = new.physical[:32], new.h
    new.outputs.update(
        arn=m.arn("elasticloadbalancing", f"loadbalancer/app/{lb_name}/{h[:16]}"),
        arnSuffix=f"app/{lb_name}/{h[:16]}",
        dnsName=f"{lb_name}-{int(h[:8], 16)}.{m.region}.elb.amazonaws.com",
        zoneId="Z35SXDOTRQ7X7K",
        name=lb_name,
    )
    return new.outputs["arn"]


def _target_group(m: OfflineMocks, new: _New) -> str:
    tg, h = new.physical[:32], new.h
    new.outputs.update(
        arn=m.arn("elasticloadbalancing", f"targetgroup/{tg}/{h[:16]}"),
        arnSuffix=f"targetgroup/{tg}/{h[:16]}",
        name=tg,
    )
    return new.outputs["arn"]


def _listener(m: OfflineMocks, new: _New) -> str:
    h = new.h
    new.outputs["arn"] = m.arn("elasticloadbalancing", f"listener/app/lb/{h[:16]}/{h[:8]}")
    return new.outputs["arn"]


def _certificate(m: OfflineMocks, new: _New) -> str:
    h = new.h
    domain = str(new.inputs.get("domainName", "example.com"))
    names = [domain, *list(new.inputs.get("subjectAlternativeNames") or [])]
    new.outputs.update(
        arn=m.arn("acm", f"certificate/{h[:8]}-{h[8:12]}-{h[12:16]}"),
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
    return new.outputs["arn"]


def _certificate_validation(_m: OfflineMocks, new: _New) -> str:
    return str(new.inputs.get("certificateArn", new.physical))


def _hosted_zone(_m: OfflineMocks, new: _New) -> str:
    h = new.h
    rid = f"Z{h.upper()[:13]}"
    new.outputs.update(
        zoneId=rid,
        arn=f"arn:aws:route53:::hostedzone/{rid}",
        nameServers=[
            f"ns-{int(h[i : i + 3], 16) % 2048}.awsdns-{i:02d}.{tld}"
            for i, tld in ((0, "com"), (3, "net"), (6, "org"), (9, "co.uk"))
        ],
    )
    return rid


def _dns_record(_m: OfflineMocks, new: _New) -> str:
    inputs = new.inputs
    new.outputs["fqdn"] = inputs.get("name")
    return f"{inputs.get('zoneId')}_{inputs.get('name')}_{inputs.get('type')}"


def _random(_m: OfflineMocks, new: _New) -> str:
    result = _random_value(new.typ, new.name, new.inputs)
    new.outputs.update(result=result)
    if new.typ == "random:index/randomPassword:RandomPassword":
        new.outputs["bcryptHash"] = "$2a$10$" + _digest(result, length=53)
    return "none"


def _scaling(m: OfflineMocks, new: _New) -> str:
    new.outputs["arn"] = m.arn("application-autoscaling", f"scalable-target/{new.h[:20]}")
    return f"service/{new.h[:12]}"


def _s3(_m: OfflineMocks, new: _New) -> str:
    bucket = str(new.inputs.get("bucket") or new.physical)
    new.outputs.update(arn=f"arn:aws:s3:::{bucket}", bucket=bucket)
    return bucket


def _kms_key(m: OfflineMocks, new: _New) -> str:
    h = new.h
    rid = f"{h[:8]}-{h[8:12]}-{h[12:16]}"
    new.outputs.update(arn=m.arn("kms", f"key/{rid}"), keyId=rid)
    return rid


def _other_custom(m: OfflineMocks, new: _New) -> str:
    """Any other custom resource: an ARN-shaped id so references still look real."""
    service = new.typ.split(":")[1].split("/")[0]
    new.outputs.setdefault("arn", m.arn(service, f"{new.physical}"))
    return new.physical


def _component(_m: OfflineMocks, _new: _New) -> str:
    """A component resource: no id."""
    return ""


_BY_TYPE: dict[str, _Handler] = {
    **dict.fromkeys(_ID_PREFIX, _ec2),
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": _vpc_default,
    "aws:ec2/defaultRouteTable:DefaultRouteTable": _vpc_default,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:elasticache/parameterGroup:ParameterGroup": _elasticache_group,
    "aws:elasticache/subnetGroup:SubnetGroup": _elasticache_group,
    "aws:rds/instance:Instance": _db_instance,
    "aws:rds/subnetGroup:SubnetGroup": _rds_group,
    "aws:rds/parameterGroup:ParameterGroup": _rds_group,
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/service:Service": _ecs_service,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/policy:Policy": _iam_policy,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:lb/listenerRule:ListenerRule": _listener,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": _certificate_validation,
    "aws:route53/zone:Zone": _hosted_zone,
    "aws:route53/record:Record": _dns_record,
}
"""Type token -> the handler of its family (the token is matched exactly)."""

_BY_PREFIX: tuple[tuple[str, _Handler], ...] = (
    ("random:index/random", _random),
    ("aws:appautoscaling/", _scaling),
    ("aws:s3/", _s3),
    ("aws:kms/key:Key", _kms_key),
)
"""Token prefix -> handler, for the families not in ``_BY_TYPE`` (first match wins)."""


def _handler(typ: str, *, custom: bool) -> _Handler:
    """The handler for a type token: exact, then by prefix, then any custom or component."""
    found = _BY_TYPE.get(typ)
    if found is not None:
        return found
    for prefix, handler in _BY_PREFIX:
        if typ.startswith(prefix):
            return handler
    return _other_custom if custom else _component


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
