import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import CheckinForm from '../src/checkin/CheckinForm.vue'
import type { CheckinSummary, CheckpointPage, Receipt } from '@lianfang/shared'
import { awaitingDecision, withDecisions } from '../src/checkin/decisions'
import { takeShell } from '../src/checkin/shell'
import { authorizeUrl, insideWeChat, oauthReturn } from '../src/checkin/wechat'

function page(temperature: CheckpointPage['temperature'], prefill: CheckpointPage['prefill'] = {}): CheckpointPage {
  return {
    checkpoint: {
      id: 7,
      code: 'ABCD2345',
      name: '育才小区东门',
      kind: 'community',
      kind_label: '小区/社区',
      region_names: ['河北省', '石家庄市'],
      address: null,
      active: true,
      requires_audit: false,
      temp_valid_minutes: 240,
      fever_threshold: 37.3,
    },
    form: {
      template_id: 1,
      template_version: 1,
      fields: [
        { key: 'name', label: '姓名', type: 'name', required: true },
        { key: 'phone', label: '手机号', type: 'phone', required: true },
      ],
    },
    prefill,
    companions: [],
    temperature,
    notices: [],
  }
}

beforeEach(() => localStorage.clear())

describe('the check-in form', () => {
  it("shows at once from the server's anonymous page, then takes the resident's prefill where they typed nothing", async () => {
    const form = mount(CheckinForm, { props: { page: page({ required: true }), sending: false, errors: {} } })
    await form.find('input[name="answers.phone"]').setValue('13900139000')

    await form.setProps({ page: page({ required: true }, { name: '张三', phone: '13800138000' }) })

    expect((form.find('input[name="answers.name"]').element as HTMLInputElement).value).toBe('张三')
    expect((form.find('input[name="answers.phone"]').element as HTMLInputElement).value).toBe('13900139000')
  })

  it('asks for no temperature while the last one is valid', () => {
    // 10:00 in Beijing: valid until 11:00 the same day, shown without a date (a validity past midnight shows its day).
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-12-06T02:00:00Z'))
    try {
      const last = { value: 36.4, measured_at: '2026-12-06T02:00:00Z', valid_until: '2026-12-06T03:00:00Z' }

      const form = mount(CheckinForm, { props: { page: page({ required: false, last }), sending: false, errors: {} } })

      expect(form.text()).toContain('您的体温在有效期内（至 11:00）')
      expect(form.find('input[name="temperature"]').exists()).toBe(false)
    } finally {
      vi.useRealTimers()
    }
  })

  it('fills what the server remembers and sends the answers as it will store them', async () => {
    const form = mount(CheckinForm, {
      props: { page: page({ required: true }, { name: '张三' }), sending: false, errors: {} },
    })

    await form.find('input[name="answers.phone"]').setValue('+86 138-0013-8000')
    await form.find('input[name="temperature"]').setValue('36.55')
    await form.find('form').trigger('submit')

    expect((form.find('input[name="answers.name"]').element as HTMLInputElement).value).toBe('张三')
    expect(form.emitted('submit')).toEqual([
      [
        {
          checkpoint_code: 'ABCD2345',
          answers: { name: '张三', phone: '13800138000' },
          temperature: 36.6,
          direction: 'in',
          companions: [],
          location: null,
          location_consent: false,
        },
      ],
    ])
  })

  it("lets a companion's own phone be left out, saying whose number is used", async () => {
    const form = mount(CheckinForm, {
      props: { page: page({ required: true }, { name: '张三', phone: '13800138000' }), sending: false, errors: {} },
    })
    await form.find('input[name="temperature"]').setValue('36.5')
    const add = form.findAll('button').find((button) => button.text().includes('添加同行人员'))
    await add?.trigger('click')

    await form.find('input[name="companions.0.answers.name"]').setValue('李小明')
    await form.find('input[name="companions.0.temperature"]').setValue('36.6')
    await form.find('form').trigger('submit')
    await flushPromises()

    expect(form.find('input[name="companions.0.answers.phone"]').attributes('placeholder')).toBe('没有可不填，使用本人手机号')
    const [[sent]] = form.emitted('submit') as [Record<string, unknown>][]
    expect(sent.companions).toEqual([{ answers: { name: '李小明' }, temperature: 36.6 }])
  })

  it('adds the position only when the resident turned 附带我的位置 on, and goes on without it when refused', async () => {
    const answer: { found: boolean } = { found: true }
    Object.defineProperty(navigator, 'geolocation', {
      configurable: true,
      value: {
        getCurrentPosition: (success: PositionCallback, failure: PositionErrorCallback) =>
          answer.found
            ? success({ coords: { latitude: 39.911954, longitude: 116.377817, accuracy: 20 } } as GeolocationPosition)
            : failure({ code: 1 } as GeolocationPositionError),
      },
    })
    const form = mount(CheckinForm, {
      props: { page: page({ required: true }, { name: '张三', phone: '13800138000' }), sending: false, errors: {} },
    })
    await form.find('input[name="temperature"]').setValue('36.5')

    await form.find('.share-location .van-switch').trigger('click')
    await form.find('form').trigger('submit')
    await flushPromises()
    answer.found = false
    await form.find('form').trigger('submit')
    await flushPromises()

    const [[shared], [refused]] = form.emitted('submit') as [Record<string, unknown>][]
    expect(shared.location_consent).toBe(true)
    expect(shared.location).toEqual({ latitude: expect.closeTo(39.913345, 6), longitude: expect.closeTo(116.384047, 6), accuracy: 20 })
    expect([refused.location, refused.location_consent]).toEqual([null, false])
    // Refused once, the choice is off until the resident turns it on again.
    expect(localStorage.getItem('lf.location.share')).toBe('no')
    expect(form.find('.share-location .van-switch--on').exists()).toBe(false)
  })

  it('shows each problem on its field and sends nothing', async () => {
    const form = mount(CheckinForm, { props: { page: page({ required: true }), sending: false, errors: {} } })

    await form.find('input[name="answers.phone"]').setValue('12345')
    await form.find('form').trigger('submit')

    expect(form.text()).toContain('请填写姓名')
    expect(form.text()).toContain('请输入 11 位中国大陆手机号')
    expect(form.text()).toContain('请测量体温后填写')
    expect(form.emitted('submit')).toBeUndefined()
  })

  it('shows the server’s problem on the field it names', () => {
    const errors = { 'answers.phone': '该手机号已停机' }

    const form = mount(CheckinForm, { props: { page: page({ required: true }), sending: false, errors } })

    expect(form.text()).toContain('该手机号已停机')
  })
})

describe('the WeChat login', () => {
  it('is used inside WeChat only', () => {
    expect(insideWeChat('Mozilla/5.0 (iPhone) MicroMessenger/8.0.47')).toBe(true)
    expect(insideWeChat('Mozilla/5.0 (iPhone) Safari/604.1')).toBe(false)
  })

  it('goes to WeChat for a silent snsapi_base code and comes back to the same page', () => {
    const url = new URL(authorizeUrl('wx-h5', 'https://lf.example/c/ABCD2345'))

    expect(url.origin + url.pathname).toBe('https://open.weixin.qq.com/connect/oauth2/authorize')
    expect(url.searchParams.get('appid')).toBe('wx-h5')
    expect(url.searchParams.get('scope')).toBe('snsapi_base')
    expect(url.searchParams.get('redirect_uri')).toBe('https://lf.example/c/ABCD2345')
    expect(url.hash).toBe('#wechat_redirect')
    expect(oauthReturn('https://lf.example/c/ABCD2345?code=0a1b&state=lianfang')).toEqual({
      code: '0a1b',
      clean: 'https://lf.example/c/ABCD2345',
    })
  })
})

describe("the server's shell", () => {
  function documentWith(body: string): Document {
    return new DOMParser().parseFromString(`<div id="app">${body}</div>`, 'text/html')
  }

  it('gives the checkpoint page the server put in the page', () => {
    const data = JSON.stringify({ page: page({ required: true }) }).replace(/</g, '\\u003c')
    const shell = takeShell(documentWith(`<script type="application/json" id="lf-checkpoint-page">${data}</script>`))

    expect(shell.page?.checkpoint.name).toBe('育才小区东门')
  })

  it('says an unknown code, and gives nothing when the server put nothing or something unreadable', () => {
    const unknown = '<script type="application/json" id="lf-checkpoint-page">{"not_found":true}</script>'
    const broken = '<script type="application/json" id="lf-checkpoint-page">{"page":</script>'

    expect(takeShell(documentWith(unknown))).toEqual({ not_found: true })
    expect(takeShell(documentWith(''))).toEqual({})
    expect(takeShell(documentWith(broken))).toEqual({})
  })
})

describe('a receipt of several people', () => {
  const receipt = {
    id: 'leader',
    status: 'passed',
    status_label: '准许通行',
    temperature: { value: 36.5, source: 'measured' },
    checked_at: '2026-12-06T02:00:00Z',
    direction: 'in',
    checkpoint: { id: 7, code: 'ABCD2345', name: '育才小区东门' },
    name_masked: '张*',
    companions: [
      { id: 'child', status: 'pending', status_label: '待审核', temperature: { value: 36.6, source: 'measured' }, name_masked: '张*' },
      { id: 'elder', status: 'passed', status_label: '准许通行', temperature: { value: 36.4, source: 'measured' }, name_masked: '李*' },
    ],
  } as unknown as Receipt

  it('waits for staff while anyone on it is pending', () => {
    expect(awaitingDecision(receipt)).toBe(true)
    expect(awaitingDecision({ ...receipt, companions: [] })).toBe(false)
  })

  it("takes each person's decision from the history", () => {
    const decided = withDecisions(receipt, [
      { id: 'child', status: 'rejected', status_label: '未通过' },
      { id: 'someone-else', status: 'abnormal', status_label: '体温异常' },
    ] as unknown as CheckinSummary[])

    expect(decided.status).toBe('passed')
    expect(decided.companions.map((companion) => companion.status)).toEqual(['rejected', 'passed'])
    expect(awaitingDecision(decided)).toBe(false)
  })
})
