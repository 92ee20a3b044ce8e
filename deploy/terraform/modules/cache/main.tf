# ElastiCache Redis in private subnets, reachable only from the app's security group, encrypted at
# rest and in transit, with an AUTH token. The connection URL (which embeds the token) is stored as
# an SSM SecureString; the app receives it by ARN, never as a plain environment value.

resource "aws_elasticache_subnet_group" "this" {
  name        = "${var.name}-redis"
  description = "Private subnets of ${var.name}"
  subnet_ids  = var.subnet_ids
}

resource "aws_security_group" "cache" {
  name        = "${var.name}-redis"
  description = "Redis: reachable only from the app security group"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-redis" }
}

# No CIDR rule, ever; no egress rule (Terraform drops AWS's default allow-all).
resource "aws_vpc_security_group_ingress_rule" "from_app" {
  for_each = var.allowed_security_groups

  security_group_id            = aws_security_group.cache.id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  description                  = "Redis from ${each.key}"
}

# ElastiCache AUTH tokens: 16-128 printable characters without @, " or / - alphanumerics are safe.
resource "random_password" "auth_token" {
  length  = 48
  special = false
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = "${var.name}-redis"
  description          = "statehouse: shared rate limits, cache, idempotency records and events"
  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  num_cache_clusters   = 1
  port                 = 6379

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [aws_security_group.cache.id]

  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = random_password.auth_token.result

  automatic_failover_enabled = false
  apply_immediately          = true
}

resource "aws_ssm_parameter" "redis_url" {
  name        = "/${var.name}/redis-url"
  description = "REDIS_URL for statehouse (TLS, with the AUTH token)"
  type        = "SecureString"
  value       = "rediss://:${random_password.auth_token.result}@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379"
}
