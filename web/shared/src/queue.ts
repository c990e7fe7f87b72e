/** Check-ins (and check-outs) on their way to the server, kept in the device's storage until it answers.
 *
 * A check-in gets its `client_id` once, when it is queued. Every retry sends the very same body, after a network error,
 * a 5xx or a 503's Retry-After, and after a reload of the page; the server answers a `client_id` it has seen with its
 * first receipt, so a check-in is neither lost nor stored twice. Only one send is under way at a time per check-in. */

import type { CheckinBody, CheckoutBody, QueuedBody, Receipt } from './api'
import { ApiError, NetworkError } from './problem'
import { type KeyValueStorage, readJson, writeJson } from './storage'
import { uuid4 } from './uuid'

export const QUEUE_KEY = 'lf.checkin.queue'
// The server remembers a client id for 24 hours; a check-in older than a day is no longer worth showing at a gate.
const MAX_AGE_MS = 23 * 3600_000
const MAX_BACKOFF_MS = 30_000

export interface Queued {
  body: QueuedBody
  queued_at: number
}

/** A body as the page makes it; the queue gives it its `client_id`. */
export type Unsent = Omit<CheckinBody, 'client_id'> | Omit<CheckoutBody, 'client_id'>

/** Where a queued body is posted: a check-in carries answers, a check-out only the checkpoint. */
export function submitPath(body: QueuedBody): string {
  return 'answers' in body ? '/api/checkin/checkins' : '/api/checkin/checkouts'
}

export type Send = (body: QueuedBody) => Promise<Receipt>
export type Wait = (milliseconds: number) => Promise<void>
/** Told before each retry: what went wrong and how long the queue waits. */
export type OnRetry = (reason: Error, attempt: number, waitMs: number) => void

const sleep: Wait = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds))

export interface QueueOptions {
  /** Sends one check-in or check-out: `POST` to `submitPath(body)`. */
  send: Send
  storage: KeyValueStorage
  /** How the queue waits before a retry (tests pass one that does not). */
  wait?: Wait
}

/** Whether the request may have been refused for a passing reason: send the same body again. */
function retryable(error: unknown): boolean {
  if (error instanceof NetworkError) return true
  if (!(error instanceof ApiError)) return false
  return error.status >= 500 || error.status === 429 || error.code === 'checkin_in_progress'
}

export class SubmitQueue {
  private readonly inFlight = new Map<string, Promise<Receipt>>()
  private readonly send: Send
  private readonly storage: KeyValueStorage
  private readonly wait: Wait

  constructor(options: QueueOptions) {
    this.send = options.send
    this.storage = options.storage
    this.wait = options.wait ?? sleep
  }

  /** The check-ins not yet answered, by checkpoint code (stale ones dropped). */
  all(now: number = Date.now()): Record<string, Queued> {
    const stored = readJson<Record<string, Queued>>(this.storage, QUEUE_KEY, {})
    return Object.fromEntries(Object.entries(stored).filter(([, queued]) => now - queued.queued_at < MAX_AGE_MS))
  }

  pending(code: string): Queued | null {
    return this.all()[code] ?? null
  }

  /** Queues a check-in with a new `client_id`, unless one for the same checkpoint still waits: that one goes first and
   * its answer is the receipt (a second tap, or a form sent again after a reload, never makes a second check-in). */
  submit(body: Unsent, onRetry?: OnRetry): Promise<Receipt> {
    if (!this.pending(body.checkpoint_code)) {
      this.store(body.checkpoint_code, { body: { ...body, client_id: uuid4() }, queued_at: Date.now() })
    }
    return this.flush(body.checkpoint_code, onRetry)
  }

  /** Sends the queued check-in of a checkpoint until the server answers it. */
  flush(code: string, onRetry?: OnRetry): Promise<Receipt> {
    let running = this.inFlight.get(code)
    if (!running) {
      running = this.deliver(code, onRetry).finally(() => this.inFlight.delete(code))
      this.inFlight.set(code, running)
    }
    return running
  }

  discard(code: string): void {
    const queued = this.all()
    delete queued[code]
    writeJson(this.storage, QUEUE_KEY, queued)
  }

  private store(code: string, queued: Queued): void {
    writeJson(this.storage, QUEUE_KEY, { ...this.all(), [code]: queued })
  }

  private async deliver(code: string, onRetry?: OnRetry): Promise<Receipt> {
    for (let attempt = 1; ; attempt += 1) {
      const queued = this.pending(code)
      if (!queued) throw new Error('没有待提交的登记')
      try {
        const receipt = await this.send(queued.body)
        this.discard(code)
        return receipt
      } catch (error) {
        if (!retryable(error)) {
          // Refused for what it says (a field, a closed checkpoint): nothing was stored, the resident corrects it. A lost
          // login keeps the check-in queued for after the next login.
          if (!(error instanceof ApiError && error.status === 401)) this.discard(code)
          throw error
        }
        const told = error instanceof ApiError ? error.retryAfter : null
        const waitMs = told !== null ? told * 1000 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempt - 1))
        onRetry?.(error as Error, attempt, waitMs)
        await this.wait(waitMs)
      }
    }
  }
}
