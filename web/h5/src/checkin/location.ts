/** The resident's position, only when they chose to share it (附带我的位置, remembered on the phone) and the browser
 * allowed it; never a reason not to check in. Sent in GCJ-02, as the mini-program sends it. */

import { type Location, wgs84ToGcj02 } from '@lianfang/shared'

const CHOICE_KEY = 'lf.location.share'
// A fix that takes longer than this is not waited for: the check-in goes without it.
const TIMEOUT_MS = 8000

export function locationChoice(storage: Storage = localStorage): boolean {
  return storage.getItem(CHOICE_KEY) === 'yes'
}

export function rememberLocationChoice(share: boolean, storage: Storage = localStorage): void {
  storage.setItem(CHOICE_KEY, share ? 'yes' : 'no')
}

/** The phone's position, or null when the browser has none, the resident refused it, or no fix came in time. */
export function position(geolocation: Geolocation | undefined = globalThis.navigator?.geolocation): Promise<Location | null> {
  if (!geolocation) return Promise.resolve(null)
  return new Promise((resolve) => {
    geolocation.getCurrentPosition(
      ({ coords }) => resolve({ ...wgs84ToGcj02(coords.latitude, coords.longitude), accuracy: Math.round(coords.accuracy) }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: TIMEOUT_MS, maximumAge: 60_000 },
    )
  })
}
