import { reactive, ref } from 'vue'
import type { Page } from '@lianfang/shared'
import { api } from '@/api'
import { useCursorPage } from '@/composables/cursorPage'
import { csvBlob } from '@/utils/csv'
import { saveDownload } from '@/utils/download'
import { notifyError, notifySuccess } from '@/utils/feedback'
import { formatTime, lastDays, pickerToIso } from '@/utils/format'

// An export reads at most this many entries, page by page (a month of a county's logins).
const EXPORT_LIMIT = 5000
const PAGE_SIZE = 20
const EXPORT_PAGE_SIZE = 200

export type LogQuery = Record<string, string | number | undefined>

/** Who (a full username) and when: what every log screen is searched by. */
export interface LogFilters {
  username: string
  period: [string, string] | null
}

/** A column of a log's CSV: its header and what each entry shows in it. */
export interface LogColumn<T> {
  header: string
  cell: (entry: T) => string
}

/** A choice of a log screen's own filter (操作, 结果); several under one heading make a group. */
export interface LogChoice<C extends string> {
  value: C
  label: string
}

export interface LogChoiceGroup<C extends string> {
  label: string
  options: LogChoice<C>[]
}

export type LogSearch<T> = ReturnType<typeof useLogSearch<T>>

/**
 * A log screen (登录日志, 操作日志): its search by who and when (the last 7 days at first) and by the screen's own
 * filters (`own`), the pages of `path()`, and the export of the search as shown.
 */
export function useLogSearch<T>(path: () => string, own: () => LogQuery) {
  const filters = reactive<LogFilters>({ username: '', period: lastDays(7) })
  const exporting = ref(false)

  function fetchPage(from: string, cursor: string | null, limit: number): Promise<Page<T>> {
    return api.get<Page<T>>(from, {
      username: filters.username.trim() || undefined,
      ...own(),
      from: pickerToIso(filters.period?.[0]),
      to: pickerToIso(filters.period?.[1]),
      cursor: cursor ?? undefined,
      limit,
    })
  }

  const list = useCursorPage<T>((cursor) => fetchPage(path(), cursor, PAGE_SIZE))

  /** Every page of the search up to `EXPORT_LIMIT`, as a CSV the browser saves as `<name>-<today>.csv`. */
  async function exportCsv(columns: LogColumn<T>[], name: string): Promise<void> {
    exporting.value = true
    // The log chosen when 导出 was pressed, to the last page.
    const from = path()
    try {
      const entries: T[] = []
      let cursor: string | null = null
      do {
        const page: Page<T> = await fetchPage(from, cursor, EXPORT_PAGE_SIZE)
        entries.push(...page.items)
        cursor = page.next_cursor
      } while (cursor && entries.length < EXPORT_LIMIT)
      const header = columns.map((column) => column.header)
      const rows = entries.map((entry) => columns.map((column) => column.cell(entry)))
      const day = formatTime(new Date().toISOString()).slice(0, 10)
      saveDownload({ blob: csvBlob(header, rows), filename: `${name}-${day}.csv` })
      notifySuccess(cursor ? `已导出最近 ${entries.length} 条（更早的请缩小时间范围后导出）` : `已导出 ${entries.length} 条`)
    } catch (error) {
      notifyError(error)
    } finally {
      exporting.value = false
    }
  }

  return { filters, list, exporting, exportCsv }
}
