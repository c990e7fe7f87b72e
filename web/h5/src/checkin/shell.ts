import type { CheckpointPage } from '@lianfang/shared'

/** What the server put into the page it sent (`lf-checkpoint-page`): the anonymous checkpoint page, or that the code
 * is unknown. Nothing when the page came without it (the registry was out of reach, or a dev server). */
export interface Shell {
  page?: CheckpointPage
  not_found?: boolean
}

/** Reads the server's data before the app replaces the shell it sits in. */
export function takeShell(doc: Document = document): Shell {
  const element = doc.getElementById('lf-checkpoint-page')
  if (!element?.textContent) return {}
  try {
    const shell = JSON.parse(element.textContent) as Shell
    return typeof shell === 'object' && shell !== null ? shell : {}
  } catch {
    return {}
  }
}
