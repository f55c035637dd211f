/**
 * What every bench section shares: the simulators (a site whose executions pass through every step),
 * the bundle run as a runner runs it, progress output and small helpers.
 */
import { execFileSync } from 'node:child_process'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator, type Scenario, type Simulator, type Switches } from '../simulator/src/index.js'
import { startAction, type ActionRun } from '../__tests__/helpers/local-runner.js'

export const T0 = Date.now()

const argv = process.argv.slice(2)
/** `--name value` or `--name=value`. */
export function option(name: string): string | undefined {
  const i = argv.indexOf(name)
  if (i >= 0) return argv[i + 1]
  return argv.find(a => a.startsWith(`${name}=`))?.slice(name.length + 1)
}
export const flag = (name: string) => argv.includes(name)

export const QUICK = flag('--quick') // development only: short reloads, one sample each
export const MACHINE = 'qliksrv01.corp.example'
export const SERVER_NAMES = [MACHINE, 'localhost', '127.0.0.1']
export const APP = 'b0000000-0000-4000-8000-0000000000a1'
export const certsDir = join(tmpdir(), 'qsr-bench-certs')

/**
 * The steps of an execution on the bench's site (docs/qrs-protocol.md section 5): 200 ms in Triggered,
 * 800 ms in Queued, then Started; the script log reference 100 ms before the final status. Each step is
 * a change and a notification of its own. No source times these steps: the values are the bench's
 * choice (Started about a second after the start). `--steps direct` runs the simulator's defaults
 * (Triggered 20 ms, then Started; the log reference with the end), as the bench did before issue 21.
 */
export const STEPS = option('--steps') === 'direct' ? 'direct' : 'site'
export const SITE_STEPS: Partial<Switches> = STEPS === 'direct' ? {} : { triggeredMs: 200, queuedStepMs: 800, logReferenceLeadMs: 100 }

export const progress = (text: string) => process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${text}\n`)
export const sleep = (msecs: number) => new Promise(done => setTimeout(done, msecs))

/** The machine's load, for RESULTS.md: lags of a few hundred ms are meaningful only on an idle machine. */
export function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim()
  } catch {
    return `load average ${loadavg()
      .map(l => l.toFixed(2))
      .join(', ')}`
  }
}

/** One simulator per run, so its recorded requests are that run's requests. */
export function newSim(scenario: Scenario): Promise<Simulator> {
  return startSimulator({ scenario, port: 0, proxyPort: 0, certsDir, quiet: true, switches: SITE_STEPS })
}

export function certInputs(sim: Simulator): Record<string, string> {
  return { url: sim.url, 'auth-type': 'certificate', 'client-cert': sim.certs.clientCert, 'client-key': sim.certs.clientKey, 'ca-cert': sim.certs.ca }
}

/** Runs the bundle (QSR_BUNDLE) like a runner; `exitAt` is Date.now() at the child's exit event. */
export async function bundle(inputs: Record<string, string>, options: Parameters<typeof startAction>[1] = {}): Promise<{ run: ActionRun; spawnAt: number; exitAt: number }> {
  const spawnAt = Date.now()
  const step = startAction(inputs, { timeoutMs: 600_000, ...options })
  let exitAt = NaN
  step.child.on('exit', () => (exitAt = Date.now()))
  const run = await step.done
  return { run, spawnAt, exitAt }
}

/** "GET /qrs/executionsession/{id} x12, ..." for one simulator's recorded requests. */
export function requestMix(sim: Simulator, from = 0): string {
  const counts = new Map<string, number>()
  for (const r of sim.requests.slice(from)) {
    const key = `${r.method} ${r.path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}')}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].map(([key, n]) => `${key} x${n}`).join(', ')
}

/** The error lines of a step's log, for a failed run's note. */
export const errorLines = (run: ActionRun) =>
  run.stdout
    .split('\n')
    .filter(l => l.startsWith('::error'))
    .join(' ')

/** Starts the jobs `spacingMs` apart (so spawns and ends do not pile up) and waits for all. */
export async function staggered<T>(jobs: (() => Promise<T>)[], spacingMs: number): Promise<T[]> {
  const running: Promise<T>[] = []
  for (const job of jobs) {
    running.push(job())
    await sleep(spacingMs)
  }
  return Promise.all(running)
}

/** Requests per second over the span from the first to the last request, and the busiest whole second. */
export function rate(times: number[]): { perSecond: number; peak: number; seconds: number } {
  if (times.length === 0) return { perSecond: NaN, peak: NaN, seconds: NaN }
  const first = Math.min(...times)
  const seconds = (Math.max(...times) - first) / 1000
  const buckets = new Map<number, number>()
  for (const t of times) buckets.set(Math.floor((t - first) / 1000), (buckets.get(Math.floor((t - first) / 1000)) ?? 0) + 1)
  return { perSecond: times.length / Math.max(seconds, 1), peak: Math.max(...buckets.values()), seconds }
}

/**
 * When the step noticed each execution's end: the first request at or after the result's stopTime that
 * names the execution (its session by id, its results by filter, alone or in a batch), minus stopTime.
 */
export function noticeLags(sim: Simulator, executionIds: string[]): number[] {
  return executionIds.map(id => {
    const result = sim.state.results.filter(r => r.executionID.toLowerCase() === id.toLowerCase()).at(-1)
    if (!result || result.stopTime.startsWith('1753')) return NaN
    const stop = Date.parse(result.stopTime)
    const seen = sim.requests.find(q => q.time >= stop && `${q.path}?${q.query}`.toLowerCase().includes(id.toLowerCase()))
    return seen ? seen.time - stop : NaN
  })
}
