output "api_url" {
  description = "Base URL of the service."
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

output "session_command" {
  description = "Opens a shell on the instance through SSM (no SSH port is open)."
  value       = "aws ssm start-session --region ${var.region} --target ${module.app.instance_id}"
}
