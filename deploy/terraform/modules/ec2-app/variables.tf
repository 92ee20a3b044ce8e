variable "name" {
  description = "Name of the instance, its ECR repository and its IAM role."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name: lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region (for the CLI calls in user_data)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region: an AWS region name such as eu-west-1."
  }
}

variable "vpc_id" {
  description = "VPC of the instance security group."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id: a VPC ID (vpc-...)."
  }
}

variable "subnet_id" {
  description = "Public subnet for the instance."
  type        = string

  validation {
    condition     = startswith(var.subnet_id, "subnet-")
    error_message = "subnet_id: a subnet ID (subnet-...)."
  }
}

variable "allowed_cidr" {
  description = "The only address allowed to reach the instance: the deployer's public IP as a /32."
  type        = string

  validation {
    condition     = can(cidrhost(var.allowed_cidr, 0)) && endswith(var.allowed_cidr, "/32")
    error_message = "allowed_cidr: a single IPv4 address as a /32, e.g. 203.0.113.7/32."
  }
}

variable "instance_type" {
  description = "EC2 instance type (x86_64)."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type)) && !can(regex("^[a-z]+[0-9]+g", var.instance_type))
    error_message = "instance_type: an x86_64 type such as t3.small (the image is built for amd64)."
  }
}

variable "image" {
  description = "Full image reference to run instead of this module's ECR repository (empty: ECR)."
  type        = string
  default     = ""

  validation {
    condition     = var.image == "" || can(regex("^[a-z0-9./_:@-]+$", var.image))
    error_message = "image: empty or an image reference such as ghcr.io/org/statehouse:1.2.3."
  }
}

variable "image_tag" {
  description = "Tag of the image in this module's ECR repository."
  type        = string
  default     = "latest"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag: a Docker tag (letters, digits, _ . -)."
  }
}

variable "environment" {
  description = "Plain (non-secret) settings for the container."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment) : !can(regex("(KEY|SECRET|PASSWORD|TOKEN)", upper(k)))])
    error_message = "environment: secret-looking names (KEY, SECRET, PASSWORD, TOKEN) belong in secret_parameters."
  }
}

variable "secret_parameters" {
  description = "Secret settings: environment variable name => ARN of an SSM SecureString parameter."
  type        = map(string)

  validation {
    condition     = contains(keys(var.secret_parameters), "API_KEY") && alltrue([for arn in values(var.secret_parameters) : can(regex("^arn:aws[a-z-]*:ssm:", arn))])
    error_message = "secret_parameters: must include API_KEY, and every value must be an SSM parameter ARN."
  }
}

variable "root_volume_size" {
  description = "Root volume size in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 200
    error_message = "root_volume_size: 8 to 200 GiB."
  }
}

variable "data_volume_size" {
  description = "Size in GiB of the EBS volume that holds the SQLite database."
  type        = number
  default     = 10

  validation {
    condition     = var.data_volume_size >= 1 && var.data_volume_size <= 1000
    error_message = "data_volume_size: 1 to 1000 GiB."
  }
}
