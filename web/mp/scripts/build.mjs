// Builds the mini-program into dist/, the folder WeChat DevTools and miniprogram-ci open (project.config.json's
// miniprogramRoot): the TypeScript compiled by tsc, the WXML, WXSS and JSON copied, app.json checked against WeChat's
// schema, and miniprogram_npm/ packed from node_modules (Vant Weapp and @lianfang/shared, whose dist/ must be built:
// `npm run build` in web/shared). Offline: nothing here talks to WeChat.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(root, 'miniprogram')
const dist = join(root, 'dist')

if (!existsSync(join(root, 'node_modules/@lianfang/shared/dist/index.js'))) {
  console.error('web/shared is not built: run `npm run build` in web/shared first (make web does)')
  process.exit(1)
}

rmSync(dist, { recursive: true, force: true })
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit',
})
cpSync(source, dist, { recursive: true, filter: (path) => !path.endsWith('.ts') })

// The server the mini-program talks to: its request domain, set in WeChat's console too.
const origin = process.env.LIANFANG_MP_API_ORIGIN
if (origin) {
  const config = join(dist, 'config.js')
  writeFileSync(config, readFileSync(config, 'utf8').replace(/https:\/\/lianfang\.example\.cn/, origin))
}

// miniprogram-ci prints its own progress lines; keep the build quiet unless it fails.
const log = console.log
console.log = () => undefined
const ci = require('miniprogram-ci')
let packed
try {
  const appJson = JSON.parse(readFileSync(join(dist, 'app.json'), 'utf8'))
  const schema = ci.schemaValidate?.('app', appJson)
  if (schema && schema.error && schema.error.length) {
    console.error('app.json does not match WeChat’s schema:', JSON.stringify(schema.error, null, 1))
    process.exit(1)
  }
  packed = await ci.packNpmManually({ packageJsonPath: join(root, 'package.json'), miniprogramNpmDistDir: dist })
} finally {
  console.log = log
}
if (packed.warnList.length) console.warn(packed.warnList)
console.log(`dist/ built (${packed.miniProgramPackNum + packed.otherNpmPackNum} npm packages packed)`)
