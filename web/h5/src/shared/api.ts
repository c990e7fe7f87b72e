/** The API client of each login on this phone: the shared client over `fetch`, its tokens in LocalStorage under their
 * own key (`lf.resident`, `lf.staff`: a resident and a gate keeper may share a phone). */

import { ApiClient, TokenStore } from '@lianfang/shared'
import { type FetchResponse, fetchTransport } from '@lianfang/shared/fetch'

export type Api = ApiClient<FetchResponse>

export function loginApi(storageKey: string): Api {
  return new ApiClient({ transport: fetchTransport(), tokens: new TokenStore(localStorage, storageKey) })
}
