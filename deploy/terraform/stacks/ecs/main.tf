# Stack "ecs": statehouse on ECS Fargate behind an ALB, with RDS PostgreSQL, ElastiCache Redis and
# an S3 data bucket - the distributed mode of SPEC section 1 (several replicas sharing PostgreSQL
# and Redis). deploy/scripts/deploy.sh ecs builds and pushes the image, then applies this stack.

module "network" {
  source = "../../modules/network"

  name       = var.name
  region     = var.region
  cidr_block = var.vpc_cidr
  # Tasks live in private subnets and need outbound access for ECR, SSM and Secrets Manager.
  enable_nat_gateway = true
}

# Generated secrets go to SSM Parameter Store as SecureStrings; tasks get them by ARN.
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

module "database" {
  source = "../../modules/database"

  name                    = var.name
  vpc_id                  = module.network.vpc_id
  subnet_ids              = module.network.private_subnet_ids
  allowed_security_groups = { app = module.app.task_security_group_id }
  instance_class          = var.db_instance_class
  multi_az                = var.db_multi_az
  deletion_protection     = var.db_deletion_protection
  skip_final_snapshot     = var.db_skip_final_snapshot
}

module "cache" {
  source = "../../modules/cache"

  name                    = var.name
  vpc_id                  = module.network.vpc_id
  subnet_ids              = module.network.private_subnet_ids
  allowed_security_groups = { app = module.app.task_security_group_id }
  node_type               = var.cache_node_type
}

module "data" {
  source = "../../modules/data-bucket"

  name         = var.name
  reader_roles = { app = module.app.task_role_name }
}

module "app" {
  source = "../../modules/ecs-service"

  name               = var.name
  region             = var.region
  vpc_id             = module.network.vpc_id
  private_subnet_ids = module.network.private_subnet_ids
  public_subnet_ids  = module.network.public_subnet_ids
  allowed_cidrs      = var.allowed_cidrs
  certificate_arn    = var.certificate_arn
  domain_name        = var.domain_name
  image_tag          = var.image_tag
  desired_count      = var.desired_count
  cpu                = var.task_cpu
  memory             = var.task_memory

  environment = {
    ENVIRONMENT = "production"
    # The ALB reaches the task on its own address: listen on every interface (development's
    # default is 127.0.0.1).
    HOST      = "0.0.0.0"
    PORT      = "5000"
    LOG_LEVEL = var.log_level
    # One hop: the ALB appends the client's address to X-Forwarded-For; anything left of it was
    # written by the client ("true" would trust that, and the login limit could be dodged).
    TRUST_PROXY    = "1"
    ADMIN_USERNAME = var.admin_username
    DB_HOST        = module.database.address
    DB_PORT        = tostring(module.database.port)
    DB_USER        = module.database.username
    DB_NAME        = module.database.db_name
    # RDS requires TLS; node-postgres reads PGSSLMODE. no-verify encrypts without checking the
    # RDS CA (not in Node's bundle); bake the RDS CA in and use verify-full to also pin the server.
    PGSSLMODE  = "no-verify"
    S3_BUCKET  = module.data.bucket_name
    S3_PREFIX  = var.s3_prefix
    AWS_REGION = var.region
  }

  secrets = {
    API_KEY        = aws_ssm_parameter.api_key.arn
    JWT_SECRET     = aws_ssm_parameter.jwt_secret.arn
    ADMIN_PASSWORD = aws_ssm_parameter.admin_password.arn
    # The RDS-managed secret is JSON {username, password}; ECS extracts one key.
    DB_PASSWORD = "${module.database.master_user_secret_arn}:password::"
    REDIS_URL   = module.cache.redis_url_parameter_arn
  }
}
