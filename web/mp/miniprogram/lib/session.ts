/** The resident's login, kept across launches: `wx.login` is rate-limited and every code is spent on the server, so it
 * runs only when no tokens are stored (first launch, or a login the server ended). One login at a time however many
 * calls need it. */

import {
  AnswerMemory,
  ApiClient,
  type LoginConfig,
  type ResidentSession,
  SubmitQueue,
  submitPath,
  type Receipt,
  TokenStore,
  uuid4,
  wxStorage,
  wxTransport,
} from '@lianfang/shared'

import { API_ORIGIN } from '../config'
import { login as wxLogin } from './wxp'

export const TOKENS_KEY = 'lf.resident'
// The privacy notice version the logged-in resident agreed to, forgotten at every login (another person may log in).
export const CONSENT_KEY = 'lf.privacy.consented'
// The openid the dev login uses on this device (a server in dev mode has no WeChat to ask).
const DEV_OPENID_KEY = 'lf.dev.openid'

// Through closures, not captured functions: `wx` is the runtime's, tests give their own.
export const storage = wxStorage({
  getStorageSync: (key) => wx.getStorageSync(key),
  setStorageSync: (key, data) => wx.setStorageSync(key, data),
  removeStorageSync: (key) => wx.removeStorageSync(key),
})
export const tokens = new TokenStore(storage, TOKENS_KEY)
export const api = new ApiClient({
  transport: wxTransport((option) => wx.request(option)),
  tokens,
  baseUrl: API_ORIGIN,
})
export const memory = new AnswerMemory(storage)
export const queue = new SubmitQueue({ send: (body) => api.post<Receipt>(submitPath(body), body), storage })

let pending: Promise<void> | null = null
let config: Promise<LoginConfig> | null = null

/** How the server logs residents in and which subscribe messages it sends: asked once per launch. */
export function loginConfig(): Promise<LoginConfig> {
  config ??= api.request<LoginConfig>('GET', '/api/auth/config', { anonymous: true }).catch((error: unknown) => {
    config = null
    throw error
  })
  return config
}

export function loggedIn(): boolean {
  return tokens.access() !== null
}

/** Logs in unless tokens are stored; a refused refresh clears them (the client does) and the next call logs in again. */
export function ensureLogin(): Promise<void> {
  if (loggedIn()) return Promise.resolve()
  pending ??= logIn().finally(() => {
    pending = null
  })
  return pending
}

async function logIn(): Promise<void> {
  let session: ResidentSession
  if ((await loginConfig()).wechat_mode === 'dev') {
    let openid = storage.getItem(DEV_OPENID_KEY)
    if (!openid) {
      openid = `mp-${uuid4().slice(0, 8)}`
      storage.setItem(DEV_OPENID_KEY, openid)
    }
    session = await api.request<ResidentSession>('POST', '/api/auth/dev/login', { json: { openid }, anonymous: true })
  } else {
    const code = await wxLogin()
    session = await api.request<ResidentSession>('POST', '/api/auth/wechat/miniprogram', {
      json: { code },
      anonymous: true,
    })
  }
  tokens.save(session)
  storage.removeItem(CONSENT_KEY)
}
