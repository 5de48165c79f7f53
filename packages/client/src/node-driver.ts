// Loads the Node driver, better-sqlite3, turning its absence into an error that says what to do.
// Beside node.ts, outside the portable core (driver/portable.test.ts): only these touch Node.
import { TidingsError } from '@tidings/protocol'
import type BetterSqlite3 from 'better-sqlite3'

type DatabaseConstructor = typeof BetterSqlite3

/**
 * better-sqlite3 is an optional peer dependency (browser and React Native apps never need a
 * native module), so it is loaded here rather than imported statically: importing this entry
 * without it installed still works, and `openNodeDatabase` then says what to install instead of
 * Node's bare ERR_MODULE_NOT_FOUND.
 */
export const loadBetterSqlite3 = async (
  load: () => Promise<{ default: DatabaseConstructor }> = () => import('better-sqlite3'),
): Promise<() => DatabaseConstructor> => {
  try {
    const { default: Database } = await load()
    return () => Database
  } catch (error) {
    if (!isMissing(error, 'better-sqlite3')) throw error
    return () => {
      throw new TidingsError(
        'internal',
        '@tidings/client/node needs better-sqlite3, which is not installed: npm install better-sqlite3',
        { details: { missingPackage: 'better-sqlite3' }, cause: error },
      )
    }
  }
}

/** Node's "cannot find package X" (ESM and CommonJS spellings), not a failure inside X. */
const isMissing = (error: unknown, name: string): boolean => {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${name}'`)
  )
}
