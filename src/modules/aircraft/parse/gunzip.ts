/** A file's bytes as JSON text: gunzipped when they are gzip, whatever the file is called. */
import { gunzipSync } from 'node:zlib'
import { MalformedFileError } from './malformed-file-error.js'

/**
 * Output buffer size for gunzipSync: the size the gzip trailer states (ISIZE, the last 4 bytes), so
 * a file inflates into one buffer instead of ~300 chunks of 16 KiB concatenated at the end (~3 ms
 * a snapshot). Only a hint: a wrong or multi-member trailer just means more or unused room; at most 16 MiB.
 */
function gunzipChunkSize(buf: Buffer): number {
  const stated = buf.length >= 18 ? buf.readUInt32LE(buf.length - 4) : 0
  return Math.min(Math.max(stated + 1, 16 * 1024), 16 * 1024 * 1024)
}

/**
 * Gunzips when the bytes start with the gzip magic (whatever the file is called, so a mislabelled
 * file still reads); a truncated or corrupt stream is a {@link MalformedFileError}.
 */
export function gunzipIfNeeded(bytes: Uint8Array, name?: string): Buffer {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) return buf
  try {
    return gunzipSync(buf, { chunkSize: gunzipChunkSize(buf) })
  } catch (err) {
    throw new MalformedFileError(`not a complete gzip stream (${(err as Error).message})`, name)
  }
}
