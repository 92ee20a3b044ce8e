/**
 * The container side of deploy/ checked statically (issue 6, acceptance 3): Dockerfile,
 * .dockerignore, compose.yaml (+ .env.example) and the nginx snippet. There is no Docker engine
 * here, so every property is a named check run on the real files (expecting no violation) and on
 * deliberately broken texts (expecting that check to report one). When Debian's nginx is installed
 * the snippet is also validated by `nginx -t` with the upstream addresses rewritten.
 */

import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { globSync } from 'glob'
import {
  COMPOSE_CHECKS,
  type DeployTexts,
  DOCKER_CHECKS,
  NGINX_CHECKS,
  parseCompose,
  parseDockerfile,
  productionImportsDeclared,
  runtimePackages,
  type SourceText,
  type TextCheck,
} from './docker-checks.js'
import { findNginx, testNginxConfig, writeBareNginxConfig } from './nginx-harness.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8')

const REAL: DeployTexts = {
  dockerfile: read('deploy/docker/Dockerfile'),
  dockerignore: read('.dockerignore'),
  compose: read('deploy/docker/compose.yaml'),
  envExample: read('deploy/docker/.env.example'),
  nginx: read('deploy/nginx/statehouse.conf'),
  composeDir: path.join(ROOT, 'deploy/docker'),
  repoRoot: ROOT,
}

const CHECKS: Record<string, TextCheck> = { ...DOCKER_CHECKS, ...COMPOSE_CHECKS, ...NGINX_CHECKS }

type TextKey = 'dockerfile' | 'dockerignore' | 'compose' | 'envExample' | 'nginx'

interface Mutation {
  check: string
  what: string
  key: TextKey
  find?: RegExp
  replace?: string
  /** Replace every match (default: exactly one match, or the first with `first`). */
  all?: boolean
  first?: boolean
  append?: string
  prepend?: string
}

const MUTATIONS: Mutation[] = [
  // Dockerfile
  {
    check: 'multiStage',
    what: 'one stage only',
    key: 'dockerfile',
    find: /FROM node:24-bookworm-slim AS runtime\n/,
    replace: '',
  },
  {
    check: 'multiStage',
    what: 'the runtime copies nothing from the build stage',
    key: 'dockerfile',
    find: /COPY --from=build /,
    replace: 'COPY ',
    all: true,
  },
  {
    check: 'nodeLtsSlimBase',
    what: 'Node 22 runtime',
    key: 'dockerfile',
    find: /FROM node:24-bookworm-slim AS runtime/,
    replace: 'FROM node:22-bookworm-slim AS runtime',
  },
  {
    check: 'nodeLtsSlimBase',
    what: 'a full (non-slim) build image',
    key: 'dockerfile',
    find: /FROM node:24-bookworm-slim AS build/,
    replace: 'FROM node:24-bookworm AS build',
  },
  {
    check: 'nodeLtsSlimBase',
    what: 'an odd, non-LTS major',
    key: 'dockerfile',
    find: /FROM node:24-bookworm-slim AS runtime/,
    replace: 'FROM node:25-slim AS runtime',
  },
  { check: 'nonRootUser', what: 'no USER', key: 'dockerfile', find: /\nUSER node\n/, replace: '\n' },
  { check: 'nonRootUser', what: 'USER root', key: 'dockerfile', find: /\nUSER node\n/, replace: '\nUSER root\n' },
  {
    check: 'nonRootUser',
    what: 'USER after CMD',
    key: 'dockerfile',
    find: /\nUSER node\n/,
    replace: '\n',
    append: 'USER node\n',
  },
  {
    check: 'healthcheck',
    what: 'HEALTHCHECK with curl',
    key: 'dockerfile',
    find: /HEALTHCHECK [^\n]*\\\n[^\n]*\n/,
    replace: 'HEALTHCHECK CMD curl -f http://127.0.0.1:5000/health || exit 1\n',
  },
  { check: 'healthcheck', what: 'HEALTHCHECK on /status', key: 'dockerfile', find: /\/health'/, replace: "/status'" },
  {
    check: 'healthcheck',
    what: 'no HEALTHCHECK',
    key: 'dockerfile',
    find: /HEALTHCHECK [^\n]*\\\n[^\n]*\n/,
    replace: '',
  },
  { check: 'runtimeSettings', what: 'EXPOSE 8000', key: 'dockerfile', find: /EXPOSE 5000/, replace: 'EXPOSE 8000' },
  {
    check: 'runtimeSettings',
    what: 'no /data volume',
    key: 'dockerfile',
    find: /VOLUME \["\/data"\]/,
    replace: 'VOLUME ["/var/lib/statehouse"]',
  },
  {
    check: 'runtimeSettings',
    what: 'ENVIRONMENT=development',
    key: 'dockerfile',
    find: /ENVIRONMENT=production/,
    replace: 'ENVIRONMENT=development',
  },
  {
    check: 'runtimeSettings',
    what: 'no HOST (the app would bind 127.0.0.1)',
    key: 'dockerfile',
    find: /\n {4}HOST=0\.0\.0\.0 \\/,
    replace: '',
  },
  {
    check: 'runtimeSettings',
    what: 'HOST=127.0.0.1',
    key: 'dockerfile',
    find: /HOST=0\.0\.0\.0/,
    replace: 'HOST=127.0.0.1',
  },
  {
    check: 'defaultAircraftSource',
    what: 'the sample set is not copied',
    key: 'dockerfile',
    find: /COPY --from=build \/app\/data\/sample-aircraft \.\/data\/sample-aircraft\n/,
    replace: '',
  },
  {
    check: 'defaultAircraftSource',
    what: 'the sample set is generated with another seed',
    key: 'dockerfile',
    find: /--seed 1 --out data\/sample-aircraft/,
    replace: '--seed 2 --out data/sample-aircraft',
  },
  {
    check: 'defaultAircraftSource',
    what: 'the sample set is copied to /data (the volume hides it)',
    key: 'dockerfile',
    find: /\.\/data\/sample-aircraft\n/,
    replace: '/data/sample-aircraft\n',
  },
  {
    check: 'productionDependenciesOnly',
    what: 'npm ci with dev dependencies',
    key: 'dockerfile',
    find: /npm ci --omit=dev/,
    replace: 'npm ci',
  },
  {
    check: 'productionDependenciesOnly',
    what: 'node_modules copied from the build stage',
    key: 'dockerfile',
    find: /COPY --from=build \/app\/dist \.\/dist\n/,
    replace: 'COPY --from=build /app/dist ./dist\nCOPY --from=build /app/node_modules ./node_modules\n',
  },
  {
    check: 'productionDependenciesOnly',
    what: 'TypeScript run with tsx',
    key: 'dockerfile',
    find: /CMD \["node", "--max-semi-space-size=2", "dist\/src\/server\.js"\]/,
    replace: 'CMD ["npx", "tsx", "src/server.ts"]',
  },
  {
    check: 'serverLaunchFlags',
    what: 'the young-generation flag dropped from CMD',
    key: 'dockerfile',
    find: /CMD \["node", "--max-semi-space-size=2", /,
    replace: 'CMD ["node", ',
  },
  {
    check: 'productionDependenciesOnly',
    what: 'sources copied into the runtime',
    key: 'dockerfile',
    find: /COPY --from=build \/app\/ui \.\/ui/,
    replace: 'COPY src ./src',
  },
  {
    check: 'tiniInit',
    what: 'no tini entrypoint',
    key: 'dockerfile',
    find: /ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/,
    replace: 'ENTRYPOINT ["docker-entrypoint.sh"]',
  },
  {
    check: 'tiniInit',
    what: 'tini not installed',
    key: 'dockerfile',
    find: /--no-install-recommends tini/,
    replace: '--no-install-recommends ca-certificates',
  },
  {
    check: 'noSecretsInImage',
    what: 'ARG NPM_TOKEN with a default',
    key: 'dockerfile',
    find: /FROM node:24-bookworm-slim AS runtime\n/,
    replace: 'FROM node:24-bookworm-slim AS runtime\nARG NPM_TOKEN=npm_abc123\n',
  },
  {
    check: 'noSecretsInImage',
    what: 'ENV JWT_SECRET baked in',
    key: 'dockerfile',
    find: /DATA_DIR=\/data/,
    replace: 'DATA_DIR=/data \\\n    JWT_SECRET=dev-secret',
  },
  {
    check: 'noSecretsInImage',
    what: 'legacy ENV API_KEY value',
    key: 'dockerfile',
    find: /\nUSER node\n/,
    replace: '\nENV API_KEY changeme\nUSER node\n',
  },
  {
    check: 'dockerignoreExcludes',
    what: 'node_modules not ignored',
    key: 'dockerignore',
    find: /^node_modules\n/m,
    replace: '',
  },
  { check: 'dockerignoreExcludes', what: '.git not ignored', key: 'dockerignore', find: /^\.git\n/m, replace: '' },
  { check: 'dockerignoreExcludes', what: 'data not ignored', key: 'dockerignore', find: /^data\n/m, replace: '' },
  { check: 'dockerignoreExcludes', what: 'dist not ignored', key: 'dockerignore', find: /^dist\n/m, replace: '' },
  { check: 'dockerignoreExcludes', what: 'data/secrets re-included', key: 'dockerignore', append: '!data/secrets\n' },

  // compose.yaml and .env.example
  {
    check: 'composeParses',
    what: 'broken YAML',
    key: 'compose',
    find: /^services:\n/m,
    replace: 'services:\n  broken: [unclosed\n',
  },
  {
    check: 'composeParses',
    what: 'no single profile',
    key: 'compose',
    find: /profiles: \[single\]/,
    replace: 'profiles: [solo]',
  },
  {
    check: 'composeBuildsImage',
    what: 'another Dockerfile',
    key: 'compose',
    find: /dockerfile: deploy\/docker\/Dockerfile/,
    replace: 'dockerfile: Dockerfile',
  },
  {
    check: 'composeBuildsImage',
    what: 'context is the compose folder',
    key: 'compose',
    find: /context: \.\.\/\.\./,
    replace: 'context: .',
  },
  {
    check: 'composeSingleProfile',
    what: 'SQLite on a bind mount',
    key: 'compose',
    find: /- statehouse-data:\/data/,
    replace: '- ./data:/data',
  },
  {
    check: 'composeSingleProfile',
    what: 'a second container in single',
    key: 'compose',
    find: /(?<pre>image: nginx:stable-alpine\n\s*profiles: )\[scale\]/,
    replace: '$<pre>[scale, single]',
  },
  {
    check: 'composeSingleProfile',
    what: 'single pointed at a database server',
    key: 'compose',
    find: /AIRCRAFT_SOURCE: file:\/samples/,
    replace: 'AIRCRAFT_SOURCE: file:/samples\n      DB_HOST: postgres',
  },
  {
    check: 'composeScaleServices',
    what: 'two replicas',
    key: 'compose',
    find: /(?<pre>app3:\n\s*<<: \*app\n\s*profiles: )\[scale\]/,
    replace: '$<pre>[extra]',
  },
  {
    check: 'composeScaleServices',
    what: 'postgres on a bind mount',
    key: 'compose',
    find: /- pg-data:\/var\/lib\/postgresql\/data/,
    replace: '- /tmp/pg:/var/lib/postgresql/data',
  },
  {
    check: 'composeScaleServices',
    what: 'the seed job creates no bucket',
    key: 'compose',
    find: /mc mb --ignore-existing/,
    replace: 'mc ls',
  },
  {
    check: 'composeScaleServices',
    what: 'replicas use a private Redis',
    key: 'compose',
    find: /REDIS_URL: redis:\/\/redis:6379/,
    replace: 'REDIS_URL: redis://localhost:6379',
  },
  {
    check: 'composeScaleServices',
    what: 'no minio service',
    key: 'compose',
    find: /\n {2}minio:\n/,
    replace: '\n  s3:\n',
  },
  {
    check: 'composeScaleServices',
    what: 'one replica on another Redis',
    key: 'compose',
    find: /(?<pre>app2:\n\s*<<: \*app\n\s*profiles: \[scale\]\n\s*)environment: \*scale-environment/,
    replace: '$<pre>environment:\n      <<: *scale-environment\n      REDIS_URL: redis://redis:6379/1',
  },
  {
    check: 'composeScaleServices',
    what: 'one replica with its own JWT_SECRET variable',
    key: 'compose',
    find: /(?<pre>app3:\n\s*<<: \*app\n\s*profiles: \[scale\]\n\s*)environment: \*scale-environment/,
    replace: '$<pre>environment:\n      <<: *scale-environment\n      JWT_SECRET: ${APP3_JWT_SECRET:?}',
  },
  {
    check: 'composeSecretsFromEnvFile',
    what: '.env.example lacks ADMIN_PASSWORD',
    key: 'envExample',
    find: /^ADMIN_PASSWORD=\n/m,
    replace: '',
  },
  {
    check: 'composeProxyTrust',
    what: 'replicas trust every X-Forwarded-For hop',
    key: 'compose',
    find: /TRUST_PROXY: "1"/,
    replace: 'TRUST_PROXY: "true"',
  },
  {
    check: 'composeProxyTrust',
    what: 'the single app (no proxy) trusts X-Forwarded-For',
    key: 'compose',
    find: /AIRCRAFT_SOURCE: file:\/samples/,
    replace: 'AIRCRAFT_SOURCE: file:/samples\n      TRUST_PROXY: "true"',
  },
  { check: 'composeNginx', what: 'nginx on 8081', key: 'compose', find: /"8080:8080"/, replace: '"8081:8080"' },
  {
    check: 'composeNginx',
    what: 'another nginx config mounted',
    key: 'compose',
    find: /\.\.\/nginx\/statehouse\.conf:/,
    replace: '../nginx/other.conf:',
  },
  {
    check: 'composeNginx',
    what: 'upstream names a service compose does not run',
    key: 'nginx',
    find: /server app3:5000/,
    replace: 'server app4:5000',
  },
  {
    check: 'composeHealthAndOrder',
    what: 'replicas wait only for postgres to start',
    key: 'compose',
    find: /condition: service_healthy/,
    replace: 'condition: service_started',
    first: true,
  },
  {
    check: 'composeHealthAndOrder',
    what: 'replicas do not wait for the seed job to finish',
    key: 'compose',
    find: /condition: service_completed_successfully/,
    replace: 'condition: service_healthy',
  },
  {
    check: 'composeHealthAndOrder',
    what: 'redis without healthcheck',
    key: 'compose',
    find: /test: \["CMD", "redis-cli", "ping"\]/,
    replace: 'disable: true',
  },
  {
    check: 'composeHealthAndOrder',
    what: 'nginx starts before app3',
    key: 'compose',
    find: /\n\s*app3:\n\s*condition: service_healthy/,
    replace: '',
  },
  {
    check: 'composeSecretsFromEnvFile',
    what: 'apps read another env file',
    key: 'compose',
    find: /env_file:\n(?<sp>\s*)- \.env/,
    replace: 'env_file:\n$<sp>- app.env',
  },
  {
    check: 'composeSecretsFromEnvFile',
    what: 'a literal database password',
    key: 'compose',
    find: /POSTGRES_PASSWORD: \$\{DB_PASSWORD:\?[^}]*\}/,
    replace: 'POSTGRES_PASSWORD: hunter2',
  },
  {
    check: 'composeSecretsFromEnvFile',
    what: '.env.example ships an API key',
    key: 'envExample',
    find: /^API_KEY=$/m,
    replace: 'API_KEY=changeme',
  },
  {
    check: 'composeSecretsFromEnvFile',
    what: '.env.example lacks DB_PASSWORD',
    key: 'envExample',
    find: /^DB_PASSWORD=\n/m,
    replace: '',
  },
  {
    check: 'composeExposure',
    what: 'postgres published',
    key: 'compose',
    find: /image: postgres:17-alpine\n/,
    replace: 'image: postgres:17-alpine\n    ports: ["5432:5432"]\n',
  },
  {
    check: 'composeExposure',
    what: 'backend network not internal',
    key: 'compose',
    find: /internal: true/,
    replace: 'internal: false',
  },

  // nginx
  { check: 'nginxSnippetShape', what: 'a whole nginx.conf instead of a snippet', key: 'nginx', prepend: 'events {}\n' },
  { check: 'nginxSnippetShape', what: 'listen 80', key: 'nginx', find: /listen 8080;/, replace: 'listen 80;' },
  { check: 'nginxUpstream', what: 'no least_conn', key: 'nginx', find: /\n\s*least_conn;/, replace: '' },
  { check: 'nginxUpstream', what: 'two servers', key: 'nginx', find: /\n\s*server app3:5000[^\n]*/, replace: '' },
  {
    check: 'nginxUpstream',
    what: 'no passive health check on a server',
    key: 'nginx',
    find: / max_fails=3 fail_timeout=10s/,
    replace: '',
    first: true,
  },
  {
    check: 'nginxUpstream',
    what: 'a location bypasses the upstream',
    key: 'nginx',
    find: /proxy_pass http:\/\/statehouse;/,
    replace: 'proxy_pass http://app1:5000;',
    first: true,
  },
  {
    check: 'nginxUpstream',
    what: 'an address tests cannot rewrite',
    key: 'nginx',
    find: /server app1:5000/,
    replace: 'server 10.0.0.1:5000',
  },
  {
    check: 'nginxProxyHeaders',
    what: 'no X-Forwarded-For',
    key: 'nginx',
    find: /\n\s*proxy_set_header X-Forwarded-For [^\n]*/,
    replace: '',
  },
  {
    check: 'nginxProxyHeaders',
    what: 'no X-Request-Id',
    key: 'nginx',
    find: /\n\s*proxy_set_header X-Request-Id [^\n]*/,
    replace: '',
  },
  {
    check: 'nginxProxyHeaders',
    what: 'a location header that drops the inherited ones',
    key: 'nginx',
    find: /(?<pre>location = \/events \{\n)/,
    replace: '$<pre>        proxy_set_header Host $host;\n',
  },
  {
    check: 'nginxSse',
    what: 'buffered /events',
    key: 'nginx',
    find: /proxy_buffering off;/,
    replace: 'proxy_buffering on;',
  },
  {
    check: 'nginxSse',
    what: 'proxy_buffering off removed from /events',
    key: 'nginx',
    find: /\s*proxy_buffering off;/,
    replace: '',
  },
  {
    check: 'nginxSse',
    what: 'short read timeout on /events',
    key: 'nginx',
    find: /(?<pre>proxy_cache off;\n\s*)proxy_read_timeout 1h;/,
    replace: '$<pre>proxy_read_timeout 30s;',
  },
  {
    check: 'nginxSse',
    what: '/events over HTTP/1.0',
    key: 'nginx',
    find: /(?<pre>location = \/events \{\n)/,
    replace: '$<pre>        proxy_http_version 1.0;\n',
  },
  {
    check: 'nginxSse',
    what: 'default read timeout on /process-s3-data',
    key: 'nginx',
    find: /(?<pre>location = \/process-s3-data \{\n\s*proxy_pass http:\/\/statehouse;\n)\s*proxy_read_timeout 1h;\n/,
    replace: '$<pre>',
  },
  {
    check: 'nginxSse',
    what: 'no /events location',
    key: 'nginx',
    find: /location = \/events/,
    replace: 'location = /stream',
  },
  { check: 'nginxSnippetShape', what: 'an unclosed server block', key: 'nginx', find: /\}\n$/, replace: '\n' },
]

function mutate(m: Mutation): DeployTexts {
  const before = REAL[m.key]
  let after = before
  if (m.find) {
    const global = new RegExp(m.find.source, m.find.flags.replace('g', '') + 'g')
    const count = (before.match(global) ?? []).length
    if (m.all || m.first) assert.ok(count >= 1, `${m.key}: ${m.find} does not match (mutation "${m.what}" is stale)`)
    else assert.equal(count, 1, `${m.key}: ${m.find} must match exactly once (mutation "${m.what}")`)
    after = before.replace(m.all ? global : m.find, m.replace ?? '')
  }
  if (m.append !== undefined) after += m.append
  if (m.prepend !== undefined) after = m.prepend + after
  assert.notEqual(after, before, `mutation "${m.what}" changed nothing`)
  return { ...REAL, [m.key]: after }
}

describe('deploy: Dockerfile, compose.yaml and nginx on the real files', () => {
  for (const [name, check] of Object.entries(CHECKS)) {
    it(`${name} holds`, () => {
      assert.deepEqual(check(REAL), [])
    })
  }

  it('every check is exercised by at least one mutation', () => {
    const exercised = new Set(MUTATIONS.map((m) => m.check))
    assert.deepEqual(
      Object.keys(CHECKS).filter((c) => !exercised.has(c)),
      [],
    )
  })

  it('the Dockerfile parser sees both stages and the final instructions', () => {
    const stages = parseDockerfile(REAL.dockerfile)
    assert.deepEqual(
      stages.map((s) => s.name),
      ['build', 'runtime'],
    )
    assert.equal(stages[1]?.instructions.at(-1)?.keyword, 'CMD')
  })

  it('compose.yaml resolves its merge keys (every replica inherits the build and env_file)', () => {
    const { doc } = parseCompose(REAL.compose)
    const services = doc.services as Record<string, Record<string, unknown>>
    for (const name of ['app', 'app1', 'app2', 'app3']) {
      assert.ok(services[name]?.build, `${name} has no build after merging`)
      assert.deepEqual(services[name]?.env_file, ['.env'])
    }
  })
})

describe('deploy: each container check catches a broken file', () => {
  for (const m of MUTATIONS) {
    it(`${m.check} catches: ${m.what}`, () => {
      const check = CHECKS[m.check]
      assert.ok(check, `no check named ${m.check}`)
      const violations = check(mutate(m))
      assert.ok(violations.length > 0, `${m.check} reported nothing for: ${m.what}`)
    })
  }
})

// ---- the runtime stage's production dependencies cover what src/ loads -------------------------------

describe("deploy: the image's production dependencies cover every package src/ loads", () => {
  const sources: SourceText[] = globSync('src/**/*.ts', { cwd: ROOT })
    .sort()
    .map((file) => ({ file, text: read(file) }))
  const packageJson = read('package.json')

  it('every package src/ loads at run time is in dependencies', () => {
    assert.ok(sources.length >= 20, `only ${sources.length} source files found`)
    assert.deepEqual(productionImportsDeclared(sources, packageJson), [])
  })

  it('the import scan sees value, dynamic and require.resolve loads and skips type-only ones', () => {
    const text = [
      "import type { A } from 'type-only'",
      "import { type B, c } from 'value-import'",
      "import { type D } from 'kept-by-verbatim-module-syntax'",
      "export type { E } from 'type-reexport'",
      "export { f } from '@scope/reexport/sub'",
      "import fs from 'node:fs'",
      "import path from 'path'",
      "import local from './local.js'",
      "const g = await import('dynamic-import')",
      "const h = require.resolve('resolved/bundle.js')",
    ].join('\n')
    assert.deepEqual(runtimePackages({ file: 'x.ts', text }), [
      '@scope/reexport',
      'dynamic-import',
      'kept-by-verbatim-module-syntax',
      'resolved',
      'value-import',
    ])
  })

  const broken: { what: string; extra: SourceText; expect: RegExp }[] = [
    {
      what: 'a devDependency imported by src/',
      extra: { file: 'src/extra.ts', text: "import { parse } from 'yaml'\nexport const y = parse('a: 1')\n" },
      expect: /yaml, which is only a devDependency/,
    },
    {
      what: 'an undeclared package loaded dynamically',
      extra: { file: 'src/extra.ts', text: "export const m = () => import('left-pad')\n" },
      expect: /left-pad, which is not in package\.json/,
    },
  ]
  for (const b of broken) {
    it(`catches ${b.what}`, () => {
      const v = productionImportsDeclared([...sources, b.extra], packageJson)
      assert.equal(v.length, 1, v.join('\n'))
      assert.match(v[0]!, b.expect)
    })
  }

  it('catches a runtime dependency moved to devDependencies', () => {
    const pkg = JSON.parse(packageJson) as {
      dependencies: Record<string, string>
      devDependencies: Record<string, string>
    }
    pkg.devDependencies.fastify = pkg.dependencies.fastify!
    delete pkg.dependencies.fastify
    assert.ok(
      productionImportsDeclared(sources, JSON.stringify(pkg)).some((x) =>
        /loads fastify, which is only a devDependency/.test(x),
      ),
    )
  })
})

// ---- the snippet under a real nginx (Debian's; .ci/run installs it) ----------------------------------

describe('deploy: the nginx snippet under a real nginx', () => {
  const nginx = findNginx()
  const ci = process.env.CI === 'true'
  if (!nginx && !ci)
    console.warn('*** nginx is not installed: skipping `nginx -t` of deploy/nginx/statehouse.conf (CI installs it) ***')
  const skip = !nginx && !ci ? 'nginx not installed (apt-get install nginx)' : false

  const test = (snippet: string) => {
    assert.ok(nginx, 'nginx is required when CI=true')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-nginx-'))
    try {
      return testNginxConfig(nginx, dir, writeBareNginxConfig(snippet, dir, [15001, 15002, 15003], 18080))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }

  it('nginx -t accepts the snippet included from an http block', { skip }, () => {
    const r = test(REAL.nginx)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stderr, /test is successful/)
  })

  it('nginx -t rejects a broken copy (so the test above can fail)', { skip }, () => {
    const r = test(REAL.nginx.replace('least_conn;', 'least_conn'))
    assert.notEqual(r.status, 0)
  })
})
