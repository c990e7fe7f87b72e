import { ElMessage, ElMessageBox } from 'element-plus'
import { ApiError, NetworkError } from '@/api'

/** What went wrong, in words a person can act on. */
export function explain(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `无权操作：${error.explanation}`
    return error.explanation
  }
  if (error instanceof NetworkError) return '无法连接服务器，请检查网络后重试'
  return error instanceof Error ? error.message : String(error)
}

/** A 422's field problems by the form field they belong to (`checkpoint_ids.1` → `checkpoint_ids`), each shown under
 * its input; null when the error names none of `fields` (the caller shows it whole). */
export function fieldMessages(error: unknown, fields: readonly string[]): Record<string, string> | null {
  if (!(error instanceof ApiError)) return null
  const messages: Record<string, string> = {}
  for (const entry of error.errors) {
    const field = entry.field.split('.')[0]
    if (fields.includes(field)) messages[field] ??= entry.message
  }
  return Object.keys(messages).length ? messages : null
}

export function notifyError(error: unknown): void {
  ElMessage({ type: 'error', message: explain(error), showClose: true, duration: 6000, grouping: true })
}

export function notifySuccess(message: string): void {
  ElMessage({ type: 'success', message })
}

/** Asks before something that cannot be undone; resolves to whether the person agreed. */
export async function confirmDanger(message: string, title = '请确认'): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, title, { type: 'warning', confirmButtonText: '确定', cancelButtonText: '取消' })
    return true
  } catch {
    return false
  }
}

/** One line of text asked for in a box; null when the person cancels. */
export async function promptText(
  message: string,
  title: string,
  options: { placeholder?: string; password?: boolean; check?: (text: string) => string | true } = {},
): Promise<string | null> {
  try {
    const { value } = await ElMessageBox.prompt(message, title, {
      confirmButtonText: '确定',
      cancelButtonText: '取消',
      inputPlaceholder: options.placeholder,
      inputType: options.password ? 'password' : 'text',
      inputValidator: (text: string) => (options.check ? options.check((text ?? '').trim()) : true),
    })
    return String(value).trim()
  } catch {
    return null
  }
}

/** The reason an audited action (full values, export) is recorded with; null when the person cancels. */
export function askReason(what: string): Promise<string | null> {
  return promptText(`${what}将记入访问日志，上级可查阅。请填写事由：`, '填写事由', {
    placeholder: '如：协查通报 2026-118 号',
    check: (text) => (text.length >= 2 ? true : '请填写事由（至少 2 个字）'),
  })
}
