import https from 'node:https'
import { describe, test, expect, beforeAll, afterAll } from '@jest/globals'
import type { Scenario, Simulator, Switches } from '../src/index.js'
import { emptyGuid } from '../src/index.js'
import { agent, appId, call, start, testCerts, waitForSessionEnd, xrfkey } from './helpers.js'
import { proxyCall, proxyScenario } from './proxy-helpers.js'

const certs = testCerts('scriptlog')
const bom = '\ufeff'

const t = {
  ok: 'a1000000-0000-4000-8000-000000000001',
  fail: 'a1000000-0000-4000-8000-000000000002',
  delayed: 'a1000000-0000-4000-8000-000000000003',
  none: 'a1000000-0000-4000-8000-000000000004',
  custom: 'a1000000-0000-4000-8000-000000000005',
  big: 'a1000000-0000-4000-8000-000000000006',
  retry: 'a1000000-0000-4000-8000-000000000007',
  padded: 'a1000000-0000-4000-8000-000000000008'
}

function scenario(): Scenario {
  const s = proxyScenario()
  s.tasks = [
    ...(s.tasks ?? []),
    { id: t.ok, name: 'Log ok', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 40 }] }] },
    { id: t.fail, name: 'Log fail', appId, runs: [{ attempts: [{ outcome: 8, durationMs: 40 }] }] },
    { id: t.delayed, name: 'Log delayed', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 40, logDelayMs: 700 }] }] },
    { id: t.none, name: 'Log none', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 40, noScriptLog: true }] }] },
    {
      id: t.custom,
      name: 'Log custom',
      appId,
      runs: [{ attempts: [{ outcome: 8, durationMs: 40, scriptLog: ['line one Ümsätze', 'line two', 'Error: custom failure', 'Execution Failed'] }] }]
    },
    { id: t.big, name: 'Log big', appId, runs: [{ attempts: [{ outcome: 8, durationMs: 40, scriptLogBytes: 120_000_000 }] }] },
    {
      id: t.retry,
      name: 'Log retry',
      appId,
      maxRetries: 1,
      runs: [
        {
          attempts: [
            { outcome: 8, durationMs: 40 },
            { outcome: 7, durationMs: 40 }
          ]
        }
      ]
    },
    { id: t.padded, name: 'Log padded', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 40, scriptLogBytes: 300_000 }] }] }
  ]
  return s
}

interface Result {
  id: string
  taskID: string
  status: number
  createdDate: string
  fileReferenceID: string
  scriptLogAvailable: boolean
  scriptLogLocation: string
  scriptLogSize: number
}

/** Starts the task, waits for the end, gives its results oldest first. */
async function run(sim: Simulator, taskId: string): Promise<Result[]> {
  const started = await call(sim, 'POST', `/qrs/task/${taskId}/start/synchronous`)
  expect(started.status).toBe(201)
  const sessionId = started.json<{ value: string }>().value
  await waitForSessionEnd(sim, sessionId)
  const res = await call(sim, 'GET', `/qrs/executionresult/full?filter=${encodeURIComponent(`ExecutionId eq ${sessionId}`)}`)
  return res.json<Result[]>().sort((a, b) => a.createdDate.localeCompare(b.createdDate))
}

async function legacyRef(sim: Simulator, taskId: string, r: Result): Promise<string> {
  const res = await call(sim, 'GET', `/qrs/reloadtask/${taskId}/scriptlog?fileReferenceId=${r.fileReferenceID}`)
  expect(res.status).toBe(200)
  return res.json<{ value: string }>().value
}

async function currentRef(sim: Simulator, taskId: string, r: Result): Promise<string> {
  const res = await call(sim, 'GET', `/qrs/reloadtask/${taskId}/scriptlogfile?executionResultId=${r.id}`)
  expect(res.status).toBe(200)
  return res.json<{ value: string }>().value
}

const download = (sim: Simulator, ref: string) => call(sim, 'GET', `/qrs/download/reloadtask/${ref}/scriptlog.txt`)

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('script log references and download', () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await start(certs, { scenario: scenario() })
  })
  afterAll(() => sim.close())

  test('a result with a log: both routes give a reference; the download is CRLF text with a BOM', async () => {
    const [r] = await run(sim, t.ok)
    expect(r.scriptLogAvailable).toBe(true)
    expect(r.fileReferenceID).toMatch(guid)
    expect(r.fileReferenceID).not.toBe(emptyGuid)
    expect(r.scriptLogLocation).toMatch(new RegExp(`^\\\\\\\\qliksrv01\\\\QlikShare\\\\ArchivedLogs\\\\qliksrv01\\\\${appId}\\.\\d{8}T\\d{6}\\.log$`))

    const refs = [await legacyRef(sim, t.ok, r), await currentRef(sim, t.ok, r)]
    for (const ref of refs) {
      expect(ref).toMatch(guid)
      const res = await download(sim, ref)
      expect(res.status).toBe(200)
      expect(res.contentType).toBe('text/plain; charset=utf-8')
      expect(res.body.startsWith(bom)).toBe(true)
      expect(Buffer.byteLength(res.body)).toBe(r.scriptLogSize)
      const text = res.body.slice(1)
      expect(text.endsWith('\r\n')).toBe(true)
      expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/) // every line ends in CRLF
      const lines = text.split('\r\n').slice(0, -1)
      expect(lines[0]).toMatch(/^\d{8}T\d{6}\.\d{3}[+-]\d{4} {6}Execution started\.$/)
      expect(lines.some((l) => l.includes('Qlik Sense Server Version'))).toBe(true)
      expect(lines.some((l) => /Lines fetched$/.test(l))).toBe(true)
      expect(lines[lines.length - 1]).toMatch(/ Execution finished\.$/)
      expect(text).not.toMatch(/Error:|Execution Failed/)
    }
    // References can be used again.
    expect((await download(sim, refs[0])).status).toBe(200)
    // Any file name works.
    expect((await call(sim, 'GET', `/qrs/download/reloadtask/${refs[1]}/whatever.log`)).status).toBe(200)
  })

  test('a failed run ends with the error lines', async () => {
    const [r] = await run(sim, t.fail)
    const res = await download(sim, await currentRef(sim, t.fail, r))
    const lines = res.body.slice(1).split('\r\n').slice(0, -1)
    expect(lines.slice(-3).map((l) => l.slice(24).trim())).toEqual(["Error: Field 'Revenue' not found", 'Execution Failed', 'Execution finished.'])
  })

  test('a failed attempt followed by a retry has a failure log; the retry a success log', async () => {
    const results = await run(sim, t.retry)
    expect(results).toHaveLength(2)
    const first = await download(sim, await legacyRef(sim, t.retry, results[0]))
    const second = await download(sim, await legacyRef(sim, t.retry, results[1]))
    expect(first.body).toContain('Execution Failed')
    expect(second.body).not.toContain('Execution Failed')
  })

  test('scriptLog lines are used as given; scriptLogBytes pads before the closing lines', async () => {
    const [r] = await run(sim, t.custom)
    const res = await download(sim, await currentRef(sim, t.custom, r))
    expect(res.body).toBe(`${bom}line one Ümsätze\r\nline two\r\nError: custom failure\r\nExecution Failed\r\n`)
    expect(r.scriptLogSize).toBe(Buffer.byteLength(res.body))

    const [p] = await run(sim, t.padded)
    const padded = await download(sim, await currentRef(sim, t.padded, p))
    const size = Buffer.byteLength(padded.body)
    expect(size).toBe(p.scriptLogSize)
    expect(size).toBeGreaterThanOrEqual(300_000)
    expect(size).toBeLessThan(301_000)
    const lines = padded.body.split('\r\n')
    expect(lines.filter((l) => l.includes('LOAD * FROM [lib://Data/Sales/part_')).length).toBeGreaterThan(500)
    expect(lines[lines.length - 2]).toMatch(/ Execution finished\.$/)
  })

  test('logDelayMs: 404 right after the run, 200 later with the same reference', async () => {
    const [r] = await run(sim, t.delayed)
    const ref = await currentRef(sim, t.delayed, r)
    const early = await download(sim, ref)
    expect(early.status).toBe(404)
    expect(early.contentType).toBe('text/plain; charset=utf-8')
    await new Promise((resolve) => setTimeout(resolve, 800))
    const later = await download(sim, ref)
    expect(later.status).toBe(200)
    expect(later.body).toContain('Execution finished.')
  })

  test('noScriptLog: empty file reference, no log, both routes 404', async () => {
    const [r] = await run(sim, t.none)
    expect(r).toMatchObject({ status: 7, fileReferenceID: emptyGuid, scriptLogAvailable: false, scriptLogSize: 0 })
    const legacy = await call(sim, 'GET', `/qrs/reloadtask/${t.none}/scriptlog?fileReferenceId=${emptyGuid}`)
    expect(legacy.status).toBe(404)
    expect(legacy.contentType).toBe('text/plain; charset=utf-8')
    const current = await call(sim, 'GET', `/qrs/reloadtask/${t.none}/scriptlogfile?executionResultId=${r.id}`)
    expect(current.status).toBe(404)
    expect(current.body).toContain(r.id)
  })

  test('unknown ids give 404 text', async () => {
    const [r] = await run(sim, t.ok)
    const unknown = 'deadbeef-0000-4000-8000-000000000000'
    const answers = await Promise.all([
      call(sim, 'GET', `/qrs/reloadtask/${unknown}/scriptlog?fileReferenceId=${r.fileReferenceID}`),
      call(sim, 'GET', `/qrs/reloadtask/${t.ok}/scriptlog?fileReferenceId=${unknown}`),
      call(sim, 'GET', `/qrs/reloadtask/${unknown}/scriptlogfile?executionResultId=${r.id}`),
      call(sim, 'GET', `/qrs/reloadtask/${t.ok}/scriptlogfile?executionResultId=${unknown}`),
      // a result of another task
      call(sim, 'GET', `/qrs/reloadtask/${t.fail}/scriptlogfile?executionResultId=${r.id}`),
      call(sim, 'GET', `/qrs/download/reloadtask/${unknown}/scriptlog.txt`)
    ])
    for (const a of answers) {
      expect(a.status).toBe(404)
      expect(a.contentType).toBe('text/plain; charset=utf-8')
    }
  })

  test('the routes need the xrfkey like every /qrs route', async () => {
    const [r] = await run(sim, t.ok)
    const res = await call(sim, 'GET', `/qrs/reloadtask/${t.ok}/scriptlogfile?executionResultId=${r.id}`, { xrfkey: false })
    expect(res.status).toBe(403)
    const ref = await currentRef(sim, t.ok, r)
    expect((await call(sim, 'GET', `/qrs/download/reloadtask/${ref}/scriptlog.txt`, { xrfkey: false })).status).toBe(403)
  })

  test('a 120 MB log streams with little memory and the right byte count', async () => {
    const [r] = await run(sim, t.big)
    expect(r.scriptLogSize).toBeGreaterThanOrEqual(120_000_000)
    expect(r.scriptLogSize).toBeLessThan(120_001_000)
    const ref = await currentRef(sim, t.big, r)
    const before = process.memoryUsage().rss
    let peak = before
    const got = await new Promise<{ status: number; bytes: number; head: string; tail: string }>((resolve, reject) => {
      const req = https.request(
        {
          host: 'localhost',
          port: sim.port,
          method: 'GET',
          agent: agent(sim.certs),
          path: `/qrs/download/reloadtask/${ref}/scriptlog.txt?xrfkey=${xrfkey}`,
          headers: { 'X-Qlik-Xrfkey': xrfkey }
        },
        (res) => {
          let bytes = 0
          let head = ''
          let tail = Buffer.alloc(0)
          let n = 0
          res.on('data', (c: Buffer) => {
            if (bytes === 0) head = c.subarray(0, 200).toString('utf8')
            bytes += c.length
            tail = Buffer.concat([tail, c]).subarray(-400)
            if (++n % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss)
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, head, tail: tail.toString('utf8') }))
          res.on('error', reject)
        }
      )
      req.on('error', reject)
      req.end()
    })
    peak = Math.max(peak, process.memoryUsage().rss)
    expect(got.status).toBe(200)
    expect(got.bytes).toBe(r.scriptLogSize)
    expect(got.head.startsWith(`${bom}`)).toBe(true)
    expect(got.head).toContain('Execution started.')
    expect(got.tail).toMatch(/Error: Field 'Revenue' not found\r\n.* {6}Execution Failed\r\n.* {6}Execution finished\.\r\n$/)
    // Bounded well below the log size (a buffered answer would take 120 MB); loose, since GC timing varies under load.
    expect(peak - before).toBeLessThan(60 * 1024 * 1024)
  })

  test('a client that hangs up mid-download does not disturb the simulator', async () => {
    const [r] = await run(sim, t.big)
    const ref = await currentRef(sim, t.big, r)
    const received = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        {
          host: 'localhost',
          port: sim.port,
          method: 'GET',
          agent: agent(sim.certs),
          path: `/qrs/download/reloadtask/${ref}/scriptlog.txt?xrfkey=${xrfkey}`,
          headers: { 'X-Qlik-Xrfkey': xrfkey }
        },
        (res) => {
          let bytes = 0
          res.on('data', (c: Buffer) => {
            bytes += c.length
            if (bytes > 1_000_000) req.destroy()
          })
          res.on('close', () => resolve(bytes))
        }
      )
      req.on('error', (err) => (String(err).includes('socket hang up') || String(err).includes('aborted') ? undefined : reject(err)))
      req.end()
    })
    expect(received).toBeGreaterThan(1_000_000)
    expect(received).toBeLessThan(r.scriptLogSize)
    expect((await call(sim, 'GET', '/qrs/about')).status).toBe(200)
    const [small] = await run(sim, t.ok)
    expect((await download(sim, await currentRef(sim, t.ok, small))).status).toBe(200)
  })

  test('references and downloads work through the proxy (header VP)', async () => {
    const [r] = await run(sim, t.fail)
    const user = { 'X-Qlik-HeaderAuth': 'svc_reload' }
    const refRes = await proxyCall(sim, `/hdr/qrs/reloadtask/${t.fail}/scriptlogfile?executionResultId=${r.id}`, { headers: user })
    expect(refRes.status).toBe(200)
    const ref = (JSON.parse(refRes.body) as { value: string }).value
    const legacy = await proxyCall(sim, `/hdr/qrs/reloadtask/${t.fail}/scriptlog?fileReferenceId=${r.fileReferenceID}`, { headers: user })
    expect(legacy.status).toBe(200)
    const res = await proxyCall(sim, `/hdr/qrs/download/reloadtask/${ref}/scriptlog.txt`, { headers: user })
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body.startsWith(bom)).toBe(true)
    expect(res.body).toMatch(/Execution Failed\r\n.* {6}Execution finished\.\r\n$/)
    expect(Buffer.byteLength(res.body)).toBe(r.scriptLogSize)
  })
})

describe('scriptLogRoutes and scriptLogBom switches', () => {
  const variants: { routes: Switches['scriptLogRoutes']; legacy: number; current: number }[] = [
    { routes: 'both', legacy: 200, current: 200 },
    { routes: 'legacy', legacy: 200, current: 404 },
    { routes: 'current', legacy: 404, current: 200 }
  ]
  for (const v of variants) {
    test(`scriptLogRoutes "${v.routes}": scriptlog ${v.legacy}, scriptlogfile ${v.current}`, async () => {
      const sim = await start(certs, { scenario: scenario(), switches: { scriptLogRoutes: v.routes } })
      try {
        const [r] = await run(sim, t.ok)
        const legacy = await call(sim, 'GET', `/qrs/reloadtask/${t.ok}/scriptlog?fileReferenceId=${r.fileReferenceID}`)
        const current = await call(sim, 'GET', `/qrs/reloadtask/${t.ok}/scriptlogfile?executionResultId=${r.id}`)
        expect([legacy.status, current.status]).toEqual([v.legacy, v.current])
        const ok = legacy.status === 200 ? legacy : current
        expect((await download(sim, ok.json<{ value: string }>().value)).status).toBe(200)
        for (const missing of [legacy, current].filter((a) => a.status === 404)) expect(missing.contentType).toBe('text/plain; charset=utf-8')
      } finally {
        await sim.close()
      }
    })
  }

  test('scriptLogBom false: no BOM, size still exact', async () => {
    const sim = await start(certs, { scenario: scenario(), switches: { scriptLogBom: false } })
    try {
      const [r] = await run(sim, t.ok)
      const res = await download(sim, await currentRef(sim, t.ok, r))
      expect(res.body.startsWith(bom)).toBe(false)
      expect(res.body).toMatch(/^\d{8}T/)
      expect(Buffer.byteLength(res.body)).toBe(r.scriptLogSize)
    } finally {
      await sim.close()
    }
  })
})
