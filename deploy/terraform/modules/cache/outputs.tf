output "redis_url_parameter_arn" {
  description = "ARN of the SSM SecureString holding REDIS_URL."
  value       = aws_ssm_parameter.redis_url.arn
}

output "primary_endpoint_address" {
  description = "Private DNS name of the primary node."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "security_group_id" {
  description = "Security group of the cache."
  value       = aws_security_group.cache.id
}
