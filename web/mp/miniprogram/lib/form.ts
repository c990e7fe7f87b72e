/** The check-in form as the page's WXML draws it: each template field with the input WeChat should show. */

import type { FormField } from '@lianfang/shared'

export interface FieldView {
  key: string
  label: string
  required: boolean
  /** How the WXML draws it: a text input of `input` type, a choice, several choices, a switch or a date picker. */
  control: 'input' | 'select' | 'multiselect' | 'bool' | 'date'
  /** van-field's `type`: the keyboard the phone shows. */
  input: 'text' | 'number' | 'idcard' | 'digit'
  phone: boolean
  options: string[]
  placeholder: string
}

const INPUTS: Partial<Record<FormField['type'], FieldView['input']>> = {
  phone: 'number',
  id_card: 'idcard',
  number: 'digit',
}

const PLACEHOLDERS: Partial<Record<FormField['type'], string>> = {
  name: '请输入姓名',
  phone: '11 位手机号',
  id_card: '18 位身份证号',
  plate: '如 冀A12345',
  address: '详细地址',
}

export function fieldViews(fields: FormField[]): FieldView[] {
  return fields.map((field) => {
    const control: FieldView['control'] =
      field.type === 'select' || field.type === 'multiselect' || field.type === 'bool' || field.type === 'date'
        ? field.type
        : 'input'
    return {
      key: field.key,
      label: field.label,
      required: field.required ?? false,
      control,
      input: INPUTS[field.type] ?? 'text',
      phone: field.type === 'phone',
      options: field.options ?? [],
      placeholder: field.placeholder ?? PLACEHOLDERS[field.type] ?? `请输入${field.label}`,
    }
  })
}
