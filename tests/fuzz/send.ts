import http from 'node:http'
import net from 'node:net'
import type { FuzzRequest } from './generators.js'

export interface Sent {
  /** HTTP status, or 0 when the connection failed without an answer. */
  status: number
  text: string
  error?: string
}

/**
 * Sends one request exactly as described (raw bytes, any method, any header) through
 * node:http, so nothing in between fixes it up. An early answer (413 before the body is
 * read) counts even if writing the rest of the body then fails.
 */
export const send = (base: string, request: FuzzRequest, timeoutMs = 15_000): Promise<Sent> =>
  new Promise((resolve) => {
    const url = new URL(base)
    const body =
      request.body === undefined
        ? undefined
        : Buffer.from(request.body, request.binary ? 'latin1' : 'utf8')
    const headers: Record<string, string> = { ...request.headers }
    if (body) headers['content-length'] = String(body.length)
    let settled = false
    const done = (sent: Sent) => {
      if (!settled) resolve(sent)
      settled = true
    }
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers,
        agent: false,
      },
      (res) => {
        // A live stream (SSE) never ends by design: its opening answer is the answer.
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          done({ status: res.statusCode ?? 0, text: '' })
          req.destroy()
          return
        }
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        )
        res.on('error', () =>
          done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        )
      },
    )
    req.on('error', (err) => done({ status: 0, text: '', error: err.message }))
    // A server that never answers is a failure too, reported as status 0.
    req.setTimeout(timeoutMs, () => {
      done({ status: 0, text: '', error: `no answer in ${timeoutMs} ms` })
      req.destroy()
    })
    req.end(body)
  })

/**
 * A body trickled over a raw socket, a few bytes at a time: the server must answer (or time
 * the connection out) without a 5xx and without stalling others. Answers the status line's
 * code, or 0 when the server closed the socket without answering.
 */
export const trickle = (
  base: string,
  options: {
    path: string
    token: string
    body: string
    declaredLength?: number
    chunk: number
    everyMs: number
    stopAfter?: number
  },
): Promise<number> =>
  new Promise((resolve) => {
    const url = new URL(base)
    const socket = net.connect(Number(url.port), url.hostname)
    const body = Buffer.from(options.body)
    const length = options.declaredLength ?? body.length
    let answer = ''
    let sentBytes = 0
    let timer: NodeJS.Timeout | undefined
    const finish = () => {
      clearInterval(timer)
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer)
      socket.destroy()
      resolve(m ? Number(m[1]) : 0)
    }
    socket.on('data', (d: Buffer) => {
      answer += d.toString()
      if (answer.includes('\r\n\r\n')) finish()
    })
    socket.on('error', finish)
    socket.on('close', finish)
    socket.on('connect', () => {
      socket.write(
        `POST ${options.path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${options.token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
      )
      const limit = Math.min(body.length, options.stopAfter ?? body.length)
      timer = setInterval(() => {
        if (sentBytes >= limit) {
          clearInterval(timer)
          // A body that stops short: give up on it ourselves after a while.
          if (limit < length) setTimeout(finish, 1_000)
          return
        }
        socket.write(body.subarray(sentBytes, sentBytes + options.chunk))
        sentBytes += options.chunk
      }, options.everyMs)
    })
  })
