output "api_url" {
  description = "Base URL of the service."
  value       = "http://${aws_instance.app.public_dns}"
}

output "instance_id" {
  description = "ID of the instance (for SSM Session Manager)."
  value       = aws_instance.app.id
}

output "public_ip" {
  description = "Public IPv4 address of the instance."
  value       = aws_instance.app.public_ip
}

output "security_group_id" {
  description = "Security group of the instance."
  value       = aws_security_group.app.id
}

output "role_name" {
  description = "IAM role of the instance (and so of the app)."
  value       = aws_iam_role.app.name
}

output "ecr_repository_url" {
  description = "ECR repository the instance pulls from."
  value       = aws_ecr_repository.app.repository_url
}
