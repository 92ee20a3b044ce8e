/** Aircraft (SPEC §6): look up an icao's stats and positions; the running ingest job's progress. */
import { useState } from 'preact/hooks'
import { ApiError, api } from '../api.js'
import { Empty, LiveBadge, ProblemBox, Time, useLoad, useViewTitle } from '../components/common.js'
import { useLive } from '../live.js'
import { href, navigate } from '../router.js'

interface Stats {
  icao: string
  registration: string | null
  type: string | null
  observations: number
  max_altitude_baro: number | null
  max_ground_speed: number | null
  avg_altitude: number | null
  avg_speed: number | null
  had_emergency: boolean
  first_seen: string | null
  last_seen: string | null
}

interface Position {
  timestamp: string
  lat: number
  lon: number
}

interface Job {
  job_id: string
  status?: string
  files_done: number
  files_total: number
  records: number
  errors?: unknown
}

const ICAO = /^~?[A-Za-z0-9]{1,10}$/
const POSITIONS = 50

const fmt = (n: number | null, unit = '', digits = 0) =>
  n === null || n === undefined ? '—' : `${n.toLocaleString(undefined, { maximumFractionDigits: digits })}${unit}`

function IngestProgress({ job }: { job: Job | null }) {
  if (!job) return null
  const finished = job.status !== undefined
  const errors = Array.isArray(job.errors) ? job.errors.length : Number(job.errors ?? 0)
  return (
    <section class="card" aria-labelledby="job-h">
      <h2 id="job-h">{finished ? 'Last ingest job' : 'Ingest running'}</h2>
      <div class="progress-line">
        <progress max={Math.max(1, job.files_total)} value={job.files_done} aria-labelledby="job-text" />
        <span id="job-text">
          {job.files_done} of {job.files_total} files · {job.records.toLocaleString()} records
          {finished ? ` · ${job.status}${errors ? `, ${errors} failed ${errors === 1 ? 'file' : 'files'}` : ''}` : ''}
        </span>
      </div>
      <p class="muted">
        Job <code>{job.job_id}</code>
      </p>
    </section>
  )
}

export function AircraftView({ icao, query }: { icao: string | null; query: URLSearchParams }) {
  useViewTitle(icao ? `Aircraft ${icao}` : 'Aircraft')
  const [draft, setDraft] = useState(icao ?? '')
  const [draftError, setDraftError] = useState('')
  const [job, setJob] = useState<Job | null>(null)
  const page = Math.max(1, Math.floor(Number(query.get('page') ?? '1')) || 1)

  const stats = useLoad(
    (signal) => (icao ? api<Stats>(`/aircraft/${encodeURIComponent(icao)}/stats`, { signal }) : Promise.resolve(null)),
    `stats:${icao}`,
  )
  const positions = useLoad(
    (signal) =>
      icao
        ? api<Position[]>(`/aircraft/${encodeURIComponent(icao)}/positions?page=${page}&limit=${POSITIONS}`, { signal })
        : Promise.resolve(null),
    `pos:${icao}:${page}`,
  )
  const known = useLoad(
    (signal) => (icao ? Promise.resolve(null) : api<{ icao: string }[]>('/aircraft?page=1&limit=24', { signal })),
    `known:${icao}`,
  )
  const live = useLive({
    topics: ['aircraft'],
    types: ['aircraft.ingest_progress', 'aircraft.ingest_finished'],
    onEvent: (type, d) => {
      setJob(d as unknown as Job)
      if (type === 'aircraft.ingest_finished') {
        stats.reload()
        positions.reload()
        known.reload()
      }
    },
    onReset: () => {
      stats.reload()
      positions.reload()
    },
  })

  function lookUp(e: Event) {
    e.preventDefault()
    const v = draft.trim()
    if (!ICAO.test(v)) {
      setDraftError('An icao is 1–10 letters or digits, optionally starting with ~ (e.g. 4ca7b5).')
      return
    }
    setDraftError('')
    navigate(`/aircraft/${encodeURIComponent(v)}`)
  }

  const notFound = stats.error instanceof ApiError && stats.error.status === 404
  const s = stats.data
  const list = positions.data

  return (
    <>
      <div class="view-head">
        <h1 tabIndex={-1}>{icao ? `Aircraft ${s?.icao ?? icao}` : 'Aircraft'}</h1>
        <LiveBadge status={live} />
      </div>
      {/* biome-ignore lint/a11y/useSemanticElements: Preact has no JSX typing for <search>; role="search" is its equivalent */}
      <form class="inline-form" role="search" onSubmit={lookUp}>
        <div class="field">
          <label for="icao">ICAO address</label>
          <input
            id="icao"
            value={draft}
            autocomplete="off"
            spellcheck={false}
            aria-describedby={draftError ? 'icao-error' : undefined}
            aria-invalid={draftError ? true : undefined}
            onInput={(e) => setDraft(e.currentTarget.value)}
          />
          {draftError ? (
            <p id="icao-error" class="field-error">
              {draftError}
            </p>
          ) : null}
        </div>
        <button type="submit">Look up</button>
      </form>
      <IngestProgress job={job} />
      {notFound ? (
        <Empty title={`No aircraft ${icao}`}>
          <p>Nothing with that address has been ingested. Check the spelling, or ingest more data.</p>
        </Empty>
      ) : (
        <ProblemBox error={stats.error} />
      )}
      {!icao && known.data ? (
        known.data.length > 0 ? (
          <section class="card" aria-labelledby="known-h">
            <h2 id="known-h">Some aircraft with data</h2>
            <ul class="chips">
              {known.data.map((a) => (
                <li key={a.icao}>
                  <a href={href(`/aircraft/${encodeURIComponent(a.icao)}`)}>{a.icao}</a>
                </li>
              ))}
            </ul>
          </section>
        ) : (
          <Empty title="No aircraft ingested yet">
            <p>Load the sample set that ships with statehouse, then look one up:</p>
            <pre class="code">
              <code>{`npm run statehouse -- ingest file:./data/sample-aircraft
# or, against the running server:
curl -X POST ${location.origin}/process-s3-data -H "X-API-Key: $KEY"`}</code>
            </pre>
          </Empty>
        )
      ) : null}
      <ProblemBox error={known.error} />
      {s ? (
        <section class="card" aria-labelledby="stats-h">
          <h2 id="stats-h">Statistics</h2>
          <dl class="facts" data-testid="aircraft-stats">
            <div>
              <dt>Registration</dt>
              <dd>{s.registration ?? '—'}</dd>
            </div>
            <div>
              <dt>Type</dt>
              <dd>{s.type ?? '—'}</dd>
            </div>
            <div>
              <dt>Observations</dt>
              <dd data-testid="observations">{s.observations.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Max altitude</dt>
              <dd>{fmt(s.max_altitude_baro, ' ft')}</dd>
            </div>
            <div>
              <dt>Average altitude</dt>
              <dd>{fmt(s.avg_altitude, ' ft')}</dd>
            </div>
            <div>
              <dt>Max ground speed</dt>
              <dd>{fmt(s.max_ground_speed, ' kt', 1)}</dd>
            </div>
            <div>
              <dt>Average speed</dt>
              <dd>{fmt(s.avg_speed, ' kt', 1)}</dd>
            </div>
            <div>
              <dt>Emergency</dt>
              <dd>{s.had_emergency ? 'Yes, at least once' : 'None seen'}</dd>
            </div>
            <div>
              <dt>First seen</dt>
              <dd>
                <Time iso={s.first_seen} />
              </dd>
            </div>
            <div>
              <dt>Last seen</dt>
              <dd>
                <Time iso={s.last_seen} />
              </dd>
            </div>
          </dl>
        </section>
      ) : null}
      {s && list ? (
        <section class="card" aria-labelledby="pos-h">
          <h2 id="pos-h">Positions</h2>
          {list.length === 0 ? (
            <p class="muted">{page > 1 ? 'No positions on this page.' : 'No positions recorded for this aircraft.'}</p>
          ) : (
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take keyboard focus (axe scrollable-region-focusable)
            <section class="table-wrap" tabIndex={0} aria-label="Positions">
              <table class="compact">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Latitude</th>
                    <th scope="col">Longitude</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((p) => (
                    <tr key={`${p.timestamp}-${p.lat}-${p.lon}`}>
                      <td>
                        <Time iso={p.timestamp} />
                      </td>
                      <td class="num">{p.lat.toFixed(5)}</td>
                      <td class="num">{p.lon.toFixed(5)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          <nav class="pager" aria-label="Position pages">
            <button
              type="button"
              disabled={page <= 1}
              onClick={() =>
                navigate(`/aircraft/${encodeURIComponent(icao ?? '')}${page > 2 ? `?page=${page - 1}` : ''}`)
              }
            >
              ← Earlier
            </button>
            <span>Page {page}</span>
            <button
              type="button"
              disabled={list.length < POSITIONS}
              onClick={() => navigate(`/aircraft/${encodeURIComponent(icao ?? '')}?page=${page + 1}`)}
            >
              Later →
            </button>
          </nav>
        </section>
      ) : null}
      <ProblemBox error={notFound ? null : positions.error} />
    </>
  )
}
