/**
 * Group commit. Updates that arrive while a transaction is being written wait and then share the
 * next one, so a burst of N requests costs one fsync instead of N. Each request is still answered
 * only after the transaction holding its change has committed.
 */
export class WriteBatcher<Command, Outcome> {
  private pending: { command: Command; resolve: (o: Outcome) => void; reject: (e: unknown) => void }[] = []
  private running = false
  private idle: Promise<void> = Promise.resolve()
  private markIdle: () => void = () => {}

  constructor(
    /** Writes one batch in one transaction and returns an outcome per command, in order. */
    private readonly commit: (commands: Command[]) => Promise<Outcome[]>,
    private readonly maxBatch = 1000,
  ) {}

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
      try {
        const outcomes = await this.commit(batch.map((p) => p.command))
        batch.forEach((p, i) => p.resolve(outcomes[i] as Outcome))
      } catch (err) {
        for (const p of batch) p.reject(err)
      }
    }
    this.running = false
    this.markIdle()
  }
}
