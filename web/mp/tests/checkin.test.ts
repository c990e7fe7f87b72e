import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { checkpointPage, CODE, receipt, SESSION } from './fixtures'
import { FakeServer, type FakeWx, installWx, mount, problem, receiptOf, type SimulateComponent, settle, text } from './harness'

const AGREED = { current_version: 'v1', consented_version: 'v1', consented_at: '2026-12-01T02:00:00Z', needed: false }
const NOTICE = {
  version: 'v1',
  title: '个人信息处理告知',
  summary: [{ heading: '收集哪些信息', text: '姓名、手机号、体温' }],
  sensitive: '体温属于敏感个人信息',
  retention_days: 30,
  full_text: [],
}

let server: FakeServer
let wx: FakeWx
let page: SimulateComponent

function liveServer(): FakeServer {
  return new FakeServer()
    .on('GET', '/api/auth/config', { status: 200, body: { wechat_mode: 'live', h5_appid: null, privacy_notice_version: 'v1' } })
    .on('GET', '/api/auth/me/privacy-consent', { status: 200, body: AGREED })
    .on('POST', '/api/auth/wechat/miniprogram', { status: 200, body: SESSION })
    .on('GET', `/api/checkin/checkpoints/${CODE}`, { status: 200, body: checkpointPage() })
    .on('POST', '/api/checkin/checkins', { status: 201, body: receipt() })
}

async function open(query: Record<string, string>): Promise<SimulateComponent> {
  page = mount('pages/checkin/index')
  page.instance.onLoad(query as never)
  await settle()
  return page
}

function field(name: string): SimulateComponent {
  const found = page.querySelector(`.field-${name}`)
  if (!found) throw new Error(`no field ${name}`)
  return found
}

function type(name: string, value: string): void {
  field(name).dispatchEvent('change', { detail: value })
}

async function tap(selector: string): Promise<void> {
  const button = page.querySelector(selector)
  if (!button) throw new Error(`nothing to tap at ${selector}`)
  button.dispatchEvent('click')
  await settle()
}

beforeEach(() => {
  server = liveServer()
  wx = installWx(server)
})

afterEach(() => {
  page?.detach()
  vi.useRealTimers()
})

describe('opening from a scan', () => {
  it('a poster’s URL in q opens its checkpoint, logged in through wx.login', async () => {
    await open({ q: encodeURIComponent(`https://lianfang.example.cn/c/${CODE}`), scancode_time: '1764989000' })
    expect(text(page.querySelector('.checkpoint'))).toBe('小区 · 扫码登记 育才小区东门 石家庄市 › 长安区 › 育才街道 育才街 12 号')
    expect(server.sent('POST', '/api/auth/wechat/miniprogram').map((request) => request.body)).toEqual([
      { code: 'wx-login-code-1' },
    ])
    const [asked] = server.sent('GET', `/api/checkin/checkpoints/${CODE}`)
    expect(asked.headers.Authorization).toBe('Bearer access-1')
    expect(wx.titles).toEqual(['育才小区东门'])
  })

  it('a mini-program code’s scene opens the same checkpoint', async () => {
    await open({ scene: encodeURIComponent(CODE) })
    expect(text(page.querySelector('.checkpoint .name'))).toBe('育才小区东门')
  })

  it('a second launch reuses the stored login: wx.login is not called again', async () => {
    await open({ scene: CODE })
    page.detach()
    const before = wx.logins
    wx = installWx(server, { storage: wx.storage })
    await open({ scene: CODE })
    expect(before + wx.logins).toBe(1)
    expect(server.sent('POST', '/api/auth/wechat/miniprogram')).toHaveLength(1)
  })

  it('a login the server ended logs in again once', async () => {
    await open({ scene: CODE })
    page.detach()
    server
      .once('GET', `/api/checkin/checkpoints/${CODE}`, { status: 401, body: problem(401, 'token_expired', '登录已过期') })
      .on('POST', '/api/auth/refresh', { status: 401, body: problem(401, 'refresh_token_invalid', '请重新登录') })
    await open({ scene: CODE })
    // The stale token was cleared; the page asks again after the new login.
    expect(text(page.querySelector('.checkpoint'))).toContain('无法打开该卡口')
    page.detach()
    await open({ scene: CODE })
    expect(wx.logins).toBe(2)
    expect(text(page.querySelector('.checkpoint .name'))).toBe('育才小区东门')
  })

  it('a code no checkpoint has says so', async () => {
    server.on('GET', /^\/api\/checkin\/checkpoints\//, { status: 404, body: problem(404, 'checkpoint_not_found', '卡口不存在') })
    await open({ scene: 'ZZZZZZZZ' })
    expect(text(page.querySelector('.checkpoint'))).toBe('扫码登记 无法打开该卡口 未找到该卡口，请核对二维码')
  })

  it('a scan without a code asks for the checkpoint’s own QR code', async () => {
    await open({ q: encodeURIComponent('https://lianfang.example.cn/admin/') })
    expect(text(page.querySelector('.checkpoint'))).toContain('二维码中没有卡口编号')
    expect(server.requests).toHaveLength(0)
  })
})

describe('leaving (离开) on a rescan', () => {
  const STAY = {
    entry_id: '0193a5c0-0000-7000-8000-000000000001',
    checked_at: '2026-12-06T10:05:09+08:00',
    until: '2026-12-06T10:15:09+08:00',
    names_masked: ['张*', '张*明'],
  }
  const LEFT = receipt({
    id: '0193a5c0-0000-7000-8000-000000000009',
    direction: 'out',
    temperature: { value: 36.5, source: 'reused', measured_at: '2026-12-06T02:05:00Z' },
  })

  beforeEach(() => {
    server
      .on('GET', `/api/checkin/checkpoints/${CODE}`, { status: 200, body: checkpointPage({ stay: STAY }) })
      .on('POST', '/api/checkin/checkouts', { status: 201, body: LEFT })
  })

  it('offers 登记离开 first, and one tap records the stay’s people leaving', async () => {
    await open({ scene: CODE })
    expect(text(page.querySelector('.stay'))).toBe('您于 10:05 在此登记进入（含同行 1 人） 离开时请点击下方按钮登记离开，无需再次填写。 登记离开 再次登记进入')
    expect(page.querySelector('.submit-button')).toBeUndefined()

    await tap('.leave-button')

    const [sent] = server.sent('POST', '/api/checkin/checkouts')
    expect(Object.keys(sent.body as object).sort()).toEqual(['checkpoint_code', 'client_id'])
    expect((sent.body as { checkpoint_code: string }).checkpoint_code).toBe(CODE)
    expect(server.sent('POST', '/api/checkin/checkins')).toHaveLength(0)
    expect(text(receiptOf(page)?.querySelector('.headline'))).toBe('已登记离开')
    expect(wx.titles.at(-1)).toBe('已登记离开')
  })

  it('a check-out that meets request:fail goes out again with the same client_id', async () => {
    await open({ scene: CODE })
    server.once('POST', '/api/checkin/checkouts', 'network-error')
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    page.querySelector('.leave-button')?.dispatchEvent('click')
    await vi.advanceTimersByTimeAsync(10)
    expect(text(page.querySelector('.retrying'))).toBe('网络不佳，1 秒后自动重试（第 1 次），请勿退出')
    await vi.advanceTimersByTimeAsync(1000)

    const sent = server.sent('POST', '/api/checkin/checkouts')
    expect(sent).toHaveLength(2)
    expect((sent[0].body as { client_id: string }).client_id).toBe((sent[1].body as { client_id: string }).client_id)
    expect(text(receiptOf(page)?.querySelector('.headline'))).toBe('已登记离开')
  })

  it('再次登记进入 shows the form instead', async () => {
    await open({ scene: CODE })

    await tap('.enter-again')

    expect(page.querySelector('.stay')).toBeUndefined()
    expect(text(page.querySelector('.submit-button'))).toBe('提交登记')
  })

  it('without a stay there is nothing to leave: the form as always', async () => {
    server.on('GET', `/api/checkin/checkpoints/${CODE}`, { status: 200, body: checkpointPage() })
    await open({ scene: CODE })

    expect(page.querySelector('.stay')).toBeUndefined()
    expect(page.querySelector('.leave-button')).toBeUndefined()
  })
})

describe('the form', () => {
  it('starts from the server’s prefill, then from this phone’s last answers', async () => {
    wx.storage.set('lf.checkin.answers', JSON.stringify({ name: '旧名字', phone: '13900000000', plate: '冀A12345' }))
    server.on('GET', `/api/checkin/checkpoints/${CODE}`, {
      status: 200,
      body: checkpointPage({ prefill: { name: '张三' } }),
    })
    await open({ scene: CODE })
    expect(page.instance.data.answers).toEqual({ name: '张三', phone: '13900000000' })
  })

  it('asks no temperature while the last one is valid, and can measure again', async () => {
    server.on('GET', `/api/checkin/checkpoints/${CODE}`, {
      status: 200,
      body: checkpointPage({
        temperature: {
          required: false,
          last: { value: 36.4, measured_at: '2026-12-06T00:05:00Z', valid_until: '2026-12-06T04:05:00Z' },
        },
      }),
    })
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-06T02:00:00Z') })
    await open({ scene: CODE })
    expect(page.querySelector('.field-temperature')).toBeUndefined()
    expect(text(page.querySelector('.valid-note'))).toContain('您的体温在有效期内（至 12:05）')
    expect(text(page.querySelector('.valid-note'))).toContain('上次测量 36.4 ℃，本次无需再测')
    await tap('.remeasure')
    expect(page.querySelector('.field-temperature')).toBeDefined()
  })

  it('shows mistakes on their fields before sending anything', async () => {
    await open({ scene: CODE })
    type('name', '张三')
    type('phone', '1234')
    type('temperature', '45')
    await tap('.submit-button')
    expect(text(field('phone'))).toContain('请输入 11 位中国大陆手机号')
    expect(text(field('temperature'))).toContain('体温应在 35.0～42.5 ℃ 之间，请重新测量')
    expect(server.sent('POST', '/api/checkin/checkins')).toHaveLength(0)
  })

  it('fills the phone number WeChat vouches for with the getPhoneNumber button', async () => {
    server.on('POST', '/api/auth/wechat/phone', { status: 200, body: { phone: '13812345678', phone_masked: '138****5678' } })
    await open({ scene: CODE })
    const button = page.querySelector('.phone-button')
    expect(text(button)).toBe('微信手机号')
    button?.dispatchEvent('getphonenumber', { detail: { code: 'phone-code-1', errMsg: 'getPhoneNumber:ok' } })
    await settle()
    expect(server.sent('POST', '/api/auth/wechat/phone').map((request) => request.body)).toEqual([{ code: 'phone-code-1' }])
    expect(page.instance.data.answers).toMatchObject({ phone: '13812345678' })
    expect(page.querySelector('.phone-button')).toBeUndefined()
  })

  it('a declined phone prompt sends nothing', async () => {
    await open({ scene: CODE })
    page.querySelector('.phone-button')?.dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:fail user deny' } })
    await settle()
    expect(server.sent('POST', '/api/auth/wechat/phone')).toHaveLength(0)
  })
})

async function fillAndSubmit(): Promise<void> {
  type('name', '张三')
  type('phone', '13812345678')
  type('temperature', '36.5')
  await tap('.submit-button')
}

describe('submitting', () => {
  it('sends the answers and shows the green receipt with a running clock', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: new Date('2026-12-06T02:05:10Z') })
    await open({ scene: CODE })
    await fillAndSubmit()
    const [sent] = server.sent('POST', '/api/checkin/checkins')
    expect(sent.body).toMatchObject({
      checkpoint_code: CODE,
      answers: { name: '张三', phone: '13812345678' },
      temperature: 36.5,
      direction: 'in',
      companions: [],
    })
    const shown = receiptOf(page)
    expect(text(shown?.querySelector('.headline'))).toBe('准许通行')
    expect(shown?.querySelector('.receipt')?.dom.className).toContain('passed')
    expect(text(shown?.querySelector('.checked-at'))).toBe('2026/12/06 10:05:09')
    expect(text(shown?.querySelector('.time'))).toBe('10:05:10')
    vi.advanceTimersByTime(3000)
    expect(text(receiptOf(page)?.querySelector('.time'))).toBe('10:05:13')
    // The answers stay on this phone for next time.
    expect(JSON.parse(wx.storage.get('lf.checkin.answers') ?? '{}')).toEqual({ name: '张三', phone: '13812345678' })
  })

  it('retries a lost request with the same client_id until the server answers', async () => {
    await open({ scene: CODE })
    server.once('POST', '/api/checkin/checkins', 'network-error')
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    type('name', '张三')
    type('phone', '13812345678')
    type('temperature', '36.5')
    page.querySelector('.submit-button')?.dispatchEvent('click')
    await vi.advanceTimersByTimeAsync(10)
    expect(text(page.querySelector('.retrying'))).toBe('网络不佳，1 秒后自动重试（第 1 次），请勿退出')
    await vi.advanceTimersByTimeAsync(1000)
    const sent = server.sent('POST', '/api/checkin/checkins')
    expect(sent).toHaveLength(2)
    expect((sent[0].body as { client_id: string }).client_id).toBe((sent[1].body as { client_id: string }).client_id)
    expect(text(receiptOf(page)?.querySelector('.headline'))).toBe('准许通行')
  })

  it('a check-in left unsent when the mini-program closed goes out again on the next open', async () => {
    await open({ scene: CODE })
    server.on('POST', '/api/checkin/checkins', 'network-error')
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    type('name', '张三')
    type('phone', '13812345678')
    type('temperature', '36.5')
    page.querySelector('.submit-button')?.dispatchEvent('click')
    await vi.advanceTimersByTimeAsync(10)
    page.detach()
    vi.useRealTimers()
    const [first] = server.sent('POST', '/api/checkin/checkins')
    server.on('POST', '/api/checkin/checkins', { status: 201, body: receipt() })
    wx = installWx(server, { storage: wx.storage })
    await open({ scene: CODE })
    const again = server.sent('POST', '/api/checkin/checkins').at(-1)
    expect(again?.body).toEqual(first.body)
    expect(text(receiptOf(page)?.querySelector('.headline'))).toBe('准许通行')
  })

  it('puts the server’s field problems on their fields', async () => {
    server.on('POST', '/api/checkin/checkins', {
      status: 422,
      body: problem(422, 'validation_failed', '填写的信息有误', { errors: [{ field: 'answers.name', message: '姓名只能包含汉字或字母' }] }),
    })
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(text(field('name'))).toContain('姓名只能包含汉字或字母')
    expect(wx.toasts).toContain('填写的信息有误')
  })

  it('a companion’s own phone may be left out: the server reaches them through the resident’s', async () => {
    await open({ scene: CODE })
    await tap('.add-companion')
    // The companion's phone field, drawn from these views, is neither required nor silent about whose number is used.
    expect((page.instance.data.theirFields as { key: string }[]).find((view) => view.key === 'phone')).toMatchObject({
      required: false,
      placeholder: '没有可不填，使用本人手机号',
    })
    expect((page.instance.data.fields as { key: string }[]).find((view) => view.key === 'phone')).toMatchObject({ required: true })
    page.querySelectorAll('.companion .field-name')[0].dispatchEvent('change', { detail: '张小明' })
    page.querySelector('.field-companion-temperature')?.dispatchEvent('change', { detail: '36.6' })

    await fillAndSubmit()

    const [sent] = server.sent('POST', '/api/checkin/checkins')
    expect((sent.body as { companions: unknown }).companions).toEqual([{ answers: { name: '张小明' }, temperature: 36.6 }])
  })

  it('checks in companions, each with their own status, updated live as staff decide', async () => {
    server.on('GET', `/api/checkin/checkpoints/${CODE}`, {
      status: 200,
      body: checkpointPage({ companions: [{ name: '张小明', phone: '13812345678' }] }),
    })
    const companion = {
      id: '0193a5c0-0000-7000-8000-000000000002',
      status: 'pending' as const,
      status_label: '待审核',
      temperature: { value: 36.6, source: 'measured' as const, measured_at: '2026-12-06T02:05:00Z' },
      name_masked: '张*明',
    }
    server.on('POST', '/api/checkin/checkins', {
      status: 201,
      body: receipt({ status: 'pending', status_label: '待审核', companions: [companion] }),
    })
    await open({ scene: CODE })
    expect(text(page.querySelector('.known-companion'))).toBe('张小明')
    await tap('.known-companion')
    expect(page.querySelector('.known-companion')).toBeUndefined()
    page.querySelector('.field-companion-temperature')?.dispatchEvent('change', { detail: '36.6' })
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    await fillAndSubmit()
    const [sent] = server.sent('POST', '/api/checkin/checkins')
    expect((sent.body as { companions: unknown }).companions).toEqual([
      { answers: { name: '张小明', phone: '13812345678' }, temperature: 36.6 },
    ])
    expect(text(receiptOf(page)?.querySelector('.headline'))).toBe('待审核')
    expect(text(receiptOf(page)?.querySelector('.companion'))).toBe('张*明 · 36.6 ℃ 待审核')

    server.on('GET', '/api/checkin/me/checkins', {
      status: 200,
      body: {
        items: [
          { ...companion, status: 'rejected', status_label: '未通过', checkpoint: receipt().checkpoint, checked_at: receipt().checked_at, direction: 'in', companion_of: receipt().id, decided_at: '2026-12-06T02:06:00Z', reason: null },
          { ...receipt(), status: 'passed', status_label: '准许通行', companion_of: null, decided_at: '2026-12-06T02:06:00Z', reason: null },
        ],
        next_cursor: null,
      },
    })
    await vi.advanceTimersByTimeAsync(5000)
    await settle()
    expect(text(receiptOf(page)?.querySelector('.headline'))).toBe('准许通行')
    expect(text(receiptOf(page)?.querySelector('.companion'))).toBe('张*明 · 36.6 ℃ 已拒绝')
  })
})

describe('where the check-in is made', () => {
  async function shareAndSubmit(): Promise<void> {
    page.querySelector('.share-switch')?.dispatchEvent('change', { detail: true })
    await settle()
    type('name', '张三')
    type('phone', '13812345678')
    type('temperature', '36.5')
    page.querySelector('.submit-button')?.dispatchEvent('click')
    await settle()
  }

  function sentBody(): Record<string, unknown> {
    const [sent] = server.sent('POST', '/api/checkin/checkins')
    return sent.body as Record<string, unknown>
  }

  it('sends no position unless the resident chooses to', async () => {
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(wx.locationAsked).toBe(0)
    expect(sentBody()).toMatchObject({ location: null, location_consent: false, scan_scene: 1011 })
  })

  it('asks the privacy agreement first, then sends the position with consent', async () => {
    await open({ scene: CODE })
    await shareAndSubmit()
    expect(text(page.querySelector('.privacy'))).toContain('只保存您与卡口的距离，不保存位置')
    expect(server.sent('POST', '/api/checkin/checkins')).toHaveLength(0)
    page.querySelector('.privacy-agree')?.dispatchEvent('agreeprivacyauthorization')
    await settle()
    expect(page.querySelector('.privacy')).toBeUndefined()
    expect(sentBody()).toMatchObject({
      location: { latitude: 38.06351, longitude: 114.51482, accuracy: 35 },
      location_consent: true,
    })
    // The choice is kept for next time; the agreement is WeChat's to remember.
    expect(wx.storage.get('lf.location.share')).toBe('yes')
  })

  it('a refused privacy agreement checks in without the position', async () => {
    await open({ scene: CODE })
    await shareAndSubmit()
    page.querySelector('.privacy-refuse')?.dispatchEvent('tap')
    await settle()
    expect(sentBody()).toMatchObject({ location: null, location_consent: false })
    expect(wx.toasts).toContain('未获得位置授权，本次登记不附带位置')
    expect(page.instance.data.shareLocation).toBe(false)
    expect(text(receiptOf(page)?.querySelector('.headline'))).toBe('准许通行')
  })

  it('a refused location permission checks in without the position', async () => {
    wx.privacyAgreed = true
    wx.location = 'auth deny'
    await open({ scene: CODE })
    await shareAndSubmit()
    expect(sentBody()).toMatchObject({ location: null, location_consent: false })
    expect(text(receiptOf(page)?.querySelector('.headline'))).toBe('准许通行')
  })

  it('tells the server a code was read from a picture', async () => {
    wx = installWx(server, { scene: 1013 })
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(sentBody()).toMatchObject({ scan_scene: 1013 })
  })
})

describe('hearing back when staff decide', () => {
  function audited(template: string | null): void {
    server
      .on('GET', '/api/auth/config', { status: 200, body: { wechat_mode: 'live', h5_appid: null, decision_template: template } })
      .on('GET', `/api/checkin/checkpoints/${CODE}`, {
        status: 200,
        body: checkpointPage({ checkpoint: { ...checkpointPage().checkpoint, requires_audit: true } }),
      })
      .on('POST', '/api/checkin/checkins', { status: 201, body: receipt({ status: 'pending', status_label: '待审核' }) })
  }

  it('asks once, from the submit tap, to send the approval result', async () => {
    audited('tmpl-decision')
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(wx.subscribeRequests).toEqual([['tmpl-decision']])
    expect(text(receiptOf(page)?.querySelector('.headline'))).toBe('待审核')
  })

  it('a resident who declines still checks in', async () => {
    audited('tmpl-decision')
    wx.subscribeAnswer = 'reject'
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(server.sent('POST', '/api/checkin/checkins')).toHaveLength(1)
  })

  it('asks nothing where no staff decide, or no message is set up', async () => {
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(wx.subscribeRequests).toEqual([])
    page.detach()
    audited(null)
    wx = installWx(server)
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(wx.subscribeRequests).toEqual([])
  })
})

describe('the reminder to check out', () => {
  function templates(decision: string | null, reminder: string | null, requiresAudit = false, risk: string | null = null): void {
    server
      .on('GET', '/api/auth/config', {
        status: 200,
        body: {
          wechat_mode: 'live',
          h5_appid: null,
          decision_template: decision,
          checkout_reminder_template: reminder,
          risk_notice_template: risk,
        },
      })
      .on('GET', `/api/checkin/checkpoints/${CODE}`, {
        status: 200,
        body: checkpointPage({ checkpoint: { ...checkpointPage().checkpoint, requires_audit: requiresAudit } }),
      })
  }

  function sentBody(): Record<string, unknown> {
    const [sent] = server.sent('POST', '/api/checkin/checkins')
    return sent.body as Record<string, unknown>
  }

  it('asks for it in the submit tap and tells the server the resident accepted', async () => {
    templates(null, 'tmpl-reminder')
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(wx.subscribeRequests).toEqual([['tmpl-reminder']])
    expect(sentBody()).toMatchObject({ direction: 'in', remind_checkout: true })
  })

  it('asks for it alongside the approval result, in one dialog', async () => {
    templates('tmpl-decision', 'tmpl-reminder', true)
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(wx.subscribeRequests).toEqual([['tmpl-decision', 'tmpl-reminder']])
    expect(sentBody()).toMatchObject({ remind_checkout: true })
  })

  it('asks for the risk notice too, at most three templates in the one dialog', async () => {
    templates('tmpl-decision', 'tmpl-reminder', true, 'tmpl-risk')
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(wx.subscribeRequests).toEqual([['tmpl-decision', 'tmpl-reminder', 'tmpl-risk']])
  })

  it('a resident who turns the reminder down is not reminded, and still checks in', async () => {
    templates('tmpl-decision', 'tmpl-reminder', true)
    wx.subscribeRefused = ['tmpl-reminder']
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(sentBody()).toMatchObject({ remind_checkout: false })
    expect(text(receiptOf(page)?.querySelector('.headline'))).toBe('准许通行')
  })

  it('is not asked for when leaving, nor when no reminder is set up', async () => {
    templates(null, 'tmpl-reminder')
    await open({ scene: CODE, direction: 'out' })
    await fillAndSubmit()
    expect(wx.subscribeRequests).toEqual([])
    expect(sentBody()).toMatchObject({ direction: 'out', remind_checkout: false })
    page.detach()
    templates(null, null)
    wx = installWx(server)
    await open({ scene: CODE })
    await fillAndSubmit()
    expect(wx.subscribeRequests).toEqual([])
  })
})

describe('the privacy notice', () => {
  beforeEach(() => {
    server
      .on('GET', '/api/auth/me/privacy-consent', { status: 200, body: { ...AGREED, consented_version: null, consented_at: null, needed: true } })
      .on('GET', '/api/auth/privacy-notice', { status: 200, body: NOTICE })
      .on('POST', '/api/auth/me/privacy-consent', { status: 201, body: AGREED })
  })

  it('comes before the form until the resident agrees', async () => {
    await open({ scene: CODE })
    expect(text(page.querySelector('.notice-card'))).toContain('个人信息处理告知')
    expect(text(page.querySelector('.notice-card'))).toContain('体温属于敏感个人信息')
    expect(page.querySelector('.field-name')).toBeUndefined()
    await tap('.agree-notice')
    expect(server.sent('POST', '/api/auth/me/privacy-consent').map((request) => request.body)).toEqual([{ version: 'v1' }])
    expect(page.querySelector('.field-name')).toBeDefined()
    expect(wx.storage.get('lf.privacy.consented')).toBe('v1')
  })

  it('a resident who does not agree is sent to the staff', async () => {
    await open({ scene: CODE })
    await tap('.refuse-notice')
    expect(text(page.querySelector('.refused'))).toContain('请联系现场工作人员为您手工登记')
    expect(page.querySelector('.field-name')).toBeUndefined()
  })

  it('this phone remembers the agreed version and asks nobody', async () => {
    wx.storage.set('lf.resident', JSON.stringify({ access_token: 'access-1', refresh_token: 'refresh-1' }))
    wx.storage.set('lf.privacy.consented', 'v1')
    await open({ scene: CODE })
    expect(server.sent('GET', '/api/auth/me/privacy-consent')).toHaveLength(0)
    expect(page.querySelector('.field-name')).toBeDefined()
  })
})
