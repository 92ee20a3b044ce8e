/**
 * Static checks of deploy/terraform (SPEC §10, issue 6). Providers cannot be downloaded here, so
 * `terraform validate` is out of reach; instead every .tf file is parsed with @cdktf/hcl2json and
 * each security property is a named function returning its violations (empty = holds). The test
 * runs every check on the real tree (expecting none) and on deliberately broken copies (expecting
 * the broken property to be reported), so no check can pass vacuously.
 *
 * hcl2json's shape: blocks become arrays of objects (`metadata_options: [{...}]`), expressions
 * become strings wrapped in `${...}` (`"${var.allowed_cidr}"`), literals stay JSON literals.
 */
import fs from 'node:fs'
import path from 'node:path'
import { parse } from '@cdktf/hcl2json'

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }
export type Obj = { [key: string]: Json }

export interface TfFile {
  /** Path relative to the terraform root, with forward slashes. */
  rel: string
  json: Obj
}

export interface TfDir {
  /** Directory relative to the terraform root, e.g. `modules/ec2-app`. */
  dir: string
  files: TfFile[]
  /** Raw text of every file in the directory (templates included), by file name. */
  texts: Map<string, string>
}

export interface TfTree {
  root: string
  dirs: Map<string, TfDir>
}

export type Check = (tree: TfTree) => string[]

export const MODULES = ['network', 'ec2-app', 'ecs-service', 'database', 'data-bucket', 'cache'] as const
export const STACKS = ['ec2', 'ecs'] as const

/** Parses every .tf file under `root` (skipping .terraform/). Throws on a syntax error. */
export async function loadTree(root: string): Promise<TfTree> {
  const dirs = new Map<string, TfDir>()
  const walk = async (abs: string): Promise<void> => {
    const entries = fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
    const rel = path.relative(root, abs).split(path.sep).join('/')
    const dir: TfDir = { dir: rel, files: [], texts: new Map() }
    for (const e of entries) {
      const file = path.join(abs, e.name)
      if (e.isDirectory()) {
        if (e.name !== '.terraform') await walk(file)
        continue
      }
      const text = fs.readFileSync(file, 'utf8')
      dir.texts.set(e.name, text)
      if (!e.name.endsWith('.tf')) continue
      const fileRel = rel ? `${rel}/${e.name}` : e.name
      let json: Record<string, unknown>
      try {
        json = await parse(fileRel, text)
      } catch (err) {
        throw new Error(`${fileRel}: HCL parse error: ${String(err)}`)
      }
      dir.files.push({ rel: fileRel, json: json as Obj })
    }
    if (dir.files.length > 0) dirs.set(rel, dir)
  }
  await walk(root)
  return { root, dirs }
}

// ---- small accessors ------------------------------------------------------------------------------

export function isObj(x: Json | undefined): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

function list(x: Json | undefined): Json[] {
  if (x === undefined || x === null) return []
  return Array.isArray(x) ? x : [x]
}

/** A nested block (hcl2json makes every block an array); the first one. */
function block(body: Obj, key: string): Obj | undefined {
  return blocks(body, key)[0]
}

function blocks(body: Obj, key: string): Obj[] {
  return list(body[key]).filter(isObj)
}

function strings(x: Json | undefined): string[] {
  return list(x).filter((v): v is string => typeof v === 'string')
}

export interface Named {
  name: string
  body: Obj
  file: string
}

export function resources(dir: TfDir | undefined, type: string, kind: 'resource' | 'data' = 'resource'): Named[] {
  const out: Named[] = []
  for (const f of dir?.files ?? []) {
    for (const byType of list(f.json[kind]).filter(isObj)) {
      const byName = byType[type]
      if (!isObj(byName)) continue
      for (const [name, bodies] of Object.entries(byName)) {
        for (const body of list(bodies).filter(isObj)) out.push({ name, body, file: f.rel })
      }
    }
  }
  return out
}

function allResourceTypes(dir: TfDir, kind: 'resource' | 'data'): string[] {
  const types = new Set<string>()
  for (const f of dir.files)
    for (const byType of list(f.json[kind]).filter(isObj)) for (const t of Object.keys(byType)) types.add(t)
  return [...types]
}

function named(dir: TfDir | undefined, kind: 'module' | 'variable' | 'output'): Named[] {
  const out: Named[] = []
  for (const f of dir?.files ?? []) {
    for (const byName of list(f.json[kind]).filter(isObj)) {
      for (const [name, bodies] of Object.entries(byName)) {
        for (const body of list(bodies).filter(isObj)) out.push({ name, body, file: f.rel })
      }
    }
  }
  return out
}

export const moduleCalls = (dir: TfDir | undefined) => named(dir, 'module')
export const variables = (dir: TfDir | undefined) => named(dir, 'variable')
export const outputs = (dir: TfDir | undefined) => named(dir, 'output')

export function locals(dir: TfDir | undefined): Obj {
  const out: Obj = {}
  for (const f of dir?.files ?? []) for (const l of list(f.json.locals).filter(isObj)) Object.assign(out, l)
  return out
}

/** Directory (relative to the terraform root) a module call's `source` points at. */
function sourceDir(stackDir: string, call: Named): string | undefined {
  const source = call.body.source
  if (typeof source !== 'string' || !source.startsWith('.')) return undefined
  return path.posix.normalize(path.posix.join(stackDir, source))
}

/** The calls in `stackDir` to the module in `moduleDir`. */
function callsTo(tree: TfTree, stackDir: string, moduleDir: string): Named[] {
  return moduleCalls(tree.dirs.get(stackDir)).filter((c) => sourceDir(stackDir, c) === moduleDir)
}

/** Names of local security groups in `${aws_security_group.NAME.id}` references. */
function sgNames(value: Json | undefined): string[] {
  return strings(value).flatMap((s) =>
    [...s.matchAll(/\baws_security_group\.([\w-]+)\.id\b/g)].map((m) => m[1] as string),
  )
}

interface Ingress {
  where: string
  cidrs: string[]
  groups: string[]
  prefixLists: string[]
  self: boolean
  fromPort: Json | undefined
  toPort: Json | undefined
  forEach: string
}

/** Every ingress rule of security group `sg` in `dir`: inline blocks and the two rule resources. */
function ingressOf(dir: TfDir, sg: string): Ingress[] {
  const out: Ingress[] = []
  const sgRef = `\${aws_security_group.${sg}.id}`
  for (const g of resources(dir, 'aws_security_group').filter((r) => r.name === sg)) {
    for (const b of blocks(g.body, 'ingress')) {
      out.push({
        where: `aws_security_group.${sg} inline ingress`,
        cidrs: [...strings(b.cidr_blocks), ...strings(b.ipv6_cidr_blocks)],
        groups: strings(b.security_groups),
        prefixLists: strings(b.prefix_list_ids),
        self: b.self === true,
        fromPort: b.from_port,
        toPort: b.to_port,
        forEach: '',
      })
    }
  }
  for (const r of resources(dir, 'aws_vpc_security_group_ingress_rule')) {
    if (r.body.security_group_id !== sgRef) continue
    out.push({
      where: `aws_vpc_security_group_ingress_rule.${r.name}`,
      cidrs: [...strings(r.body.cidr_ipv4), ...strings(r.body.cidr_ipv6)],
      groups: strings(r.body.referenced_security_group_id),
      prefixLists: strings(r.body.prefix_list_id),
      self: false,
      fromPort: r.body.from_port,
      toPort: r.body.to_port,
      forEach: typeof r.body.for_each === 'string' ? r.body.for_each : '',
    })
  }
  for (const r of resources(dir, 'aws_security_group_rule')) {
    if (r.body.security_group_id !== sgRef || r.body.type !== 'ingress') continue
    out.push({
      where: `aws_security_group_rule.${r.name}`,
      cidrs: [...strings(r.body.cidr_blocks), ...strings(r.body.ipv6_cidr_blocks)],
      groups: strings(r.body.source_security_group_id),
      prefixLists: strings(r.body.prefix_list_ids),
      self: r.body.self === true,
      fromPort: r.body.from_port,
      toPort: r.body.to_port,
      forEach: typeof r.body.for_each === 'string' ? r.body.for_each : '',
    })
  }
  return out
}

function validationConditions(v: Named): string[] {
  return blocks(v.body, 'validation').map((b) => (typeof b.condition === 'string' ? b.condition : ''))
}

function variableNamed(dir: TfDir | undefined, name: string): Named | undefined {
  return variables(dir).find((v) => v.name === name)
}

function dirOrViolation(tree: TfTree, rel: string, v: string[]): TfDir | undefined {
  const dir = tree.dirs.get(rel)
  if (!dir) v.push(`${rel}: directory missing or without .tf files`)
  return dir
}

/** Calls every `fn(string, path)` for each string value anywhere under `x`. */
function eachString(x: Json | undefined, at: string, fn: (s: string, at: string) => void): void {
  if (typeof x === 'string') fn(x, at)
  else if (Array.isArray(x)) for (const [i, v] of x.entries()) eachString(v, `${at}[${i}]`, fn)
  else if (isObj(x)) for (const [k, v] of Object.entries(x)) eachString(v, at ? `${at}.${k}` : k, fn)
}

const SECRET_NAME = /KEY|SECRET|PASSWORD|TOKEN/i
/** An expression that is an ARN reference (SSM parameter or any *arn output), optionally with a JSON key suffix. */
const ARN_REFERENCE =
  /^\$\{(aws_ssm_parameter\.[\w-]+\.arn|aws_secretsmanager_secret\.[\w-]+\.arn|module\.[\w-]+\.[\w-]*arn)\}(:[\w-]*::)?$/
const S3_READ_ONLY = new Set([
  's3:GetObject',
  's3:GetObjectVersion',
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:GetBucketLocation',
])

// ---- checks ---------------------------------------------------------------------------------------

/** Every EC2 instance (and launch template) requires IMDSv2 session tokens. */
export function imdsv2Required(tree: TfTree): string[] {
  const v: string[] = []
  let instances = 0
  for (const dir of tree.dirs.values()) {
    for (const type of ['aws_instance', 'aws_launch_template']) {
      for (const r of resources(dir, type)) {
        if (type === 'aws_instance') instances++
        const where = `${r.file}: ${type}.${r.name}`
        const mo = block(r.body, 'metadata_options')
        if (!mo) {
          v.push(`${where}: no metadata_options block (IMDSv1 would be allowed)`)
          continue
        }
        if (mo.http_tokens !== 'required')
          v.push(`${where}: metadata_options.http_tokens is ${JSON.stringify(mo.http_tokens)}, not "required"`)
        const hops = mo.http_put_response_hop_limit
        if (typeof hops === 'number' && hops > 2)
          v.push(`${where}: http_put_response_hop_limit ${hops} lets IMDS answers travel past the container`)
      }
    }
  }
  if (instances === 0) v.push('no aws_instance anywhere: modules/ec2-app must define the instance')
  return v
}

/** Root volumes, extra EBS volumes and EBS block devices are encrypted. */
export function volumesEncrypted(tree: TfTree): string[] {
  const v: string[] = []
  let instances = 0
  for (const dir of tree.dirs.values()) {
    for (const r of resources(dir, 'aws_instance')) {
      instances++
      const where = `${r.file}: aws_instance.${r.name}`
      const root = block(r.body, 'root_block_device')
      if (!root) v.push(`${where}: no root_block_device (the AMI's default may be unencrypted)`)
      else if (root.encrypted !== true)
        v.push(`${where}: root_block_device.encrypted is ${JSON.stringify(root.encrypted)}, not true`)
      for (const b of blocks(r.body, 'ebs_block_device')) {
        if (b.encrypted !== true) v.push(`${where}: an ebs_block_device is not encrypted`)
      }
    }
    for (const r of resources(dir, 'aws_ebs_volume')) {
      if (r.body.encrypted !== true)
        v.push(`${r.file}: aws_ebs_volume.${r.name}: encrypted is ${JSON.stringify(r.body.encrypted)}, not true`)
    }
  }
  if (instances === 0) v.push('no aws_instance anywhere to check')
  return v
}

/** RDS storage is encrypted. */
export function databaseEncrypted(tree: TfTree): string[] {
  const v: string[] = []
  let n = 0
  for (const dir of tree.dirs.values()) {
    for (const type of ['aws_db_instance', 'aws_rds_cluster']) {
      for (const r of resources(dir, type)) {
        n++
        if (r.body.storage_encrypted !== true)
          v.push(
            `${r.file}: ${type}.${r.name}: storage_encrypted is ${JSON.stringify(r.body.storage_encrypted)}, not true`,
          )
      }
    }
  }
  if (n === 0) v.push('no aws_db_instance anywhere: modules/database must define it')
  return v
}

interface DataStoreShape {
  module: string
  resourceType: string
  securityGroupsAttr: string
  subnetGroupAttr: string
  subnetGroupType: string
  /** Attribute that must be explicitly false, if the resource has one. */
  publicAttr?: string
}

/**
 * A data store (RDS, ElastiCache) is private and reachable only from the app: not publicly
 * accessible, in a subnet group built from the caller's subnets (which every stack fills with the
 * private ones), and its security groups admit only the caller-named security groups (every stack
 * names the app's), never a CIDR.
 */
function reachableOnlyFromApp(tree: TfTree, s: DataStoreShape): string[] {
  const v: string[] = []
  const moduleDir = `modules/${s.module}`
  const dir = dirOrViolation(tree, moduleDir, v)
  if (!dir) return v
  const stores = resources(dir, s.resourceType)
  if (stores.length === 0) v.push(`${moduleDir}: no ${s.resourceType}`)
  for (const r of stores) {
    const where = `${r.file}: ${s.resourceType}.${r.name}`
    if (s.publicAttr && r.body[s.publicAttr] !== false)
      v.push(`${where}: ${s.publicAttr} must be set to false (is ${JSON.stringify(r.body[s.publicAttr])})`)
    const groupRef = strings(r.body[s.subnetGroupAttr])[0] ?? ''
    const groupName = new RegExp(`^\\$\\{${s.subnetGroupType}\\.([\\w-]+)\\.(name|id)\\}$`).exec(groupRef)?.[1]
    const group = resources(dir, s.subnetGroupType).find((g) => g.name === groupName)
    if (!group) v.push(`${where}: ${s.subnetGroupAttr} does not name a ${s.subnetGroupType} of this module`)
    else if (!/^\$\{var\.[\w-]+\}$/.test(String(group.body.subnet_ids)))
      v.push(`${where}: the subnet group's subnet_ids do not come from a variable`)
    const sgs = sgNames(r.body[s.securityGroupsAttr])
    if (sgs.length === 0 || sgs.length !== strings(r.body[s.securityGroupsAttr]).length) {
      v.push(`${where}: ${s.securityGroupsAttr} must list only this module's own security groups`)
    }
    for (const sg of sgs) {
      const rules = ingressOf(dir, sg)
      if (rules.length === 0)
        v.push(`${where}: security group ${sg} has no ingress rule at all (nothing could connect)`)
      for (const rule of rules) {
        if (rule.cidrs.length > 0) v.push(`${where}: ${rule.where} admits CIDR ${rule.cidrs.join(', ')}`)
        if (rule.prefixLists.length > 0) v.push(`${where}: ${rule.where} admits a prefix list`)
        if (rule.self) v.push(`${where}: ${rule.where} admits its own group (self)`)
        if (rule.groups.length === 0) v.push(`${where}: ${rule.where} names no source security group`)
        for (const g of rule.groups) {
          const fromCaller =
            /^\$\{var\.[\w-]+\}$/.test(g) || (g === '${each.value}' && /var\.[\w-]+/.test(rule.forEach))
          if (!fromCaller) v.push(`${where}: ${rule.where} admits ${g}, not a security group the caller passes in`)
        }
      }
    }
  }
  let calls = 0
  for (const stack of STACKS) {
    for (const call of callsTo(tree, `stacks/${stack}`, moduleDir)) {
      calls++
      const where = `stacks/${stack}: module "${call.name}"`
      const subnets = call.body.subnet_ids
      if (typeof subnets !== 'string' || !/^\$\{module\.[\w-]+\.private_subnet_ids\}$/.test(subnets)) {
        v.push(`${where}: subnet_ids is ${JSON.stringify(subnets)}, not the network's private_subnet_ids`)
      }
      const allowed = call.body.allowed_security_groups
      const values = isObj(allowed) ? Object.values(allowed) : []
      if (values.length === 0) v.push(`${where}: allowed_security_groups is not a map naming the app's security group`)
      for (const g of values) {
        if (typeof g !== 'string' || !/^\$\{module\.app\.[\w-]*security_group_id\}$/.test(g)) {
          v.push(`${where}: allowed_security_groups admits ${JSON.stringify(g)}, not the app module's security group`)
        }
      }
    }
  }
  if (calls === 0) v.push(`no stack uses ${moduleDir}`)
  return v
}

export const databaseReachableOnlyFromApp: Check = (tree) =>
  reachableOnlyFromApp(tree, {
    module: 'database',
    resourceType: 'aws_db_instance',
    securityGroupsAttr: 'vpc_security_group_ids',
    subnetGroupAttr: 'db_subnet_group_name',
    subnetGroupType: 'aws_db_subnet_group',
    publicAttr: 'publicly_accessible',
  })

export const cacheReachableOnlyFromApp: Check = (tree) =>
  reachableOnlyFromApp(tree, {
    module: 'cache',
    resourceType: 'aws_elasticache_replication_group',
    securityGroupsAttr: 'security_group_ids',
    subnetGroupAttr: 'subnet_group_name',
    subnetGroupType: 'aws_elasticache_subnet_group',
  })

/**
 * The network module's private subnets are private in fact, not only in name: the
 * `private_subnet_ids` output is a subnet resource that never maps public IPs, whose every route
 * table association goes to a table with no route (inline or `aws_route`) to an internet gateway,
 * and that never shares a table with the public subnets. RDS, Redis and the ECS tasks sit there.
 */
export function privateSubnetsArePrivate(tree: TfTree): string[] {
  const v: string[] = []
  const dir = dirOrViolation(tree, 'modules/network', v)
  if (!dir) return v
  const output = outputs(dir).find((o) => o.name === 'private_subnet_ids')
  const subnetName = /^\$\{aws_subnet\.([\w-]+)\[\*\]\.id\}$/.exec(String(output?.body.value ?? ''))?.[1]
  if (!output) return [...v, 'modules/network: no output "private_subnet_ids"']
  if (!subnetName)
    return [
      ...v,
      `modules/network: output private_subnet_ids is ${JSON.stringify(output.body.value)}, not aws_subnet.<name>[*].id`,
    ]
  const subnet = resources(dir, 'aws_subnet').find((r) => r.name === subnetName)
  if (!subnet)
    return [...v, `modules/network: private_subnet_ids names aws_subnet.${subnetName}, which is not declared`]
  if (
    subnet.body.map_public_ip_on_launch === true ||
    (typeof subnet.body.map_public_ip_on_launch === 'string' && subnet.body.map_public_ip_on_launch !== 'false')
  ) {
    v.push(
      `${subnet.file}: aws_subnet.${subnetName}: map_public_ip_on_launch is ${JSON.stringify(subnet.body.map_public_ip_on_launch)}`,
    )
  }
  const tableOf = (a: Named) => /\baws_route_table\.([\w-]+)\.id\b/.exec(String(a.body.route_table_id ?? ''))?.[1]
  const associations = resources(dir, 'aws_route_table_association')
  const ofSubnet = (name: string) =>
    associations.filter((a) => new RegExp(`\\baws_subnet\\.${name}\\[`).test(String(a.body.subnet_id ?? '')))
  const privateTables = new Set<string>()
  const mine = ofSubnet(subnetName)
  if (mine.length === 0)
    v.push(
      `modules/network: aws_subnet.${subnetName} has no route table association (it would use the VPC's main table)`,
    )
  for (const a of mine) {
    const table = tableOf(a)
    if (!table)
      v.push(
        `${a.file}: aws_route_table_association.${a.name}: route_table_id ${JSON.stringify(a.body.route_table_id)} is not a route table of this module`,
      )
    else privateTables.add(table)
  }
  const igw = /\baws_internet_gateway\./
  for (const table of privateTables) {
    const t = resources(dir, 'aws_route_table').find((r) => r.name === table)
    if (!t) {
      v.push(`modules/network: aws_route_table.${table} is not declared`)
      continue
    }
    for (const route of blocks(t.body, 'route')) {
      if (igw.test(String(route.gateway_id ?? '')))
        v.push(
          `${t.file}: aws_route_table.${table} (private) routes ${String(route.cidr_block)} to an internet gateway`,
        )
    }
    for (const r of resources(dir, 'aws_route')) {
      if (
        new RegExp(`\\baws_route_table\\.${table}\\.id\\b`).test(String(r.body.route_table_id ?? '')) &&
        igw.test(String(r.body.gateway_id ?? ''))
      ) {
        v.push(`${r.file}: aws_route.${r.name} sends the private table ${table} to an internet gateway`)
      }
    }
  }
  for (const other of resources(dir, 'aws_subnet').filter((r) => r.name !== subnetName)) {
    for (const a of ofSubnet(other.name)) {
      const table = tableOf(a)
      if (table && privateTables.has(table))
        v.push(`${a.file}: aws_subnet.${other.name} shares the private route table ${table}`)
    }
  }
  return v
}

/** Redis is encrypted at rest and in transit and requires an AUTH token. */
export function cacheEncrypted(tree: TfTree): string[] {
  const v: string[] = []
  let n = 0
  for (const dir of tree.dirs.values()) {
    for (const r of resources(dir, 'aws_elasticache_replication_group')) {
      n++
      const where = `${r.file}: aws_elasticache_replication_group.${r.name}`
      if (r.body.at_rest_encryption_enabled !== true) v.push(`${where}: at_rest_encryption_enabled is not true`)
      if (r.body.transit_encryption_enabled !== true) v.push(`${where}: transit_encryption_enabled is not true`)
      if (typeof r.body.auth_token !== 'string' || r.body.auth_token === '') v.push(`${where}: no auth_token`)
    }
    for (const r of resources(dir, 'aws_elasticache_cluster')) {
      if (r.body.engine === 'redis' && !r.body.replication_group_id)
        v.push(
          `${r.file}: aws_elasticache_cluster.${r.name}: a bare Redis cluster cannot encrypt; use a replication group`,
        )
    }
  }
  if (n === 0) v.push('no aws_elasticache_replication_group anywhere: modules/cache must define it')
  return v
}

/** Companion resources of every S3 bucket: `${aws_s3_bucket.NAME.id}` (or .bucket) references. */
function bucketCompanions(dir: TfDir, type: string, bucket: string): Named[] {
  return resources(dir, type).filter(
    (r) => r.body.bucket === `\${aws_s3_bucket.${bucket}.id}` || r.body.bucket === `\${aws_s3_bucket.${bucket}.bucket}`,
  )
}

function eachBucket(tree: TfTree, fn: (dir: TfDir, bucket: Named, v: string[]) => void): string[] {
  const v: string[] = []
  let n = 0
  for (const dir of tree.dirs.values()) {
    for (const b of resources(dir, 'aws_s3_bucket')) {
      n++
      fn(dir, b, v)
    }
  }
  if (n === 0) v.push('no aws_s3_bucket anywhere: modules/data-bucket must define it')
  return v
}

/** Every bucket has versioning enabled. */
export const bucketVersioned: Check = (tree) =>
  eachBucket(tree, (dir, b, v) => {
    const configs = bucketCompanions(dir, 'aws_s3_bucket_versioning', b.name)
    const enabled = configs.some((c) => block(c.body, 'versioning_configuration')?.status === 'Enabled')
    if (!enabled) v.push(`${b.file}: aws_s3_bucket.${b.name} has no aws_s3_bucket_versioning with status "Enabled"`)
  })

/** Every bucket has a public access block with all four settings true. */
export const bucketPublicAccessBlocked: Check = (tree) =>
  eachBucket(tree, (dir, b, v) => {
    const blocksOfBucket = bucketCompanions(dir, 'aws_s3_bucket_public_access_block', b.name)
    if (blocksOfBucket.length === 0)
      v.push(`${b.file}: aws_s3_bucket.${b.name} has no aws_s3_bucket_public_access_block`)
    for (const pab of blocksOfBucket) {
      for (const key of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets']) {
        if (pab.body[key] !== true)
          v.push(
            `${pab.file}: aws_s3_bucket_public_access_block.${pab.name}: ${key} is ${JSON.stringify(pab.body[key])}, not true`,
          )
      }
    }
  })

/** Every bucket encrypts objects at rest and refuses plain-HTTP requests. */
export const bucketEncrypted: Check = (tree) =>
  eachBucket(tree, (dir, b, v) => {
    const sse = bucketCompanions(dir, 'aws_s3_bucket_server_side_encryption_configuration', b.name)
    const algo = sse
      .flatMap((c) => blocks(c.body, 'rule'))
      .map((r) => block(r, 'apply_server_side_encryption_by_default')?.sse_algorithm)
    if (!algo.some((a) => a === 'AES256' || a === 'aws:kms'))
      v.push(`${b.file}: aws_s3_bucket.${b.name} has no default server-side encryption`)
    const policies = bucketCompanions(dir, 'aws_s3_bucket_policy', b.name)
    const docs = policies.map(
      (p) => /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}$/.exec(String(p.body.policy))?.[1],
    )
    const tlsOnly = resources(dir, 'aws_iam_policy_document', 'data')
      .filter((d) => docs.includes(d.name))
      .flatMap((d) => blocks(d.body, 'statement'))
      .some((s) => s.effect === 'Deny' && blocks(s, 'condition').some((c) => c.variable === 'aws:SecureTransport'))
    if (!tlsOnly)
      v.push(
        `${b.file}: aws_s3_bucket.${b.name} has no bucket policy denying requests without TLS (aws:SecureTransport)`,
      )
  })

/**
 * The app role gets read-only S3 access: the data-bucket module attaches a policy whose statements
 * only list and read, every stack hands it the app's role, and no policy anywhere allows an S3 write.
 */
export function bucketReadOnlyForApp(tree: TfTree): string[] {
  const v: string[] = []
  const moduleDir = 'modules/data-bucket'
  const dir = dirOrViolation(tree, moduleDir, v)
  if (!dir) return v
  const attachments = resources(dir, 'aws_iam_role_policy_attachment')
  if (attachments.length === 0) v.push(`${moduleDir}: no aws_iam_role_policy_attachment gives a role access`)
  for (const a of attachments) {
    const where = `${a.file}: aws_iam_role_policy_attachment.${a.name}`
    if (
      !(a.body.role === '${each.value}' && /var\.reader_roles/.test(String(a.body.for_each))) &&
      !/^\$\{var\.[\w-]+\}$/.test(String(a.body.role))
    ) {
      v.push(`${where}: role does not come from var.reader_roles`)
    }
    const policyName = /^\$\{aws_iam_policy\.([\w-]+)\.arn\}$/.exec(String(a.body.policy_arn))?.[1]
    const policy = resources(dir, 'aws_iam_policy').find((p) => p.name === policyName)
    const docName =
      policy && /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}$/.exec(String(policy.body.policy))?.[1]
    const doc = resources(dir, 'aws_iam_policy_document', 'data').find((d) => d.name === docName)
    if (!doc) {
      v.push(`${where}: policy_arn is not an aws_iam_policy built from an aws_iam_policy_document of this module`)
      continue
    }
    const statements = blocks(doc.body, 'statement')
    if (statements.length === 0) v.push(`${where}: the policy has no statement`)
    for (const s of statements) {
      const actions = strings(s.actions)
      if ((s.effect ?? 'Allow') !== 'Allow') continue
      if (actions.length === 0) v.push(`${where}: a statement allows no explicit actions`)
      for (const act of actions) if (!S3_READ_ONLY.has(act)) v.push(`${where}: allows ${act}, which is not read-only`)
      if (strings(s.not_actions).length > 0) v.push(`${where}: not_actions grants everything else`)
    }
  }
  // No policy document anywhere may allow an S3 write (or a wildcard).
  for (const d of tree.dirs.values()) {
    for (const doc of resources(d, 'aws_iam_policy_document', 'data')) {
      for (const s of blocks(doc.body, 'statement')) {
        if ((s.effect ?? 'Allow') !== 'Allow') continue
        for (const act of strings(s.actions)) {
          if (act === '*' || (act.startsWith('s3:') && !S3_READ_ONLY.has(act)))
            v.push(`${doc.file}: data.aws_iam_policy_document.${doc.name} allows ${act}`)
        }
      }
    }
    for (const type of ['aws_iam_policy', 'aws_iam_role_policy']) {
      for (const p of resources(d, type)) {
        if (!/^\$\{data\.aws_iam_policy_document\.[\w-]+\.json\}$/.test(String(p.body.policy))) {
          v.push(`${p.file}: ${type}.${p.name}: policy is not an aws_iam_policy_document (so it cannot be checked)`)
        }
      }
    }
    for (const a of resources(d, 'aws_iam_role_policy_attachment')) {
      if (/:policy\/AmazonS3(?!ReadOnly)/.test(String(a.body.policy_arn)))
        v.push(`${a.file}: aws_iam_role_policy_attachment.${a.name} attaches ${String(a.body.policy_arn)}`)
    }
  }
  for (const stack of STACKS) {
    const calls = callsTo(tree, `stacks/${stack}`, moduleDir)
    if (calls.length === 0) v.push(`stacks/${stack}: does not use ${moduleDir}`)
    for (const call of calls) {
      const roles = isObj(call.body.reader_roles) ? Object.values(call.body.reader_roles) : []
      if (!roles.some((r) => typeof r === 'string' && /^\$\{module\.app\.[\w-]*role_name\}$/.test(r))) {
        v.push(`stacks/${stack}: module "${call.name}" does not give the app module's role read access (reader_roles)`)
      }
    }
  }
  return v
}

/** The EC2 instance admits traffic only from the deployer's /32, on one non-SSH port. */
export function ec2IngressOnlyFromDeployer(tree: TfTree): string[] {
  const v: string[] = []
  const dir = dirOrViolation(tree, 'modules/ec2-app', v)
  if (!dir) return v
  const instances = resources(dir, 'aws_instance')
  if (instances.length === 0) v.push('modules/ec2-app: no aws_instance')
  for (const inst of instances) {
    const where = `${inst.file}: aws_instance.${inst.name}`
    const sgs = sgNames(inst.body.vpc_security_group_ids)
    if (sgs.length === 0 || sgs.length !== strings(inst.body.vpc_security_group_ids).length)
      v.push(`${where}: vpc_security_group_ids must list only this module's security groups`)
    for (const sg of sgs) {
      const rules = ingressOf(dir, sg)
      if (rules.length === 0) v.push(`${where}: security group ${sg} admits nothing (the deployer could not connect)`)
      for (const rule of rules) {
        if (rule.cidrs.length !== 1 || rule.cidrs[0] !== '${var.allowed_cidr}')
          v.push(`${where}: ${rule.where} admits ${JSON.stringify(rule.cidrs)}, not exactly var.allowed_cidr`)
        if (rule.groups.length > 0 || rule.prefixLists.length > 0 || rule.self)
          v.push(`${where}: ${rule.where} admits sources besides the deployer`)
        if (rule.fromPort !== rule.toPort || typeof rule.fromPort !== 'number')
          v.push(`${where}: ${rule.where} opens a port range`)
        if (rule.fromPort === 22) v.push(`${where}: ${rule.where} opens SSH (use SSM Session Manager)`)
      }
    }
  }
  const moduleVar = variableNamed(dir, 'allowed_cidr')
  if (!moduleVar || !validationConditions(moduleVar).some((c) => c.includes('/32')))
    v.push('modules/ec2-app: variable allowed_cidr has no validation requiring a /32')
  const stack = tree.dirs.get('stacks/ec2')
  const calls = callsTo(tree, 'stacks/ec2', 'modules/ec2-app')
  if (calls.length === 0) v.push('stacks/ec2: does not use modules/ec2-app')
  for (const call of calls) {
    if (call.body.allowed_cidr !== '${var.allowed_cidr}')
      v.push(
        `stacks/ec2: module "${call.name}" allowed_cidr is ${JSON.stringify(call.body.allowed_cidr)}, not var.allowed_cidr`,
      )
  }
  const stackVar = variableNamed(stack, 'allowed_cidr')
  if (!stackVar) v.push('stacks/ec2: no variable allowed_cidr')
  else {
    if ('default' in stackVar.body)
      v.push("stacks/ec2: variable allowed_cidr has a default (it must be the deployer's address)")
    if (!validationConditions(stackVar).some((c) => c.includes('/32')))
      v.push('stacks/ec2: variable allowed_cidr has no validation requiring a /32')
  }
  return v
}

/** The load balancer of modules/ecs-service. */
function theAlb(dir: TfDir): Named | undefined {
  return resources(dir, 'aws_lb')[0]
}

/** On ECS, the ALB is the only public entry: one internet-facing ALB, listeners on 80/443 only. */
export function ecsAlbOnlyPublicListener(tree: TfTree): string[] {
  const v: string[] = []
  const dir = dirOrViolation(tree, 'modules/ecs-service', v)
  if (!dir) return v
  const lbs = resources(dir, 'aws_lb')
  if (lbs.length !== 1) v.push(`modules/ecs-service: ${lbs.length} load balancers, expected exactly one`)
  const alb = theAlb(dir)
  if (!alb) return v
  const where = `${alb.file}: aws_lb.${alb.name}`
  if (alb.body.internal !== false)
    v.push(`${where}: internal is ${JSON.stringify(alb.body.internal)}; the ALB must be the explicit public entry`)
  if (alb.body.load_balancer_type !== undefined && alb.body.load_balancer_type !== 'application')
    v.push(`${where}: not an application load balancer`)
  if (alb.body.subnets !== '${var.public_subnet_ids}')
    v.push(`${where}: subnets is ${JSON.stringify(alb.body.subnets)}, not var.public_subnet_ids`)
  const albSgs = sgNames(alb.body.security_groups)
  if (albSgs.length !== 1) v.push(`${where}: must have exactly one (own) security group`)
  for (const sg of albSgs) {
    const rules = ingressOf(dir, sg)
    if (rules.length === 0) v.push(`${where}: its security group admits nothing`)
    for (const rule of rules) {
      const fromAllowed =
        rule.cidrs.length === 1 && rule.cidrs[0] === '${each.value}' && /var\.allowed_cidrs/.test(rule.forEach)
      if (!fromAllowed || rule.groups.length > 0 || rule.prefixLists.length > 0)
        v.push(`${where}: ${rule.where} admits sources other than var.allowed_cidrs`)
      if (![80, 443].includes(Number(rule.fromPort)) || rule.fromPort !== rule.toPort)
        v.push(
          `${where}: ${rule.where} opens port ${JSON.stringify(rule.fromPort)}-${JSON.stringify(rule.toPort)}, not 80 or 443`,
        )
    }
  }
  const listeners = resources(dir, 'aws_lb_listener')
  if (listeners.length === 0) v.push('modules/ecs-service: no aws_lb_listener')
  for (const l of listeners) {
    if (l.body.load_balancer_arn !== `\${aws_lb.${alb.name}.arn}`)
      v.push(`${l.file}: aws_lb_listener.${l.name} is not on the ALB`)
    if (![80, 443].includes(Number(l.body.port)))
      v.push(`${l.file}: aws_lb_listener.${l.name} listens on ${JSON.stringify(l.body.port)}, not 80 or 443`)
  }
  // Nothing else in the ECS deployment may be reachable from outside.
  for (const rel of ['modules/ecs-service', 'stacks/ecs', 'modules/database', 'modules/cache']) {
    const d = tree.dirs.get(rel)
    if (!d) continue
    for (const type of [
      'aws_instance',
      'aws_eip',
      'aws_lb_listener',
      'aws_lb',
      'aws_apigatewayv2_api',
      'aws_cloudfront_distribution',
    ]) {
      const found = resources(d, type).filter(
        (r) => !(rel === 'modules/ecs-service' && (type === 'aws_lb' || type === 'aws_lb_listener')),
      )
      for (const r of found) v.push(`${r.file}: ${type}.${r.name} is another way in besides the ALB`)
    }
  }
  return v
}

/** Security groups of the ECS service's tasks. */
function taskSecurityGroups(dir: TfDir): { service: Named; sgs: string[] }[] {
  return resources(dir, 'aws_ecs_service').map((service) => ({
    service,
    sgs: sgNames(block(service.body, 'network_configuration')?.security_groups),
  }))
}

/** The ECS stack's SSE heartbeat (EVENTS_HEARTBEAT_MS, 15 s) is how often /events writes when idle. */
const SSE_HEARTBEAT_SECONDS = 15

/** The ALB keeps an idle /events stream open: its idle timeout (default 60 s) is above the SSE heartbeat. */
export function ecsAlbKeepsStreamsOpen(tree: TfTree): string[] {
  const v: string[] = []
  const dir = dirOrViolation(tree, 'modules/ecs-service', v)
  if (!dir) return v
  const alb = theAlb(dir)
  if (!alb) return [...v, 'modules/ecs-service: no aws_lb']
  const idle = alb.body.idle_timeout === undefined ? 60 : Number(alb.body.idle_timeout)
  // Twice the heartbeat, so one late heartbeat does not cut every stream.
  if (!(idle >= 2 * SSE_HEARTBEAT_SECONDS))
    v.push(
      `${alb.file}: aws_lb.${alb.name} idle_timeout ${JSON.stringify(alb.body.idle_timeout)} is under twice the ${SSE_HEARTBEAT_SECONDS} s SSE heartbeat`,
    )
  return v
}

/** ECS tasks admit traffic only from the ALB's security group. */
export function ecsTasksOnlyFromAlb(tree: TfTree): string[] {
  const v: string[] = []
  const dir = dirOrViolation(tree, 'modules/ecs-service', v)
  if (!dir) return v
  const alb = theAlb(dir)
  const albSg = alb ? sgNames(alb.body.security_groups)[0] : undefined
  if (!albSg) v.push('modules/ecs-service: no ALB security group to admit from')
  const services = taskSecurityGroups(dir)
  if (services.length === 0) v.push('modules/ecs-service: no aws_ecs_service')
  for (const { service, sgs } of services) {
    const where = `${service.file}: aws_ecs_service.${service.name}`
    if (sgs.length === 0) v.push(`${where}: network_configuration names none of this module's security groups`)
    for (const sg of sgs) {
      if (sg === albSg) v.push(`${where}: tasks share the ALB's security group`)
      const rules = ingressOf(dir, sg)
      if (rules.length === 0)
        v.push(`${where}: security group ${sg} admits nothing (the ALB could not reach the tasks)`)
      for (const rule of rules) {
        if (rule.cidrs.length > 0 || rule.prefixLists.length > 0 || rule.self)
          v.push(`${where}: ${rule.where} admits ${[...rule.cidrs, ...rule.prefixLists].join(', ') || 'its own group'}`)
        if (rule.groups.length !== 1 || rule.groups[0] !== `\${aws_security_group.${albSg}.id}`)
          v.push(`${where}: ${rule.where} admits ${JSON.stringify(rule.groups)}, not only the ALB's security group`)
      }
    }
  }
  return v
}

/** ECS tasks have no public IP and run in the private subnets. */
export function ecsTasksPrivate(tree: TfTree): string[] {
  const v: string[] = []
  const dir = dirOrViolation(tree, 'modules/ecs-service', v)
  if (!dir) return v
  const services = resources(dir, 'aws_ecs_service')
  if (services.length === 0) v.push('modules/ecs-service: no aws_ecs_service')
  for (const s of services) {
    const nc = block(s.body, 'network_configuration')
    const where = `${s.file}: aws_ecs_service.${s.name}`
    if (!nc) {
      v.push(`${where}: no network_configuration`)
      continue
    }
    if (nc.assign_public_ip !== false)
      v.push(`${where}: assign_public_ip is ${JSON.stringify(nc.assign_public_ip)}, not false`)
    if (nc.subnets !== '${var.private_subnet_ids}')
      v.push(`${where}: subnets is ${JSON.stringify(nc.subnets)}, not var.private_subnet_ids`)
  }
  const calls = callsTo(tree, 'stacks/ecs', 'modules/ecs-service')
  if (calls.length === 0) v.push('stacks/ecs: does not use modules/ecs-service')
  for (const call of calls) {
    if (!/^\$\{module\.[\w-]+\.private_subnet_ids\}$/.test(String(call.body.private_subnet_ids))) {
      v.push(
        `stacks/ecs: module "${call.name}" private_subnet_ids is ${JSON.stringify(call.body.private_subnet_ids)}, not the network's private subnets`,
      )
    }
  }
  return v
}

function checkPlainEnvironment(where: string, env: Json | undefined, v: string[]): void {
  if (!isObj(env)) {
    v.push(`${where}: environment is not a map`)
    return
  }
  for (const [k, val] of Object.entries(env)) {
    if (SECRET_NAME.test(k)) v.push(`${where}: secret-looking ${k} is passed as a plain environment value`)
    if (typeof val === 'string' && /random_password\.|\.result\b|secret_string|password/.test(val))
      v.push(`${where}: environment ${k} carries a secret value (${val})`)
  }
}

function checkSecretReferences(where: string, secrets: Json | undefined, required: string[], v: string[]): void {
  if (!isObj(secrets)) {
    v.push(`${where}: no secrets map`)
    return
  }
  for (const name of required) if (!(name in secrets)) v.push(`${where}: ${name} is not among the secret references`)
  for (const [k, val] of Object.entries(secrets)) {
    if (typeof val !== 'string' || !ARN_REFERENCE.test(val))
      v.push(`${where}: secret ${k} is ${JSON.stringify(val)}, not an SSM/Secrets Manager ARN reference`)
  }
}

/**
 * ECS task definitions carry secrets only as `secrets` (name + valueFrom ARN), never as plain
 * `environment` values: in the module's container definition and in what the stack passes.
 */
export function ecsSecretsAreReferences(tree: TfTree): string[] {
  const v: string[] = []
  const dir = dirOrViolation(tree, 'modules/ecs-service', v)
  if (!dir) return v
  const loc = locals(dir)
  const tasks = resources(dir, 'aws_ecs_task_definition')
  if (tasks.length === 0) v.push('modules/ecs-service: no aws_ecs_task_definition')
  for (const t of tasks) {
    const where = `${t.file}: aws_ecs_task_definition.${t.name}`
    const m = /^\$\{jsonencode\(\[local\.([\w-]+)\]\)\}$/.exec(String(t.body.container_definitions))
    const container = m ? loc[m[1] as string] : undefined
    if (!isObj(container)) {
      v.push(
        `${where}: container_definitions is not jsonencode([local.<container>]) of an object local (cannot be checked)`,
      )
      continue
    }
    const secrets = String(container.secrets ?? '')
    const env = String(container.environment ?? '')
    if (!/var\.secrets/.test(secrets) || !/valueFrom/.test(secrets))
      v.push(`${where}: the container's secrets are not valueFrom references built from var.secrets`)
    if (!/var\.environment/.test(env) || /var\.secrets|valueFrom|random_password/.test(env))
      v.push(`${where}: the container's environment is not built from var.environment alone`)
    for (const [k, val] of Object.entries(container)) {
      if (k !== 'secrets' && /var\.secrets/.test(JSON.stringify(val)))
        v.push(`${where}: container field ${k} uses var.secrets`)
    }
  }
  const envVar = variableNamed(dir, 'environment')
  if (!envVar || !validationConditions(envVar).some((c) => /SECRET/.test(c) && /PASSWORD/.test(c)))
    v.push('modules/ecs-service: variable environment has no validation rejecting secret-looking names')
  const secretsVar = variableNamed(dir, 'secrets')
  if (!secretsVar || !validationConditions(secretsVar).some((c) => c.includes('arn:')))
    v.push('modules/ecs-service: variable secrets has no validation requiring ARNs')
  const calls = callsTo(tree, 'stacks/ecs', 'modules/ecs-service')
  if (calls.length === 0) v.push('stacks/ecs: does not use modules/ecs-service')
  for (const call of calls) {
    const where = `stacks/ecs: module "${call.name}"`
    checkSecretReferences(where, call.body.secrets, ['API_KEY', 'JWT_SECRET', 'DB_PASSWORD', 'REDIS_URL'], v)
    checkPlainEnvironment(where, call.body.environment, v)
  }
  return v
}

/** The EC2 instance reads its secrets from SSM Parameter Store at boot; user_data holds none. */
export function ec2SecretsFromParameterStore(tree: TfTree): string[] {
  const v: string[] = []
  const dir = dirOrViolation(tree, 'modules/ec2-app', v)
  if (!dir) return v
  for (const inst of resources(dir, 'aws_instance')) {
    const where = `${inst.file}: aws_instance.${inst.name}`
    const userData = String(inst.body.user_data ?? '')
    const m = /templatefile\("\$\{path\.module\}\/([\w.-]+)"/.exec(userData)
    const template = m ? dir.texts.get(m[1] as string) : undefined
    if (!template) {
      v.push(`${where}: user_data is not a templatefile() of this module (cannot be checked)`)
      continue
    }
    if (!/secret_parameters\s*=\s*var\.secret_parameters/.test(userData))
      v.push(`${where}: user_data is not given var.secret_parameters`)
    if (/random_password|\.result\b/.test(userData)) v.push(`${where}: user_data receives a secret value`)
    if (!/%\{\s*for\s+\w+\s*,\s*\w+\s+in\s+secret_parameters\s*~?\}/.test(template))
      v.push(`${where}: the user_data template does not loop over secret_parameters`)
    if (!/aws ssm get-parameter\b[^\n]*--with-decryption/.test(template))
      v.push(
        `${where}: the user_data template does not read SecureStrings with aws ssm get-parameter --with-decryption`,
      )
  }
  const secretsVar = variableNamed(dir, 'secret_parameters')
  if (!secretsVar || !validationConditions(secretsVar).some((c) => c.includes('arn:')))
    v.push('modules/ec2-app: variable secret_parameters has no validation requiring SSM ARNs')
  const envVar = variableNamed(dir, 'environment')
  if (!envVar || !validationConditions(envVar).some((c) => /SECRET/.test(c) && /PASSWORD/.test(c)))
    v.push('modules/ec2-app: variable environment has no validation rejecting secret-looking names')
  const calls = callsTo(tree, 'stacks/ec2', 'modules/ec2-app')
  if (calls.length === 0) v.push('stacks/ec2: does not use modules/ec2-app')
  for (const call of calls) {
    const where = `stacks/ec2: module "${call.name}"`
    checkSecretReferences(where, call.body.secret_parameters, ['API_KEY', 'JWT_SECRET'], v)
    checkPlainEnvironment(where, call.body.environment, v)
  }
  return v
}

/**
 * Generated secrets (random_password) flow only into SSM SecureStrings (and the Redis AUTH token),
 * never into outputs, environment maps or other resources; every SSM parameter is a SecureString.
 */
export function generatedSecretsOnlyInParameterStore(tree: TfTree): string[] {
  const v: string[] = []
  let params = 0
  for (const dir of tree.dirs.values()) {
    for (const p of resources(dir, 'aws_ssm_parameter')) {
      params++
      if (p.body.type !== 'SecureString')
        v.push(`${p.file}: aws_ssm_parameter.${p.name}: type is ${JSON.stringify(p.body.type)}, not "SecureString"`)
    }
    for (const f of dir.files) {
      eachString(f.json, '', (s, at) => {
        if (!/random_password\.[\w-]+\.result/.test(s)) return
        const allowed =
          /^resource\.aws_ssm_parameter\.[\w-]+\[\d+\]\.value$/.test(at) ||
          /^resource\.aws_elasticache_replication_group\.[\w-]+\[\d+\]\.auth_token$/.test(at)
        if (!allowed) v.push(`${f.rel}: ${at} uses a generated secret outside an SSM SecureString`)
      })
    }
  }
  if (params === 0) v.push('no aws_ssm_parameter anywhere: generated secrets must be stored in SSM')
  return v
}

/**
 * The app trusts exactly the proxies in front of it: one hop behind the ECS load balancer (which
 * appends the client's address to X-Forwarded-For), none on EC2 (clients connect directly). Trusting
 * blindly ("true") takes the client-written left-most address: per-client limits (logins) dodged.
 */
export function proxyTrustMatchesTopology(tree: TfTree): string[] {
  const v: string[] = []
  const expected: Record<(typeof STACKS)[number], { module: string; value: string | undefined }> = {
    ecs: { module: 'modules/ecs-service', value: '1' },
    ec2: { module: 'modules/ec2-app', value: 'false' },
  }
  for (const stack of STACKS) {
    const { module, value } = expected[stack]
    const calls = callsTo(tree, `stacks/${stack}`, module)
    if (calls.length === 0) v.push(`stacks/${stack}: does not use ${module}`)
    for (const call of calls) {
      const env = call.body.environment
      const got = isObj(env) ? env.TRUST_PROXY : undefined
      if (got !== value)
        v.push(`stacks/${stack}: module "${call.name}" sets TRUST_PROXY to ${JSON.stringify(got)}, not "${value}"`)
    }
  }
  return v
}

/**
 * Both stacks set HOST=0.0.0.0 explicitly: the app's development default is 127.0.0.1, and a
 * container listening on its loopback only is unreachable through the published port or the ALB.
 */
export function containersListenOnAllInterfaces(tree: TfTree): string[] {
  const v: string[] = []
  const expected: Record<(typeof STACKS)[number], string> = { ecs: 'modules/ecs-service', ec2: 'modules/ec2-app' }
  for (const stack of STACKS) {
    const calls = callsTo(tree, `stacks/${stack}`, expected[stack])
    if (calls.length === 0) v.push(`stacks/${stack}: does not use ${expected[stack]}`)
    for (const call of calls) {
      const env = call.body.environment
      const got = isObj(env) ? env.HOST : undefined
      if (got !== '0.0.0.0')
        v.push(`stacks/${stack}: module "${call.name}" sets HOST to ${JSON.stringify(got)}, not "0.0.0.0"`)
    }
  }
  // The EC2 user data writes the environment it is given, whole, into the container's env file.
  const userData = tree.dirs.get('modules/ec2-app')?.texts.get('user-data.sh.tftpl') ?? ''
  if (!/%\{ for key, value in environment ~\}\n\$\{key\}=\$\{value\}/.test(userData))
    v.push('modules/ec2-app/user-data.sh.tftpl: does not write the environment into app.env')
  return v
}

/** Every variable (except bools, whose type is the whole check) has a validation block. */
export function variablesValidated(tree: TfTree): string[] {
  const v: string[] = []
  for (const dir of tree.dirs.values()) {
    for (const variable of variables(dir)) {
      if (variable.body.type === '${bool}') continue
      const vals = blocks(variable.body, 'validation')
      if (vals.length === 0) v.push(`${variable.file}: variable "${variable.name}" has no validation block`)
      for (const b of vals) {
        if (typeof b.condition !== 'string' || typeof b.error_message !== 'string' || b.error_message === '') {
          v.push(`${variable.file}: variable "${variable.name}" has a validation without condition and error_message`)
        }
      }
      if (variable.body.type === undefined) v.push(`${variable.file}: variable "${variable.name}" has no type`)
    }
  }
  for (const stack of STACKS)
    if (variables(tree.dirs.get(`stacks/${stack}`)).length === 0) v.push(`stacks/${stack}: no variables`)
  return v
}

/** Both stacks output api_url and status_endpoint (= api_url + /status). */
export function stackOutputs(tree: TfTree): string[] {
  const v: string[] = []
  for (const stack of STACKS) {
    const outs = outputs(tree.dirs.get(`stacks/${stack}`))
    const api = outs.find((o) => o.name === 'api_url')
    const status = outs.find((o) => o.name === 'status_endpoint')
    if (!api) v.push(`stacks/${stack}: no output "api_url"`)
    else if (typeof api.body.value !== 'string' || !/^(https?:\/\/|\$\{)/.test(api.body.value))
      v.push(`stacks/${stack}: output api_url is not a URL expression`)
    if (!status) v.push(`stacks/${stack}: no output "status_endpoint"`)
    else if (typeof status.body.value !== 'string' || !status.body.value.endsWith('/status'))
      v.push(`stacks/${stack}: output status_endpoint does not end in /status`)
    for (const o of outs)
      if (o.body.sensitive === true)
        v.push(`stacks/${stack}: output ${o.name} is sensitive (outputs should point at secrets, not hold them)`)
  }
  return v
}

const META_ARGUMENTS = new Set(['source', 'version', 'providers', 'depends_on', 'count', 'for_each'])

/** Every argument a stack passes to a module is a variable of that module; every required one is passed. */
export function moduleInputsDeclared(tree: TfTree): string[] {
  const v: string[] = []
  for (const stack of STACKS) {
    const stackDir = `stacks/${stack}`
    const calls = moduleCalls(tree.dirs.get(stackDir))
    if (calls.length === 0) v.push(`${stackDir}: calls no module`)
    for (const call of calls) {
      const target = sourceDir(stackDir, call)
      const moduleDir = target ? tree.dirs.get(target) : undefined
      if (!moduleDir) {
        v.push(
          `${stackDir}: module "${call.name}" source ${JSON.stringify(call.body.source)} is not a module directory here`,
        )
        continue
      }
      const declared = new Map(variables(moduleDir).map((x) => [x.name, x]))
      for (const arg of Object.keys(call.body)) {
        if (!META_ARGUMENTS.has(arg) && !declared.has(arg))
          v.push(`${stackDir}: module "${call.name}" passes ${arg}, which ${target} does not declare`)
      }
      for (const [name, variable] of declared) {
        if (!('default' in variable.body) && !(name in call.body))
          v.push(`${stackDir}: module "${call.name}" does not pass required variable ${name} of ${target}`)
      }
    }
  }
  return v
}

/** Every `module.NAME.OUTPUT` a stack reads names a module call and an output that module declares. */
export function moduleOutputsDeclared(tree: TfTree): string[] {
  const v: string[] = []
  for (const stack of STACKS) {
    const stackDir = `stacks/${stack}`
    const dir = tree.dirs.get(stackDir)
    if (!dir) {
      v.push(`${stackDir}: missing`)
      continue
    }
    const calls = new Map(moduleCalls(dir).map((c) => [c.name, c]))
    for (const f of dir.files) {
      eachString(f.json, '', (s) => {
        for (const m of s.matchAll(/\bmodule\.([\w-]+)\.([\w-]+)/g)) {
          const [, name, output] = m as unknown as [string, string, string]
          const call = calls.get(name)
          const target = call && sourceDir(stackDir, call)
          const declared = target ? outputs(tree.dirs.get(target)).map((o) => o.name) : []
          if (!call) v.push(`${f.rel}: reads module.${name}.${output}, but there is no module "${name}"`)
          else if (!declared.includes(output))
            v.push(`${f.rel}: reads module.${name}.${output}, which ${target} does not output`)
        }
      })
    }
  }
  return v
}

/**
 * Inside each directory every var.X, local.X and resource/data reference resolves to a
 * declaration of that directory (what `terraform validate` would catch first, checked offline).
 */
export function referencesResolve(tree: TfTree): string[] {
  const v: string[] = []
  for (const dir of tree.dirs.values()) {
    const vars = new Set(variables(dir).map((x) => x.name))
    const locs = new Set(Object.keys(locals(dir)))
    const res = new Set(
      allResourceTypes(dir, 'resource').flatMap((t) => resources(dir, t).map((r) => `${t}.${r.name}`)),
    )
    const data = new Set(
      allResourceTypes(dir, 'data').flatMap((t) => resources(dir, t, 'data').map((r) => `${t}.${r.name}`)),
    )
    for (const f of dir.files) {
      eachString(f.json, '', (s) => {
        if (!s.includes('${')) return
        for (const m of s.matchAll(/(?<![\w.-])(var|local)\.([\w-]+)/g)) {
          const [, kind, name] = m as unknown as [string, string, string]
          if (kind === 'var' && !vars.has(name)) v.push(`${f.rel}: var.${name} is not declared in ${dir.dir}`)
          if (kind === 'local' && !locs.has(name)) v.push(`${f.rel}: local.${name} is not declared in ${dir.dir}`)
        }
        for (const m of s.matchAll(/(?<![\w.-])(data\.)?((?:aws|random)_[a-z0-9_]+)\.([\w-]+)/g)) {
          const [, isData, type, name] = m as unknown as [string, string | undefined, string, string]
          const key = `${type}.${name}`
          if (isData ? !data.has(key) : !res.has(key))
            v.push(`${f.rel}: ${isData ?? ''}${key} is not declared in ${dir.dir}`)
        }
      })
    }
  }
  return v
}

/** The module and stack directories SPEC §10 lists all exist. */
export function layoutComplete(tree: TfTree): string[] {
  const v: string[] = []
  for (const m of MODULES) if (!tree.dirs.has(`modules/${m}`)) v.push(`modules/${m} is missing`)
  for (const s of STACKS) if (!tree.dirs.has(`stacks/${s}`)) v.push(`stacks/${s} is missing`)
  for (const dir of tree.dirs.values()) {
    const hasProviders = dir.files.some((f) =>
      list(f.json.terraform)
        .filter(isObj)
        .some((t) => 'required_providers' in t),
    )
    if (!hasProviders) v.push(`${dir.dir}: no terraform { required_providers } block`)
  }
  return v
}

export const CHECKS: Record<string, Check> = {
  layoutComplete,
  imdsv2Required,
  volumesEncrypted,
  databaseEncrypted,
  databaseReachableOnlyFromApp,
  cacheEncrypted,
  cacheReachableOnlyFromApp,
  privateSubnetsArePrivate,
  bucketVersioned,
  bucketPublicAccessBlocked,
  bucketEncrypted,
  bucketReadOnlyForApp,
  ec2IngressOnlyFromDeployer,
  ecsAlbOnlyPublicListener,
  ecsAlbKeepsStreamsOpen,
  ecsTasksOnlyFromAlb,
  ecsTasksPrivate,
  ecsSecretsAreReferences,
  ec2SecretsFromParameterStore,
  generatedSecretsOnlyInParameterStore,
  proxyTrustMatchesTopology,
  containersListenOnAllInterfaces,
  variablesValidated,
  stackOutputs,
  moduleInputsDeclared,
  moduleOutputsDeclared,
  referencesResolve,
}
