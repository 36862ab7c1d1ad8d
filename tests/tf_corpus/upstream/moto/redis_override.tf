# Workarounds for what moto 5 cannot do (see ../README.md); Terraform merges this override
# file into upstream's configuration, which stays as upstream wrote it.

# moto has no CreateCacheParameterGroup: the group is not applied here and is written into
# the state afterwards (state_only.json), with the attributes the provider stores.
resource "aws_elasticache_parameter_group" "bullmq" {
  count = 0
}

resource "aws_elasticache_cluster" "main" {
  parameter_group_name = "proliferate-redis-bullmq"
}

# moto returns a cache cluster without cache nodes, so cache_nodes[0].address does not exist:
# the worker's REDIS_URL and the output use the address AWS gives a node of that cluster.
resource "aws_ecs_task_definition" "worker" {
  container_definitions = jsonencode([{
    name  = "worker"
    image = "${aws_ecr_repository.worker.repository_url}:latest"

    environment = [
      { name = "REDIS_URL", value = "redis://proliferate-redis.x1y2z3.0001.use1.cache.amazonaws.com:6379" },
      { name = "NEXT_PUBLIC_APP_URL", value = var.app_url },
    ]

    secrets = [
      { name = "DATABASE_URL", valueFrom = "${aws_secretsmanager_secret.worker.arn}:DATABASE_URL::" },
      { name = "SERVICE_TO_SERVICE_AUTH_TOKEN", valueFrom = "${aws_secretsmanager_secret.worker.arn}:SERVICE_TO_SERVICE_AUTH_TOKEN::" },
      { name = "NANGO_SECRET_KEY", valueFrom = "${aws_secretsmanager_secret.worker.arn}:NANGO_SECRET_KEY::" },
    ]

    portMappings = [{ containerPort = 8080, protocol = "tcp" }]

    healthCheck = {
      command     = ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.worker.name
        "awslogs-region"        = var.aws_region
        "awslogs-stream-prefix" = "worker"
      }
    }
  }])
}

output "redis_endpoint" {
  value = "proliferate-redis.x1y2z3.0001.use1.cache.amazonaws.com"
}
