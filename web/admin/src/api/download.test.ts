import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, ApiError } from '@/api'

afterEach(() => {
  vi.unstubAllGlobals()
  localStorage.clear()
})

describe('a file download', () => {
  it('gives the file with the name the server gave it, Chinese included', async () => {
    const headers = { 'content-disposition': "attachment; filename*=UTF-8''%E8%82%B2%E6%89%8D%E5%B0%8F%E5%8C%BA.pdf" }
    vi.stubGlobal('fetch', vi.fn(async () => new Response('%PDF-1.7', { headers })))

    const file = await api.download('GET', '/api/registry/checkpoints/7/poster.pdf', {}, '海报.pdf')

    expect(file.filename).toBe('育才小区.pdf')
    expect(await file.blob.text()).toBe('%PDF-1.7')
  })

  it('falls back to the name it was given, and throws the problem of a refusal', async () => {
    const refusal = { title: '无权访问该地区', status: 403, code: 'forbidden' }
    vi.stubGlobal(
      'fetch',
      vi
        .fn()
        .mockResolvedValueOnce(new Response('x'))
        .mockResolvedValueOnce(new Response(JSON.stringify(refusal), { status: 403 })),
    )

    expect((await api.download('GET', '/api/trace/export.csv', {}, '记录.csv')).filename).toBe('记录.csv')
    const error = await api.download('GET', '/api/trace/export.csv').catch((failure: unknown) => failure)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 403, code: 'forbidden', message: '无权访问该地区' })
  })
})
