import Fastify from 'fastify'

/**
 * The baseline for `load.ts`: a bare Fastify route that parses the same JSON body and answers a
 * small JSON object, no validation, no database.
 */
const app = Fastify({ bodyLimit: 16 * 1024 * 1024 })
app.post('/bare', async (request) => ({ ok: true, size: JSON.stringify(request.body).length }))
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
console.log(
  `bare listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
)
