# The resource addresses of terraform-aws-modules/vpc (v5): aws_vpc.this[0],
# aws_subnet.public[i] / private[i], aws_internet_gateway.this[0], aws_route_table.public[0],
# aws_route.public_internet_gateway[0], aws_eip.nat[i], aws_nat_gateway.this[i],
# aws_route_table.private[i], aws_route.private_nat_gateway[i], the route table
# associations and the managed VPC defaults. A small rewrite with the module's names and
# defaults (the registry module cannot be downloaded offline).

variable "name" { type = string }
variable "cidr" { type = string }
variable "azs" { type = list(string) }
variable "public_subnets" { type = list(string) }
variable "private_subnets" { type = list(string) }
variable "single_nat_gateway" {
  type    = bool
  default = true
}
variable "tags" {
  type    = map(string)
  default = {}
}

locals {
  nat_gateway_count = var.single_nat_gateway ? 1 : length(var.azs)
}

resource "aws_vpc" "this" {
  count                = 1
  cidr_block           = var.cidr
  enable_dns_hostnames = true
  enable_dns_support   = true
  tags                 = merge({ Name = var.name }, var.tags)
}

resource "aws_default_security_group" "this" {
  count  = 1
  vpc_id = aws_vpc.this[0].id
  tags   = merge({ Name = "${var.name}-default" }, var.tags)
}

resource "aws_default_network_acl" "this" {
  count                  = 1
  default_network_acl_id = aws_vpc.this[0].default_network_acl_id

  ingress {
    protocol   = "-1"
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }

  egress {
    protocol   = "-1"
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }

  tags = merge({ Name = "${var.name}-default" }, var.tags)

  lifecycle {
    ignore_changes = [subnet_ids]
  }
}

resource "aws_default_route_table" "default" {
  count                  = 1
  default_route_table_id = aws_vpc.this[0].default_route_table_id
  tags                   = merge({ Name = "${var.name}-default" }, var.tags)
}

resource "aws_internet_gateway" "this" {
  count  = 1
  vpc_id = aws_vpc.this[0].id
  tags   = merge({ Name = var.name }, var.tags)
}

resource "aws_subnet" "public" {
  count                   = length(var.public_subnets)
  vpc_id                  = aws_vpc.this[0].id
  cidr_block              = var.public_subnets[count.index]
  availability_zone       = var.azs[count.index]
  map_public_ip_on_launch = false
  tags                    = merge({ Name = "${var.name}-public-${var.azs[count.index]}" }, var.tags)
}

resource "aws_route_table" "public" {
  count  = 1
  vpc_id = aws_vpc.this[0].id
  tags   = merge({ Name = "${var.name}-public" }, var.tags)
}

resource "aws_route" "public_internet_gateway" {
  count                  = 1
  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count          = length(var.public_subnets)
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_subnet" "private" {
  count             = length(var.private_subnets)
  vpc_id            = aws_vpc.this[0].id
  cidr_block        = var.private_subnets[count.index]
  availability_zone = var.azs[count.index]
  tags              = merge({ Name = "${var.name}-private-${var.azs[count.index]}" }, var.tags)
}

resource "aws_eip" "nat" {
  count  = local.nat_gateway_count
  domain = "vpc"
  tags   = merge({ Name = "${var.name}-${var.azs[count.index]}" }, var.tags)
}

resource "aws_nat_gateway" "this" {
  count         = local.nat_gateway_count
  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id
  tags          = merge({ Name = "${var.name}-${var.azs[count.index]}" }, var.tags)

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  count  = local.nat_gateway_count
  vpc_id = aws_vpc.this[0].id
  tags = merge(
    { Name = var.single_nat_gateway ? "${var.name}-private" : "${var.name}-private-${var.azs[count.index]}" },
    var.tags,
  )
}

resource "aws_route" "private_nat_gateway" {
  count                  = local.nat_gateway_count
  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[count.index].id
}

resource "aws_route_table_association" "private" {
  count          = length(var.private_subnets)
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[var.single_nat_gateway ? 0 : count.index].id
}

output "vpc_id" { value = aws_vpc.this[0].id }
output "public_subnets" { value = aws_subnet.public[*].id }
output "private_subnets" { value = aws_subnet.private[*].id }
