import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { parseFileCommands, type RunnerOs } from './runner-files.js'
import { startWindowsStep, type StepProcess } from './wine.js'

/**
 * Runs the bundled action the way a GitHub runner does, for the tests and the demo.
 */
export interface ActionRun {
  code: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
}

/**
 * The bundle every run starts: the tests' global setup bundles the current src/ into a temporary
 * folder and names it in QSR_BUNDLE, so a change to src/ is tested without `npm run bundle`.
 * Without it (demo, bench, a script) the committed dist/index.js runs.
 */
export const BUNDLE = process.env.QSR_BUNDLE || resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/index.js')

/** Parses GITHUB_OUTPUT / GITHUB_STATE as the runner does on `os` (see runner-files.ts). */
export function parseCommandFile(text: string, os: RunnerOs = 'linux'): Record<string, string> {
  return parseFileCommands(text, os)
}

export interface RunOptions {
  env?: Record<string, string>
  node?: string
  nodeArgs?: string[]
  timeoutMs?: number
  /** Step state from main (`STATE_<name>`): set for the post step, as the runner does; the post step's bundle (postBundle()) runs then. */
  state?: Record<string, string>
  /** Run node.exe under Wine as a Windows process (default: E2E_WINDOWS=1; see wine.ts). */
  windows?: boolean
  /** The bundle to start: default BUNDLE, or with `state` the post step's (see postBundle()). */
  entry?: string
}

/** A started step: its process (to send signals, as a cancellation does) and its result when it ends. */
export interface RunningAction {
  child: ChildProcess
  stdout: () => string
  done: Promise<ActionRun>
}

/**
 * Starts the bundle the way the runner does: `node dist/index.js`, inputs as `INPUT_<NAME>`
 * (upper-cased, hyphens kept), and fresh GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files.
 */
export function startAction(inputs: Record<string, string>, options: RunOptions = {}): RunningAction {
  const dir = mkdtempSync(join(tmpdir(), 'qsr-run-'))
  const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STATE: join(dir, 'state'), GITHUB_STEP_SUMMARY: join(dir, 'summary') }
  for (const file of Object.values(files)) writeFileSync(file, '')
  // E2E_STEP_DEBUG=1 runs every step in the runner's debug mode (core.debug lines printed); the caller's env wins.
  const debug: Record<string, string> = process.env.E2E_STEP_DEBUG === '1' ? { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' } : {}
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RUNNER_TEMP: dir, ...files, ...debug, ...options.env }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value
  const windows = options.windows ?? process.env.E2E_WINDOWS === '1'
  const entry = options.entry ?? (options.state ? postBundle() : BUNDLE)
  const { child, stdout, stderr } = windows ? startWindowsStep(entry, env, dir, options.nodeArgs) : startNode(entry, env, options)
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  const done = new Promise<number | null>(resolveCode => child.on('close', resolveCode)).then(code => {
    clearTimeout(killer)
    return {
      code,
      stdout: stdout(),
      stderr: stderr(),
      outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8'), windows ? 'win32' : 'linux'),
      state: parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8'), windows ? 'win32' : 'linux'),
      summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')
    }
  })
  return { child, stdout, done }
}

function startNode(entry: string, env: Record<string, string>, options: RunOptions): StepProcess {
  const child = spawn(options.node ?? process.env.E2E_NODE ?? process.execPath, [...(options.nodeArgs ?? []), entry], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => (stdout += chunk))
  child.stderr.on('data', chunk => (stderr += chunk))
  return { child, stdout: () => stdout, stderr: () => stderr }
}

/**
 * The bundle the runner starts for the post step: action.yml's `runs.post` (dist/post/index.js, the post
 * step's own entry), a path under dist/, taken from the folder BUNDLE is in (the tests' fresh bundle
 * mirrors dist/).
 */
export function postBundle(): string {
  const action = parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../action.yml'), 'utf8')) as { runs: { main: string; post?: string } }
  const post = action.runs.post ?? action.runs.main
  return join(dirname(BUNDLE), relative('dist', post))
}

/** Runs the bundle to its end (see startAction). */
export function runAction(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
  return startAction(inputs, options).done
}

/** The workflow commands in a step's stdout as a runner's log shows them. */
export function asRunnerLog(stdout: string): string {
  return stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::') && !line.startsWith('::debug::') && line !== '::endgroup::')
    .map(line => {
      const command = /^::(group|error|warning|notice)(?: [^:]*)?::(.*)$/.exec(line)
      if (!command) return line
      const text = command[2].replace(/%0A/g, '\n').replace(/%0D/g, '').replace(/%25/g, '%')
      return command[1] === 'group' ? `▸ ${text}` : `${command[1][0].toUpperCase()}${command[1].slice(1)}: ${text}`
    })
    .join('\n')
}
