import { describe, expect, it } from 'vitest'

import { beijingToday, clockTime, dateOf, hourMinute, shortTime } from '../src/time'

describe('Beijing time', () => {
  // 2026-03-01 23:59:58 in Beijing is still 2026-03-01 15:59:58 in UTC.
  const late = new Date('2026-03-01T15:59:58Z')

  it('reads the clock and the date in Beijing whatever the machine’s zone', () => {
    expect([clockTime(late), hourMinute(late), dateOf(late)]).toEqual(['23:59:58', '23:59', '2026/03/01'])
    expect(beijingToday(new Date('2026-03-01T16:00:00Z'))).toBe('2026-03-02')
  })

  it('names the day only when it is not today', () => {
    expect(shortTime(late, new Date('2026-03-01T01:00:00Z'))).toBe('23:59')
    expect(shortTime(late, new Date('2026-03-01T16:30:00Z'))).toBe('3月1日 23:59')
  })
})
