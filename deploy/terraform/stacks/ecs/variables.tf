variable "name" {
  description = "Name prefix of every resource (also the SSM parameter path /<name>/...)."
  type        = string
  default     = "statehouse"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: 2-21 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region: an AWS region name such as eu-west-1."
  }
}

variable "vpc_cidr" {
  description = "IPv4 range of the new VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr: an IPv4 CIDR such as 10.40.0.0/16."
  }
}

variable "image_tag" {
  description = "Tag of the statehouse image in ECR (deploy.sh passes the git commit)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag: a Docker tag (letters, digits, _ . -)."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the service."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "log_level: fatal, error, warn, info, debug, trace or silent."
  }
}

variable "admin_username" {
  description = "ADMIN_USERNAME of the service (its password is generated into SSM)."
  type        = string
  default     = "admin"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.@-]{3,64}$", var.admin_username))
    error_message = "admin_username: 3-64 letters, digits or _ . @ -."
  }
}

variable "s3_prefix" {
  description = "Prefix inside the data bucket that the aircraft ingest reads."
  type        = string
  default     = ""

  validation {
    condition     = var.s3_prefix == "" || can(regex("^[A-Za-z0-9!_.*()-]+(/[A-Za-z0-9!_.*()-]+)*/?$", var.s3_prefix))
    error_message = "s3_prefix: empty or a relative key prefix without .. or a leading slash."
  }
}

variable "allowed_cidrs" {
  description = "IPv4 ranges allowed to reach the load balancer (deploy.sh passes the deployer's /32; [\"0.0.0.0/0\"] opens it to everyone)."
  type        = list(string)

  validation {
    condition     = length(var.allowed_cidrs) > 0 && alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "allowed_cidrs: one or more IPv4 CIDRs."
  }
}

variable "certificate_arn" {
  description = "ACM certificate ARN for HTTPS on the load balancer (empty: HTTP only)."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn: empty or an ACM certificate ARN."
  }
}

variable "domain_name" {
  description = "DNS name you point at the load balancer (used in api_url with HTTPS)."
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.domain_name))
    error_message = "domain_name: empty or a lower-case DNS name."
  }
}

variable "desired_count" {
  description = "Number of Fargate tasks (replicas)."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 1 && var.desired_count <= 20
    error_message = "desired_count: 1 to 20."
  }
}

variable "task_cpu" {
  description = "CPU units per task."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.task_cpu)
    error_message = "task_cpu: one of 256, 512, 1024, 2048, 4096."
  }
}

variable "task_memory" {
  description = "Memory per task in MiB."
  type        = number
  default     = 1024

  validation {
    condition     = var.task_memory >= 512 && var.task_memory <= 30720
    error_message = "task_memory: 512 to 30720 MiB."
  }
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class: an RDS class such as db.t4g.micro."
  }
}

variable "db_multi_az" {
  description = "Run a standby database in a second zone (doubles its cost)."
  type        = bool
  default     = false
}

variable "db_deletion_protection" {
  description = "Make RDS refuse deletion (turn off before teardown)."
  type        = bool
  default     = false
}

variable "db_skip_final_snapshot" {
  description = "Skip the final RDS snapshot on teardown."
  type        = bool
  default     = false
}

variable "cache_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.micro"

  validation {
    condition     = startswith(var.cache_node_type, "cache.")
    error_message = "cache_node_type: an ElastiCache node type such as cache.t4g.micro."
  }
}
