# One EC2 instance running the statehouse image with SQLite on a separate encrypted EBS volume.
# Exposure: one security group rule, HTTP from the deployer's /32 only (no SSH: use SSM Session
# Manager). IMDSv2 is required. Secrets are read from SSM Parameter Store at boot by the instance
# role, so user_data (readable by anyone who can describe the instance) never contains them.

data "aws_partition" "current" {}

data "aws_subnet" "this" {
  id = var.subnet_id
}

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

resource "aws_ecr_repository" "app" {
  name                 = var.name
  image_tag_mutability = "MUTABLE"
  # Teardown deletes the repository even when it still holds images.
  force_delete = true

  image_scanning_configuration {
    scan_on_push = true
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  name               = "${var.name}-ec2"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

# Session Manager instead of SSH: no port 22, no key pair to leak.
resource "aws_iam_role_policy_attachment" "ssm_core" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "app" {
  statement {
    sid       = "EcrLogin"
    effect    = "Allow"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "EcrPull"
    effect    = "Allow"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [aws_ecr_repository.app.arn]
  }

  statement {
    sid       = "ReadOwnSecrets"
    effect    = "Allow"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = values(var.secret_parameters)
  }
}

resource "aws_iam_role_policy" "app" {
  name   = "pull-image-read-secrets"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
}

resource "aws_iam_instance_profile" "app" {
  name = "${var.name}-ec2"
  role = aws_iam_role.app.name
}

resource "aws_security_group" "app" {
  name        = "${var.name}-ec2"
  description = "statehouse HTTP from the deployer only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-ec2" }
}

resource "aws_vpc_security_group_ingress_rule" "http_from_deployer" {
  security_group_id = aws_security_group.app.id
  cidr_ipv4         = var.allowed_cidr
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  description       = "HTTP from the deployer's address"
}

# Outbound: the image from ECR, SSM, S3 and OS packages.
resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.app.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
  description       = "Outbound for image pulls, SSM, S3 and packages"
}

# SQLite lives here, not on the root volume: the instance is replaced on every deploy
# (user_data_replace_on_change) and this volume is re-attached to the new one.
resource "aws_ebs_volume" "data" {
  availability_zone = data.aws_subnet.this.availability_zone
  size              = var.data_volume_size
  type              = "gp3"
  encrypted         = true

  tags = { Name = "${var.name}-data" }
}

locals {
  image    = var.image != "" ? var.image : "${aws_ecr_repository.app.repository_url}:${var.image_tag}"
  registry = split("/", aws_ecr_repository.app.repository_url)[0]
}

resource "aws_instance" "app" {
  ami                         = data.aws_ami.al2023.id
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.app.id]
  associate_public_ip_address = true
  iam_instance_profile        = aws_iam_instance_profile.app.name

  user_data = templatefile("${path.module}/user-data.sh.tftpl", {
    region            = var.region
    registry          = local.registry
    image             = local.image
    data_volume_id    = aws_ebs_volume.data.id
    environment       = var.environment
    secret_parameters = var.secret_parameters
  })
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint = "enabled"
    # IMDSv2 only: session tokens defeat SSRF-style credential theft through the app.
    http_tokens = "required"
    # 2 hops: the container (one bridge hop away) needs the role's credentials for S3.
    http_put_response_hop_limit = 2
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    encrypted             = true
    delete_on_termination = true
  }

  tags = { Name = var.name }

  lifecycle {
    # A newer Amazon Linux image alone should not replace the running instance.
    ignore_changes = [ami]
  }
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.app.id
  # Stop the old instance before detaching on a redeploy, so SQLite's file system is clean.
  stop_instance_before_detaching = true
}
