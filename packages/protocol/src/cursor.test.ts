import { describe, expect, it } from 'vitest'
import { pokeIsNews } from './cursor.js'

describe('a live poke', () => {
  it('is news unless the cursor already stands at its position, plain or marked', () => {
    expect(pokeIsNews('12', null)).toBe(true)
    expect(pokeIsNews('12', '12')).toBe(false)
    expect(pokeIsNews('12', '12.12.abcdefghijklmnop')).toBe(false)
    expect(pokeIsNews('13', '12.12.abcdefghijklmnop')).toBe(true)
    expect(pokeIsNews('1', '12')).toBe(true)
  })
})
