import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import type { Receipt } from '@lianfang/shared'

import ReceiptView from '../src/checkin/ReceiptView.vue'

const LEFT = {
  id: 'leader',
  status: 'passed',
  status_label: '准许通行',
  temperature: { value: 36.4, source: 'reused', measured_at: '2026-12-06T02:00:00Z' },
  checked_at: '2026-12-06T02:10:00Z',
  direction: 'out',
  checkpoint: { id: 7, code: 'ABCD2345', name: '东里菜市场' },
  name_masked: '吴*',
  companions: [
    { id: 'child', status: 'passed', status_label: '准许通行', temperature: { value: 36.6, source: 'reused' }, name_masked: '吴**' },
  ],
} as unknown as Receipt

function badges(receipt: Receipt) {
  const view = mount(ReceiptView, { props: { receipt, region: '桥西区' } })
  return { view, shown: () => view.findAll('.badge').map((badge) => [badge.text(), badge.classes()]) }
}

describe('the check-out (离开) receipt', () => {
  it('says it was recorded and gives everyone on it, the resident and each companion, a status badge', () => {
    const { view, shown } = badges(LEFT)

    expect(view.find('h1').text()).toBe('已登记离开')
    expect(view.find('.own-status').text()).toBe('准许通行')
    expect(view.find('.companions li').text()).toBe('吴** · 36.6 ℃准许通行')
    expect(shown()).toEqual([
      ['准许通行', ['badge', 'badge-passed']],
      ['准许通行', ['badge', 'badge-passed']],
    ])
  })

  it('keeps the badges live: each follows its person as the receipt changes', async () => {
    const { view, shown } = badges(LEFT)

    await view.setProps({
      receipt: { ...LEFT, status: 'rejected', companions: [{ ...LEFT.companions[0], status: 'pending' }] } as Receipt,
    })

    expect(shown()).toEqual([
      ['已拒绝', ['badge', 'badge-rejected']],
      ['待审核', ['badge', 'badge-pending']],
    ])
  })

  it('on a check-in receipt the big letters are the resident\'s status: no second badge for them', () => {
    const { view, shown } = badges({ ...LEFT, direction: 'in' } as Receipt)

    expect(view.find('h1').text()).toBe('准许通行')
    expect(view.find('.own-status').exists()).toBe(false)
    expect(shown()).toEqual([['准许通行', ['badge', 'badge-passed']]])
  })
})
