import type { CheckinSummary, Receipt } from '@lianfang/shared'

/** Whether anyone on the receipt (the resident or a companion) still waits for staff. */
export function awaitingDecision(receipt: Receipt): boolean {
  return receipt.status === 'pending' || receipt.companions.some((companion) => companion.status === 'pending')
}

/** The receipt with each person's status as the resident's history now has it (staff decide each person apart). */
export function withDecisions(receipt: Receipt, recent: CheckinSummary[]): Receipt {
  const byId = new Map(recent.map((item) => [item.id, item]))
  const own = byId.get(receipt.id)
  return {
    ...receipt,
    ...(own ? { status: own.status, status_label: own.status_label } : {}),
    companions: receipt.companions.map((companion) => {
      const decided = byId.get(companion.id)
      return decided ? { ...companion, status: decided.status, status_label: decided.status_label } : companion
    }),
  }
}
