# RDS PostgreSQL in private subnets. It has no public address, its security group admits port 5432
# only from the security groups the caller names (the app's), and its storage is encrypted.
# The master password is generated and kept by RDS in Secrets Manager (manage_master_user_password),
# so it is never in Terraform state, variables or task definitions; tasks read it by ARN.

resource "aws_db_subnet_group" "this" {
  name        = "${var.name}-db"
  description = "Private subnets of ${var.name}"
  subnet_ids  = var.subnet_ids
}

resource "aws_security_group" "db" {
  name        = "${var.name}-db"
  description = "PostgreSQL: reachable only from the app security group"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-db" }
}

# No CIDR rule, ever: only members of the named security groups may connect.
# No egress rule either (Terraform drops AWS's default allow-all): a database never dials out.
resource "aws_vpc_security_group_ingress_rule" "from_app" {
  for_each = var.allowed_security_groups

  security_group_id            = aws_security_group.db.id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "PostgreSQL from ${each.key}"
}

# Stable per deployment, so a re-deploy after a teardown never collides with an old final snapshot.
resource "random_id" "final_snapshot" {
  byte_length = 4
}

resource "aws_db_instance" "this" {
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name                     = var.db_name
  username                    = var.username
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.multi_az

  backup_retention_period    = var.backup_retention_days
  copy_tags_to_snapshot      = true
  auto_minor_version_upgrade = true
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = var.skip_final_snapshot
  final_snapshot_identifier  = "${var.name}-final-${random_id.final_snapshot.hex}"
}
