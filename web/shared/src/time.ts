/** Times as people in China read them: Beijing time (UTC+8 all year) whatever the phone's own zone. Done by arithmetic:
 * `Intl` time zones are not there in every mini-program engine. */

const BEIJING_OFFSET_MS = 8 * 3600_000

function beijing(when: Date): Date {
  return new Date(when.getTime() + BEIJING_OFFSET_MS)
}

function two(value: number): string {
  return String(value).padStart(2, '0')
}

/** 08:05:09 */
export function clockTime(when: Date): string {
  const at = beijing(when)
  return `${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())}`
}

/** 08:05 */
export function hourMinute(when: Date): string {
  const at = beijing(when)
  return `${two(at.getUTCHours())}:${two(at.getUTCMinutes())}`
}

/** 2026/03/01 */
export function dateOf(when: Date): string {
  const at = beijing(when)
  return `${at.getUTCFullYear()}/${two(at.getUTCMonth() + 1)}/${two(at.getUTCDate())}`
}

/** 08:05 today, 3月2日 08:05 on another day. */
export function shortTime(when: Date, now: Date = new Date()): string {
  if (dateOf(when) === dateOf(now)) return hourMinute(when)
  const at = beijing(when)
  return `${at.getUTCMonth() + 1}月${at.getUTCDate()}日 ${hourMinute(when)}`
}

/** Today in Beijing as 2026-03-01, as the server bounds birth dates. */
export function beijingToday(now: Date = new Date()): string {
  return beijing(now).toISOString().slice(0, 10)
}
