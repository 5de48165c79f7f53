import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION, ROUTES } from './routes.js'

describe('ROUTES', () => {
  it('are all distinct and under the protocol version prefix', () => {
    const paths = Object.values(ROUTES)
    expect(new Set(paths).size).toBe(paths.length)
    for (const path of paths) expect(path.startsWith(`/v${PROTOCOL_VERSION}/`)).toBe(true)
  })
})
