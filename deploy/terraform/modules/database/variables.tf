variable "name" {
  description = "Identifier of the DB instance and prefix of its companions."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name: lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the database security group."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id: a VPC ID (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Private subnets (at least two zones) for the DB subnet group."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids: at least two private subnets in different zones."
  }
}

variable "allowed_security_groups" {
  description = "Security groups allowed to connect on 5432, keyed by a static label (for_each needs known keys)."
  type        = map(string)

  validation {
    condition     = length(var.allowed_security_groups) > 0
    error_message = "allowed_security_groups: name at least the app's security group."
  }
}

variable "engine_version" {
  description = "PostgreSQL major (or major.minor) version."
  type        = string
  default     = "16"

  validation {
    condition     = can(regex("^1[4-9](\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version: PostgreSQL 14 or newer, e.g. 16 or 16.4."
  }
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "instance_class: an RDS class such as db.t4g.micro."
  }
}

variable "allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 1000
    error_message = "allocated_storage: 20 to 1000 GiB."
  }
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 100

  validation {
    condition     = var.max_allocated_storage >= 20 && var.max_allocated_storage <= 2000
    error_message = "max_allocated_storage: 20 to 2000 GiB."
  }
}

variable "db_name" {
  description = "Database created at launch."
  type        = string
  default     = "statehouse"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_name))
    error_message = "db_name: lower-case letters, digits, underscores."
  }
}

variable "username" {
  description = "Master user name (its password lives in Secrets Manager)."
  type        = string
  default     = "statehouse"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.username)) && var.username != "postgres"
    error_message = "username: lower-case letters, digits, underscores, up to 16 characters, not postgres."
  }
}

variable "multi_az" {
  description = "Standby in a second zone (doubles the instance cost)."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days of automated backups."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days: 1 to 35."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (teardown then fails until it is turned off)."
  type        = bool
  default     = false
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot on teardown."
  type        = bool
  default     = false
}
