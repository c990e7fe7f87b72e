// The admin SPA's API client: the shared one over fetch, its tokens in localStorage (a reload or a second tab keeps the
// login), files downloaded with the name the server gave them.
import { ApiClient, ApiError, problemOf, type RequestOptions, TokenStore } from '@lianfang/shared'
import { type FetchResponse, fetchTransport } from '@lianfang/shared/fetch'

export interface Download {
  blob: Blob
  filename: string
}

function filenameOf(response: Response, fallback: string): string {
  const disposition = response.headers.get('content-disposition') ?? ''
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  if (encoded) return decodeURIComponent(encoded[1])
  const plain = /filename="?([^";]+)"?/i.exec(disposition)
  return plain ? plain[1] : fallback
}

let passwordChangeRequired: () => void = () => undefined

/** The router sets this: an account whose password a superior set is sent to change it, whatever it was doing. */
export function whenPasswordChangeRequired(handler: () => void): void {
  passwordChangeRequired = handler
}

function noticed(error: unknown): unknown {
  if (error instanceof ApiError && error.code === 'password_change_required') passwordChangeRequired()
  return error
}

export class AdminApi extends ApiClient<FetchResponse> {
  override async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    try {
      return await super.request<T>(method, path, options)
    } catch (error) {
      throw noticed(error)
    }
  }

  /** A file answer (PDF, PNG, spreadsheet) with the name the server gave it. */
  async download(method: string, path: string, options: RequestOptions = {}, fallback = 'download'): Promise<Download> {
    const response = await this.send(method, path, options)
    if (response.status >= 400) throw noticed(await problemOf(response))
    return { blob: await response.raw.blob(), filename: filenameOf(response.raw, fallback) }
  }
}

let sessionLost: (message: string) => void = () => undefined

/** The router sets this: a lost session goes back to the login page with the reason. */
export function whenSessionLost(handler: (message: string) => void): void {
  sessionLost = handler
}

export const tokens = new TokenStore(localStorage, 'lianfang.admin.tokens')

export const api = new AdminApi({
  transport: fetchTransport(),
  tokens,
  onSessionLost: (error) => sessionLost(error.message),
})

export { ApiError, NetworkError } from '@lianfang/shared'
