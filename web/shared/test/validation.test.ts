import { describe, expect, it } from 'vitest'

import { answerProblem, answersProblems, answersToSend, companionFields } from '../src/validation'
import type { FormField } from '../src/api'

const field = (type: FormField['type'], extra: Partial<FormField> = {}): FormField => ({
  key: type,
  label: { name: '姓名', phone: '手机号', id_card: '身份证号' }[type as string] ?? '字段',
  type,
  required: true,
  ...extra,
})
const TODAY = '2026-03-01'

describe('the form checks', () => {
  it('asks for a required answer with the verb of its field', () => {
    expect(answerProblem(field('name'), '', TODAY)).toBe('请填写姓名')
    expect(answerProblem(field('bool', { label: '是否本小区居民' }), null, TODAY)).toBe('请选择是否本小区居民')
    expect(answerProblem(field('text', { required: false }), '  ', TODAY)).toBeNull()
  })

  it('takes a mainland mobile typed with spaces, a dash, +86 or full-width digits', () => {
    for (const phone of ['138 0013 8000', '138-0013-8000', '+8613800138000', '１３８００１３８０００']) {
      expect(answerProblem(field('phone'), phone, TODAY)).toBeNull()
    }
    expect(answerProblem(field('phone'), '12800138000', TODAY)).toBe('请输入 11 位中国大陆手机号')
    expect(answersToSend([field('phone')], { phone: '+86 138-0013-8000' })).toEqual({ phone: '13800138000' })
  })

  it('checks an ID number’s birth date and check digit as the server does', () => {
    expect(answerProblem(field('id_card'), '11010519491231002X', TODAY)).toBeNull()
    expect(answerProblem(field('id_card'), '11010519491231002x', TODAY)).toBeNull()
    expect(answerProblem(field('id_card'), '110105194912310021', TODAY)).toBe('身份证号码有误（校验位不符），请逐位核对')
    expect(answerProblem(field('id_card'), '110105194902300021', TODAY)).toBe('身份证号码中的出生日期 19490230 不存在')
    expect(answerProblem(field('id_card'), '110105203001010021', TODAY)).toBe('身份证号码中的出生日期 20300101 晚于今天')
    expect(answerProblem(field('id_card'), '1101051949', TODAY)).toBe('请输入 18 位居民身份证号码')
  })

  it('takes Chinese, minority and Latin names and refuses digits', () => {
    expect(answerProblem(field('name'), '买买提·艾力', TODAY)).toBeNull()
    expect(answerProblem(field('name'), '买买提.艾力', TODAY)).toBeNull()
    expect(answerProblem(field('name'), 'John F. Kennedy', TODAY)).toBeNull()
    expect(answerProblem(field('name'), '张3', TODAY)).toBe('只能填写汉字或英文字母，少数民族姓名可用“·”分隔')
    expect(answerProblem(field('name'), '张'.repeat(31), TODAY)).toBe('最多 30 个字')
  })

  it('checks plates, numbers with bounds, dates and options', () => {
    expect(answerProblem(field('plate'), '冀A·12345', TODAY)).toBeNull()
    expect(answerProblem(field('plate'), '冀AD12345', TODAY)).toBeNull()
    expect(answerProblem(field('plate'), '冀AO1234', TODAY)).toBe('车牌号不使用字母 I 和 O，请核对（可能是数字 1 或 0）')
    expect(answerProblem(field('number', { min: 1, max: 99 }), '100', TODAY)).toBe('不能大于 99')
    expect(answerProblem(field('number'), '3.5', TODAY)).toBeNull()
    expect(answerProblem(field('number'), '3,5', TODAY)).toBe('请输入数字')
    expect(answerProblem(field('date'), '2026-02-30', TODAY)).toBe('日期 2026-02-30 不存在')
    expect(answerProblem(field('select', { options: ['内科', '外科'] }), '儿科', TODAY)).toBe('请从给定的选项中选择')
    expect(answerProblem(field('multiselect', { options: ['甲', '乙'] }), ['甲', '丙'], TODAY)).toBe('“丙”不是可选项')
  })

  it('applies an administrator’s pattern after the type’s own check', () => {
    expect(answerProblem(field('plate', { pattern: '冀.*' }), '京A12345', TODAY)).toBe('格式不符合要求')
    expect(answerProblem(field('plate', { pattern: '冀.*' }), '冀A12345', TODAY)).toBeNull()
  })

  it('names every bad answer of a person at once', () => {
    const fields = [field('name'), field('phone'), field('text', { key: 'note', required: false })]

    expect(answersProblems(fields, { name: '', phone: '123', note: '' }, TODAY)).toEqual({
      name: '请填写姓名',
      phone: '请输入 11 位中国大陆手机号',
    })
  })
})

describe("a companion's form", () => {
  const fields: FormField[] = [
    { key: 'name', label: '姓名', type: 'name', required: true },
    { key: 'phone', label: '手机号', type: 'phone', required: true },
    { key: 'contact', label: '紧急联系人电话', type: 'phone', required: true },
  ]

  it('lets their own phone be left out, and nothing else', () => {
    expect(answersProblems(companionFields(fields), { name: '李小明' })).toEqual({ contact: '请填写紧急联系人电话' })
    expect(answersProblems(fields, { name: '李小明' })).toEqual({ phone: '请填写手机号', contact: '请填写紧急联系人电话' })
    expect(companionFields(fields)[1].placeholder).toBe('没有可不填，使用本人手机号')
  })
})
