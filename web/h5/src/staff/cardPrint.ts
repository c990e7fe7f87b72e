/** 打印个人码: the registry's print page for a visitor, in a window of its own, with the browser's print dialog. */

import { type CardBody, problemOf } from '@lianfang/shared'

import type { Api } from '../shared/api'

export async function printCard(api: Api, person: CardBody): Promise<void> {
  // Opened before the request: a window opened after an await is a pop-up the browser blocks.
  const page = window.open('', '_blank')
  try {
    const response = await api.send('POST', '/api/registry/cards', { json: person, headers: { Accept: 'text/html' } })
    if (response.status >= 400) throw await problemOf(response)
    const html = await response.raw.text()
    if (!page) throw new Error('浏览器阻止了打印窗口，请允许本页打开新窗口')
    page.document.write(html)
    page.document.close()
    page.focus()
    page.print()
  } catch (error) {
    page?.close()
    throw error
  }
}
