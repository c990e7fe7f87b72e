// @lianfang/shared: what the admin SPA, the H5 pages and the mini-program share. No DOM, no Vue, no `wx` global here:
// the transports and storage are passed in (`@lianfang/shared/fetch` for browsers, `wxTransport(wx.request)` and
// `wxStorage(wx)` for the mini-program, which takes this one entry as miniprogram-ci packs it).
export type * from './api'
export { ApiClient, type ClientOptions, type Query, queryString, REFRESH_PATH, type RequestOptions } from './client'
export { AnswerMemory, asksDirection, companionName, knownCompanions, MAX_COMPANIONS, onlyFields, startingAnswers } from './prefill'
export { wgs84ToGcj02 } from './geo'
export { ApiError, type FieldProblem, NetworkError, type ProblemDetails, problemOf, retryAfterSeconds } from './problem'
export { type OnRetry, QUEUE_KEY, type QueueOptions, type Queued, type Send, SubmitQueue, submitPath, type Unsent, type Wait } from './queue'
export { receiptHeadline, STATUS_HEADLINES, STATUS_TAG_TYPES } from './status'
export { type KeyValueStorage, readJson, writeJson } from './storage'
export { temperatureLine, temperatureProblem, temperatureValue, TEMPERATURE_MAX, TEMPERATURE_MIN, validityNote } from './temperature'
export { type TokenPair, TokenStore } from './tokens'
export { beijingToday, clockTime, dateOf, hourMinute, shortTime } from './time'
export type { CancelSignal, Transport, TransportRequest, TransportResponse } from './transport'
export { uuid4 } from './uuid'
export { answerProblem, answersProblems, companionFields, answersToSend, isBlank, normalized } from './validation'
export {
  type WxMethod,
  type WxRequest,
  type WxRequestOption,
  type WxRequestResult,
  WxResponse,
  type WxStorageApi,
  wxStorage,
  wxTransport,
} from './wx'
