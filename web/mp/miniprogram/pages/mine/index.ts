/** My check-ins, newest first, with each person's status; a check-in into a place can be followed by its check-out. */

import { type CheckinSummary, type Page, shortTime, STATUS_TAG_TYPES } from '@lianfang/shared'

import { api, ensureLogin } from '../../lib/session'
import type { UiEvent } from '../../lib/wxp'

interface Row {
  id: string
  code: string
  place: string
  when: string
  person: string
  temperature: string
  status: string
  statusLabel: string
  tag: string
  direction: string
  companion: boolean
  canLeave: boolean
}

function row(item: CheckinSummary, now: Date): Row {
  return {
    id: item.id,
    code: item.checkpoint.code,
    place: item.checkpoint.name,
    when: shortTime(new Date(item.checked_at), now),
    person: item.name_masked ?? (item.companion_of ? '同行人员' : '本人'),
    temperature: `${item.temperature.value.toFixed(1)} ℃`,
    status: item.status,
    statusLabel: item.status === 'rejected' ? '已拒绝' : item.status_label,
    tag: STATUS_TAG_TYPES[item.status],
    direction: item.direction === 'out' ? '离开' : '进入',
    companion: item.companion_of !== null,
    canLeave: item.direction === 'in' && item.companion_of === null && item.status !== 'rejected',
  }
}

Component({
  data: {
    rows: [] as Row[],
    cursor: null as string | null,
    loading: true,
    problem: '',
  },

  methods: {
    onLoad() {
      void this.more()
    },

    async more() {
      this.setData({ loading: true, problem: '' })
      try {
        await ensureLogin()
        const page = await api.get<Page<CheckinSummary>>('/api/checkin/me/checkins', {
          limit: 20,
          cursor: this.data.cursor,
        })
        const now = new Date()
        // Only the newest check-in into a place offers its check-out.
        const seen = new Set(this.data.rows.map((existing) => existing.code))
        const rows = page.items.map((item) => {
          const shown = row(item, now)
          if (seen.has(shown.code)) shown.canLeave = false
          if (!shown.companion) seen.add(shown.code)
          return shown
        })
        this.setData({ rows: [...this.data.rows, ...rows], cursor: page.next_cursor })
      } catch (error) {
        this.setData({ problem: (error as Error).message })
      } finally {
        this.setData({ loading: false })
      }
    },

    onLeave(event: UiEvent<unknown, { code: string }>) {
      wx.navigateTo({ url: `/pages/checkin/index?code=${encodeURIComponent(event.currentTarget.dataset.code)}&direction=out` })
    },
  },
})
