import type { FastifyInstance } from 'fastify'

/**
 * The demo mode's users and their fixed tokens: anyone can read them from `/config.json`, so
 * two people (or two browser profiles) on one machine can try sharing. Never use in production.
 */
export const DEMO_USERS = [
  { name: 'demo', token: 'demo-token' },
  { name: 'friend', token: 'friend-token' },
] as const

export const DEMO_TOKEN = DEMO_USERS[0].token
export const DEMO_USER = DEMO_USERS[0].name

/**
 * `GET /config.json` in demo mode: hands the example app a demo user's token, the first one
 * unless `?user=friend` names another. An unknown name is a 404, not the first user in disguise.
 */
export const demoRoute = (app: FastifyInstance): void => {
  app.get<{ Querystring: { user?: string } }>('/config.json', async (request, reply) => {
    const name = request.query.user ?? DEMO_USER
    const user = DEMO_USERS.find((u) => u.name === name)
    if (!user)
      return reply.code(404).send({
        error: { code: 'not_found', message: `no demo user ${JSON.stringify(name)}` },
      })
    return { token: user.token, user: user.name, users: DEMO_USERS.map((u) => u.name) }
  })
}
