variable "name" {
  description = "Prefix of the bucket name (a random suffix makes it globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name: lower-case letters, digits or hyphens (S3 naming), starting with a letter."
  }
}

variable "reader_roles" {
  description = "IAM role names that get the read-only policy, keyed by a static label."
  type        = map(string)

  validation {
    condition     = length(var.reader_roles) > 0
    error_message = "reader_roles: name at least the app's role."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete a non-empty bucket (every object version)."
  type        = bool
  default     = true
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650
    error_message = "noncurrent_version_days: 1 to 3650."
  }
}
