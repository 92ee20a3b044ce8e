/** Build pipelines (SPEC §5): the dashboard summary with charts, and one build's timeline. */
import { useRef } from 'preact/hooks'
import { ApiError, api } from '../api.js'
import { type Bar, BarChart } from '../components/bar-chart.js'
import { Empty, LiveBadge, ProblemBox, Time, useLoad, useViewTitle } from '../components/common.js'
import { useLive } from '../live.js'
import { href } from '../router.js'
import { readCredentials, useSession } from '../store.js'

type BuildStatus = 'completed' | 'failed' | 'in_progress'

interface BuildRow {
  id: string
  build_id: string
  platform: string
  os_version: string
  image_type: string
  current_state: number
  status: BuildStatus
  created_at: string
  updated_at: string
  pipeline_url: string | null
  commit_hash: string | null
}

interface Summary {
  total_builds: number
  status_counts: Record<BuildStatus, number>
  by_platform: Record<string, { total: number } & Record<BuildStatus, number>>
  success_rate: number
  recent_builds: BuildRow[]
}

interface BuildDetail extends BuildRow {
  states: { state_code: number; state_name: string; message: string | null; transitioned_at: string }[]
  failures: {
    id: number
    state_code: number
    error_message: string
    error_code: string | null
    component: string | null
    recorded_at: string
  }[]
}

const STATUS_LABEL: Record<BuildStatus, string> = {
  completed: 'Completed',
  failed: 'Failed',
  in_progress: 'In progress',
}
// Colours with at least 3:1 contrast against the white card (WCAG 1.4.11, graphical objects).
const STATUS_COLOR: Record<BuildStatus, string> = { completed: '#15803d', failed: '#b91c1c', in_progress: '#1d4ed8' }
const BUILD_TYPES = ['build.created', 'build.state_changed', 'build.failed']

function StatusTag({ status }: { status: BuildStatus }) {
  return <span class={`tag tag-${status}`}>{STATUS_LABEL[status] ?? status}</span>
}

function NeedsCredentials() {
  return (
    <Empty title="Builds need a credential">
      <p>
        Every build route needs the <code>read</code> scope. <a href={href('/signin')}>Sign in</a> as a user, or enter
        an API key on the <a href={href('/signin')}>sign-in page</a> (it stays in this tab only).
      </p>
    </Empty>
  )
}

/** Reloads at most every 250 ms however many events arrive (a pipeline can move several states at once). */
function useCoalesced(reload: () => void): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  return () => {
    if (timer.current) return
    timer.current = setTimeout(() => {
      timer.current = null
      reload()
    }, 250)
  }
}

export function BuildsView() {
  useViewTitle('Builds')
  const session = useSession()
  const creds = readCredentials(session)
  const key = creds ? JSON.stringify(creds) : ''
  const summary = useLoad(
    (signal) => (creds ? api<Summary>('/dashboard/summary', { signal, headers: creds }) : Promise.resolve(null)),
    `summary:${key}`,
  )
  const refresh = useCoalesced(summary.reload)
  const live = useLive({
    topics: ['builds'],
    types: BUILD_TYPES,
    auth: true,
    onEvent: refresh,
    onReset: summary.reload,
  })

  const s = summary.data
  const statusBars: Bar[] = s
    ? (Object.keys(STATUS_LABEL) as BuildStatus[]).map((k) => ({
        label: STATUS_LABEL[k],
        value: s.status_counts[k] ?? 0,
        color: STATUS_COLOR[k],
      }))
    : []
  const platforms = s ? Object.entries(s.by_platform).sort(([a], [b]) => a.localeCompare(b)) : []
  const platformBars: Bar[] = platforms.map(([name, c]) => ({ label: name, value: c.total, color: '#1d4ed8' }))

  return (
    <>
      <div class="view-head">
        <h1 tabIndex={-1}>Builds</h1>
        {creds ? <LiveBadge status={live} /> : null}
      </div>
      {!creds ? <NeedsCredentials /> : null}
      <ProblemBox error={summary.error} />
      {s && s.total_builds === 0 ? (
        <Empty title="No builds yet">
          <p>A CI pipeline creates a build, then reports each state it reaches (0 → 100 in steps of 5):</p>
          <pre class="code">
            <code>{`curl -X POST ${location.origin}/builds -H "X-API-Key: $KEY" -H 'content-type: application/json' \\
     -d '{"platform": "aws-commercial", "os_version": "rhel-9.2", "image_type": "base", "build_id": "demo-1"}'
curl -X POST ${location.origin}/builds/demo-1/state -H "X-API-Key: $KEY" -H 'content-type: application/json' \\
     -d '{"state_code": 25, "message": "security baseline applied"}'`}</code>
          </pre>
          <p>It appears here as soon as it is created.</p>
        </Empty>
      ) : null}
      {s && s.total_builds > 0 ? (
        <>
          <section class="stats" aria-label="Totals">
            <div class="stat">
              <p class="stat-label">Builds</p>
              <p class="stat-value" data-testid="total-builds">
                {s.total_builds}
              </p>
            </div>
            <div class="stat">
              <p class="stat-label">Success rate</p>
              <p class="stat-value" data-testid="success-rate">
                {s.success_rate.toFixed(1)} %
              </p>
            </div>
            {(Object.keys(STATUS_LABEL) as BuildStatus[]).map((k) => (
              <div class="stat" key={k}>
                <p class="stat-label">{STATUS_LABEL[k]}</p>
                <p class="stat-value" data-testid={`count-${k}`}>
                  {s.status_counts[k] ?? 0}
                </p>
              </div>
            ))}
          </section>
          <div class="grid2">
            <section class="card" aria-labelledby="by-status-h">
              <h2 id="by-status-h">By status</h2>
              <BarChart bars={statusBars} label="Builds by status" />
            </section>
            <section class="card" aria-labelledby="by-platform-h">
              <h2 id="by-platform-h">By platform</h2>
              <BarChart bars={platformBars} label="Builds by platform" horizontal />
              {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take keyboard focus (axe scrollable-region-focusable) */}
              <section class="table-wrap" tabIndex={0} aria-label="Builds by platform and status">
                <table class="compact">
                  <thead>
                    <tr>
                      <th scope="col">Platform</th>
                      <th scope="col">Total</th>
                      <th scope="col">Completed</th>
                      <th scope="col">Failed</th>
                      <th scope="col">In progress</th>
                    </tr>
                  </thead>
                  <tbody>
                    {platforms.map(([name, c]) => (
                      <tr key={name}>
                        <th scope="row">{name}</th>
                        <td class="num">{c.total}</td>
                        <td class="num">{c.completed}</td>
                        <td class="num">{c.failed}</td>
                        <td class="num">{c.in_progress}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            </section>
          </div>
          <section class="card" aria-labelledby="recent-h">
            <h2 id="recent-h">Recent builds</h2>
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take keyboard focus (axe scrollable-region-focusable) */}
            <section class="table-wrap" tabIndex={0} aria-label="Recent builds">
              <table class="stack">
                <thead>
                  <tr>
                    <th scope="col">Build</th>
                    <th scope="col">Platform</th>
                    <th scope="col">OS / image</th>
                    <th scope="col">State</th>
                    <th scope="col">Status</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {s.recent_builds.map((b) => (
                    <tr key={b.id} data-build={b.build_id}>
                      <td data-label="Build">
                        <a href={href(`/builds/${encodeURIComponent(b.id)}`)}>{b.build_id}</a>
                      </td>
                      <td data-label="Platform">{b.platform}</td>
                      <td data-label="OS / image">
                        {b.os_version} / {b.image_type}
                      </td>
                      <td data-label="State" class="num" data-testid="state">
                        {b.current_state}
                      </td>
                      <td data-label="Status">
                        <StatusTag status={b.status} />
                      </td>
                      <td data-label="Updated">
                        <Time iso={b.updated_at} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </section>
        </>
      ) : null}
      {creds && summary.loading && !s ? <p>Loading…</p> : null}
    </>
  )
}

export function BuildView({ id }: { id: string }) {
  const session = useSession()
  const creds = readCredentials(session)
  const key = creds ? JSON.stringify(creds) : ''
  const build = useLoad(
    (signal) =>
      creds ? api<BuildDetail>(`/builds/${encodeURIComponent(id)}`, { signal, headers: creds }) : Promise.resolve(null),
    `build:${id}:${key}`,
  )
  const b = build.data
  useViewTitle(b ? `Build ${b.build_id}` : 'Build')
  const refresh = useCoalesced(build.reload)
  const live = useLive({
    topics: ['builds'],
    types: BUILD_TYPES,
    auth: true,
    onEvent: (_type, d) => {
      if (d.id === id || d.build_id === id || (b && (d.id === b.id || d.build_id === b.build_id))) refresh()
    },
    onReset: build.reload,
  })
  const notFound = build.error instanceof ApiError && build.error.status === 404

  return (
    <>
      <p class="crumbs">
        <a href={href('/builds')}>← All builds</a>
      </p>
      <div class="view-head">
        <h1 tabIndex={-1}>{b ? `Build ${b.build_id}` : 'Build'}</h1>
        {creds ? <LiveBadge status={live} /> : null}
      </div>
      {!creds ? <NeedsCredentials /> : null}
      <ProblemBox error={build.error}>
        {notFound ? <p>No build has the id or build_id “{id}”. Recent builds are listed on the Builds page.</p> : null}
      </ProblemBox>
      {b ? (
        <>
          <section class="card" aria-labelledby="b-h">
            <h2 id="b-h">Progress</h2>
            <div class="progress-line">
              <progress max={100} value={b.current_state} aria-labelledby="b-state" />
              <span id="b-state" data-testid="build-state">
                State {b.current_state} of 100 — {b.states[b.states.length - 1]?.state_name ?? ''}
              </span>
            </div>
            <dl class="facts">
              <div>
                <dt>Status</dt>
                <dd>
                  <StatusTag status={b.status} />
                </dd>
              </div>
              <div>
                <dt>Platform</dt>
                <dd>{b.platform}</dd>
              </div>
              <div>
                <dt>OS version</dt>
                <dd>{b.os_version}</dd>
              </div>
              <div>
                <dt>Image type</dt>
                <dd>{b.image_type}</dd>
              </div>
              <div class="wide">
                <dt>Commit</dt>
                <dd>{b.commit_hash ? <code class="break">{b.commit_hash}</code> : '—'}</dd>
              </div>
              <div class="wide">
                <dt>Pipeline</dt>
                <dd>{b.pipeline_url ? <span class="break">{b.pipeline_url}</span> : '—'}</dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd>
                  <Time iso={b.created_at} />
                </dd>
              </div>
              <div class="wide">
                <dt>Id</dt>
                <dd>
                  <code class="break">{b.id}</code>
                </dd>
              </div>
            </dl>
          </section>
          <div class="grid2">
            <section class="card" aria-labelledby="tl-h">
              <h2 id="tl-h">State timeline</h2>
              <ol class="timeline">
                {b.states.map((st, i) => (
                  <li key={`${st.state_code}-${i}`} class={st.state_code === 100 ? 'done' : ''}>
                    <span class="tl-code">{st.state_code}</span>
                    <div>
                      <p class="tl-name">{st.state_name}</p>
                      {st.message ? <p class="tl-msg">{st.message}</p> : null}
                      <p class="tl-time">
                        <Time iso={st.transitioned_at} />
                      </p>
                    </div>
                  </li>
                ))}
              </ol>
            </section>
            <section class="card" aria-labelledby="f-h">
              <h2 id="f-h">Failures</h2>
              {b.failures.length === 0 ? (
                <p class="muted">No failures recorded.</p>
              ) : (
                <ul class="failures">
                  {b.failures.map((f) => (
                    <li key={f.id}>
                      <p class="f-msg">{f.error_message}</p>
                      <p class="f-meta">
                        at state {f.state_code}
                        {f.error_code ? ` · code ${f.error_code}` : ''}
                        {f.component ? ` · ${f.component}` : ''} · <Time iso={f.recorded_at} />
                      </p>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </div>
        </>
      ) : creds && build.loading ? (
        <p>Loading…</p>
      ) : null}
    </>
  )
}
