/** The pretend WeChat user of the dev login: one per phone, so coming back is the same resident. */

const OPENID_KEY = 'lf.checkin.dev-openid'

export function devOpenid(): string {
  let openid = localStorage.getItem(OPENID_KEY)
  if (!openid) {
    openid = `dev-${Math.random().toString(36).slice(2, 10)}`
    localStorage.setItem(OPENID_KEY, openid)
  }
  return openid
}

export function keepDevOpenid(openid: string): void {
  localStorage.setItem(OPENID_KEY, openid)
}
