# The platform's infrastructure before its services are deployed, in another author's
# layout: other CIDRs (192.168.0.0/16, three zones), other names ("dmz"/"internal" subnets),
# no ECS services or task definitions yet (the repositories, log groups, roles and security
# groups the services will use exist), rules as aws_security_group_rule resources, and an
# encrypted Redis replication group. Written for this corpus; it mirrors the hand-written
# state of issue 13 (2 of 26 adopted before).

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
  zones    = ["us-east-1a", "us-east-1b", "us-east-1c"]
  services = ["worker", "llm-proxy", "gateway"]
  ports    = { worker = 8080, llm-proxy = 4000, gateway = 8787 }
}

resource "aws_vpc" "core" {
  cidr_block           = "192.168.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "core" }
}

resource "aws_internet_gateway" "core" {
  vpc_id = aws_vpc.core.id
}

resource "aws_subnet" "dmz" {
  count             = 3
  vpc_id            = aws_vpc.core.id
  cidr_block        = "192.168.${count.index * 16}.0/20"
  availability_zone = local.zones[count.index]
  tags              = { Name = "dmz-${count.index}", Tier = "public" }
}

resource "aws_subnet" "internal" {
  count             = 3
  vpc_id            = aws_vpc.core.id
  cidr_block        = "192.168.${128 + count.index * 16}.0/20"
  availability_zone = local.zones[count.index]
  tags              = { Name = "internal-${count.index}", Tier = "private" }
}

resource "aws_eip" "egress" {
  domain = "vpc"
}

resource "aws_nat_gateway" "egress" {
  allocation_id = aws_eip.egress.id
  subnet_id     = aws_subnet.dmz[0].id
}

resource "aws_route_table" "dmz" {
  vpc_id = aws_vpc.core.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.core.id
  }
}

resource "aws_route_table" "internal" {
  vpc_id = aws_vpc.core.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.egress.id
  }
}

resource "aws_route_table_association" "dmz" {
  count          = 3
  subnet_id      = aws_subnet.dmz[count.index].id
  route_table_id = aws_route_table.dmz.id
}

resource "aws_route_table_association" "internal" {
  count          = 3
  subnet_id      = aws_subnet.internal[count.index].id
  route_table_id = aws_route_table.internal.id
}

resource "aws_ecs_cluster" "apps" {
  name = "apps"
}

resource "aws_ecr_repository" "images" {
  count                = length(local.services)
  name                 = "images/${local.services[count.index]}"
  image_tag_mutability = "MUTABLE"
}

resource "aws_cloudwatch_log_group" "apps" {
  count             = length(local.services)
  name              = "/apps/${local.services[count.index]}"
  retention_in_days = 14
}

resource "aws_iam_role" "exec" {
  name = "apps-task-exec"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "exec" {
  role       = aws_iam_role.exec.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_security_group" "svc" {
  count       = length(local.services)
  name        = "svc-${local.services[count.index]}"
  description = "${local.services[count.index]} tasks"
  vpc_id      = aws_vpc.core.id
}

resource "aws_security_group" "lb" {
  name        = "public-lb"
  description = "public load balancer"
  vpc_id      = aws_vpc.core.id
}

resource "aws_security_group_rule" "lb_http" {
  type              = "ingress"
  security_group_id = aws_security_group.lb.id
  protocol          = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "svc_from_lb" {
  count                    = 2
  type                     = "ingress"
  security_group_id        = aws_security_group.svc[count.index + 1].id
  source_security_group_id = aws_security_group.lb.id
  protocol                 = "tcp"
  from_port                = local.ports[local.services[count.index + 1]]
  to_port                  = local.ports[local.services[count.index + 1]]
}

resource "aws_security_group_rule" "svc_egress" {
  count             = length(local.services)
  type              = "egress"
  security_group_id = aws_security_group.svc[count.index].id
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_lb" "public" {
  name               = "public"
  load_balancer_type = "application"
  security_groups    = [aws_security_group.lb.id]
  subnets            = aws_subnet.dmz[*].id
}

resource "aws_lb_target_group" "svc" {
  count       = 2
  name        = "tg-${local.services[count.index + 1]}"
  port        = local.ports[local.services[count.index + 1]]
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.core.id
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.public.arn
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

resource "aws_security_group" "cache" {
  name        = "cache"
  description = "queue store"
  vpc_id      = aws_vpc.core.id
}

resource "aws_security_group_rule" "cache_from_worker" {
  type                     = "ingress"
  security_group_id        = aws_security_group.cache.id
  source_security_group_id = aws_security_group.svc[0].id
  protocol                 = "tcp"
  from_port                = 6379
  to_port                  = 6379
}

resource "aws_security_group_rule" "cache_from_gateway" {
  type                     = "ingress"
  security_group_id        = aws_security_group.cache.id
  source_security_group_id = aws_security_group.svc[2].id
  protocol                 = "tcp"
  from_port                = 6379
  to_port                  = 6379
}

resource "aws_elasticache_subnet_group" "queue" {
  name       = "queue"
  subnet_ids = aws_subnet.internal[*].id
}

resource "aws_elasticache_parameter_group" "queue" {
  count  = var.create_parameter_group ? 1 : 0
  name   = "queue-noeviction"
  family = "redis7"
  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }
}

resource "aws_elasticache_replication_group" "queue" {
  replication_group_id       = "queue"
  description                = "job queue"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = "cache.t4g.micro"
  num_cache_clusters         = 2
  parameter_group_name       = "queue-noeviction"
  subnet_group_name          = aws_elasticache_subnet_group.queue.name
  security_group_ids         = [aws_security_group.cache.id]
  automatic_failover_enabled = true
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  snapshot_retention_limit   = 1
  depends_on                 = [aws_elasticache_parameter_group.queue]
}
