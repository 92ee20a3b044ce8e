/**
 * The AWS SDK's Node version warning (issue 14): on Node < 22 it warns once per process (when the
 * first client is made), not on every S3 call; on Node 22+ (CI's second run is Node 24) never.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import net from 'node:net'
import { describe, it } from 'node:test'
import { REPO_ROOT } from '../../helpers/server-process.js'

async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('AWS SDK on this Node', () => {
  it(`warns ${Number(process.versions.node.split('.')[0]) >= 22 ? 'never' : 'at most once per process'} over three clients and three S3 calls`, async () => {
    const port = await closedPort()
    // Three clients, one call each, against a closed port (each call fails at once; no network).
    const script = `
      import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
      for (let i = 0; i < 3; i++) {
        const client = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:${port}', forcePathStyle: true, maxAttempts: 1,
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
        await client.send(new ListObjectsV2Command({ Bucket: 'b' })).catch(() => {})
      }
      console.log('done')`
    const env = { ...process.env }
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    })
    assert.equal(run.status, 0, run.stderr)
    assert.match(run.stdout, /done/)
    const warnings = run.stderr.split('NodeVersionSupportWarning').length - 1
    if (Number(process.versions.node.split('.')[0]) >= 22) assert.equal(warnings, 0, run.stderr)
    else assert.ok(warnings <= 1, `warned ${warnings} times:\n${run.stderr}`)
  })
})
