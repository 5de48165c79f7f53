import { newId } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { TestClient } from '../../testing/fixtures.js'
import { horizonBefore, keptEvents, Winners } from './plan.js'

/** What compaction keeps of one bundle, given the winners of its stream. */
describe('keptEvents', () => {
  const device = new TestClient(() => Date.parse('2026-01-01T00:00:00.000Z'))
  const entity = newId()
  const old = device.event({ entity, value: 'old' })
  const deleted = device.event({ entity, attribute: 'deleted', value: true })
  const undeleted = device.event({ entity, attribute: 'deleted', value: false })
  const restored = device.event({ entity, attribute: 'deleted', value: false })
  const latest = device.event({ entity, value: 'new' })
  const winners = new Winners()
  winners.addAll([old, deleted, undeleted, restored, latest])
  const below = horizonBefore(Date.parse('2026-02-01T00:00:00.000Z'), 0)

  it('drops superseded events below the horizon, keeping winners and every delete', () => {
    const bundle = {
      hlc: latest.hlc,
      events: [old, deleted, undeleted, restored, latest],
      part: false,
    }
    expect(keptEvents(bundle, below, winners)).toEqual([deleted, restored, latest])
    expect(winners.size).toBe(2)
  })

  it('leaves a bundle at or above the horizon as it is', () => {
    const bundle = { hlc: old.hlc, events: [old], part: false }
    expect(keptEvents(bundle, old.hlc, winners)).toEqual([old])
    expect(keptEvents(bundle, below, winners)).toEqual([])
  })

  it('never empties a part of a bigger transaction: it keeps its latest event', () => {
    const bundle = { hlc: undeleted.hlc, events: [old, undeleted], part: true }
    expect(keptEvents(bundle, below, winners)).toEqual([undeleted])
  })
})
