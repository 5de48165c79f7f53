import { describe, expect, it } from 'vitest'
import { createLiveSync } from './create-live-sync.js'

const base = { sync: async () => {}, idle: async () => {}, cursor: () => null, onError: () => {} }

describe('createLiveSync', () => {
  it('makes none without a server, or when the app opts out with live: false', () => {
    expect(createLiveSync({ ...base, server: undefined })).toBeNull()
    expect(
      createLiveSync({ ...base, server: { url: 'http://one', token: 't', live: false } }),
    ).toBeNull()
  })

  it('makes one, not yet started, for a server', () => {
    const live = createLiveSync({
      ...base,
      server: { url: ['http://one', 'http://two'], token: 't' },
    })
    expect(live?.started).toBe(false)
  })
})
