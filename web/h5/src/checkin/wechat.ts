/** WeChat's OAuth for the H5 page: inside WeChat the page sends the resident to WeChat, which sends them back with a
 * one-time `code` the gateway trades for a login (snsapi_base: silent, no consent screen). */

export function insideWeChat(userAgent: string = navigator.userAgent): boolean {
  return /MicroMessenger/i.test(userAgent)
}

export function authorizeUrl(appid: string, back: string): string {
  const query = new URLSearchParams({
    appid,
    redirect_uri: back,
    response_type: 'code',
    scope: 'snsapi_base',
    state: 'lianfang',
  })
  return `https://open.weixin.qq.com/connect/oauth2/authorize?${query}#wechat_redirect`
}

/** The OAuth code WeChat put on the page's address, and the address without it. */
export function oauthReturn(href: string): { code: string | null; clean: string } {
  const url = new URL(href)
  const code = url.searchParams.get('state') === 'lianfang' ? url.searchParams.get('code') : null
  url.searchParams.delete('code')
  url.searchParams.delete('state')
  return { code, clean: url.toString() }
}
