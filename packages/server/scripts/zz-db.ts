import pg from 'pg'
import { addUser } from '../src/auth/users.js'
import { authenticate } from '../src/auth/authenticate.js'
import { openStore } from '../src/store/kysely-store.js'
import { freshPostgres } from '../src/testing/backends.js'
import { TestClient } from '../src/testing/fixtures.js'
const fresh = await freshPostgres()
const store = await openStore(fresh.url)
const users = await Promise.all(Array.from({ length: 50 }, (_, i) => addUser(store, `u${i}`)))
const dur = 6000
let n = 0
let end = Date.now() + dur
await Promise.all(users.map(async (u) => {
  const d = new TestClient()
  let cursor = 0
  while (Date.now() < end) {
    await authenticate(store, `Bearer ${u.token}`)
    await store.push({ stream: u.id, bundles: [d.bundle({ count: 5, value: 'x'.repeat(300) })], now: Date.now() })
    const p = await store.pull({ stream: u.id, after: cursor, limit: 500, maxEvents: 10000, excludeClient: d.id })
    cursor = p.cursor
    n++
  }
}))
console.log('store auth+push+pull /s', n / (dur / 1000))
n = 0; end = Date.now() + dur
await Promise.all(users.map(async (u) => {
  const d = new TestClient()
  while (Date.now() < end) {
    await store.push({ stream: u.id, bundles: [d.bundle({ count: 5, value: 'x'.repeat(300) })], now: Date.now() })
    n++
  }
}))
console.log('store push only /s', n / (dur / 1000))
await store.close()
const pool = new pg.Pool({ connectionString: fresh.url, max: 20 })
await pool.query('create table raw (id bigserial primary key, body text)')
n = 0; end = Date.now() + dur
const body = 'y'.repeat(2048)
await Promise.all(Array.from({ length: 50 }, async () => { while (Date.now() < end) { await pool.query('insert into raw (body) values ($1)', [body]); n++ } }))
console.log('raw insert (pool 20) /s', n / (dur / 1000))
await pool.end()
await fresh.dispose()
