/** The audit log (SPEC §2.3): newest first, paged; on page 1 new changes arrive live at the top. */
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { Empty, LiveBadge, ProblemBox, Time, useLoad, useViewTitle } from '../components/common.js'
import { useLive } from '../live.js'
import { href, navigate } from '../router.js'

interface LogEntry {
  id: number
  timestamp: string
  old_counter: number
  new_counter: number
  old_message: string
  new_message: string
  update_type: string
}

interface LogPage {
  logs: LogEntry[]
  page: number
  limit: number
  total: number
  total_pages: number
}

const LIMIT = 20

export function LogView({ query }: { query: URLSearchParams }) {
  useViewTitle('Audit log')
  const page = Math.max(1, Math.floor(Number(query.get('page') ?? '1')) || 1)
  const log = useLoad((signal) => api<LogPage>(`/logs?page=${page}&limit=${LIMIT}`, { signal }), `logs:${page}`)
  const [missed, setMissed] = useState(0)
  const [arrived, setArrived] = useState<ReadonlySet<number>>(new Set())
  const live = useLive({
    topics: ['state'],
    types: ['state.updated'],
    onEvent: (_type, d) => {
      const entry: LogEntry = {
        id: Number(d.version),
        timestamp: String(d.timestamp ?? ''),
        old_counter: Number(d.old_counter),
        new_counter: Number(d.counter),
        old_message: String(d.old_message ?? ''),
        new_message: String(d.message ?? ''),
        update_type: String(d.update_type ?? ''),
      }
      if (page !== 1) {
        setMissed((n) => n + 1)
        return
      }
      setArrived((ids) => new Set([...ids, entry.id].slice(-LIMIT)))
      log.setData((old) => {
        if (!old || old.logs.some((l) => l.id === entry.id)) return old
        const total = old.total + 1
        const logs = [entry, ...old.logs].sort((a, b) => b.id - a.id).slice(0, LIMIT)
        return { ...old, logs, total, total_pages: Math.max(1, Math.ceil(total / LIMIT)) }
      })
    },
    onReset: () => log.reload(),
  })

  const data = log.data
  const go = (p: number) => {
    setMissed(0)
    navigate(p === 1 ? '/log' : `/log?page=${p}`)
  }

  return (
    <>
      <div class="view-head">
        <h1 tabIndex={-1}>Audit log</h1>
        <LiveBadge status={live} />
      </div>
      <ProblemBox error={log.error} />
      {missed > 0 ? (
        <p class="notice" role="status">
          {missed} new {missed === 1 ? 'change' : 'changes'} since this page loaded.{' '}
          <a href={href('/log')}>Show the newest</a>
        </p>
      ) : null}
      {data && data.total === 0 ? (
        <Empty title="No changes recorded yet">
          <p>
            Every change of the counter or the message adds a row here. Make one on the <a href={href('/')}>State</a>{' '}
            page.
          </p>
        </Empty>
      ) : null}
      {data && data.logs.length > 0 ? (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take keyboard focus (axe scrollable-region-focusable)
        <section class="card table-wrap" tabIndex={0} aria-label="Audit log entries">
          <table class="log stack">
            <caption class="sr-only">
              Changes, newest first, page {data.page} of {data.total_pages}
            </caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">When</th>
                <th scope="col">Changed</th>
                <th scope="col">Counter</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {data.logs.map((l) => (
                <tr key={l.id} data-version={l.id} class={arrived.has(l.id) ? 'arrived' : undefined}>
                  <td data-label="Version" class="num">
                    {l.id}
                  </td>
                  <td data-label="When">
                    <Time iso={l.timestamp} />
                  </td>
                  <td data-label="Changed">{l.update_type}</td>
                  <td data-label="Counter" class="num">
                    {l.old_counter === l.new_counter ? l.new_counter : `${l.old_counter} → ${l.new_counter}`}
                  </td>
                  <td data-label="Message" class="message">
                    {l.old_message === l.new_message
                      ? l.new_message
                      : `${l.old_message || '(empty)'} → ${l.new_message || '(empty)'}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {data && data.logs.length === 0 && data.total > 0 ? <p>This page is past the end of the log.</p> : null}
      {data ? (
        <nav class="pager" aria-label="Audit log pages">
          <button type="button" disabled={page <= 1} onClick={() => go(page - 1)}>
            ← Newer
          </button>
          <span>
            Page {page} of {data.total_pages} · {data.total.toLocaleString()} {data.total === 1 ? 'change' : 'changes'}
          </span>
          <button type="button" disabled={page >= data.total_pages} onClick={() => go(page + 1)}>
            Older →
          </button>
        </nav>
      ) : log.loading ? (
        <p>Loading…</p>
      ) : null}
    </>
  )
}
