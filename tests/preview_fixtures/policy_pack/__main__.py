"""A stand-in CrossGuard pack for the offline preview tests.

- fixture-rds-deletion-protection (mandatory): an RDS instance sets deletionProtection.
- fixture-no-world-ssh (mandatory): no security group ingress on port 22 from anywhere but
  the allowed CIDR (configurable: allowedCidr).
- fixture-log-retention (advisory): a log group's retentionInDays >= minimumDays (default 90).
- fixture-data-protected (advisory, stack): RDS instances carry the protect option.
"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)


def rds_deletion_protection(args, report_violation):
    if args.resource_type == "aws:rds/instance:Instance" and not args.props.get(
        "deletionProtection"
    ):
        report_violation("deletionProtection is off: set deletion_protection=True on the instance.")


def no_world_ssh(args, report_violation):
    if args.resource_type != "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        return
    allowed = args.get_config().get("allowedCidr", "203.0.113.0/24")
    if (
        args.props.get("fromPort", 0) <= 22 <= args.props.get("toPort", 0)
        and args.props.get("cidrIpv4") != allowed
    ):
        report_violation(
            f"SSH is open to {args.props.get('cidrIpv4')}; only {allowed} may reach port 22."
        )


def log_retention(args, report_violation):
    if args.resource_type == "aws:cloudwatch/logGroup:LogGroup":
        minimum = args.get_config().get("minimumDays", 90)
        days = args.props.get("retentionInDays") or 0
        if days < minimum:
            report_violation(f"retentionInDays is {days:g}; set it to at least {minimum}.")


def data_protected(args, report_violation):
    for r in args.resources:
        if r.resource_type == "aws:rds/instance:Instance" and not r.opts.protect:
            report_violation(
                "data store is not protected: pass opts=ResourceOptions(protect=True).", r.urn
            )


PolicyPack(
    name="fixture-pack",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name="fixture-rds-deletion-protection",
            description="RDS instances set deletionProtection.",
            validate=rds_deletion_protection,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ResourceValidationPolicy(
            name="fixture-no-world-ssh",
            description="SSH only from the allowed CIDR.",
            validate=no_world_ssh,
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=PolicyConfigSchema(
                properties={"allowedCidr": {"type": "string", "default": "203.0.113.0/24"}}
            ),
        ),
        ResourceValidationPolicy(
            name="fixture-log-retention",
            description="Log groups keep logs long enough.",
            validate=log_retention,
            config_schema=PolicyConfigSchema(
                properties={"minimumDays": {"type": "integer", "default": 90}}
            ),
        ),
        StackValidationPolicy(
            name="fixture-data-protected",
            description="Data stores carry protect.",
            validate=data_protected,
        ),
    ],
)
