import { describe, expect, it } from 'vitest'

import { wgs84ToGcj02 } from '../src/geo'

describe('a browser position in the datum checkpoints are set in', () => {
  // The formula's published reference points (eviltransform's test vectors): WGS-84 → GCJ-02.
  it.each([
    ['上海', 31.1774276, 121.5272106, 31.17530398364597, 121.531541859215],
    ['深圳', 22.543847, 113.912316, 22.540796131694766, 113.9171764808363],
    ['北京', 39.911954, 116.377817, 39.91334545536069, 116.38404722455657],
  ])('%s', (_, latitude, longitude, gcjLatitude, gcjLongitude) => {
    const converted = wgs84ToGcj02(latitude, longitude)

    expect(converted.latitude).toBeCloseTo(gcjLatitude, 9)
    expect(converted.longitude).toBeCloseTo(gcjLongitude, 9)
  })

  it('is left as it is outside China', () => {
    expect(wgs84ToGcj02(39.7392, -104.9903)).toEqual({ latitude: 39.7392, longitude: -104.9903 })
  })
})
