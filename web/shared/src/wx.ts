/** The mini-program's transport and storage over `wx.request` and `wx.*StorageSync`, passed in (`wxTransport(wx.request)`,
 * `wxStorage(wx)`) so this module needs no `wx` global and runs in tests and browsers' bundles (where it is left out).
 *
 * `wx.request` calls `success` for every HTTP status, 4xx and 5xx included, with `{data, statusCode, header}`, and `fail`
 * only when no answer came (`request:fail …`). With its default `dataType: 'json'` a JSON body arrives parsed and any
 * other body as text. It has no PATCH. */

import { NetworkError } from './problem'
import type { KeyValueStorage } from './storage'
import type { Transport, TransportResponse } from './transport'

export type WxMethod = 'OPTIONS' | 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'TRACE' | 'CONNECT'
const METHODS: readonly string[] = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT']

export interface WxRequestResult {
  data: unknown
  statusCode: number
  header: Record<string, unknown>
}

export interface WxRequestOption {
  url: string
  method: WxMethod
  header: Record<string, string>
  data?: string
  success: (result: WxRequestResult) => void
  fail: (error: { errMsg: string }) => void
}

export type WxRequest = (option: WxRequestOption) => unknown

export class WxResponse implements TransportResponse {
  constructor(private readonly result: WxRequestResult) {}

  get status(): number {
    return this.result.statusCode
  }

  header(name: string): string | null {
    const wanted = name.toLowerCase()
    const found = Object.entries(this.result.header).find(([key]) => key.toLowerCase() === wanted)
    return found === undefined ? null : String(found[1])
  }

  async json(): Promise<unknown> {
    const { data } = this.result
    if (typeof data !== 'string') return data
    return data === '' ? undefined : (JSON.parse(data) as unknown)
  }
}

export function wxTransport(request: WxRequest): Transport<WxResponse> {
  return (options) =>
    new Promise((resolve, reject) => {
      const method = options.method.toUpperCase()
      if (!METHODS.includes(method)) throw new Error(`wx.request cannot send ${method}`)
      if (options.body !== undefined && typeof options.body !== 'string') throw new Error('wx.request sends text bodies only')
      request({
        url: options.url,
        method: method as WxMethod,
        header: options.headers,
        data: options.body,
        success: (result) => resolve(new WxResponse(result)),
        fail: () => reject(new NetworkError()),
      })
    })
}

export interface WxStorageApi {
  getStorageSync(key: string): unknown
  setStorageSync(key: string, data: string): void
  removeStorageSync(key: string): void
}

/** `wx.getStorageSync` answers '' for a missing key. */
export function wxStorage(wx: WxStorageApi): KeyValueStorage {
  return {
    getItem: (key) => {
      const value = wx.getStorageSync(key)
      return typeof value === 'string' && value !== '' ? value : null
    },
    setItem: (key, value) => wx.setStorageSync(key, value),
    removeItem: (key) => wx.removeStorageSync(key),
  }
}
