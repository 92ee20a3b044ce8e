/**
 * A small pool of worker threads that gunzip and parse aircraft files off the main thread, so the
 * main thread can write one file's statistics while the next files are being parsed.
 *
 * Workers start on first use (a server that never ingests starts none), are unref'd while idle (a
 * forgotten pool does not keep the process alive), and one that dies is replaced (the tasks it held
 * fail; one that cannot even load fails the queue instead of being restarted forever).
 * The worker is `parse-worker.js` beside this file; when this file runs as TypeScript (under tsx:
 * tests, dev) it is `parse-worker.ts`, loaded with tsx's loader.
 */
import os from 'node:os'
import { Worker } from 'node:worker_threads'
import type { CompactFile } from './parse/accumulator.js'
import { MalformedFileError } from './parse/malformed-file-error.js'
import { expandCompact, type ParsedFile } from './parse/parsed-file.js'

/** @internal A message to a worker: a file to read, or bytes to parse. */
export interface WorkerTask {
  id: number
  name: string
  path?: string
  bytes?: Uint8Array
}

/** @internal A worker's answer (or, once, `ready` when it has loaded). */
export type WorkerReply =
  | { ready: true }
  | { id: number; ok: true; result: CompactFile; bytes: number }
  | { id: number; ok: false; malformed: boolean; reason: string; code?: string | undefined }

/** Options of {@link ParserPool}. */
interface ParserPoolOptions {
  /** Worker threads; default {@link defaultPoolSize} (one core left for the main thread). */
  size?: number
  /** Young-generation size of each worker, MiB (V8's default when unset; measured no clear gain either way). */
  youngGenerationMb?: number
}

/** A parsed file and the size of what was read (gzipped size for a `.gz`). */
interface PoolResult<T> {
  file: T
  bytes: number
}

/** max(1, availableParallelism() - 1): every core but one, which the main thread needs to write. */
export function defaultPoolSize(): number {
  return Math.max(1, os.availableParallelism() - 1)
}

interface Pending {
  task: WorkerTask
  transfer: ArrayBuffer[]
  resolve: (value: PoolResult<CompactFile>) => void
  reject: (err: Error) => void
}

interface Slot {
  worker: Worker
  /** Posted to this worker and not answered yet, oldest first. */
  tasks: Pending[]
  /** Said it is ready: a worker that dies before that cannot load at all. */
  started: boolean
}

const RUNNING_TS = import.meta.url.endsWith('.ts')

/**
 * A worker running parse-worker.js, or parse-worker.ts under tsx. On Node 20 a worker does not get
 * tsx from `execArgv: ['--import', 'tsx']` ("Unknown file extension .ts"), so from source the worker
 * is a two-line bootstrap that registers tsx's ESM hooks in its own thread and then imports the file.
 */
function startWorker(youngGenerationMb: number | undefined): Worker {
  const resourceLimits = youngGenerationMb === undefined ? {} : { maxYoungGenerationSizeMb: youngGenerationMb }
  if (!RUNNING_TS) return new Worker(new URL('./parse-worker.js', import.meta.url), { resourceLimits })
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const file = JSON.stringify(new URL('./parse-worker.ts', import.meta.url).href)
  return new Worker(`import(${api}).then((tsx) => { tsx.register(); return import(${file}) })`, {
    eval: true,
    resourceLimits,
  })
}

/**
 * Tasks a worker holds at once: the one it parses and the next, already in its message queue, so
 * it never idles waiting for the main thread to hand it more (the main thread may be busy writing).
 */
const PIPELINE_DEPTH = 2

/**
 * The pool. `parse` gives {@link ParsedFile} objects; `parseCompact` gives the columns as they come
 * from the worker, for a consumer that can write them without building objects.
 */
export class ParserPool {
  readonly size: number
  private readonly youngMb: number | undefined
  private readonly slots: Slot[] = []
  private readonly queue: Pending[] = []
  private nextId = 1
  private closed = false

  constructor(options: ParserPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? defaultPoolSize()))
    this.youngMb = options.youngGenerationMb
  }

  /**
   * Reads (when given a path) or takes the bytes of one file, gunzips it if it is gzip, and parses
   * it on a worker. Tasks are answered as they finish; the pool queues any number of them.
   * @param input a file path, or the file's bytes (copied to the worker; the caller's buffer stays usable)
   * @param name the name errors mention; defaults to the path
   * @throws MalformedFileError when the file is neither format, truncated or not JSON;
   *         another Error when it cannot be read (with the fs `code`) or the worker died
   */
  async parseCompact(input: string | Uint8Array, name?: string): Promise<PoolResult<CompactFile>> {
    if (this.closed) throw new Error('ParserPool is closed')
    const task: WorkerTask = { id: this.nextId++, name: name ?? (typeof input === 'string' ? input : 'file') }
    const transfer: ArrayBuffer[] = []
    if (typeof input === 'string') task.path = input
    else {
      // A private copy, transferred: cloning a view would copy its whole (maybe pooled) ArrayBuffer.
      const copy = new Uint8Array(input.byteLength)
      copy.set(input)
      task.bytes = copy
      transfer.push(copy.buffer)
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ task, transfer, resolve, reject })
      this.pump()
    })
  }

  /** {@link parseCompact}, expanded into objects on the calling thread. */
  async parse(input: string | Uint8Array, name?: string): Promise<ParsedFile> {
    return expandCompact((await this.parseCompact(input, name)).file)
  }

  /** Stops the workers; queued and running tasks fail. */
  async close(): Promise<void> {
    this.closed = true
    const closed = (p: Pending) => p.reject(new Error(`${p.task.name}: ParserPool closed`))
    this.queue.splice(0).forEach(closed)
    for (const slot of this.slots) slot.tasks.splice(0).forEach(closed)
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()))
  }

  private pump() {
    while (this.queue.length > 0) {
      // An idle worker first, then a new one, then a second task for the least busy.
      let slot = this.slots.find((s) => s.tasks.length === 0)
      if (!slot && this.slots.length < this.size) slot = this.spawn()
      if (!slot) {
        for (const s of this.slots)
          if (s.tasks.length < PIPELINE_DEPTH && (!slot || s.tasks.length < slot.tasks.length)) slot = s
      }
      if (!slot) return
      const pending = this.queue.shift() as Pending
      slot.tasks.push(pending)
      slot.worker.ref()
      slot.worker.postMessage(pending.task, pending.transfer)
    }
  }

  private spawn(): Slot {
    const worker = startWorker(this.youngMb)
    const slot: Slot = { worker, tasks: [], started: false }
    this.slots.push(slot)
    worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) {
        slot.started = true
        return
      }
      const index = slot.tasks.findIndex((t) => t.task.id === reply.id)
      if (index < 0) return
      const [pending] = slot.tasks.splice(index, 1) as [Pending]
      if (slot.tasks.length === 0) worker.unref()
      if (reply.ok) pending.resolve({ file: reply.result, bytes: reply.bytes })
      else if (reply.malformed) pending.reject(new MalformedFileError(reply.reason, pending.task.name))
      else
        pending.reject(
          Object.assign(new Error(`${pending.task.name}: ${reply.reason}`), reply.code ? { code: reply.code } : {}),
        )
      this.pump()
    })
    const died = (why: string) => {
      const index = this.slots.indexOf(slot)
      if (index < 0) return
      this.slots.splice(index, 1)
      for (const pending of slot.tasks.splice(0))
        pending.reject(new Error(`${pending.task.name}: the parser worker stopped (${why})`))
      if (!slot.started) {
        // It could not even load (a missing file, a broken build): fail what waits instead of respawning forever.
        for (const waiting of this.queue.splice(0))
          waiting.reject(new Error(`${waiting.task.name}: the parser worker could not start (${why})`))
        return
      }
      if (!this.closed) this.pump()
    }
    worker.on('error', (err) => died(err.message))
    worker.on('exit', (code) => died(`exit code ${code}`))
    worker.unref()
    return slot
  }
}
