import { newId, ROUTES, routePath } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { addUser } from '../../auth/users.js'
import { appSuite } from '../../testing/app-suite.js'
import { TEST_BACKENDS } from '../../testing/backends.js'

/** Who calls: a role in the space, someone never in it, or a member since removed. */
type Who = 'owner' | 'writer' | 'reader' | 'outsider' | 'removed'
const EVERYONE: Who[] = ['owner', 'writer', 'reader', 'outsider', 'removed']

/**
 * The authorization matrix of DESIGN §8: every route × every kind of caller, each cell on a
 * fresh space (owner, writer, reader, a removed member, an outsider) and the status it answers.
 * 403 tells a caller who may not manage the space no more than it would learn of a space that
 * does not exist; 404 answers a member list to a non-member, or a leave by one.
 */
const MATRIX: Array<{
  does: string
  call: (s: Setup, who: Who) => { method: Method; url: string; body?: unknown }
  answers: Record<Who, number>
  /** The call may change the space: each caller gets a fresh one. */
  changes?: true
}> = [
  {
    does: 'list members',
    call: (s) => ({ method: 'GET', url: routePath(ROUTES.members, { space: s.space }) }),
    answers: { owner: 200, writer: 200, reader: 200, outsider: 404, removed: 404 },
  },
  {
    does: 'change another member’s role',
    call: (s, who) => ({
      method: 'PUT',
      url: routePath(ROUTES.member, { space: s.space, user: s.ids[another(who)] }),
      body: { role: 'owner' },
    }),
    answers: { owner: 200, writer: 403, reader: 403, outsider: 403, removed: 403 },
    changes: true,
  },
  {
    does: 'promote itself to owner',
    call: (s, who) => ({
      method: 'PUT',
      url: routePath(ROUTES.member, { space: s.space, user: s.ids[who] }),
      body: { role: 'owner' },
    }),
    answers: { owner: 200, writer: 403, reader: 403, outsider: 403, removed: 403 },
    changes: true,
  },
  {
    does: 'remove another member',
    call: (s, who) => ({
      method: 'DELETE',
      url: routePath(ROUTES.member, { space: s.space, user: s.ids[another(who)] }),
    }),
    answers: { owner: 204, writer: 403, reader: 403, outsider: 403, removed: 403 },
    changes: true,
  },
  {
    does: 'leave (remove itself)',
    call: (s, who) => ({
      method: 'DELETE',
      url: routePath(ROUTES.member, { space: s.space, user: s.ids[who] }),
    }),
    answers: { owner: 409, writer: 204, reader: 204, outsider: 404, removed: 404 },
    changes: true,
  },
  {
    does: 'create an invite',
    call: (s) => ({
      method: 'POST',
      url: routePath(ROUTES.invites, { space: s.space }),
      body: { role: 'writer' },
    }),
    answers: { owner: 201, writer: 403, reader: 403, outsider: 403, removed: 403 },
    changes: true,
  },
  {
    does: 'list invites',
    call: (s) => ({ method: 'GET', url: routePath(ROUTES.invites, { space: s.space }) }),
    answers: { owner: 200, writer: 403, reader: 403, outsider: 403, removed: 403 },
  },
  {
    does: 'revoke an invite',
    call: (s) => ({
      method: 'DELETE',
      url: routePath(ROUTES.invite, { space: s.space, invite: s.invite }),
    }),
    answers: { owner: 204, writer: 403, reader: 403, outsider: 403, removed: 403 },
    changes: true,
  },
  {
    does: 'accept a good invite',
    call: (s) => ({ method: 'POST', url: ROUTES.acceptInvite, body: { code: s.code } }),
    answers: { owner: 200, writer: 200, reader: 200, outsider: 200, removed: 200 },
    changes: true,
  },
  {
    does: 'accept an unknown code',
    call: () => ({ method: 'POST', url: ROUTES.acceptInvite, body: { code: 'A'.repeat(43) } }),
    answers: { owner: 404, writer: 404, reader: 404, outsider: 404, removed: 404 },
  },
  {
    does: 'accept a used-up invite',
    call: (s) => ({ method: 'POST', url: ROUTES.acceptInvite, body: { code: s.usedUp } }),
    // A member whose role is as high already keeps it and uses nothing: the writer too.
    answers: { owner: 200, writer: 200, reader: 410, outsider: 410, removed: 410 },
  },
  {
    does: 'accept an expired invite',
    call: (s) => ({ method: 'POST', url: ROUTES.acceptInvite, body: { code: s.expired } }),
    // A member whose role is as high already keeps it and uses nothing: the writer too.
    answers: { owner: 200, writer: 200, reader: 410, outsider: 410, removed: 410 },
  },
  {
    does: 'accept a revoked invite',
    call: (s) => ({ method: 'POST', url: ROUTES.acceptInvite, body: { code: s.revoked } }),
    // A member whose role is as high already keeps it and uses nothing: the writer too.
    answers: { owner: 200, writer: 200, reader: 410, outsider: 410, removed: 410 },
  },
  {
    does: 'create a space',
    call: () => ({ method: 'POST', url: ROUTES.spaces, body: { name: 'mine' } }),
    answers: { owner: 201, writer: 201, reader: 201, outsider: 201, removed: 201 },
    changes: true,
  },
  {
    does: 'list its spaces',
    call: () => ({ method: 'GET', url: ROUTES.spaces }),
    answers: { owner: 200, writer: 200, reader: 200, outsider: 200, removed: 200 },
  },
]

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

/** A member other than the caller: the writer, or the reader when the writer calls. */
const another = (who: Who): Who => (who === 'writer' ? 'reader' : 'writer')

interface Setup {
  space: string
  ids: Record<Who, string>
  tokens: Record<Who, string>
  /** A good invite (reader), a used-up one, an expired one and a revoked one (all writer). */
  code: string
  invite: string
  usedUp: string
  expired: string
  revoked: string
}

describe.each(TEST_BACKENDS)('who may do what with a space, on $name', (backend) => {
  let clock = Date.now()
  const suite = appSuite(backend, { rateLimit: false, now: () => clock })

  const call = async (
    token: string | null,
    req: { method: Method; url: string; body?: unknown },
  ) => {
    const res = await suite.app.inject({
      method: req.method,
      url: req.url,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      ...(req.body !== undefined && { payload: req.body as Record<string, unknown> }),
    })
    return { status: res.statusCode, body: res.body === '' ? null : res.json() }
  }
  const ok = async (token: string, req: { method: Method; url: string; body?: unknown }) => {
    const res = await call(token, req)
    if (res.status >= 300) throw new Error(`setup ${req.method} ${req.url}: ${JSON.stringify(res)}`)
    return res.body
  }

  const setup = async (): Promise<Setup> => {
    const users = {} as Record<Who, { id: string; token: string }>
    for (const who of EVERYONE)
      users[who] = await addUser(suite.store, `${who}-${newId().slice(-12)}`)
    const t = (who: Who) => users[who].token
    const { space } = await ok(t('owner'), {
      method: 'POST',
      url: ROUTES.spaces,
      body: { name: 'matrix' },
    })
    const invite = (body: Record<string, unknown>) =>
      ok(t('owner'), { method: 'POST', url: routePath(ROUTES.invites, { space: space.id }), body })
    const accept = (who: Who, code: string) =>
      ok(t(who), { method: 'POST', url: ROUTES.acceptInvite, body: { code } })
    for (const who of ['writer', 'reader', 'removed'] as const)
      await accept(who, (await invite({ role: who === 'reader' ? 'reader' : 'writer' })).code)
    await ok(t('owner'), {
      method: 'DELETE',
      url: routePath(ROUTES.member, { space: space.id, user: users.removed.id }),
    })
    const good = await invite({ role: 'reader' })
    const usedUp = await invite({ role: 'writer', maxUses: 1 })
    await accept('reader', usedUp.code) // raises the reader: the use is taken
    await ok(t('owner'), {
      method: 'PUT',
      url: routePath(ROUTES.member, { space: space.id, user: users.reader.id }),
      body: { role: 'reader' },
    })
    const expired = await invite({ role: 'writer', expiresInSeconds: 1 })
    const revoked = await invite({ role: 'writer' })
    await ok(t('owner'), {
      method: 'DELETE',
      url: routePath(ROUTES.invite, { space: space.id, invite: revoked.invite.id }),
    })
    clock += 2_000 // the expired invite is past its second now
    const pick = <T>(f: (who: Who) => T) =>
      Object.fromEntries(EVERYONE.map((who) => [who, f(who)])) as Record<Who, T>
    return {
      space: space.id,
      ids: pick((who) => users[who].id),
      tokens: pick(t),
      code: good.code,
      invite: good.invite.id,
      usedUp: usedUp.code,
      expired: expired.code,
      revoked: revoked.code,
    }
  }

  let shared: Setup | undefined
  it.each(MATRIX)('$does', async ({ call: request, answers, changes }) => {
    const seen = {} as Record<Who, number>
    for (const who of EVERYONE) {
      if (changes || !shared) shared = await setup()
      const s = shared
      const res = await call(s.tokens[who], request(s, who))
      seen[who] = res.status
      if (res.status >= 400)
        expect(res.body, `${who}: ${JSON.stringify(res.body)}`).toHaveProperty('error.code')
    }
    expect(seen).toEqual(answers)
  })

  it('refuses every space route without a token, and malformed paths and bodies', async () => {
    const s = await setup()
    const member = routePath(ROUTES.member, { space: s.space, user: s.ids.writer })
    for (const [method, url] of [
      ['GET', ROUTES.spaces],
      ['POST', ROUTES.spaces],
      ['GET', routePath(ROUTES.members, { space: s.space })],
      ['PUT', member],
      ['DELETE', member],
      ['POST', routePath(ROUTES.invites, { space: s.space })],
      ['GET', routePath(ROUTES.invites, { space: s.space })],
      ['DELETE', routePath(ROUTES.invite, { space: s.space, invite: s.invite })],
      ['POST', ROUTES.acceptInvite],
    ] as const)
      expect((await call(null, { method, url, body: {} })).status, `${method} ${url}`).toBe(401)
    const owner = s.tokens.owner
    const bad = async (req: { method: Method; url: string; body?: unknown }) => {
      const res = await call(owner, req)
      return [res.status, res.body?.error?.code]
    }
    expect(await bad({ method: 'GET', url: '/v1/spaces/not-a-uuid/members' })).toEqual([
      400,
      'bad_request',
    ])
    expect(await bad({ method: 'POST', url: ROUTES.spaces, body: { name: '  ' } })).toEqual([
      400,
      'bad_request',
    ])
    expect(
      await bad({ method: 'POST', url: ROUTES.spaces, body: { name: 'x', owner: s.ids.writer } }),
    ).toEqual([400, 'bad_request'])
    expect(await bad({ method: 'PUT', url: member, body: { role: 'admin' } })).toEqual([
      400,
      'bad_request',
    ])
    const invites = routePath(ROUTES.invites, { space: s.space })
    expect(
      await bad({ method: 'POST', url: invites, body: { role: 'reader', maxUses: 0 } }),
    ).toEqual([400, 'bad_request'])
    expect(
      await bad({ method: 'POST', url: invites, body: { role: 'reader', expiresInSeconds: 0 } }),
    ).toEqual([400, 'bad_request'])
    expect(
      await bad({ method: 'POST', url: ROUTES.acceptInvite, body: { code: 'short' } }),
    ).toEqual([400, 'bad_request'])
    // The private space: listed, but never shared, changed or left.
    const mine = s.ids.owner
    expect(
      await bad({
        method: 'POST',
        url: routePath(ROUTES.invites, { space: mine }),
        body: { role: 'reader' },
      }),
    ).toEqual([403, 'forbidden'])
    expect(
      await bad({ method: 'DELETE', url: routePath(ROUTES.member, { space: mine, user: mine }) }),
    ).toEqual([403, 'forbidden'])
  })

  it('shows a member the space in its list, with its role, and the removed member no more', async () => {
    const s = await setup()
    const spaces = async (who: Who) =>
      (
        (await ok(s.tokens[who], { method: 'GET', url: ROUTES.spaces })) as {
          spaces: Array<{ id: string; role: string; private?: true }>
        }
      ).spaces
    expect((await spaces('writer')).find((x) => x.id === s.space)?.role).toBe('writer')
    expect((await spaces('reader')).find((x) => x.id === s.space)?.role).toBe('reader')
    expect((await spaces('removed')).map((x) => x.id)).not.toContain(s.space)
    expect((await spaces('removed'))[0]).toMatchObject({ id: s.ids.removed, private: true })
    expect((await spaces('outsider'))[0]).toMatchObject({
      id: s.ids.outsider,
      private: true,
      role: 'owner',
    })
  })
})
