/** Times as people in China read them: Asia/Shanghai whatever the phone's own zone. */

const ZONE = 'Asia/Shanghai'

const clock = new Intl.DateTimeFormat('zh-CN', {
  timeZone: ZONE,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})
const minutes = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
const day = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
const monthDay = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, month: 'numeric', day: 'numeric' })

/** 08:05:09 */
export function clockTime(when: Date): string {
  return clock.format(when)
}

/** 08:05 */
export function hourMinute(when: Date): string {
  return minutes.format(when)
}

/** 2026/03/01 */
export function dateOf(when: Date): string {
  return day.format(when)
}

/** 08:05 today, 3月2日 08:05 on another day. */
export function shortTime(when: Date, now: Date = new Date()): string {
  if (dateOf(when) === dateOf(now)) return hourMinute(when)
  const parts = Object.fromEntries(monthDay.formatToParts(when).map((part) => [part.type, part.value]))
  return `${parts.month}月${parts.day}日 ${hourMinute(when)}`
}
