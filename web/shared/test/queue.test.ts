import { beforeEach, describe, expect, it } from 'vitest'

import type { QueuedBody, Receipt } from '../src/api'
import { ApiError, NetworkError } from '../src/problem'
import { type QueueOptions, QUEUE_KEY, SubmitQueue, submitPath } from '../src/queue'
import { memoryStorage } from './fakes'

const form = { checkpoint_code: 'ABCD2345', answers: { name: '张三' }, temperature: 36.5, direction: 'in' as const, companions: [] }

function receiptFor(body: QueuedBody): Receipt {
  return { id: `record-of-${body.client_id}` } as Receipt
}

/** A server reached through a flaky network: `failures` are thrown in turn before it answers. */
function server(failures: Error[] = []) {
  const sent: QueuedBody[] = []
  const send = async (body: QueuedBody): Promise<Receipt> => {
    sent.push(structuredClone(body))
    const failure = failures.shift()
    if (failure) throw failure
    return receiptFor(body)
  }
  return { sent, send }
}

const waits: number[] = []
const noWait = async (milliseconds: number): Promise<void> => {
  waits.push(milliseconds)
}

let storage = memoryStorage()

beforeEach(() => {
  storage = memoryStorage()
  waits.length = 0
})

function queue(send: QueueOptions['send'], wait: QueueOptions['wait'] = noWait): SubmitQueue {
  return new SubmitQueue({ send, storage, wait })
}

function refused(status: number, body: Record<string, unknown>, retryAfter: number | null = null): ApiError {
  return new ApiError({ status, title: '', code: 'http_error', ...body }, retryAfter)
}

describe('the submit queue', () => {
  it('sends a check-out (离开) like a check-in, to its own path', async () => {
    const { sent, send } = server([new NetworkError()])

    await queue(send).submit({ checkpoint_code: 'ABCD2345' })

    expect(sent).toHaveLength(2)
    expect(sent[0]).toEqual(sent[1])
    expect(Object.keys(sent[0]).sort()).toEqual(['checkpoint_code', 'client_id'])
    expect(submitPath(sent[0])).toBe('/api/checkin/checkouts')
    expect(submitPath({ ...form, client_id: 'x' })).toBe('/api/checkin/checkins')
  })

  it('retries a network error with the same client_id', async () => {
    const { sent, send } = server([new NetworkError(), new NetworkError()])

    const receipt = await queue(send).submit(form)

    expect(sent).toHaveLength(3)
    expect(new Set(sent.map((body) => body.client_id)).size).toBe(1)
    expect(receipt.id).toBe(`record-of-${sent[0].client_id}`)
    expect(storage.getItem(QUEUE_KEY)).toBe('{}')
  })

  it('waits as long as a 503 says in Retry-After', async () => {
    const { sent, send } = server([refused(503, { code: 'service_unavailable' }, 7)])

    await queue(send).submit(form)

    expect(waits).toEqual([7000])
    expect(sent[0].client_id).toBe(sent[1].client_id)
  })

  it('keeps a check-in across a reload and sends it with its first client_id', async () => {
    const offline = queue(
      async () => {
        throw new NetworkError()
      },
      () => new Promise(() => {}),
    )
    void offline.submit(form)
    await Promise.resolve()
    const firstId = offline.pending('ABCD2345')?.body.client_id

    const { sent, send } = server()
    const reloaded = queue(send)
    await reloaded.flush('ABCD2345')

    expect(firstId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(sent.map((body) => body.client_id)).toEqual([firstId])
    expect(reloaded.pending('ABCD2345')).toBeNull()
  })

  it('sends once when submitted twice before the answer', async () => {
    let answer: (receipt: Receipt) => void = () => {}
    const sent: QueuedBody[] = []
    const waiting = queue((body) => {
      sent.push(body)
      return new Promise((resolve) => (answer = resolve))
    })

    const first = waiting.submit(form)
    const second = waiting.submit({ ...form, temperature: 36.9 })
    answer({ id: 'the-record' } as Receipt)

    expect(await first).toEqual({ id: 'the-record' })
    expect(await second).toEqual({ id: 'the-record' })
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ temperature: 36.5 })
  })

  it('gives a refused check-in back and forgets it, so the corrected form gets a new client_id', async () => {
    const refusal = refused(422, { errors: [{ field: 'answers.phone', message: '请输入 11 位中国大陆手机号', code: 'invalid' }] })
    const { sent, send } = server([refusal])
    const retrying = queue(send)

    await expect(retrying.submit(form)).rejects.toBe(refusal)
    await retrying.submit(form)

    expect(sent).toHaveLength(2)
    expect(sent[0].client_id).not.toBe(sent[1].client_id)
  })

  it('keeps a check-in refused for a lost login, to send after the next login', async () => {
    const { sent, send } = server([refused(401, { code: 'unauthorized' })])
    const retrying = queue(send)

    await expect(retrying.submit(form)).rejects.toBeInstanceOf(ApiError)
    await retrying.flush('ABCD2345')

    expect(sent[0].client_id).toBe(sent[1].client_id)
  })

  it('backs off further after each network error, up to 30 s', async () => {
    const { send } = server(Array.from({ length: 7 }, () => new NetworkError()))

    await queue(send).submit(form)

    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000])
  })

  it('drops a check-in queued more than a day ago', () => {
    const queued = { body: { ...form, client_id: 'old' }, queued_at: Date.now() - 25 * 3600_000 }
    storage.setItem(QUEUE_KEY, JSON.stringify({ ABCD2345: queued }))

    expect(queue(server().send).pending('ABCD2345')).toBeNull()
  })
})
