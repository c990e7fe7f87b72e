import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // miniprogram-simulate renders into jsdom and runs the built pages (dist/) with Node's own require.
    environment: 'jsdom',
    include: ['tests/**/*.test.ts'],
    // simulate keeps its registry in module globals: one file at a time, each in its own process.
    pool: 'forks',
    fileParallelism: false,
  },
})
