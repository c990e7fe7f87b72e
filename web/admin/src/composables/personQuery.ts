import { reactive } from 'vue'
import type { LocationQuery } from 'vue-router'
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

/** Who to look for (by phone, ID number or resident account), over which period, and why: the trajectory's and the
 * contact screening's form, prefilled from the address (`?phone=…`, `?person_id=…`) when another page links here. */
export function usePersonQuery(route: LocationQuery, days = 14) {
  const initial = PERSON_KEYS.find((key) => typeof route[key.value] === 'string')
  const form = reactive({
    key: (initial?.value ?? 'phone') as PersonKey,
    value: initial ? String(route[initial.value]) : '',
    // A resident's account is found by its id, shown by who it is (`?who=王* 138****8003`), never as the id itself.
    who: typeof route.who === 'string' && initial?.value === 'person_id' ? route.who : '',
    period: lastDays(days),
    reason: '',
  })

  function params(): Record<string, string | undefined> {
    return {
      [form.key]: form.value.trim(),
      from: pickerToIso(form.period?.[0]),
      to: pickerToIso(form.period?.[1]),
      reason: form.reason.trim() || undefined,
    }
  }

  return { form, params, ready: () => form.value.trim().length > 0 }
}
