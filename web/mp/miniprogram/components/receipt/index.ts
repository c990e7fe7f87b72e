/** The full-screen receipt the resident shows at the gate: green 准许通行, yellow 待审核, red 体温异常 or 已拒绝, each
 * person's status, and a clock ticking seconds so staff can tell the live page from a screenshot. */

import {
  clockTime,
  dateOf,
  type Receipt,
  receiptHeadline,
  type RecordStatus,
  STATUS_HEADLINES,
  temperatureLine,
} from '@lianfang/shared'

const ICONS: Record<RecordStatus, string> = { passed: '✓', pending: '…', abnormal: '!', rejected: '✕' }
const HINTS: Record<RecordStatus, string> = {
  passed: '',
  pending: '请稍候，工作人员审核后本页自动更新',
  abnormal: '请配合工作人员复测体温',
  rejected: '请联系现场工作人员',
}

const clocks = new WeakMap<object, ReturnType<typeof setInterval>>()

function view(receipt: Receipt | null, now: Date) {
  if (!receipt) return {}
  const checkedAt = new Date(receipt.checked_at)
  return {
    status: receipt.status,
    icon: ICONS[receipt.status],
    headline: receiptHeadline(receipt),
    hint: HINTS[receipt.status],
    temperature: temperatureLine(receipt.temperature, now),
    direction: receipt.direction === 'out' ? '离开' : '进入',
    checkedAt: `${dateOf(checkedAt)} ${clockTime(checkedAt)}`,
    people: receipt.companions.map((companion) => ({
      id: companion.id,
      status: companion.status,
      line: `${companion.name_masked ?? '同行人员'} · ${companion.temperature.value.toFixed(1)} ℃`,
      headline: STATUS_HEADLINES[companion.status],
    })),
    clock: clockTime(now),
  }
}

Component({
  properties: {
    receipt: { type: Object, value: null as Receipt | null },
    region: { type: String, value: '' },
  },

  data: { clock: '' } as Record<string, unknown>,

  observers: {
    receipt(receipt: Receipt | null) {
      this.setData(view(receipt, new Date()))
    },
  },

  lifetimes: {
    attached() {
      this.setData(view(this.data.receipt as Receipt | null, new Date()))
      clocks.set(
        this,
        setInterval(() => this.setData({ clock: clockTime(new Date()) }), 1000),
      )
    },
    detached() {
      const timer = clocks.get(this)
      if (timer !== undefined) clearInterval(timer)
      clocks.delete(this)
    },
  },

  methods: {
    onHistory() {
      this.triggerEvent('history')
    },
    onAgain() {
      this.triggerEvent('again')
    },
  },
})
