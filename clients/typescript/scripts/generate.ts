/**
 * Regenerates the client's committed files from the server's OpenAPI document, built in process
 * (buildApp on an in-memory SQLite; nothing listens):
 *   openapi.json     the document, as GET /openapi.json serves it (for other generators)
 *   src/schema.d.ts  its TypeScript types (openapi-typescript)
 * `npm run generate -w clients/typescript`; with --check it writes nothing and exits 1 when either
 * committed file differs from what the server documents now (CI: test/clients/typescript.test.ts).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript'
import { buildApp } from '../../../src/app.js'
import { loadConfig } from '../../../src/config.js'

export const CLIENT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const HEADER =
  '/**\n * Generated from the statehouse OpenAPI document by clients/typescript/scripts/generate.ts\n' +
  ' * (openapi-typescript). Do not edit: run `npm run generate -w clients/typescript`.\n */\n\n'

/** The server's document, from the same buildApp production runs, with settings that do not change it. */
export async function serverDocument(): Promise<OpenAPI3> {
  const config = loadConfig({
    ENVIRONMENT: 'test',
    DATABASE_URL: 'sqlite::memory:',
    API_KEY: 'client-generation-key-0123456789',
    LOG_LEVEL: 'silent',
    DATA_DIR: '/nonexistent-data-dir',
  })
  const app = await buildApp(config)
  try {
    await app.ready()
    return structuredClone(app.swagger()) as OpenAPI3
  } finally {
    await app.close()
  }
}

/** Every generated file: its path inside clients/typescript and its text. */
export async function generatedFiles(): Promise<Record<string, string>> {
  const doc = await serverDocument()
  const types = astToString(await openapiTS(doc, { alphabetize: false }))
  return {
    'openapi.json': `${JSON.stringify(doc, null, 2)}\n`,
    'src/schema.d.ts': HEADER + types,
  }
}

/** The generated files whose committed text differs from what the server documents now. */
export async function staleFiles(): Promise<string[]> {
  const files = await generatedFiles()
  return Object.entries(files)
    .filter(([file, text]) => {
      const committed = path.join(CLIENT_ROOT, file)
      return !fs.existsSync(committed) || fs.readFileSync(committed, 'utf8') !== text
    })
    .map(([file]) => file)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = await staleFiles()
    if (stale.length > 0) {
      console.error(`out of date (run npm run generate -w clients/typescript): ${stale.join(', ')}`)
      process.exit(1)
    }
  } else {
    for (const [file, text] of Object.entries(await generatedFiles())) {
      fs.writeFileSync(path.join(CLIENT_ROOT, file), text)
      console.log(`wrote clients/typescript/${file}`)
    }
  }
}
