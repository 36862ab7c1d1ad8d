"""Resource types AWS does not bill, each with the reason it is free.

A type listed here is reported as free with its reason, never silently as $0; a type neither
here nor priced by a rule is reported as "not priced" with its count.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["FREE_PACKAGES", "FREE_TYPES", "free_reason"]

_NETWORK = "VPC networking objects have no charge"
_SECURITY_GROUP = "security groups and their rules have no charge"
_IAM = "IAM has no charge"
_LISTENER = "billed through its load balancer's hours and capacity units"
_S3_CONFIG = "bucket configuration has no charge (storage and requests are priced on the bucket)"
_DB_GROUP = "parameter, subnet and option groups have no charge"

FREE_TYPES: Mapping[str, str] = {
    # VPC
    "aws:ec2/vpc:Vpc": "a VPC has no charge",
    "aws:ec2/subnet:Subnet": _NETWORK,
    "aws:ec2/routeTable:RouteTable": _NETWORK,
    "aws:ec2/route:Route": _NETWORK,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _NETWORK,
    "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation": _NETWORK,
    "aws:ec2/defaultRouteTable:DefaultRouteTable": _NETWORK,
    "aws:ec2/internetGateway:InternetGateway": "an internet gateway has no charge (data out is billed per GB, not estimated)",
    "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment": _NETWORK,
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": _NETWORK,
    "aws:ec2/vpcDhcpOptions:VpcDhcpOptions": _NETWORK,
    "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation": _NETWORK,
    "aws:ec2/networkAcl:NetworkAcl": _NETWORK,
    "aws:ec2/networkAclRule:NetworkAclRule": _NETWORK,
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": _NETWORK,
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": _NETWORK,
    "aws:ec2/defaultVpc:DefaultVpc": _NETWORK,
    "aws:ec2/defaultSubnet:DefaultSubnet": _NETWORK,
    "aws:ec2/eipAssociation:EipAssociation": "the address is priced on its Elastic IP",
    "aws:ec2/flowLog:FlowLog": "billed as ingestion and storage at its destination (its log group is priced)",
    "aws:ec2/securityGroup:SecurityGroup": _SECURITY_GROUP,
    "aws:ec2/securityGroupRule:SecurityGroupRule": _SECURITY_GROUP,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _SECURITY_GROUP,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _SECURITY_GROUP,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _SECURITY_GROUP,
    # IAM
    "aws:iam/role:Role": _IAM,
    "aws:iam/policy:Policy": _IAM,
    "aws:iam/rolePolicy:RolePolicy": _IAM,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _IAM,
    "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive": _IAM,
    "aws:iam/instanceProfile:InstanceProfile": _IAM,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _IAM,
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": _IAM,
    "aws:iam/user:User": _IAM,
    "aws:iam/userPolicy:UserPolicy": _IAM,
    "aws:iam/group:Group": _IAM,
    # ECS, ECR, autoscaling
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "capacity provider settings have no charge",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "a lifecycle policy has no charge (it lowers storage)",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "a repository policy has no charge",
    "aws:appautoscaling/target:Target": "Application Auto Scaling has no charge (the tasks it adds are priced on the service)",
    "awsx:ecr:Image": "a build-and-push step; its image is stored (and priced) in its ECR repository",
    # load balancing
    "aws:lb/listener:Listener": _LISTENER,
    "aws:lb/listenerRule:ListenerRule": _LISTENER,
    "aws:lb/targetGroup:TargetGroup": _LISTENER,
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": _LISTENER,
    "aws:lb/listenerCertificate:ListenerCertificate": _LISTENER,
    "aws:alb/listener:Listener": _LISTENER,
    "aws:alb/listenerRule:ListenerRule": _LISTENER,
    "aws:alb/targetGroup:TargetGroup": _LISTENER,
    # DNS and certificates
    "aws:acm/certificate:Certificate": "public ACM certificates have no charge",
    "aws:acm/certificateValidation:CertificateValidation": "certificate validation has no charge",
    "aws:route53/record:Record": "records have no charge (queries are priced on the zone; alias queries to AWS resources are free)",
    # data stores
    "aws:elasticache/parameterGroup:ParameterGroup": _DB_GROUP,
    "aws:elasticache/subnetGroup:SubnetGroup": _DB_GROUP,
    "aws:elasticache/user:User": "ElastiCache users have no charge",
    "aws:elasticache/userGroup:UserGroup": "ElastiCache user groups have no charge",
    "aws:rds/parameterGroup:ParameterGroup": _DB_GROUP,
    "aws:rds/subnetGroup:SubnetGroup": _DB_GROUP,
    "aws:rds/optionGroup:OptionGroup": _DB_GROUP,
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": _DB_GROUP,
    # secrets and keys
    "aws:secretsmanager/secretVersion:SecretVersion": "billed per secret, not per version",
    "aws:secretsmanager/secretRotation:SecretRotation": "rotation has no charge (the rotation function is billed separately)",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "a resource policy has no charge",
    "aws:kms/alias:Alias": "an alias has no charge",
    "aws:kms/keyPolicy:KeyPolicy": "a key policy has no charge",
    "aws:kms/grant:Grant": "a grant has no charge",
    # notifications
    "aws:sns/topic:Topic": "a topic has no charge of its own (publishes and deliveries are billed per million, not estimated)",
    "aws:sns/topicSubscription:TopicSubscription": "a subscription has no charge of its own",
    "aws:sns/topicPolicy:TopicPolicy": "a topic policy has no charge",
    # logs
    "aws:cloudwatch/logStream:LogStream": "billed through its log group's ingestion and storage",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "a resource policy has no charge",
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": "billed at its destination",
    # S3 bucket configuration
    **{
        f"aws:s3/{name[0].lower()}{name[1:]}:{name}": _S3_CONFIG
        for name in (
            "BucketPolicy",
            "BucketPublicAccessBlock",
            "BucketOwnershipControls",
            "BucketAcl",
            "BucketAclV2",
            "BucketVersioning",
            "BucketVersioningV2",
            "BucketServerSideEncryptionConfiguration",
            "BucketServerSideEncryptionConfigurationV2",
            "BucketLifecycleConfiguration",
            "BucketLifecycleConfigurationV2",
            "BucketLogging",
            "BucketLoggingV2",
            "BucketNotification",
            "BucketCorsConfiguration",
            "BucketCorsConfigurationV2",
            "BucketObjectLockConfiguration",
            "BucketObjectLockConfigurationV2",
        )
    },
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": "account settings have no charge",
}
"""AWS (and awsx) resource types with no charge of their own -> why."""

FREE_PACKAGES: Mapping[str, str] = {
    "random": "computed by the random provider, not a cloud resource",
    "tls": "computed by the tls provider, not a cloud resource",
    "time": "computed by the time provider, not a cloud resource",
    "null": "not a cloud resource",
    "command": "runs a command, not a cloud resource",
    "pulumi": "part of Pulumi (providers, stack references), not a cloud resource",
}
"""Packages (the type token's first segment) whose resources are never billed by AWS."""


def free_reason(resource_type: str) -> str | None:
    """Why ``resource_type`` is free, or ``None`` when it is not known to be."""
    if resource_type in FREE_TYPES:
        return FREE_TYPES[resource_type]
    package = resource_type.split(":", 1)[0]
    return FREE_PACKAGES.get(package)
