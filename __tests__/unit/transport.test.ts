/**
 * The transport's limits against a server that misbehaves on the wire: request-timeout bounds the whole
 * request (a body that drips is cut), an answer cut in the middle is a transient connection error, and a
 * streamed download ends at its own time limit keeping what came.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { PassThrough, Writable } from 'node:stream'
import { Transport } from '../../src/qrs/transport.js'
import { ConnectionError } from '../../src/util/errors.js'
import { testCertificates } from '../helpers/certs.js'

let server: Server
let base: string

/** /drip: the head at once, then a byte every 100 ms for 10 s; /cut: half the announced body, then the socket closes; /slow-head: the head after 3 s; else 200 "{}". */
beforeAll(async () => {
  const certs = testCertificates()
  server = createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (req, res) => {
    res.on('error', () => undefined)
    if (req.url?.startsWith('/drip')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100 })
      let sent = 0
      const timer = setInterval(() => {
        if (res.destroyed || ++sent > 100) return clearInterval(timer)
        res.write('x')
      }, 100)
      return
    }
    if (req.url?.startsWith('/cut')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 })
      res.write('['.padEnd(500, ' '), () => setTimeout(() => res.socket?.destroy(), 50))
      return
    }
    if (req.url?.startsWith('/slow-head')) return void setTimeout(() => res.end('{}'), 3_000)
    res.end('{}')
  })
  await new Promise<void>(done => server.listen(0, '127.0.0.1', () => done()))
  base = `https://localhost:${(server.address() as AddressInfo).port}`
})
afterAll(
  () =>
    new Promise<void>(done => {
      server.closeAllConnections()
      server.close(() => done())
    })
)

const transport = (timeoutMs = 700): Transport =>
  new Transport(new URL(base), { userAgent: 't', serverTls: { insecure: false, ca: readFileSync(testCertificates().ca, 'utf8') }, clientTls: {}, timeoutMs })

/** A sink that keeps what it is given. */
function collector(): { stages: () => Writable[]; text: () => string } {
  const chunks: Buffer[] = []
  return {
    stages: () => [new PassThrough(), new Writable({ write: (chunk: Buffer, _e, done) => (chunks.push(chunk), done()) })],
    text: () => Buffer.concat(chunks).toString()
  }
}

describe('request-timeout bounds the whole request', () => {
  it('a body that drips is cut at the limit: a transient connection error that names the path, not its query', async () => {
    const t = transport(700)
    const started = performance.now()
    const error = (await t.request('GET', `${base}/drip?xrfkey=secret`, {}).catch((e: unknown) => e)) as ConnectionError
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error.transient).toBe(true)
    expect(error.message).toBe(`localhost:${new URL(base).port} did not answer in time (Request timeout: /drip?…).`)
    t.dispose()
  })

  it('a head that comes late is cut too; a limit per request overrides the transport’s', async () => {
    const t = transport(10_000)
    const started = performance.now()
    await expect(t.request('GET', `${base}/slow-head`, {}, undefined, { timeoutMs: 500 })).rejects.toThrow(/did not answer in time/)
    expect(performance.now() - started).toBeLessThan(2_000)
    t.dispose()
  })

  it('a cancellation wins over the time limit: its reason is what the request rejects with', async () => {
    const t = transport(5_000)
    const cancel = new AbortController()
    setTimeout(() => cancel.abort(new Error('cancelled')), 200)
    await expect(t.request('GET', `${base}/drip`, {}, undefined, { signal: cancel.signal })).rejects.toThrow('cancelled')
    t.dispose()
  })
})

describe('an answer cut in the middle is a connection error worth another try', () => {
  it('a JSON read', async () => {
    const t = transport(5_000)
    const error = (await t.request('GET', `${base}/cut`, {}).catch((e: unknown) => e)) as ConnectionError
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error.transient).toBe(true)
    expect(error.message).toMatch(/closed the connection in the middle of its answer/)
    t.dispose()
  })

  it('a streamed download', async () => {
    const t = transport(5_000)
    const sink = collector()
    const error = (await t.download(`${base}/cut`, {}, sink.stages, { bodyMs: 5_000 }).catch((e: unknown) => e)) as ConnectionError
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error.transient).toBe(true)
    t.dispose()
  })
})

describe('a streamed download ends at its own limit, keeping what came', () => {
  it('bodyMs ends a body that drips: the stages end as after a whole body', async () => {
    const t = transport(700)
    const sink = collector()
    const answer = await t.download(`${base}/drip`, {}, sink.stages, { bodyMs: 1_500 })
    expect(answer).toMatchObject({ status: 200, cutShort: true })
    expect(answer.bytes).toBeGreaterThan(5)
    expect(answer.bytes).toBeLessThan(30)
    expect(sink.text()).toBe('x'.repeat(answer.bytes))
    t.dispose()
  })

  it('a body that ends in time is whole', async () => {
    const t = transport(700)
    const sink = collector()
    expect(await t.download(`${base}/ok`, {}, sink.stages, { bodyMs: 1_500 })).toMatchObject({ status: 200, cutShort: false, bytes: 2 })
    expect(sink.text()).toBe('{}')
    t.dispose()
  })

  it('a cancellation ends it with its reason', async () => {
    const t = transport(700)
    const cancel = new AbortController()
    setTimeout(() => cancel.abort(new Error('cancelled')), 300)
    await expect(t.download(`${base}/drip`, {}, collector().stages, { bodyMs: 5_000, signal: cancel.signal })).rejects.toThrow('cancelled')
    t.dispose()
  })
})
