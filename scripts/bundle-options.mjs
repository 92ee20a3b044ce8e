/**
 * esbuild options every bundle of the server shares (`npm run build`'s scripts/bundle.mjs, and the
 * process-level tests that start the bundled server as production does).
 *
 * External (loaded from node_modules as before): native addons, and packages that read their own
 * files at run time (Swagger UI, ReDoc and @fastify/static serve assets from their package folders),
 * and the AWS SDK (imported only when an S3 source is used).
 */
export const SERVER_BUNDLE_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  external: [
    'better-sqlite3',
    '@node-rs/argon2',
    'pg-native',
    '@fastify/swagger-ui',
    '@fastify/static',
    'redoc',
    '@aws-sdk/*',
    'pino-pretty',
  ],
  // Bundled CommonJS packages call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
}
