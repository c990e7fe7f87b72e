import type { Arrival, Decision } from '@lianfang/shared'

const KEPT = 200

/** Whether staff must look twice: a fever now, or an abnormal record elsewhere in the last 14 days. */
export function alarming(arrival: Arrival): boolean {
  return arrival.status === 'abnormal' || (arrival.warnings ?? []).length > 0
}

/** The list with this arrival added, or replaced when the stream sends it again (a replay after a reconnect). */
export function withArrival(list: Arrival[], arrival: Arrival): Arrival[] {
  return [arrival, ...list.filter((known) => known.id !== arrival.id)].slice(0, KEPT)
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
