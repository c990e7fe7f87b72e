// The check-in page's first visit must stay under 150 KB gzipped: c.html and every script and stylesheet it loads
// (its entry and the chunks it preloads), measured on the built files. Run after `vite build`; fails the build past it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const BUDGET = 150 * 1024
const dist = new URL('../dist/', import.meta.url).pathname
const html = readFileSync(join(dist, 'c.html'), 'utf8')
const assets = [...html.matchAll(/(?:src|href)="\/h5\/(assets\/[^"]+\.(?:js|css))"/g)].map((match) => match[1])
const files = ['c.html', ...new Set(assets)]
let total = 0
for (const file of files) {
  const size = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length
  total += size
  console.log(`  ${(size / 1024).toFixed(1).padStart(6)} KB  ${file}`)
}
console.log(`check-in page, first visit: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB)`)
if (total > BUDGET) {
  console.error('over budget: the check-in page must load under 150 KB gzipped on a weak network')
  process.exit(1)
}
