import { fileURLToPath, URL } from 'node:url'

import { VantResolver } from '@vant/auto-import-resolver'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { defineConfig } from 'vitest/config'

import { iconFontAsFile, precompress, stylesheetsAfterShell } from './build/precompress'

const page = (name: string): string => fileURLToPath(new URL(`./${name}.html`, import.meta.url))

// One multi-page app: c.html (the resident's check-in page, served for /c/<code>) and staff.html (the gate staff's view,
// served for /staff/), both under /h5/ with their hashed assets in /h5/assets/.
export default defineConfig({
  base: '/h5/',
  plugins: [iconFontAsFile(), vue(), Components({ dts: false, resolvers: [VantResolver()] }), stylesheetsAfterShell(), precompress()],
  build: {
    target: 'es2019',
    rollupOptions: {
      input: { c: page('c'), staff: page('staff') },
      // Vue and Vant in one chunk both pages share, cached across them; our shared code (web/shared and src/shared) in another.
      output: {
        manualChunks: (id) =>
          /\/node_modules\/(@vue|vue)\/|plugin-vue:export-helper/.test(id)
            ? 'vendor'
            : /\/(src\/shared|web\/shared\/src)\//.test(id)
              ? 'shared'
              : undefined,
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8000' } },
  // Vant's components import their stylesheets, which Node cannot load: let Vite handle them in tests too.
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.ts'],
    server: { deps: { inline: ['vant'] } },
    // One jsdom and one module graph per worker, not per file: setting them up per file took
    // most of the run (24 CPU-s against 10). The setup file puts back, after every test,
    // what a test can leave in the shared jsdom.
    isolate: false,
    setupFiles: ['./tests/setup.ts'],
  },
})
