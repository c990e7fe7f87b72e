import { api } from '@/api'

/** What the dashboard draws, whatever the shape the statistics call answers in (one adapter, below). */
export interface Dashboard {
  today: { checkins: number; abnormal: number; pending: number; activeCheckpoints: number }
  days: string[]
  byRegion: { name: string; values: number[] }[]
  hours: number[]
  busiest: { name: string; region: string | null; checkins: number }[]
}

interface Totals {
  checkins: number
  abnormal: number
  pending: number
  checkpoints?: number
}

interface Bucket extends Totals {
  start: string
}

interface RegionSeries {
  region_id: number
  region_name: string
  buckets: Bucket[]
}

interface Stats {
  totals: Totals
  series: RegionSeries[]
  buckets: Bucket[]
  busiest_checkpoints?: { checkpoint_name: string | null; region_name: string | null; checkins: number }[]
}

function day(iso: string): string {
  return new Date(new Date(iso).getTime() + 8 * 3600_000).toISOString().slice(5, 10)
}

function hour(iso: string): number {
  return new Date(new Date(iso).getTime() + 8 * 3600_000).getUTCHours()
}

export async function loadDashboard(regionId: number, todayStart: string, weekStart: string): Promise<Dashboard> {
  const [today, week] = await Promise.all([
    api.get<Stats>('/api/trace/stats', { region_id: regionId, from: todayStart, granularity: 'hour' }),
    api.get<Stats>('/api/trace/stats', { region_id: regionId, from: weekStart, granularity: 'day' }),
  ])
  const days = week.buckets.map((bucket) => day(bucket.start))
  const hours = Array.from({ length: 24 }, () => 0)
  for (const bucket of today.buckets) hours[hour(bucket.start)] += bucket.checkins
  return {
    today: {
      checkins: today.totals.checkins,
      abnormal: today.totals.abnormal,
      pending: today.totals.pending,
      activeCheckpoints: today.totals.checkpoints ?? 0,
    },
    days,
    byRegion: week.series.map((series) => {
      const counts = new Map(series.buckets.map((bucket) => [day(bucket.start), bucket.checkins]))
      return { name: series.region_name, values: days.map((label) => counts.get(label) ?? 0) }
    }),
    hours,
    busiest: (today.busiest_checkpoints ?? []).map((entry) => ({
      name: entry.checkpoint_name ?? '—',
      region: entry.region_name,
      checkins: entry.checkins,
    })),
  }
}
