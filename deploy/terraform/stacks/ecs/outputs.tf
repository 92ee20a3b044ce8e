output "api_url" {
  description = "Base URL of the service (the load balancer)."
  value       = module.app.api_url
}

output "status_endpoint" {
  description = "GET this to check the deployment."
  value       = "${module.app.api_url}/status"
}

output "api_key_command" {
  description = "Prints the generated API key."
  value       = "aws ssm get-parameter --region ${var.region} --with-decryption --name ${aws_ssm_parameter.api_key.name} --query Parameter.Value --output text"
}

output "admin_username" {
  description = "The bootstrap superuser (its password: admin_password_command)."
  value       = var.admin_username
}

output "admin_password_command" {
  description = "Prints the generated password of admin_username."
  value       = "aws ssm get-parameter --region ${var.region} --with-decryption --name ${aws_ssm_parameter.admin_password.name} --query Parameter.Value --output text"
}

output "ecr_repository_url" {
  description = "Where deploy.sh pushes the image."
  value       = module.app.ecr_repository_url
}

output "bucket_name" {
  description = "S3 bucket the aircraft ingest reads."
  value       = module.data.bucket_name
}

output "cluster_name" {
  description = "ECS cluster."
  value       = module.app.cluster_name
}

output "service_name" {
  description = "ECS service."
  value       = module.app.service_name
}

output "log_group_name" {
  description = "CloudWatch log group (aws logs tail <it> --follow)."
  value       = module.app.log_group_name
}
