/**
 * The HTTP stack's request limits (switches maxUrlBytes, maxRequestBytes: HTTP.sys's defaults) and what
 * a batched filter may hold: long `or` chains pass, `in (...)` is not in the filter language.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import type { Simulator } from '../src/index.js'
import { call, start, testCerts, testScenario } from './helpers.js'
import { proxyCall, startProxy } from './proxy-helpers.js'

const certs = testCerts('request-limits')
let sim: Simulator | undefined
afterEach(async () => {
  await sim?.close()
  sim = undefined
})

const guid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
/** `/qrs/reloadtask?filter=id eq ... or id eq ...` for `count` ids (the first one a task of the scenario), encoded. */
function batched(count: number, first: string): string {
  const ids = [first, ...Array.from({ length: count - 1 }, (_, i) => guid(i + 1))]
  return `/qrs/reloadtask?filter=${encodeURIComponent(ids.map((id) => `id eq ${id}`).join(' or '))}`
}
/** The request target the helper sends: the path plus `&xrfkey=<16 chars>`. */
const targetBytes = (path: string) => path.length + '&xrfkey='.length + 16

describe('request limits (HTTP.sys defaults: 16,384 bytes)', () => {
  it('a batched filter of 250 ids fits, and the long or-chain finds the task', async () => {
    sim = await start(certs)
    const task = testScenario().tasks![0].id
    const path = batched(250, task)
    expect(targetBytes(path)).toBeLessThan(16_384)
    const res = await call(sim, 'GET', path)
    expect(res.status).toBe(200)
    expect(res.json<{ id: string }[]>().map((t) => t.id)).toEqual([task])
  })

  it('a URL over 16,384 bytes is 414, HTML, before any QRS check; the request is recorded', async () => {
    sim = await start(certs)
    const path = batched(320, guid(999))
    expect(targetBytes(path)).toBeGreaterThan(16_384)
    // Not even the xrfkey is checked: the HTTP stack answers before the service.
    const res = await call(sim, 'GET', path, { xrfkey: false })
    expect(res.status).toBe(414)
    expect(res.contentType).toMatch(/^text\/html/)
    expect(res.body).toContain('HTTP Error 414. The request URL is too long.')
    expect(sim.requests.at(-1)).toMatchObject({ status: 414, method: 'GET' })
  })

  it('a URL under the limit with headers that make the head over 16,384 bytes is 400 Request Too Long', async () => {
    sim = await start(certs)
    const path = batched(280, guid(999))
    expect(targetBytes(path)).toBeLessThan(16_384)
    const res = await call(sim, 'GET', path, { headers: { Cookie: `X-Qlik-Session=${'c'.repeat(2_000)}` } })
    expect(res.status).toBe(400)
    expect(res.body).toContain('Bad Request - Request Too Long')
    expect(res.body).toContain('HTTP Error 400. The size of the request headers is too long.')
  })

  it('the proxy listener has the same limits', async () => {
    // proxyCall re-encodes the query (spaces as +): 400 ids to be over the limit.
    sim = await startProxy(certs)
    const res = await proxyCall(sim, `/hdr${batched(400, guid(999))}`, { headers: { 'X-Qlik-HeaderAuth': 'svc_reload' } })
    expect(res.status).toBe(414)
  })

  it('the switches set the limits; 0 lifts them', async () => {
    sim = await start(certs, { switches: { maxUrlBytes: 4_096, maxRequestBytes: 8_192 } })
    expect((await call(sim, 'GET', batched(80, guid(999)))).status).toBe(414)
    await sim.close()
    sim = await start(certs, { switches: { maxUrlBytes: 0, maxRequestBytes: 0 } })
    const res = await call(sim, 'GET', batched(1_000, guid(999)))
    expect(res.status).toBe(200)
    expect(res.json()).toEqual([])
  })
})

describe('the filter language of a batched read', () => {
  it('has no in operator: id in (...) is 400 Cannot parse the expression', async () => {
    sim = await start(certs)
    const task = testScenario().tasks![0].id
    const res = await call(sim, 'GET', `/qrs/reloadtask?filter=${encodeURIComponent(`id in (${task}, ${guid(1)})`)}`)
    expect(res.status).toBe(400)
    expect(res.body).toMatch(/^Cannot parse the expression/)
  })
})
