// Proliferate's gateway behind a public load balancer, from TypeScript.
//
// The components come from the proliferate package (`pulumi package add ../../provider`),
// the cluster and the security group from @pulumi/aws. Inputs and outputs are camelCase;
// a bad value fails before anything is created, naming the Python field
// (e.g. "PublicLoadBalancerArgs.idle_timeout_seconds: invalid value 9000; ...").
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as proliferate from "@pulumi/proliferate";

const config = new pulumi.Config();
const gatewayImage = config.require("gatewayImage");
const gatewayPort = 8787;

const network = new proliferate.Network("network", {
    availabilityZoneCount: 2,
    natStrategy: "single",
});

// The gateway's security group exists first: the load balancer and Redis admit it.
const gatewaySecurityGroup = new aws.ec2.SecurityGroup("gateway-sg", {
    vpcId: network.vpcId,
    description: "gateway: from the load balancer only",
});

const cache = new proliferate.RedisCache("cache", {
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    allowedSecurityGroupIds: [gatewaySecurityGroup.id],
});

const secrets = new proliferate.SecretsBundle("secrets", {
    redisUrl: cache.redisUrl,
    strict: false,
});

const edge = new proliferate.PublicLoadBalancer("edge", {
    vpcId: network.vpcId,
    subnetIds: network.publicSubnetIds,
    routes: [
        {
            name: "gateway",
            port: gatewayPort,
            priority: 10,
            pathPrefix: "/gateway",
            targetSecurityGroupId: gatewaySecurityGroup.id,
        },
    ],
});

const cluster = new aws.ecs.Cluster("cluster", {
    settings: [{ name: "containerInsights", value: "enabled" }],
});

const gateway = new proliferate.FargateService("gateway", {
    clusterArn: cluster.arn,
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    securityGroupId: gatewaySecurityGroup.id,
    image: gatewayImage,
    createRepository: false,
    containerPort: gatewayPort,
    targetGroupArn: edge.targetGroupArns.apply((arns) => arns["gateway"]),
    secrets: {
        REDIS_URL: secrets.references.apply((refs) => refs["REDIS_URL"]),
    },
});

export const url = edge.urls.apply((urls) => urls["gateway"]);
export const logGroup = gateway.logGroupName;
