# The resource addresses of terraform-aws-modules/ecs//modules/cluster: aws_ecs_cluster.this[0],
# aws_cloudwatch_log_group.this[0] (ECS Exec logs, /aws/ecs/<name>) and
# aws_ecs_cluster_capacity_providers.this[0].

variable "name" { type = string }

resource "aws_cloudwatch_log_group" "this" {
  count             = 1
  name              = "/aws/ecs/${var.name}"
  retention_in_days = 90
}

resource "aws_ecs_cluster" "this" {
  count = 1
  name  = var.name

  configuration {
    execute_command_configuration {
      logging = "OVERRIDE"
      log_configuration {
        cloud_watch_log_group_name = aws_cloudwatch_log_group.this[0].name
      }
    }
  }

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  count              = 1
  cluster_name       = aws_ecs_cluster.this[0].name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

output "arn" { value = aws_ecs_cluster.this[0].arn }
output "name" { value = aws_ecs_cluster.this[0].name }
