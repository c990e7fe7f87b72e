import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import { type Arrival, ApiError } from '@lianfang/shared'

import type { Api } from '../src/shared/api'
import RemeasureDialog from '../src/staff/RemeasureDialog.vue'

const FEVER = {
  id: 'r1',
  status: 'abnormal',
  name_masked: '张*',
  temperature: { value: 38.2, source: 'measured', measured_at: '2026-12-06T10:00:00+08:00' },
  warnings: [],
  remeasure: null,
} as unknown as Arrival

function api(answer: (path: string, body: unknown) => Promise<unknown>): { api: Api; sent: [string, unknown][] } {
  const sent: [string, unknown][] = []
  const post = async (path: string, body: unknown): Promise<unknown> => {
    sent.push([path, body])
    return answer(path, body)
  }
  return { api: { post } as unknown as Api, sent }
}

async function typed(reading: string, client: Api) {
  const dialog = mount(RemeasureDialog, { props: { api: client, fever: null }, attachTo: document.body })
  await dialog.setProps({ fever: FEVER })
  await dialog.find('input[name="remeasure"]').setValue(reading)
  await dialog.find('form').trigger('submit')
  await flushPromises()
  return dialog
}

describe('复测 on a fever card', () => {
  it('shows the first reading and sends the new one, handing back the arrival as the server answers it', async () => {
    const answer = { ...FEVER, status: 'passed', remeasure: { value: 36.6 } } as unknown as Arrival
    const { api: client, sent } = api(async () => answer)

    const dialog = await typed('36.6', client)

    expect(dialog.text()).toContain('张* · 首次 38.2 ℃')
    expect(sent).toEqual([['/api/checkin/staff/checkins/r1/remeasure', { temperature: 36.6 }]])
    expect(dialog.emitted('done')).toEqual([[answer]])
    dialog.unmount()
  })

  it('refuses a reading no thermometer gives before asking the server', async () => {
    const { api: client, sent } = api(async () => FEVER)

    const dialog = await typed('43', client)

    expect(sent).toEqual([])
    expect(dialog.find('.van-field__error-message').text()).toBe('体温应在 35.0～42.5 ℃ 之间，请重新测量')
    expect(dialog.emitted('done')).toBeUndefined()
    dialog.unmount()
  })

  it("shows the server's word on the reading under the field", async () => {
    const refusal = new ApiError({
      title: '输入有误',
      status: 422,
      code: 'validation_failed',
      errors: [{ field: 'temperature', message: '体温应在 35.0～42.5 ℃ 之间，请重新测量', code: 'value_error' }],
    })
    const { api: client } = api(async () => Promise.reject(refusal))

    const dialog = await typed('36.6', client)

    expect(dialog.find('.van-field__error-message').text()).toBe('体温应在 35.0～42.5 ℃ 之间，请重新测量')
    expect(dialog.emitted('done')).toBeUndefined()
    dialog.unmount()
  })
})
