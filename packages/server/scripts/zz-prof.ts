import { messageSchemas, parseWire } from '@tidings/protocol'
import { buildApp } from '../src/http/app.js'
import { openStore } from '../src/store/kysely-store.js'
import { addUser } from '../src/auth/users.js'
import { TestClient } from '../src/testing/fixtures.js'
const db = process.argv[2] ?? 'memory'
const store = await openStore(db)
const app = await buildApp({ store })
const u = await addUser(store, 'p' + Date.now())
const d = new TestClient()
const schemas = messageSchemas()
const bodies = Array.from({ length: 1000 }, () => d.syncBody([d.bundle({ count: 5, value: 'x'.repeat(300) })]))
let t = performance.now()
for (const b of bodies) parseWire(schemas.syncRequest, b, 'x')
console.log('zod parse ms/req', (performance.now() - t) / bodies.length)
const json = bodies.map((b) => JSON.stringify(b))
t = performance.now()
for (const j of json) JSON.parse(j)
console.log('JSON.parse ms/req', (performance.now() - t) / bodies.length)
t = performance.now()
let cursor = null
for (const b of bodies) { const r = await app.inject({ method: 'POST', url: '/v1/sync', headers: { authorization: `Bearer ${u.token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ ...b, cursor }) }); cursor = r.json().cursor }
console.log('inject sync ms/req', (performance.now() - t) / bodies.length)
t = performance.now()
for (const j of json.slice(0, 500)) await app.inject({ method: 'GET', url: '/v1/health' })
console.log('inject health ms/req', (performance.now() - t) / 500)
await app.close(); await store.close()
