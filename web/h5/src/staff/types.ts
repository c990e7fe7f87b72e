import type { CheckpointInfo, Direction, RecordStatus, TemperatureOut } from '../checkin/types'

export type { CheckpointInfo, Direction, RecordStatus }

export interface ArrivalWarning {
  code: 'fever_now' | 'recent_fever'
  message: string
}

/** An arrival as the live stream and the pending list give it (CheckinRecord). */
export interface Arrival {
  id: string
  checkpoint_id: number
  checkpoint_name: string
  checked_at: string
  status: RecordStatus
  status_label: string
  temperature: TemperatureOut
  direction: Direction
  companion_of: string | null
  entered_by: string | null
  name_masked: string | null
  phone_masked: string | null
  id_card_masked: string | null
  warnings: ArrivalWarning[]
  decided_at: string | null
  reason: string | null
}

export interface Decision {
  id: string
  checkpoint_id: number
  status: RecordStatus
  status_label: string
  decided_at: string
  reason: string | null
}

export interface StaffAccount {
  id: string
  username: string
  name: string
  role: 'admin' | 'staff'
  checkpoint_ids: number[]
}
