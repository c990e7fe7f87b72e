import { describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { defineComponent } from 'vue'
import CursorPager from '@/components/CursorPager.vue'
import type { Page } from '@lianfang/shared'
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

    const { pager } = list

    await list.reload()
    expect([list.items.value, pager.pageNumber, pager.hasPrevious, pager.count]).toEqual([['a'], 1, false, 1])
    await pager.onNext()
    await pager.onNext()
    expect([list.items.value, pager.pageNumber, pager.hasNext]).toEqual([['c'], 3, false])
    await pager.onPrevious()
    expect([list.items.value, pager.pageNumber, pager.hasNext]).toEqual([['b'], 2, true])
    await list.reload()
    expect([list.items.value, pager.pageNumber]).toEqual([['a'], 1])
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
    expect(list.pager.hasNext).toBe(false)
    expect(list.loading.value).toBe(false)
  })

  it('drives the pager with the one object a view binds', async () => {
    const Listing = defineComponent({
      components: { CursorPager },
      setup() {
        const list = useCursorPage(async (cursor: string | null) => PAGES[cursor ?? 'first'])
        void list.reload()
        return { list }
      },
      template: '<CursorPager v-bind="list.pager" />',
    })
    const wrapper = mount(Listing, { global: { plugins: [ElementPlus] } })
    await flushPromises()
    const [previous, next] = wrapper.findAll('button')

    expect([wrapper.text(), previous.attributes('disabled')]).toEqual(['第 1 页，本页 1 条上一页下一页', ''])
    await next.trigger('click')
    await flushPromises()
    expect(wrapper.find('.muted').text()).toBe('第 2 页，本页 1 条')
    expect(previous.attributes('disabled')).toBeUndefined()
  })
})
