import { describe, expect, it } from 'vitest'

import { temperatureLine, temperatureProblem, temperatureValue, validityNote } from '../src/temperature'

// 2026-03-01 10:00 in Shanghai.
const NOW = new Date('2026-03-01T02:00:00Z')

describe('the temperature', () => {
  it('is not asked while the last one is valid, and says until when', () => {
    const state = {
      required: false,
      last: { value: 36.4, measured_at: '2026-03-01T01:30:00Z', valid_until: '2026-03-01T05:30:00Z' },
    }

    expect(validityNote(state, NOW)).toBe('您的体温在有效期内（至 13:30）')
  })

  it('names the day when the validity ends on another day', () => {
    const state = {
      required: false,
      last: { value: 36.4, measured_at: '2026-03-01T01:30:00Z', valid_until: '2026-03-01T17:30:00Z' },
    }

    expect(validityNote(state, NOW)).toBe('您的体温在有效期内（至 3月2日 01:30）')
  })

  it('is asked when no valid one is on record', () => {
    expect(validityNote({ required: true }, NOW)).toBeNull()
    expect(temperatureProblem('', true)).toBe('请测量体温后填写')
    expect(temperatureProblem('', false)).toBeNull()
  })

  it('is refused outside 35.0–42.5 ℃ with the server’s words', () => {
    expect(temperatureProblem('34.9', true)).toBe('体温应在 35.0～42.5 ℃ 之间，请重新测量')
    expect(temperatureProblem('365', true)).toBe('体温应在 35.0～42.5 ℃ 之间，请重新测量')
    expect(temperatureProblem('３６.５', true)).toBeNull()
    expect(temperatureValue('36.55')).toBe(36.6)
  })

  it('shows a reused measurement with its time', () => {
    expect(temperatureLine({ value: 36.4, source: 'reused', measured_at: '2026-03-01T01:30:00Z' }, NOW)).toBe(
      '36.4 ℃（沿用 09:30 的测量）',
    )
    expect(temperatureLine({ value: 37.8, source: 'measured', measured_at: '2026-03-01T02:00:00Z' }, NOW)).toBe('37.8 ℃')
  })
})
