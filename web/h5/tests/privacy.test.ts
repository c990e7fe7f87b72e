import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import type { PrivacyNotice as Notice } from '@lianfang/shared'

import PrivacyNotice from '../src/checkin/PrivacyNotice.vue'
import type { Api } from '../src/shared/api'

const NOTICE: Notice = {
  version: '2026-12-06',
  title: '个人信息处理告知',
  summary: [
    { heading: '用于什么', text: '仅用于疫情防控' },
    { heading: '保存多久', text: '登记记录保存 45 天，期满自动删除。' },
  ],
  sensitive: '体温和行踪轨迹属于敏感个人信息',
  retention_days: 45,
  full_text: [{ heading: '一、处理者与目的', text: '本系统由卡口所在地区的疫情防控机构运营' }],
}

function api(answer: () => Promise<unknown>): Api {
  return { request: answer } as unknown as Api
}

const fields = [
  { key: 'name', label: '姓名', type: 'name' as const, required: true },
  { key: 'id_card', label: '身份证号', type: 'id_card' as const, required: true },
]

describe('the privacy notice', () => {
  it("says what this checkpoint's form asks, how long it is kept and what is sensitive, with the full text behind a link", async () => {
    const notice = mount(PrivacyNotice, { props: { api: api(async () => NOTICE), fields, agreeing: false } })
    await flushPromises()

    expect(notice.text()).toContain('登记记录保存 45 天，期满自动删除。')
    expect(notice.text()).toContain('登记表填写：姓名、身份证号；另需体温。')
    expect(notice.find('[role="note"]').text()).toBe('体温和行踪轨迹属于敏感个人信息')
    expect(notice.text()).not.toContain('本系统由卡口所在地区')

    await notice.find('a.full-link').trigger('click')

    expect(notice.text()).toContain('本系统由卡口所在地区的疫情防控机构运营')
    expect(notice.text()).toContain('告知版本 2026-12-06')
  })

  it('agrees to the version it shows, and a refusal says how to be registered instead', async () => {
    const notice = mount(PrivacyNotice, { props: { api: api(async () => NOTICE), fields, agreeing: false } })
    await flushPromises()

    const [agree, decline] = notice.findAll('button')
    await decline.trigger('click')
    expect(notice.find('[role="alert"]').text()).toContain('由工作人员为您人工登记')
    await agree.trigger('click')
    expect(notice.emitted('agree')).toEqual([['2026-12-06']])
  })

  it('offers to try again when the notice does not load', async () => {
    let calls = 0
    const failing = api(async () => {
      calls += 1
      if (calls === 1) throw new Error('网络不佳')
      return NOTICE
    })
    const notice = mount(PrivacyNotice, { props: { api: failing, fields, agreeing: false } })
    await flushPromises()
    expect(notice.text()).toContain('个人信息处理告知加载失败：网络不佳')

    await notice.find('button').trigger('click')
    await flushPromises()

    expect(notice.text()).toContain('登记记录保存 45 天')
  })
})
