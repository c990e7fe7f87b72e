import type { FieldType, FormField } from '@lianfang/shared'

export const FIELD_TYPES: { value: FieldType; label: string }[] = [
  { value: 'text', label: '文本' },
  { value: 'name', label: '姓名' },
  { value: 'phone', label: '手机号' },
  { value: 'id_card', label: '身份证号' },
  { value: 'number', label: '数字' },
  { value: 'select', label: '单选' },
  { value: 'multiselect', label: '多选' },
  { value: 'date', label: '日期' },
  { value: 'bool', label: '是/否' },
  { value: 'plate', label: '车牌号' },
  { value: 'address', label: '地址' },
]

// The same sets as the registry's checks (lianfang.common.forms.fields), so the editor only offers what will be accepted.
export const OPTION_TYPES: FieldType[] = ['select', 'multiselect']
export const LENGTH_TYPES: FieldType[] = ['text', 'name', 'address']
export const PATTERN_TYPES: FieldType[] = [...LENGTH_TYPES, 'phone', 'id_card', 'plate']

const PLACEHOLDERS: Partial<Record<FieldType, string>> = {
  name: '请输入姓名',
  phone: '请输入 11 位手机号',
  id_card: '请输入 18 位身份证号',
  plate: '如：冀A12345',
  address: '请输入详细地址',
  date: '请选择日期',
}

export function placeholderOf(field: FormField): string {
  return field.placeholder || PLACEHOLDERS[field.type] || `请输入${field.label}`
}

/** What the API accepts for a field: attributes that mean nothing for its type are left out. */
export function cleanField(field: FormField): FormField {
  const clean: FormField = { key: field.key.trim(), label: field.label.trim(), type: field.type, required: field.required }
  if (OPTION_TYPES.includes(field.type)) clean.options = (field.options ?? []).map((option) => option.trim())
  if (PATTERN_TYPES.includes(field.type) && field.pattern) clean.pattern = field.pattern
  if (LENGTH_TYPES.includes(field.type) && field.max_length) clean.max_length = field.max_length
  if (field.placeholder) clean.placeholder = field.placeholder
  if (field.help) clean.help = field.help
  if (field.type === 'number') {
    if (field.min != null) clean.min = field.min
    if (field.max != null) clean.max = field.max
  }
  return clean
}

/** A key for a new field that no other field of the form has yet. */
export function freshKey(fields: FormField[]): string {
  const taken = new Set(fields.map((field) => field.key))
  let number = fields.length + 1
  while (taken.has(`field_${number}`)) number += 1
  return `field_${number}`
}

// Keys for the labels forms use most, so answers read well in exports and prefill carries across templates.
const KEYS_BY_LABEL: Record<string, string> = {
  姓名: 'name',
  手机号: 'phone',
  手机号码: 'phone',
  联系电话: 'phone',
  身份证号: 'id_card',
  身份证号码: 'id_card',
  车牌号: 'plate',
  住址: 'address',
  '住址/楼号': 'address',
  来访事由: 'purpose',
  被访人: 'host',
  工作单位: 'employer',
  就诊科室: 'department',
  '14天旅居史': 'travel_history',
}

/** A field's key, made from its label: a well-known label's own key, else the next free `field_<n>`. Officials never
 * type keys; a key already saved in a template stays as it is. */
export function keyForLabel(label: string, fields: FormField[], current: string): string {
  const wanted = KEYS_BY_LABEL[label.trim()]
  const taken = new Set(fields.map((field) => field.key).filter((key) => key !== current))
  if (wanted && !taken.has(wanted)) return wanted
  return /^field_\d+$/.test(current) && !taken.has(current) ? current : freshKey(fields.filter((field) => field.key !== current))
}
