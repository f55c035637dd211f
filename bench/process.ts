/**
 * What one process costs: start-up (spawn to the first request, spawn to an input error, against a
 * bare `node -e 0`), peak memory with a 200 MiB script log, NTLM handshakes through a Windows VP.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Scenario } from '../simulator/src/index.js'
import { WINDOWS } from '../__tests__/helpers/site.js'
import { APP, MACHINE, SERVER_NAMES, bundle, certInputs, errorLines, newSim, progress, requestMix } from './common.js'
import type { Figures } from './figures.js'

const TINY_TASK = 'b0000000-0000-4000-8000-00000000aaaa'
const BIG_LOG_TASK = 'b0000000-0000-4000-8000-00000000bbbb'
const NTLM_TASK = 'b0000000-0000-4000-8000-00000000cccc'
const BIG_LOG_BYTES = 200 * 1024 * 1024
const NTLM_SECONDS = 20

function smallScenario(withProxy = false): Scenario {
  return {
    machineName: MACHINE,
    serverNames: SERVER_NAMES,
    apps: [{ id: APP, name: 'Bench' }],
    tasks: [
      { id: TINY_TASK, name: 'Reload tiny', appId: APP, runs: [{ attempts: [{ outcome: 7, durationMs: 100 }] }] },
      { id: BIG_LOG_TASK, name: 'Reload big log', appId: APP, runs: [{ attempts: [{ outcome: 8, durationMs: 300, scriptLogBytes: BIG_LOG_BYTES }] }] },
      { id: NTLM_TASK, name: 'Reload 20 s', appId: APP, runs: [{ attempts: [{ outcome: 7, durationMs: NTLM_SECONDS * 1000 }] }] }
    ],
    ...(withProxy
      ? {
          proxy: {
            virtualProxies: [{ prefix: 'ntlm', auth: 'windows' as const, sessionCookieName: 'X-Qlik-Session-ntlm', windowsAuthPattern: 'Windows' }],
            windowsAccounts: [WINDOWS]
          }
        }
      : {})
  }
}

/** Spawn to exit of `node -e 0` (hrtime), the floor of any step. */
function bareNode(): Promise<number> {
  return new Promise((done, fail) => {
    const t = process.hrtime.bigint()
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } })
    child.on('error', fail)
    child.on('exit', () => done(Number(process.hrtime.bigint() - t) / 1e6))
  })
}

/** Spawn to the simulator receiving the first request (its headers, after the TLS handshake). */
async function toFirstRequest(): Promise<number> {
  const sim = await newSim(smallScenario())
  try {
    const { run, spawnAt } = await bundle({ ...certInputs(sim), 'task-id': TINY_TASK })
    if (run.code !== 0 || sim.requests.length === 0) throw new Error(`start-up run failed (exit ${run.code}): ${errorLines(run)}`)
    return sim.requests[0].time - spawnAt
  } finally {
    await sim.close()
  }
}

/** Spawn to exit of a step whose `url` is not a URL: it must fail before any request, naming the input. */
async function toInputError(): Promise<{ ms: number; named: boolean }> {
  const t = process.hrtime.bigint()
  const { run } = await bundle({ url: 'not a url', 'auth-type': 'certificate', 'task-id': TINY_TASK })
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  return { ms, named: run.code === 1 && /::error[^\n]*\burl\b/.test(run.stdout) }
}

export async function startupSection(): Promise<NonNullable<Figures['startup']>> {
  const out = { firstRequestMs: [] as number[], inputErrorMs: [] as number[], bareMs: [] as number[], inputErrorNamed: true }
  // Warm-up, not counted: the page cache.
  await bareNode()
  await toFirstRequest()
  await toInputError()
  for (let i = 0; i < 5; i++) {
    out.bareMs.push(await bareNode())
    out.firstRequestMs.push(await toFirstRequest())
    const error = await toInputError()
    out.inputErrorMs.push(error.ms)
    out.inputErrorNamed &&= error.named
  }
  const list = (v: number[]) => v.map(x => Math.round(x)).join(', ')
  progress(`start-up: first request ${list(out.firstRequestMs)} ms; input error ${list(out.inputErrorMs)} ms; bare node ${list(out.bareMs)} ms`)
  return out
}

/** A failed reload with a 200 MiB log: downloaded, scanned, head and tail printed; maxRSS from max-rss.mjs. */
export async function rssSection(): Promise<NonNullable<Figures['rss']>> {
  const dir = mkdtempSync(join(tmpdir(), 'qsr-bench-rss-'))
  const sim = await newSim(smallScenario())
  try {
    const rssFile = join(dir, 'max-rss')
    const { run } = await bundle(
      { ...certInputs(sim), 'task-id': BIG_LOG_TASK },
      { nodeArgs: ['--import', resolve('__tests__/helpers/max-rss.mjs')], env: { QSR_MAX_RSS_FILE: rssFile, RUNNER_TEMP: dir } }
    )
    const bytes = Number(readFileSync(rssFile, 'utf8')) * 1024
    const path = run.outputs['script-log-path']
    const logBytes = path ? statSync(path).size : 0
    const ok = run.code === 1 && run.outputs.status === 'FinishedFail' && logBytes >= BIG_LOG_BYTES
    const note = `step exit ${run.code}, ${run.outputs.status}, log on disk ${(logBytes / 1024 / 1024).toFixed(1)} MiB`
    progress(`peak RSS ${(bytes / 1024 / 1024).toFixed(1)} MiB (${note})`)
    return { bytes, logBytes, ok, note }
  } finally {
    await sim.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The bundle with auth-type ntlm through the Windows VP on a 20 s reload: exactly one handshake expected. */
export async function ntlmSection(): Promise<NonNullable<Figures['ntlm']>> {
  const sim = await newSim(smallScenario(true))
  try {
    const { run } = await bundle({
      url: `${sim.proxyUrl}/ntlm`,
      'auth-type': 'ntlm',
      username: `${WINDOWS.domain}\\${WINDOWS.user}`,
      password: WINDOWS.password,
      'ca-cert': sim.certs.ca,
      'task-id': NTLM_TASK
    })
    const out = {
      handshakes: sim.proxy.ntlmHandshakes.ntlm ?? 0,
      requests: sim.requests.length,
      ok: run.code === 0 && run.outputs.status === 'FinishedSuccess',
      note: `${NTLM_SECONDS} s reload, ${sim.proxy.ntlmFailures.ntlm ?? 0} failed handshakes`
    }
    progress(`NTLM: ${out.handshakes} handshake(s), ${out.requests} requests through the proxy (${requestMix(sim)}), step ${out.ok ? 'succeeded' : `FAILED (exit ${run.code})`}`)
    return out
  } finally {
    await sim.close()
  }
}
