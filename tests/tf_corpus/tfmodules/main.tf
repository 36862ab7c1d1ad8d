# The platform laid out with terraform-aws-modules-style modules (vpc, ecs cluster and
# service, alb, ecr, elasticache, rds), three zones, another CIDR and other names than
# upstream's infra/terraform. The modules under ./modules keep the registry modules' resource
# addresses and defaults (see README.md); secrets live in Secrets Manager with their values
# in the state, as they do when Terraform writes them.

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
  default_tags {
    tags = { Project = "platform", ManagedBy = "terraform" }
  }
}

variable "secret_values" {
  type      = map(string)
  sensitive = true
  default = {
    DATABASE_URL                  = "postgresql://proliferate:Sup3rS3cretDbPassw0rd@platform-postgres.internal:5432/proliferate?sslmode=require"
    ANTHROPIC_API_KEY             = "sk-ant-api03-corpusFakeKeyNotRealAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    LITELLM_MASTER_KEY            = "sk-6f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c"
    SERVICE_TO_SERVICE_AUTH_TOKEN = "Xk29fLq0ZpW8vT7sR6uY5eI4oP3aS2dF"
    USER_SECRETS_ENCRYPTION_KEY   = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    BETTER_AUTH_SECRET            = "q8Rz2Lk5Wm9Pn3Xv7Bt1Yc6Hd4Jf0Gs8"
  }
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = "Sup3rS3cretDbPassw0rd"
}

locals {
  name     = "platform"
  azs      = ["us-east-1a", "us-east-1b", "us-east-1c"]
  services = {
    worker    = { cpu = 512, memory = 1024, port = 8080, behind_alb = false }
    llm-proxy = { cpu = 1024, memory = 2048, port = 4000, behind_alb = true }
    gateway   = { cpu = 512, memory = 1024, port = 8787, behind_alb = true }
  }
}

module "vpc" {
  source          = "./modules/vpc"
  name            = local.name
  cidr            = "10.20.0.0/16"
  azs             = local.azs
  public_subnets  = ["10.20.101.0/24", "10.20.102.0/24", "10.20.103.0/24"]
  private_subnets = ["10.20.1.0/24", "10.20.2.0/24", "10.20.3.0/24"]
}

module "ecs_cluster" {
  source = "./modules/ecs-cluster"
  name   = local.name
}

module "ecr" {
  source          = "./modules/ecr"
  for_each        = local.services
  repository_name = "${local.name}/${each.key}"
}

resource "aws_secretsmanager_secret" "app" {
  name        = "${local.name}/app"
  description = "Platform secrets"
}

resource "aws_secretsmanager_secret_version" "app" {
  secret_id     = aws_secretsmanager_secret.app.id
  secret_string = jsonencode(var.secret_values)
}

module "alb" {
  source   = "./modules/alb"
  name     = local.name
  vpc_id   = module.vpc.vpc_id
  vpc_cidr = "10.20.0.0/16"
  subnets  = module.vpc.public_subnets
  target_groups = {
    llm-proxy = { name = "${local.name}-llm-proxy", port = 4000, health_check_path = "/health/liveliness", path = "/llm-proxy" }
    gateway   = { name = "${local.name}-gateway", port = 8787, health_check_path = "/health", path = "/gateway" }
  }
}

module "service" {
  source                    = "./modules/ecs-service"
  for_each                  = local.services
  name                      = "${local.name}-${each.key}"
  container_name            = each.key
  cluster_arn               = module.ecs_cluster.arn
  cpu                       = each.value.cpu
  memory                    = each.value.memory
  image                     = "${module.ecr[each.key].repository_url}:v1.4.2"
  container_port            = each.value.port
  vpc_id                    = module.vpc.vpc_id
  subnet_ids                = module.vpc.private_subnets
  behind_load_balancer      = each.value.behind_alb
  ingress_security_group_id = each.value.behind_alb ? module.alb.security_group_id : null
  target_group_arn          = each.value.behind_alb ? module.alb.target_group_arns[each.key] : null
  desired_count             = 2
  region                    = "us-east-1"
  secret_arns               = [aws_secretsmanager_secret.app.arn]
  environment = each.key == "llm-proxy" ? [] : [
    { name = "REDIS_URL", value = "rediss://${module.elasticache.primary_endpoint_address}:6379" },
    { name = "NODE_ENV", value = "production" },
  ]
  secrets = [
    for key in(each.key == "llm-proxy" ? ["DATABASE_URL", "ANTHROPIC_API_KEY", "LITELLM_MASTER_KEY"] : ["DATABASE_URL", "SERVICE_TO_SERVICE_AUTH_TOKEN", "USER_SECRETS_ENCRYPTION_KEY", "BETTER_AUTH_SECRET"]) :
    { name = key, valueFrom = "${aws_secretsmanager_secret.app.arn}:${key}::" }
  ]
}

module "elasticache" {
  source                 = "./modules/elasticache"
  replication_group_id   = "${local.name}-redis"
  vpc_id                 = module.vpc.vpc_id
  subnet_ids             = module.vpc.private_subnets
  create_parameter_group = var.create_elasticache_parameter_group
  ingress_security_group_ids = {
    worker  = module.service["worker"].security_group_id
    gateway = module.service["gateway"].security_group_id
  }
}

variable "create_elasticache_parameter_group" {
  type    = bool
  default = true
}

resource "aws_security_group" "db" {
  name        = "${local.name}-postgres"
  description = "PostgreSQL for the platform"
  vpc_id      = module.vpc.vpc_id
  tags        = { Name = "${local.name}-postgres" }
}

resource "aws_security_group_rule" "db_from_service" {
  for_each                 = local.services
  type                     = "ingress"
  security_group_id        = aws_security_group.db.id
  from_port                = 5432
  to_port                  = 5432
  protocol                 = "tcp"
  source_security_group_id = module.service[each.key].security_group_id
  description              = "PostgreSQL from ${each.key}"
}

module "db" {
  source                 = "./modules/rds"
  identifier             = "${local.name}-postgres"
  subnet_ids             = module.vpc.private_subnets
  vpc_security_group_ids = [aws_security_group.db.id]
  password               = var.db_password
}
