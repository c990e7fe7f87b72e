import { describe, expect, it, vi } from 'vitest'
import { api } from '@/api'
import { loadDashboard } from './stats'

function point(day: string, records: number, hour = '00') {
  return { at: `2026-11-${day}T${hour}:00:00+08:00`, records, abnormal: 0, pending: 0 }
}

const week = {
  total: { records: 5, abnormal: 1, pending: 0 },
  series: [point('25', 2), point('26', 3)],
  children: [
    {
      region_id: 3,
      region_name: '长安区',
      own: false,
      total: { records: 3, abnormal: 1, pending: 0 },
      series: [point('25', 2), point('26', 1)],
    },
    {
      region_id: 2,
      region_name: '石家庄市',
      own: true,
      total: { records: 2, abnormal: 0, pending: 0 },
      series: [point('26', 2)],
    },
  ],
  busiest_checkpoints: [],
}

const today = {
  total: { records: 3, abnormal: 1, pending: 1 },
  series: [point('26', 2, '07'), point('26', 1, '18')],
  children: [],
  busiest_checkpoints: [
    { checkpoint_id: 9, checkpoint_name: '建北农贸市场', checkpoint_kind_label: '商超/市场', region_name: '建北街道', records: 3, abnormal: 1, pending: 1 },
  ],
}

describe('the dashboard from the statistics call', () => {
  it('draws a line per sub-region over the days, the hourly rush and the checkpoints with check-ins', async () => {
    vi.spyOn(api, 'get').mockImplementation(async (_path, query) => (query?.granularity === 'hour' ? today : week) as never)

    const dashboard = await loadDashboard(2, '2026-11-26T00:00:00+08:00', '2026-11-20T00:00:00+08:00')

    expect(dashboard.days).toEqual(['11-25', '11-26'])
    expect(dashboard.byRegion).toEqual([
      { name: '长安区', values: [2, 1] },
      { name: '本级直属卡口', values: [0, 2] },
    ])
    // The map colours sub-regions only: the city's own checkpoints lie in none.
    expect(dashboard.subRegions).toEqual([{ regionId: 3, name: '长安区', checkins: 3, abnormal: 1 }])
    expect(dashboard.hours[7]).toBe(2)
    expect(dashboard.hours[18]).toBe(1)
    expect(dashboard.today).toEqual({ checkins: 3, abnormal: 1, pending: 1, activeCheckpoints: '1' })
    expect(dashboard.busiest[0]).toMatchObject({ name: '建北农贸市场', checkins: 3 })
  })
})
