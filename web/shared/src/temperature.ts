/** The temperature rules of the check-in form: when one is asked, what is accepted, how a reused one reads. */

import type { TemperatureOut, TemperatureState } from './api'
import { shortTime } from './time'

export const TEMPERATURE_MIN = 35.0
export const TEMPERATURE_MAX = 42.5

/** The line shown instead of the temperature input while the last measurement is still valid here, or null when the
 * page must ask for one. */
export function validityNote(state: TemperatureState, now: Date = new Date()): string | null {
  if (state.required || !state.last) return null
  return `您的体温在有效期内（至 ${shortTime(new Date(state.last.valid_until), now)}）`
}

/** The problem of a typed temperature, in the server's words; `required` when the page asks for one. */
export function temperatureProblem(text: string, required: boolean): string | null {
  const trimmed = text.normalize('NFKC').trim()
  if (trimmed === '') return required ? '请测量体温后填写' : null
  const value = Number(trimmed)
  if (!/^\d{2}(\.\d+)?$/.test(trimmed) || !(value >= TEMPERATURE_MIN && value <= TEMPERATURE_MAX)) {
    return `体温应在 ${TEMPERATURE_MIN.toFixed(1)}～${TEMPERATURE_MAX.toFixed(1)} ℃ 之间，请重新测量`
  }
  return null
}

/** The typed temperature to send, or null to reuse the valid one. */
export function temperatureValue(text: string): number | null {
  const trimmed = text.normalize('NFKC').trim()
  return trimmed === '' ? null : Math.round(Number(trimmed) * 10) / 10
}

/** 36.5 ℃, and where it came from: "沿用 08:05 的测量" for a reused one. */
export function temperatureLine(temperature: TemperatureOut, now: Date = new Date()): string {
  const value = `${temperature.value.toFixed(1)} ℃`
  return temperature.source === 'reused'
    ? `${value}（沿用 ${shortTime(new Date(temperature.measured_at), now)} 的测量）`
    : value
}
