import type { FastifyInstance } from 'fastify'

/** The fixed token of the insecure demo mode: anyone can read it from `/config.json`. */
export const DEMO_TOKEN = 'demo-token'
export const DEMO_USER = 'demo'

/** `GET /config.json` in demo mode: hands the example app its token. Never use in production. */
export const demoRoute = (app: FastifyInstance): void => {
  app.get('/config.json', async () => ({ token: DEMO_TOKEN }))
}
