import { describe, expect, it } from 'vitest'

import { checkpointCode, fromPicture } from '../miniprogram/lib/entry'

describe('a scan names its checkpoint', () => {
  it('from a printed poster: the URL WeChat passes in q', () => {
    const q = encodeURIComponent('https://lianfang.example.cn/c/K7M3QF9X')
    expect(checkpointCode({ q, scancode_time: '1764989000' })).toBe('K7M3QF9X')
  })

  it('from a poster whose URL carries a query or a lowercase code', () => {
    expect(checkpointCode({ q: encodeURIComponent('https://x.cn/c/k7m3qf9x?from=poster') })).toBe('K7M3QF9X')
  })

  it('from a mini-program code: the code itself in scene', () => {
    expect(checkpointCode({ scene: encodeURIComponent('K7M3QF9X') })).toBe('K7M3QF9X')
  })

  it('from the page’s own links', () => {
    expect(checkpointCode({ code: 'K7M3QF9X', direction: 'out' })).toBe('K7M3QF9X')
  })

  it('names none for another URL or nothing', () => {
    expect(checkpointCode({ q: encodeURIComponent('https://x.cn/admin/') })).toBeNull()
    expect(checkpointCode({})).toBeNull()
    expect(checkpointCode({ scene: encodeURIComponent('<script>') })).toBeNull()
  })
})

describe('where a code was scanned from', () => {
  it('a picture (long-pressed or from the album) is not the camera', () => {
    for (const scene of [1012, 1013, 1048, 1049]) expect(fromPicture(scene)).toBe(true)
    for (const scene of [1011, 1047, 1001, undefined]) expect(fromPicture(scene)).toBe(false)
  })
})
