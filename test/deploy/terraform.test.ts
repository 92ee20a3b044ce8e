/**
 * deploy/terraform, checked offline (issue 6, acceptance 1-2): every .tf file parses, every
 * security property of SPEC §10 holds on the real tree, and every property check is shown to
 * catch a deliberately broken copy of the tree (mutations below), so none passes vacuously.
 */

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { CHECKS, loadTree, type TfTree } from './terraform-checks.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TF = path.join(ROOT, 'deploy', 'terraform')

interface Mutation {
  check: keyof typeof CHECKS
  /** What the broken copy gets wrong. */
  what: string
  /** File or directory relative to deploy/terraform. */
  file: string
  find?: RegExp
  replace?: string
  /** Replace the first of several matches (default: the pattern must match exactly once). */
  first?: boolean
  append?: string
  remove?: boolean
}

const EXTRA_LB = `
resource "aws_lb" "debug" {
  name               = "debug"
  internal           = false
  load_balancer_type = "network"
  subnets            = var.public_subnet_ids
}
`

const EXTRA_DB_RULE = `
resource "aws_vpc_security_group_ingress_rule" "office" {
  security_group_id = aws_security_group.db.id
  cidr_ipv4         = "10.0.0.0/8"
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
}
`

const EXTRA_TASK_RULE = `
resource "aws_vpc_security_group_ingress_rule" "tasks_from_vpc" {
  security_group_id = aws_security_group.tasks.id
  cidr_ipv4         = "10.0.0.0/8"
  ip_protocol       = "tcp"
  from_port         = 5000
  to_port           = 5000
}
`

const BASTION = `
resource "aws_instance" "bastion" {
  ami           = "ami-12345678"
  instance_type = "t3.micro"

  metadata_options {
    http_tokens = "required"
  }

  root_block_device {
    encrypted = true
  }
}
`

const MUTATIONS: Mutation[] = [
  { check: 'layoutComplete', what: 'the network module is missing', file: 'modules/network', remove: true },
  {
    check: 'layoutComplete',
    what: 'a module without required_providers',
    file: 'modules/cache/versions.tf',
    remove: true,
  },

  {
    check: 'imdsv2Required',
    what: 'http_tokens = "required" deleted',
    file: 'modules/ec2-app/main.tf',
    find: /\n\s*http_tokens\s*=\s*"required"/,
    replace: '',
  },
  {
    check: 'imdsv2Required',
    what: 'http_tokens = "optional"',
    file: 'modules/ec2-app/main.tf',
    find: /http_tokens\s*=\s*"required"/,
    replace: 'http_tokens = "optional"',
  },
  {
    check: 'imdsv2Required',
    what: 'no metadata_options block',
    file: 'modules/ec2-app/main.tf',
    find: /\n {2}metadata_options \{[\s\S]*?\n {2}\}\n/,
    replace: '\n',
  },
  {
    check: 'imdsv2Required',
    what: 'hop limit 3',
    file: 'modules/ec2-app/main.tf',
    find: /http_put_response_hop_limit = 2/,
    replace: 'http_put_response_hop_limit = 3',
  },

  {
    check: 'volumesEncrypted',
    what: 'unencrypted root volume',
    file: 'modules/ec2-app/main.tf',
    find: /(?<pre>root_block_device \{[\s\S]*?encrypted\s*=\s*)true/,
    replace: '$<pre>false',
  },
  {
    check: 'volumesEncrypted',
    what: 'unencrypted data volume',
    file: 'modules/ec2-app/main.tf',
    find: /(?<pre>resource "aws_ebs_volume" "data" \{[\s\S]*?encrypted\s*=\s*)true/,
    replace: '$<pre>false',
  },

  {
    check: 'databaseEncrypted',
    what: 'storage_encrypted = false',
    file: 'modules/database/main.tf',
    find: /storage_encrypted\s*=\s*true/,
    replace: 'storage_encrypted = false',
  },

  {
    check: 'databaseReachableOnlyFromApp',
    what: 'publicly_accessible = true',
    file: 'modules/database/main.tf',
    find: /publicly_accessible\s*=\s*false/,
    replace: 'publicly_accessible = true',
  },
  {
    check: 'databaseReachableOnlyFromApp',
    what: 'ingress from 0.0.0.0/0 instead of the app SG',
    file: 'modules/database/main.tf',
    find: /referenced_security_group_id\s*=\s*each\.value/,
    replace: 'cidr_ipv4 = "0.0.0.0/0"',
  },
  {
    check: 'databaseReachableOnlyFromApp',
    what: 'an extra CIDR rule',
    file: 'modules/database/main.tf',
    append: EXTRA_DB_RULE,
  },
  {
    check: 'databaseReachableOnlyFromApp',
    what: 'the stack puts RDS in public subnets',
    file: 'stacks/ecs/main.tf',
    find: /(?<pre>module "database" \{[^}]*?subnet_ids\s*=\s*module\.network\.)private_subnet_ids/,
    replace: '$<pre>public_subnet_ids',
  },
  {
    check: 'databaseReachableOnlyFromApp',
    what: 'the stack admits another SG than the app',
    file: 'stacks/ecs/main.tf',
    find: /(?<pre>module "database" \{[^}]*?allowed_security_groups\s*=\s*\{ app = )module\.app\.task_security_group_id/,
    replace: '$<pre>module.cache.security_group_id',
  },

  {
    check: 'cacheEncrypted',
    what: 'at-rest encryption off',
    file: 'modules/cache/main.tf',
    find: /at_rest_encryption_enabled\s*=\s*true/,
    replace: 'at_rest_encryption_enabled = false',
  },
  {
    check: 'cacheEncrypted',
    what: 'in-transit encryption off',
    file: 'modules/cache/main.tf',
    find: /transit_encryption_enabled\s*=\s*true/,
    replace: 'transit_encryption_enabled = false',
  },
  {
    check: 'cacheEncrypted',
    what: 'no AUTH token',
    file: 'modules/cache/main.tf',
    find: /\n\s*auth_token\s*=\s*random_password\.auth_token\.result/,
    replace: '',
  },

  {
    check: 'cacheReachableOnlyFromApp',
    what: 'ingress from 0.0.0.0/0 instead of the app SG',
    file: 'modules/cache/main.tf',
    find: /referenced_security_group_id\s*=\s*each\.value/,
    replace: 'cidr_ipv4 = "0.0.0.0/0"',
  },
  {
    check: 'cacheReachableOnlyFromApp',
    what: 'the stack puts Redis in public subnets',
    file: 'stacks/ecs/main.tf',
    find: /(?<pre>module "cache" \{[^}]*?subnet_ids\s*=\s*module\.network\.)private_subnet_ids/,
    replace: '$<pre>public_subnet_ids',
  },

  {
    check: 'cacheReachableOnlyFromApp',
    what: 'an extra CIDR rule',
    file: 'modules/cache/main.tf',
    append: EXTRA_DB_RULE.replace('aws_security_group.db.id', 'aws_security_group.cache.id').replace(/5432/g, '6379'),
  },
  {
    check: 'cacheReachableOnlyFromApp',
    what: 'the stack admits another SG than the app',
    file: 'stacks/ecs/main.tf',
    find: /(?<pre>module "cache" \{[^}]*?allowed_security_groups\s*=\s*\{ app = )module\.app\.task_security_group_id/,
    replace: '$<pre>module.database.security_group_id',
  },

  {
    check: 'privateSubnetsArePrivate',
    what: 'private subnets map public IPs',
    file: 'modules/network/main.tf',
    find: /(?<pre>resource "aws_subnet" "private" \{[\s\S]*?map_public_ip_on_launch = )false/,
    replace: '$<pre>true',
  },
  {
    check: 'privateSubnetsArePrivate',
    what: 'the private table gets an inline route to the internet gateway',
    file: 'modules/network/main.tf',
    find: /(?<pre>resource "aws_route_table" "private" \{\n\s*vpc_id = aws_vpc\.this\.id\n)/,
    replace: '$<pre>\n  route {\n    cidr_block = "0.0.0.0/0"\n    gateway_id = aws_internet_gateway.this.id\n  }\n',
  },
  {
    check: 'privateSubnetsArePrivate',
    what: 'an aws_route from the private table to the internet gateway',
    file: 'modules/network/main.tf',
    append:
      '\nresource "aws_route" "private_igw" {\n  route_table_id         = aws_route_table.private.id\n  destination_cidr_block = "0.0.0.0/0"\n  gateway_id             = aws_internet_gateway.this.id\n}\n',
  },
  {
    check: 'privateSubnetsArePrivate',
    what: 'private subnets associated with the public table',
    file: 'modules/network/main.tf',
    find: /(?<pre>subnet_id(?<sp>\s*)= aws_subnet\.private\[count\.index\]\.id\n\s*route_table_id\s*=\s*)aws_route_table\.private\.id/,
    replace: '$<pre>aws_route_table.public.id',
  },
  {
    check: 'privateSubnetsArePrivate',
    what: 'the private_subnet_ids output returns the public subnets',
    file: 'modules/network/outputs.tf',
    find: /aws_subnet\.private\[\*\]\.id/,
    replace: 'aws_subnet.public[*].id',
  },
  {
    check: 'privateSubnetsArePrivate',
    what: 'private subnets without an association (the main table)',
    file: 'modules/network/main.tf',
    find: /\nresource "aws_route_table_association" "private" \{[\s\S]*?\n\}\n/,
    replace: '\n',
  },

  {
    check: 'bucketVersioned',
    what: 'versioning suspended',
    file: 'modules/data-bucket/main.tf',
    find: /(?<pre>versioning_configuration \{\s*status\s*=\s*)"Enabled"/,
    replace: '$<pre>"Suspended"',
  },
  {
    check: 'bucketVersioned',
    what: 'versioning resource on another bucket',
    file: 'modules/data-bucket/main.tf',
    find: /(?<pre>resource "aws_s3_bucket_versioning" "this" \{\s*bucket\s*=\s*)aws_s3_bucket\.this\.id/,
    replace: '$<pre>"some-other-bucket"',
  },

  {
    check: 'bucketPublicAccessBlocked',
    what: 'block_public_acls = false',
    file: 'modules/data-bucket/main.tf',
    find: /block_public_acls(?<sp>\s*)= true/,
    replace: 'block_public_acls$<sp>= false',
  },
  {
    check: 'bucketPublicAccessBlocked',
    what: 'block_public_policy = false',
    file: 'modules/data-bucket/main.tf',
    find: /block_public_policy(?<sp>\s*)= true/,
    replace: 'block_public_policy$<sp>= false',
  },
  {
    check: 'bucketPublicAccessBlocked',
    what: 'ignore_public_acls = false',
    file: 'modules/data-bucket/main.tf',
    find: /ignore_public_acls(?<sp>\s*)= true/,
    replace: 'ignore_public_acls$<sp>= false',
  },
  {
    check: 'bucketPublicAccessBlocked',
    what: 'restrict_public_buckets = false',
    file: 'modules/data-bucket/main.tf',
    find: /restrict_public_buckets(?<sp>\s*)= true/,
    replace: 'restrict_public_buckets$<sp>= false',
  },

  {
    check: 'bucketEncrypted',
    what: 'no default encryption algorithm',
    file: 'modules/data-bucket/main.tf',
    find: /sse_algorithm = "AES256"/,
    replace: 'sse_algorithm = "none"',
  },
  {
    check: 'bucketEncrypted',
    what: 'bucket policy no longer about TLS',
    file: 'modules/data-bucket/main.tf',
    find: /variable = "aws:SecureTransport"/,
    replace: 'variable = "aws:SourceIp"',
  },

  {
    check: 'bucketReadOnlyForApp',
    what: 's3:PutObject in the read policy',
    file: 'modules/data-bucket/main.tf',
    find: /"s3:GetObject",/,
    replace: '"s3:GetObject", "s3:PutObject",',
  },
  {
    check: 'bucketReadOnlyForApp',
    what: 's3:* in the read policy',
    file: 'modules/data-bucket/main.tf',
    find: /\["s3:ListBucket", "s3:GetBucketLocation"\]/,
    replace: '["s3:*"]',
  },
  {
    check: 'bucketReadOnlyForApp',
    what: 'the EC2 stack does not hand over the app role',
    file: 'stacks/ec2/main.tf',
    find: /reader_roles = \{ app = module\.app\.role_name \}/,
    replace: 'reader_roles = { app = "someone-else" }',
  },
  {
    check: 'bucketReadOnlyForApp',
    what: 'the ECS execution role may delete objects',
    file: 'modules/ecs-service/main.tf',
    find: /\["ssm:GetParameters", "secretsmanager:GetSecretValue"\]/,
    replace: '["ssm:GetParameters", "secretsmanager:GetSecretValue", "s3:DeleteObject"]',
  },
  {
    check: 'bucketReadOnlyForApp',
    what: 'an inline jsonencode policy that cannot be checked',
    file: 'modules/ec2-app/main.tf',
    find: /policy\s*=\s*data\.aws_iam_policy_document\.app\.json/,
    replace: 'policy = jsonencode({ Statement = [] })',
  },

  {
    check: 'ec2IngressOnlyFromDeployer',
    what: 'HTTP open to 0.0.0.0/0',
    file: 'modules/ec2-app/main.tf',
    find: /cidr_ipv4\s*=\s*var\.allowed_cidr/,
    replace: 'cidr_ipv4 = "0.0.0.0/0"',
  },
  {
    check: 'ec2IngressOnlyFromDeployer',
    what: 'SSH instead of HTTP',
    file: 'modules/ec2-app/main.tf',
    find: /from_port(?<a>\s*)= 80\n(?<b>\s*)to_port(?<c>\s*)= 80/,
    replace: 'from_port$<a>= 22\n$<b>to_port$<c>= 22',
  },
  {
    check: 'ec2IngressOnlyFromDeployer',
    what: 'module variable no longer requires /32',
    file: 'modules/ec2-app/variables.tf',
    find: / && endswith\(var\.allowed_cidr, "\/32"\)/,
    replace: '',
  },
  {
    check: 'ec2IngressOnlyFromDeployer',
    what: 'stack variable no longer requires /32',
    file: 'stacks/ec2/variables.tf',
    find: / && endswith\(var\.allowed_cidr, "\/32"\)/,
    replace: '',
  },
  {
    check: 'ec2IngressOnlyFromDeployer',
    what: 'the stack passes a fixed CIDR',
    file: 'stacks/ec2/main.tf',
    find: /allowed_cidr(?<sp>\s*)= var\.allowed_cidr/,
    replace: 'allowed_cidr$<sp>= "198.51.100.0/32"',
  },

  {
    check: 'ecsAlbOnlyPublicListener',
    what: 'a second public load balancer',
    file: 'modules/ecs-service/main.tf',
    append: EXTRA_LB,
  },
  {
    check: 'ecsAlbOnlyPublicListener',
    what: 'a listener on port 8080',
    file: 'modules/ecs-service/main.tf',
    find: /(?<pre>resource "aws_lb_listener" "http" \{[\s\S]*?port\s*=\s*)80/,
    replace: '$<pre>8080',
  },
  {
    check: 'ecsAlbOnlyPublicListener',
    what: 'ALB open to 0.0.0.0/0 regardless of allowed_cidrs',
    file: 'modules/ecs-service/main.tf',
    find: /cidr_ipv4(?<sp>\s*)= each\.value/,
    replace: 'cidr_ipv4$<sp>= "0.0.0.0/0"',
    first: true,
  },
  {
    check: 'ecsAlbOnlyPublicListener',
    what: 'a bastion instance in the ECS stack',
    file: 'stacks/ecs/main.tf',
    append: BASTION,
  },

  {
    check: 'ecsAlbKeepsStreamsOpen',
    what: 'an ALB idle timeout under the SSE heartbeat',
    file: 'modules/ecs-service/main.tf',
    find: /idle_timeout = 120/,
    replace: 'idle_timeout = 10',
  },
  {
    check: 'ecsTasksOnlyFromAlb',
    what: 'tasks open to 0.0.0.0/0',
    file: 'modules/ecs-service/main.tf',
    find: /referenced_security_group_id\s*=\s*aws_security_group\.alb\.id/,
    replace: 'cidr_ipv4 = "0.0.0.0/0"',
  },
  {
    check: 'ecsTasksOnlyFromAlb',
    what: 'tasks admit their own group',
    file: 'modules/ecs-service/main.tf',
    find: /referenced_security_group_id\s*=\s*aws_security_group\.alb\.id/,
    replace: 'referenced_security_group_id = aws_security_group.tasks.id',
  },
  {
    check: 'ecsTasksOnlyFromAlb',
    what: 'an extra CIDR rule on the tasks',
    file: 'modules/ecs-service/main.tf',
    append: EXTRA_TASK_RULE,
  },

  {
    check: 'ecsTasksPrivate',
    what: 'assign_public_ip = true',
    file: 'modules/ecs-service/main.tf',
    find: /assign_public_ip\s*=\s*false/,
    replace: 'assign_public_ip = true',
  },
  {
    check: 'ecsTasksPrivate',
    what: 'tasks in the public subnets',
    file: 'modules/ecs-service/main.tf',
    find: /subnets(?<sp>\s*)= var\.private_subnet_ids/,
    replace: 'subnets$<sp>= var.public_subnet_ids',
  },
  {
    check: 'ecsTasksPrivate',
    what: 'the stack passes public subnets as private',
    file: 'stacks/ecs/main.tf',
    find: /private_subnet_ids = module\.network\.private_subnet_ids/,
    replace: 'private_subnet_ids = module.network.public_subnet_ids',
  },

  {
    check: 'ecsSecretsAreReferences',
    what: 'API_KEY value instead of its ARN',
    file: 'stacks/ecs/main.tf',
    find: /API_KEY(?<sp>\s*)= aws_ssm_parameter\.api_key\.arn/,
    replace: 'API_KEY$<sp>= random_password.api_key.result',
  },
  {
    check: 'ecsSecretsAreReferences',
    what: 'a secret in plain environment',
    file: 'stacks/ecs/main.tf',
    find: /(?<pre>environment = \{\n)/,
    replace: '$<pre>    JWT_SECRET_PLAIN = "hunter2"\n',
  },
  {
    check: 'ecsSecretsAreReferences',
    what: 'DB_PASSWORD no longer passed as a secret',
    file: 'stacks/ecs/main.tf',
    find: /\n\s*DB_PASSWORD\s*=\s*"\$\{module\.database\.master_user_secret_arn\}:password::"/,
    replace: '',
  },
  {
    check: 'ecsSecretsAreReferences',
    what: 'the container environment includes var.secrets',
    file: 'modules/ecs-service/main.tf',
    find: /for k, v in var\.environment :/,
    replace: 'for k, v in merge(var.environment, var.secrets) :',
  },
  {
    check: 'ecsSecretsAreReferences',
    what: 'an inline container definition',
    file: 'modules/ecs-service/main.tf',
    find: /jsonencode\(\[local\.container\]\)/,
    replace: 'jsonencode([{ name = "app", image = local.image }])',
  },
  {
    check: 'ecsSecretsAreReferences',
    what: 'the environment variable accepts secret names',
    file: 'modules/ecs-service/variables.tf',
    find: /!can\(regex\("\(KEY\|SECRET\|PASSWORD\|TOKEN\)", upper\(k\)\)\)/,
    replace: 'true',
  },

  {
    check: 'ec2SecretsFromParameterStore',
    what: 'SecureStrings read without decryption',
    file: 'modules/ec2-app/user-data.sh.tftpl',
    find: /--with-decryption /,
    replace: '',
  },
  {
    check: 'ec2SecretsFromParameterStore',
    what: 'API_KEY value instead of its ARN',
    file: 'stacks/ec2/main.tf',
    find: /API_KEY(?<sp>\s*)= aws_ssm_parameter\.api_key\.arn/,
    replace: 'API_KEY$<sp>= random_password.api_key.result',
  },
  {
    check: 'ec2SecretsFromParameterStore',
    what: 'a password in plain environment',
    file: 'stacks/ec2/main.tf',
    find: /(?<pre>environment = \{\n)/,
    replace: '$<pre>    ADMIN_PASSWORD_PLAIN = "hunter2"\n',
  },
  {
    check: 'ec2SecretsFromParameterStore',
    what: 'user_data not given the parameters',
    file: 'modules/ec2-app/main.tf',
    find: /secret_parameters(?<sp>\s*)= var\.secret_parameters/,
    replace: 'secret_parameters$<sp>= {}',
  },

  {
    check: 'generatedSecretsOnlyInParameterStore',
    what: 'a plain String parameter',
    file: 'stacks/ecs/main.tf',
    find: /type(?<sp>\s*)= "SecureString"/,
    replace: 'type$<sp>= "String"',
    first: true,
  },
  {
    check: 'generatedSecretsOnlyInParameterStore',
    what: 'REDIS_URL as a plain String',
    file: 'modules/cache/main.tf',
    find: /type(?<sp>\s*)= "SecureString"/,
    replace: 'type$<sp>= "String"',
  },
  {
    check: 'generatedSecretsOnlyInParameterStore',
    what: 'the API key as an output',
    file: 'stacks/ec2/outputs.tf',
    append: '\noutput "api_key" {\n  value     = random_password.api_key.result\n  sensitive = true\n}\n',
  },

  {
    check: 'proxyTrustMatchesTopology',
    what: 'ECS trusts every X-Forwarded-For hop',
    file: 'stacks/ecs/main.tf',
    find: /TRUST_PROXY(?<sp>\s*)= "1"/,
    replace: 'TRUST_PROXY$<sp>= "true"',
  },
  {
    check: 'proxyTrustMatchesTopology',
    what: 'ECS sets no TRUST_PROXY',
    file: 'stacks/ecs/main.tf',
    find: /\n\s*TRUST_PROXY\s*= "1"/,
    replace: '',
  },
  {
    check: 'proxyTrustMatchesTopology',
    what: 'EC2 (no proxy) trusts X-Forwarded-For',
    file: 'stacks/ec2/main.tf',
    find: /TRUST_PROXY(?<sp>\s*)= "false"/,
    replace: 'TRUST_PROXY$<sp>= "true"',
  },

  {
    check: 'containersListenOnAllInterfaces',
    what: 'ECS sets no HOST',
    file: 'stacks/ecs/main.tf',
    find: /\n\s*HOST\s*= "0\.0\.0\.0"/,
    replace: '',
  },
  {
    check: 'containersListenOnAllInterfaces',
    what: 'EC2 listens on loopback',
    file: 'stacks/ec2/main.tf',
    find: /HOST(?<sp>\s*)= "0\.0\.0\.0"/,
    replace: 'HOST$<sp>= "127.0.0.1"',
  },
  {
    check: 'containersListenOnAllInterfaces',
    what: 'the user data drops the environment',
    file: 'modules/ec2-app/user-data.sh.tftpl',
    find: /\$\{key\}=\$\{value\}\n/,
    replace: '',
  },

  {
    check: 'variablesValidated',
    what: 'a stack variable loses its validation',
    file: 'stacks/ecs/variables.tf',
    find: /(?<pre>variable "desired_count" \{[\s\S]*?)\n {2}validation \{[\s\S]*?\n {2}\}\n/,
    replace: '$<pre>\n',
  },
  {
    check: 'variablesValidated',
    what: 'a module variable loses its validation',
    file: 'modules/network/variables.tf',
    find: /(?<pre>variable "cidr_block" \{[\s\S]*?)\n {2}validation \{[\s\S]*?\n {2}\}\n/,
    replace: '$<pre>\n',
  },
  {
    check: 'variablesValidated',
    what: 'a new unvalidated stack variable',
    file: 'stacks/ec2/variables.tf',
    append: '\nvariable "extra" {\n  type    = string\n  default = ""\n}\n',
  },

  {
    check: 'stackOutputs',
    what: 'status_endpoint renamed',
    file: 'stacks/ec2/outputs.tf',
    find: /output "status_endpoint"/,
    replace: 'output "status_url"',
  },
  {
    check: 'stackOutputs',
    what: 'api_url renamed',
    file: 'stacks/ecs/outputs.tf',
    find: /output "api_url"/,
    replace: 'output "url"',
  },
  {
    check: 'stackOutputs',
    what: 'status_endpoint points at /health',
    file: 'stacks/ecs/outputs.tf',
    find: /\}\/status"/,
    replace: '}/health"',
  },

  {
    check: 'moduleInputsDeclared',
    what: 'an argument the module does not declare',
    file: 'stacks/ec2/main.tf',
    find: /(?<pre>module "app" \{\n\s*source\s*=\s*"[^"]+"\n)/,
    replace: '$<pre>  bogus_input = 1\n',
  },
  {
    check: 'moduleInputsDeclared',
    what: 'a required argument left out',
    file: 'stacks/ecs/main.tf',
    find: /(?<pre>module "cache" \{[^}]*?)\n\s*vpc_id\s*=\s*module\.network\.vpc_id/,
    replace: '$<pre>',
  },
  {
    check: 'moduleInputsDeclared',
    what: 'a source that is not a module',
    file: 'stacks/ecs/main.tf',
    find: /"\.\.\/\.\.\/modules\/cache"/,
    replace: '"../../modules/redis"',
  },

  {
    check: 'moduleOutputsDeclared',
    what: 'an output the module does not declare',
    file: 'stacks/ecs/main.tf',
    find: /module\.database\.master_user_secret_arn/,
    replace: 'module.database.password_secret_arn',
  },
  {
    check: 'moduleOutputsDeclared',
    what: 'a module that is not called',
    file: 'stacks/ec2/outputs.tf',
    find: /module\.app\.instance_id/,
    replace: 'module.server.instance_id',
  },

  {
    check: 'referencesResolve',
    what: 'an undeclared variable',
    file: 'modules/ecs-service/main.tf',
    find: /var\.log_retention_days/,
    replace: 'var.log_retention',
  },
  {
    check: 'referencesResolve',
    what: 'an undeclared resource',
    file: 'modules/network/main.tf',
    find: /aws_internet_gateway\.this\.id/,
    replace: 'aws_internet_gateway.main.id',
    first: true,
  },
  {
    check: 'referencesResolve',
    what: 'an undeclared local',
    file: 'modules/ecs-service/main.tf',
    find: /image(?<sp>\s*)= local\.image/,
    replace: 'image$<sp>= local.img',
    first: true,
  },
]

function copyTree(): string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-tf-'))
  fs.cpSync(TF, tmp, { recursive: true, filter: (src) => !/[/\\]\.terraform([/\\]|$)|\.tfstate/.test(src) })
  return tmp
}

function applyMutation(root: string, m: Mutation): void {
  const target = path.join(root, m.file)
  assert.ok(fs.existsSync(target), `mutation target ${m.file} does not exist`)
  if (m.remove) {
    fs.rmSync(target, { recursive: true, force: true })
    return
  }
  const before = fs.readFileSync(target, 'utf8')
  let after = before
  if (m.append !== undefined) after = before + m.append
  if (m.find) {
    const matches =
      before.match(new RegExp(m.find.source, m.find.flags.includes('g') ? m.find.flags : m.find.flags + 'g')) ?? []
    if (m.first) assert.ok(matches.length >= 1, `${m.file}: ${m.find} does not match (mutation "${m.what}" is stale)`)
    else assert.equal(matches.length, 1, `${m.file}: ${m.find} must match exactly once (mutation "${m.what}")`)
    after = before.replace(m.find, m.replace ?? '')
  }
  assert.notEqual(after, before, `mutation "${m.what}" changed nothing`)
  fs.writeFileSync(target, after)
}

describe('deploy/terraform: the real tree', () => {
  let tree: TfTree
  before(async () => {
    tree = await loadTree(TF)
  })

  it('parses every .tf file of every module and stack', () => {
    const files = [...tree.dirs.values()].flatMap((d) => d.files.map((f) => f.rel))
    for (const f of [
      'stacks/ec2/main.tf',
      'stacks/ecs/main.tf',
      'modules/ec2-app/main.tf',
      'modules/ecs-service/main.tf',
    ])
      assert.ok(files.includes(f), `${f} was not parsed`)
    assert.ok(files.length >= 20, `only ${files.length} .tf files parsed`)
  })

  for (const [name, check] of Object.entries(CHECKS)) {
    it(`${name} holds`, () => {
      assert.deepEqual(check(tree), [])
    })
  }

  it('every check is exercised by at least one mutation', () => {
    const exercised = new Set(MUTATIONS.map((m) => m.check))
    assert.deepEqual(
      Object.keys(CHECKS).filter((c) => !exercised.has(c as keyof typeof CHECKS)),
      [],
    )
  })
})

describe('deploy/terraform: each check catches a broken copy', () => {
  const temps: string[] = []
  after(() => {
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true })
  })

  for (const m of MUTATIONS) {
    it(`${m.check} catches: ${m.what}`, async () => {
      const tmp = copyTree()
      temps.push(tmp)
      applyMutation(tmp, m)
      const broken = await loadTree(tmp)
      const violations = CHECKS[m.check]!(broken)
      assert.ok(violations.length > 0, `${m.check} reported nothing for: ${m.what} (${m.file})`)
    })
  }
})

describe('deploy/terraform: terraform fmt', () => {
  const probe = spawnSync('terraform', ['version'], { encoding: 'utf8' })
  const missing = probe.error !== undefined
  if (missing) console.warn('*** terraform is not installed: skipping the terraform fmt -check tests ***')

  it('terraform fmt -check -recursive passes', { skip: missing && 'terraform not installed' }, () => {
    const r = spawnSync('terraform', ['fmt', '-check', '-recursive', TF], { encoding: 'utf8' })
    assert.equal(r.status, 0, `terraform fmt would rewrite:\n${r.stdout}${r.stderr}`)
  })

  it('terraform fmt -check fails on a badly formatted copy', { skip: missing && 'terraform not installed' }, () => {
    const tmp = copyTree()
    try {
      const file = path.join(tmp, 'stacks/ecs/main.tf')
      fs.writeFileSync(
        file,
        fs
          .readFileSync(file, 'utf8')
          .replace(/source = "\.\.\/\.\.\/modules\/network"/, 'source="../../modules/network"'),
      )
      const r = spawnSync('terraform', ['fmt', '-check', '-recursive', tmp], { encoding: 'utf8' })
      assert.notEqual(r.status, 0)
      assert.match(r.stdout, /main\.tf/)
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  })
})
