import { afterEach, describe, expect, it, vi } from 'vitest'

import { aidOn, applyLargeType, setAid, speak } from '../src/checkin/assist'

afterEach(() => {
  localStorage.clear()
  vi.unstubAllGlobals()
})

describe("the resident's aids", () => {
  it('are remembered on the phone, each on its own', () => {
    setAid('speak', true)

    expect([aidOn('speak'), aidOn('large')]).toEqual([true, false])
    setAid('speak', false)
    expect(aidOn('speak')).toBe(false)
  })

  it('make the whole page large', () => {
    const root = document.createElement('html')

    applyLargeType(true, root)
    expect(root.classList.contains('lf-large')).toBe(true)
    applyLargeType(false, root)
    expect(root.classList.contains('lf-large')).toBe(false)
  })

  it('say the result in Mandarin, cutting off what was being said', () => {
    class Utterance {
      lang = ''
      rate = 1
      constructor(readonly text: string) {}
    }
    vi.stubGlobal('SpeechSynthesisUtterance', Utterance)
    const said: Utterance[] = []
    const synthesis = { cancel: vi.fn(), speak: (utterance: Utterance) => said.push(utterance) }

    expect(speak('准许通行', synthesis as unknown as SpeechSynthesis)).toBe(true)

    expect(synthesis.cancel).toHaveBeenCalledOnce()
    expect(said.map((utterance) => [utterance.text, utterance.lang])).toEqual([['准许通行', 'zh-CN']])
  })

  it('stay quiet where the browser cannot speak', () => {
    expect(speak('准许通行', undefined)).toBe(false)
  })
})
