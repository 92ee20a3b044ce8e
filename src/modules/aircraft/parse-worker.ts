/**
 * Worker thread of the {@link ParserPool}: reads a file (or takes its bytes), gunzips and parses it
 * off the main thread, and posts back the columns of the result with their buffers transferred, so
 * the main thread receives ~9,000 aircraft without a deep copy or an object per field.
 */
import { readFileSync } from 'node:fs'
import { type MessagePort, parentPort } from 'node:worker_threads'
import type { CompactFile } from './parse/accumulator.js'
import { gunzipIfNeeded } from './parse/gunzip.js'
import { MalformedFileError } from './parse/malformed-file-error.js'
import { parseAircraftFileCompact } from './parse/parse-file.js'
import type { WorkerReply, WorkerTask } from './parser-pool.js'

if (!parentPort) throw new Error('parse-worker runs as a worker thread of ParserPool')
const port: MessagePort = parentPort

// Synchronous on purpose: this thread has nothing else to do, so tasks run one at a time in the
// order posted (the pool posts the next one early so that it is already waiting here).
port.on('message', (task: WorkerTask) => {
  let result: CompactFile
  let bytes: number
  try {
    const raw = task.path !== undefined ? readFileSync(task.path) : Buffer.from(task.bytes as Uint8Array)
    bytes = raw.length
    result = parseAircraftFileCompact(gunzipIfNeeded(raw, task.name), task.name)
  } catch (err) {
    const reply: WorkerReply = {
      id: task.id,
      ok: false,
      malformed: err instanceof MalformedFileError,
      reason: err instanceof MalformedFileError ? err.reason : err instanceof Error ? err.message : String(err),
      code: (err as NodeJS.ErrnoException | null)?.code,
    }
    port.postMessage(reply)
    return
  }
  const reply: WorkerReply = { id: task.id, ok: true, result, bytes }
  port.postMessage(reply, [
    result.stats.buffer,
    result.emergency.buffer,
    result.positionAircraft.buffer,
    result.positionData.buffer,
  ] as ArrayBuffer[])
})

const ready: WorkerReply = { ready: true }
port.postMessage(ready)
