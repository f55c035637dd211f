import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { HtmlRenderer, Parser } from 'commonmark'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { runnerCommands } from '../helpers/runner-commands.js'
import { certificateInputs, testSite } from '../helpers/site.js'

/**
 * A load script can TRACE anything, and the server's names and messages are whatever someone typed:
 * none of it may issue runner commands (stdout read as the runner reads it) or add links and images
 * to the job summary (rendered with a CommonMark renderer).
 */
const TASK = 'b1200000-0000-4000-8000-000000000001'
const QUIET = 'b1200000-0000-4000-8000-000000000002'
const LONG_LINE = 'b1200000-0000-4000-8000-000000000003'
const COMMANDS = [
  '::add-mask::FinishedFail',
  '::add-mask::PWNED-mask',
  '::warning title=PWNED::PWNED warning',
  '  ::error file=x,line=1::PWNED error',
  '::set-output name=status::FinishedSuccess PWNED',
  '::save-state name=execution-id::PWNED',
  '::endgroup::',
  '::group::PWNED group',
  '::echo::on',
  '::stop-commands::PWNED-token',
  '::PWNED-token::',
  'text ##[set-output name=status;]PWNED v1',
  '##[warning]PWNED v1 warning',
  'mixed\r::set-output name=status::PWNED after CR',
  '::debug::PWNED debug'
]
const MARKDOWN = [
  '',
  '[PWNED link](https://evil.example/a)',
  '',
  '![PWNED image](https://evil.example/i.png)',
  '</pre></details>',
  '',
  '<img src="https://evil.example/x.png">',
  '<a href="https://evil.example/">PWNED</a>',
  ''
]
const NAME = 'Reload ::warning title=PWNED::x ##[set-output name=status]PWNED\n::add-mask::PWNED-name'

let sim: Simulator
beforeAll(async () => {
  const scenario = testSite()
  scenario.tasks!.push({
    id: TASK,
    name: NAME,
    appId: scenario.apps![0].id,
    runs: [
      {
        attempts: [
          {
            outcome: 8,
            durationMs: 300,
            details: [...COMMANDS, MARKDOWN.join('\n')],
            scriptLog: ['Execution started.', ...COMMANDS, ...MARKDOWN, 'Error: PWNED failed', ...COMMANDS, ...MARKDOWN, 'Execution Failed']
          }
        ]
      }
    ]
  })
  scenario.tasks!.push({
    id: QUIET,
    name: 'Reload Quiet',
    appId: scenario.apps![0].id,
    runs: [
      {
        attempts: [
          {
            outcome: 8,
            durationMs: 300,
            details: ['Script failed'],
            scriptLog: ['Execution started.', 'SECRET-LOG-LINE customer 4711', 'Error: SECRET-LOG-ERROR', 'Execution Failed']
          }
        ]
      }
    ]
  })
  scenario.tasks!.push({
    id: LONG_LINE,
    name: 'Reload Long Line',
    appId: scenario.apps![0].id,
    runs: [
      { attempts: [{ outcome: 8, durationMs: 300, scriptLog: ['Execution started.', `TRACE ${'y'.repeat(3 * 1024 * 1024)}`, 'Error: after the long line', 'Execution Failed'] }] }
    ]
  })
  sim = await startSimulator({ scenario, certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

describe('server text cannot take over the job', () => {
  it('prints a hostile script log, detail messages and task name without one runner command taking effect', async () => {
    const run = await runAction(certificateInputs(sim, { 'task-id': TASK, 'script-log': 'always' }))
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('FinishedFail')
    // The lines were printed (inside stop-commands blocks).
    expect(run.stdout).toContain('::set-output name=status::FinishedSuccess PWNED')
    expect(run.stdout).toContain('::group::Script log (')
    const { commands, stoppedAtEnd } = runnerCommands(run.stdout)
    expect(stoppedAtEnd).toBe(false)
    const names = new Set(commands.map(c => c.command))
    for (const name of names) expect(['group', 'endgroup', 'error', 'add-mask', 'debug', 'stop-commands', 'resume-commands']).toContain(name)
    expect(commands.filter(c => c.command === 'add-mask' && (c.data.includes('PWNED') || c.data === 'FinishedFail'))).toEqual([])
    expect(commands.filter(c => ['group', 'debug'].includes(c.command) && c.data.includes('PWNED'))).toEqual([])
    expect(commands.filter(c => c.command === 'group').length).toBe(commands.filter(c => c.command === 'endgroup').length)
    // Our own commands still work after each block: the failure annotation, with the toolkit's escaping.
    const errors = commands.filter(c => c.command === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].properties.title).toBe(`Qlik reload failed: ${NAME} (FinishedFail)`)
    expect(errors[0].data).toContain('::set-output name=status::FinishedSuccess PWNED')
    const stops = commands.filter(c => c.command === 'stop-commands')
    expect(stops.length).toBeGreaterThanOrEqual(2)
    expect(new Set(stops.map(c => c.data)).size).toBe(stops.length)
    for (const stop of stops) expect(stop.data).toMatch(/^[0-9a-f]{32}$/)
  })

  it('renders the summary as text: no link or image from server text, every line inside its HTML block', async () => {
    const run = await runAction(certificateInputs(sim, { 'task-id': TASK }))
    expect(run.code).toBe(1)
    expect(run.summary).toContain('PWNED link')
    const tree = new Parser().parse(run.summary)
    const walker = tree.walker()
    const found: string[] = []
    for (let step = walker.next(); step; step = walker.next()) {
      if (step.entering && ['link', 'image'].includes(step.node.type)) found.push(`${step.node.type} ${step.node.destination}`)
    }
    expect(found).toEqual([])
    const html = new HtmlRenderer().render(tree)
    expect(html).not.toMatch(/<a\s|<img\s/i)
    expect(html).toContain('&lt;img src=')
  })

  it('script-log: never keeps every script log line out of the step log, the annotation and the summary', async () => {
    const run = await runAction(certificateInputs(sim, { 'task-id': QUIET, 'script-log': 'never' }))
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('FinishedFail')
    for (const part of [run.stdout, run.stderr, run.summary]) expect(part).not.toMatch(/SECRET-LOG/)
    // The scheduler's messages still show.
    expect(run.stdout).toMatch(/::error title=Qlik reload failed%3A Reload Quiet.*Script failed/)
    expect(run.summary).toContain('Script failed')
  })

  it('a summary that cannot be written after a successful reload is a warning, not a failed step', async () => {
    const run = await runAction(certificateInputs(sim, { 'task-id': testSite().tasks![0].id }), { env: { GITHUB_STEP_SUMMARY: '/nonexistent-dir/summary.md' } })
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/::warning::Could not write the job summary: /)
  })

  it('prints a script log line that never ends cut to a bounded length', async () => {
    const run = await runAction(certificateInputs(sim, { 'task-id': LONG_LINE, 'script-log': 'always' }))
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('Error: after the long line')
    expect(Math.max(...run.stdout.split('\n').map(line => line.length))).toBeLessThan(5_000)
    expect(run.summary.length).toBeLessThan(20_000)
  })

  it('an error page of 1 MB of unclosed <script tags is reported at once, its first part only', async () => {
    sim.faults.add({
      method: 'GET',
      path: '/qrs/reloadtask/full',
      times: 1,
      action: { kind: 'status', status: 400, body: `<html><h1>Bad Request</h1>${'<script'.repeat(150_000)}` }
    })
    const started = Date.now()
    const run = await runAction(certificateInputs(sim, { 'task-id': QUIET }), { timeoutMs: 60_000 })
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(run.code).toBe(1)
    const error = run.stdout.split('\n').find(line => line.startsWith('::error::')) ?? ''
    expect(error).toMatch(/GET \/qrs\/reloadtask\/full answered 400: Bad Request/)
    expect(error.length).toBeLessThan(1_000)
  }, 70_000)
})
