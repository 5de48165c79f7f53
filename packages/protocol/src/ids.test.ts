import { UUID } from 'uuidv7'
import { describe, expect, it } from 'vitest'
import { isUuid, newId } from './ids.js'

describe('newId', () => {
  it('is a lowercase UUID of version 7', () => {
    const id = newId()
    expect(isUuid(id)).toBe(true)
    expect(id[14]).toBe('7')
  })

  it('is the canonical text of its bytes, as the library spells it', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newId()
      expect(UUID.parse(id).toString()).toBe(id)
    }
  })

  it('sorts in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, newId)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('isUuid rejects uppercase and other spellings', () => {
    const id = newId()
    expect(isUuid(id.toUpperCase())).toBe(false)
    expect(isUuid(id.replaceAll('-', ''))).toBe(false)
    expect(isUuid(`{${id}}`)).toBe(false)
  })
})
