import { afterEach, describe, expect, it, vi } from 'vitest'
import { MissingPartError, required } from './required.js'

describe('required: a missing real part fails CI and is named elsewhere', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.restoreAllMocks()
  })

  it('fails in CI with what the run would have left out', () => {
    vi.stubEnv('CI', 'true')
    expect(() => required(false, 'no Postgres at x', 'the race tests')).toThrow(MissingPartError)
    expect(() => required(false, 'no Postgres at x', 'the race tests')).toThrow(
      /no Postgres at x: CI needs it \(the race tests\)/,
    )
    expect(required(true, 'unused', 'unused')).toBe(true)
  })

  it('outside CI, warns what is skipped and lets the run go on', () => {
    vi.stubEnv('CI', '')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    expect(required(false, 'no Chromium', 'the browser tests are skipped')).toBe(false)
    expect(warn).toHaveBeenCalledWith('no Chromium: the browser tests are skipped')
  })
})
