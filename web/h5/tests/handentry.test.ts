import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

import { ApiError } from '@lianfang/shared'

import HandEntry from '../src/staff/HandEntry.vue'
import type { Api } from '../src/shared/api'

// The camera stands in as a component that "reads" whatever the test makes it emit.
const Camera = defineComponent({ name: 'FakeCamera', emits: ['scanned'], setup: () => () => h('div', 'camera') })
vi.mock('../src/staff/CardScanner.vue', () => ({ __esModule: true, default: Camera }))

const HOLDER = { name_masked: '赵**', phone_masked: '137****0007', id_card_masked: '130***********0014' }
const RECEIPT = { id: 'r1', status: 'passed', name_masked: '赵**' }

function gate(answer: (path: string, body: Record<string, unknown>) => unknown): { api: Api; posted: [string, Record<string, unknown>][] } {
  const posted: [string, Record<string, unknown>][] = []
  const api = {
    post: async (path: string, body: Record<string, unknown>) => {
      posted.push([path, body])
      return answer(path, body)
    },
  } as unknown as Api
  return { api, posted }
}

async function scan(entry: ReturnType<typeof mount>, text: string): Promise<void> {
  await flushPromises()
  entry.findComponent(Camera).vm.$emit('scanned', text)
  await flushPromises()
}

describe('a visitor without a smartphone', () => {
  it("is their personal code and a temperature: the keeper sees the masked name and confirms", async () => {
    const { api, posted } = gate((path) => (path.endsWith('/cards/resolve') ? HOLDER : RECEIPT))
    const entry = mount(HandEntry, { props: { api, checkpointId: 7, scan: true } })

    await scan(entry, 'LF1.ABCDEF')
    expect(entry.find('[aria-label="个人码持卡人"]').text()).toContain('赵**')
    expect(entry.find('input[name="name"]').exists()).toBe(false)
    await entry.find('input[name="temperature"]').setValue('36.5')
    await entry.find('form').trigger('submit')
    await flushPromises()

    expect(posted[0]).toEqual(['/api/checkin/staff/checkpoints/7/cards/resolve', { card: 'LF1.ABCDEF' }])
    const [path, body] = posted[1]
    expect(path).toBe('/api/checkin/staff/checkpoints/7/checkins')
    expect(body).toMatchObject({ card: 'LF1.ABCDEF', temperature: 36.5, direction: 'in' })
    expect(body).not.toHaveProperty('name')
    expect(entry.emitted('done')).toEqual([[RECEIPT]])
  })

  it('says so in words when the code is not a personal code', async () => {
    const refused = new ApiError({
      title: '请求参数有误',
      status: 422,
      detail: '无法识别的个人码',
      code: 'validation_failed',
      errors: [{ field: 'card', message: '这不是有效的联防个人码（可能已损坏或被伪造），请手工登记', code: 'card_unreadable' }],
    })
    const { api } = gate(() => {
      throw refused
    })
    const entry = mount(HandEntry, { props: { api, checkpointId: 7, scan: true } })

    await scan(entry, 'https://example.com/c/GATE2345')

    expect(entry.find('.card-problem').text()).toBe('这不是有效的联防个人码（可能已损坏或被伪造），请手工登记')
    expect(entry.find('input[name="name"]').exists()).toBe(true)
  })

  it('is an ID number typed alone, or a phone with a name', async () => {
    const { api, posted } = gate(() => RECEIPT)
    const entry = mount(HandEntry, { props: { api, checkpointId: 7 } })

    await entry.find('input[name="phone"]').setValue('13700000007')
    await entry.find('input[name="temperature"]').setValue('36.6')
    await entry.find('form').trigger('submit')
    expect(entry.text()).toContain('请填写姓名（有身份证号时可不填）')
    await entry.find('input[name="phone"]').setValue('')
    await entry.find('input[name="id_card"]').setValue('130102194501010019')
    await entry.find('form').trigger('submit')
    await flushPromises()

    expect(posted).toHaveLength(1)
    expect(posted[0][1]).toMatchObject({ name: null, phone: null, id_card: '130102194501010019', temperature: 36.6 })
  })
})
