/**
 * Reads a line from the terminal without echoing it (a password). Raw mode: each key arrives as
 * typed; Enter ends, Backspace deletes, Ctrl-C / Ctrl-D cancel. Only for a TTY stdin.
 */
export function promptHidden(
  question: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WritableStream = process.stderr,
): Promise<string> {
  return new Promise((resolve, reject) => {
    // Echo goes off before the question shows, so nothing typed after it can appear.
    input.setRawMode(true)
    output.write(question)
    let typed = ''
    const done = (err?: Error) => {
      input.setRawMode(false)
      input.pause()
      input.off('data', onData)
      output.write('\n')
      if (err) reject(err)
      else resolve(typed)
    }
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done()
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('cancelled'))
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1)
        else if (ch >= ' ' && typed.length < 4096) typed += ch
      }
    }
    input.resume()
    input.on('data', onData)
  })
}
