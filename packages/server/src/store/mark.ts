import { createHash } from 'node:crypto'

/**
 * The mark of the bundle at a stream position, as cursors carry it (see `http/cursor.ts`): its
 * content hash and its arrival time, so the same bundle pushed again after a restore (a later
 * arrival) never passes for the one a client saw there. 16 base64url characters, 96 bits.
 */
export const markOf = (hash: string, receivedAt: number | string): string =>
  createHash('sha256')
    .update(`${hash}\n${Number(receivedAt)}`)
    .digest('base64url')
    .slice(0, 16)
