/** What the form starts with: the server's prefill (what this resident gave last time, checked against this form), and
 * what the resident typed last time on this device for what the server lacks (another form's keys, or Redis down). */

import type { Answers, FormField } from './api'
import { type KeyValueStorage, readJson, writeJson } from './storage'

export const ANSWERS_KEY = 'lf.checkin.answers'
export const COMPANIONS_KEY = 'lf.checkin.companions'
export const MAX_COMPANIONS = 10
// Places people go in and out of, where leaving is recorded too.
const TWO_WAY_KINDS = new Set(['community', 'village'])

/** The last answers and companions sent from this device; only its own storage holds them. */
export class AnswerMemory {
  constructor(private readonly storage: KeyValueStorage) {}

  answers(): Answers {
    return readJson<Answers>(this.storage, ANSWERS_KEY, {})
  }

  companions(): Answers[] {
    return readJson<Answers[]>(this.storage, COMPANIONS_KEY, [])
  }

  remember(answers: Answers, companions: Answers[]): void {
    writeJson(this.storage, ANSWERS_KEY, { ...this.answers(), ...answers })
    writeJson(this.storage, COMPANIONS_KEY, companions)
  }
}

/** The answers keyed by this form's fields only. */
export function onlyFields(fields: FormField[], answers: Answers): Answers {
  const keys = new Set(fields.map((field) => field.key))
  return Object.fromEntries(Object.entries(answers).filter(([key]) => keys.has(key)))
}

/** The resident's starting answers: the server's prefill wins, this device fills what it lacks. */
export function startingAnswers(fields: FormField[], prefill: Answers, remembered: Answers): Answers {
  return { ...onlyFields(fields, remembered), ...prefill }
}

/** A companion's name as the form's name field has it, or 同行人员. */
export function companionName(fields: FormField[], answers: Answers): string {
  const name = fields.find((field) => field.type === 'name')
  const value = name ? answers[name.key] : null
  return typeof value === 'string' && value ? value : '同行人员'
}

/** The companions to offer: the server's, else this device's; none already added (by name). */
export function knownCompanions(
  fields: FormField[],
  fromServer: Answers[],
  remembered: Answers[],
  added: Answers[],
): Answers[] {
  const given = fromServer.length ? fromServer : remembered.map((answers) => onlyFields(fields, answers))
  const present = new Set(added.map((answers) => companionName(fields, answers)))
  return given.filter((companion) => !present.has(companionName(fields, companion)))
}

/** Whether the form asks in or out: only where leaving is recorded too. */
export function asksDirection(checkpointKind: string): boolean {
  return TWO_WAY_KINDS.has(checkpointKind)
}
