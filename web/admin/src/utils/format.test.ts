import { describe, expect, it } from 'vitest'
import { lastDays, pickerToIso } from './format'

describe('lastDays', () => {
  it('runs from the first day at midnight to tomorrow midnight, in Beijing time', () => {
    // 2026-12-06 16:55:51 UTC is 00:55:51 on the 7th in Beijing: a login a second later is still inside the range.
    const now = new Date('2026-12-06T16:55:51.400Z')
    expect(lastDays(7, now)).toEqual(['2026-12-01 00:00:00', '2026-12-08 00:00:00'])
    expect(pickerToIso(lastDays(1, now)[1])).toBe('2026-12-08T00:00:00+08:00')
  })
})
