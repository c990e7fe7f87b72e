// The API's shapes as the admin pages use them (the services' OpenAPI at /api/<service>/openapi.json is the reference).

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export type Role = 'admin' | 'staff'

export interface Account {
  id: string
  username: string
  name: string
  phone_masked: string | null
  role: Role
  region_id: number
  region_path: string
  checkpoint_ids: number[]
  disabled: boolean
  locked_until: string | null
  created_at: string
  last_login_at: string | null
}

export interface AdminSession {
  access_token: string
  refresh_token: string
  expires_in: number
  account: Account
}

export type RegionLevel = 'province' | 'city' | 'county' | 'township' | 'unit'

export interface RegionNode {
  id: number
  name: string
  code: string | null
  level: RegionLevel
  children: RegionNode[]
}

export interface Region {
  id: number
  parent_id: number | null
  name: string
  code: string | null
  level: RegionLevel
  path: string
  city_code: string
  created_at: string
  child_count: number
}

export interface RegionDetail extends Region {
  ancestors: { id: number; name: string; level: RegionLevel }[]
}

export type CheckpointKind =
  | 'community'
  | 'hospital'
  | 'market'
  | 'office'
  | 'vehicle'
  | 'school'
  | 'station'
  | 'village'
  | 'other'

export interface Checkpoint {
  id: number
  code: string
  qr_url: string
  region_id: number
  region_path: string
  region_name: string
  city_code: string
  name: string
  kind: CheckpointKind
  kind_label: string
  address: string | null
  template_id: number
  template_name: string
  template_version: number
  template_latest_version: number
  temp_valid_minutes: number
  requires_audit: boolean
  fever_threshold: number
  active: boolean
  created_at: string
  updated_at: string
}

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

export interface Template {
  id: number
  name: string
  region_id: number
  region_path: string
  builtin: string | null
  version: number
  versions: number[]
  fields: FormField[]
  editable: boolean
  created_at: string
  updated_at: string
}

export interface ImportResult {
  created: number
  dry_run: boolean
  errors: { row?: number | null; field: string; message: string; code?: string }[]
  error_count: number
  regions_created: number
  rows: number
}

export type RecordStatus = 'passed' | 'pending' | 'rejected' | 'abnormal'

export interface Person {
  person_id: string | null
  name_masked: string | null
  phone_masked: string | null
  id_card_masked: string | null
}

export interface CheckinRecord {
  id: string
  checked_at: string
  checkpoint_id: number
  checkpoint_name: string | null
  checkpoint_kind: string
  checkpoint_kind_label: string
  region_id: number
  region_name: string | null
  person: Person
  companion: boolean
  temperature: number | null
  temperature_source: string | null
  direction: 'in' | 'out'
  status: RecordStatus
  status_label: string
}

export interface Trajectory {
  person: Person | null
  visits: CheckinRecord[]
  from: string
  to: string
  truncated: boolean
}

export interface Place {
  checkpoint_id: number
  checkpoint_name: string | null
  checkpoint_kind: string
  checkpoint_kind_label: string
  region_id: number
  region_name: string | null
}

export interface Span {
  record_id: string
  start: string
  end: string
  start_assumed: boolean
  end_assumed: boolean
}

export interface Overlap extends Place {
  their_stay: Span
  index_stay: Span
  minutes_together: number
  gap_minutes: number
}

export interface Contact {
  id: string
  degree: 1 | 2
  person: Person
  minutes_together: number
  gap_minutes: number
  overlaps: Overlap[]
  via: string[]
}

export interface ContactsResult {
  index: { person: Person | null; stays: (Place & Span)[] }
  contacts: Contact[]
  second_degree: Contact[] | null
  window_minutes: number
  from: string
  to: string
  truncated: boolean
}

export interface AccessLogEntry {
  id: string
  at: string
  actor_id: string
  actor_region_id: number
  action: string
  action_label: string
  query: Record<string, unknown>
  reason: string | null
  request_id: string | null
}
