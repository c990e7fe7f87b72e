/** The API's shapes under the names the pages use, taken from the modules generated from each service's OpenAPI
 * document (`make types`; never edit those by hand). Where a schema says less than the server guarantees (answers are
 * `dict[str, Any]` on the server) the alias says what the pages rely on. */

import type { components as CheckinComponents } from './checkin'
import type { components as GatewayComponents } from './gateway'
import type { components as RegistryComponents } from './registry'
import type { components as TraceComponents } from './trace'

export type GatewaySchemas = GatewayComponents['schemas']
export type RegistrySchemas = RegistryComponents['schemas']
export type CheckinSchemas = CheckinComponents['schemas']
export type TraceSchemas = TraceComponents['schemas']

/** One page of a list the API pages with an opaque cursor. */
export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

// Accounts and logins (/api/auth)
export type Account = GatewaySchemas['AccountOut']
export type Role = GatewaySchemas['AccountRole']
export type LoginEvent = GatewaySchemas['LoginEventOut']
export type LoginOutcome = GatewaySchemas['LoginOutcome']
// The operation log: the gateway's (accounts) and the registry's entries have one shape (lianfang.common.oplog).
export type OperationEntry = GatewaySchemas['OperationEntryOut']
export type OperationAction = GatewaySchemas['OperationAction']
export type TargetKind = GatewaySchemas['TargetKind']
export type AdminSession = GatewaySchemas['AdminSession']
export type ResidentSession = GatewaySchemas['ResidentSession']
export type LoginConfig = GatewaySchemas['LoginConfig']
export type PhoneBound = GatewaySchemas['PhoneBound']
export type PrivacyNotice = GatewaySchemas['PrivacyNotice']
export type NoticeSection = GatewaySchemas['NoticeSection']
export type ConsentState = GatewaySchemas['ConsentState']

// Regions, checkpoints and forms (/api/registry)
export type RegionLevel = RegistrySchemas['RegionLevel']
export type RegionNode = RegistrySchemas['RegionNode']
export type Region = RegistrySchemas['RegionOut']
export type RegionDetail = RegistrySchemas['RegionDetail']
export type CheckpointKind = RegistrySchemas['CheckpointKind']
export type Checkpoint = RegistrySchemas['CheckpointOut']
export type FieldType = RegistrySchemas['FieldType']
export type FormField = RegistrySchemas['FormField']
export type Template = RegistrySchemas['TemplateOut']
export type ImportResult = RegistrySchemas['ImportResult']
/** Whom a printed personal code (个人码) is for (`POST /api/registry/cards` answers its print page). */
export type CardBody = RegistrySchemas['CardCreate']

// Check-in (/api/checkin)
export type Answer = string | number | boolean | string[] | null
export type Answers = Record<string, Answer>
export type Direction = CheckinSchemas['Direction']
export type RecordStatus = CheckinSchemas['RecordStatus']
export type CheckpointInfo = CheckinSchemas['CheckpointInfo']
export type LastTemperature = CheckinSchemas['LastTemperature']
export type TemperatureState = CheckinSchemas['TemperatureState']
export type TemperatureOut = CheckinSchemas['TemperatureOut']
export type Notice = CheckinSchemas['Notice']
export type CheckpointPage = Omit<CheckinSchemas['CheckpointPage'], 'prefill' | 'companions'> & {
  prefill: Answers
  companions: Answers[]
}
export type CompanionBody = { answers: Answers; temperature: number | null }
export type Location = CheckinSchemas['Location']
/** Where the check-in was made is never required: the position only with the resident's consent, the scene and the
 * check-out reminder only in the mini-program. */
export type CheckinBody = Omit<
  CheckinSchemas['CheckinCreate'],
  'answers' | 'companions' | 'location' | 'location_consent' | 'scan_scene' | 'remind_checkout'
> & {
  answers: Answers
  companions: CompanionBody[]
  location?: Location | null
  location_consent?: boolean
  scan_scene?: number | null
  remind_checkout?: boolean
}
/** 离开: leaving the checkpoint where the page's `stay` says the resident checked in, with the same companions. */
export type CheckoutBody = CheckinSchemas['CheckoutCreate']
/** What the submit queue keeps until the server answers it: a check-in or a check-out. */
export type QueuedBody = CheckinBody | CheckoutBody
export type CurrentStay = CheckinSchemas['CurrentStay']
export type HandEntryBody = CheckinSchemas['HandEntryCreate']
/** Who a scanned personal code (个人码) names, masked (`POST …/staff/checkpoints/{id}/cards/resolve`). */
export type CardHolder = CheckinSchemas['CardHolder']
export type CheckpointRef = CheckinSchemas['CheckpointRef']
export type CompanionReceipt = CheckinSchemas['CompanionReceipt']
export type Receipt = CheckinSchemas['CheckinReceipt']
export type CheckinSummary = CheckinSchemas['CheckinSummary']
/** An arrival at a gate as staff see it, with whether its fever was sent to the region's alerts (处置). */
export type Arrival = CheckinSchemas['Arrival']
export type ArrivalWarning = CheckinSchemas['ArrivalWarning']
export type Decision = CheckinSchemas['DecisionOut']
/** What a pending arrival filled in, for the approval card (`GET /api/checkin/staff/checkins/{id}/answers`). */
export type ArrivalAnswers = CheckinSchemas['ArrivalAnswers']

// Records, trajectories and contacts (/api/trace)
/** A stored check-in as admins see it (the trace service's RecordOut). */
export type CheckinRecord = TraceSchemas['RecordOut']
/** One record with every answer under its label (`GET /api/trace/records/{id}`). */
export type RecordDetail = TraceSchemas['RecordDetail']
export type RecordAnswer = TraceSchemas['AnswerOut']
export type Person = TraceSchemas['PersonOut']
export type Trajectory = TraceSchemas['TrajectoryOut']
export type Span = TraceSchemas['SpanOut']
export type Stay = TraceSchemas['StayOut']
export type Overlap = TraceSchemas['OverlapOut']
export type Contact = TraceSchemas['ContactOut']
export type ContactsResult = TraceSchemas['ContactsOut']
export type RiskNoticeResult = TraceSchemas['RiskNoticeOut']
export type Alert = TraceSchemas['AlertOut']
export type AlertState = TraceSchemas['AlertState']
export type AlertHandling = TraceSchemas['AlertHandling']
export type AccessLogEntry = TraceSchemas['AccessLogOut']
export type RecordPage = TraceSchemas['RecordPage']
export type RecordTotal = TraceSchemas['RecordTotal']
export type Stats = TraceSchemas['StatsOut']
