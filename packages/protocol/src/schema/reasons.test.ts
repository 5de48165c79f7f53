import { describe, expect, it } from 'vitest'
import { TidingsError } from '../errors.js'
import { t } from './attr.js'
import { defineSchema } from './define.js'
import { schemaReason } from './reasons.js'
import { checkCreate, checkPatch } from './validate.js'

const schema = defineSchema({
  note: { title: t.string(), pages: t.number().optional(), due: t.date().optional() },
})

/** The refusal `run` throws: its reason and the field it names. */
const refusal = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(TidingsError)
    return { reason: schemaReason(error), details: (error as TidingsError).details }
  }
  throw new Error('expected a refusal')
}

describe('schema refusals carry a stable reason and the field', () => {
  it('names unknown types and attributes, wrong values and missing ones', () => {
    expect(refusal(() => checkCreate(schema, 'book', {}))).toEqual({
      reason: 'unknown_type',
      details: { reason: 'unknown_type', field: 'book' },
    })
    expect(
      refusal(() => checkCreate(schema, 'note', { title: 'a', colour: 'red' })).details,
    ).toEqual({ reason: 'unknown_attribute', field: 'note.colour' })
    expect(refusal(() => checkCreate(schema, 'note', { title: 3 })).details).toEqual({
      reason: 'wrong_value',
      field: 'note.title',
    })
    expect(refusal(() => checkPatch(schema, 'note', { due: 'tomorrow' })).reason).toBe(
      'wrong_value',
    )
    expect(refusal(() => checkPatch(schema, 'note', { title: null })).reason).toBe('wrong_value')
    expect(refusal(() => checkCreate(schema, 'note', {})).details).toEqual({
      reason: 'missing_attribute',
      field: 'note.title',
    })
    expect(refusal(() => checkCreate(schema, 'note', { id: 'a b', title: 'x' })).reason).toBe(
      'bad_id',
    )
    expect(refusal(() => checkPatch(schema, 'note', { id: 'other' })).reason).toBe('bad_id')
    expect(refusal(() => checkPatch(schema, 'note', [1])).reason).toBe('bad_fields')
  })

  it('answers no reason for other errors', () => {
    expect(schemaReason(new TidingsError('forbidden', 'no'))).toBeUndefined()
    expect(schemaReason(new TidingsError('bad_request', 'no', { details: { reason: 'x' } }))).toBe(
      undefined,
    )
    expect(schemaReason(new Error('no'))).toBeUndefined()
  })
})
