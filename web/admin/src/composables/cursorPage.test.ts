import { describe, expect, it, vi } from 'vitest'
import type { Page } from '@/api/types'
import { useCursorPage } from './cursorPage'

vi.mock('@/utils/feedback', () => ({ notifyError: vi.fn() }))

// Three pages of one letter each, chained by opaque cursors as the API does.
const PAGES: Record<string, Page<string>> = {
  first: { items: ['a'], next_cursor: 'c2' },
  c2: { items: ['b'], next_cursor: 'c3' },
  c3: { items: ['c'], next_cursor: null },
}

describe('cursor paging', () => {
  it('goes forward by next_cursor, back by the cursors already seen, and knows where it ends', async () => {
    const fetchPage = vi.fn(async (cursor: string | null) => PAGES[cursor ?? 'first'])
    const list = useCursorPage(fetchPage)

    await list.reload()
    expect([list.items.value, list.pageNumber.value, list.hasPrevious.value]).toEqual([['a'], 1, false])
    await list.next()
    await list.next()
    expect([list.items.value, list.pageNumber.value, list.hasNext.value]).toEqual([['c'], 3, false])
    await list.previous()
    expect([list.items.value, list.pageNumber.value, list.hasNext.value]).toEqual([['b'], 2, true])
    await list.reload()
    expect([list.items.value, list.pageNumber.value]).toEqual([['a'], 1])
    expect(fetchPage.mock.calls.map(([cursor]) => cursor)).toEqual([null, 'c2', 'c3', 'c2', null])
  })

  it('shows the answer to the latest search when an older one arrives late', async () => {
    let release: (page: Page<string>) => void = () => undefined
    const slow = new Promise<Page<string>>((resolve) => (release = resolve))
    const answers = [slow, Promise.resolve({ items: ['new'], next_cursor: null })]
    const list = useCursorPage(() => answers.shift()!)

    const older = list.reload()
    await list.reload()
    release({ items: ['old'], next_cursor: 'x' })
    await older

    expect(list.items.value).toEqual(['new'])
    expect(list.hasNext.value).toBe(false)
    expect(list.loading.value).toBe(false)
  })
})
