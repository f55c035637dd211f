/**
 * The engine's WebSocket against an engine that misbehaves on the wire (issue 20, items 5 and 9): a
 * message enigma.js would throw out of the socket's event (not JSON, `null`, an id it would look up
 * among its own fields, a `change` that is no list of handles, a binary frame) closes the session with
 * a clear error and never ends the process; answers of the wrong shape are "unexpected"; an upgrade
 * whose answer drips is cut at request-timeout, as a request is.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import { appLayout, openedDoc, progressData, reloadResult, tablesAndKeys } from '../../src/engine/answers.js'
import { EngineConnector } from '../../src/engine/connector.js'
import { EngineSession } from '../../src/engine/session.js'
import type { Authenticator } from '../../src/qrs/authenticator.js'
import { WrongShape } from '../../src/qrs/shape.js'
import { ConnectionError, EngineError } from '../../src/util/errors.js'
import { testCertificates } from '../helpers/certs.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

describe('engine answers: the shapes the action reads', () => {
  const fails = (check: () => unknown): string => {
    try {
      check()
    } catch (error) {
      if (error instanceof WrongShape) return error.message
      throw error
    }
    return 'passed'
  }

  it('false flags, zeros and empty strings may be left out; wrong types are named', () => {
    expect(reloadResult({}, 'qResult')).toEqual({})
    expect(reloadResult({ qSuccess: true, qScriptLogFile: 'C:\\x.log', extra: [1] }, 'qResult')).toEqual({ qSuccess: true, qScriptLogFile: 'C:\\x.log' })
    expect(fails(() => reloadResult({ qSuccess: 'true' }, 'qResult'))).toBe('qResult.qSuccess is a string, not true or false')
    expect(fails(() => reloadResult(undefined, 'qResult'))).toBe('qResult is missing (an object expected)')
    expect(progressData({ qErrorData: [{ qErrorString: 'x' }] }, 'p')).toEqual({ qErrorData: [{ qErrorString: 'x' }] })
    expect(fails(() => progressData({ qErrorData: [{ qLine: 7 }] }, 'p'))).toBe('p.qErrorData[0].qLine is a number, not a string')
    expect(fails(() => progressData({ qTransientProgress: ['a'] }, 'p'))).toBe('p.qTransientProgress is a list, not a string')
    expect(tablesAndKeys({ qtr: [{ qName: 'Orders' }], qk: 'anything' }, '')).toEqual({ qtr: [{ qName: 'Orders' }] })
    expect(fails(() => tablesAndKeys({ qtr: [{ qName: 'A', qNoOfRows: -1 }] }, ''))).toBe('qtr[0].qNoOfRows is below 0, not a row count')
    expect(fails(() => tablesAndKeys({ qtr: [{ qName: 'A', qNoOfRows: 1.5 }] }, ''))).toBe('qtr[0].qNoOfRows is a number, not a whole number')
    expect(fails(() => tablesAndKeys({ qtr: { qName: 'A' } }, ''))).toBe('qtr is an object, not a list')
    expect(fails(() => appLayout({ qReadOnly: 'no' }, 'qLayout'))).toBe('qLayout.qReadOnly is a string, not true or false')
    const doc = { type: 'Doc', handle: 1 }
    expect(openedDoc(doc, 'qReturn')).toBe(doc)
    expect(fails(() => openedDoc({ type: 'GenericObject', handle: 1 }, 'qReturn'))).toBe('qReturn is not a Doc handle')
    expect(fails(() => openedDoc('junk', 'qReturn'))).toBe('qReturn is not a Doc handle')
  })
})

/** A plain ws:// engine whose answer to OpenDoc is `reply` (a frame as it is sent). */
async function engineAnswering(reply: (id: number) => string | Buffer): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  wss.on('connection', ws => {
    ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'OnConnected', params: { qSessionState: 'SESSION_CREATED' } }))
    ws.on('message', (data: Buffer) => {
      const request = JSON.parse(data.toString()) as { id: number; method: string }
      if (request.method === 'OpenDoc') ws.send(reply(request.id))
    })
  })
  await new Promise(done => wss.once('listening', done))
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/app/x`,
    close: () => new Promise<void>(done => (wss.clients.forEach(c => c.terminate()), wss.close(() => done())))
  }
}

const open = (url: string): Promise<EngineSession> =>
  EngineSession.open({
    url,
    appId: 'x',
    app: "'X'",
    noData: false,
    createSocket: target => new WebSocket(target),
    openTimeoutMs: 5_000,
    limits: { requestTimeoutMs: 5_000 },
    log: { debug: () => undefined },
    onConnected: () => undefined,
    opened: () => undefined
  })

describe('engine messages enigma.js cannot take: the session closes, the process lives on', () => {
  const said = "The engine sent something unexpected on the session of app 'X' while OpenDoc waited: "
  it.each([
    ['text that is not JSON', () => 'Service Unavailable', 'a message that is not JSON (Service Unavailable)'],
    ['null', () => 'null', 'a message that is no JSON-RPC object'],
    ['a list', () => '[1]', 'a message that is no JSON-RPC object'],
    ['an id among enigma.js own fields', () => '{"jsonrpc":"2.0","id":"__proto__","result":{}}', 'a message whose id is not a number'],
    [
      'a change list with null in it',
      (id: number) => JSON.stringify({ jsonrpc: '2.0', id, result: {}, change: [null] }),
      'a message whose change or close is not a list of handles'
    ],
    ['a close that is no list', (id: number) => JSON.stringify({ jsonrpc: '2.0', id, result: {}, close: 'all' }), 'a message whose change or close is not a list of handles'],
    ['a binary frame', () => Buffer.from('{}'), 'a binary message']
  ])('%s', async (_what, reply, problem) => {
    const engine = await engineAnswering(reply)
    try {
      const error = await open(engine.url).then(
        () => undefined,
        (e: unknown) => e
      )
      expect(error).toBeInstanceOf(EngineError)
      expect((error as EngineError).message).toBe(`${said}${problem}; the session was closed.`)
      expect((error as EngineError).code).toBe(-1)
    } finally {
      await engine.close()
    }
  })

  it('a well-formed answer of the wrong shape: unexpected, not a TypeError', async () => {
    const engine = await engineAnswering(id => JSON.stringify({ jsonrpc: '2.0', id, result: { qReturn: { qType: 'GenericObject', qHandle: 3 } } }))
    try {
      await expect(open(engine.url)).rejects.toThrow("The engine answered something unexpected to OpenDoc of app 'X': qReturn is not a Doc handle.")
    } finally {
      await engine.close()
    }
  })
})

describe('the upgrade is bounded whole by request-timeout, as a request is', () => {
  let server: Server
  let port: number
  const sockets = new Set<Socket>()
  beforeAll(async () => {
    const certs = testCertificates()
    server = createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) })
    // A 101 whose head comes a byte every 100 ms: ws's handshake timer, an idle timer, never fires.
    server.on('upgrade', (_req, socket: Socket) => {
      sockets.add(socket)
      socket.on('error', () => undefined)
      const head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Filler: ' + 'x'.repeat(500)
      let at = 0
      const timer = setInterval(() => (socket.destroyed || at >= head.length ? clearInterval(timer) : socket.write(head[at++])), 100)
    })
    await new Promise<void>(done => server.listen(0, '127.0.0.1', () => done()))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>(done => server.close(() => done()))
  })

  it('a 101 that drips is cut at request-timeout: a connection error that names it', async () => {
    const auth: Authenticator = {
      description: 'test',
      clientTls: {},
      prepare: () => ({ headers: {}, session: false }),
      receive: () => undefined,
      expired: () => false,
      renew: async () => undefined,
      refusalHint: () => undefined,
      redirectError: () => undefined,
      htmlHint: ''
    }
    const connector = new EngineConnector({
      url: new URL(`wss://localhost:${port}`),
      auth,
      tls: { ca: readFileSync(testCertificates().ca, 'utf8'), insecure: false },
      userAgent: 't',
      requestTimeoutMs: 1_000,
      log: new FakeToolkit({}),
      refresh: async () => undefined
    })
    const started = performance.now()
    const error = await connector.open({ id: 'x' }, { noData: false, openTimeoutMs: 10_000 }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(performance.now() - started).toBeLessThan(3_000)
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).toBe(`The engine at localhost:${port} did not complete the WebSocket upgrade for app 'x' within 1 s (request-timeout).`)
    await connector.dispose()
  })
})
