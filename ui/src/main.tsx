/** The statehouse dashboard (SPEC §7): the shell (header, navigation, landmarks) and the routes. */
import 'uplot/dist/uPlot.min.css'
import './styles.css'
import { render } from 'preact'
import { useViewTitle } from './components/common.js'
import { href, useRoute } from './router.js'
import { useSession } from './store.js'
import { AircraftView } from './views/aircraft.js'
import { BuildsView, BuildView } from './views/builds.js'
import { LogView } from './views/log.js'
import { SignInView } from './views/signin.js'
import { StateView } from './views/state.js'

const NAV = [
  { to: '/', label: 'State', match: (p: string) => p === '/' },
  { to: '/log', label: 'Audit log', match: (p: string) => p === '/log' },
  { to: '/builds', label: 'Builds', match: (p: string) => p.startsWith('/builds') },
  { to: '/aircraft', label: 'Aircraft', match: (p: string) => p.startsWith('/aircraft') },
]

function NotFound({ path }: { path: string }) {
  useViewTitle('Not found')
  return (
    <>
      <h1 tabIndex={-1}>Not found</h1>
      <p>
        The dashboard has no page <code>/ui{path}</code>. Start from the <a href={href('/')}>shared state</a>.
      </p>
    </>
  )
}

function View({ path, query }: { path: string; query: URLSearchParams }) {
  if (path === '/') return <StateView />
  if (path === '/log') return <LogView query={query} />
  if (path === '/builds') return <BuildsView />
  if (path === '/signin') return <SignInView />
  if (path === '/aircraft') return <AircraftView icao={null} query={query} />
  const build = /^\/builds\/([^/]+)$/.exec(path)
  if (build) return <BuildView key={build[1]} id={decodeURIComponent(build[1]!)} />
  const aircraft = /^\/aircraft\/([^/]+)$/.exec(path)
  if (aircraft) return <AircraftView key={aircraft[1]} icao={decodeURIComponent(aircraft[1]!)} query={query} />
  return <NotFound path={path} />
}

function App() {
  const { path, query } = useRoute()
  const session = useSession()
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="top-inner">
          <a class="brand" href={href('/')}>
            statehouse
          </a>
          <nav aria-label="Dashboard">
            <ul>
              {NAV.map((n) => (
                <li key={n.to}>
                  <a href={href(n.to)} aria-current={n.match(path) ? 'page' : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
              <li>
                <a href={href('/signin')} aria-current={path === '/signin' ? 'page' : undefined}>
                  {session.jwt ? session.jwt.username : 'Sign in'}
                </a>
              </li>
            </ul>
          </nav>
        </div>
      </header>
      <main id="main">
        <View path={path} query={query} />
      </main>
      <footer class="foot">
        <p>
          API: <a href="/docs">/docs</a> · <a href="/redoc">/redoc</a> · <a href="/openapi.json">/openapi.json</a>
        </p>
      </footer>
    </>
  )
}

const root = document.getElementById('app')!
root.textContent = ''
render(<App />, root)
