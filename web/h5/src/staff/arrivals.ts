import type { AlertHandling, Arrival, Decision } from '@lianfang/shared'

const KEPT = 200

/** Whether staff must look twice: a fever now, or an abnormal record elsewhere in the last 14 days. */
export function alarming(arrival: Arrival): boolean {
  return arrival.status === 'abnormal' || (arrival.warnings ?? []).length > 0
}

/** A fever once reported (处置) stays so on its card: a replayed arrival event, or a load while trace did not answer,
 * carries no report. */
function keepingReport(updated: Arrival, known: Arrival | undefined): Arrival {
  return updated.gate_report || !known?.gate_report ? updated : { ...updated, gate_report: known.gate_report }
}

/** The list with this arrival added, or replaced when the stream sends it again (a replay after a reconnect). */
export function withArrival(list: Arrival[], arrival: Arrival): Arrival[] {
  const known = list.find((item) => item.id === arrival.id)
  return [keepingReport(arrival, known), ...list.filter((item) => item.id !== arrival.id)].slice(0, KEPT)
}

/** The list with a known arrival as it now stands (a re-measure answered here, or streamed from another board). */
export function withUpdate(list: Arrival[], updated: Arrival): Arrival[] {
  return list.map((arrival) => (arrival.id === updated.id ? keepingReport(updated, arrival) : arrival))
}

/** The list with a fever marked as sent to the region's alerts, as trace answered the report. */
export function withReport(list: Arrival[], handling: AlertHandling): Arrival[] {
  const last = handling.steps[handling.steps.length - 1]
  const gate_report = { record_id: handling.record_id, state_label: handling.state_label, note: last?.note ?? null, at: last?.at ?? '' }
  return list.map((arrival) => (arrival.id === handling.record_id ? { ...arrival, gate_report } : arrival))
}

export function withDecision(list: Arrival[], decision: Decision): Arrival[] {
  return list.map((arrival) =>
    arrival.id === decision.id
      ? { ...arrival, status: decision.status, status_label: decision.status_label, decided_at: decision.decided_at, reason: decision.reason }
      : arrival,
  )
}

/** Pending arrivals on top, the longest waiting first; then everyone else, the newest first. */
export function ordered(list: Arrival[]): Arrival[] {
  const time = (arrival: Arrival): number => Date.parse(arrival.checked_at)
  const pending = list.filter((arrival) => arrival.status === 'pending').sort((a, b) => time(a) - time(b))
  const rest = list.filter((arrival) => arrival.status !== 'pending').sort((a, b) => time(b) - time(a))
  return [...pending, ...rest]
}

/** A leader and the companions they checked in with, the leader first: one group at the gate. */
export function groupOf(list: Arrival[], leader: Arrival): Arrival[] {
  if (leader.companion_of) return [leader]
  return [leader, ...list.filter((arrival) => arrival.companion_of === leader.id)]
}

/** The members of a leader's group still waiting for a decision, when there are at least two people in it. */
export function pendingGroup(list: Arrival[], leader: Arrival): Arrival[] {
  const group = groupOf(list, leader)
  return group.length > 1 ? group.filter((arrival) => arrival.status === 'pending') : []
}
