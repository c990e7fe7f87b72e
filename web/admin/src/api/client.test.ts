import { describe, expect, it, vi } from 'vitest'
import { ApiClient, ApiError, type TokenPair, type TokenStore } from './client'

function memoryTokens(pair: TokenPair | null): TokenStore & { pair: TokenPair | null } {
  return {
    pair,
    access() {
      return this.pair?.access_token ?? null
    },
    refresh() {
      return this.pair?.refresh_token ?? null
    },
    save(next) {
      this.pair = next
    },
    clear() {
      this.pair = null
    },
  }
}

function json(status: number, body: unknown): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json'
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': type } })
}

const EXPIRED = { title: '未登录', status: 401, code: 'unauthorized', detail: '登录已过期，请重新登录' }

/** A server whose access tokens are good once refreshed: `old` is expired, each refresh hands out `new-<n>`. */
function server(refreshAnswer?: () => Response) {
  const refreshes: string[] = []
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    if (url === '/api/auth/refresh') {
      refreshes.push(JSON.parse(String(init.body)).refresh_token)
      await new Promise((resolve) => setTimeout(resolve, 5))
      const n = refreshes.length
      return refreshAnswer?.() ?? json(200, { access_token: `new-${n}`, refresh_token: `r-${n}`, expires_in: 900 })
    }
    const auth = (init.headers as Record<string, string>).Authorization
    return auth?.startsWith('Bearer new-') ? json(200, { url, auth }) : json(401, EXPIRED)
  })
  return { fetch: fetch as unknown as typeof globalThis.fetch, refreshes }
}

describe('the API client', () => {
  it('renews an expired access token once and retries the request with the new one', async () => {
    const tokens = memoryTokens({ access_token: 'old', refresh_token: 'r-0', expires_in: 900 })
    const { fetch, refreshes } = server()
    const client = new ApiClient({ tokens, onSessionLost: vi.fn(), fetch })

    const answer = await client.get<{ auth: string }>('/api/registry/regions/tree')

    expect(answer.auth).toBe('Bearer new-1')
    expect(refreshes).toEqual(['r-0'])
    expect(tokens.pair).toMatchObject({ access_token: 'new-1', refresh_token: 'r-1' })
  })

  it('makes one refresh for many requests that hit the expiry together, since a refresh token works once', async () => {
    const tokens = memoryTokens({ access_token: 'old', refresh_token: 'r-0', expires_in: 900 })
    const { fetch, refreshes } = server()
    const client = new ApiClient({ tokens, onSessionLost: vi.fn(), fetch })

    const answers = await Promise.all(['/a', '/b', '/c'].map((path) => client.get<{ auth: string }>(path)))

    expect(refreshes).toEqual(['r-0'])
    expect(answers.map((answer) => answer.auth)).toEqual(['Bearer new-1', 'Bearer new-1', 'Bearer new-1'])
  })

  it('ends the session with the server’s reason when the refresh is refused', async () => {
    const tokens = memoryTokens({ access_token: 'old', refresh_token: 'stolen', expires_in: 900 })
    const refused = { title: '登录凭证已被使用，已强制退出所有相关登录', status: 401, code: 'refresh_token_reused' }
    const { fetch } = server(() => json(401, refused))
    const onSessionLost = vi.fn()
    const client = new ApiClient({ tokens, onSessionLost, fetch })

    await expect(client.get('/api/trace/records')).rejects.toBeInstanceOf(ApiError)

    expect(onSessionLost).toHaveBeenCalledTimes(1)
    expect(onSessionLost).toHaveBeenCalledWith('登录凭证已被使用，已强制退出所有相关登录')
    expect(tokens.pair).toBeNull()
  })

  it('never refreshes for a login: a wrong password is the login’s own answer', async () => {
    const tokens = memoryTokens(null)
    const wrong = { title: '用户名或密码错误', status: 401, code: 'invalid_credentials', detail: '用户名或密码错误，再错 4 次将锁定 15 分钟' }
    const fetch = vi.fn(async () => json(401, wrong)) as unknown as typeof globalThis.fetch
    const client = new ApiClient({ tokens, onSessionLost: vi.fn(), fetch })

    const failure = client.request('POST', '/api/auth/admin/login', { json: { username: 'a', password: 'b' }, anonymous: true })

    await expect(failure).rejects.toThrow('用户名或密码错误，再错 4 次将锁定 15 分钟')
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('explains a refused import row by row', async () => {
    const problem = {
      title: '导入失败',
      status: 422,
      code: 'import_rejected',
      errors: [{ row: 3, field: 'kind', message: '未知的卡口类型“菜场”' }],
    }
    const fetch = vi.fn(async () => json(422, problem)) as unknown as typeof globalThis.fetch
    const client = new ApiClient({ tokens: memoryTokens(null), onSessionLost: vi.fn(), fetch })

    const error = await client.post('/api/registry/checkpoints/import').catch((failure: ApiError) => failure)

    expect((error as ApiError).explanation).toBe('导入失败；第 3 行：未知的卡口类型“菜场”')
  })
})
