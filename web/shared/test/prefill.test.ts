import { describe, expect, it } from 'vitest'

import type { Answers, FormField } from '../src/api'
import { AnswerMemory, asksDirection, knownCompanions, startingAnswers } from '../src/prefill'
import { memoryStorage } from './fakes'

const FIELDS: FormField[] = [
  { key: 'name', label: '姓名', type: 'name', required: true },
  { key: 'phone', label: '手机号', type: 'phone', required: true },
]

describe('the prefilled form', () => {
  it('takes the server’s answers first and this device’s for the rest of this form only', () => {
    const memory = new AnswerMemory(memoryStorage())
    memory.remember({ name: '张三', phone: '13800138000', plate: '冀A12345' }, [])

    expect(startingAnswers(FIELDS, { phone: '13900139000' }, memory.answers())).toEqual({
      name: '张三',
      phone: '13900139000',
    })
  })

  it('remembers the last answers on top of older ones, and the last companions instead of older ones', () => {
    const memory = new AnswerMemory(memoryStorage())
    memory.remember({ name: '张三', plate: '冀A12345' }, [{ name: '李四' }])
    memory.remember({ name: '张三丰' }, [{ name: '王五' }])

    expect([memory.answers(), memory.companions()]).toEqual([{ name: '张三丰', plate: '冀A12345' }, [{ name: '王五' }]])
  })

  it('offers the server’s companions, else this device’s, leaving out the ones already added', () => {
    const remembered: Answers[] = [{ name: '李四', car: 'x' }, { name: '王五' }]

    expect(knownCompanions(FIELDS, [], remembered, [{ name: '王五' }])).toEqual([{ name: '李四' }])
    expect(knownCompanions(FIELDS, [{ name: '赵六' }], remembered, [])).toEqual([{ name: '赵六' }])
  })

  it('starts afresh from storage it cannot read', () => {
    const storage = memoryStorage()
    storage.setItem('lf.checkin.answers', '{not json')

    expect(new AnswerMemory(storage).answers()).toEqual({})
  })

  it('asks in or out only where leaving is recorded too', () => {
    expect([asksDirection('community'), asksDirection('village'), asksDirection('hospital')]).toEqual([true, true, false])
  })
})
