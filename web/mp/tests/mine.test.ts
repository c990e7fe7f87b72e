import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { receipt, SESSION } from './fixtures'
import { FakeServer, type FakeWx, installWx, mount, type SimulateComponent, settle, text } from './harness'

let server: FakeServer
let wx: FakeWx
let page: SimulateComponent

function summary(id: string, overrides: Record<string, unknown> = {}) {
  const { companions: _companions, ...base } = receipt()
  void _companions
  return { ...base, id, companion_of: null, decided_at: null, reason: null, ...overrides }
}

beforeEach(() => {
  server = new FakeServer()
    .on('GET', '/api/auth/config', { status: 200, body: { wechat_mode: 'live', h5_appid: null } })
    .on('POST', '/api/auth/wechat/miniprogram', { status: 200, body: SESSION })
  wx = installWx(server)
})

afterEach(() => page?.detach())

async function open(): Promise<void> {
  page = mount('pages/mine/index')
  page.instance.onLoad()
  await settle()
}

describe('my check-ins', () => {
  it('lists each person’s check-ins with their status, and offers the check-out of the newest entry', async () => {
    server.on('GET', '/api/checkin/me/checkins', {
      status: 200,
      body: {
        items: [
          summary('a', { checkpoint: { code: 'MARKET01', name: '裕华菜市场', kind_label: '市场' }, checked_at: '2026-12-06T03:00:00Z' }),
          summary('b', { name_masked: '张*明', companion_of: 'c', status: 'rejected', status_label: '未通过' }),
          summary('c'),
          summary('d', { checked_at: '2026-12-05T02:05:09Z' }),
        ],
        next_cursor: 'next-1',
      },
    })
    await open()
    const rows = page.querySelectorAll('.record').map(text)
    // The time reads 11:00 on the day itself and 12月6日 11:00 later: either way, then direction, person, temperature.
    expect(rows[0]).toMatch(/^裕华菜市场 准许通行 (12月6日 )?11:00 · 进入 张\* · 36\.5 ℃ 离开登记$/)
    expect(rows[1]).toMatch(/^育才小区东门 已拒绝 .+ · 进入 张\*明 · 36\.5 ℃$/)
    expect(rows[2]).toMatch(/离开登记$/)
    expect(rows[3]).not.toMatch(/离开登记/)
    expect(text(page.querySelector('.more'))).toBe('加载更多')
  })

  it('the check-out opens the checkpoint’s form with 离开 chosen', async () => {
    server.on('GET', '/api/checkin/me/checkins', { status: 200, body: { items: [summary('c')], next_cursor: null } })
    await open()
    page.querySelector('.leave')?.dispatchEvent('click')
    await settle()
    expect(wx.navigations).toEqual(['/pages/checkin/index?code=K7M3QF9X&direction=out'])
    expect(page.querySelector('.more')).toBeUndefined()
  })

  it('pages on with the cursor', async () => {
    server.on('GET', '/api/checkin/me/checkins', { status: 200, body: { items: [summary('c')], next_cursor: 'next-1' } })
    await open()
    server.on('GET', '/api/checkin/me/checkins', { status: 200, body: { items: [summary('d')], next_cursor: null } })
    page.querySelector('.more')?.dispatchEvent('click')
    await settle()
    expect(server.sent('GET', '/api/checkin/me/checkins').map((request) => request.path)).toEqual([
      '/api/checkin/me/checkins?limit=20',
      '/api/checkin/me/checkins?limit=20&cursor=next-1',
    ])
    expect(page.querySelectorAll('.record')).toHaveLength(2)
  })

  it('says when there are none', async () => {
    server.on('GET', '/api/checkin/me/checkins', { status: 200, body: { items: [], next_cursor: null } })
    await open()
    expect(text(page)).toContain('还没有登记记录')
  })
})
