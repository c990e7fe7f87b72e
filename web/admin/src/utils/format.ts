const TIME = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})

/** An ISO time as people here read it: Beijing time, `2026-11-25 08:03:12`. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const parts = Object.fromEntries(TIME.formatToParts(new Date(iso)).map((part) => [part.type, part.value]))
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`
}

/** The start of a Beijing day `daysAgo` days back, with its offset, as the API's `from` wants it. */
export function beijingDayStart(daysAgo = 0, now = new Date()): string {
  const beijing = new Date(now.getTime() + 8 * 3600_000)
  beijing.setUTCDate(beijing.getUTCDate() - daysAgo)
  const day = beijing.toISOString().slice(0, 10)
  return `${day}T00:00:00+08:00`
}

/** A date-time picker's value (`YYYY-MM-DD HH:mm:ss`, Beijing time) as ISO 8601 with the offset. */
export function pickerToIso(value: string | null | undefined): string | undefined {
  return value ? `${value.replace(' ', 'T')}+08:00` : undefined
}

export const STATUS_TAGS: Record<string, 'success' | 'warning' | 'danger' | 'info'> = {
  passed: 'success',
  pending: 'warning',
  abnormal: 'danger',
  rejected: 'info',
}

export const STATUS_OPTIONS = [
  { value: 'passed', label: '准许通行' },
  { value: 'pending', label: '待审核' },
  { value: 'abnormal', label: '体温异常' },
  { value: 'rejected', label: '未通过' },
]

export const KIND_OPTIONS = [
  { value: 'community', label: '小区/社区' },
  { value: 'hospital', label: '医院' },
  { value: 'market', label: '商超/市场' },
  { value: 'office', label: '办公楼' },
  { value: 'vehicle', label: '车辆/班车' },
  { value: 'school', label: '学校' },
  { value: 'station', label: '车站' },
  { value: 'village', label: '村庄' },
  { value: 'other', label: '其他' },
]

export const LEVEL_LABELS: Record<string, string> = {
  province: '省',
  city: '市',
  county: '区县',
  township: '街道/乡镇',
  unit: '社区/单位',
}

/** A date-time range picker's value for the last `days` Beijing days, today whole: the range ends at tomorrow's
 * midnight (the end is exclusive), so what happens after the page opened is found by 查询 without re-picking. */
export function lastDays(days: number, now = new Date()): [string, string] {
  return [beijingPicker(beijingDayStart(days - 1, now)), beijingPicker(beijingDayStart(-1, now))]
}

function beijingPicker(dayStart: string): string {
  return dayStart.slice(0, 19).replace('T', ' ')
}
