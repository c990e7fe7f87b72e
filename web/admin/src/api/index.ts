import { ApiClient, type TokenPair, type TokenStore } from './client'

const KEY = 'lianfang.admin.tokens'

/** Tokens kept in localStorage, so a reload or a second tab keeps the login. */
export const tokens: TokenStore = {
  access: () => read()?.access_token ?? null,
  refresh: () => read()?.refresh_token ?? null,
  save: (pair) => localStorage.setItem(KEY, JSON.stringify(pair)),
  clear: () => localStorage.removeItem(KEY),
}

function read(): TokenPair | null {
  const text = localStorage.getItem(KEY)
  return text ? (JSON.parse(text) as TokenPair) : null
}

let sessionLost: (message: string) => void = () => undefined

/** The router sets this: a lost session goes back to the login page with the reason. */
export function whenSessionLost(handler: (message: string) => void): void {
  sessionLost = handler
}

export const api = new ApiClient({ tokens, onSessionLost: (message) => sessionLost(message) })

export { ApiError } from './client'
export type { Download } from './client'
