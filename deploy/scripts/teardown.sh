#!/usr/bin/env bash
# teardown.sh STACK [-y] - destroy everything deploy.sh created for STACK (ec2 or ecs).
#
# Deletes the instance or service, the load balancer, the database (RDS keeps a final snapshot
# unless db_skip_final_snapshot=true), the cache, the data bucket with every object version, the
# ECR repository with its images, the generated secrets in SSM and the VPC.
#
# Environment:
#   AUTO_APPROVE=1       do not ask (same as -y)
#   DEPLOYER_IP=1.2.3.4  your public IPv4 address (only to satisfy the stack's variables)
#   STATEHOUSE_NAME=...  the name prefix used at deploy time (default statehouse-STACK)
#   AWS_REGION / AWS_PROFILE  as for the AWS CLI
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PROG="teardown.sh"
cd "$ROOT"

usage() {
  cat <<EOF
usage: deploy/scripts/$PROG ec2|ecs [-y]

Destroys every resource of the stack deployed by deploy/scripts/deploy.sh.
  -y, --yes   do not ask for confirmation (or AUTO_APPROVE=1)
  -h, --help  this text
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

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed or not on PATH: $2"
}
need terraform "install Terraform >= 1.6 (https://developer.hashicorp.com/terraform/install)"
need aws "install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"

ACCOUNT="$(aws sts get-caller-identity --query Account --output text 2>/dev/null)" ||
  die "no usable AWS credentials: run 'aws configure' or 'aws sso login', or set AWS_PROFILE / AWS_ACCESS_KEY_ID"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}}"
[ -n "$REGION" ] || die "no AWS region: set AWS_REGION to the region you deployed to, or run 'aws configure'"

valid_ipv4() {
  [[ "$1" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
  local octet
  for octet in "${BASH_REMATCH[@]:1}"; do
    [ "$octet" -le 255 ] || return 1
  done
}

# Destroy does not depend on the address, but the stack's variables must still validate; an
# undetectable address falls back to a documentation address instead of failing the teardown.
detect_ip() {
  if [ -n "${DEPLOYER_IP:-}" ]; then
    valid_ipv4 "$DEPLOYER_IP" || die "DEPLOYER_IP='$DEPLOYER_IP' is not an IPv4 address"
    printf '%s\n' "$DEPLOYER_IP"
    return
  fi
  local url ip
  if command -v curl >/dev/null 2>&1; then
    for url in https://checkip.amazonaws.com https://api.ipify.org https://ifconfig.me/ip; do
      ip="$(curl -4 -fsS --max-time 5 "$url" 2>/dev/null | tr -d '[:space:]')" || continue
      if valid_ipv4 "$ip"; then
        printf '%s\n' "$ip"
        return
      fi
    done
  fi
  info "could not detect your public IP; using 192.0.2.1 (irrelevant to a destroy)"
  printf '%s\n' 192.0.2.1
}

confirm() {
  [ "$AUTO_APPROVE" = 1 ] && return 0
  local answer=""
  printf '%s [y/N] ' "$1" >&2
  read -r answer || true
  case "$answer" in y | Y | yes | YES) return 0 ;; *) die "aborted; nothing was destroyed" ;; esac
}

DEPLOYER_IP="$(detect_ip)"
TF_VARS=(-var "name=$NAME" -var "region=$REGION" -var "image_tag=teardown")
if [ "$STACK" = ec2 ]; then
  TF_VARS+=(-var "allowed_cidr=$DEPLOYER_IP/32")
else
  TF_VARS+=(-var "allowed_cidrs=[\"$DEPLOYER_IP/32\"]")
fi

tf() {
  terraform -chdir="$STACK_DIR" "$@"
}

info "terraform init"
tf init -input=false

RESOURCES="$(tf state list 2>/dev/null || true)"
if [ -z "$RESOURCES" ]; then
  info "stack $STACK has no resources in its state ($STACK_DIR); nothing to destroy"
  exit 0
fi
COUNT="$(printf '%s\n' "$RESOURCES" | grep -c .)"

info "stack $STACK, account $ACCOUNT, region $REGION: $COUNT resources in state"
info "this deletes the service and ALL its data (database, bucket, images, secrets)"
confirm "Destroy stack $STACK in account $ACCOUNT ($REGION)?"

tf destroy -input=false -auto-approve "${TF_VARS[@]}"

info "stack $STACK destroyed"
if [ "$STACK" = ecs ]; then
  info "RDS kept a final snapshot (unless db_skip_final_snapshot=true); list and delete it with:"
  printf '%s\n' \
    "  aws rds describe-db-snapshots --region $REGION --snapshot-type manual --query \"DBSnapshots[?starts_with(DBSnapshotIdentifier, '$NAME-final-')].DBSnapshotIdentifier\" --output text" \
    "  aws rds delete-db-snapshot --region $REGION --db-snapshot-identifier <id>"
fi
