variable "identifier" { type = string }
variable "db_subnet_group_name" { type = string }
variable "parameter_group_name" { type = string }
variable "vpc_security_group_ids" { type = list(string) }
variable "password" {
  type      = string
  sensitive = true
}

resource "aws_db_instance" "this" {
  count                           = 1
  identifier                      = var.identifier
  engine                          = "postgres"
  engine_version                  = "16.4"
  instance_class                  = "db.t4g.medium"
  allocated_storage               = 50
  max_allocated_storage           = 200
  storage_type                    = "gp3"
  storage_encrypted               = true
  db_name                         = "proliferate"
  username                        = "proliferate"
  password                        = var.password
  port                            = 5432
  multi_az                        = true
  db_subnet_group_name            = var.db_subnet_group_name
  parameter_group_name            = var.parameter_group_name
  vpc_security_group_ids          = var.vpc_security_group_ids
  backup_retention_period         = 14
  backup_window                   = "03:00-06:00"
  maintenance_window              = "sun:07:00-sun:08:00"
  deletion_protection             = true
  skip_final_snapshot             = false
  final_snapshot_identifier       = "${var.identifier}-final"
  copy_tags_to_snapshot           = true
  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]
  publicly_accessible             = false
}

output "address" { value = aws_db_instance.this[0].address }
