/** Client-side routes under /ui/ (real paths, no hash), so every view has a link that loads directly. */
import { useEffect, useState } from 'preact/hooks'

const BASE = '/ui'

function currentPath(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname
  return p === '' ? '/' : p.replace(/\/+$/, '') || '/'
}

export function navigate(to: string, replace = false) {
  const url = to.startsWith(BASE) ? to : `${BASE}${to === '/' ? '/' : to}`
  if (url === location.pathname + location.search) return
  if (replace) history.replaceState(null, '', url)
  else history.pushState(null, '', url)
  document.body.dataset.navigated = '1' // views move focus to their heading after an in-app navigation
  dispatchEvent(new PopStateEvent('popstate'))
}

/** The current path (after /ui) and query; follows links inside the app without a page load. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0)
  useEffect(() => {
    const onPop = () => setTick((n) => n + 1)
    const onClick = (e: MouseEvent) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
      const a = (e.target as Element | null)?.closest('a')
      if (!a || a.target || a.hasAttribute('download') || a.getAttribute('href')?.startsWith('#')) return
      const url = new URL(a.href, location.href)
      if (url.origin !== location.origin || !(url.pathname === BASE || url.pathname.startsWith(`${BASE}/`))) return
      e.preventDefault()
      navigate(url.pathname + url.search)
    }
    addEventListener('popstate', onPop)
    document.addEventListener('click', onClick)
    return () => {
      removeEventListener('popstate', onPop)
      document.removeEventListener('click', onClick)
    }
  }, [])
  return { path: currentPath(), query: new URLSearchParams(location.search) }
}

export const href = (p: string) => `${BASE}${p}`
