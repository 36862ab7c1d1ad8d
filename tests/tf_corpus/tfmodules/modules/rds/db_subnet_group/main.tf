variable "name" { type = string }
variable "subnet_ids" { type = list(string) }

resource "aws_db_subnet_group" "this" {
  count       = 1
  name_prefix = "${var.name}-"
  description = "${var.name} subnet group"
  subnet_ids  = var.subnet_ids
}

output "name" { value = aws_db_subnet_group.this[0].name }
