/** Where the pages keep things on the device, injected: `localStorage` in browsers (it fits as it is), `wxStorage` in the
 * mini-program (`wxStorage(wx)`). */

export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/** The JSON stored under `key`, or `fallback` when there is none or it cannot be read. */
export function readJson<T>(storage: KeyValueStorage, key: string, fallback: T): T {
  try {
    const raw = storage.getItem(key)
    return raw ? (JSON.parse(raw) as T) : fallback
  } catch {
    return fallback
  }
}

export function writeJson(storage: KeyValueStorage, key: string, value: unknown): void {
  storage.setItem(key, JSON.stringify(value))
}
