import https from 'node:https'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeCertificates, startSimulator, type CertPaths, type Scenario, type Simulator, type SimulatorOptions } from '../src/index.js'

export const machineName = 'qliksrv01.corp.example'
export const serverNames = [machineName, 'localhost', '127.0.0.1']
export const xrfkey = 'abcdefghij123456'

export const appId = '5a8c6e3f-2b1d-4c7a-9e0f-1a2b3c4d5e60'
export const ids = {
  success: '11111111-1111-4111-8111-111111111111',
  failure: '22222222-2222-4222-8222-222222222222',
  retries: '33333333-3333-4333-8333-333333333333',
  disabled: '44444444-4444-4444-8444-444444444444',
  quoted: '55555555-5555-4555-8555-555555555555',
  long: '66666666-6666-4666-8666-666666666666',
  unstartable: '77777777-7777-4777-8777-777777777777'
}

export function testScenario(): Scenario {
  return {
    machineName,
    serverNames,
    nodeName: 'qliksrv01',
    apps: [{ id: appId, name: 'Sales', published: true, reloadRuns: [{ attempts: [{ outcome: 7, durationMs: 100 }] }] }],
    tasks: [
      { id: ids.success, name: 'Reload Sales', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 150 }] }] },
      { id: ids.failure, name: 'Reload Broken', appId, runs: [{ attempts: [{ outcome: 8, durationMs: 100, details: ['Field not found: <Amount>'] }] }] },
      {
        id: ids.retries,
        name: 'Reload Flaky',
        appId,
        maxRetries: 2,
        runs: [
          {
            attempts: [
              { outcome: 8, durationMs: 80 },
              { outcome: 11, durationMs: 80 },
              { outcome: 7, durationMs: 80, queuedMs: 60 }
            ]
          }
        ]
      },
      { id: ids.disabled, name: 'Reload Disabled', appId, enabled: false },
      { id: ids.unstartable, name: 'Reload Nowhere', appId, startable: false },
      { id: ids.quoted, name: "Reload O'Brien Ümsätze", appId, runs: [{ attempts: [{ outcome: 7, durationMs: 100 }] }] },
      { id: ids.long, name: 'Reload Long', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 5000 }] }] }
    ],
    users: [
      { directory: 'INTERNAL', id: 'sa_api' },
      { directory: 'CORP', id: 'gone', inactive: true }
    ]
  }
}

/** One certificate directory per test file, kept between runs (makeCertificates reuses it). */
export function testCerts(name: string): CertPaths {
  return makeCertificates(join(tmpdir(), 'qrs-sim-test-certs', name), { machineName, serverNames })
}

export function start(certs: CertPaths, opts: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  return startSimulator({ scenario: testScenario(), certsDir: certs.dir, quiet: true, ...opts })
}

export type Identity = 'client' | 'encrypted' | 'other' | 'none'

export function agent(certs: CertPaths, who: Identity = 'client'): https.Agent {
  const ca = readFileSync(certs.ca)
  if (who === 'none') return new https.Agent({ ca })
  if (who === 'other') return new https.Agent({ ca, cert: readFileSync(certs.otherClientCert), key: readFileSync(certs.otherClientKey) })
  if (who === 'encrypted') {
    return new https.Agent({ ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKeyEncrypted), passphrase: certs.clientKeyPassphrase })
  }
  return new https.Agent({ ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) })
}

export interface Answer {
  status: number
  contentType: string
  body: string
  json<T = any>(): T
}

export interface CallOptions {
  agent?: https.Agent
  headers?: Record<string, string>
  body?: string
  /** false: send no xrfkey at all; default adds it to query and header. */
  xrfkey?: boolean
}

const defaultAgents = new WeakMap<Simulator, https.Agent>()

function defaultAgent(sim: Simulator): https.Agent {
  const found = defaultAgents.get(sim)
  if (found) return found
  const created = agent(sim.certs)
  defaultAgents.set(sim, created)
  return created
}

/** The options of a raw QRS request on the certificate port with the xrfkey (tests that read the answer themselves). */
export function qrsRequestOptions(sim: Simulator, method: string, path: string, timeoutMs?: number): https.RequestOptions {
  return {
    host: 'localhost',
    port: sim.port,
    method,
    path: `${path}${path.includes('?') ? '&' : '?'}xrfkey=${xrfkey}`,
    headers: { 'X-Qlik-Xrfkey': xrfkey },
    agent: agent(sim.certs),
    timeout: timeoutMs
  }
}

/** A raw call: `path` is sent exactly as given (plus the xrfkey), so tests control the encoding. */
export function call(sim: Simulator, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  let fullPath = path
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.xrfkey !== false) {
    fullPath += `${path.includes('?') ? '&' : '?'}xrfkey=${xrfkey}`
    headers['X-Qlik-Xrfkey'] = xrfkey
  }
  return new Promise((resolve, reject) => {
    const req = https.request({ host: 'localhost', port: sim.port, method, path: fullPath, headers, agent: opts.agent ?? defaultAgent(sim) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body, json: () => JSON.parse(body) })
      })
    })
    req.on('error', reject)
    if (opts.body !== undefined) req.write(opts.body)
    req.end()
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > end) throw new Error('waitFor timed out')
    await sleep(25)
  }
}

/** Polls the session until it is gone (404), as the documented recipe does. */
export async function waitForSessionEnd(sim: Simulator, sessionId: string, a?: https.Agent): Promise<void> {
  await waitFor(async () => ((await call(sim, 'GET', `/qrs/executionsession/${sessionId}`, { agent: a })).status === 404 ? true : undefined))
}
