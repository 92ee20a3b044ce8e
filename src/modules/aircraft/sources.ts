/**
 * Where position files come from: a folder (`file:./path`) or S3 (`s3://bucket/prefix`), behind one
 * interface. Listing is paginated and lazy; a file is read whole (one ~5 MB snapshot at a time).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { S3Client } from '@aws-sdk/client-s3'

/** One listed file. */
export interface SourceObject {
  key: string
  size: number
  /** Changes when the content does: S3's ETag, or a folder file's mtime and size. */
  etag: string
}

/** Where files come from; the name identifies the source in the processed-files table. */
export interface AircraftSource {
  /** Stable name of the source, part of what identifies a processed file. */
  readonly name: string
  /** Every `.json` / `.json.gz` object under `prefix` (relative to the source), sorted by key, page by page. */
  list(prefix?: string): AsyncIterable<SourceObject>
  /** One object's bytes. */
  read(key: string): Promise<Buffer>
  /** A local file path for the key, when the source is a folder (a worker thread then reads it itself). */
  localPath?(key: string): string
  /** Throws a {@link SourceError} saying why, when the source cannot be listed (before a job starts). */
  check?(): Promise<void>
}

/** A source that cannot be used as named: an unknown scheme, a missing folder, an unreadable one. */
export class SourceError extends Error {
  override name = 'SourceError'
}

/** The schemes {@link openSource} knows. */
const SCHEME = /^([a-z][a-z0-9+.-]*):/i

const DATA_FILE = /\.json(\.gz)?$/i

/** The configuration keys a source reads. */
export interface SourceSettings {
  AIRCRAFT_SOURCE?: string
  S3_BUCKET?: string
  S3_PREFIX?: string
  S3_ENDPOINT?: string
  AWS_REGION?: string
}

/** The configured source URL: AIRCRAFT_SOURCE, else s3://$S3_BUCKET/$S3_PREFIX, else the sample folder. */
export function sourceUrl(settings: SourceSettings): string {
  if (settings.AIRCRAFT_SOURCE) return settings.AIRCRAFT_SOURCE
  if (settings.S3_BUCKET) return `s3://${settings.S3_BUCKET}/${(settings.S3_PREFIX ?? '').replace(/^\/+/, '')}`
  return 'file:./data/sample-aircraft'
}

/**
 * The source a URL names: `s3://bucket/prefix`, or a folder (`file:./path`, `file:///abs`, or a bare
 * path). Any other scheme (`ftp://x`, `https://…`) is a {@link SourceError}, not a folder named `ftp:`.
 */
export function openSource(url: string, settings: SourceSettings = {}): AircraftSource {
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length)
    const slash = rest.indexOf('/')
    const bucket = slash < 0 ? rest : rest.slice(0, slash)
    const prefix = slash < 0 ? '' : rest.slice(slash + 1)
    if (!bucket) throw new SourceError(`source ${url}: no bucket (use s3://bucket/prefix)`)
    return new S3Source(bucket, prefix, settings)
  }
  const scheme = SCHEME.exec(url)?.[1]
  if (scheme && scheme.toLowerCase() !== 'file') {
    throw new SourceError(
      `source ${url}: unknown scheme "${scheme}:" (use file:./folder, a folder path, or s3://bucket/prefix)`,
    )
  }
  const dir = scheme ? url.slice('file:'.length).replace(/^\/\/(?=\/)/, '') : url
  if (dir === '') throw new SourceError(`source ${url}: no folder (use file:./folder)`)
  return new FolderSource(path.resolve(dir))
}

/**
 * A sub-prefix a request may name inside the configured source: relative, no `..`, no absolute path,
 * no scheme. Returns the normalised prefix or null when it is not acceptable.
 */
export function safeSubPrefix(prefix: string): string | null {
  if (prefix === '') return ''
  if (
    prefix.length > 512 ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
    /[\u0000-\u001f\\]/.test(prefix) ||
    prefix.startsWith('/') ||
    /^[a-z][a-z0-9+.-]*:/i.test(prefix)
  )
    return null
  const parts = prefix.split('/')
  if (parts.some((p) => p === '..' || p === '.')) return null
  return prefix
}

/** A local folder, walked recursively; a file's ETag is its mtime and size. */
class FolderSource implements AircraftSource {
  readonly name: string
  constructor(private readonly root: string) {
    this.name = `file:${root}`
  }

  /** The folder exists, is a folder, and can be listed. */
  async check(): Promise<void> {
    let stat: Awaited<ReturnType<typeof fs.stat>>
    try {
      stat = await fs.stat(this.root)
    } catch (err) {
      throw folderError(this.root, err)
    }
    if (!stat.isDirectory()) throw new SourceError(`${this.root} is not a folder`)
    try {
      await (await fs.opendir(this.root)).close()
    } catch (err) {
      throw folderError(this.root, err)
    }
  }

  async *list(prefix = ''): AsyncIterable<SourceObject> {
    const start = path.join(this.root, prefix)
    let entries: string[]
    try {
      entries = (await fs.readdir(start, { recursive: true })).map(String)
    } catch (err) {
      // A sub-prefix that names no folder matches no file; a missing source is an error, not "0 files".
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && start !== this.root) return
      throw folderError(this.root, err)
    }
    for (const entry of entries.sort()) {
      if (!DATA_FILE.test(entry)) continue
      const full = path.join(start, entry)
      const stat = await fs.stat(full)
      if (!stat.isFile()) continue
      const key = path.relative(this.root, full).split(path.sep).join('/')
      yield { key, size: stat.size, etag: `${Math.trunc(stat.mtimeMs)}-${stat.size}` }
    }
  }

  read(key: string): Promise<Buffer> {
    return fs.readFile(this.localPath(key))
  }

  localPath(key: string): string {
    return path.join(this.root, key)
  }
}

/** A folder's stat or listing error as a {@link SourceError} that says what is wrong in words. */
function folderError(root: string, err: unknown): SourceError {
  const code = (err as NodeJS.ErrnoException).code
  const what =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'cannot be read (permission denied)'
        : code === 'ENOTDIR'
          ? 'is not a folder'
          : `cannot be read (${oneLine((err as Error).message)})`
  return new SourceError(`folder ${root} ${what}`)
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' / ')

/**
 * An S3 bucket (or any S3-compatible store via S3_ENDPOINT, path-style), listed with paginated
 * ListObjectsV2. The SDK is loaded on first use: a server or CLI on a folder never pays for it.
 */
class S3Source implements AircraftSource {
  readonly name: string
  private sdk: Promise<{ sdk: typeof import('@aws-sdk/client-s3'); client: S3Client }> | undefined

  constructor(
    private readonly bucket: string,
    private readonly basePrefix: string,
    private readonly settings: SourceSettings,
  ) {
    this.name = `s3://${bucket}/${basePrefix}`
  }

  private connect() {
    this.sdk ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      // Credentials come from the SDK's default chain (env, profile, instance/task role).
      client: new sdk.S3Client({
        region: this.settings.AWS_REGION ?? 'us-east-1',
        ...(this.settings.S3_ENDPOINT ? { endpoint: this.settings.S3_ENDPOINT, forcePathStyle: true } : {}),
      }),
    }))
    return this.sdk
  }

  /** One listing request: the bucket exists and these credentials may list it. */
  async check(): Promise<void> {
    const { sdk, client } = await this.connect()
    try {
      await client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.basePrefix, MaxKeys: 1 }))
    } catch (err) {
      const name = (err as Error).name
      const what =
        name === 'NoSuchBucket'
          ? `bucket ${this.bucket} does not exist`
          : name === 'AccessDenied' || name === 'Forbidden'
            ? `access denied listing bucket ${this.bucket} (credentials, bucket policy)`
            : `cannot be listed: ${oneLine((err as Error).message || name)}`
      throw new SourceError(`source ${this.name}: ${what}`)
    }
  }

  async *list(prefix = ''): AsyncIterable<SourceObject> {
    const { sdk, client } = await this.connect()
    const full = this.basePrefix + prefix
    for await (const page of sdk.paginateListObjectsV2({ client }, { Bucket: this.bucket, Prefix: full })) {
      for (const object of page.Contents ?? []) {
        if (!object.Key || !DATA_FILE.test(object.Key)) continue
        yield {
          key: object.Key.slice(this.basePrefix.length),
          size: object.Size ?? 0,
          etag: (object.ETag ?? '').replace(/"/g, '') || `${object.LastModified?.getTime()}-${object.Size}`,
        }
      }
    }
  }

  async read(key: string): Promise<Buffer> {
    const { sdk, client } = await this.connect()
    const result = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.basePrefix + key }))
    if (!result.Body) throw new Error(`s3://${this.bucket}/${this.basePrefix}${key}: empty body`)
    return Buffer.from(await result.Body.transformToByteArray())
  }
}
