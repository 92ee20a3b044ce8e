/**
 * bench/RESULTS.md holds one section per benchmark (`## <title>`). Each benchmark replaces only its
 * own section, so running one never erases another's committed figures.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const RESULTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md')

const HEADER = `# Benchmarks

Figures are ratios against baselines measured in the same run (2 noisy cores: absolute numbers move,
ratios hold). Each section is rewritten by its own script with \`--write\`.
`

/** Replaces (or appends) the section titled `title` with `markdown`, stamped with today's date. */
export function writeResultsSection(title: string, markdown: string, file = RESULTS_FILE): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : HEADER
  const heading = `## ${title}`
  const body = `${heading}\n\n_${new Date().toISOString().slice(0, 10)}_\n\n${markdown.trim()}\n`
  const start = text.indexOf(`\n${heading}\n`)
  if (start < 0) {
    fs.writeFileSync(file, `${text.trimEnd()}\n\n${body}`)
    return
  }
  const next = text.indexOf('\n## ', start + heading.length + 1)
  const after = next < 0 ? '' : text.slice(next)
  fs.writeFileSync(file, `${text.slice(0, start).trimEnd()}\n\n${body}${after}`)
}
