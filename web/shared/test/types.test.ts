import { readFileSync } from 'node:fs'

import { describe, expect, it } from 'vitest'

import { modulePath, render, SERVICES } from '../scripts/types.mjs'

// The OpenAPI documents themselves are checked against the services by pytest (`lianfang openapi`); together the two
// checks keep these types from drifting from the services.
describe('the generated API types', () => {
  it.each(SERVICES)('are what %s’s OpenAPI document generates (else run `make types`)', async (service) => {
    expect(await render(service)).toBe(readFileSync(modulePath(service), 'utf8'))
  })
})
