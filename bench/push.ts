/**
 * Push wake-ups on a site whose executions pass through every step: one 4 s reload (time in Started),
 * `notify-listen`/`notify-url`, quiet and under a flood of 1,000 forged callbacks (half to the
 * registered path, half to others), as `__tests__/e2e/push.test.ts` does.
 */
import { request } from 'node:http'
import type { Simulator } from '../simulator/src/index.js'
import { freePort } from '../__tests__/helpers/tinyproxy.js'
import { APP, MACHINE, QUICK, SERVER_NAMES, bundle, certInputs, errorLines, newSim, progress, requestMix } from './common.js'
import type { PushRun } from './figures.js'

const TASK = 'b0000000-0000-4000-8000-00000000f004'
const PUSH_SECONDS = 4
const SAMPLES = QUICK ? 1 : 3
const FORGED = 1_000

function forge(url: string): Promise<number> {
  return new Promise(resolve => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', () => resolve(0))
    req.end('[]')
  })
}

/** 1,000 callbacks over the reload, 20 at a time, every other one to the registered path. */
async function flood(sim: Simulator, notifyUrl: string, running: () => boolean): Promise<{ ok: number; refused: number }> {
  let registered: string | undefined
  for (let i = 0; i < 400 && !registered && running(); i++) {
    registered = sim.notifications.active().find(n => n.url.startsWith(`${notifyUrl}/`))?.url
    if (!registered) await new Promise(done => setTimeout(done, 25))
  }
  if (!registered) return { ok: 0, refused: 0 }
  const others = [notifyUrl, `${notifyUrl}/guessed-token`, `${notifyUrl.replace(/\/qlik-notify$/, '')}/`]
  const counts = { ok: 0, refused: 0 }
  for (let sent = 0; sent < FORGED && running(); sent += 20) {
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => forge(i % 2 === 0 ? registered : others[i % others.length])))
    for (const status of statuses) {
      if (status === 200) counts.ok++
      else if (status === 404) counts.refused++
    }
    await new Promise(done => setTimeout(done, 60))
  }
  return counts
}

async function pushRun(withFlood: boolean): Promise<PushRun> {
  const sim = await newSim({
    machineName: MACHINE,
    serverNames: SERVER_NAMES,
    apps: [{ id: APP, name: 'Bench' }],
    tasks: [{ id: TASK, name: 'Reload 4 s', appId: APP, runs: [{ attempts: [{ outcome: 7, durationMs: PUSH_SECONDS * 1000 }] }] }]
  })
  try {
    const port = await freePort()
    const notifyUrl = `http://127.0.0.1:${port}/qlik-notify`
    const inputs = { ...certInputs(sim), 'task-id': TASK, 'notify-listen': `127.0.0.1:${port}`, 'notify-url': notifyUrl }
    let done = false
    const forged = withFlood ? flood(sim, notifyUrl, () => !done) : Promise.resolve({ ok: 0, refused: 0 })
    const { run, exitAt } = await bundle(inputs).finally(() => (done = true))
    const counts = await forged
    const result = sim.state.results.find(r => r.executionID === run.outputs['execution-id'])
    const stop = result ? Date.parse(result.stopTime) : NaN
    // The read that lets the step decide: the first look at the results after the end.
    const decision = sim.requests.find(q => q.time >= stop && q.path.toLowerCase().startsWith('/qrs/executionresult'))
    const ok = run.code === 0 && run.outputs.status === 'FinishedSuccess' && /Push wake-ups on/.test(run.stdout)
    if (!ok) progress(`push run FAILED: exit ${run.code}, ${run.outputs.status}: ${errorLines(run)}`)
    return {
      ok,
      decisionLagMs: decision ? decision.time - stop : NaN,
      exitLagMs: exitAt - stop,
      requests: sim.requests.length,
      callbacks: sim.notifications.deliveries().filter(d => d.url.startsWith(`${notifyUrl}/`)).length,
      forged200: counts.ok,
      forged404: counts.refused,
      mix: requestMix(sim)
    }
  } finally {
    await sim.close()
  }
}

/** Quiet and flooded runs alternate, one at a time: the lag is tens of milliseconds and load shows in it. */
export async function pushSection(): Promise<{ seconds: number; quiet: PushRun[]; flood: PushRun[] }> {
  const quiet: PushRun[] = []
  const flooded: PushRun[] = []
  for (let i = 0; i < SAMPLES; i++) {
    for (const withFlood of [false, true]) {
      const r = await pushRun(withFlood)
      ;(withFlood ? flooded : quiet).push(r)
      progress(
        `push ${withFlood ? 'flood' : 'quiet'} #${i + 1}: decision lag ${Math.round(r.decisionLagMs)} ms, exit lag ${Math.round(r.exitLagMs)} ms, ${r.requests} requests, ${r.callbacks} callbacks${withFlood ? `, forged 200 x${r.forged200} / 404 x${r.forged404}` : ''}`
      )
      if (i === 0) progress(`  requests: ${r.mix}`)
    }
  }
  return { seconds: PUSH_SECONDS, quiet, flood: flooded }
}
