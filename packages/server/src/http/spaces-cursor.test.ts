import { describe, expect, it } from 'vitest'
import { formatSpacesCursor, parseSpacesCursor } from './cursor.js'

const mark = 'abcdefghijklmn_-'
const feedMark = 'ABCD_-12'

describe('protocol 3 cursor text', () => {
  it('reads every cursor given before spaces as feed position 0', () => {
    expect(parseSpacesCursor(null)).toEqual({
      after: 0,
      readable: true,
      feed: { after: 0, within: 0 },
    })
    expect(parseSpacesCursor('42')).toEqual({
      after: 42,
      readable: true,
      feed: { after: 0, within: 0 },
    })
    expect(parseSpacesCursor(`40.42.${mark}`)).toEqual({
      after: 40,
      check: { seq: 42, mark },
      readable: true,
      feed: { after: 0, within: 0 },
    })
  })

  it('carries the feed position in base 36 after a colon, with its mark', () => {
    const text = formatSpacesCursor(
      { after: 40, head: { seq: 42, mark } },
      { after: 1_000, within: 36, mark: feedMark },
    )
    expect(text).toBe(`40.42.${mark}:rs.10.${feedMark}`)
    expect(parseSpacesCursor(text)).toEqual({
      after: 40,
      check: { seq: 42, mark },
      readable: true,
      feed: { after: 1_000, within: 36, check: feedMark },
    })
    expect(parseSpacesCursor('7:3.0')).toEqual({
      after: 7,
      readable: true,
      feed: { after: 3, within: 0 },
    })
  })

  it('keeps the old form for a user whose feed is empty', () => {
    expect(
      formatSpacesCursor({ after: 1, head: { seq: 1, mark } }, { after: 0, within: 0, mark: null }),
    ).toBe(`1.1.${mark}`)
  })

  it('stays within 64 characters of the wire alphabet whatever the positions', () => {
    const huge = 10 ** 15 - 1 // the longest position a cursor has ever carried
    const text = formatSpacesCursor(
      { after: huge, head: { seq: huge, mark } },
      { after: huge, within: huge, mark: feedMark },
    )
    expect(text.length).toBeLessThanOrEqual(64)
    expect(text).toMatch(/^[0-9A-Za-z_.:-]*$/)
    expect(parseSpacesCursor(text).feed).toEqual({ after: huge, within: huge })
  })

  it('reads a cursor it never gave out as unreadable: a full replay, never an error', () => {
    for (const text of ['1:', ':1.0', '1:x', '1:1.0.short', 'abc:1.0', '5.4.abcdefghijklmn_-:1.0'])
      expect(parseSpacesCursor(text)).toEqual({
        after: 0,
        readable: false,
        feed: { after: 0, within: 0 },
      })
  })
})
