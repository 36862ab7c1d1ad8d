variable "name" { type = string }
variable "family" { type = string }

resource "aws_db_parameter_group" "this" {
  count       = 1
  name_prefix = "${var.name}-"
  description = "${var.name} parameter group"
  family      = var.family

  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "immediate"
  }

  lifecycle {
    create_before_destroy = true
  }
}

output "name" { value = aws_db_parameter_group.this[0].name }
