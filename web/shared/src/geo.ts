/** Positions as the check-in service takes them: GCJ-02, the datum WeChat's `wx.getLocation({type: 'gcj02'})` answers
 * in and checkpoints are set in. A browser's `navigator.geolocation` answers in WGS-84, some 300–600 m away in China:
 * the H5 page converts with the published GCJ-02 formula before it sends. */

const A = 6378245.0
const EE = 0.00669342162296594323

/** Outside this box the datum has no offset (the formula's own rough bound of mainland China). */
function outsideChina(latitude: number, longitude: number): boolean {
  return longitude < 72.004 || longitude > 137.8347 || latitude < 0.8293 || latitude > 55.8271
}

function latitudeShift(x: number, y: number): number {
  let shift = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  shift += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  shift += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0
  shift += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0
  return shift
}

function longitudeShift(x: number, y: number): number {
  let shift = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  shift += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  shift += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0
  shift += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0
  return shift
}

/** A WGS-84 position in GCJ-02. */
export function wgs84ToGcj02(latitude: number, longitude: number): { latitude: number; longitude: number } {
  if (outsideChina(latitude, longitude)) return { latitude, longitude }
  const radians = (latitude / 180.0) * Math.PI
  const sine = Math.sin(radians)
  const magic = 1 - EE * sine * sine
  const root = Math.sqrt(magic)
  const dLatitude = (latitudeShift(longitude - 105.0, latitude - 35.0) * 180.0) / (((A * (1 - EE)) / (magic * root)) * Math.PI)
  const dLongitude = (longitudeShift(longitude - 105.0, latitude - 35.0) * 180.0) / ((A / root) * Math.cos(radians) * Math.PI)
  return { latitude: latitude + dLatitude, longitude: longitude + dLongitude }
}
