import type { RecordStatus } from './api'

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
