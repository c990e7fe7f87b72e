/** The check-in service's shapes, as its schemas.py files in services/checkin define them. */

export type FieldType =
  | 'text'
  | 'name'
  | 'phone'
  | 'id_card'
  | 'number'
  | 'select'
  | 'multiselect'
  | 'date'
  | 'bool'
  | 'plate'
  | 'address'

export interface FormField {
  key: string
  label: string
  type: FieldType
  required: boolean
  options?: string[] | null
  pattern?: string | null
  max_length?: number | null
  min?: number | null
  max?: number | null
  placeholder?: string | null
  help?: string | null
}

export type Answer = string | number | boolean | string[] | null
export type Answers = Record<string, Answer>

export interface CheckpointInfo {
  id: number
  code: string
  name: string
  kind: string
  kind_label: string
  region_names: string[]
  address: string | null
  active: boolean
  requires_audit: boolean
  temp_valid_minutes: number
  fever_threshold: number
}

export interface LastTemperature {
  value: number
  measured_at: string
  valid_until: string
}

export interface TemperatureState {
  required: boolean
  last?: LastTemperature | null
}

export interface Notice {
  code: 'checkpoint_closed' | 'recent_fever'
  level: 'warning' | 'error'
  message: string
}

export interface CheckpointPage {
  checkpoint: CheckpointInfo
  form: { template_id: number; template_version: number; fields: FormField[] }
  prefill: Answers
  companions: Answers[]
  temperature: TemperatureState
  notices: Notice[]
}

export type Direction = 'in' | 'out'
export type RecordStatus = 'passed' | 'pending' | 'rejected' | 'abnormal'

export interface CheckinBody {
  checkpoint_code: string
  client_id: string
  answers: Answers
  temperature?: number | null
  direction: Direction
  companions: { answers: Answers; temperature?: number | null }[]
}

export interface TemperatureOut {
  value: number
  source: 'measured' | 'reused'
  measured_at: string
}

export interface CheckpointRef {
  code: string
  name: string
  kind_label: string
}

export interface CompanionReceipt {
  id: string
  status: RecordStatus
  status_label: string
  temperature: TemperatureOut
  name_masked: string | null
}

export interface Receipt {
  id: string
  status: RecordStatus
  status_label: string
  temperature: TemperatureOut
  checked_at: string
  direction: Direction
  checkpoint: CheckpointRef
  name_masked: string | null
  companions: CompanionReceipt[]
}

export interface CheckinSummary {
  id: string
  checkpoint: CheckpointRef
  status: RecordStatus
  status_label: string
  temperature: TemperatureOut
  checked_at: string
  direction: Direction
  name_masked: string | null
  companion_of: string | null
  decided_at: string | null
  reason: string | null
}

export interface LoginConfig {
  wechat_mode: 'dev' | 'live'
  h5_appid: string | null
}
