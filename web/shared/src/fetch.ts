/** The browser's transport: `fetch`, with the native `Response` at hand for files (`raw.blob()`) and streams
 * (`raw.body`). */

import { NetworkError } from './problem'
import type { Transport, TransportResponse } from './transport'

export class FetchResponse implements TransportResponse {
  private body: Promise<unknown> | null = null

  constructor(readonly raw: Response) {}

  get status(): number {
    return this.raw.status
  }

  header(name: string): string | null {
    return this.raw.headers.get(name)
  }

  json(): Promise<unknown> {
    this.body ??= this.raw.text().then((text) => (text === '' ? undefined : (JSON.parse(text) as unknown)))
    return this.body
  }
}

function aborted(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError'
}

export function fetchTransport(fetcher: typeof fetch = (input, init) => fetch(input, init)): Transport<FetchResponse> {
  return async (request) => {
    try {
      const response = await fetcher(request.url, {
        method: request.method,
        headers: request.headers,
        // The client sends JSON text or the caller's own body, which here is one fetch takes (FormData, Blob).
        body: request.body as BodyInit | undefined,
        signal: request.signal instanceof AbortSignal ? request.signal : undefined,
      })
      return new FetchResponse(response)
    } catch (error) {
      if (aborted(error)) throw error
      throw new NetworkError()
    }
  }
}
