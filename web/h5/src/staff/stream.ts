/** The live stream of a checkpoint's arrivals, read with `fetch` rather than `EventSource`.
 *
 * EventSource cannot send an Authorization header, and the check-in service authenticates the stream like every other
 * call (a bearer token; a token in the URL would end up in proxy logs). Reading the same text/event-stream through
 * fetch keeps the header, refreshes an expired token, and does what EventSource would: reconnect after the server's
 * `retry:` delay with `Last-Event-ID`, so the service replays what was missed. A stream silent for longer than three
 * heartbeats is taken for dead (a phone that lost its network often never sees the connection close). */

import type { Api } from '../shared/api'

export interface StreamEvent {
  id: string | null
  event: string
  data: string
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'denied'

/** The complete events in `buffer`, and what is left of an event not yet complete. */
export function parseEvents(buffer: string): { events: StreamEvent[]; rest: string; retry: number | null } {
  const blocks = buffer.replace(/\r\n?/g, '\n').split('\n\n')
  const rest = blocks.pop() ?? ''
  const events: StreamEvent[] = []
  let retry: number | null = null
  for (const block of blocks) {
    let id: string | null = null
    let event = 'message'
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const name = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (name === 'id') id = value
      else if (name === 'event') event = value
      else if (name === 'data') data.push(value)
      else if (name === 'retry' && /^\d+$/.test(value)) retry = Number(value)
    }
    if (data.length) events.push({ id, event, data: data.join('\n') })
  }
  return { events, rest, retry }
}

const SILENCE_MS = 50_000

export class LiveStream {
  private controller: AbortController | null = null
  private lastEventId: string | null = null
  private retryMs = 3000
  private stopped = false

  constructor(
    private readonly api: Api,
    private readonly path: string,
    private readonly onEvent: (event: StreamEvent) => void,
    private readonly onState: (state: StreamState) => void,
  ) {}

  start(): void {
    this.stopped = false
    void this.run()
  }

  stop(): void {
    this.stopped = true
    this.controller?.abort()
  }

  private async run(): Promise<void> {
    this.onState('connecting')
    while (!this.stopped) {
      const ended = await this.readOnce()
      if (ended === 'denied' || this.stopped) {
        if (ended === 'denied') this.onState('denied')
        return
      }
      this.onState('reconnecting')
      await new Promise((resolve) => setTimeout(resolve, this.retryMs))
    }
  }

  private async readOnce(): Promise<'ended' | 'denied'> {
    const controller = new AbortController()
    this.controller = controller
    let watchdog = 0
    const watch = (): void => {
      window.clearTimeout(watchdog)
      watchdog = window.setTimeout(() => controller.abort(), SILENCE_MS)
    }
    try {
      watch()
      const headers: Record<string, string> = { Accept: 'text/event-stream' }
      if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId
      const response = (await this.api.send('GET', this.path, { headers, signal: controller.signal })).raw
      if (response.status === 401 || response.status === 403) return 'denied'
      if (!response.ok || !response.body) return 'ended'
      this.onState('live')
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return 'ended'
        watch()
        const parsed = parseEvents(buffer + value)
        buffer = parsed.rest
        if (parsed.retry !== null) this.retryMs = parsed.retry
        for (const event of parsed.events) {
          if (event.id) this.lastEventId = event.id
          this.onEvent(event)
        }
      }
    } catch {
      return 'ended'
    } finally {
      window.clearTimeout(watchdog)
    }
  }
}
