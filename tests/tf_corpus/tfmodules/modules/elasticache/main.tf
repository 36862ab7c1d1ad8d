# The resource addresses of terraform-aws-modules/elasticache (replication group):
# aws_elasticache_replication_group.this[0], aws_elasticache_parameter_group.this[0],
# aws_elasticache_subnet_group.this[0] and aws_security_group.this[0] with
# aws_vpc_security_group_ingress_rule.this[key].

variable "replication_group_id" { type = string }
variable "vpc_id" { type = string }
variable "subnet_ids" { type = list(string) }
variable "ingress_security_group_ids" { type = map(string) }
variable "create_parameter_group" {
  type    = bool
  default = true
}

resource "aws_elasticache_parameter_group" "this" {
  count       = var.create_parameter_group ? 1 : 0
  name        = var.replication_group_id
  family      = "redis7"
  description = "ElastiCache parameter group for ${var.replication_group_id}"

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }
}

resource "aws_elasticache_subnet_group" "this" {
  count       = 1
  name        = var.replication_group_id
  description = "ElastiCache subnet group for ${var.replication_group_id}"
  subnet_ids  = var.subnet_ids
}

resource "aws_security_group" "this" {
  count       = 1
  name_prefix = "${var.replication_group_id}-"
  description = "Security group for ${var.replication_group_id}"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each                     = var.ingress_security_group_ids
  security_group_id            = aws_security_group.this[0].id
  description                  = "Redis from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = each.value
}

resource "aws_elasticache_replication_group" "this" {
  count                      = 1
  replication_group_id       = var.replication_group_id
  description                = "Redis for BullMQ"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = "cache.t4g.small"
  num_cache_clusters         = 2
  port                       = 6379
  parameter_group_name       = var.replication_group_id
  subnet_group_name          = aws_elasticache_subnet_group.this[0].name
  security_group_ids         = [aws_security_group.this[0].id]
  automatic_failover_enabled = true
  multi_az_enabled           = true
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  snapshot_retention_limit   = 7
  snapshot_window            = "03:00-05:00"
  maintenance_window         = "sun:05:00-sun:07:00"
  apply_immediately          = true

  depends_on = [aws_elasticache_parameter_group.this]
}

output "primary_endpoint_address" {
  value = aws_elasticache_replication_group.this[0].primary_endpoint_address
}
