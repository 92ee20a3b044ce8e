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

variable "allowed_cidr" {
  description = "The only address allowed to reach the instance: the deployer's public IP as a /32 (deploy.sh detects it)."
  type        = string

  validation {
    condition     = can(cidrhost(var.allowed_cidr, 0)) && endswith(var.allowed_cidr, "/32")
    error_message = "allowed_cidr: a single IPv4 address as a /32, e.g. 203.0.113.7/32."
  }
}

variable "instance_type" {
  description = "EC2 instance type (x86_64; the image is built for amd64)."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type: an instance type such as t3.small."
  }
}

variable "image" {
  description = "Run this image reference instead of the stack's ECR repository (empty: ECR)."
  type        = string
  default     = ""

  validation {
    condition     = var.image == "" || can(regex("^[a-z0-9./_:@-]+$", var.image))
    error_message = "image: empty or an image reference such as ghcr.io/org/statehouse:1.2.3."
  }
}
