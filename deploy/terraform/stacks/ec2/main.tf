# Stack "ec2": one EC2 instance running the statehouse image on SQLite (an encrypted EBS volume),
# reachable only from the deployer's address, plus the S3 data bucket for aircraft ingest.
# deploy/scripts/deploy.sh ec2 builds and pushes the image, then applies this stack.

module "network" {
  source = "../../modules/network"

  name       = var.name
  region     = var.region
  cidr_block = var.vpc_cidr
  # The instance sits in a public subnet; nothing private needs the internet here.
  enable_nat_gateway = false
}

# Generated secrets go to SSM Parameter Store as SecureStrings; the instance reads them at boot.
resource "random_password" "api_key" {
  length  = 40
  special = false
}

resource "random_password" "jwt_secret" {
  length  = 64
  special = false
}

resource "random_password" "admin_password" {
  length  = 24
  special = false
}

resource "aws_ssm_parameter" "api_key" {
  name        = "/${var.name}/api-key"
  description = "API_KEY of statehouse (write scope)"
  type        = "SecureString"
  value       = random_password.api_key.result
}

resource "aws_ssm_parameter" "jwt_secret" {
  name        = "/${var.name}/jwt-secret"
  description = "JWT_SECRET of statehouse"
  type        = "SecureString"
  value       = random_password.jwt_secret.result
}

resource "aws_ssm_parameter" "admin_password" {
  name        = "/${var.name}/admin-password"
  description = "ADMIN_PASSWORD of statehouse"
  type        = "SecureString"
  value       = random_password.admin_password.result
}

module "data" {
  source = "../../modules/data-bucket"

  name         = var.name
  reader_roles = { app = module.app.role_name }
}

module "app" {
  source = "../../modules/ec2-app"

  name          = var.name
  region        = var.region
  vpc_id        = module.network.vpc_id
  subnet_id     = module.network.public_subnet_ids[0]
  allowed_cidr  = var.allowed_cidr
  instance_type = var.instance_type
  image         = var.image
  image_tag     = var.image_tag

  environment = {
    ENVIRONMENT = "production"
    # Published by docker (-p 80:5000): the app must listen on every interface of its container
    # (development's default is 127.0.0.1).
    HOST           = "0.0.0.0"
    LOG_LEVEL      = var.log_level
    ADMIN_USERNAME = var.admin_username
    # Clients connect directly (no proxy in front), so X-Forwarded-For is not trusted.
    TRUST_PROXY = "false"
    DATA_DIR    = "/data"
    S3_BUCKET   = module.data.bucket_name
    S3_PREFIX   = var.s3_prefix
    AWS_REGION  = var.region
  }

  secret_parameters = {
    API_KEY        = aws_ssm_parameter.api_key.arn
    JWT_SECRET     = aws_ssm_parameter.jwt_secret.arn
    ADMIN_PASSWORD = aws_ssm_parameter.admin_password.arn
  }
}
