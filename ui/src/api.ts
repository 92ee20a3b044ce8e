/** fetch() against the statehouse API: JSON in and out, problem+json errors turned into ApiError. */

export interface Problem {
  type?: string
  title?: string
  status?: number
  detail?: string
  instance?: string
  errors?: { path: string; message: string }[]
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly headers: Headers | null = null,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`)
  }
}

export interface RequestOptions {
  method?: string
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
}

export async function api<T>(url: string, opts: RequestOptions = {}): Promise<T> {
  let res: Response
  try {
    res = await fetch(url, {
      method: opts.method ?? 'GET',
      headers: {
        accept: 'application/json, application/problem+json',
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      signal: opts.signal,
      cache: 'no-store',
    })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiError(0, {
      title: 'The server could not be reached',
      detail: 'Check that statehouse is running, then try again.',
    })
  }
  const text = await res.text()
  let body: unknown = null
  if (text) {
    try {
      body = JSON.parse(text)
    } catch {
      body = null
    }
  }
  if (!res.ok) {
    const problem: Problem =
      body && typeof body === 'object'
        ? (body as Problem)
        : { title: res.statusText || `HTTP ${res.status}`, status: res.status }
    throw new ApiError(res.status, problem, res.headers)
  }
  return body as T
}

/** True for an error that comes from a request this view cancelled (navigated away, reloaded). */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError'
}
