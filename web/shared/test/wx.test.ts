import { describe, expect, it } from 'vitest'

import { ApiClient } from '../src/client'
import { ApiError, NetworkError } from '../src/problem'
import { TokenStore } from '../src/tokens'
import { type WxRequestOption, type WxRequestResult, wxStorage, wxTransport } from '../src/wx'

/** `wx.request` as WeChat documents it: every HTTP status to `success`, only a failed connection to `fail`. */
function fakeWxRequest(answers: (WxRequestResult | 'offline')[]) {
  const options: WxRequestOption[] = []
  const request = (option: WxRequestOption): void => {
    options.push(option)
    const next = answers.shift()
    setTimeout(() => (next === 'offline' ? option.fail({ errMsg: 'request:fail timeout' }) : option.success(next!)), 0)
  }
  return { options, request }
}

/** `wx.*StorageSync`: '' for a key never set. */
function fakeWxStorage() {
  const items = new Map<string, unknown>()
  return {
    getStorageSync: (key: string) => items.get(key) ?? '',
    setStorageSync: (key: string, data: string) => void items.set(key, data),
    removeStorageSync: (key: string) => void items.delete(key),
  }
}

function client(request: ReturnType<typeof fakeWxRequest>['request']) {
  const tokens = new TokenStore(wxStorage(fakeWxStorage()), 'lf.resident')
  return new ApiClient({ transport: wxTransport(request), tokens, baseUrl: 'https://lianfang.example.cn' })
}

describe('the mini-program transport', () => {
  it('sends through wx.request and reads the JSON WeChat already parsed', async () => {
    const wx = fakeWxRequest([{ statusCode: 201, data: { id: 'r1' }, header: { 'Content-Type': 'application/json' } }])

    const receipt = await client(wx.request).post('/api/checkin/checkins', { checkpoint_code: 'ABCD2345' })

    expect(receipt).toEqual({ id: 'r1' })
    expect(wx.options[0]).toMatchObject({
      url: 'https://lianfang.example.cn/api/checkin/checkins',
      method: 'POST',
      header: { 'Content-Type': 'application/json' },
      data: '{"checkpoint_code":"ABCD2345"}',
    })
  })

  it('turns a 4xx that WeChat hands to success into the problem it is', async () => {
    const body = { title: '卡口已停用', status: 409, code: 'checkpoint_closed', detail: '该卡口已停用，请联系工作人员' }
    const wx = fakeWxRequest([{ statusCode: 409, data: body, header: { 'content-type': 'application/problem+json' } }])

    const error = await client(wx.request).get('/api/checkin/checkpoints/ABCD2345').catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ApiError)
    expect([(error as ApiError).code, (error as ApiError).message]).toEqual(['checkpoint_closed', '该卡口已停用，请联系工作人员'])
  })

  it('reads Retry-After whatever its case, and a body WeChat could not parse as the status alone', async () => {
    const wx = fakeWxRequest([{ statusCode: 503, data: '<html>busy</html>', header: { 'Retry-After': '4' } }])

    const error = (await client(wx.request).get('/api/checkin/me/checkins').catch((e: unknown) => e)) as ApiError

    expect([error.status, error.retryAfter, error.message]).toEqual([503, 4, '服务暂时不可用，请稍后再试'])
  })

  it('turns request:fail into a NetworkError', async () => {
    const wx = fakeWxRequest(['offline'])

    await expect(client(wx.request).get('/api/auth/config')).rejects.toBeInstanceOf(NetworkError)
  })

  it('refuses PATCH and a binary body, which wx.request cannot send', async () => {
    const wx = fakeWxRequest([])

    await expect(client(wx.request).patch('/api/auth/me', {})).rejects.toThrow('wx.request cannot send PATCH')
    await expect(client(wx.request).request('POST', '/x', { body: new Uint8Array(2) })).rejects.toThrow('text bodies only')
    expect(wx.options).toEqual([])
  })
})

describe('the mini-program storage', () => {
  it('keeps the tokens, and reads a key never set as none', () => {
    const tokens = new TokenStore(wxStorage(fakeWxStorage()), 'lf.resident')

    expect(tokens.access()).toBeNull()
    tokens.save({ access_token: 'a', refresh_token: 'r' })
    expect([tokens.access(), tokens.refresh()]).toEqual(['a', 'r'])
    tokens.clear()
    expect(tokens.refresh()).toBeNull()
  })
})
