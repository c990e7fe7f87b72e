import { describe, expect, it } from 'vitest'

import { ApiError, problemOf, retryAfterSeconds } from '../src/problem'
import { answer, problem } from './fakes'

describe('problem details', () => {
  it.each([
    [400, '请求无效', 'bad_request'],
    [401, '未登录或登录已过期', 'unauthorized'],
    [403, '无权访问该地区', 'forbidden'],
    [404, '卡口不存在', 'not_found'],
    [409, '用户名已被使用', 'conflict'],
    [413, '文件过大', 'payload_too_large'],
  ])('of a %i carry its title, code and detail', async (status, title, code) => {
    const error = await problemOf(answer(status, problem(status, title, { code, detail: `${title}（详情）` })))

    expect(error).toBeInstanceOf(ApiError)
    expect([error.status, error.title, error.code, error.detail, error.message]).toEqual([
      status,
      title,
      code,
      `${title}（详情）`,
      `${title}（详情）`,
    ])
    expect([error.errors, error.retryAfter]).toEqual([[], null])
  })

  it('of a 422 list each field’s problem, and explain them in one line', async () => {
    const body = problem(422, '提交的内容有误', {
      code: 'validation_failed',
      errors: [
        { field: 'answers.phone', message: '请输入 11 位中国大陆手机号', code: 'invalid' },
        { field: 'name', message: '不能为空', code: 'missing', row: 3 },
      ],
    })

    const error = await problemOf(answer(422, body))

    expect(error.errors.map((field) => field.field)).toEqual(['answers.phone', 'name'])
    expect(error.fieldMessages).toEqual({ 'answers.phone': '请输入 11 位中国大陆手机号', name: '不能为空' })
    expect(error.message).toBe('提交的内容有误')
    expect(error.explanation).toBe('提交的内容有误；请输入 11 位中国大陆手机号；第 3 行：不能为空')
  })

  it('of a 429 and a 503 say how long to wait, in seconds or as a date', async () => {
    const now = Date.parse('2026-03-01T02:00:00Z')
    const busy = await problemOf(answer(429, problem(429, '请求过于频繁', { code: 'rate_limited' }), { 'retry-after': '3' }))
    const down = await problemOf(answer(503, problem(503, '服务暂时不可用', { code: 'unavailable' }), { 'Retry-After': '7' }))

    expect([busy.status, busy.retryAfter, busy.code]).toEqual([429, 3, 'rate_limited'])
    expect([down.status, down.retryAfter]).toEqual([503, 7])
    expect(retryAfterSeconds('Sun, 01 Mar 2026 02:00:30 GMT', now)).toBe(30)
    expect(retryAfterSeconds('Sun, 01 Mar 2026 01:00:00 GMT', now)).toBe(0)
    expect(retryAfterSeconds('soon', now)).toBeNull()
  })

  it('of a proxy’s page that is not JSON say what the status means', async () => {
    const gateway = await problemOf(answer(502, '<html><body>502 Bad Gateway</body></html>'))
    const missing = await problemOf(answer(404))

    expect([gateway.status, gateway.code, gateway.message]).toEqual([502, 'http_error', '服务暂时不可用，请稍后再试'])
    expect([missing.status, missing.message, missing.detail]).toEqual([404, '请求失败（404）', null])
  })
})
