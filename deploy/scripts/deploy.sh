#!/usr/bin/env bash
# deploy.sh STACK [-y] - deploy statehouse to AWS with Terraform.
#
#   STACK  ec2  one EC2 instance, SQLite, reachable only from your address
#          ecs  ECS Fargate behind an ALB, RDS PostgreSQL, ElastiCache Redis, S3
#
# Steps: check the tools and AWS credentials, detect your public IP, create the stack's ECR
# repository, build the image (deploy/docker/Dockerfile) and push it, plan the stack, ask, apply,
# upload the sample aircraft set to the data bucket, print the URLs.
#
# Environment:
#   AUTO_APPROVE=1       do not ask (same as -y)
#   DEPLOYER_IP=1.2.3.4  your public IPv4 address, instead of asking checkip.amazonaws.com
#   ALLOWED_CIDRS='["0.0.0.0/0"]'  ecs only: who may reach the load balancer (default: your /32)
#   IMAGE_TAG=v1         image tag (default: the git commit, plus a timestamp if the tree is dirty)
#   STATEHOUSE_NAME=...  name prefix of every resource (default statehouse-STACK, so both stacks
#                        can live in one account and region)
#   AWS_REGION / AWS_PROFILE  as for the AWS CLI
#   TF_VAR_<name>        any other stack variable (see deploy/terraform/stacks/STACK/variables.tf)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PROG="deploy.sh"
# Paths below (the Dockerfile, the build context, data/) are relative to the repository root.
cd "$ROOT"

usage() {
  cat <<EOF
usage: deploy/scripts/$PROG ec2|ecs [-y]

  ec2   one EC2 instance (SQLite), open only to your IP        ~ 21 USD/month
  ecs   ECS Fargate + ALB + RDS + ElastiCache + S3              ~ 130 USD/month

  -y, --yes   do not ask for confirmation (or AUTO_APPROVE=1)
  -h, --help  this text
See deploy/README.md for what gets created and how to tear it down (deploy/scripts/teardown.sh).
EOF
}

die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

info() {
  printf '%s: %s\n' "$PROG" "$*" >&2
}

STACK=""
AUTO_APPROVE="${AUTO_APPROVE:-0}"
while [ $# -gt 0 ]; do
  case "$1" in
    -y | --yes) AUTO_APPROVE=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    ec2 | ecs)
      [ -z "$STACK" ] || die "only one STACK, got '$STACK' and '$1'"
      STACK="$1"
      ;;
    *)
      usage >&2
      die "unknown argument '$1' (STACK must be ec2 or ecs)"
      ;;
  esac
  shift
done
[ -n "$STACK" ] || {
  usage >&2
  die "missing STACK (ec2 or ecs)"
}
case "$AUTO_APPROVE" in 1 | true | yes) AUTO_APPROVE=1 ;; *) AUTO_APPROVE=0 ;; esac

STACK_DIR="$ROOT/deploy/terraform/stacks/$STACK"
[ -d "$STACK_DIR" ] || die "no stack directory $STACK_DIR"
NAME="${STATEHOUSE_NAME:-statehouse-$STACK}"

# ---- tools and credentials ----------------------------------------------------------------------
need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed or not on PATH: $2"
}
need terraform "install Terraform >= 1.6 (https://developer.hashicorp.com/terraform/install)"
need aws "install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"
need docker "install Docker (https://docs.docker.com/get-docker/); the image is built locally"
docker info >/dev/null 2>&1 || die "the Docker engine is not running (docker info failed); start Docker and retry"

ACCOUNT="$(aws sts get-caller-identity --query Account --output text 2>/dev/null)" ||
  die "no usable AWS credentials: run 'aws configure' or 'aws sso login', or set AWS_PROFILE / AWS_ACCESS_KEY_ID"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}}"
[ -n "$REGION" ] || die "no AWS region: set AWS_REGION (e.g. AWS_REGION=eu-west-1) or run 'aws configure'"

# ---- the caller's public address ----------------------------------------------------------------
valid_ipv4() {
  [[ "$1" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
  local octet
  for octet in "${BASH_REMATCH[@]:1}"; do
    [ "$octet" -le 255 ] || return 1
  done
}

detect_ip() {
  if [ -n "${DEPLOYER_IP:-}" ]; then
    valid_ipv4 "$DEPLOYER_IP" || die "DEPLOYER_IP='$DEPLOYER_IP' is not an IPv4 address"
    printf '%s\n' "$DEPLOYER_IP"
    return
  fi
  need curl "install curl, or set DEPLOYER_IP to your public IPv4 address"
  local url ip
  for url in https://checkip.amazonaws.com https://api.ipify.org https://ifconfig.me/ip; do
    ip="$(curl -4 -fsS --max-time 5 "$url" 2>/dev/null | tr -d '[:space:]')" || continue
    if valid_ipv4 "$ip"; then
      printf '%s\n' "$ip"
      return
    fi
  done
  die "could not detect your public IPv4 address; set DEPLOYER_IP=<your address>"
}

confirm() {
  [ "$AUTO_APPROVE" = 1 ] && return 0
  local answer=""
  printf '%s [y/N] ' "$1" >&2
  read -r answer || true
  case "$answer" in y | Y | yes | YES) return 0 ;; *) die "aborted; nothing more was changed" ;; esac
}

DEPLOYER_IP="$(detect_ip)"
if [ -n "${IMAGE_TAG:-}" ]; then
  TAG="$IMAGE_TAG"
else
  TAG="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo manual)"
  if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null || true)" ]; then
    TAG="$TAG-dirty-$(date -u +%Y%m%d%H%M%S)"
  fi
fi

TF_VARS=(-var "name=$NAME" -var "region=$REGION" -var "image_tag=$TAG")
if [ "$STACK" = ec2 ]; then
  TF_VARS+=(-var "allowed_cidr=$DEPLOYER_IP/32")
  WHO="instance open to $DEPLOYER_IP/32"
else
  CIDRS="${ALLOWED_CIDRS:-[\"$DEPLOYER_IP/32\"]}"
  TF_VARS+=(-var "allowed_cidrs=$CIDRS")
  WHO="load balancer open to $CIDRS"
fi

info "stack $STACK, account $ACCOUNT, region $REGION, name $NAME"
info "$WHO; image tag $TAG"
confirm "Create the ECR repository, build and push the image, then plan the stack?"

tf() {
  terraform -chdir="$STACK_DIR" "$@"
}

# ---- 1. repository, image -----------------------------------------------------------------------
info "terraform init"
tf init -input=false

# The repository has to exist before the image can be pushed, and the service needs the image:
# create only the repository first.
info "creating the ECR repository"
tf apply -input=false -auto-approve -target=module.app.aws_ecr_repository.app "${TF_VARS[@]}"
REPO_URL="$(aws ecr describe-repositories --region "$REGION" --repository-names "$NAME" \
  --query 'repositories[0].repositoryUri' --output text)" || die "ECR repository $NAME not found after creating it"
REGISTRY="${REPO_URL%%/*}"

info "building $REPO_URL:$TAG (linux/amd64)"
docker build --platform linux/amd64 -f deploy/docker/Dockerfile -t "$REPO_URL:$TAG" .
aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY"
docker push "$REPO_URL:$TAG"

# ---- 2. plan, confirm, apply --------------------------------------------------------------------
PLAN="$STACK_DIR/deploy.tfplan"
trap 'rm -f "$PLAN"' EXIT
tf plan -input=false -out="$PLAN" "${TF_VARS[@]}"
confirm "Apply this plan to account $ACCOUNT ($REGION)?"
tf apply -input=false "$PLAN"

# ---- 3. sample data, result ---------------------------------------------------------------------
BUCKET="$(tf output -raw bucket_name)"
if [ -d data/sample-aircraft ]; then
  info "uploading data/sample-aircraft to s3://$BUCKET/"
  aws s3 sync --region "$REGION" --only-show-errors data/sample-aircraft "s3://$BUCKET/"
fi

API_URL="$(tf output -raw api_url)"
KEY_COMMAND="$(tf output -raw api_key_command)"
ADMIN_USERNAME="$(tf output -raw admin_username)"
PASSWORD_COMMAND="$(tf output -raw admin_password_command)"
info "deployed. It can take a few minutes before the service answers (instance boot / task start)."
printf '%s\n' \
  "api_url:          $API_URL" \
  "status_endpoint:  $(tf output -raw status_endpoint)" \
  "API key:          $KEY_COMMAND" \
  "admin login:      $ADMIN_USERNAME, password: $PASSWORD_COMMAND" \
  "smoke test:       API_URL=$API_URL API_KEY=\$($KEY_COMMAND) API_USERNAME=$ADMIN_USERNAME API_PASSWORD=\$($PASSWORD_COMMAND) npm run test:deployed" \
  "tear down:        deploy/scripts/teardown.sh $STACK"
