# terraform-aws-modules/ecs//modules/container-definition: the container's log group
# (/aws/ecs/<service>/<container>) and its JSON definition.

variable "service" { type = string }
variable "name" { type = string }
variable "image" { type = string }
variable "port" { type = number }
variable "environment" {
  type    = list(object({ name = string, value = string }))
  default = []
}
variable "secrets" {
  type    = list(object({ name = string, valueFrom = string }))
  default = []
}
variable "region" { type = string }

resource "aws_cloudwatch_log_group" "this" {
  count             = 1
  name              = "/aws/ecs/${var.service}/${var.name}"
  retention_in_days = 14
}

output "definition" {
  value = {
    name        = var.name
    image       = var.image
    essential   = true
    environment = var.environment
    secrets     = var.secrets
    portMappings = [{
      name          = var.name
      containerPort = var.port
      hostPort      = var.port
      protocol      = "tcp"
    }]
    readonlyRootFilesystem = true
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this[0].name
        awslogs-region        = var.region
        awslogs-stream-prefix = "ecs"
      }
    }
  }
}
