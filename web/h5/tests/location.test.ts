import { afterEach, describe, expect, it } from 'vitest'

import { locationChoice, position, rememberLocationChoice } from '../src/checkin/location'

afterEach(() => localStorage.clear())

function geolocation(answer: (success: PositionCallback, failure: PositionErrorCallback) => void): Geolocation {
  return { getCurrentPosition: answer } as unknown as Geolocation
}

describe("the resident's position", () => {
  it('is off until the resident turns it on, and the choice is remembered', () => {
    expect(locationChoice()).toBe(false)
    rememberLocationChoice(true)
    expect(locationChoice()).toBe(true)
    rememberLocationChoice(false)
    expect(locationChoice()).toBe(false)
  })

  it('goes out in GCJ-02 with its accuracy in whole metres', async () => {
    const browser = geolocation((success) =>
      success({ coords: { latitude: 39.911954, longitude: 116.377817, accuracy: 35.4 } } as GeolocationPosition),
    )

    const found = await position(browser)

    expect(found?.latitude).toBeCloseTo(39.91334545536069, 9)
    expect(found?.longitude).toBeCloseTo(116.38404722455657, 9)
    expect(found?.accuracy).toBe(35)
  })

  it('is null when the resident or the browser refuses it', async () => {
    const refused = geolocation((_, failure) => failure({ code: 1, message: 'User denied Geolocation' } as GeolocationPositionError))

    expect(await position(refused)).toBeNull()
    expect(await position(undefined)).toBeNull()
  })
})
