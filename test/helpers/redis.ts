/**
 * The Redis the tests use (TEST_REDIS_URL, default the machine's local server), probed once: when it
 * does not answer the Redis tests skip loudly, and with CI=true the run fails instead, so CI can never
 * go green without having run them.
 */
import { Redis } from 'ioredis'

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

async function redisProblem(): Promise<string | null> {
  const client = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
    return null
  } catch (err) {
    return (err as Error).message || 'unreachable'
  } finally {
    client.disconnect()
  }
}

const problem = await redisProblem()
if (problem && process.env.CI === 'true') {
  throw new Error(`CI=true but Redis at ${TEST_REDIS_URL} is unreachable (${problem}); .ci/run must start it`)
}
if (problem) console.warn(`\n*** SKIPPING Redis tests: ${TEST_REDIS_URL} unreachable (${problem}) ***\n`)

/** false, or why the Redis tests are skipped on this machine. */
export const redisSkip: false | string = problem ? `Redis unreachable: ${problem}` : false
