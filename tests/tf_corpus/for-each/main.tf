# The platform written with for_each everywhere (subnets, NAT gateways and route tables keyed
# by zone, services keyed by name), sharing its VPC, cluster and load balancer with two other
# applications of the same team: a billing API (with its own bucket) and an analytics worker
# whose name looks like the platform's worker. Written for this corpus.

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

variable "create_parameter_group" {
  type    = bool
  default = true
}

locals {
  zones = {
    "us-east-1a" = { public = "10.50.0.0/22", private = "10.50.16.0/20" }
    "us-east-1b" = { public = "10.50.4.0/22", private = "10.50.32.0/20" }
  }
  services = {
    "worker"    = { port = 8080, cpu = 256, memory = 512, routed = false, path = null }
    "llm-proxy" = { port = 4000, cpu = 512, memory = 1024, routed = true, path = "/llm-proxy" }
    "gateway"   = { port = 8787, cpu = 256, memory = 512, routed = true, path = "/gateway" }
  }
  routed = { for k, v in local.services : k => v if v.routed }
  others = {
    "billing-api"      = { port = 9000, routed = true }
    "analytics-worker" = { port = 9100, routed = false }
  }
}

resource "aws_vpc" "this" {
  cidr_block           = "10.50.0.0/16"
  enable_dns_hostnames = true
  tags                 = { Name = "pf" }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_subnet" "public" {
  for_each          = local.zones
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value.public
  availability_zone = each.key
  tags              = { Name = "pf-public-${each.key}" }
}

resource "aws_subnet" "private" {
  for_each          = local.zones
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value.private
  availability_zone = each.key
  tags              = { Name = "pf-private-${each.key}" }
}

resource "aws_eip" "nat" {
  for_each = local.zones
  domain   = "vpc"
}

resource "aws_nat_gateway" "this" {
  for_each      = local.zones
  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
}

resource "aws_route" "public" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each       = local.zones
  subnet_id      = aws_subnet.public[each.key].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  for_each = local.zones
  vpc_id   = aws_vpc.this.id
}

resource "aws_route" "private" {
  for_each               = local.zones
  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[each.key].id
}

resource "aws_route_table_association" "private" {
  for_each       = local.zones
  subnet_id      = aws_subnet.private[each.key].id
  route_table_id = aws_route_table.private[each.key].id
}

resource "aws_ecs_cluster" "shared" {
  name = "pf-shared"
}

resource "aws_iam_role" "execution" {
  name = "pf-execution"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role" "task" {
  for_each = merge(local.services, local.others)
  name     = "pf-${each.key}-task"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

resource "aws_ecr_repository" "this" {
  for_each             = merge(local.services, local.others)
  name                 = each.key
  image_tag_mutability = "MUTABLE"
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each   = local.services
  repository = aws_ecr_repository.this[each.key].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "expire untagged"
      selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
      action       = { type = "expire" }
    }]
  })
}

resource "aws_cloudwatch_log_group" "this" {
  for_each          = merge(local.services, local.others)
  name              = "/ecs/pf/${each.key}"
  retention_in_days = 30
}

resource "aws_security_group" "lb" {
  name        = "pf-lb"
  description = "shared load balancer"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "lb_http" {
  security_group_id = aws_security_group.lb.id
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "service" {
  for_each    = merge(local.services, local.others)
  name        = "pf-${each.key}"
  description = "${each.key} tasks"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_egress_rule" "service" {
  for_each          = merge(local.services, local.others)
  security_group_id = aws_security_group.service[each.key].id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "from_lb" {
  for_each                     = merge(local.routed, { for k, v in local.others : k => v if v.routed })
  security_group_id            = aws_security_group.service[each.key].id
  referenced_security_group_id = aws_security_group.lb.id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "lb_to" {
  for_each                     = merge(local.routed, { for k, v in local.others : k => v if v.routed })
  security_group_id            = aws_security_group.lb.id
  referenced_security_group_id = aws_security_group.service[each.key].id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_lb" "shared" {
  name               = "pf-shared"
  load_balancer_type = "application"
  security_groups    = [aws_security_group.lb.id]
  subnets            = [for s in aws_subnet.public : s.id]
}

resource "aws_lb_target_group" "this" {
  for_each    = merge(local.routed, { for k, v in local.others : k => v if v.routed })
  name        = "pf-${each.key}"
  port        = each.value.port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.this.id
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.shared.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener_rule" "this" {
  for_each     = { "llm-proxy" = 10, "gateway" = 20, "billing-api" = 30 }
  listener_arn = aws_lb_listener.http.arn
  priority     = each.value
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }
  condition {
    path_pattern {
      values = ["/${each.key}*"]
    }
  }
}

resource "aws_elasticache_subnet_group" "queue" {
  name       = "pf-queue"
  subnet_ids = [for s in aws_subnet.private : s.id]
}

resource "aws_elasticache_parameter_group" "queue" {
  count  = var.create_parameter_group ? 1 : 0
  name   = "pf-queue"
  family = "valkey8"
  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }
}

resource "aws_security_group" "queue" {
  name        = "pf-queue"
  description = "queue"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "queue" {
  for_each                     = toset(["worker", "gateway"])
  security_group_id            = aws_security_group.queue.id
  referenced_security_group_id = aws_security_group.service[each.key].id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_elasticache_replication_group" "queue" {
  replication_group_id       = "pf-queue"
  description                = "pf queue"
  engine                     = "valkey"
  engine_version             = "8.0"
  node_type                  = "cache.t4g.micro"
  num_cache_clusters         = 1
  parameter_group_name       = "pf-queue"
  subnet_group_name          = aws_elasticache_subnet_group.queue.name
  security_group_ids         = [aws_security_group.queue.id]
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  snapshot_retention_limit   = 5
  depends_on                 = [aws_elasticache_parameter_group.queue]
}

resource "aws_ecs_task_definition" "this" {
  for_each                 = merge(local.services, { for k, v in local.others : k => merge(v, { cpu = 256, memory = 512 }) })
  family                   = "pf-${each.key}"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task[each.key].arn
  container_definitions = jsonencode([{
    name         = each.key
    image        = "${aws_ecr_repository.this[each.key].repository_url}:main"
    essential    = true
    portMappings = [{ containerPort = each.value.port }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this[each.key].name
        awslogs-region        = "us-east-1"
        awslogs-stream-prefix = each.key
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  for_each        = merge(local.services, local.others)
  name            = "pf-${each.key}"
  cluster         = aws_ecs_cluster.shared.arn
  task_definition = aws_ecs_task_definition.this[each.key].arn
  desired_count   = 1
  launch_type     = "FARGATE"
  network_configuration {
    subnets         = [for s in aws_subnet.private : s.id]
    security_groups = [aws_security_group.service[each.key].id]
  }
  dynamic "load_balancer" {
    for_each = lookup(merge(local.routed, { for k, v in local.others : k => v if v.routed }), each.key, null) == null ? [] : [1]
    content {
      target_group_arn = aws_lb_target_group.this[each.key].arn
      container_name   = each.key
      container_port   = merge(local.services, local.others)[each.key].port
    }
  }
}

resource "aws_s3_bucket" "billing_reports" {
  bucket = "pf-billing-reports"
}
