import { uuidv7 } from 'uuidv7'

/** Canonical lowercase UUID text, any version. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A new time-ordered id (UUIDv7) for an entity, event, bundle or client. */
export const newId = (): string => uuidv7()

export const isUuid = (value: string): boolean => UUID_PATTERN.test(value)
