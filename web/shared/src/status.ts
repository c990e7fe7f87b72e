import type { Receipt, RecordStatus } from './api'

/** What a receipt says in big letters; a rejection reads 已拒绝 at the gate. */
export const STATUS_HEADLINES: Record<RecordStatus, string> = {
  passed: '准许通行',
  pending: '待审核',
  abnormal: '体温异常',
  rejected: '已拒绝',
}

export const STATUS_TAG_TYPES: Record<RecordStatus, 'success' | 'warning' | 'danger'> = {
  passed: 'success',
  pending: 'warning',
  abnormal: 'danger',
  rejected: 'danger',
}

/** A receipt's big letters: a check-out (离开) has nothing to pass, it says it was recorded. */
export function receiptHeadline(receipt: Pick<Receipt, 'direction' | 'status'>): string {
  return receipt.direction === 'out' ? '已登记离开' : STATUS_HEADLINES[receipt.status]
}
