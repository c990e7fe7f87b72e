import { describe, expect, it } from 'vitest'
import { loadOutlines, mapAreas, type RegionCounts } from './regionMap'

const CITY: RegionCounts[] = [
  { code: '130102', name: '长安区', checkins: 120, abnormal: 3 },
  { code: '130104', name: '桥西区', checkins: 45, abnormal: 0 },
  { code: null, name: '没有代码的新区', checkins: 9, abnormal: 1 },
]

describe('the region map', () => {
  it('outlines a city by its counties and a province by its cities', async () => {
    const shijiazhuang = await loadOutlines('130100')
    expect(shijiazhuang?.features.map((feature) => feature.properties.name)).toContain('长安区')
    const hebei = await loadOutlines('130000')
    expect(hebei?.features.map((feature) => feature.properties.name)).toEqual(
      expect.arrayContaining(['石家庄市', '保定市', '张家口市']),
    )
  })

  it('has no outlines below a city, nor without a code', async () => {
    expect(await loadOutlines('130102001')).toBeNull()
    expect(await loadOutlines(null)).toBeNull()
  })

  it('colours the sub-regions by the chosen count, zero where nothing was recorded', async () => {
    const outlines = (await loadOutlines('130100'))!
    const areas = mapAreas(outlines, CITY, 'checkins')
    expect(areas).toHaveLength(outlines.features.length)
    expect(areas).toContainEqual({ name: '长安区', region: '长安区', value: 120, checkins: 120, abnormal: 3 })
    expect(areas).toContainEqual({ name: '桥西区', region: '桥西区', value: 45, checkins: 45, abnormal: 0 })
    expect(areas).toContainEqual({ name: '正定县', region: '正定县', value: 0, checkins: 0, abnormal: 0 })
    const fevers = mapAreas(outlines, CITY, 'abnormal')
    expect(fevers.find((area) => area.name === '长安区')?.value).toBe(3)
    expect(fevers.reduce((sum, area) => sum + area.value, 0)).toBe(3)
  })
})
