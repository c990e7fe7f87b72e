import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import type { Component } from 'vue'
import ContactsView from './ContactsView.vue'
import TrajectoryView from './TrajectoryView.vue'

vi.mock('vue-router', () => ({ useRoute: () => ({ query: {} }), useRouter: () => ({ push: vi.fn() }) }))

// 2026-12-06 15:00 Beijing time: the form's default period is the 14 Beijing days to the end of that day.
const NOW = new Date('2026-12-06T07:00:00Z')
const FROM = '2026-11-23T00:00:00+08:00'
const TO = '2026-12-07T00:00:00+08:00'
const PERSON = { person_id: null, name_masked: '孙*', phone_masked: '137****7007', id_card_masked: null }
const TRAJECTORY = { person: PERSON, from: FROM, to: TO, visits: [], truncated: false }
const CONTACTS = { index: { person: PERSON, stays: [] }, contacts: [], second_degree: null, from: FROM, to: TO, truncated: false }
const PHONE_REQUIRED = {
  status: 422,
  title: '提交的内容有误',
  code: 'validation_failed',
  errors: [{ field: 'name', message: '姓名只能与手机号一起提供', code: 'phone_required' }],
}

let fetched: { url: string; method: string; body: unknown }[]

function answering(status: number, body: unknown): void {
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    fetched.push({ url, method: init.method ?? 'GET', body: init.body ? JSON.parse(String(init.body)) : null })
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
  })
}

async function search(view: Component, lookup: { key?: string; value: string; name?: string }) {
  const wrapper = mount(view, { global: { plugins: [ElementPlus] } })
  if (lookup.key) await wrapper.findComponent({ name: 'ElSelect' }).vm.$emit('update:modelValue', lookup.key)
  await wrapper.find('.search-form input[placeholder$="位手机号"], .search-form input[placeholder$="位身份证号"]').setValue(lookup.value)
  if (lookup.name !== undefined) await wrapper.find('.search-form input[placeholder="选填"]').setValue(lookup.name)
  await wrapper.find('.search-form').trigger('submit')
  await flushPromises()
  return wrapper
}

function errorUnder(wrapper: Awaited<ReturnType<typeof search>>, label: string): string {
  const item = wrapper.findAll('.el-form-item').find((found) => found.find('.el-form-item__label').text() === label)
  return item?.find('.el-form-item__error').exists() ? item.find('.el-form-item__error').text() : ''
}

beforeEach(() => {
  fetched = []
  vi.useFakeTimers({ toFake: ['Date'], now: NOW })
})

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('the trajectory page', () => {
  it('asks for one person of a shared phone when a name is given', async () => {
    answering(200, TRAJECTORY)

    await search(TrajectoryView, { value: ' 13700137007 ', name: ' 孙丽 ' })

    const query = new URLSearchParams({ phone: '13700137007', name: '孙丽', from: FROM, to: TO })
    expect(fetched).toEqual([{ url: `/api/trace/people/trajectory?${query}`, method: 'GET', body: null }])
  })

  it('asks for the whole household of a phone without a name', async () => {
    answering(200, TRAJECTORY)

    await search(TrajectoryView, { value: '13700137007' })

    const query = new URLSearchParams({ phone: '13700137007', from: FROM, to: TO })
    expect(fetched).toEqual([{ url: `/api/trace/people/trajectory?${query}`, method: 'GET', body: null }])
  })

  it('shows the server refusing a name without a phone under the name box', async () => {
    answering(422, PHONE_REQUIRED)

    const wrapper = await search(TrajectoryView, { key: 'id_card', value: '130102199001011234', name: '孙丽' })

    // Element Plus shows a form item's error 100 ms after it is set.
    await vi.waitFor(() => expect(errorUnder(wrapper, '姓名')).toBe('姓名只能与手机号一起提供'))
    expect(errorUnder(wrapper, '查找')).toBe('')
    expect(document.querySelector('.el-message--error')).toBeNull()
  })
})

describe('the contact screening page', () => {
  const OPTIONS = { from: FROM, to: TO, window_minutes: 30, second_degree: false }

  it('screens one person of a shared phone when a name is given', async () => {
    answering(200, CONTACTS)

    await search(ContactsView, { value: '13700137007', name: '孙丽' })

    expect(fetched).toEqual([
      { url: '/api/trace/contacts', method: 'POST', body: { phone: '13700137007', name: '孙丽', ...OPTIONS } },
    ])
  })

  it('screens the whole household of a phone without a name', async () => {
    answering(200, CONTACTS)

    await search(ContactsView, { value: '13700137007', name: '  ' })

    expect(fetched).toEqual([{ url: '/api/trace/contacts', method: 'POST', body: { phone: '13700137007', ...OPTIONS } }])
  })

  it('shows the server refusing a name without a phone under the name box', async () => {
    answering(422, PHONE_REQUIRED)

    const wrapper = await search(ContactsView, { key: 'id_card', value: '130102199001011234', name: '孙丽' })

    // Element Plus shows a form item's error 100 ms after it is set.
    await vi.waitFor(() => expect(errorUnder(wrapper, '姓名')).toBe('姓名只能与手机号一起提供'))
    expect(document.querySelector('.el-message--error')).toBeNull()
  })
})
