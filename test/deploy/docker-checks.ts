/**
 * Static checks of the container side of deploy/ (SPEC §10, issue 6): the Dockerfile, .dockerignore,
 * compose.yaml (+ .env.example) and the nginx snippet. No Docker engine is available here, so each
 * property is a named function over the file texts returning its violations (empty = holds); the
 * test runs each on the real files and on deliberately broken texts.
 */
import fs from 'node:fs'
import { builtinModules } from 'node:module'
import path from 'node:path'
import ts from 'typescript'
import { parseDocument } from 'yaml'

export interface DeployTexts {
  dockerfile: string
  dockerignore: string
  compose: string
  envExample: string
  nginx: string
  /** Absolute directory of compose.yaml and the repository root, to resolve relative paths. */
  composeDir: string
  repoRoot: string
}

export type TextCheck = (t: DeployTexts) => string[]

const SECRET_NAME = /KEY|SECRET|PASSWORD|TOKEN/i

// ---- Dockerfile -----------------------------------------------------------------------------------

export interface Instruction {
  keyword: string
  args: string
  line: number
}

export interface Stage {
  index: number
  name?: string
  image: string
  instructions: Instruction[]
}

/** Splits a Dockerfile into instructions (continuations joined, comments dropped) and stages. */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = []
  let buffer = ''
  let start = 0
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    if (/^\s*#/.test(line)) return // comments (also inside a continuation) are dropped
    if (buffer === '' && line.trim() === '') return
    if (buffer === '') start = i + 1
    if (/\\\s*$/.test(line)) {
      buffer += line.replace(/\\\s*$/, ' ')
      return
    }
    buffer += line
    const m = /^\s*(\w+)\s*(.*)$/s.exec(buffer)
    if (m) instructions.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: start })
    buffer = ''
  })
  const stages: Stage[] = []
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith('--'))
      const as = parts.findIndex((p) => p.toUpperCase() === 'AS')
      stages.push({
        index: stages.length,
        image: parts[0] ?? '',
        name: as >= 0 ? parts[as + 1] : undefined,
        instructions: [],
      })
    } else {
      stages.at(-1)?.instructions.push(ins)
    }
  }
  return stages
}

/** JSON-array (exec form) or shell-form arguments as a list of words. */
export function execArgs(args: string): string[] {
  if (args.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(args)
      if (Array.isArray(v)) return v.map(String)
    } catch {
      /* fall through to shell form */
    }
  }
  return args.split(/\s+/).filter(Boolean)
}

/** `KEY=value ...` pairs of ENV/ARG (and the legacy `ENV KEY value` form). */
export function keyValues(ins: Instruction): { key: string; value: string | undefined }[] {
  if (ins.keyword === 'ENV' && !/^[\w.-]+=/.test(ins.args)) {
    const [key, ...rest] = ins.args.split(/\s+/)
    return [{ key: key ?? '', value: rest.join(' ') }]
  }
  const out: { key: string; value: string | undefined }[] = []
  for (const m of ins.args.matchAll(/([\w.-]+)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g)) {
    out.push({ key: m[1] as string, value: m[2] })
  }
  return out
}

function finalStage(t: DeployTexts, v: string[]): Stage | undefined {
  const stages = parseDockerfile(t.dockerfile)
  const last = stages.at(-1)
  if (!last) v.push('Dockerfile: no FROM')
  return last
}

const find = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword)

/** At least two stages; the final one copies build output from an earlier stage. */
export function multiStage(t: DeployTexts): string[] {
  const v: string[] = []
  const stages = parseDockerfile(t.dockerfile)
  if (stages.length < 2) v.push(`Dockerfile: ${stages.length} stage(s); a build stage and a runtime stage are required`)
  const last = stages.at(-1)
  const earlier = stages.slice(0, -1).map((s) => s.name ?? String(s.index))
  if (last && !find(last, 'COPY').some((c) => earlier.some((n) => c.args.includes(`--from=${n}`))))
    v.push('Dockerfile: the final stage copies nothing from an earlier stage')
  return v
}

/** Every base image is an official node image, LTS (even major) >= 24, slim variant. */
export function nodeLtsSlimBase(t: DeployTexts): string[] {
  const v: string[] = []
  const stages = parseDockerfile(t.dockerfile)
  const names = new Set(stages.map((s) => s.name).filter(Boolean))
  for (const s of stages) {
    if (names.has(s.image)) continue // FROM an earlier stage
    const m = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)(?:\.\d+)*(?:-[a-z]+)*-slim(?:@sha256:[0-9a-f]{64})?$/.exec(
      s.image,
    )
    if (!m) {
      v.push(`Dockerfile: stage ${s.index} FROM ${s.image} is not a node:<major>[-<distro>]-slim image`)
      continue
    }
    const major = Number(m[1])
    if (major < 24 || major % 2 !== 0)
      v.push(`Dockerfile: stage ${s.index} uses Node ${major}; a supported LTS (even, >= 24) is required`)
  }
  return v
}

/** The final stage switches to a non-root user before its command. */
export function nonRootUser(t: DeployTexts): string[] {
  const v: string[] = []
  const last = finalStage(t, v)
  if (!last) return v
  const users = find(last, 'USER')
  const user = users.at(-1)?.args.split(':')[0]
  if (!user) v.push('Dockerfile: the final stage has no USER (it would run as root)')
  else if (user === 'root' || user === '0') v.push(`Dockerfile: the final stage runs as ${user}`)
  const cmd = [...find(last, 'CMD'), ...find(last, 'ENTRYPOINT')].map((i) => i.line)
  const lastUser = users.at(-1)
  if (lastUser && cmd.some((line) => line < lastUser.line)) v.push('Dockerfile: USER comes after CMD/ENTRYPOINT')
  return v
}

/** HEALTHCHECK probes /health with node (the slim image has no curl or wget). */
export function healthcheck(t: DeployTexts): string[] {
  const v: string[] = []
  const last = finalStage(t, v)
  if (!last) return v
  const hc = find(last, 'HEALTHCHECK').at(-1)
  if (!hc) return ['Dockerfile: no HEALTHCHECK in the final stage']
  if (/^NONE\b/i.test(hc.args)) v.push('Dockerfile: HEALTHCHECK NONE')
  if (!/\/health\b/.test(hc.args)) v.push('Dockerfile: HEALTHCHECK does not probe /health')
  if (/\b(curl|wget)\b/.test(hc.args)) v.push('Dockerfile: HEALTHCHECK uses curl/wget, which the slim image lacks')
  if (!/\bCMD\b[\s\S]*\bnode\b/.test(hc.args)) v.push('Dockerfile: HEALTHCHECK does not run node')
  return v
}

/** EXPOSE 5000, VOLUME /data, ENV ENVIRONMENT=production and HOST=0.0.0.0 (development binds 127.0.0.1) in the final stage. */
export function runtimeSettings(t: DeployTexts): string[] {
  const v: string[] = []
  const last = finalStage(t, v)
  if (!last) return v
  if (!find(last, 'EXPOSE').some((i) => execArgs(i.args).some((p) => /^5000(\/tcp)?$/.test(p))))
    v.push('Dockerfile: no EXPOSE 5000')
  if (!find(last, 'VOLUME').some((i) => execArgs(i.args).includes('/data'))) v.push('Dockerfile: no VOLUME /data')
  const env = new Map(
    find(last, 'ENV')
      .flatMap(keyValues)
      .map((kv) => [kv.key, kv.value?.replace(/^["']|["']$/g, '')]),
  )
  if (env.get('ENVIRONMENT') !== 'production')
    v.push(`Dockerfile: ENV ENVIRONMENT is ${JSON.stringify(env.get('ENVIRONMENT'))}, not production`)
  // A container listening on its loopback only is unreachable through its published port.
  if (env.get('HOST') !== '0.0.0.0') v.push(`Dockerfile: ENV HOST is ${JSON.stringify(env.get('HOST'))}, not 0.0.0.0`)
  if (env.has('DATABASE_URL')) v.push('Dockerfile: ENV DATABASE_URL would override DB_HOST-style configuration')
  return v
}

/** The command scripts/gen-aircraft.ts documents for the committed data/sample-aircraft set. */
export function sampleSetCommand(repoRoot: string): string | undefined {
  const text = fs.readFileSync(path.join(repoRoot, 'scripts/gen-aircraft.ts'), 'utf8')
  return /data\/sample-aircraft\/ is\s*\n\s*\*\s*(npm run gen:aircraft -- [^\n]*--out data\/sample-aircraft)/
    .exec(text)?.[1]
    ?.trim()
}

/**
 * The image carries the embedded default aircraft source (`file:./data/sample-aircraft`, relative
 * to WORKDIR /app): the final stage copies it from an earlier stage that generated it with exactly
 * the command of the committed set (data/ itself is not in the build context).
 */
export function defaultAircraftSource(t: DeployTexts): string[] {
  const v: string[] = []
  const stages = parseDockerfile(t.dockerfile)
  const last = finalStage(t, v)
  if (!last) return v
  if (find(last, 'WORKDIR').at(-1)?.args.trim() !== '/app')
    v.push("Dockerfile: the final stage's WORKDIR is not /app (the default source is relative to it)")
  const copy = find(last, 'COPY').find((c) => {
    const words = execArgs(c.args).filter((w) => !w.startsWith('--'))
    return (
      /^(\/app\/)?data\/sample-aircraft\/?$/.test(words[0] ?? '') &&
      /^(\.\/|\/app\/)data\/sample-aircraft\/?$/.test(words.at(-1) ?? '')
    )
  })
  if (!copy)
    return [...v, 'Dockerfile: the final stage does not copy data/sample-aircraft to /app/data/sample-aircraft']
  const from = /--from=(\S+)/.exec(copy.args)?.[1]
  const source = stages.find((st) => st.name === from)
  if (!source)
    return [...v, `Dockerfile: data/sample-aircraft is copied from ${JSON.stringify(from)}, not an earlier stage`]
  const expected = sampleSetCommand(t.repoRoot)
  if (!expected) return [...v, 'scripts/gen-aircraft.ts no longer documents the command of the shipped sample set']
  const norm = (x: string) => x.replace(/\s+/g, ' ').trim()
  if (!find(source, 'RUN').some((r) => norm(r.args).includes(norm(expected))))
    v.push(`Dockerfile: stage ${from} does not run "${expected}"`)
  return v
}

/** The final stage installs production dependencies only and runs compiled JavaScript. */
export function productionDependenciesOnly(t: DeployTexts): string[] {
  const v: string[] = []
  const last = finalStage(t, v)
  if (!last) return v
  const runs = find(last, 'RUN').map((r) => r.args)
  if (!runs.some((r) => /\bnpm ci\b[^&;|]*--omit=dev/.test(r)))
    v.push('Dockerfile: the final stage does not run npm ci --omit=dev')
  for (const r of runs) {
    for (const m of r.matchAll(/\bnpm (ci|install|i)\b[^&;|]*/g)) {
      if (!m[0].includes('--omit=dev')) v.push(`Dockerfile: the final stage runs "${m[0].trim()}" (dev dependencies)`)
    }
  }
  for (const c of find(last, 'COPY')) {
    if (/node_modules/.test(c.args))
      v.push('Dockerfile: the final stage copies a node_modules folder (with dev dependencies)')
    if (/--from=/.test(c.args)) continue
    // From the build context only the manifests may come; code comes compiled from the build stage.
    const words = execArgs(c.args).filter((w) => !w.startsWith('--'))
    for (const src of words.slice(0, -1)) {
      if (!['package.json', 'package-lock.json', 'package*.json', '.npmrc'].includes(src))
        v.push(`Dockerfile: the final stage copies ${src} from the build context`)
    }
  }
  const cmd = find(last, 'CMD').at(-1)
  if (!cmd || !/\bnode\b/.test(cmd.args) || !/dist\/src\/server\.js/.test(cmd.args))
    v.push('Dockerfile: CMD does not run node dist/src/server.js')
  if (cmd && /\btsx\b|ts-node/.test(cmd.args)) v.push('Dockerfile: CMD runs TypeScript directly')
  return v
}

/**
 * The image starts the server as `npm run start:prod` does (the same node flags), and those flags
 * cap the young generation (--max-semi-space-size), or V8 keeps ~31 MiB of it from start-up.
 */
export function serverLaunchFlags(t: DeployTexts): string[] {
  const v: string[] = []
  const last = finalStage(t, v)
  if (!last) return v
  const cmd = execArgs(find(last, 'CMD').at(-1)?.args ?? '')
  const pkg = JSON.parse(fs.readFileSync(path.join(t.repoRoot, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>
  }
  const startProd = (pkg.scripts?.['start:prod'] ?? '').split(/\s+/).filter(Boolean)
  const flags = (words: string[]) => words.slice(1).filter((w) => w.startsWith('--'))
  if (JSON.stringify(flags(cmd)) !== JSON.stringify(flags(startProd)))
    v.push(
      `Dockerfile: CMD's node flags ${flags(cmd).join(' ') || '(none)'} are not start:prod's (${startProd.join(' ')})`,
    )
  if (!flags(cmd).some((f) => /^--max-semi-space-size=\d+$/.test(f)))
    v.push('Dockerfile: CMD does not cap the young generation (--max-semi-space-size)')
  return v
}

/** tini is installed and is PID 1, so SIGTERM reaches node and zombies are reaped. */
export function tiniInit(t: DeployTexts): string[] {
  const v: string[] = []
  const last = finalStage(t, v)
  if (!last) return v
  if (!find(last, 'RUN').some((r) => /apt-get install[^&;|]*\btini\b/.test(r.args)))
    v.push('Dockerfile: the final stage does not install tini')
  const ep = find(last, 'ENTRYPOINT').at(-1)
  const first = ep ? execArgs(ep.args)[0] : undefined
  if (!first || !/(^|\/)tini$/.test(first)) v.push('Dockerfile: ENTRYPOINT does not start with tini')
  return v
}

/** No ENV or ARG with a secret-looking name carries a value (it would be baked into the image). */
export function noSecretsInImage(t: DeployTexts): string[] {
  const v: string[] = []
  for (const s of parseDockerfile(t.dockerfile)) {
    for (const ins of s.instructions.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
      for (const { key, value } of keyValues(ins)) {
        if (SECRET_NAME.test(key) && value !== undefined)
          v.push(`Dockerfile line ${ins.line}: ${ins.keyword} ${key} has a value baked into the image`)
      }
    }
  }
  return v
}

/** .dockerignore keeps node_modules, .git, data and dist out of the build context. */
export function dockerignoreExcludes(t: DeployTexts): string[] {
  const v: string[] = []
  const lines = t.dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  const norm = (l: string) => l.replace(/^\/+/, '').replace(/\/+$/, '')
  const excluded = new Set(lines.filter((l) => !l.startsWith('!')).map(norm))
  for (const need of ['node_modules', '.git', 'data', 'dist'])
    if (!excluded.has(need)) v.push(`.dockerignore: ${need} is not excluded`)
  for (const l of lines.filter((x) => x.startsWith('!'))) {
    const back = norm(l.slice(1))
    if (['node_modules', '.git', 'data', 'dist'].some((n) => back === n || back.startsWith(`${n}/`)))
      v.push(`.dockerignore: ${l} re-includes an excluded folder`)
  }
  return v
}

// ---- compose.yaml -----------------------------------------------------------------------------------

type Y = Record<string, unknown>
const isMap = (x: unknown): x is Y => typeof x === 'object' && x !== null && !Array.isArray(x)

export function parseCompose(text: string): { doc: Y; errors: string[] } {
  const d = parseDocument(text, { merge: true })
  const errors = [...d.errors, ...d.warnings].map((e) => e.message)
  const doc = d.toJS({ maxAliasCount: 1000 }) as unknown
  return { doc: isMap(doc) ? doc : {}, errors }
}

function services(t: DeployTexts): Map<string, Y> {
  const { doc } = parseCompose(t.compose)
  const out = new Map<string, Y>()
  if (isMap(doc.services)) for (const [k, s] of Object.entries(doc.services)) if (isMap(s)) out.set(k, s)
  return out
}

const profilesOf = (s: Y): string[] => (Array.isArray(s.profiles) ? s.profiles.map(String) : [])
const inProfile = (t: DeployTexts, profile: string) =>
  [...services(t)].filter(([, s]) => profilesOf(s).includes(profile))

/** `environment` as a map, from either the map or the list (`KEY=value`) form. */
function environmentOf(s: Y): Map<string, string | null> {
  const out = new Map<string, string | null>()
  if (Array.isArray(s.environment)) {
    for (const e of s.environment.map(String)) {
      const i = e.indexOf('=')
      out.set(i < 0 ? e : e.slice(0, i), i < 0 ? null : e.slice(i + 1))
    }
  } else if (isMap(s.environment)) {
    for (const [k, val] of Object.entries(s.environment))
      out.set(k, val === null || val === undefined ? null : String(val))
  }
  return out
}

/** Short (`src:dst[:mode]`) and long volume forms as {source, target}. */
function volumesOf(s: Y): { source: string; target: string }[] {
  return (Array.isArray(s.volumes) ? s.volumes : []).map((vol) => {
    if (isMap(vol)) return { source: String(vol.source ?? ''), target: String(vol.target ?? '') }
    const [source = '', target = ''] = String(vol).split(':')
    return { source, target }
  })
}

function dependsOn(s: Y): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>()
  if (Array.isArray(s.depends_on)) for (const d of s.depends_on) out.set(String(d), undefined)
  else if (isMap(s.depends_on))
    for (const [k, d] of Object.entries(s.depends_on))
      out.set(k, isMap(d) && typeof d.condition === 'string' ? d.condition : undefined)
  return out
}

function portsOf(s: Y): string[] {
  return (Array.isArray(s.ports) ? s.ports : []).map((p) =>
    isMap(p) ? `${String(p.published ?? '')}:${String(p.target ?? '')}` : String(p),
  )
}

const isAppService = (s: Y) => isMap(s.build) || s.image === 'statehouse:local'

/** compose.yaml parses (merge keys included) and has services, volumes and both profiles. */
export function composeParses(t: DeployTexts): string[] {
  const { doc, errors } = parseCompose(t.compose)
  const v = errors.map((e) => `compose.yaml: ${e}`)
  if (!isMap(doc.services) || Object.keys(doc.services).length === 0) v.push('compose.yaml: no services')
  if (!isMap(doc.volumes)) v.push('compose.yaml: no top-level volumes')
  for (const p of ['single', 'scale'])
    if (inProfile(t, p).length === 0) v.push(`compose.yaml: no service in profile ${p}`)
  return v
}

/** Every app service builds deploy/docker/Dockerfile with the repository root as context. */
export function composeBuildsImage(t: DeployTexts): string[] {
  const v: string[] = []
  const apps = [...services(t)].filter(([, s]) => isAppService(s))
  if (apps.length === 0) v.push('compose.yaml: no app service')
  for (const [name, s] of apps) {
    const b = isMap(s.build) ? s.build : undefined
    if (!b) {
      v.push(`compose.yaml: ${name} has no build section`)
      continue
    }
    if (path.resolve(t.composeDir, String(b.context ?? '.')) !== path.resolve(t.repoRoot))
      v.push(`compose.yaml: ${name} build context is not the repository root`)
    if (b.dockerfile !== 'deploy/docker/Dockerfile')
      v.push(`compose.yaml: ${name} does not build deploy/docker/Dockerfile`)
  }
  return v
}

/** Profile single: exactly one app container, port 5000, SQLite on a named volume at /data. */
export function composeSingleProfile(t: DeployTexts): string[] {
  const v: string[] = []
  const { doc } = parseCompose(t.compose)
  const named = isMap(doc.volumes) ? Object.keys(doc.volumes) : []
  const single = inProfile(t, 'single')
  if (single.length !== 1) v.push(`compose.yaml: profile single has ${single.length} services, expected one container`)
  for (const [name, s] of single) {
    if (!isAppService(s)) v.push(`compose.yaml: ${name} (single) is not the statehouse app`)
    const data = volumesOf(s).find((x) => x.target === '/data')
    if (!data) v.push(`compose.yaml: ${name} (single) mounts nothing at /data`)
    else if (!named.includes(data.source))
      v.push(`compose.yaml: ${name} (single) mounts ${data.source} at /data, not a named volume`)
    if (!portsOf(s).some((p) => /(^|:)5000:5000$/.test(p) || p === '5000'))
      v.push(`compose.yaml: ${name} (single) does not publish port 5000`)
    const env = environmentOf(s)
    for (const key of ['DATABASE_URL', 'DB_HOST'])
      if (env.has(key)) v.push(`compose.yaml: ${name} (single) sets ${key}; it must use SQLite on /data`)
  }
  return v
}

/** The scale profile's services exist: 3 app replicas, nginx, postgres (with a volume), redis, minio + seed job. */
export function composeScaleServices(t: DeployTexts): string[] {
  const v: string[] = []
  const { doc } = parseCompose(t.compose)
  const named = isMap(doc.volumes) ? Object.keys(doc.volumes) : []
  const scale = new Map(inProfile(t, 'scale'))
  const apps = [...scale].filter(([, s]) => isAppService(s))
  const replicas = apps.reduce(
    (n, [, s]) => n + (isMap(s.deploy) && typeof s.deploy.replicas === 'number' ? s.deploy.replicas : 1),
    0,
  )
  if (replicas !== 3) v.push(`compose.yaml: profile scale runs ${replicas} app replicas, expected 3`)
  const image = (name: string) => String(scale.get(name)?.image ?? '')
  for (const [name, pattern] of [
    ['nginx', /nginx/],
    ['postgres', /postgres/],
    ['redis', /redis|valkey/],
    ['minio', /minio/],
  ] as const) {
    if (!scale.has(name)) v.push(`compose.yaml: profile scale has no ${name} service`)
    else if (!pattern.test(image(name))) v.push(`compose.yaml: ${name} runs ${image(name)}`)
  }
  const pg = scale.get('postgres')
  if (pg && !volumesOf(pg).some((x) => x.target === '/var/lib/postgresql/data' && named.includes(x.source)))
    v.push('compose.yaml: postgres keeps its data on no named volume')
  // The one-shot seeding job: runs once, creates the bucket, uploads the sample set.
  const seeds = [...scale].filter(([, s]) => /\bmc\b/.test(JSON.stringify([s.entrypoint, s.command])))
  if (seeds.length === 0) v.push('compose.yaml: no one-shot job running mc to seed the bucket')
  for (const [name, s] of seeds) {
    const script = JSON.stringify([s.entrypoint, s.command])
    if (s.restart !== 'no' && s.restart !== undefined)
      v.push(`compose.yaml: ${name} restarts (${String(s.restart)}); a one-shot job must not`)
    if (!/mc mb\b/.test(script)) v.push(`compose.yaml: ${name} does not create the bucket (mc mb)`)
    if (!/mc (mirror|cp)\b/.test(script)) v.push(`compose.yaml: ${name} does not upload files (mc mirror/cp)`)
    if (!volumesOf(s).some((x) => /data\/sample-aircraft$/.test(x.source)))
      v.push(`compose.yaml: ${name} does not mount data/sample-aircraft`)
  }
  // The replicas share the scale-out backends.
  for (const [name, s] of apps) {
    const env = environmentOf(s)
    const db = `${env.get('DATABASE_URL') ?? ''} ${env.get('DB_HOST') ?? ''}`
    if (!/\bpostgres\b/.test(db)) v.push(`compose.yaml: ${name} is not pointed at the postgres service`)
    if (!/^redis:\/\/(?:[^@]*@)?redis:6379/.test(env.get('REDIS_URL') ?? ''))
      v.push(`compose.yaml: ${name} REDIS_URL is not the redis service`)
    if (!/\/\/minio:9000/.test(env.get('S3_ENDPOINT') ?? ''))
      v.push(`compose.yaml: ${name} S3_ENDPOINT is not the minio service`)
    if (!/^s3:\/\//.test(env.get('AIRCRAFT_SOURCE') ?? ''))
      v.push(`compose.yaml: ${name} does not ingest from the bucket`)
  }
  // Replicas are interchangeable: the same image, env file, environment and start-up order. One
  // with another JWT_SECRET, database or Redis breaks every request nginx sends it (a token issued
  // by one replica must verify on the next).
  const shape = (s: Y) =>
    JSON.stringify({
      build: s.build,
      image: s.image,
      env_file: s.env_file,
      environment: [...environmentOf(s)].sort(),
      depends_on: s.depends_on,
      command: s.command,
    })
  const [first, ...others] = apps
  for (const [name, s] of others)
    if (first && shape(s) !== shape(first[1]))
      v.push(`compose.yaml: replica ${name} is configured differently from ${first[0]}`)
  return v
}

/**
 * Each app trusts exactly the proxies in front of it: one hop (nginx) in the scale profile, none
 * in single (published directly). "true" would take the client-written left-most X-Forwarded-For
 * address and let a client dodge per-client limits such as the login limit.
 */
export function composeProxyTrust(t: DeployTexts): string[] {
  const v: string[] = []
  for (const profile of ['scale', 'single'] as const) {
    for (const [name, s] of inProfile(t, profile)) {
      if (!isAppService(s)) continue
      const value = environmentOf(s).get('TRUST_PROXY')
      if (profile === 'scale' && value !== '1')
        v.push(`compose.yaml: ${name} (behind nginx) sets TRUST_PROXY to ${JSON.stringify(value)}, not "1"`)
      if (profile === 'single' && value !== undefined && value !== 'false')
        v.push(`compose.yaml: ${name} (no proxy) sets TRUST_PROXY to ${JSON.stringify(value)}`)
    }
  }
  return v
}

/** nginx: :8080 published, the statehouse.conf snippet mounted into conf.d, upstream names = app services. */
export function composeNginx(t: DeployTexts): string[] {
  const v: string[] = []
  const all = services(t)
  const nginx = all.get('nginx')
  if (!nginx) return ['compose.yaml: no nginx service']
  if (!portsOf(nginx).some((p) => /(^|:)8080:8080$/.test(p))) v.push('compose.yaml: nginx does not publish 8080')
  const conf = volumesOf(nginx).find(
    (x) => path.resolve(t.composeDir, x.source) === path.resolve(t.repoRoot, 'deploy/nginx/statehouse.conf'),
  )
  if (!conf) v.push('compose.yaml: nginx does not mount deploy/nginx/statehouse.conf')
  else if (!/^\/etc\/nginx\/conf\.d\/[\w.-]+\.conf$/.test(conf.target))
    v.push(`compose.yaml: statehouse.conf is mounted at ${conf.target}, not into /etc/nginx/conf.d (inside http {})`)
  const upstreamHosts = [...t.nginx.matchAll(/^\s*server\s+([\w.-]+):\d+/gm)].map((m) => m[1] as string)
  if (upstreamHosts.length === 0) v.push('statehouse.conf: no upstream servers')
  for (const host of upstreamHosts) {
    const s = all.get(host)
    if (!s || !profilesOf(s).includes('scale') || !isAppService(s))
      v.push(`statehouse.conf: upstream ${host} is not an app service of the scale profile`)
  }
  return v
}

/** Healthchecks on every long-running scale service and the single app; depends_on waits on conditions. */
export function composeHealthAndOrder(t: DeployTexts): string[] {
  const v: string[] = []
  const all = services(t)
  for (const [name, s] of all) {
    const oneShot = s.restart === 'no'
    if (!oneShot) {
      const hc = isMap(s.healthcheck) ? s.healthcheck : undefined
      if (!hc || hc.disable === true || !Array.isArray(hc.test) || hc.test.length === 0)
        v.push(`compose.yaml: ${name} has no healthcheck`)
      if (isAppService(s) && hc && !/\/health\b/.test(JSON.stringify(hc.test)))
        v.push(`compose.yaml: ${name} healthcheck does not probe /health`)
    }
    for (const [dep, condition] of dependsOn(s)) {
      const target = all.get(dep)
      if (!target) v.push(`compose.yaml: ${name} depends on unknown service ${dep}`)
      const expected = target?.restart === 'no' ? 'service_completed_successfully' : 'service_healthy'
      if (condition !== expected)
        v.push(`compose.yaml: ${name} depends on ${dep} with condition ${String(condition)}, expected ${expected}`)
    }
  }
  const apps = [...all].filter(([, s]) => isAppService(s) && profilesOf(s).includes('scale'))
  for (const [name, s] of apps) {
    const deps = dependsOn(s)
    for (const need of ['postgres', 'redis'])
      if (!deps.has(need)) v.push(`compose.yaml: ${name} does not wait for ${need}`)
    if (![...deps.keys()].some((d) => all.get(d)?.restart === 'no'))
      v.push(`compose.yaml: ${name} does not wait for the bucket seeding job`)
  }
  const nginxDeps = dependsOn(all.get('nginx') ?? {})
  for (const [name] of apps) if (!nginxDeps.has(name)) v.push(`compose.yaml: nginx does not wait for ${name}`)
  return v
}

/**
 * Secrets reach the app through env_file (.env), never as literal values in compose.yaml;
 * secret-named entries elsewhere are ${VAR} interpolations; .env.example ships every secret empty.
 */
export function composeSecretsFromEnvFile(t: DeployTexts): string[] {
  const v: string[] = []
  const all = services(t)
  for (const [name, s] of all) {
    if (isAppService(s)) {
      const files = (Array.isArray(s.env_file) ? s.env_file : [s.env_file]).map((f) =>
        isMap(f) ? String(f.path) : String(f),
      )
      if (!files.includes('.env')) v.push(`compose.yaml: ${name} does not read its secrets from env_file .env`)
    }
    for (const [key, value] of environmentOf(s)) {
      if (!SECRET_NAME.test(key) || value === null) continue
      if (!/^\$\{[A-Z_][A-Z0-9_]*(:?[-?][^}]*)?\}$/.test(value))
        v.push(`compose.yaml: ${name} sets ${key} to a literal value (use .env)`)
    }
    const cmd = JSON.stringify([s.command, s.entrypoint])
    if (/requirepass\s+(?!\$)|PASSWORD=(?!\$)\w/.test(cmd))
      v.push(`compose.yaml: ${name} has a secret literal in its command`)
  }
  const keys = new Map<string, string>()
  for (const line of t.envExample.split('\n')) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line)
    if (m) keys.set(m[1] as string, (m[2] as string).trim())
  }
  for (const need of [
    'API_KEY',
    'JWT_SECRET',
    'ADMIN_USERNAME',
    'ADMIN_PASSWORD',
    'DB_PASSWORD',
    'MINIO_ROOT_PASSWORD',
    'AWS_SECRET_ACCESS_KEY',
  ]) {
    if (!keys.has(need)) v.push(`.env.example: ${need} is missing`)
  }
  for (const [k, val] of keys)
    if (SECRET_NAME.test(k) && !/_ID$/.test(k) && val !== '')
      v.push(`.env.example: ${k} ships a value; every secret must be generated by the user`)
  // Everything compose interpolates with :? must be in .env.example.
  const uncommented = t.compose
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
  for (const m of uncommented.matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g))
    if (!keys.has(m[1] as string)) v.push(`.env.example: ${m[1] as string} (required by compose.yaml) is missing`)
  return v
}

/** Only nginx (scale) and the single app publish ports; backends stay on an internal network. */
export function composeExposure(t: DeployTexts): string[] {
  const v: string[] = []
  const { doc } = parseCompose(t.compose)
  const nets = isMap(doc.networks) ? doc.networks : {}
  for (const [name, s] of services(t)) {
    const publishes = portsOf(s).length > 0
    const allowed = name === 'nginx' || (isAppService(s) && profilesOf(s).includes('single'))
    if (publishes && !allowed) v.push(`compose.yaml: ${name} publishes ${portsOf(s).join(', ')}`)
    if (['postgres', 'redis', 'minio'].includes(name)) {
      const attached = Array.isArray(s.networks)
        ? s.networks.map(String)
        : isMap(s.networks)
          ? Object.keys(s.networks)
          : ['default']
      for (const n of attached) {
        const net = nets[n]
        if (!isMap(net) || net.internal !== true)
          v.push(`compose.yaml: ${name} is on network ${n}, which is not internal`)
      }
    }
  }
  return v
}

// ---- nginx ------------------------------------------------------------------------------------------

export interface Directive {
  name: string
  args: string[]
  children?: Directive[]
}

/** A small nginx config parser: words, quoted strings, `;`, `{`, `}`; comments dropped. */
export function parseNginx(text: string): Directive[] {
  const tokens: string[] = []
  const re = /#[^\n]*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[{};]|[^\s{};"'#]+/g
  for (const m of text.matchAll(re)) if (!m[0].startsWith('#')) tokens.push(m[0])
  let i = 0
  const block = (depth: number): Directive[] => {
    const out: Directive[] = []
    let words: string[] = []
    while (i < tokens.length) {
      const tok = tokens[i++] as string
      if (tok === ';') {
        if (words.length) out.push({ name: words[0] as string, args: words.slice(1) })
        words = []
      } else if (tok === '{') {
        out.push({ name: words[0] ?? '', args: words.slice(1), children: block(depth + 1) })
        words = []
      } else if (tok === '}') {
        if (words.length) throw new Error(`nginx: "${words.join(' ')}" is missing its ;`)
        if (depth === 0) throw new Error('nginx: unbalanced }')
        return out
      } else {
        words.push(tok.replace(/^["']|["']$/g, ''))
      }
    }
    if (words.length) throw new Error(`nginx: "${words.join(' ')}" is missing its ;`)
    if (depth > 0) throw new Error('nginx: a block is not closed')
    return out
  }
  return block(0)
}

function safeParseNginx(text: string, v: string[]): Directive[] {
  try {
    return parseNginx(text)
  } catch (e) {
    v.push(`statehouse.conf: ${(e as Error).message}`)
    return []
  }
}

const all = (ds: Directive[] | undefined, name: string) => (ds ?? []).filter((d) => d.name === name)

/** nginx time ("60", "60s", "5m", "1h") in seconds. */
export function nginxSeconds(value: string | undefined): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(value ?? '')
  if (!m) return NaN
  const n = Number(m[1])
  return n * ({ ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? 's'] ?? 1)
}

/** An http-level snippet: only upstream/map/server at the top, so it can be included from http {}. */
export function nginxSnippetShape(t: DeployTexts): string[] {
  const v: string[] = []
  const top = safeParseNginx(t.nginx, v)
  for (const d of top)
    if (!['upstream', 'map', 'server', 'log_format', 'limit_req_zone'].includes(d.name))
      v.push(`statehouse.conf: top-level "${d.name}" cannot appear inside http {}`)
  const servers = all(top, 'server')
  if (servers.length !== 1) v.push(`statehouse.conf: ${servers.length} server blocks, expected one`)
  for (const s of servers) {
    if (!all(s.children, 'listen').some((l) => l.args[0] === '8080'))
      v.push('statehouse.conf: the server does not listen on 8080')
  }
  return v
}

/** Upstream with least_conn and exactly the three app servers, each with passive health checks. */
export function nginxUpstream(t: DeployTexts): string[] {
  const v: string[] = []
  const top = safeParseNginx(t.nginx, v)
  const ups = all(top, 'upstream')
  if (ups.length !== 1) return [...v, `statehouse.conf: ${ups.length} upstream blocks, expected one`]
  const up = ups[0] as Directive
  if (all(up.children, 'least_conn').length !== 1) v.push('statehouse.conf: the upstream does not use least_conn')
  const servers = all(up.children, 'server')
  if (servers.length !== 3) v.push(`statehouse.conf: the upstream has ${servers.length} servers, expected 3`)
  const hosts = servers.map((s) => s.args[0])
  if (new Set(hosts).size !== hosts.length) v.push('statehouse.conf: duplicate upstream servers')
  for (const s of servers) {
    if (!/^app[1-3]:5000$/.test(s.args[0] ?? ''))
      v.push(`statehouse.conf: server ${s.args[0]} is not app1..3:5000 (tests rewrite exactly that shape)`)
    const params = new Map(s.args.slice(1).map((a) => a.split('=') as [string, string]))
    if (!(Number(params.get('max_fails')) > 0))
      v.push(`statehouse.conf: server ${s.args[0]} has no max_fails (passive health check)`)
    if (!(nginxSeconds(params.get('fail_timeout')) > 0))
      v.push(`statehouse.conf: server ${s.args[0]} has no fail_timeout`)
    if (s.args.includes('backup') || s.args.includes('down'))
      v.push(`statehouse.conf: server ${s.args[0]} is not an active member`)
  }
  const server = all(top, 'server')[0]
  const passes = collect(server, 'proxy_pass')
  if (passes.length === 0) v.push('statehouse.conf: nothing is proxied')
  for (const p of passes)
    if (p.args[0] !== `http://${up.args[0]}`) v.push(`statehouse.conf: proxy_pass ${p.args[0]} bypasses the upstream`)
  return v
}

function collect(d: Directive | undefined, name: string): Directive[] {
  if (!d?.children) return []
  return d.children.flatMap((c) => [...(c.name === name ? [c] : []), ...collect(c, name)])
}

/** X-Forwarded-For and X-Request-Id reach the app from every location. */
export function nginxProxyHeaders(t: DeployTexts): string[] {
  const v: string[] = []
  const server = all(safeParseNginx(t.nginx, v), 'server')[0]
  if (!server) return [...v, 'statehouse.conf: no server block']
  const headers = (ds: Directive[] | undefined) =>
    new Map(all(ds, 'proxy_set_header').map((h) => [(h.args[0] ?? '').toLowerCase(), h.args[1] ?? '']))
  const serverHeaders = headers(server.children)
  for (const loc of all(server.children, 'location')) {
    // nginx inherits proxy_set_header only when a level defines none of its own.
    const own = headers(loc.children)
    const effective = own.size > 0 ? own : serverHeaders
    const where = `location ${loc.args.join(' ')}`
    if (effective.get('x-forwarded-for') !== '$proxy_add_x_forwarded_for')
      v.push(`statehouse.conf: ${where} does not send X-Forwarded-For $proxy_add_x_forwarded_for`)
    if (!/^\$/.test(effective.get('x-request-id') ?? '')) v.push(`statehouse.conf: ${where} does not send X-Request-Id`)
  }
  if (all(server.children, 'location').length === 0) v.push('statehouse.conf: no location blocks')
  return v
}

/** /events (Server-Sent Events) is streamed unbuffered over HTTP/1.1 with a long read timeout; /process-s3-data waits long. */
export function nginxSse(t: DeployTexts): string[] {
  const v: string[] = []
  const server = all(safeParseNginx(t.nginx, v), 'server')[0]
  const events = all(server?.children, 'location').find((l) => l.args.at(-1) === '/events')
  if (!events) return [...v, 'statehouse.conf: no location for /events']
  const get = (name: string) =>
    all(events.children, name).at(-1)?.args[0] ?? all(server?.children, name).at(-1)?.args[0]
  if (get('proxy_buffering') !== 'off') v.push('statehouse.conf: /events is buffered (proxy_buffering must be off)')
  if (!(nginxSeconds(get('proxy_read_timeout')) >= 300))
    v.push(`statehouse.conf: /events proxy_read_timeout ${String(get('proxy_read_timeout'))} is under 5 minutes`)
  if (all(events.children, 'proxy_pass').length === 0) v.push('statehouse.conf: /events is not proxied')
  // Keep-alive HTTP/1.1 to the replica; with 1.0 nginx would close (and buffer) each stream.
  if (get('proxy_http_version') !== '1.1') v.push('statehouse.conf: /events is not proxied over HTTP/1.1')
  const ingest = all(server?.children, 'location').find((l) => l.args.at(-1) === '/process-s3-data')
  // POST /process-s3-data answers when the job has finished: minutes for a large ingest.
  const ingestRead = ingest
    ? (all(ingest.children, 'proxy_read_timeout').at(-1)?.args[0] ??
      all(server?.children, 'proxy_read_timeout').at(-1)?.args[0])
    : undefined
  if (!ingest) v.push('statehouse.conf: no location for /process-s3-data')
  else if (!(nginxSeconds(ingestRead) >= 300))
    v.push(`statehouse.conf: /process-s3-data proxy_read_timeout ${String(ingestRead)} is under 5 minutes`)
  return v
}

export const DOCKER_CHECKS: Record<string, TextCheck> = {
  multiStage,
  nodeLtsSlimBase,
  nonRootUser,
  healthcheck,
  runtimeSettings,
  defaultAircraftSource,
  productionDependenciesOnly,
  serverLaunchFlags,
  tiniInit,
  noSecretsInImage,
  dockerignoreExcludes,
}

export const COMPOSE_CHECKS: Record<string, TextCheck> = {
  composeParses,
  composeBuildsImage,
  composeSingleProfile,
  composeScaleServices,
  composeProxyTrust,
  composeNginx,
  composeHealthAndOrder,
  composeSecretsFromEnvFile,
  composeExposure,
}

export const NGINX_CHECKS: Record<string, TextCheck> = {
  nginxSnippetShape,
  nginxUpstream,
  nginxProxyHeaders,
  nginxSse,
}

// ---- what the runtime stage's `npm ci --omit=dev` must provide ---------------------------------------

/** A source file of the service, as compiled into the image. */
export interface SourceText {
  file: string
  text: string
}

/** The npm package a specifier loads (`@scope/name/sub` → `@scope/name`), or undefined for builtins and relative paths. */
export function packageOf(specifier: string): string | undefined {
  if (
    specifier.startsWith('.') ||
    specifier.startsWith('/') ||
    specifier.startsWith('node:') ||
    /^[a-z]+:/.test(specifier)
  )
    return undefined
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string)
  return builtinModules.includes(name) ? undefined : name
}

/**
 * Packages a source file loads at run time: value imports and re-exports (`import type` and
 * `export type` are erased by tsc; under verbatimModuleSyntax `import { type X }` is not, so it
 * counts), dynamic `import('…')`, and `require('…')` / `require.resolve('…')`.
 */
export function runtimePackages(source: SourceText): string[] {
  const sf = ts.createSourceFile(source.file, source.text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)
  const found = new Set<string>()
  const add = (spec: ts.Node | undefined) => {
    if (spec && ts.isStringLiteralLike(spec)) {
      const name = packageOf(spec.text)
      if (name) found.add(name)
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) add(node.moduleSpecifier)
    else if (ts.isExportDeclaration(node) && !node.isTypeOnly) add(node.moduleSpecifier)
    else if (ts.isCallExpression(node)) {
      const callee = node.expression
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require'
      const isResolve =
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'require' &&
        callee.name.text === 'resolve'
      if (isImport || isRequire || isResolve) add(node.arguments[0])
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return [...found].sort()
}

/**
 * Every package the service loads at run time is a production dependency: the image installs
 * `npm ci --omit=dev`, so one that is only a devDependency (or not declared at all) works under
 * `npm start` and crashes in the container.
 */
export function productionImportsDeclared(sources: SourceText[], packageJson: string): string[] {
  const v: string[] = []
  let pkg: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }
  try {
    pkg = JSON.parse(packageJson) as typeof pkg
  } catch (err) {
    return [`package.json does not parse: ${(err as Error).message}`]
  }
  const deps = new Set(Object.keys(pkg.dependencies ?? {}))
  const dev = new Set(Object.keys(pkg.devDependencies ?? {}))
  if (sources.length === 0) v.push('no source files to check')
  for (const s of sources) {
    for (const name of runtimePackages(s)) {
      if (deps.has(name)) continue
      v.push(
        `${s.file}: loads ${name}, which is ${dev.has(name) ? 'only a devDependency' : 'not in package.json'} (npm ci --omit=dev leaves it out of the image)`,
      )
    }
  }
  return v
}
