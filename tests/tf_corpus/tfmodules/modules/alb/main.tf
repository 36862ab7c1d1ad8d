# The resource addresses of terraform-aws-modules/alb: aws_lb.this[0],
# aws_security_group.this[0] with aws_vpc_security_group_{ingress,egress}_rule.this[key],
# aws_lb_target_group.this[key], aws_lb_listener.this[key] and aws_lb_listener_rule.this[key].

variable "name" { type = string }
variable "vpc_id" { type = string }
variable "vpc_cidr" { type = string }
variable "subnets" { type = list(string) }
variable "target_groups" {
  type = map(object({ name = string, port = number, health_check_path = string, path = string }))
}

resource "aws_security_group" "this" {
  count       = 1
  name_prefix = "${var.name}-"
  description = "Security Group for ${var.name}"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each          = { all_http = 80 }
  security_group_id = aws_security_group.this[0].id
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each          = { all = var.vpc_cidr }
  security_group_id = aws_security_group.this[0].id
  ip_protocol       = "-1"
  cidr_ipv4         = each.value
}

resource "aws_lb" "this" {
  count                      = 1
  name                       = var.name
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.this[0].id]
  subnets                    = var.subnets
  drop_invalid_header_fields = true
  idle_timeout               = 60
}

resource "aws_lb_target_group" "this" {
  for_each    = var.target_groups
  name        = each.value.name
  port        = each.value.port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    path    = each.value.health_check_path
    matcher = "200"
  }
}

resource "aws_lb_listener" "this" {
  for_each          = { http = 80 }
  load_balancer_arn = aws_lb.this[0].arn
  port              = each.value
  protocol          = "HTTP"

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "Not found"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener_rule" "this" {
  for_each     = var.target_groups
  listener_arn = aws_lb_listener.this["http"].arn
  priority     = 100 + index(keys(var.target_groups), each.key)

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }

  condition {
    path_pattern {
      values = [each.value.path, "${each.value.path}/*"]
    }
  }
}

output "security_group_id" { value = aws_security_group.this[0].id }
output "target_group_arns" { value = { for k, v in aws_lb_target_group.this : k => v.arn } }
