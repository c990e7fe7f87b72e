import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Page } from '@lianfang/shared'
import type { Download } from '@/api'
import { useLogSearch } from './logSearch'

const get = vi.fn()
const saved: Download[] = []
const told: string[] = []
vi.mock('@/api', () => ({ api: { get: (path: string, query: unknown) => get(path, query) } }))
vi.mock('@/utils/download', () => ({ saveDownload: (file: Download) => saved.push(file) }))
vi.mock('@/utils/feedback', () => ({ notifyError: vi.fn(), notifySuccess: (message: string) => told.push(message) }))

interface Entry {
  who: string
  note: string
}

/** A log of `count` entries served 200 a page, chained by cursors as the API does. */
function serve(count: number): void {
  get.mockImplementation(async (_path: string, query: { cursor?: string; limit: number }) => {
    const start = Number(query.cursor ?? 0)
    const end = Math.min(start + query.limit, count)
    const items = Array.from({ length: end - start }, (_, index) => ({ who: `u${start + index}`, note: 'a,"b"' }))
    return { items, next_cursor: end < count ? String(end) : null } satisfies Page<Entry>
  })
}

const COLUMNS = [
  { header: '账号', cell: (entry: Entry) => entry.who },
  { header: '内容', cell: (entry: Entry) => entry.note },
]

beforeEach(() => {
  get.mockReset()
  saved.length = 0
  told.length = 0
})

describe('a log screen', () => {
  it('searches by who and when and by its own filters, 20 a page', async () => {
    serve(3)
    const search = useLogSearch<Entry>(() => '/api/auth/login-log', () => ({ outcome: 'failed' }))
    search.filters.username = ' qiaoxi '
    search.filters.period = ['2026-12-01 00:00:00', '2026-12-06 23:59:59']

    await search.list.reload()

    expect(get).toHaveBeenCalledWith('/api/auth/login-log', {
      username: 'qiaoxi',
      outcome: 'failed',
      from: '2026-12-01T00:00:00+08:00',
      to: '2026-12-06T23:59:59+08:00',
      cursor: undefined,
      limit: 20,
    })
    expect(search.list.items.value.map((entry) => entry.who)).toEqual(['u0', 'u1', 'u2'])
  })

  it('exports every page of the search as a CSV and says how many', async () => {
    serve(450)
    const search = useLogSearch<Entry>(() => '/api/registry/operation-log', () => ({}))

    await search.exportCsv(COLUMNS, '操作日志-地区卡口模板')

    expect(get.mock.calls.map(([path, query]) => [path, query.cursor, query.limit])).toEqual([
      ['/api/registry/operation-log', undefined, 200],
      ['/api/registry/operation-log', '200', 200],
      ['/api/registry/operation-log', '400', 200],
    ])
    const [file] = saved
    expect(file.filename).toMatch(/^操作日志-地区卡口模板-\d{4}-\d{2}-\d{2}\.csv$/)
    const lines = (await file.blob.text()).split('\r\n')
    expect(lines.slice(0, 2)).toEqual(['账号,内容', 'u0,"a,""b"""'])
    expect(lines.length).toBe(1 + 450 + 1)
    expect(told).toEqual(['已导出 450 条'])
    expect(search.exporting.value).toBe(false)
  })

  it('stops at 5000 entries and says the older ones were left out', async () => {
    serve(6000)
    const search = useLogSearch<Entry>(() => '/api/auth/login-log', () => ({}))

    await search.exportCsv(COLUMNS, '登录日志')

    expect(get).toHaveBeenCalledTimes(25)
    expect(told).toEqual(['已导出最近 5000 条（更早的请缩小时间范围后导出）'])
  })
})
