/** What the server cannot grow without bound: the saved script log, the request rate, the cookie jar; and the size input. */
import { describe, expect, it } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CappedFile } from '../../src/scriptlog/capped-file.js'
import { parseSize } from '../../src/inputs/size.js'
import { RequestRate } from '../../src/qrs/rate.js'
import { CookieJar } from '../../src/qrs/cookies.js'
import { fakeClock } from '../helpers/fake-clock.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

/** Writes `text` through a CappedFile in chunks of `chunk` bytes; answers the file and what it counted. */
async function capped(text: string, maxBytes: number, chunk: number): Promise<{ saved: string; received: number; cut: number; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), 'qsr-capped-')), 'log.txt')
  const bytes = Buffer.from(text)
  const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk))
  const file = new CappedFile(path, maxBytes)
  await pipeline(Readable.from(chunks), file)
  return { saved: readFileSync(path, 'utf8'), received: file.received, cut: file.cut, path }
}

const log = (bytes: number): string => Array.from({ length: bytes }, (_, i) => String.fromCharCode(97 + (i % 26))).join('')

describe('CappedFile: the saved script log keeps its head and its tail', () => {
  it.each([1, 7, 100, 512, 4096])('a log under the cap is saved whole (chunks of %i)', async chunk => {
    const text = log(1000)
    expect(await capped(text, 1024, chunk)).toMatchObject({ saved: text, received: 1000, cut: 0 })
  })

  it.each([1, 7, 100, 513, 5000])('a longer log: its first and its last bytes, a line saying what was cut, all within the cap (chunks of %i)', async chunk => {
    const text = log(10_000)
    const { saved, received, cut, path } = await capped(text, 1024, chunk)
    expect({ received, cut }).toEqual({ received: 10_000, cut: 10_000 - 2 * 384 })
    expect(Buffer.byteLength(saved)).toBeLessThanOrEqual(1024)
    const [head, tail] = saved.split(/\r\n… .* …\r\n/)
    expect(head).toBe(text.slice(0, 384))
    expect(tail).toBe(text.slice(-384))
    expect(saved).toMatch(/… 9\.0 KiB of the script log cut here \(script-log-max-size 1\.0 KiB\): its first 384 B and its last 384 B are kept …/)
    expect(existsSync(`${path}.tail`)).toBe(false)
  })

  it('exactly the cap, and a tail that wrapped to its start: nothing lost, nothing doubled', async () => {
    expect((await capped(log(1024), 1024, 100)).saved).toBe(log(1024))
    expect((await capped(log(1025), 1024, 100)).saved.split(/\r\n… .* …\r\n/)).toEqual([log(1025).slice(0, 384), log(1025).slice(-384)])
    for (const length of [384 + 640 + 1, 384 + 640 + 300, 384 + 2 * 640 + 17]) {
      const text = log(length)
      const { saved } = await capped(text, 1024, 64)
      expect(saved.split(/\r\n… .* …\r\n/)).toEqual([text.slice(0, 384), text.slice(-384)])
      expect(Buffer.byteLength(saved)).toBeLessThanOrEqual(1024)
    }
  })

  it('a download that breaks off removes the ring file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'qsr-capped-')), 'log.txt')
    const file = new CappedFile(path, 1024)
    const broken = new Readable({ read() {} })
    const piping = pipeline(broken, file)
    broken.push(Buffer.from(log(2000)))
    await new Promise(done => setTimeout(done, 50))
    broken.destroy(new Error('aborted'))
    await expect(piping).rejects.toThrow('aborted')
    if (!file.closed) await new Promise(done => file.once('close', done))
    expect(existsSync(`${path}.tail`)).toBe(false)
  })
})

describe('parseSize: script-log-max-size', () => {
  const bounds = { min: 64 * 1024, max: 64 * 1024 ** 3 }
  it('reads 1024-based sizes', () => {
    expect(parseSize('s', '100MB', bounds)).toBe(100 * 1024 ** 2)
    expect(parseSize('s', '500 kb', bounds)).toBe(500 * 1024)
    expect(parseSize('s', '1.5GiB', bounds)).toBe(1.5 * 1024 ** 3)
    expect(parseSize('s', '65536b', bounds)).toBe(65536)
    // A plain number is bytes; K, M and G are read as KB, MB and GB.
    expect(parseSize('s', '1048576', bounds)).toBe(1024 ** 2)
    expect(parseSize('s', '10M', bounds)).toBe(10 * 1024 ** 2)
    expect(parseSize('s', '100k', bounds)).toBe(100 * 1024)
    expect(parseSize('s', '2G', bounds)).toBe(2 * 1024 ** 3)
  })

  it('refuses what is no size, and sizes out of bounds, naming the input', () => {
    expect(() => parseSize('script-log-max-size', '100 apples', bounds)).toThrow(/^Input 'script-log-max-size': '100 apples' is not a size/)
    expect(() => parseSize('script-log-max-size', '-5MB', bounds)).toThrow(/is not a size/)
    expect(() => parseSize('script-log-max-size', 'lots', bounds)).toThrow(/is not a size: use a size such as 500KB/)
    expect(() => parseSize('script-log-max-size', '1KB', bounds)).toThrow(/'1KB' is outside 64KB to 64GB/)
    expect(() => parseSize('script-log-max-size', '65GB', bounds)).toThrow(/is outside 64KB to 64GB/)
    expect(() => parseSize('s', '1KB', { min: 1000, max: 1 })).toThrow(/outside 1000 B to 1 B/)
  })
})

describe('RequestRate: a bound on the requests of a run, whatever the answers', () => {
  it('lets a burst through at once, then spaces the rest', async () => {
    const clock = fakeClock()
    const rate = new RequestRate(clock, 10, 5)
    for (let i = 0; i < 5; i++) await rate.take()
    expect(clock.sleeps).toEqual([])
    const started = clock.now()
    for (let i = 0; i < 20; i++) await rate.take()
    expect(clock.now() - started).toBeGreaterThanOrEqual(1_900)
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(100)
  })

  it('refills while idle, up to the burst', async () => {
    const clock = fakeClock()
    const rate = new RequestRate(clock, 10, 5)
    for (let i = 0; i < 5; i++) await rate.take()
    await clock.sleep(60_000)
    for (let i = 0; i < 5; i++) await rate.take()
    expect(clock.sleeps).toEqual([60_000])
    await rate.take()
    expect(clock.sleeps).toEqual([60_000, 100])
  })

  it('a cancellation ends the wait', async () => {
    const clock = fakeClock()
    const rate = new RequestRate(clock, 1, 1)
    await rate.take()
    await expect(rate.take(AbortSignal.abort(new Error('cancelled')))).rejects.toThrow('cancelled')
  })
})

describe('CookieJar: bounded', () => {
  it('keeps at most 20 cookies; the session cookie, set first, stays; a known cookie is updated', () => {
    const log = new FakeToolkit()
    const jar = new CookieJar(log)
    jar.take(['X-Qlik-Session-jwt=2c1e4a0b-95f3-4d4e-8a59-0c3a8e5b7d21; Path=/'])
    jar.take(Array.from({ length: 40 }, (_, i) => `flood${i}=${'v'.repeat(10)}`))
    expect(jar.names()).toHaveLength(20)
    expect(jar.names()[0]).toBe('X-Qlik-Session-jwt')
    jar.take(['X-Qlik-Session-jwt=3d2f5b1c-0000-4d4e-8a59-0c3a8e5b7d21'])
    expect(jar.header().Cookie).toMatch(/^X-Qlik-Session-jwt=3d2f5b1c-/)
    expect(log.log).toContain('debug: Cookie flood19 not kept: the jar holds at most 20 cookies, 4096 bytes each, 8192 in all.')
  })

  it('refuses a cookie over 4 KiB, and keeps the header under 8 KiB', () => {
    const jar = new CookieJar(new FakeToolkit())
    jar.take([`huge=${'x'.repeat(5000)}`])
    expect(jar.empty).toBe(true)
    jar.take(Array.from({ length: 10 }, (_, i) => `big${i}=${'y'.repeat(2700)}`))
    expect(Buffer.byteLength(jar.header().Cookie)).toBeLessThanOrEqual(8 * 1024)
    expect(jar.names()).toEqual(['big0', 'big1', 'big2'])
    // An update that fits takes the place of the old value; one that would not fit keeps it.
    jar.take([`big0=${'z'.repeat(2700)}`, `big2=${'w'.repeat(2780)}`])
    expect(jar.header().Cookie).toMatch(/^big0=z+; big1=y+; big2=y+$/)
  })
})
