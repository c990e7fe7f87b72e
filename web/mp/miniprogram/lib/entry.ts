/** How a scan reaches the check-in page, and where it was scanned from.
 *
 * A printed poster carries `https://<host>/c/<code>`: WeChat's "扫普通链接二维码打开小程序" opens the page with that URL
 * in `q` (encodeURIComponent'd) and `scancode_time`. A mini-program code (`getwxacodeunlimit`) carries the code itself in
 * `scene`, also encoded. The page's own links pass `code`. */

export interface EntryQuery {
  q?: string
  scene?: string
  code?: string
  direction?: string
  [key: string]: string | undefined
}

// Checkpoint codes as the registry makes them and as scene allows (≤ 32 characters).
const CODE = /^[0-9A-Za-z_-]{1,32}$/

function decoded(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** The checkpoint code a scan carries, or null when the query names none. */
export function checkpointCode(query: EntryQuery): string | null {
  let candidate: string | undefined
  if (query.q) {
    const url = decoded(query.q)
    const match = /^https?:\/\/[^/]+\/c\/([^/?#]+)/.exec(url)
    candidate = match ? decoded(match[1]) : undefined
  } else if (query.scene) {
    candidate = decoded(query.scene)
  } else if (query.code) {
    candidate = decoded(query.code)
  }
  const code = candidate?.trim().toUpperCase()
  return code && CODE.test(code) ? code : null
}

/** Launch scenes of a code recognised in a picture (long-pressed in a chat, or picked from the album) rather than
 * scanned by the camera: a poster photographed and shared invites a check-in from somewhere else. */
const PICTURE_SCENES = new Set([1012, 1013, 1048, 1049])

export function fromPicture(scene: number | undefined): boolean {
  return scene !== undefined && PICTURE_SCENES.has(scene)
}
