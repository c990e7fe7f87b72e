/** The server's checks of an answer (libs/common/lianfang/common/forms/answers.py), run as the resident types, with the
 * same messages: most mistakes are shown before anything is sent. The server stays the judge; its 422 lands on the same
 * fields. */

import type { Answer, Answers, FormField } from './api'
import { beijingToday } from './time'

const CJK = '\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}'
const LATIN = 'A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f'
const NAME_PART = `[${CJK}${LATIN}]+`
const NAME = new RegExp(`^${NAME_PART}(?:(?:\\. ?|[· '\\-])${NAME_PART})*$`, 'u')
const MIDDLE_DOTS = new RegExp(`\\s*[·•・･‧∙⋅．]\\s*|(?<=[${CJK}])\\s*\\.\\s*(?=[${CJK}])`, 'gu')
const SPACE_NEXT_TO_CJK = new RegExp(`(?<=[${CJK}])\\s+|\\s+(?=[${CJK}])`, 'gu')
const MOBILE = /^1[3-9]\d{9}$/
const ID_CARD = /^\d{17}[\dX]$/
const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼'
const LETTER = 'A-HJ-NP-Z'
const PLATE = new RegExp(
  [
    `[${PROVINCES}][${LETTER}][${LETTER}0-9]{4}[${LETTER}0-9挂学警港澳]`,
    `[${PROVINCES}][${LETTER}][DABCEFGHJK][${LETTER}0-9][0-9]{4}`,
    `[${PROVINCES}][${LETTER}][0-9]{5}[DF]`,
  ]
    .map((plate) => `^(?:${plate})$`)
    .join('|'),
)
const PLATE_SEPARATORS = /[\s·•・.-]/g
const INTEGER = /^[+-]?\d{1,30}$/
const DECIMAL = /^[+-]?\d{1,30}\.\d{1,30}$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const DEFAULT_MAX_LENGTHS: Partial<Record<FormField['type'], number>> = { text: 200, name: 30, address: 200 }
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const ID_CHECK = '10X98765432'

export function isBlank(value: Answer | undefined): boolean {
  if (value === null || value === undefined) return true
  if (typeof value === 'string') return value.trim() === ''
  if (Array.isArray(value)) return value.length === 0
  return false
}

/** Full-width digits and letters (as Chinese input methods type them) as ASCII, without spaces. */
function narrow(value: string): string {
  return value.normalize('NFKC').replace(/\s+/g, '')
}

function lengthProblem(field: FormField, value: string): string | null {
  const limit = field.max_length ?? DEFAULT_MAX_LENGTHS[field.type]
  return limit !== undefined && [...value].length > limit ? `最多 ${limit} 个字` : null
}

function dateExists(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

function idCardProblem(value: string, today: string): string | null {
  const number = narrow(value).toUpperCase()
  if (!ID_CARD.test(number)) return '请输入 18 位居民身份证号码'
  const digits = number.slice(6, 14)
  const [year, month, day] = [Number(digits.slice(0, 4)), Number(digits.slice(4, 6)), Number(digits.slice(6, 8))]
  if (!dateExists(year, month, day)) return `身份证号码中的出生日期 ${digits} 不存在`
  const birth = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`
  if (birth > today) return `身份证号码中的出生日期 ${digits} 晚于今天`
  if (birth < '1900-01-01') return `身份证号码中的出生日期 ${digits} 不正确`
  const sum = ID_WEIGHTS.reduce((total, weight, index) => total + weight * Number(number[index]), 0)
  if (ID_CHECK[sum % 11] !== number[17]) return '身份证号码有误（校验位不符），请逐位核对'
  return null
}

function formatLimit(limit: number): string {
  return String(limit)
}

function numberProblem(field: FormField, value: Answer): string | null {
  let number: number
  if (typeof value === 'number') number = value
  else if (typeof value === 'string' && (INTEGER.test(narrow(value)) || DECIMAL.test(narrow(value)))) number = Number(narrow(value))
  else return '请输入数字'
  if (field.min != null && number < field.min) return `不能小于 ${formatLimit(field.min)}`
  if (field.max != null && number > field.max) return `不能大于 ${formatLimit(field.max)}`
  return null
}

function plateProblem(value: string): string | null {
  const plate = value.normalize('NFKC').replace(PLATE_SEPARATORS, '').toUpperCase()
  if (PLATE.test(plate)) return null
  if (plate.includes('I') || plate.includes('O')) return '车牌号不使用字母 I 和 O，请核对（可能是数字 1 或 0）'
  return '请输入正确的车牌号，如 京A12345，新能源车如 京AD12345'
}

function patternProblem(field: FormField, value: Answer): string | null {
  if (!field.pattern || typeof value !== 'string') return null
  let pattern: RegExp
  try {
    pattern = new RegExp(`^(?:${field.pattern})$`, 'u')
  } catch {
    // A Python-only construct: the server checks it.
    return null
  }
  return pattern.test(value.trim()) ? null : '格式不符合要求'
}

/** The answer as the server will store it (stripped, digits narrowed), or its value unchanged if it has no such form. */
export function normalized(field: FormField, value: string): string
export function normalized(field: FormField, value: Answer): Answer
export function normalized(field: FormField, value: Answer): Answer {
  if (typeof value !== 'string') return value
  switch (field.type) {
    case 'name':
      return value.replace(MIDDLE_DOTS, '·').trim().split(/\s+/).join(' ').replace(SPACE_NEXT_TO_CJK, '')
    case 'phone':
      return narrow(value).replace(/-/g, '').replace(/^(\+86|0086)/, '')
    case 'id_card':
      return narrow(value).toUpperCase()
    case 'plate':
      return value.normalize('NFKC').replace(PLATE_SEPARATORS, '').toUpperCase()
    case 'date':
      return narrow(value)
    default:
      return value.trim()
  }
}

function typeProblem(field: FormField, value: Answer, today: string): string | null {
  const text = typeof value === 'string' ? value.trim() : null
  switch (field.type) {
    case 'text':
    case 'address':
      return text === null ? '请填写文字' : lengthProblem(field, text)
    case 'name': {
      if (text === null) return '请填写文字'
      const name = normalized(field, text)
      return lengthProblem(field, name) ?? (NAME.test(name) ? null : '只能填写汉字或英文字母，少数民族姓名可用“·”分隔')
    }
    case 'phone':
      return text !== null && MOBILE.test(normalized(field, text)) ? null : '请输入 11 位中国大陆手机号'
    case 'id_card':
      return text === null ? '请输入 18 位居民身份证号码' : idCardProblem(text, today)
    case 'number':
      return numberProblem(field, value)
    case 'select':
      return text !== null && (field.options ?? []).includes(text) ? null : '请从给定的选项中选择'
    case 'multiselect': {
      if (!Array.isArray(value)) return '请从给定的选项中选择'
      const stray = value.find((choice) => !(field.options ?? []).includes(choice))
      return stray === undefined ? null : `“${stray}”不是可选项`
    }
    case 'date': {
      const date = text === null ? '' : narrow(text)
      if (!ISO_DATE.test(date)) return '请按“年-月-日”填写日期，如 2020-02-01'
      const [year, month, day] = date.split('-').map(Number)
      return dateExists(year, month, day) ? null : `日期 ${date} 不存在`
    }
    case 'bool':
      return typeof value === 'boolean' ? null : '请选择“是”或“否”'
    case 'plate':
      return text === null ? '请输入正确的车牌号，如 京A12345，新能源车如 京AD12345' : plateProblem(text)
  }
}

/** What is wrong with one answer, in the server's words, or null. */
export function answerProblem(field: FormField, value: Answer | undefined, today: string = beijingToday()): string | null {
  if (isBlank(value)) {
    if (!field.required) return null
    const verb = field.type === 'select' || field.type === 'multiselect' || field.type === 'bool' ? '选择' : '填写'
    return `请${verb}${field.label}`
  }
  return typeProblem(field, value as Answer, today) ?? patternProblem(field, normalized(field, value as Answer))
}

/** Every problem of one person's answers, by field key. */
export function answersProblems(fields: FormField[], answers: Answers, today: string = beijingToday()): Record<string, string> {
  const problems: Record<string, string> = {}
  for (const field of fields) {
    const problem = answerProblem(field, answers[field.key], today)
    if (problem) problems[field.key] = problem
  }
  return problems
}

/** The answers to send: only the form's keys, blanks left out, strings as the server will store them. */
export function answersToSend(fields: FormField[], answers: Answers): Answers {
  const sent: Answers = {}
  for (const field of fields) {
    const value = answers[field.key]
    if (!isBlank(value)) sent[field.key] = normalized(field, value as Answer)
  }
  return sent
}

/** A companion's form: their own phone may be left out (a child, an elder without one), and the server then reaches them
 * through the resident's, as long as the resident gives one. */
export function companionFields(fields: FormField[]): FormField[] {
  const phone = fields.find((field) => field.type === 'phone')
  return fields.map((field) =>
    field === phone ? { ...field, required: false, placeholder: '没有可不填，使用本人手机号' } : field,
  )
}
