import type { KeyValueStorage } from '../src/storage'
import type { TransportRequest, TransportResponse } from '../src/transport'

/** A device's storage, as localStorage or wx storage behave: strings under keys. */
export function memoryStorage(): KeyValueStorage & { items: Map<string, string> } {
  const items = new Map<string, string>()
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  }
}

/** An answer as a server sends it: a status, headers, and a body that is JSON text, other text, or nothing. */
export function answer(status: number, body?: unknown, headers: Record<string, string> = {}): TransportResponse {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
  const lowered = Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]))
  return {
    status,
    header: (name) => lowered[name.toLowerCase()] ?? null,
    json: async () => (text === '' ? undefined : JSON.parse(text)),
  }
}

export function problem(status: number, title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'about:blank', title, status, code: extra.code ?? 'some_code', ...extra }
}

export type Handler = (request: TransportRequest) => TransportResponse | Promise<TransportResponse>

/** The gateway's token rules: an access token works until it expires, a refresh token works exactly once. */
export class FakeAuthServer {
  readonly requests: TransportRequest[] = []
  readonly validAccess = new Set<string>()
  readonly unusedRefresh = new Set<string>()
  private issued = 0
  refreshAnswer: Handler | null = null

  constructor(private readonly handler: Handler) {}

  login(): { access_token: string; refresh_token: string } {
    return this.issue()
  }

  expireAccessTokens(): void {
    this.validAccess.clear()
  }

  readonly transport = async (request: TransportRequest): Promise<TransportResponse> => {
    this.requests.push(request)
    // Both calls of a burst are in flight together, as in a browser.
    await new Promise((resolve) => setTimeout(resolve, 1))
    if (request.url === '/api/auth/refresh') return this.refreshAnswer?.(request) ?? this.refresh(request)
    const token = request.headers.Authorization?.replace(/^Bearer /, '')
    if (!token || !this.validAccess.has(token)) return answer(401, problem(401, '未登录或登录已过期', { code: 'unauthorized' }))
    return this.handler(request)
  }

  private refresh(request: TransportRequest): TransportResponse {
    const { refresh_token } = JSON.parse(String(request.body)) as { refresh_token: string }
    if (!this.unusedRefresh.delete(refresh_token)) {
      return answer(401, problem(401, '登录已失效', { code: 'refresh_invalid', detail: '登录已失效，请重新登录' }))
    }
    return answer(200, { ...this.issue(), token_type: 'Bearer', expires_in: 900 })
  }

  private issue(): { access_token: string; refresh_token: string } {
    this.issued += 1
    const pair = { access_token: `access-${this.issued}`, refresh_token: `refresh-${this.issued}` }
    this.validAccess.add(pair.access_token)
    this.unusedRefresh.add(pair.refresh_token)
    return pair
  }
}
