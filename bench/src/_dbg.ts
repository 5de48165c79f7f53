import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
import { startServerProcess } from './child.js'
import { loadSync, syncConnections } from './load.js'
import { tempDatabase } from './pg.js'
const db = await tempDatabase()
console.error('db', db.url)
try {
  const s = await startServerProcess({ kind: 'tidings', db: db.url, users: 50 })
  console.error('started', s.url)
  const c = syncConnections(s.tokens)
  for (let i = 0; i < 3; i++) { try { console.error(await loadSync(s.url, c, 1)) } catch (e) { console.error('LOADERR', e) } }
  console.error('stopping', s.pid); const t0 = Date.now(); const iv = setInterval(() => console.error('waiting', Date.now() - t0, require('node:fs').existsSync('/proc/' + s.pid)), 3000); await s.stop(); clearInterval(iv)
  console.error('stopped')
} catch (e) { console.error('ERR', e) }
await db.drop()
console.error('dropped')
