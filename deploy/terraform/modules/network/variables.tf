variable "name" {
  description = "Name prefix for every resource."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: 2-21 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region (names the S3 gateway endpoint)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region: an AWS region name such as eu-west-1."
  }
}

variable "cidr_block" {
  description = "IPv4 range of the VPC (/16 to /24)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 24
    error_message = "cidr_block: an IPv4 CIDR between /16 and /24."
  }
}

variable "az_count" {
  description = "Availability zones to spread subnets over (an ALB and an RDS subnet group need 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count: between 2 and 4."
  }
}

variable "enable_nat_gateway" {
  description = "Give private subnets outbound internet access through one NAT gateway (about 33 USD/month)."
  type        = bool
  default     = false
}
