/** How the client reaches the server, injected: `fetchTransport` in browsers (`@lianfang/shared/fetch`),
 * `wxTransport(wx.request)` in the mini-program, a fake in tests. */

/** What a transport may use to cancel a request (an `AbortSignal` in browsers); the client only passes it on. */
export interface CancelSignal {
  readonly aborted: boolean
}

export interface TransportRequest {
  method: string
  url: string
  headers: Record<string, string>
  /** JSON text, or a body the transport itself understands (`FormData` for fetch); absent when there is none. */
  body?: unknown
  signal?: CancelSignal
}

export interface TransportResponse {
  /** The HTTP status, whatever it is: a transport rejects only when no answer came (with `NetworkError`). */
  readonly status: number
  header(name: string): string | null
  /** The body read as JSON; `undefined` when empty; rejects when it is not JSON. Called again, the same answer. */
  json(): Promise<unknown>
}

export type Transport<R extends TransportResponse = TransportResponse> = (request: TransportRequest) => Promise<R>
