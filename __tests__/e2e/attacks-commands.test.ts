/**
 * Issue 20, item 1: no runner command from server text, whatever whitespace it starts with.
 *
 * The runner trims a line with .NET's String.TrimStart() before it looks for `::`, and that strips
 * every char.IsWhiteSpace character (U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000); JavaScript's trimStart() misses U+0085. Task names, detail
 * messages and script log lines start with each of them followed by `::error title=X::PWNED ...`;
 * stdout is read as the runner reads it (helpers/runner-commands.ts) and no such command may appear.
 * Engine mode too: the app's name, its progress lines and transient text, its table names and its
 * script errors, all printed through the same gate.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction, type ActionRun } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { DOTNET_WHITESPACE, runnerCommands } from '../helpers/runner-commands.js'
import { certificateInputs, testSite } from '../helpers/site.js'

const TAG = 'Hostile whitespace'
const hex = (ch: string): string => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
const hostile = (ch: string, where: string): string => `${ch}::error title=X::PWNED ${where} ${hex(ch)}`
const id = (n: number): string => `c2000000-0000-4000-8000-${String(n).padStart(12, '0')}`
/** Engine apps: one that reloads (its tables checked), one whose script fails. */
const ENGINE = { ok: 'c3000000-0000-4000-8000-000000000001', failing: 'c3000000-0000-4000-8000-000000000002' }

/** Every line of an engine reload that comes from the app: progress, transient text, tables; with `errors` its script errors. */
function hostileEngine(errors: boolean): NonNullable<NonNullable<ReturnType<typeof testSite>['apps']>[number]['engine']> {
  const chars = DOTNET_WHITESPACE
  return {
    tables: chars.map((ch, n) => ({ name: hostile(ch, `table ${n}`), rows: n + 1 })),
    reloads: [
      {
        durationMs: 1_500,
        progress: chars.map((ch, n) => ({ atMs: n * 40, text: hostile(ch, 'progress') })),
        transient: chars.map((ch, n) => ({ atMs: n * 40, text: hostile(ch, 'transient') })),
        ...(errors ? { errors: chars.map(ch => ({ message: hostile(ch, 'script error'), statement: hostile(ch, 'statement') })) } : {})
      }
    ]
  }
}

let sim: Simulator
beforeAll(async () => {
  const scenario = testSite()
  scenario.tags = [TAG]
  DOTNET_WHITESPACE.forEach((ch, n) =>
    scenario.tasks!.push({
      id: id(n + 1),
      name: hostile(ch, 'name'),
      appId: scenario.apps![0].id,
      tags: [TAG],
      runs: [
        {
          attempts: [
            {
              outcome: 8,
              durationMs: 200,
              details: [hostile(ch, 'detail')],
              scriptLog: ['Execution started.', hostile(ch, 'log'), `Error: ${hostile(ch, 'error line')}`, 'Execution Failed']
            }
          ]
        }
      ]
    })
  )
  scenario.apps!.push(
    { id: ENGINE.ok, name: hostile('\u0085', 'app name'), published: true, engine: hostileEngine(false) },
    { id: ENGINE.failing, name: hostile('\u2028', 'app name'), published: true, engine: hostileEngine(true) }
  )
  sim = await startSimulator({ scenario, certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

/** The `::error title=X::` commands the runner would carry out: which character and which text let each through. */
function injected(run: ActionRun): string[] {
  const { commands, stoppedAtEnd } = runnerCommands(run.stdout)
  expect(stoppedAtEnd).toBe(false)
  return commands.filter(c => c.properties.title === 'X' || c.data.startsWith('PWNED')).map(c => c.data)
}

describe('server text starting with any .NET whitespace character issues no runner command', () => {
  it('dry run: the selection lines and the plan table', async () => {
    const run = await runAction(certificateInputs(sim, { 'task-tag': TAG, 'max-targets': '30', 'dry-run': 'true' }))
    expect(run.stdout).toContain('PWNED name U+0020')
    expect(injected(run)).toEqual([])
  })

  it('a run: names, detail messages, script logs and error lines of 25 failing reloads', async () => {
    const run = await runAction(certificateInputs(sim, { 'task-tag': TAG, 'max-targets': '30', 'max-parallel': '8', 'script-log': 'always' }), { timeoutMs: 90_000 })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('PWNED log U+3000')
    expect(injected(run)).toEqual([])
  }, 100_000)

  it('a single target by name: the name in the start, wait and failure lines', async () => {
    const ch = '\u0085'
    const run = await runAction(certificateInputs(sim, { 'task-name': hostile(ch, 'name'), 'script-log': 'always' }))
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('FinishedFail')
    expect(injected(run)).toEqual([])
  })
})

describe('engine mode: what the engine sends, whatever whitespace it starts with, issues no runner command', () => {
  const engine = (extra: Record<string, string>) => certificateInputs(sim, { 'reload-mode': 'engine', 'engine-url': sim.engineUrl, 'script-log': 'always', ...extra })

  it("a reload: the app's name, its progress lines and transient text, its tables and their checks", async () => {
    const run = await runAction(engine({ 'app-id': ENGINE.ok, 'expect-rows': '* > 0' }))
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('PWNED progress U+3000')
    expect(run.stdout).toContain('PWNED table 24 U+3000')
    expect(injected(run)).toEqual([])
  })

  it('a failing script: its errors in the log, the annotation and the summary; two apps at once', async () => {
    const run = await runAction(engine({ 'app-id': `${ENGINE.failing}\n${ENGINE.ok}` }))
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('PWNED script error U+0085')
    expect(injected(run)).toEqual([])
  })
})
