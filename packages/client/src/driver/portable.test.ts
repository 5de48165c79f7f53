import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = fileURLToPath(new URL('..', import.meta.url))
const CORE = ['api', 'driver', 'schema', 'store', 'sync']

/** The core runs in a browser worker too: only `node.ts` and tests may touch Node. */
describe('the client core is portable', () => {
  it('imports no Node module and no native driver outside node.ts and tests', () => {
    const offenders: string[] = []
    for (const folder of CORE) {
      for (const file of readdirSync(join(src, folder))) {
        if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue
        const text = readFileSync(join(src, folder, file), 'utf8')
        if (/from '(node:[^']+|better-sqlite3|fs|path|os|child_process)'/.test(text))
          offenders.push(`${folder}/${file}`)
        if (/\bprocess\.|\bBuffer\b/.test(text)) offenders.push(`${folder}/${file} (Node global)`)
      }
    }
    expect(offenders).toEqual([])
  })
})
