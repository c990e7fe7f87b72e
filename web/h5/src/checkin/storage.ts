/** What the resident typed last time on this phone, to fill the form when the server has nothing (another form's keys,
 * or Redis down). Only this phone's LocalStorage holds it. */

import type { Answers } from './types'

const ANSWERS_KEY = 'lf.checkin.answers'
const COMPANIONS_KEY = 'lf.checkin.companions'
const OPENID_KEY = 'lf.checkin.dev-openid'

function read<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key)
    return raw ? (JSON.parse(raw) as T) : fallback
  } catch {
    return fallback
  }
}

export function rememberedAnswers(): Answers {
  return read<Answers>(ANSWERS_KEY, {})
}

export function rememberedCompanions(): Answers[] {
  return read<Answers[]>(COMPANIONS_KEY, [])
}

export function remember(answers: Answers, companions: Answers[]): void {
  localStorage.setItem(ANSWERS_KEY, JSON.stringify({ ...rememberedAnswers(), ...answers }))
  localStorage.setItem(COMPANIONS_KEY, JSON.stringify(companions))
}

/** The pretend WeChat user of the dev login: one per phone, so coming back is the same resident. */
export function devOpenid(): string {
  let openid = localStorage.getItem(OPENID_KEY)
  if (!openid) {
    openid = `dev-${Math.random().toString(36).slice(2, 10)}`
    localStorage.setItem(OPENID_KEY, openid)
  }
  return openid
}

export function keepDevOpenid(openid: string): void {
  localStorage.setItem(OPENID_KEY, openid)
}
