/** The one way the pages talk to the API: JSON in and out, problems thrown as `ApiError`, a request that got no answer as
 * `NetworkError`, and a silent token refresh on a 401 — one refresh at a time however many requests hit it, since each
 * refresh token works once and a second use ends the whole login. */

import { type ApiError, problemOf } from './problem'
import type { TokenStore } from './tokens'
import type { CancelSignal, Transport, TransportResponse } from './transport'

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  /** Sent as JSON. */
  json?: unknown
  /** Sent as it is, for a body the transport understands (`FormData` for fetch). */
  body?: unknown
  headers?: Record<string, string>
  signal?: CancelSignal
  /** Send no token and never refresh (logins). */
  anonymous?: boolean
}

export interface ClientOptions<R extends TransportResponse> {
  transport: Transport<R>
  tokens: TokenStore
  /** Told once when a login ends (its refresh refused, or a 401 after a refresh): the page asks for a new login. */
  onSessionLost?: (error: ApiError) => void
  /** Put before every path: '' where the pages are served with the API, the server's origin in the mini-program. */
  baseUrl?: string
}

export const REFRESH_PATH = '/api/auth/refresh'

/** `?a=1&b=x`, leaving out empty values; no `URLSearchParams`, which the mini-program lacks. */
export function queryString(query: Query | undefined): string {
  const pairs = Object.entries(query ?? {})
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
  return pairs.length ? `?${pairs.join('&')}` : ''
}

export class ApiClient<R extends TransportResponse = TransportResponse> {
  readonly tokens: TokenStore
  private readonly transport: Transport<R>
  private readonly onSessionLost: (error: ApiError) => void
  private readonly baseUrl: string
  private refreshing: Promise<boolean> | null = null

  constructor(options: ClientOptions<R>) {
    this.transport = options.transport
    this.tokens = options.tokens
    this.onSessionLost = options.onSessionLost ?? (() => undefined)
    this.baseUrl = options.baseUrl ?? ''
  }

  /** The JSON answer (undefined for 204); an error status throws its `ApiError`. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options)
    if (response.status >= 400) throw await problemOf(response)
    return (response.status === 204 ? undefined : await response.json()) as T
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query })
  }

  post<T>(path: string, json?: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { json, query })
  }

  put<T>(path: string, json: unknown): Promise<T> {
    return this.request<T>('PUT', path, { json })
  }

  patch<T>(path: string, json: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { json })
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path)
  }

  /** The transport's own answer, whatever its status, after the token and its refresh: for files and streams. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<R> {
    const sentWith = options.anonymous ? null : this.tokens.access()
    let response = await this.attempt(method, path, options, sentWith)
    if (response.status !== 401 || options.anonymous) return response
    if (this.tokens.refresh()) {
      // Another request may have refreshed while this one was on its way: its new token is simply used.
      const renewed = this.tokens.access() !== sentWith || (await this.refreshOnce())
      if (renewed) response = await this.attempt(method, path, options, this.tokens.access())
    }
    if (response.status === 401) this.loseSession(await problemOf(response))
    return response
  }

  private attempt(method: string, path: string, options: RequestOptions, token: string | null): Promise<R> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
    if (token) headers.Authorization = `Bearer ${token}`
    let body = options.body
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.json)
    }
    const url = this.baseUrl + path + queryString(options.query)
    return this.transport({ method, url, headers, body, signal: options.signal })
  }

  private refreshOnce(): Promise<boolean> {
    this.refreshing ??= this.renew().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  /** True once new tokens are saved. A refused refresh ends the login; a server error or a lost network throws and keeps
   * the tokens, since the refresh token may still be good. */
  private async renew(): Promise<boolean> {
    const refresh_token = this.tokens.refresh()
    if (!refresh_token) return false
    const response = await this.attempt('POST', REFRESH_PATH, { json: { refresh_token } }, null)
    if (response.status >= 500 || response.status === 429) throw await problemOf(response)
    if (response.status >= 400) {
      this.loseSession(await problemOf(response))
      return false
    }
    this.tokens.save((await response.json()) as { access_token: string; refresh_token: string })
    return true
  }

  private loseSession(error: ApiError): void {
    if (!this.tokens.access() && !this.tokens.refresh()) return
    this.tokens.clear()
    this.onSessionLost(error)
  }
}
