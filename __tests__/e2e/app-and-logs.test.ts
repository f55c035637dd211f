import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import type { Scenario, Switches } from '../../simulator/src/index.js'
import { runAction, type ActionRun } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { SCRIPT_ERROR, certificateInputs } from '../helpers/site.js'

const APPS = {
  budget: 'b2000000-0000-4000-8000-000000000001',
  forecast: 'b2000000-0000-4000-8000-000000000002',
  slowLog: 'b2000000-0000-4000-8000-000000000003',
  shared: 'b2000000-0000-4000-8000-000000000004',
  huge: 'b2000000-0000-4000-8000-000000000005',
  silent: 'b2000000-0000-4000-8000-000000000006'
}
const TASKS = {
  sharedNightly: 'c3000000-0000-4000-8000-000000000001',
  copy: 'c3000000-0000-4000-8000-000000000002',
  budgetTask: 'c3000000-0000-4000-8000-000000000003'
}
const HUGE_LOG_BYTES = 200 * 1024 * 1024

function site(): Scenario {
  const fail = (extra: object = {}) => [{ attempts: [{ outcome: 8, durationMs: 300, details: [SCRIPT_ERROR], ...extra }] }]
  return {
    machineName: 'qliksrv01.corp.example',
    serverNames: ['qliksrv01.corp.example', 'localhost', '127.0.0.1'],
    nodeName: 'qliksrv01',
    apps: [
      // No task yet: the first "Reload now" creates "Manually triggered reload of Budget".
      { id: APPS.budget, name: 'Budget', reloadRuns: [{ attempts: [{ outcome: 7, durationMs: 400 }] }] },
      { id: APPS.forecast, name: 'Forecast', reloadRuns: fail() },
      { id: APPS.slowLog, name: 'Slow Log', reloadRuns: fail({ logDelayMs: 2_500 }) },
      { id: APPS.shared, name: 'Shared', reloadRuns: [{ attempts: [{ outcome: 7, durationMs: 1_500 }] }] },
      { id: APPS.huge, name: 'Huge', reloadRuns: fail({ scriptLogBytes: HUGE_LOG_BYTES }) },
      { id: APPS.silent, name: 'Silent', reloadRuns: fail({ noScriptLog: true }) }
    ],
    tasks: [
      { id: TASKS.sharedNightly, name: 'Reload Shared nightly', appId: APPS.shared, runs: [{ attempts: [{ outcome: 7, durationMs: 3_000 }] }] },
      { id: TASKS.budgetTask, name: 'Reload Budget', appId: APPS.budget, runs: [{ attempts: [{ outcome: 7, durationMs: 300 }] }] },
      { id: TASKS.copy, name: 'Copy files to archive', taskType: 1, path: 'C:\\Scripts\\archive.cmd', parameters: '/all', runs: [{ attempts: [{ outcome: 7, durationMs: 300 }] }] }
    ]
  }
}

function withSimulator(switches: Partial<Switches> = {}) {
  const ctx = {} as { sim: Simulator; run: (inputs: Record<string, string>, options?: Parameters<typeof runAction>[1]) => Promise<ActionRun> }
  beforeAll(async () => {
    ctx.sim = await startSimulator({ scenario: site(), certsDir: testCertificates().dir, switches, quiet: true })
    ctx.run = (inputs, options) => runAction(certificateInputs(ctx.sim, inputs), options)
  })
  afterAll(async () => ctx.sim?.close())
  return ctx
}

const annotation = (run: ActionRun) => run.stdout.split('\n').find(line => line.startsWith('::error')) ?? ''
const decode = (line: string) => line.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')

describe('reload by app id', () => {
  const ctx = withSimulator()

  it("reloads an app that has no task yet, like QMC's Reload now, and reports the task that ran", async () => {
    const since = Date.now()
    const run = await ctx.run({ 'app-id': APPS.budget })
    expect(annotation(run)).toBe('')
    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({ status: 'FinishedSuccess', 'app-id': APPS.budget, 'task-name': 'Manually triggered reload of Budget' })
    expect(run.outputs['task-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(run.outputs['task-id']).not.toBe(TASKS.budgetTask)
    expect(ctx.sim.requests.filter(r => r.method === 'POST' && r.path === `/qrs/app/${APPS.budget}/reload`)).toHaveLength(1)
    // The app is read once: the start takes it from the target's lookup.
    expect(ctx.sim.requests.filter(r => r.time >= since && r.method === 'GET' && r.path === `/qrs/app/${APPS.budget}`)).toHaveLength(1)
  })

  it('waits for the execution the call started, not an earlier one of the same app', async () => {
    const earlier = ctx.sim.startTask(TASKS.budgetTask)
    const run = await ctx.run({ 'app-id': APPS.budget })
    expect(run.code).toBe(0)
    expect(run.outputs['execution-id']).not.toBe(earlier)
    expect(run.outputs['task-name']).toBe('Manually triggered reload of Budget')
  })

  it('fails with the script error lines and the log tail in the annotation', async () => {
    const run = await ctx.run({ 'app-id': APPS.forecast })
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('FinishedFail')
    const text = decode(annotation(run))
    expect(text).toMatch(/^::error title=Qlik reload failed: Manually triggered reload of Forecast \(FinishedFail\)::/)
    expect(text).toContain('Script errors:')
    expect(text).toMatch(/Error: Field 'Revenue' not found/)
    expect(text).toContain('Last lines of the script log:')
    expect(text).toContain('Execution Failed')
    // on-failure: the whole log is printed in a collapsed group, and saved for upload.
    expect(run.stdout).toMatch(/::group::Script log \(/)
    expect(existsSync(run.outputs['script-log-path'])).toBe(true)
    expect(readFileSync(run.outputs['script-log-path'], 'utf8')).toMatch(/Execution Failed/)
  })

  it('fails naming an unknown app, before requesting anything', async () => {
    const run = await ctx.run({ 'app-id': 'b2000000-0000-4000-8000-0000000000ff' })
    expect(run.code).toBe(1)
    expect(annotation(run)).toMatch(/No app with id b2000000-0000-4000-8000-0000000000ff/)
    expect(ctx.sim.requests.some(r => r.path === '/qrs/app/b2000000-0000-4000-8000-0000000000ff/reload')).toBe(false)
  })

  it('says so rather than guess when another execution of the app starts at the same time', async () => {
    const since = Date.now()
    const pending = ctx.run({ 'app-id': APPS.shared })
    let other: string | undefined
    for (let i = 0; i < 2_000 && !other; i++) {
      if (ctx.sim.requests.some(r => r.time >= since && r.path === `/qrs/app/${APPS.shared}/reload`)) other = ctx.sim.startTask(TASKS.sharedNightly)
      else await new Promise(done => setTimeout(done, 5))
    }
    const run = await pending
    expect(other).toBeDefined()
    expect(run.code).toBe(1)
    expect(annotation(run)).toMatch(/App 'Shared' has 2 executions that started since the reload was requested.*Not guessing/)
  })

  it('retries the log download while the server answers 404 right after the run', async () => {
    const run = await ctx.run({ 'app-id': APPS.slowLog })
    expect(run.code).toBe(1)
    expect(decode(annotation(run))).toMatch(/Error: Field 'Revenue' not found/)
    const downloads = ctx.sim.requests.filter(r => r.path.startsWith('/qrs/download/reloadtask/'))
    expect(downloads.filter(r => r.status === 404).length).toBeGreaterThan(0)
    expect(downloads.at(-1)!.status).toBe(200)
  })

  it('says so when the execution left no script log', async () => {
    const run = await ctx.run({ 'app-id': APPS.silent })
    expect(run.code).toBe(1)
    expect(decode(annotation(run))).toMatch(/No script log: the scheduler recorded no script log/)
    expect(run.outputs['script-log-path'] ?? '').toBe('')
  })

  it('prints the log of a successful reload with script-log: always, and never prints it with never', async () => {
    const always = await ctx.run({ 'app-id': APPS.budget, 'script-log': 'always' })
    expect(always.code).toBe(0)
    expect(always.stdout).toMatch(/::group::Script log \(/)
    expect(always.stdout).toMatch(/Execution finished\./)
    const never = await ctx.run({ 'app-id': APPS.forecast, 'script-log': 'never' })
    expect(never.code).toBe(1)
    expect(never.stdout).not.toMatch(/::group::Script log/)
    // never: no script log line in the annotation either; the scheduler's message still shows.
    expect(decode(annotation(never))).not.toMatch(/Error: Field 'Revenue' not found/)
    expect(decode(annotation(never))).toMatch(/Field 'Revenue' not found/)
  })

  it('starts and waits for an external program task the same way', async () => {
    const run = await ctx.run({ 'task-name': 'Copy files to archive' })
    expect(annotation(run)).toBe('')
    expect(run.outputs).toMatchObject({ status: 'FinishedSuccess', 'task-id': TASKS.copy, 'app-id': '' })
  })

  it('writes a job summary that says what ran and, on failure, why', async () => {
    const ok = await ctx.run({ 'task-name': 'Reload Budget' })
    expect(ok.summary).toMatch(/<h3>✅ Reload Budget: FinishedSuccess<\/h3>/)
    expect(ok.summary).toContain('<code>c3000000-0000-4000-8000-000000000003</code>')
    expect(ok.summary).toContain('Scheduler details')
    const failed = await ctx.run({ 'app-id': APPS.forecast })
    expect(failed.summary).toMatch(/<h3>❌ Manually triggered reload of Forecast: FinishedFail<\/h3>/)
    expect(failed.summary).toContain('Script errors:')
    expect(failed.summary).toContain("Error: Field 'Revenue' not found")
    expect(failed.summary).toMatch(/Last \d+ lines of the script log/)
    const refused = await ctx.run({ 'task-name': 'No such task' })
    expect(refused.summary).toMatch(/<h3>❌ Qlik Sense reload: failed<\/h3>/)
    expect(refused.summary).toContain('No task named')
  })
})

describe('a 200 MB script log', () => {
  const ctx = withSimulator()

  it('streams to disk with flat memory, keeps the head and tail within script-log-max-size (100MB), and still finds the error lines at its end', async () => {
    const rssFile = join(mkdtempSync(join(tmpdir(), 'qsr-rss-')), 'max-rss')
    const run = await ctx.run(
      { 'app-id': APPS.huge },
      { nodeArgs: ['--max-old-space-size=48', '--import', resolve('__tests__/helpers/max-rss.mjs')], env: { QSR_MAX_RSS_FILE: rssFile }, timeoutMs: 120_000 }
    )
    expect(run.code).toBe(1)
    const path = run.outputs['script-log-path']
    const peakMiB = Number(readFileSync(rssFile, 'utf8')) / 1024
    // Measured here: about 62 MiB for a small log, 128 MiB for this one (young-generation garbage of the
    // line scan, bounded). A buffered read would hold the 200 MiB Buffer plus its decoded string, and
    // with a 48 MiB old space (--max-old-space-size) the process would not survive it at all.
    expect(peakMiB).toBeLessThan(180)
    // Saved within the default script-log-max-size: its first and last 50 MiB, and a line saying what was cut.
    const { size } = await import('node:fs/promises').then(fs => fs.stat(path))
    expect(size).toBeGreaterThan(100 * 1024 * 1024 - 1024)
    expect(size).toBeLessThanOrEqual(100 * 1024 * 1024)
    expect(run.stdout).toMatch(/Script log: 100\.0 MiB at .* \(cut: \d+\.\d MiB of its 200\.0 MiB left out in the middle/)
    expect(decode(annotation(run))).toMatch(/Error: Field 'Revenue' not found/)
    // Printed bounded: head and tail, not 100 MB of log lines.
    expect(run.stdout.length).toBeLessThan(4 * 1024 * 1024)
    expect(run.stdout).toMatch(/not shown here: the saved log is at/)
  }, 180_000)
})

describe.each(['legacy', 'current'] as const)('a server with only the %s script log route', routes => {
  const ctx = withSimulator({ scriptLogRoutes: routes })

  it('still finds the log', async () => {
    const run = await ctx.run({ 'app-id': APPS.forecast })
    expect(run.code).toBe(1)
    expect(decode(annotation(run))).toMatch(/Error: Field 'Revenue' not found/)
  })
})
