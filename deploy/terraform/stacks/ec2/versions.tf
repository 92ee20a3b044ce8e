terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 7.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6, < 4.0"
    }
  }
  # State is local (deploy/terraform/stacks/ec2/terraform.tfstate, git-ignored) and holds the
  # generated secrets. For a shared deployment add an encrypted S3 backend here, e.g.
  # backend "s3" { bucket = "my-tf-state" key = "statehouse/ec2.tfstate" region = "eu-west-1" use_lockfile = true encrypt = true }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = var.name
      Stack     = "ec2"
      ManagedBy = "terraform"
    }
  }
}
