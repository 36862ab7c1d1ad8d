# The resource addresses of terraform-aws-modules/rds:
# module.db_instance.aws_db_instance.this[0], module.db_subnet_group.aws_db_subnet_group.this[0]
# and module.db_parameter_group.aws_db_parameter_group.this[0] (name_prefix names, as the
# module's defaults).

variable "identifier" { type = string }
variable "subnet_ids" { type = list(string) }
variable "vpc_security_group_ids" { type = list(string) }
variable "password" {
  type      = string
  sensitive = true
}

module "db_subnet_group" {
  source     = "./db_subnet_group"
  name       = var.identifier
  subnet_ids = var.subnet_ids
}

module "db_parameter_group" {
  source = "./db_parameter_group"
  name   = var.identifier
  family = "postgres16"
}

module "db_instance" {
  source                 = "./db_instance"
  identifier             = var.identifier
  db_subnet_group_name   = module.db_subnet_group.name
  parameter_group_name   = module.db_parameter_group.name
  vpc_security_group_ids = var.vpc_security_group_ids
  password               = var.password
}

output "address" { value = module.db_instance.address }
