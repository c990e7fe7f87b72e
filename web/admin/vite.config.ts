import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// `make run` serves dist/ at /admin/; `npm run dev` proxies the API to a running all-in-one server.
export default defineConfig({
  base: '/admin/',
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  plugins: [
    vue(),
    Components({ resolvers: [ElementPlusResolver()], dts: false }),
  ],
  server: { proxy: { '/api': process.env.LIANFANG_URL ?? 'http://127.0.0.1:8000' } },
  // ECharts (~540 kB, 186 kB gzipped, even with only the line and bar charts) loads with the dashboard alone.
  build: { chunkSizeWarningLimit: 600 },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    server: { deps: { inline: ['element-plus'] } },
    // One jsdom and one module graph per worker, not per file: setting them up per file took
    // two thirds of the run (36 CPU-s against 19). The setup file puts back, after every test,
    // what a test can leave in the shared jsdom.
    isolate: false,
    setupFiles: ['./src/test-setup.ts'],
  },
})
