import { describe, expect, it } from 'vitest'

import { ApiClient, queryString } from '../src/client'
import { ApiError, NetworkError } from '../src/problem'
import { TokenStore } from '../src/tokens'
import type { TransportRequest } from '../src/transport'
import { answer, FakeAuthServer, type Handler, memoryStorage, problem } from './fakes'

function setUp(handler: Handler = () => answer(200, { ok: true })) {
  const server = new FakeAuthServer(handler)
  const storage = memoryStorage()
  const tokens = new TokenStore(storage, 'lf.test')
  const lost: ApiError[] = []
  const client = new ApiClient({ transport: server.transport, tokens, onSessionLost: (error) => lost.push(error) })
  return { server, storage, tokens, lost, client }
}

const refreshes = (requests: TransportRequest[]) => requests.filter((request) => request.url === '/api/auth/refresh')

describe('requests', () => {
  it('send JSON with the access token and give the JSON answer back', async () => {
    const { server, tokens, client } = setUp((request) => answer(201, { echoed: JSON.parse(String(request.body)) }))
    tokens.save(server.login())

    const created = await client.post('/api/registry/regions', { name: '长安区' }, { dry_run: true })

    expect(created).toEqual({ echoed: { name: '长安区' } })
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      url: '/api/registry/regions?dry_run=true',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: 'Bearer access-1' },
    })
  })

  it('put the server origin before the path when given one, as the mini-program must', async () => {
    const seen: string[] = []
    const client = new ApiClient({
      transport: async (request) => (seen.push(request.url), answer(204)),
      tokens: new TokenStore(memoryStorage(), 'lf.test'),
      baseUrl: 'https://lianfang.example.cn',
    })

    expect(await client.delete('/api/auth/logout')).toBeUndefined()
    expect(seen).toEqual(['https://lianfang.example.cn/api/auth/logout'])
  })

  it('leave empty query values out and encode the rest', () => {
    expect(queryString({ q: '张 三&', cursor: null, region_id: 3, full: false, none: undefined, blank: '' })).toBe(
      '?q=%E5%BC%A0%20%E4%B8%89%26&region_id=3&full=false',
    )
    expect(queryString({})).toBe('')
  })

  it('send a login without a token and never refresh on its 401', async () => {
    const { server, tokens, lost } = setUp()
    tokens.save(server.login())
    const refused = problem(401, '用户名或密码错误', { code: 'bad_credentials', detail: '用户名或密码错误，还可尝试 4 次' })
    server.refreshAnswer = () => answer(500)
    const login = new ApiClient({ transport: async () => answer(401, refused), tokens })

    const error = await login.request('POST', '/api/auth/admin/login', { json: {}, anonymous: true }).catch((e) => e)

    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).message).toBe('用户名或密码错误，还可尝试 4 次')
    expect(tokens.access()).toBe('access-1')
    expect([refreshes(server.requests), lost]).toEqual([[], []])
  })
})

describe('token refresh', () => {
  it('refreshes once for a burst of 401s and retries each call with the new token', async () => {
    const { server, tokens, lost, client } = setUp((request) => answer(200, { url: request.url }))
    tokens.save(server.login())
    server.expireAccessTokens()

    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => client.get(`/api/trace/records/${n}`)))

    expect(answers).toEqual([1, 2, 3, 4, 5].map((n) => ({ url: `/api/trace/records/${n}` })))
    expect(refreshes(server.requests).map((request) => JSON.parse(String(request.body)))).toEqual([
      { refresh_token: 'refresh-1' },
    ])
    expect([tokens.access(), tokens.refresh(), lost]).toEqual(['access-2', 'refresh-2', []])
  })

  it('retries with a token renewed elsewhere meanwhile (another tab) instead of refreshing again', async () => {
    const { server, tokens, client } = setUp()
    tokens.save(server.login())
    server.expireAccessTokens()

    const call = client.get('/api/checkin/me/checkins')
    tokens.save(server.login())
    await call

    expect(refreshes(server.requests)).toEqual([])
    expect(server.requests.map((request) => request.headers.Authorization)).toEqual(['Bearer access-1', 'Bearer access-2'])
  })

  it('ends the login once when the refresh is refused, with the server’s reason', async () => {
    const { server, tokens, lost, client } = setUp()
    tokens.save(server.login())
    server.expireAccessTokens()
    server.unusedRefresh.clear()

    const errors = await Promise.all([client.get('/a'), client.get('/b')].map((call) => call.catch((e: unknown) => e)))

    expect(errors.map((error) => (error as ApiError).status)).toEqual([401, 401])
    expect(refreshes(server.requests)).toHaveLength(1)
    expect([tokens.access(), tokens.refresh()]).toEqual([null, null])
    expect(lost.map((error) => [error.code, error.message])).toEqual([['refresh_invalid', '登录已失效，请重新登录']])
  })

  it('ends the login when the renewed token is refused too', async () => {
    const { server, tokens, lost, client } = setUp(() => answer(401, problem(401, '账号已停用', { code: 'disabled' })))
    tokens.save(server.login())
    server.expireAccessTokens()

    await expect(client.get('/api/auth/me')).rejects.toMatchObject({ status: 401, code: 'disabled' })
    expect(lost.map((error) => error.title)).toEqual(['账号已停用'])
    expect(tokens.refresh()).toBeNull()
  })

  it('keeps the login when the refresh meets a server error, and says the service is unavailable', async () => {
    const { server, tokens, lost, client } = setUp()
    tokens.save(server.login())
    server.expireAccessTokens()
    server.refreshAnswer = () => answer(503, problem(503, '服务暂时不可用', { code: 'unavailable' }), { 'Retry-After': '5' })

    await expect(client.get('/api/auth/me')).rejects.toMatchObject({ status: 503, retryAfter: 5 })
    expect([tokens.refresh(), lost]).toEqual(['refresh-1', []])
  })

  it('keeps the login when the refresh meets no network', async () => {
    const { server, tokens, lost, client } = setUp()
    tokens.save(server.login())
    server.expireAccessTokens()
    server.refreshAnswer = () => {
      throw new NetworkError()
    }

    await expect(client.get('/api/auth/me')).rejects.toBeInstanceOf(NetworkError)
    expect([tokens.refresh(), lost]).toEqual(['refresh-1', []])
  })

  it('gives a raw answer of any status to the caller of send, after the refresh', async () => {
    const { server, tokens, lost, client } = setUp(() => answer(403, problem(403, '无权访问该卡口', { code: 'forbidden' })))
    tokens.save(server.login())
    server.expireAccessTokens()

    const response = await client.send('GET', '/api/checkin/staff/stream', { headers: { Accept: 'text/event-stream' } })

    expect(response.status).toBe(403)
    expect(server.requests.at(-1)?.headers).toMatchObject({ Accept: 'text/event-stream', Authorization: 'Bearer access-2' })
    expect([refreshes(server.requests).length, lost]).toEqual([1, []])
  })
})
