/**
 * deploy/scripts/deploy.sh and teardown.sh (issue 6, acceptance 5): `bash -n`, shellcheck without a
 * single finding, and dry runs against stub `terraform`, `aws`, `docker` and `curl` executables that
 * log their arguments - so the order of operations, the detected /32, the prompts and the error
 * messages are checked without AWS, Docker or the network.
 */

import assert from 'node:assert/strict'
import { type SpawnSyncReturns, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DEPLOY = path.join(ROOT, 'deploy/scripts/deploy.sh')
const TEARDOWN = path.join(ROOT, 'deploy/scripts/teardown.sh')
const SCRIPTS = [DEPLOY, TEARDOWN]

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  const found = r.stdout.trim()
  return r.status === 0 && found.startsWith('/') ? found : undefined
}

const BASH = which('bash') ?? '/bin/bash'

describe('deploy scripts: syntax and lint', () => {
  for (const script of SCRIPTS) {
    const name = path.basename(script)

    it(`${name}: bash -n`, () => {
      const r = spawnSync(BASH, ['-n', script], { encoding: 'utf8' })
      assert.equal(r.status, 0, r.stderr)
    })

    it(`${name}: is executable, has a bash shebang and set -euo pipefail before any command`, () => {
      const text = fs.readFileSync(script, 'utf8')
      assert.ok((fs.statSync(script).mode & 0o111) !== 0, `${name} is not executable`)
      assert.match(text, /^#!\/usr\/bin\/env bash\n/)
      const code = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'))
      assert.equal(code[0], 'set -euo pipefail')
    })
  }

  it('bash -n rejects a broken copy (so the test above can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-bashn-'))
    try {
      const copy = path.join(dir, 'deploy.sh')
      const text = fs.readFileSync(DEPLOY, 'utf8')
      const broken = text.replace(/\nfi\n/, '\n')
      assert.notEqual(broken, text, 'no `fi` line to remove')
      fs.writeFileSync(copy, broken)
      const r = spawnSync(BASH, ['-n', copy], { encoding: 'utf8' })
      assert.notEqual(r.status, 0)
      assert.match(r.stderr, /syntax error/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  const shellcheck = which('shellcheck')
  const ci = process.env.CI === 'true'
  if (!shellcheck && !ci)
    console.warn(
      '*** shellcheck is not installed: skipping the shellcheck tests (apt-get install shellcheck; CI installs it) ***',
    )
  const skip = !shellcheck && !ci ? 'shellcheck not installed' : false

  it('shellcheck reports nothing on either script (every severity)', { skip }, () => {
    assert.ok(shellcheck, 'shellcheck is required when CI=true')
    const r = spawnSync(shellcheck, ['--severity=style', '--shell=bash', ...SCRIPTS], { encoding: 'utf8' })
    assert.equal(r.status, 0, r.stdout + r.stderr)
  })

  it('shellcheck flags a broken copy (so the test above can fail)', { skip }, () => {
    assert.ok(shellcheck, 'shellcheck is required when CI=true')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-sc-'))
    try {
      const copy = path.join(dir, 'deploy.sh')
      fs.writeFileSync(copy, fs.readFileSync(DEPLOY, 'utf8').replace('[ -d "$STACK_DIR" ]', '[ -d $STACK_DIR ]'))
      const r = spawnSync(shellcheck, ['--severity=style', '--shell=bash', copy], { encoding: 'utf8' })
      assert.notEqual(r.status, 0)
      assert.match(r.stdout, /SC2086/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

// ---- dry runs with stub tools -------------------------------------------------------------------

const STUBS: Record<string, string> = {
  terraform: `#!/bin/sh
printf 'terraform %s\\n' "$*" >> "$STUB_LOG"
case " $* " in
  *" output "*)
    for last; do :; done
    case "$last" in
      api_url) echo "http://stub-alb.example" ;;
      status_endpoint) echo "http://stub-alb.example/status" ;;
      bucket_name) echo "stub-bucket" ;;
      api_key_command) echo "aws ssm get-parameter --name /statehouse/api-key" ;;
      admin_username) echo "admin" ;;
      admin_password_command) echo "aws ssm get-parameter --name /statehouse/admin-password" ;;
    esac ;;
  *" state list "*) printf '%s' "\${STUB_STATE-module.app.aws_ecr_repository.app
module.network.aws_vpc.this
}" ;;
esac
exit 0
`,
  aws: `#!/bin/sh
printf 'aws %s\\n' "$*" >> "$STUB_LOG"
case "$1 $2" in
  "sts get-caller-identity") [ -z "$STUB_NO_CREDENTIALS" ] || exit 255; echo 123456789012 ;;
  "configure get") exit 1 ;;
  "ecr describe-repositories") echo "123456789012.dkr.ecr.eu-west-1.amazonaws.com/statehouse" ;;
  "ecr get-login-password") echo "stub-password" ;;
esac
exit 0
`,
  docker: `#!/bin/sh
printf 'docker %s\\n' "$*" >> "$STUB_LOG"
if [ "$1" = info ] && [ -n "$STUB_DOCKER_DOWN" ]; then exit 1; fi
if [ "$1" = login ]; then cat > /dev/null; fi
exit 0
`,
  curl: `#!/bin/sh
printf 'curl %s\\n' "$*" >> "$STUB_LOG"
for last; do :; done
case "$last" in
  *checkip.amazonaws.com*) [ -z "$STUB_CHECKIP_DOWN" ] || exit 22; echo "203.0.113.7" ;;
  *) echo "198.51.100.9" ;;
esac
`,
}

/** Host tools the scripts use besides the stubbed ones (linked into an isolated PATH). */
const HOST_TOOLS = ['bash', 'sh', 'cat', 'dirname', 'tr', 'grep', 'date', 'git', 'rm', 'sed', 'head', 'env']

const temps: string[] = []
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true })
})

interface Run {
  status: number | null
  stdout: string
  stderr: string
  calls: string[]
}

/** Runs a script with only the stubs (minus `without`) and a few host tools on PATH. */
function run(
  script: string,
  args: string[],
  opts: { env?: Record<string, string>; input?: string; without?: string[] } = {},
): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-deploy-'))
  temps.push(dir)
  const bin = path.join(dir, 'bin')
  fs.mkdirSync(bin)
  for (const [name, body] of Object.entries(STUBS)) {
    if (opts.without?.includes(name)) continue
    fs.writeFileSync(path.join(bin, name), body, { mode: 0o755 })
  }
  for (const tool of HOST_TOOLS) {
    const real = which(tool)
    if (real) fs.symlinkSync(real, path.join(bin, tool))
  }
  const log = path.join(dir, 'calls.log')
  fs.writeFileSync(log, '')
  const r: SpawnSyncReturns<string> = spawnSync(BASH, [script, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    env: { PATH: bin, HOME: dir, STUB_LOG: log, AWS_REGION: 'eu-west-1', IMAGE_TAG: 'test-tag', ...opts.env },
    timeout: 60_000,
  })
  const calls = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean)
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls }
}

const index = (calls: string[], re: RegExp) => calls.findIndex((c) => re.test(c))

describe('deploy.sh: dry runs against stub tools', () => {
  it('--help prints the usage and exits 0', () => {
    const r = run(DEPLOY, ['--help'])
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /usage: deploy\/scripts\/deploy\.sh ec2\|ecs/)
    assert.deepEqual(r.calls, [])
  })

  it('refuses a missing or unknown STACK before touching anything', () => {
    const missing = run(DEPLOY, [])
    assert.notEqual(missing.status, 0)
    assert.match(missing.stderr, /missing STACK/)
    const unknown = run(DEPLOY, ['gke'])
    assert.notEqual(unknown.status, 0)
    assert.match(unknown.stderr, /unknown argument 'gke'/)
    assert.deepEqual([...missing.calls, ...unknown.calls], [])
  })

  for (const tool of ['terraform', 'aws', 'docker']) {
    it(`explains a missing ${tool}`, () => {
      const r = run(DEPLOY, ['ecs', '-y'], { without: [tool] })
      assert.notEqual(r.status, 0)
      assert.match(r.stderr, new RegExp(`'${tool}' is not installed`))
      assert.ok(!r.calls.some((c) => / apply /.test(c)), 'nothing may be applied')
    })
  }

  it('explains missing AWS credentials', () => {
    const r = run(DEPLOY, ['ec2', '-y'], { env: { STUB_NO_CREDENTIALS: '1' } })
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /no usable AWS credentials.*aws configure/)
    assert.equal(index(r.calls, /^terraform/), -1)
  })

  it('explains a stopped Docker engine', () => {
    const r = run(DEPLOY, ['ec2', '-y'], { env: { STUB_DOCKER_DOWN: '1' } })
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /Docker engine is not running/)
  })

  it('explains a missing region', () => {
    const r = run(DEPLOY, ['ec2', '-y'], { env: { AWS_REGION: '' } })
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /no AWS region/)
  })

  it("ecs -y: repository first, then build and push, then plan and apply with the caller's /32", () => {
    const r = run(DEPLOY, ['ecs', '-y'])
    assert.equal(r.status, 0, r.stderr)
    const c = r.calls
    const init = index(c, /^terraform -chdir=\S+\/stacks\/ecs init -input=false$/)
    const target = index(
      c,
      /^terraform -chdir=\S+\/stacks\/ecs apply -input=false -auto-approve -target=module\.app\.aws_ecr_repository\.app /,
    )
    const build = index(
      c,
      /^docker build --platform linux\/amd64 -f deploy\/docker\/Dockerfile -t 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/statehouse:test-tag \.$/,
    )
    const login = index(
      c,
      /^docker login --username AWS --password-stdin 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com$/,
    )
    const push = index(c, /^docker push 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/statehouse:test-tag$/)
    const plan = index(c, /^terraform -chdir=\S+\/stacks\/ecs plan -input=false -out=\S+deploy\.tfplan /)
    const apply = index(c, /^terraform -chdir=\S+\/stacks\/ecs apply -input=false \S+deploy\.tfplan$/)
    for (const [name, i] of Object.entries({ init, target, build, login, push, plan, apply }))
      assert.ok(i >= 0, `no ${name} call in:\n${c.join('\n')}`)
    assert.ok(
      init < target && target < build && build < login && login < push && push < plan && plan < apply,
      `wrong order:\n${c.join('\n')}`,
    )
    assert.match(c[plan] as string, /-var allowed_cidrs=\["203\.0\.113\.7\/32"\]/)
    assert.match(c[plan] as string, /-var region=eu-west-1/)
    assert.match(c[plan] as string, /-var image_tag=test-tag/)
    assert.match(c[plan] as string, /-var name=statehouse-ecs/)
    assert.ok(
      c.some((x) => /^aws ecr describe-repositories .*--repository-names statehouse-ecs /.test(x)),
      'looks the repository up by the stack name',
    )
    assert.ok(c.some((x) => /^curl .*https:\/\/checkip\.amazonaws\.com$/.test(x)))
    const sync = index(c, /^aws s3 sync .*data\/sample-aircraft s3:\/\/stub-bucket\/$/)
    assert.equal(
      sync >= 0,
      fs.existsSync(path.join(ROOT, 'data/sample-aircraft')),
      'uploads the sample set exactly when it exists',
    )
    assert.match(r.stdout, /api_url: +http:\/\/stub-alb\.example/)
    assert.match(r.stdout, /status_endpoint: +http:\/\/stub-alb\.example\/status/)
    assert.match(r.stdout, /teardown\.sh ecs/)
    // The smoke line carries every variable test/deployed needs.
    const smoke = r.stdout.split('\n').find((l) => l.includes('npm run test:deployed')) ?? ''
    assert.match(
      smoke,
      /API_URL=http:\/\/stub-alb\.example API_KEY=\$\(aws ssm get-parameter --name \/statehouse\/api-key\) API_USERNAME=admin API_PASSWORD=\$\(aws ssm get-parameter --name \/statehouse\/admin-password\) npm run test:deployed/,
    )
  })

  it('ec2 with AUTO_APPROVE=1 and DEPLOYER_IP: no IP lookup, allowed_cidr is that /32', () => {
    const r = run(DEPLOY, ['ec2'], { env: { AUTO_APPROVE: '1', DEPLOYER_IP: '192.0.2.44' } })
    assert.equal(r.status, 0, r.stderr)
    assert.equal(index(r.calls, /^curl/), -1, 'DEPLOYER_IP must skip the lookup')
    const plan = r.calls.find((x) => / plan /.test(x)) ?? ''
    assert.match(plan, /\/stacks\/ec2 plan /)
    assert.match(plan, /-var allowed_cidr=192\.0\.2\.44\/32/)
    assert.doesNotMatch(plan, /allowed_cidrs/)
  })

  it('falls back to another address service when checkip.amazonaws.com fails', () => {
    const r = run(DEPLOY, ['ec2', '-y'], { env: { STUB_CHECKIP_DOWN: '1' } })
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.calls.find((x) => / plan /.test(x)) ?? '', /-var allowed_cidr=198\.51\.100\.9\/32/)
  })

  it('rejects a DEPLOYER_IP that is not an IPv4 address', () => {
    const r = run(DEPLOY, ['ec2', '-y'], { env: { DEPLOYER_IP: '300.1.2.3' } })
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /not an IPv4 address/)
    assert.equal(index(r.calls, /^terraform/), -1)
  })

  it('ALLOWED_CIDRS opens the ECS load balancer wider on request', () => {
    const r = run(DEPLOY, ['ecs', '-y'], { env: { ALLOWED_CIDRS: '["0.0.0.0/0"]' } })
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.calls.find((x) => / plan /.test(x)) ?? '', /-var allowed_cidrs=\["0\.0\.0\.0\/0"\]/)
  })

  it('without -y, answering no at the first prompt changes nothing', () => {
    const r = run(DEPLOY, ['ecs'], { input: 'n\n' })
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /\[y\/N\]/)
    assert.match(r.stderr, /aborted/)
    assert.equal(index(r.calls, /^terraform|^docker (build|push)/), -1, r.calls.join('\n'))
  })

  it('without -y, answering no after the plan applies nothing', () => {
    const r = run(DEPLOY, ['ecs'], { input: 'y\nn\n' })
    assert.notEqual(r.status, 0)
    assert.ok(index(r.calls, / plan /) >= 0)
    assert.equal(index(r.calls, /apply -input=false \S+deploy\.tfplan$/), -1, 'the plan must not be applied')
  })

  it('tags the image with the git commit when IMAGE_TAG is unset', () => {
    const r = run(DEPLOY, ['ec2', '-y'], { env: { IMAGE_TAG: '' } })
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.calls.find((x) => / plan /.test(x)) ?? '', /-var image_tag=([0-9a-f]{12}(-dirty-\d{14})?|manual)\b/)
  })
})

describe('teardown.sh: dry runs against stub tools', () => {
  it('-y destroys the stack with the same variables, without Docker', () => {
    const r = run(TEARDOWN, ['ecs', '-y'], { without: ['docker'] })
    assert.equal(r.status, 0, r.stderr)
    const init = index(r.calls, /^terraform -chdir=\S+\/stacks\/ecs init -input=false$/)
    const destroy = index(r.calls, /^terraform -chdir=\S+\/stacks\/ecs destroy -input=false -auto-approve /)
    assert.ok(init >= 0 && destroy > init, r.calls.join('\n'))
    assert.match(r.calls[destroy] as string, /-var allowed_cidrs=\["203\.0\.113\.7\/32"\]/)
    assert.match(r.calls[destroy] as string, /-var region=eu-west-1/)
    assert.match(r.stderr, /final snapshot/)
  })

  it('ec2: destroys with allowed_cidr even when no address service answers', () => {
    const r = run(TEARDOWN, ['ec2', '-y'], { without: ['curl'] })
    assert.equal(r.status, 0, r.stderr)
    assert.match(
      r.calls.find((x) => / destroy /.test(x)) ?? '',
      /\/stacks\/ec2 destroy .*-var allowed_cidr=192\.0\.2\.1\/32/,
    )
  })

  it('does nothing when the state is empty', () => {
    const r = run(TEARDOWN, ['ecs', '-y'], { env: { STUB_STATE: '' } })
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stderr, /nothing to destroy/)
    assert.equal(index(r.calls, / destroy /), -1)
  })

  it('without -y, answering no destroys nothing', () => {
    const r = run(TEARDOWN, ['ecs'], { input: 'no\n' })
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /2 resources in state/)
    assert.equal(index(r.calls, / destroy /), -1)
  })

  it('explains missing credentials and a missing terraform', () => {
    const creds = run(TEARDOWN, ['ecs', '-y'], { env: { STUB_NO_CREDENTIALS: '1' } })
    assert.notEqual(creds.status, 0)
    assert.match(creds.stderr, /no usable AWS credentials/)
    const tf = run(TEARDOWN, ['ecs', '-y'], { without: ['terraform'] })
    assert.notEqual(tf.status, 0)
    assert.match(tf.stderr, /'terraform' is not installed/)
  })

  it('refuses an unknown STACK', () => {
    const r = run(TEARDOWN, ['prod'])
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /unknown argument 'prod'/)
    assert.deepEqual(r.calls, [])
  })
})
