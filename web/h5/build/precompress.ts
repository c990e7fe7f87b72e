import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

import type { Plugin } from 'vite'

const COMPRESSIBLE = /\.(?:js|mjs|css|svg|json)$/
// Below this a compressed copy saves less than the headers it costs (nginx's gzip_min_length is the same).
const MIN_BYTES = 1024

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* files(path)
    else yield path
  }
}

/**
 * Writes `<file>.br` and `<file>.gz` beside every script and stylesheet of the build, at the strongest settings (done
 * once, at build time): nginx sends them with `brotli_static`/`gzip_static`, the all-in-one server likewise, so no
 * request pays for compressing. The pages themselves are not among them: `c.html` is filled in per request.
 */
export function precompress(folder = 'assets'): Plugin {
  let outDir = 'dist'
  return {
    name: 'lianfang-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = join(config.root, config.build.outDir)
    },
    closeBundle() {
      for (const path of files(join(outDir, folder))) {
        if (!COMPRESSIBLE.test(path)) continue
        const content = readFileSync(path)
        if (content.length < MIN_BYTES) continue
        writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }))
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(content, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
            },
          }),
        )
      }
    },
  }
}

/**
 * Moves the stylesheets Vite puts in <head> to the end of <body>: in <head> they hold back the first paint until they
 * arrive (the vendor sheet alone is a second on a slow line), at the end of <body> they hold back only the script, which
 * waits for them anyway, while the server's shell above them shows at once.
 */
export function stylesheetsAfterShell(): Plugin {
  return {
    name: 'lianfang-stylesheets-after-shell',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, context) {
        if (!context.filename.endsWith('c.html')) return html
        const sheets: string[] = []
        const rest = html.replace(/\s*<link rel="stylesheet"[^>]*>/g, (link) => {
          sheets.push(link.trim())
          return ''
        })
        return rest.replace('</body>', `  ${sheets.join('\n    ')}\n  </body>`)
      },
    },
  }
}

/**
 * Vant's icon stylesheet carries its font inline (some 25 KB of base64 that no compression shrinks) and names a
 * fallback on a CDN. Here the font becomes a file of its own, fetched only when an icon is drawn and cached for good,
 * so the stylesheet every page waits for is that much lighter; the CDN fallback goes (the CSP would refuse it anyway).
 */
export function iconFontAsFile(): Plugin {
  const inline = /src:url\(data:font\/woff2;charset=utf-8;base64,([A-Za-z0-9+/=]+)\) format\("woff2"\)(?:,url\([^)]*\) format\("woff"\))?/
  return {
    name: 'lianfang-icon-font-as-file',
    enforce: 'pre',
    transform(code, id) {
      if (!id.replace(/\\/g, '/').endsWith('/vant/es/icon/index.css')) return null
      const match = inline.exec(code)
      if (!match) return null
      const cache = join(dirname(id), '..', '..', '..', '.cache', 'lianfang')
      mkdirSync(cache, { recursive: true })
      const font = join(cache, 'vant-icon.woff2')
      writeFileSync(font, Buffer.from(match[1], 'base64'))
      const url = relative(dirname(id), font).replace(/\\/g, '/')
      return { code: code.replace(match[0], `src:url("${url}") format("woff2")`), map: null }
    },
  }
}
