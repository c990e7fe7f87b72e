import { afterEach, vi } from 'vitest'

// The test files share one jsdom (`isolate: false`): what a test stored or stubbed is put back after it.
afterEach(() => {
  localStorage.clear()
  sessionStorage.clear()
  vi.unstubAllGlobals()
  document.body.replaceChildren()
})
