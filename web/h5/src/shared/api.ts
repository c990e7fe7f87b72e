/** The JSON API of Lianfang as the pages call it: tokens kept in LocalStorage, refreshed once on a 401, problems
 * (RFC 9457) thrown as `Problem`, a request that never reached the server as `NetworkError`. */

export interface FieldProblem {
  field: string
  message: string
  code?: string
}

export class Problem extends Error {
  readonly status: number
  readonly code: string
  readonly errors: FieldProblem[]
  /** Seconds the server asked to wait (Retry-After), when it said. */
  readonly retryAfter: number | null

  constructor(status: number, body: Record<string, unknown>, retryAfter: number | null) {
    const detail = typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : ''
    super(detail || `请求失败（${status}）`)
    this.status = status
    this.code = typeof body.code === 'string' ? body.code : ''
    this.errors = Array.isArray(body.errors) ? (body.errors as FieldProblem[]) : []
    this.retryAfter = retryAfter
  }
}

export class NetworkError extends Error {
  constructor() {
    super('网络连接失败，请检查网络')
  }
}

export interface Tokens {
  access_token: string
  refresh_token: string
}

function retryAfterOf(response: Response): number | null {
  const header = response.headers.get('Retry-After')
  if (header === null) return null
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds)
  const date = Date.parse(header)
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000)
}

async function problemOf(response: Response): Promise<Problem> {
  let body: Record<string, unknown> = {}
  try {
    const parsed: unknown = await response.json()
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>
  } catch {
    // A proxy's HTML error page: the status says enough.
  }
  return new Problem(response.status, body, retryAfterOf(response))
}

export interface RequestOptions {
  method?: string
  body?: unknown
  /** Send the stored access token (default true). */
  auth?: boolean
}

export class Api {
  private refreshing: Promise<boolean> | null = null

  /** `storageKey` keeps the resident's and the staff member's logins apart on a shared phone. */
  constructor(
    private readonly storageKey: string,
    private readonly storage: Storage = window.localStorage,
  ) {}

  get tokens(): Tokens | null {
    try {
      const raw = this.storage.getItem(this.storageKey)
      return raw ? (JSON.parse(raw) as Tokens) : null
    } catch {
      return null
    }
  }

  keep(tokens: Tokens): void {
    const { access_token, refresh_token } = tokens
    this.storage.setItem(this.storageKey, JSON.stringify({ access_token, refresh_token }))
  }

  forget(): void {
    this.storage.removeItem(this.storageKey)
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.fetchAuthorized(path, options)
    if (!response.ok) throw await problemOf(response)
    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }

  /** The raw response of an authorized request (refreshed once on a 401), for streams. */
  async fetchAuthorized(path: string, options: RequestOptions & { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<Response> {
    const auth = options.auth ?? true
    let response = await this.send(path, options, auth)
    if (response.status === 401 && auth && this.tokens && (await this.refresh())) {
      response = await this.send(path, options, auth)
    }
    if (response.status === 401 && auth) this.forget()
    return response
  }

  private async send(
    path: string,
    options: RequestOptions & { signal?: AbortSignal; headers?: Record<string, string> },
    auth: boolean,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
    if (options.body !== undefined) headers['Content-Type'] = 'application/json'
    const token = auth ? this.tokens?.access_token : undefined
    if (token) headers.Authorization = `Bearer ${token}`
    try {
      return await fetch(path, {
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      })
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error
      throw new NetworkError()
    }
  }

  /** One refresh at a time: a refresh token works once, and a second use would end the whole login. */
  private refresh(): Promise<boolean> {
    this.refreshing ??= this.exchange().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  private async exchange(): Promise<boolean> {
    const refresh_token = this.tokens?.refresh_token
    if (!refresh_token) return false
    const response = await this.send('/api/auth/refresh', { body: { refresh_token } }, false)
    if (!response.ok) {
      if (response.status < 500) this.forget()
      return false
    }
    this.keep((await response.json()) as Tokens)
    return true
  }
}
