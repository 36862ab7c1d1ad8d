# The resource addresses of terraform-aws-modules/ecs//modules/service: aws_ecs_service.this[0],
# aws_ecs_task_definition.this[0], aws_iam_role.task_exec[0] + aws_iam_policy.task_exec[0] +
# aws_iam_role_policy_attachment.task_exec[0], aws_iam_role.tasks[0],
# aws_security_group.this[0] with aws_vpc_security_group_{ingress,egress}_rule.this[key], and
# module.container_definition[<container>] (log group). Names use name_prefix as the module
# does by default. Autoscaling is off here (enable_autoscaling = false).

variable "name" { type = string }
variable "cluster_arn" { type = string }
variable "container_name" { type = string }
variable "cpu" { type = number }
variable "memory" { type = number }
variable "image" { type = string }
variable "container_port" { type = number }
variable "environment" {
  type    = list(object({ name = string, value = string }))
  default = []
}
variable "secrets" {
  type    = list(object({ name = string, valueFrom = string }))
  default = []
}
variable "secret_arns" {
  type    = list(string)
  default = []
}
variable "vpc_id" { type = string }
variable "subnet_ids" { type = list(string) }
variable "ingress_security_group_id" {
  type    = string
  default = null
}
variable "behind_load_balancer" {
  type    = bool
  default = false
}
variable "target_group_arn" {
  type    = string
  default = null
}
variable "desired_count" {
  type    = number
  default = 1
}
variable "region" { type = string }

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

module "container_definition" {
  source      = "./container-definition"
  for_each    = toset([var.container_name])
  service     = var.name
  name        = each.key
  image       = var.image
  port        = var.container_port
  environment = var.environment
  secrets     = var.secrets
  region      = var.region
}

resource "aws_iam_role" "task_exec" {
  count              = 1
  name_prefix        = "${var.name}-"
  description        = "Task execution role for ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "task_exec" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["*"]
  }
  statement {
    sid       = "ECR"
    actions   = ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = ["*"]
  }
  dynamic "statement" {
    for_each = length(var.secret_arns) > 0 ? [1] : []
    content {
      sid       = "Secrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = var.secret_arns
    }
  }
}

resource "aws_iam_policy" "task_exec" {
  count       = 1
  name_prefix = "${var.name}-task-exec-"
  description = "Task execution role IAM policy"
  policy      = data.aws_iam_policy_document.task_exec.json
}

resource "aws_iam_role_policy_attachment" "task_exec" {
  count      = 1
  role       = aws_iam_role.task_exec[0].name
  policy_arn = aws_iam_policy.task_exec[0].arn
}

resource "aws_iam_role" "tasks" {
  count              = 1
  name_prefix        = "${var.name}-tasks-"
  description        = "Tasks role for ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_ecs_task_definition" "this" {
  count                    = 1
  family                   = var.name
  cpu                      = var.cpu
  memory                   = var.memory
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  execution_role_arn       = aws_iam_role.task_exec[0].arn
  task_role_arn            = aws_iam_role.tasks[0].arn
  container_definitions    = jsonencode([for c in module.container_definition : c.definition])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
}

resource "aws_security_group" "this" {
  count       = 1
  name_prefix = "${var.name}-"
  description = "Security group for service ${var.name}"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each                     = var.behind_load_balancer ? { alb = var.ingress_security_group_id } : {}
  security_group_id            = aws_security_group.this[0].id
  description                  = "Service port"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each          = { all = "0.0.0.0/0" }
  security_group_id = aws_security_group.this[0].id
  ip_protocol       = "-1"
  cidr_ipv4         = each.value
}

resource "aws_ecs_service" "this" {
  count           = 1
  name            = var.name
  cluster         = var.cluster_arn
  task_definition = aws_ecs_task_definition.this[0].arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.this[0].id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = var.behind_load_balancer ? [var.target_group_arn] : []
    content {
      target_group_arn = load_balancer.value
      container_name   = var.container_name
      container_port   = var.container_port
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}

output "security_group_id" { value = aws_security_group.this[0].id }
