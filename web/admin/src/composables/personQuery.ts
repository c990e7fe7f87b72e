import { reactive } from 'vue'
import type { LocationQuery } from 'vue-router'
import { ApiError } from '@/api'
import { notifyError } from '@/utils/feedback'
import { lastDays, pickerToIso } from '@/utils/format'

export type PersonKey = 'phone' | 'id_card' | 'person_id'

export const PERSON_KEYS: { value: PersonKey; label: string; placeholder: string }[] = [
  { value: 'phone', label: '手机号', placeholder: '11 位手机号' },
  { value: 'id_card', label: '身份证号', placeholder: '18 位身份证号' },
  { value: 'person_id', label: '登记人员', placeholder: '从登记记录、预警中点“轨迹”或“密接筛查”带入' },
]

/** How a person linked from another page is shown instead of their account id: masked name and phone. */
export function personLabel(person: { name_masked: string | null; phone_masked: string | null }): string {
  return [person.name_masked, person.phone_masked].filter(Boolean).join(' ') || '登记人员'
}

// The form's boxes by the API fields a 422 names: the lookup box stands for whichever of phone, ID number or account.
type Box = 'lookup' | 'name' | 'period' | 'reason'
const BOX_OF: Record<string, Box> = { phone: 'lookup', id_card: 'lookup', person_id: 'lookup', name: 'name', from: 'period', to: 'period', reason: 'reason' }

/** Who to look for (by phone, ID number or resident account; a name beside a phone narrows it to that one person of the
 * household), over which period, and why: the trajectory's and the contact screening's form, prefilled from the address
 * (`?phone=…&name=…`, `?person_id=…`) when another page links here. */
export function usePersonQuery(route: LocationQuery, days = 14) {
  const initial = PERSON_KEYS.find((key) => typeof route[key.value] === 'string')
  const form = reactive({
    key: (initial?.value ?? 'phone') as PersonKey,
    value: initial ? String(route[initial.value]) : '',
    // A resident's account is found by its id, shown by who it is (`?who=王* 138****8003`), never as the id itself.
    who: typeof route.who === 'string' && initial?.value === 'person_id' ? route.who : '',
    name: typeof route.name === 'string' ? route.name : '',
    period: lastDays(days),
    reason: '',
  })

  function params(): Record<string, string | undefined> {
    return {
      [form.key]: form.value.trim(),
      name: form.name.trim() || undefined,
      from: pickerToIso(form.period?.[0]),
      to: pickerToIso(form.period?.[1]),
      reason: form.reason.trim() || undefined,
    }
  }

  // What the server said is wrong, under the box it is about (the API's 422), as the records page shows its checks.
  const problems = reactive<Record<Box, string>>({ lookup: '', name: '', period: '', reason: '' })

  function placed(error: unknown): boolean {
    if (!(error instanceof ApiError) || error.status !== 422 || !error.errors.length) return false
    for (const problem of error.errors) {
      const box: Box | undefined = BOX_OF[problem.field]
      if (box) problems[box] = problem.message
    }
    return error.errors.every((problem) => problem.field in BOX_OF)
  }

  /** Sends the form's request; a 422 about the form's boxes is shown under them, anything else as a message. */
  async function send<T>(request: () => Promise<T>): Promise<T | undefined> {
    Object.assign(problems, { lookup: '', name: '', period: '', reason: '' })
    try {
      return await request()
    } catch (error) {
      if (!placed(error)) notifyError(error)
      return undefined
    }
  }

  return { form, problems, params, send, ready: () => form.value.trim().length > 0 }
}
