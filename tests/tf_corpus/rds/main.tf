# The platform in another author's hand-written layout: plain resources (no modules), other
# names and CIDRs, one NAT gateway per zone, an RDS PostgreSQL database, an encrypted Redis
# replication group, the web app behind the ALB with HTTPS, and secrets in SSM Parameter
# Store. Written for this corpus in the shape of the platform's own infra/terraform.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "certificate_arn" { type = string }

variable "db_password" {
  type      = string
  sensitive = true
  default   = "AcmeDbPassw0rdForTheCorpus"
}

variable "parameters" {
  type      = map(string)
  sensitive = true
  default = {
    ANTHROPIC_API_KEY           = "sk-ant-api03-acmeCorpusFakeKeyAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    LLM_PROXY_MASTER_KEY        = "sk-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    USER_SECRETS_ENCRYPTION_KEY = "4f1b2b0b822cd15d6c15b0f00a089f86d081884c7d659a2feaa0c55ad015a3bf"
    BETTER_AUTH_SECRET          = "Zx8Cv7Bn6Mq5Wr4Et3Yu2Io1Pa0Sd9Fg"
    GATEWAY_JWT_SECRET          = "Lk3Jh2Gf1Ds0Az9Qw8Er7Ty6Ui5Op4Mn"
  }
}

locals {
  azs = ["us-east-1a", "us-east-1b"]
  services = {
    worker    = { cpu = 1024, memory = 2048, port = 8080, health = "/health", alb = false, secrets = ["USER_SECRETS_ENCRYPTION_KEY", "BETTER_AUTH_SECRET", "ANTHROPIC_API_KEY"] }
    gateway   = { cpu = 512, memory = 1024, port = 8787, health = "/health", alb = true, secrets = ["USER_SECRETS_ENCRYPTION_KEY", "BETTER_AUTH_SECRET", "GATEWAY_JWT_SECRET"] }
    llm_proxy = { cpu = 1024, memory = 2048, port = 4000, health = "/health/liveliness", alb = true, secrets = ["ANTHROPIC_API_KEY", "LLM_PROXY_MASTER_KEY"] }
    web       = { cpu = 512, memory = 1024, port = 3000, health = "/api/health", alb = true, secrets = ["BETTER_AUTH_SECRET", "USER_SECRETS_ENCRYPTION_KEY"] }
  }
}

resource "aws_vpc" "acme" {
  cidr_block           = "172.16.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "acme-vpc" }
}

resource "aws_internet_gateway" "acme" {
  vpc_id = aws_vpc.acme.id
  tags   = { Name = "acme-igw" }
}

resource "aws_subnet" "public" {
  count                   = 2
  vpc_id                  = aws_vpc.acme.id
  cidr_block              = cidrsubnet("172.16.0.0/16", 4, count.index)
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = true
  tags                    = { Name = "acme-public-${local.azs[count.index]}" }
}

resource "aws_subnet" "app" {
  count             = 2
  vpc_id            = aws_vpc.acme.id
  cidr_block        = cidrsubnet("172.16.0.0/16", 4, count.index + 8)
  availability_zone = local.azs[count.index]
  tags              = { Name = "acme-app-${local.azs[count.index]}" }
}

resource "aws_eip" "nat" {
  count  = 2
  domain = "vpc"
  tags   = { Name = "acme-nat-${count.index}" }
}

resource "aws_nat_gateway" "nat" {
  count         = 2
  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id
  tags          = { Name = "acme-nat-${count.index}" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.acme.id
  tags   = { Name = "acme-public" }
}

resource "aws_route" "internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.acme.id
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "app" {
  count  = 2
  vpc_id = aws_vpc.acme.id
  tags   = { Name = "acme-app-${local.azs[count.index]}" }
}

resource "aws_route" "nat" {
  count                  = 2
  route_table_id         = aws_route_table.app[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.nat[count.index].id
}

resource "aws_route_table_association" "app" {
  count          = 2
  subnet_id      = aws_subnet.app[count.index].id
  route_table_id = aws_route_table.app[count.index].id
}

resource "aws_ecs_cluster" "acme" {
  name = "acme-platform"
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ssm_parameter" "secret" {
  for_each = nonsensitive(toset(keys(var.parameters)))
  name     = "/acme/platform/${each.key}"
  type     = "SecureString"
  value    = var.parameters[each.key]
}

resource "aws_iam_role" "execution" {
  name = "acme-ecs-execution"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "execution" {
  name = "acme-execution"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["ssm:GetParameters"], Resource = [for p in aws_ssm_parameter.secret : p.arn] },
      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents"], Resource = "*" },
    ]
  })
}

resource "aws_iam_role" "task" {
  for_each = local.services
  name     = "acme-${replace(each.key, "_", "-")}-task"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

resource "aws_ecr_repository" "app" {
  for_each             = local.services
  name                 = "acme/${replace(each.key, "_", "-")}"
  image_tag_mutability = "MUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_cloudwatch_log_group" "app" {
  for_each          = local.services
  name              = "/acme/platform/${replace(each.key, "_", "-")}"
  retention_in_days = 90
}

resource "aws_security_group" "alb" {
  name        = "acme-alb"
  description = "acme public load balancer"
  vpc_id      = aws_vpc.acme.id
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each          = { http = 80, https = 443 }
  security_group_id = aws_security_group.alb.id
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = "0.0.0.0/0"
  description       = each.key
}

resource "aws_security_group" "app" {
  for_each    = local.services
  name        = "acme-${replace(each.key, "_", "-")}"
  description = "acme ${replace(each.key, "_", "-")} tasks"
  vpc_id      = aws_vpc.acme.id
}

resource "aws_vpc_security_group_egress_rule" "app" {
  for_each          = local.services
  security_group_id = aws_security_group.app[each.key].id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  for_each                     = { for k, v in local.services : k => v if v.alb }
  security_group_id            = aws_security_group.app[each.key].id
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  for_each                     = { for k, v in local.services : k => v if v.alb }
  security_group_id            = aws_security_group.alb.id
  referenced_security_group_id = aws_security_group.app[each.key].id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_lb" "acme" {
  name               = "acme-platform"
  load_balancer_type = "application"
  security_groups    = [aws_security_group.alb.id]
  subnets            = aws_subnet.public[*].id
  idle_timeout       = 3600
}

resource "aws_lb_target_group" "app" {
  for_each    = { for k, v in local.services : k => v if v.alb }
  name        = "acme-${replace(each.key, "_", "-")}"
  port        = each.value.port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.acme.id
  health_check {
    path = each.value.health
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.acme.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.acme.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app["web"].arn
  }
}

resource "aws_lb_listener_rule" "route" {
  for_each     = { gateway = "/gateway", llm_proxy = "/llm-proxy" }
  listener_arn = aws_lb_listener.https.arn
  priority     = each.key == "gateway" ? 10 : 20
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app[each.key].arn
  }
  condition {
    path_pattern {
      values = ["${each.value}*"]
    }
  }
}

resource "aws_db_subnet_group" "acme" {
  name       = "acme-postgres"
  subnet_ids = aws_subnet.app[*].id
}

resource "aws_db_parameter_group" "acme" {
  name        = "acme-postgres15"
  family      = "postgres15"
  description = "acme postgres 15 (TLS only)"
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
}

resource "aws_security_group" "db" {
  name        = "acme-postgres"
  description = "acme PostgreSQL"
  vpc_id      = aws_vpc.acme.id
}

resource "aws_vpc_security_group_ingress_rule" "db" {
  for_each                     = local.services
  security_group_id            = aws_security_group.db.id
  referenced_security_group_id = aws_security_group.app[each.key].id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_db_instance" "acme" {
  identifier                = "acme-postgres"
  engine                    = "postgres"
  engine_version            = "15.7"
  instance_class            = "db.t4g.small"
  allocated_storage         = 20
  max_allocated_storage     = 100
  storage_type              = "gp3"
  storage_encrypted         = true
  db_name                   = "acme"
  username                  = "acme_admin"
  password                  = var.db_password
  db_subnet_group_name      = aws_db_subnet_group.acme.name
  parameter_group_name      = aws_db_parameter_group.acme.name
  vpc_security_group_ids    = [aws_security_group.db.id]
  backup_retention_period   = 7
  multi_az                  = false
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "acme-postgres-final"
}

resource "aws_elasticache_subnet_group" "acme" {
  name       = "acme-redis"
  subnet_ids = aws_subnet.app[*].id
}

resource "aws_security_group" "redis" {
  name        = "acme-redis"
  description = "acme Redis"
  vpc_id      = aws_vpc.acme.id
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  for_each                     = { for k, v in local.services : k => v if k != "llm_proxy" }
  security_group_id            = aws_security_group.redis.id
  referenced_security_group_id = aws_security_group.app[each.key].id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_elasticache_replication_group" "acme" {
  replication_group_id       = "acme-redis"
  description                = "acme BullMQ"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = "cache.t4g.small"
  num_cache_clusters         = 2
  parameter_group_name       = "default.redis7"
  subnet_group_name          = aws_elasticache_subnet_group.acme.name
  security_group_ids         = [aws_security_group.redis.id]
  automatic_failover_enabled = true
  multi_az_enabled           = true
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  snapshot_retention_limit   = 3
}

resource "aws_ecs_task_definition" "app" {
  for_each                 = local.services
  family                   = "acme-${replace(each.key, "_", "-")}"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task[each.key].arn
  container_definitions = jsonencode([{
    name         = replace(each.key, "_", "-")
    image        = "${aws_ecr_repository.app[each.key].repository_url}:2024.11.3"
    essential    = true
    portMappings = [{ containerPort = each.value.port, protocol = "tcp" }]
    environment = [
      { name = "DATABASE_URL", value = "postgresql://acme_admin:${var.db_password}@${aws_db_instance.acme.address}:5432/acme?sslmode=require" },
      { name = "REDIS_URL", value = "rediss://${aws_elasticache_replication_group.acme.primary_endpoint_address}:6379" },
    ]
    secrets = [for key in each.value.secrets : { name = key, valueFrom = aws_ssm_parameter.secret[key].arn }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app[each.key].name
        awslogs-region        = "us-east-1"
        awslogs-stream-prefix = replace(each.key, "_", "-")
      }
    }
  }])
}

resource "aws_ecs_service" "app" {
  for_each        = local.services
  name            = "acme-${replace(each.key, "_", "-")}"
  cluster         = aws_ecs_cluster.acme.id
  task_definition = aws_ecs_task_definition.app[each.key].arn
  desired_count   = 2
  launch_type     = "FARGATE"
  network_configuration {
    subnets         = aws_subnet.app[*].id
    security_groups = [aws_security_group.app[each.key].id]
  }
  dynamic "load_balancer" {
    for_each = each.value.alb ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.app[each.key].arn
      container_name   = replace(each.key, "_", "-")
      container_port   = each.value.port
    }
  }
}
