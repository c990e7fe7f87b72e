import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import type { FormField } from '@lianfang/shared'
import FormPreview from './FormPreview.vue'

function preview(fields: FormField[]) {
  return mount(FormPreview, { props: { fields, title: '小区门岗' }, global: { plugins: [ElementPlus] } })
}

describe('the template preview', () => {
  it('shows each field as a resident will see it, required ones marked, then the temperature', () => {
    const wrapper = preview([
      { key: 'name', label: '姓名', type: 'name', required: true },
      { key: 'building', label: '楼号', type: 'select', required: false, options: ['1 号楼', '2 号楼'] },
      { key: 'phone', label: '手机号', type: 'phone', required: true },
    ])

    const labels = wrapper.findAll('.field .label').map((label) => label.text())
    expect(labels).toEqual(['*姓名', '楼号', '*手机号', '*体温（℃）'])
    expect(wrapper.find('[data-key="building"]').text()).toContain('1 号楼')
    expect(wrapper.find('[data-key="building"]').text()).toContain('2 号楼')
    expect(wrapper.find('[data-key="phone"] input').attributes('maxlength')).toBe('11')
    expect(wrapper.find('[data-key="phone"] input').attributes('placeholder')).toBe('请输入 11 位手机号')
    expect(wrapper.find('.phone-title').text()).toBe('小区门岗')
  })

  it('follows the editor as fields are added and changed', async () => {
    const fields: FormField[] = [{ key: 'name', label: '姓名', type: 'name', required: true }]
    const wrapper = preview(fields)

    await wrapper.setProps({
      fields: [...fields, { key: 'visiting', label: '是否访客', type: 'bool', required: true }],
    })

    const added = wrapper.find('[data-key="visiting"]')
    expect(added.text()).toContain('是否访客')
    expect(added.findAll('.el-radio').map((radio) => radio.text())).toEqual(['是', '否'])
  })

  it('says what to do while the template has no fields', () => {
    expect(preview([]).find('.empty').text()).toContain('添加字段')
  })
})
