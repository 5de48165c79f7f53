import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { DIST } from './harness.js'

// The built example app (global-setup builds it): what ships to the browser.
const assets = join(DIST, 'assets')
const files = readdirSync(assets)
const read = (name: string) => readFileSync(join(assets, name))
const find = (pattern: RegExp) => {
  const name = files.find((file) => pattern.test(file))
  if (!name) throw new Error(`no ${pattern} in ${assets}: ${files.join(', ')}`)
  return name
}
const page = find(/^index-.*\.js$/)
const worker = find(/^tidings\.worker-.*\.js$/)
const wasm = find(/\.wasm$/)

/** Server code and native modules that must never reach a browser bundle. */
const SERVER_MARKERS = [
  /fastify/i,
  /better-sqlite3/,
  /pg-protocol|pg-pool/,
  /@tidings\/server/,
  /\bfrom\s*["']node:/,
  /require\(["'](node:)?(fs|net|child_process|worker_threads)["']\)/,
  /\.node["']\)/,
]

describe('browser bundle of the example app', () => {
  it('contains no server code and no native module', () => {
    expect(files.filter((file) => file.endsWith('.node'))).toEqual([])
    for (const name of files.filter((file) => file.endsWith('.js'))) {
      const text = read(name).toString('utf8')
      for (const marker of SERVER_MARKERS)
        expect({ name, found: marker.test(text) }).toEqual({ name, found: false })
    }
  })

  it('keeps SQLite and the client core in the worker, out of the page', () => {
    const pageText = read(page).toString('utf8')
    const workerText = read(worker).toString('utf8')
    expect(workerText).toContain('sqlite3_step')
    expect(pageText).not.toContain('sqlite3_step')
    expect(pageText).not.toMatch(/\bKysely\b/)
  })

  it('prints its sizes (gzip) for the note', () => {
    const size = (name: string) => {
      const bytes = read(name)
      return {
        file: name,
        kB: +(bytes.length / 1024).toFixed(1),
        gzipKB: +(gzipSync(bytes).length / 1024).toFixed(1),
      }
    }
    const rows = [size(page), size(worker), size(wasm)]
    console.log(
      'bundle sizes (page = app + React + RPC proxy; worker = client core + wa-sqlite JS):',
    )
    console.table(rows)
    const total = rows.reduce((sum, row) => sum + row.gzipKB, 0)
    console.log(`total gzip: ${total.toFixed(1)} kB (page + worker + wasm)`)
    expect(rows.every((row) => row.gzipKB > 0)).toBe(true)
  })
})
