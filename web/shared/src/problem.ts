/** RFC 9457 problem details as the services send them, turned into one error class. */

import type { TransportResponse } from './transport'

export interface FieldProblem {
  field: string
  message: string
  code: string
  /** The spreadsheet row of an import's problem. */
  row?: number | null
}

export interface ProblemDetails {
  status: number
  title: string
  code: string
  detail?: string | null
  errors?: FieldProblem[] | null
}

/** An answer with a 4xx or 5xx status: what the server said, or what its status says when it said nothing readable. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly detail: string | null
  readonly errors: FieldProblem[]
  /** Seconds the server asked to wait (Retry-After), when it said. */
  readonly retryAfter: number | null

  constructor(problem: ProblemDetails, retryAfter: number | null = null) {
    super(problem.detail || problem.title)
    this.name = 'ApiError'
    this.status = problem.status
    this.code = problem.code
    this.title = problem.title
    this.detail = problem.detail ?? null
    this.errors = problem.errors ?? []
    this.retryAfter = retryAfter
  }

  /** Each field's problem by the field's name, to show under the field. */
  get fieldMessages(): Record<string, string> {
    return Object.fromEntries(this.errors.map((error) => [error.field, error.message]))
  }

  /** What to tell a person: the detail (or title), then each field's problem. */
  get explanation(): string {
    const fields = this.errors.map((error) => (error.row ? `第 ${error.row} 行：${error.message}` : error.message))
    return [this.message, ...fields].join('；')
  }
}

/** The request never got an answer: no network, a dropped connection, DNS. Sending it again is safe to try. */
export class NetworkError extends Error {
  constructor() {
    super('网络连接失败，请检查网络')
    this.name = 'NetworkError'
  }
}

function statusTitle(status: number): string {
  return status >= 500 ? '服务暂时不可用，请稍后再试' : `请求失败（${status}）`
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

/** Seconds from a Retry-After header: a number of seconds or an HTTP date. */
export function retryAfterSeconds(header: string | null, now: number = Date.now()): number | null {
  if (header === null || header.trim() === '') return null
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds)
  const date = Date.parse(header)
  return Number.isNaN(date) ? null : Math.max(0, (date - now) / 1000)
}

/** The error an unsuccessful answer stands for. */
export async function problemOf(response: TransportResponse): Promise<ApiError> {
  let body: Record<string, unknown> = {}
  try {
    const parsed = await response.json()
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>
  } catch {
    // A proxy's HTML error page: the status says enough.
  }
  const problem: ProblemDetails = {
    status: response.status,
    title: text(body.title) ?? statusTitle(response.status),
    code: text(body.code) ?? 'http_error',
    detail: text(body.detail),
    errors: Array.isArray(body.errors) ? (body.errors as FieldProblem[]) : [],
  }
  return new ApiError(problem, retryAfterSeconds(response.header('Retry-After')))
}
