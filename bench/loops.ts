import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import https from 'node:https'
import type { Simulator } from '../simulator/src/index.js'

/**
 * Reference strategies, as small polling loops (bench modes, not action inputs): start the task with
 * POST /qrs/task/{id}/start/synchronous, poll GET /qrs/executionsession/{id} on a fixed schedule until
 * it answers 404, then read /qrs/executionresult/full?filter=ExecutionId eq {id} (again on the
 * schedule until the latest attempt is final).
 */
export interface LoopStrategy {
  name: string
  /** Gap before poll number n (0-based, counting every poll after the start). */
  gapMs(n: number): number
}

/** Qlik-Cli's Wait-QlikExecution: a check every second. */
export const FIXED_1S: LoopStrategy = { name: 'fixed 1 s', gapMs: () => 1000 }
/** The Airflow provider's operator: first check after 10 s, then every 30 s. */
export const AIRFLOW: LoopStrategy = { name: '10 s then every 30 s', gapMs: n => (n === 0 ? 10_000 : 30_000) }

const FINAL = new Set([6, 7, 8, 9, 11, 12])

export interface LoopRun {
  executionId: string
  status: number
  /** Date.now() when the loop had the final result in hand. */
  endAt: number
}

/** A QRS client with the simulator's client certificate and an xrfkey (16 chars, query and header). */
function client(sim: Simulator) {
  const agent = new https.Agent({
    keepAlive: true,
    ca: readFileSync(sim.certs.ca),
    cert: readFileSync(sim.certs.clientCert),
    key: readFileSync(sim.certs.clientKey)
  })
  const xrfkey = randomBytes(12)
    .toString('base64')
    .replace(/[^0-9A-Za-z]/g, 'x')
    .slice(0, 16)
  const call = (method: string, path: string, query = ''): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const q = `${query ? `${query}&` : ''}xrfkey=${xrfkey}`
      const req = https.request(
        {
          host: 'localhost',
          port: sim.port,
          method,
          path: `${path}?${q}`,
          agent,
          headers: { 'X-Qlik-Xrfkey': xrfkey, 'X-Qlik-User': 'UserDirectory=INTERNAL; UserId=sa_api', 'Content-Length': '0' }
        },
        res => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', chunk => (body += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        }
      )
      req.on('error', reject)
      req.end()
    })
  return { call, close: () => agent.destroy() }
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

export async function runLoop(sim: Simulator, taskId: string, strategy: LoopStrategy): Promise<LoopRun> {
  const { call, close } = client(sim)
  try {
    const started = await call('POST', `/qrs/task/${taskId}/start/synchronous`)
    if (started.status !== 201 && started.status !== 200) throw new Error(`start answered ${started.status}: ${started.body}`)
    const executionId = (JSON.parse(started.body) as { value: string }).value
    let n = 0
    for (;;) {
      await sleep(strategy.gapMs(n++))
      const session = await call('GET', `/qrs/executionsession/${executionId}`)
      if (session.status === 404) break
      if (session.status !== 200) throw new Error(`executionsession answered ${session.status}`)
    }
    for (;;) {
      const answer = await call('GET', '/qrs/executionresult/full', `filter=${encodeURIComponent(`ExecutionId eq ${executionId}`)}`)
      if (answer.status !== 200) throw new Error(`executionresult answered ${answer.status}`)
      const results = JSON.parse(answer.body) as { status: number; startTime: string }[]
      const latest = results.sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime)).at(-1)
      if (latest && FINAL.has(latest.status)) return { executionId, status: latest.status, endAt: Date.now() }
      await sleep(strategy.gapMs(n++))
    }
  } finally {
    close()
  }
}
