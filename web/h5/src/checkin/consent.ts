/** The version of the privacy notice the resident logged in on this phone agreed to, remembered so the page asks the
 * server only when the notice has changed (or after a new login). The server keeps the record that counts. */
const KEY = 'lf.privacy.consented'

export function rememberedConsent(storage: Storage = localStorage): string | null {
  return storage.getItem(KEY)
}

export function rememberConsent(version: string, storage: Storage = localStorage): void {
  storage.setItem(KEY, version)
}

export function forgetConsent(storage: Storage = localStorage): void {
  storage.removeItem(KEY)
}
