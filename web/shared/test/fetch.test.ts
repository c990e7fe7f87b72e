import { describe, expect, it } from 'vitest'

import { ApiClient } from '../src/client'
import { fetchTransport } from '../src/fetch'
import { NetworkError } from '../src/problem'
import { TokenStore } from '../src/tokens'
import { memoryStorage } from './fakes'

function client(fetcher: typeof fetch) {
  return new ApiClient({ transport: fetchTransport(fetcher), tokens: new TokenStore(memoryStorage(), 'lf.test') })
}

describe('the browser transport', () => {
  it('sends a form as it is and gives the native answer for files', async () => {
    const seen: RequestInit[] = []
    const pdf = new Response(new Uint8Array([37, 80, 68, 70]), { headers: { 'Content-Type': 'application/pdf' } })
    const form = new FormData()
    form.set('file', new Blob(['x']), 'checkpoints.xlsx')

    const response = await client(async (_url, init) => (seen.push(init!), pdf)).send('POST', '/api/registry/posters', {
      body: form,
    })

    expect(seen[0].body).toBe(form)
    expect(new Uint8Array(await response.raw.arrayBuffer())).toEqual(new Uint8Array([37, 80, 68, 70]))
  })

  it('reads an answer’s body once however often it is asked', async () => {
    const response = await client(async () => Response.json({ a: 1 })).send('GET', '/x')

    expect([await response.json(), await response.json()]).toEqual([{ a: 1 }, { a: 1 }])
  })

  it('turns a failed fetch into a NetworkError and lets an abort through', async () => {
    const offline = client(async () => {
      throw new TypeError('Failed to fetch')
    })
    const aborted = client(async () => {
      throw new DOMException('The operation was aborted.', 'AbortError')
    })

    await expect(offline.get('/x')).rejects.toBeInstanceOf(NetworkError)
    await expect(aborted.get('/x')).rejects.toMatchObject({ name: 'AbortError' })
  })
})
