import { DEFAULT_LIMITS, newId } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { identityUserName } from '../auth/jwt/jwt-users.js'
import { openStore } from '../store/kysely-store.js'
import { tempSqlite } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { exportBundles } from './export.js'
import { importBundles } from './import.js'
import { readLines } from './ndjson.js'
import { chunked, streamOf } from './testing.js'

describe('export and import of users an identity provider signs in', () => {
  it('keep the identity, so its next JWT finds the imported user and its data', async () => {
    const [sourceDb, targetDb] = [await tempSqlite(), await tempSqlite()]
    const [source, target] = [await openStore(sourceDb.url), await openStore(targetDb.url)]
    const identity = { issuer: 'https://id.example.test/realms/app', subject: 'user-42' }
    const name = identityUserName(identity.issuer, identity.subject)
    const user = await source.userOfIdentity({ ...identity, id: newId(), name, now: 1_000 })
    const client = new TestClient()
    await source.registerClients(user.id, [client.id], Date.now())
    const bundles = [client.bundle(), client.bundle()]
    await source.push({ stream: user.id, bundles, now: Date.now() })

    let text = ''
    await exportBundles(source, {
      write: async (chunk) => {
        text += chunk
      },
    })
    expect(text).toContain(`"identity":${JSON.stringify(identity)}`)
    const summary = await importBundles(target, {
      lines: readLines(chunked(text), DEFAULT_LIMITS.maxBodyBytes),
      limits: DEFAULT_LIMITS,
    })
    expect(summary).toMatchObject({ added: 2, createdUsers: [name] })

    // The provider's next sign-in lands on the imported user, not on a new empty one.
    const signedIn = await target.userOfIdentity({ ...identity, id: newId(), name, now: 2_000 })
    expect(signedIn).toMatchObject({ name, createdAt: 1_000 })
    expect((await streamOf(target, name)).map((b) => b.id)).toEqual(bundles.map((b) => b.id))
    expect((await target.listUsers()).map((u) => u.identity)).toEqual([identity])
    await source.close()
    await target.close()
    await sourceDb.dispose()
    await targetDb.dispose()
  })
})
