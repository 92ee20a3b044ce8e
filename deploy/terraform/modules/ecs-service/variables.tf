variable "name" {
  description = "Name of the cluster, service, load balancer and repository."
  type        = string

  validation {
    # The ALB target group name "<name>-app" must fit in 32 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{1,27}$", var.name))
    error_message = "name: 2-28 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region (for the log driver)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region: an AWS region name such as eu-west-1."
  }
}

variable "vpc_id" {
  description = "VPC of the service."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id: a VPC ID (vpc-...)."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets for the load balancer (two zones or more)."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "public_subnet_ids: at least two subnets in different zones."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (with a NAT route) for the tasks."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "private_subnet_ids: at least one private subnet."
  }
}

variable "allowed_cidrs" {
  description = "IPv4 ranges allowed to reach the load balancer."
  type        = list(string)

  validation {
    condition     = length(var.allowed_cidrs) > 0 && alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "allowed_cidrs: one or more IPv4 CIDRs, e.g. [\"203.0.113.7/32\"] or [\"0.0.0.0/0\"]."
  }
}

variable "certificate_arn" {
  description = "ACM certificate for an HTTPS listener (empty: HTTP only)."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn: empty or an ACM certificate ARN."
  }
}

variable "domain_name" {
  description = "Host name that points at the load balancer (used in api_url when HTTPS is on)."
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.domain_name))
    error_message = "domain_name: empty or a lower-case DNS name."
  }
}

variable "image_tag" {
  description = "Tag of the image in the ECR repository."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag: a Docker tag (letters, digits, _ . -)."
  }
}

variable "container_port" {
  description = "Port the app listens on (PORT)."
  type        = number
  default     = 5000

  validation {
    condition     = var.container_port >= 1024 && var.container_port <= 65535
    error_message = "container_port: 1024 to 65535 (the image runs as a non-root user)."
  }
}

variable "desired_count" {
  description = "Number of tasks."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 1 && var.desired_count <= 20
    error_message = "desired_count: 1 to 20."
  }
}

variable "cpu" {
  description = "Task CPU units."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.cpu)
    error_message = "cpu: one of 256, 512, 1024, 2048, 4096."
  }
}

variable "memory" {
  description = "Task memory in MiB (must suit the CPU size)."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory >= 512 && var.memory <= 30720
    error_message = "memory: 512 to 30720 MiB."
  }
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365], var.log_retention_days)
    error_message = "log_retention_days: a CloudWatch retention value such as 7, 14 or 30."
  }
}

variable "environment" {
  description = "Plain (non-secret) settings for the container."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment) : !can(regex("(KEY|SECRET|PASSWORD|TOKEN)", upper(k)))])
    error_message = "environment: secret-looking names (KEY, SECRET, PASSWORD, TOKEN) belong in secrets."
  }
}

variable "secrets" {
  description = "Secret settings: environment variable name => SSM parameter or Secrets Manager ARN (optionally with :json-key::)."
  type        = map(string)

  validation {
    condition     = contains(keys(var.secrets), "API_KEY") && alltrue([for v in values(var.secrets) : can(regex("^arn:aws[a-z-]*:(ssm|secretsmanager):", v))])
    error_message = "secrets: must include API_KEY, and every value must be an SSM or Secrets Manager ARN."
  }
}
