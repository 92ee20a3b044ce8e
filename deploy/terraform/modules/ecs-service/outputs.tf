output "api_url" {
  description = "Base URL of the service (through the load balancer)."
  value       = local.https ? "https://${var.domain_name != "" ? var.domain_name : aws_lb.this.dns_name}" : "http://${aws_lb.this.dns_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "ecr_repository_url" {
  description = "ECR repository the service pulls from."
  value       = aws_ecr_repository.app.repository_url
}

output "cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "ECS service."
  value       = aws_ecs_service.app.name
}

output "task_security_group_id" {
  description = "Security group of the tasks (the database and cache admit only this)."
  value       = aws_security_group.tasks.id
}

output "task_role_name" {
  description = "IAM role of the running app."
  value       = aws_iam_role.task.name
}

output "log_group_name" {
  description = "CloudWatch log group of the tasks."
  value       = aws_cloudwatch_log_group.app.name
}
