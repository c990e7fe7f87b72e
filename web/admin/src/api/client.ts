// The one way the pages talk to the API: JSON in and out, RFC 9457 problems turned into `ApiError`, and a silent token
// refresh when an access token has expired (one refresh at a time, whatever the number of requests that hit the 401).

export interface FieldProblem {
  field: string
  message: string
  code?: string
  row?: number | null
}

export interface Problem {
  title: string
  status: number
  detail?: string | null
  code: string
  errors?: FieldProblem[] | null
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly detail: string | null
  readonly errors: FieldProblem[]

  constructor(problem: Problem) {
    super(problem.detail || problem.title)
    this.name = 'ApiError'
    this.status = problem.status
    this.code = problem.code
    this.title = problem.title
    this.detail = problem.detail ?? null
    this.errors = problem.errors ?? []
  }

  /** What to tell a person: the detail (or title), then each field's problem. */
  get explanation(): string {
    const fields = this.errors.map((error) => (error.row ? `第 ${error.row} 行：${error.message}` : error.message))
    return [this.message, ...fields].join('；')
  }
}

export interface TokenPair {
  access_token: string
  refresh_token: string
  expires_in: number
}

export interface TokenStore {
  access(): string | null
  refresh(): string | null
  save(pair: TokenPair): void
  clear(): void
}

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  json?: unknown
  form?: FormData
  /** Send no token (logins) and never try a refresh. */
  anonymous?: boolean
}

export interface Download {
  blob: Blob
  filename: string
}

export interface ClientOptions {
  tokens: TokenStore
  /** Called once the session cannot be saved (refresh refused): the page goes back to the login with this message. */
  onSessionLost: (message: string) => void
  fetch?: typeof fetch
}

const REFRESH_PATH = '/api/auth/refresh'

export function queryString(query: Query | undefined): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

async function problemOf(response: Response): Promise<ApiError> {
  const type = response.headers.get('content-type') ?? ''
  if (type.includes('json')) {
    try {
      const body = (await response.json()) as Partial<Problem>
      return new ApiError({
        title: body.title ?? response.statusText,
        status: response.status,
        detail: body.detail,
        code: body.code ?? 'http_error',
        errors: body.errors,
      })
    } catch {
      // A body that is not JSON after all is explained by its status alone, below.
    }
  }
  const title = response.status >= 500 ? '服务暂时不可用，请稍后再试' : `请求失败（${response.status}）`
  return new ApiError({ title, status: response.status, code: 'http_error' })
}

function filenameOf(response: Response, fallback: string): string {
  const disposition = response.headers.get('content-disposition') ?? ''
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  if (encoded) return decodeURIComponent(encoded[1])
  const plain = /filename="?([^";]+)"?/i.exec(disposition)
  return plain ? plain[1] : fallback
}

export class ApiClient {
  private readonly tokens: TokenStore
  private readonly onSessionLost: (message: string) => void
  private readonly fetcher: typeof fetch
  private refreshing: Promise<boolean> | null = null

  constructor(options: ClientOptions) {
    this.tokens = options.tokens
    this.onSessionLost = options.onSessionLost
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init))
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options)
    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query })
  }

  post<T>(path: string, json?: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { json, query })
  }

  patch<T>(path: string, json: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { json })
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path)
  }

  /** A file answer (PDF, PNG, spreadsheet) with the name the server gave it. */
  async download(method: string, path: string, options: RequestOptions = {}, fallback = 'download'): Promise<Download> {
    const response = await this.send(method, path, options)
    return { blob: await response.blob(), filename: filenameOf(response, fallback) }
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const sentWith = options.anonymous ? null : this.tokens.access()
    let response = await this.attempt(method, path, options, sentWith)
    if (response.status === 401 && !options.anonymous && this.tokens.refresh()) {
      // Another request may have refreshed while this one was in flight: then its new token is simply used.
      const current = this.tokens.access()
      const renewed = current !== sentWith ? true : await this.refreshOnce()
      if (renewed) response = await this.attempt(method, path, options, this.tokens.access())
    }
    if (!response.ok) {
      const error = await problemOf(response)
      if (error.status === 401 && !options.anonymous) this.loseSession(error.message)
      throw error
    }
    return response
  }

  private attempt(method: string, path: string, options: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (token) headers.Authorization = `Bearer ${token}`
    let body: BodyInit | undefined
    if (options.form) body = options.form
    else if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.json)
    }
    return this.fetcher(path + queryString(options.query), { method, headers, body })
  }

  private refreshOnce(): Promise<boolean> {
    this.refreshing ??= this.renew().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  private async renew(): Promise<boolean> {
    const refreshToken = this.tokens.refresh()
    if (!refreshToken) return false
    const response = await this.attempt('POST', REFRESH_PATH, { json: { refresh_token: refreshToken } }, null)
    if (!response.ok) {
      const error = await problemOf(response)
      this.loseSession(error.message)
      return false
    }
    this.tokens.save((await response.json()) as TokenPair)
    return true
  }

  private loseSession(message: string): void {
    if (!this.tokens.refresh() && !this.tokens.access()) return
    this.tokens.clear()
    this.onSessionLost(message)
  }
}
