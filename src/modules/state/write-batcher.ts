/**
 * Group commit. Updates that arrive while a transaction is being written wait and then share the
 * next one, so a burst of N requests costs one fsync instead of N. Each request is still answered
 * only after the transaction holding its change has committed.
 *
 * With a deadline, a batch that has not committed in time is failed (its requests get the deadline's
 * error, a 503 to retry) and the next batch starts: one hung commit never stops every later write.
 * The abandoned transaction either commits or rolls back on its own; until it ends, the database's
 * row lock keeps the next batch from reading a state it has not settled.
 */
export class WriteBatcher<Command, Outcome> {
  private pending: { command: Command; resolve: (o: Outcome) => void; reject: (e: unknown) => void }[] = []
  private running = false
  private idle: Promise<void> = Promise.resolve()
  private markIdle: () => void = () => {}
  /** When the batch being written started (undefined: none), and when one last missed its deadline. */
  private batchStartedAt: number | undefined
  private lastMissedAt: number | undefined

  constructor(
    /** Writes one batch in one transaction and returns an outcome per command, in order. */
    private readonly commit: (commands: Command[]) => Promise<Outcome[]>,
    private readonly maxBatch = 1000,
    /** How long one batch may take, and the error its requests get when it takes longer. */
    private readonly deadline?: { ms: number; error: () => unknown },
  ) {}

  /**
   * Whether writes are stuck: a batch is past its deadline now, or one missed it within the last
   * `recentMs` with none committed since (readiness reports this; it clears by itself once writes
   * commit again or the miss is old).
   */
  stuck(recentMs: number, now = performance.now()): boolean {
    if (!this.deadline) return false
    if (this.batchStartedAt !== undefined && now - this.batchStartedAt > this.deadline.ms) return true
    return this.lastMissedAt !== undefined && now - this.lastMissedAt < recentMs
  }

  submit(command: Command): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      this.pending.push({ command, resolve, reject })
      if (!this.running) {
        this.running = true
        this.idle = new Promise((r) => (this.markIdle = r))
        // Let the requests already read from the sockets in this turn join the first batch.
        setImmediate(() => void this.drain())
      }
    })
  }

  /** Resolves when nothing is queued or being written (used on shutdown). */
  async flushed(): Promise<void> {
    await this.idle
  }

  private async drain() {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch)
      this.batchStartedAt = performance.now()
      try {
        const outcomes = await this.withinDeadline(this.commit(batch.map((p) => p.command)))
        this.lastMissedAt = undefined
        for (const [i, p] of batch.entries()) p.resolve(outcomes[i] as Outcome)
      } catch (err) {
        for (const p of batch) p.reject(err)
      }
    }
    this.batchStartedAt = undefined
    this.running = false
    this.markIdle()
  }

  private async withinDeadline(committing: Promise<Outcome[]>): Promise<Outcome[]> {
    const deadline = this.deadline
    if (!deadline) return committing
    let timer: NodeJS.Timeout | undefined
    const missed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.lastMissedAt = performance.now()
        reject(deadline.error())
      }, deadline.ms)
    })
    committing.catch(() => {}) // an abandoned commit that fails later has no one left to tell
    try {
      return await Promise.race([committing, missed])
    } finally {
      clearTimeout(timer)
    }
  }
}
