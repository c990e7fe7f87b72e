import type { Stats } from '@lianfang/shared'
import { api } from '@/api'

/** What the dashboard draws, taken from `GET /api/trace/stats`. */
export interface Dashboard {
  today: { checkins: number; abnormal: number; pending: number; activeCheckpoints: string }
  days: string[]
  byRegion: { name: string; values: number[] }[]
  // The sub-regions' totals over the week (the region's own checkpoints left out).
  subRegions: { regionId: number; name: string; checkins: number; abnormal: number }[]
  hours: number[]
  busiest: { name: string; region: string | null; kind: string; checkins: number; abnormal: number }[]
}

// The most checkpoints today's call lists: enough to count the active ones of a township, "100+" above.
const COUNTED = 100

function beijing(iso: string): Date {
  return new Date(new Date(iso).getTime() + 8 * 3600_000)
}

export async function loadDashboard(regionId: number, todayStart: string, weekStart: string): Promise<Dashboard> {
  const [today, week] = await Promise.all([
    api.get<Stats>('/api/trace/stats', { region_id: regionId, from: todayStart, granularity: 'hour', top: COUNTED }),
    api.get<Stats>('/api/trace/stats', { region_id: regionId, from: weekStart, granularity: 'day', top: 1 }),
  ])
  const days = week.series.map((point) => beijing(point.at).toISOString().slice(5, 10))
  const hours = Array.from({ length: 24 }, () => 0)
  for (const point of today.series) hours[beijing(point.at).getUTCHours()] += point.records
  const active = today.busiest_checkpoints.filter((checkpoint) => checkpoint.records > 0).length
  return {
    today: {
      checkins: today.total.records,
      abnormal: today.total.abnormal,
      pending: today.total.pending,
      activeCheckpoints: active >= COUNTED ? `${COUNTED}+` : String(active),
    },
    days,
    byRegion: week.children.map((child) => {
      const counts = new Map(child.series.map((point) => [beijing(point.at).toISOString().slice(5, 10), point.records]))
      const name = child.own ? '本级直属卡口' : (child.region_name ?? `地区 #${child.region_id}`)
      return { name, values: days.map((day) => counts.get(day) ?? 0) }
    }),
    subRegions: week.children
      .filter((child) => !child.own)
      .map((child) => ({
        regionId: child.region_id,
        name: child.region_name ?? `地区 #${child.region_id}`,
        checkins: child.total.records,
        abnormal: child.total.abnormal,
      })),
    hours,
    busiest: today.busiest_checkpoints.slice(0, 10).map((checkpoint) => ({
      name: checkpoint.checkpoint_name ?? `卡口 #${checkpoint.checkpoint_id}`,
      region: checkpoint.region_name,
      kind: checkpoint.checkpoint_kind_label,
      checkins: checkpoint.records,
      abnormal: checkpoint.abnormal,
    })),
  }
}
