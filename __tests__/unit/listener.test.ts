import { afterEach, describe, expect, it } from '@jest/globals'
import { connect } from 'node:net'
import { request } from 'node:http'
import { MAX_CALLBACK_BYTES, WAKE_BURST, WAKE_REFILL_MS, WakeUpListener } from '../../src/notify/listener.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const address = { host: '127.0.0.1', port: 0 }
let opened: WakeUpListener[] = []
/** Where the listeners log and mask. */
let log = new FakeToolkit()
afterEach(async () => {
  log = new FakeToolkit()
  for (const listener of opened) await listener.close()
  opened = []
})

async function start(base = '/qlik-notify'): Promise<WakeUpListener> {
  const listener = await WakeUpListener.start(address, base, log)
  opened.push(listener)
  return listener
}

function post(port: number, path: string, body = '[]'): Promise<number> {
  return new Promise(resolve => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST' }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', () => resolve(0))
    req.end(body)
  })
}

describe('WakeUpListener', () => {
  /** The times (ms since `from`) at which the listener woke its handler. */
  function wakes(listener: WakeUpListener, from = performance.now()): number[] {
    const at: number[] = []
    listener.onWake = () => at.push(performance.now() - from)
    return at
  }

  it('answers 404 on any path but its own token path, and those wake nothing', async () => {
    const listener = await start()
    const woke = wakes(listener)
    expect(listener.path).toMatch(/^\/qlik-notify\/[A-Za-z0-9_-]{24}$/)
    for (const path of ['/qlik-notify', '/qlik-notify/', '/', `/qlik-notify/${listener.token.slice(1)}`, `${listener.path}/x`]) {
      expect(await post(listener.port, path)).toBe(404)
    }
    expect(listener.wakeUps).toBe(0)
    expect(woke).toHaveLength(0)
    expect(await post(listener.port, listener.path)).toBe(200)
    expect(listener.wakeUps).toBe(1)
    expect(woke).toHaveLength(1)
  })

  it('lets a burst through at once (status changes come close together), then one wake-up per refill', async () => {
    const listener = await start()
    const woke = wakes(listener)
    for (let i = 0; i < WAKE_BURST; i++) expect(await post(listener.port, listener.path)).toBe(200)
    // The burst: each callback woke the handler at once, none waited for the one before.
    expect(woke).toHaveLength(WAKE_BURST)
    expect(Math.max(...woke)).toBeLessThan(200)
    // The next callbacks join one wake-up that waits for the refill.
    for (let i = 0; i < 5; i++) await post(listener.port, listener.path)
    expect(woke).toHaveLength(WAKE_BURST)
    await new Promise(done => setTimeout(done, WAKE_REFILL_MS + 100))
    expect(woke).toHaveLength(WAKE_BURST + 1)
    expect(woke.at(-1)).toBeGreaterThanOrEqual(WAKE_REFILL_MS * 0.9)
    expect(listener.wakeUps).toBe(WAKE_BURST + 5)
  })

  it('wakes its handler at most a burst and once per refill, however many callbacks arrive', async () => {
    const listener = await start()
    const started = performance.now()
    const woke = wakes(listener, started)
    const flood = setInterval(() => void post(listener.port, listener.path), 5)
    try {
      await new Promise(done => setTimeout(done, 3_100))
    } finally {
      clearInterval(flood)
    }
    expect(listener.wakeUps).toBeGreaterThan(50)
    expect(woke.length).toBeGreaterThanOrEqual(WAKE_BURST + 2)
    expect(woke.length).toBeLessThanOrEqual(WAKE_BURST + Math.ceil(3_100 / WAKE_REFILL_MS))
  })

  it('a wake-up waiting for its token is dropped when the listener closes', async () => {
    const listener = await start()
    const woke = wakes(listener)
    for (let i = 0; i < WAKE_BURST + 1; i++) await post(listener.port, listener.path)
    await listener.close()
    opened = opened.filter(l => l !== listener)
    await new Promise(done => setTimeout(done, WAKE_REFILL_MS + 100))
    expect(woke).toHaveLength(WAKE_BURST)
  })

  it('refuses a body over the cap with 413 and does not wake', async () => {
    const listener = await start()
    expect(await post(listener.port, listener.path, 'x'.repeat(MAX_CALLBACK_BYTES + 1))).toBe(413)
    expect(listener.wakeUps).toBe(0)
  })

  it('closes a connection whose headers never end, within a few seconds', async () => {
    const listener = await start()
    const socket = connect(listener.port, '127.0.0.1')
    socket.write('POST / HTTP/1.1\r\nHost: x\r\n')
    const started = Date.now()
    const drip = setInterval(() => socket.write('X-A: b\r\n'), 200)
    await new Promise(done => socket.on('close', done))
    clearInterval(drip)
    expect(Date.now() - started).toBeLessThan(8_000)
  }, 15_000)

  it('shares one server between subscriptions on the same address', async () => {
    const first = await start()
    const second = await WakeUpListener.start(address, '/qlik-notify', log)
    opened.push(second)
    expect(second.port).toBe(first.port)
    expect(second.path).not.toBe(first.path)
    expect(await post(first.port, second.path)).toBe(200)
    expect(second.wakeUps).toBe(1)
    expect(first.wakeUps).toBe(0)
    // Each path's token is masked the moment it exists; a wake-up is a debug line.
    expect(log.secrets).toEqual([first.token, second.token])
    expect(log.log).toEqual(['debug: Qlik notification received: checking the execution soon.'])
  })
})
