/**
 * Every ```yaml example in README.md, run as written against the simulator: the bundle gets the example's
 * `with:` inputs, with only what names the reader's site mapped to the simulator through the tables below
 * (hosts and ports, secrets, the README's targets). An example this test cannot map fails it, naming what
 * to add, so the README and this test cannot drift apart.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse } from 'yaml'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import type { Scenario, ScenarioApp, ScenarioCompositeEvent, ScenarioTask } from '../../simulator/src/index.js'
import { runAction, type ActionRun } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { expectNoLeaks } from '../helpers/leaks.js'
import { IDS, WINDOWS, testSite } from '../helpers/site.js'
import { freePort } from '../helpers/tinyproxy.js'

const README = readFileSync(resolve('README.md'), 'utf8')
const ACTION = parse(readFileSync(resolve('action.yml'), 'utf8')) as { inputs: Record<string, unknown>; outputs: Record<string, unknown> }
const OUR_ACTION = /^our-org\/qlik-sense-reload@/

// ── The mapping: what the README's placeholders are on the simulated site ───────────────────────────

interface Site {
  sim: Simulator
  /** A free port standing for the README's notify port (8765). */
  notifyPort: number
}

/** Host (and port) in the README → where the simulator answers. Used for url, notify-url and notify-listen. */
const ADDRESSES: Record<string, (site: Site) => string> = {
  // The QRS port by the node's name: the simulator's certificate names localhost too.
  'qliksrv01.corp.example:4242': ({ sim }) => `localhost:${sim.port}`,
  // The engine port (4747) of the node: engine-url.
  'qliksrv01.corp.example:4747': ({ sim }) => `localhost:${sim.enginePort}`,
  // The QRS port by IP: 127.0.0.1 is not in the simulator's certificate, as 10.20.30.40 would not be in Qlik's.
  '10.20.30.40:4242': ({ sim }) => `127.0.0.1:${sim.port}`,
  // The proxy (QPS) on 443; the path keeps the virtual proxy prefix (/ntlm, /jwt, /hdr).
  'qlik.corp.example': ({ sim }) => `localhost:${sim.proxyPort}`,
  // Push wake-ups: where the runner listens, and how the Qlik server reaches it.
  '0.0.0.0:8765': ({ notifyPort }) => `0.0.0.0:${notifyPort}`,
  'runner01.corp.example:8765': ({ notifyPort }) => `127.0.0.1:${notifyPort}`
}

const pem = (path: string) => readFileSync(path, 'utf8')

/** `${{ secrets.NAME }}` → the simulator's value, given as text as a repository secret holds it. */
const SECRETS: Record<string, (site: Site) => string> = {
  QLIK_CLIENT_PEM: ({ sim }) => pem(sim.certs.clientCert),
  QLIK_CLIENT_KEY_PEM: ({ sim }) => pem(sim.certs.clientKey),
  QLIK_ROOT_PEM: ({ sim }) => pem(sim.certs.ca),
  // The simulator's proxy presents a certificate of the same site CA.
  QLIK_PROXY_CA_PEM: ({ sim }) => pem(sim.certs.ca),
  QLIK_USER: () => `${WINDOWS.domain}\\${WINDOWS.user}`,
  QLIK_PASSWORD: () => WINDOWS.password,
  QLIK_JWT_KEY: ({ sim }) => pem(sim.certs.jwtKey)
}

/**
 * The targets the README names that the sample site (helpers/site.ts) lacks, added to this test's site under
 * the README's own names and ids, so task-name, task-id and app-id go to the action exactly as written.
 * ('Reload Sales' is on the sample site.)
 */
const README_ID = (n: number) => `7e400000-0000-4000-8000-${String(n).padStart(12, '0')}`
const ok = (durationMs: number) => [{ attempts: [{ outcome: 7, durationMs }] }]
const task = (id: string, name: string, durationMs = 400): ScenarioTask => ({ id, name, appId: IDS.appSales, runs: ok(durationMs) })
const trigger = (n: number, name: string, upstream: string, ruleState: 1 | 2, downstream: string): ScenarioCompositeEvent => ({
  id: README_ID(100 + n),
  name,
  rules: [{ taskId: upstream, ruleState }],
  downstreamTaskId: downstream
})
const README_STREAMS = [
  { id: README_ID(201), name: 'Finance' },
  { id: README_ID(202), name: 'Sales' }
]
const README_TARGETS: { apps: ScenarioApp[]; tasks: ScenarioTask[]; compositeEvents: ScenarioCompositeEvent[] } = {
  apps: [
    // "Reload an app by id": no task yet, the first Reload now creates "Manually triggered reload of Sales dashboard".
    // "Reload in the engine": the tables its expect-rows checks.
    {
      id: '9b1c3f0e-6a52-4d39-8f62-1d2e3f4a5b6c',
      name: 'Sales dashboard',
      reloadRuns: ok(400),
      engine: {
        tables: [
          { name: 'Orders', rows: 126_000 },
          { name: 'Customers', rows: 4_200 }
        ],
        tablesAfterFull: [
          { name: 'Orders', rows: 126_500 },
          { name: 'Customers', rows: 4_215 }
        ],
        reloads: [{ durationMs: 1_200 }]
      }
    },
    // "Choosing targets ... app name": one name in two streams, so `stream` is needed.
    { id: README_ID(211), name: 'Budget', streamId: README_STREAMS[0].id, reloadRuns: ok(400) },
    { id: README_ID(212), name: 'Budget', streamId: README_STREAMS[1].id, reloadRuns: ok(400) }
  ],
  tasks: [
    // "Start without waiting": long enough to be still running when the step ends.
    task('0d815a2b-4d6c-4f7e-9a6b-1b2c3d4e5f60', 'Reload Inventory', 1_500),
    // "Several reloads in one step".
    task(README_ID(1), 'Reload Finance, EMEA'),
    task(README_ID(2), 'Reload HR'),
    // "Waiting for the task chain": the chain the README draws.
    task(README_ID(3), 'Reload Staging'),
    task(README_ID(4), 'Reload Warehouse'),
    task(README_ID(5), 'Reload Sales mart'),
    task(README_ID(6), 'Notify on failure'),
    // "Choosing targets by tag, custom property": the README's tags and ReloadGroup values.
    { ...task(README_ID(7), 'Reload GL'), tags: ['Nightly Finance'], customProperties: [{ name: 'ReloadGroup', value: 'Finance' }] },
    { ...task(README_ID(8), 'Reload AP'), tags: ['Nightly Finance', 'Weekly'] },
    { ...task(README_ID(9), 'Reload Budget forecast'), customProperties: [{ name: 'ReloadGroup', value: 'Finance' }] },
    { ...task(README_ID(10), 'Reload Payroll'), tags: ['Weekly'], customProperties: [{ name: 'ReloadGroup', value: 'HR' }] }
  ],
  compositeEvents: [
    trigger(1, 'After Staging', README_ID(3), 1, README_ID(4)),
    trigger(2, 'After Warehouse', README_ID(4), 1, README_ID(5)),
    trigger(3, 'When Warehouse failed', README_ID(4), 2, README_ID(6))
  ]
}

function readmeSite(): Scenario {
  const site = testSite()
  return {
    ...site,
    // Without 127.0.0.1: the IP example must need its tls-server-name, as on a real site.
    serverNames: [site.machineName, 'localhost'],
    apps: [...(site.apps ?? []), ...README_TARGETS.apps],
    tasks: [...(site.tasks ?? []), ...README_TARGETS.tasks],
    compositeEvents: README_TARGETS.compositeEvents,
    streams: README_STREAMS,
    customPropertyDefinitions: [{ id: README_ID(221), name: 'ReloadGroup' }]
  }
}

// ── Reading the README ───────────────────────────────────────────────────────────────────────────────

interface Example {
  /** Line of the opening fence in README.md. */
  line: number
  heading: string
  source: string
  /** The `with:` of the step that uses this action (for a fragment: the `with:` it shows). */
  with: Record<string, unknown>
  /** The step's id, when the example gives one (its outputs are then used by later steps). */
  id?: string
}

const TARGET_INPUTS = ['task-id', 'task-name', 'app-id'] as const
/** Inputs that choose targets: a fragment with any of them replaces all of them from its base. */
const SELECTING_INPUTS = [...TARGET_INPUTS, 'app-name', 'stream', 'task-tag', 'task-custom-property'] as const

/** Every ```yaml block with its line and the heading above it (blocks indented in lists included). */
function yamlBlocks(markdown: string): { line: number; heading: string; source: string }[] {
  const lines = markdown.split('\n')
  const blocks: { line: number; heading: string; source: string }[] = []
  let heading = ''
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,6}\s+(.*)$/.exec(lines[i])
    if (h) heading = h[1]
    const fence = /^(\s*)```ya?ml\s*$/.exec(lines[i])
    if (!fence) continue
    const indent = fence[1].length
    const end = lines.findIndex((l, j) => j > i && /^\s*```\s*$/.test(l))
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed yaml block`)
    blocks.push({
      line: i + 1,
      heading,
      source: lines
        .slice(i + 1, end)
        .map(l => l.slice(Math.min(indent, l.length - l.trimStart().length)))
        .join('\n')
    })
    i = end
  }
  return blocks
}

/** The example's step that uses this action, or the bare `with:` a fragment shows. Throws for anything else. */
function toExample(block: { line: number; heading: string; source: string }): Example {
  const where = `README.md:${block.line} (${block.heading})`
  const doc = parse(block.source) as unknown
  // A whole workflow: the steps of its jobs.
  const steps = doc && typeof doc === 'object' && 'jobs' in doc ? Object.values((doc as { jobs: Record<string, { steps?: unknown[] }> }).jobs).flatMap(job => job.steps ?? []) : doc
  if (Array.isArray(steps)) {
    const ours = (steps as { uses?: unknown; with?: Record<string, unknown>; id?: string }[]).filter(step => typeof step?.uses === 'string' && OUR_ACTION.test(step.uses))
    if (ours.length !== 1) throw new Error(`${where}: expected one step that uses our-org/qlik-sense-reload, found ${ours.length}`)
    return { ...block, with: ours[0].with ?? {}, id: ours[0].id }
  }
  if (doc && typeof doc === 'object' && 'with' in doc && Object.keys(doc).length === 1) return { ...block, with: (doc as { with: Record<string, unknown> }).with ?? {} }
  throw new Error(`${where}: not a step list nor a 'with:' block: this test does not know how to run it`)
}

const blocks = yamlBlocks(README)
const examples = blocks.map(block => {
  try {
    return toExample(block)
  } catch (error) {
    return { ...block, with: {}, error: (error as Error).message }
  }
}) as (Example & { error?: string })[]

/**
 * The example's inputs on the simulator. A fragment (a `with:` without auth-type, often with `# ...` or
 * `{ ... }`) stands for "the first full example, plus these": its inputs go on top of that one's, and its
 * target replaces that one's.
 */
function inputsOf(example: Example, site: Site): Record<string, string> {
  const where = `README.md:${example.line} (${example.heading})`
  const own = Object.fromEntries(Object.entries(example.with).filter(([name]) => name !== '...'))
  let raw: Record<string, unknown> = own
  if (!('auth-type' in own)) {
    const base = examples.find(e => !e.error && 'auth-type' in e.with)
    if (!base) throw new Error(`${where}: a fragment, but the README has no full example before it`)
    const baseInputs = { ...base.with }
    if (SELECTING_INPUTS.some(name => name in own)) for (const name of SELECTING_INPUTS) delete baseInputs[name]
    raw = { ...baseInputs, ...own }
  }
  const inputs: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (!(name in ACTION.inputs)) throw new Error(`${where}: input '${name}' is not in action.yml`)
    inputs[name] = mapValue(where, name, String(value ?? ''), site)
  }
  return inputs
}

const site = readmeSite()
const known: Record<string, Set<string>> = {
  'task-name': new Set(site.tasks!.map(t => t.name)),
  'task-id': new Set(site.tasks!.map(t => t.id)),
  'app-id': new Set(site.apps!.map(a => a.id)),
  'app-name': new Set(site.apps!.map(a => a.name)),
  stream: new Set(README_STREAMS.map(s => s.name)),
  'task-tag': new Set(site.tasks!.flatMap(t => t.tags ?? [])),
  'task-custom-property': new Set(site.tasks!.flatMap(t => (t.customProperties ?? []).map(cp => `${cp.name}=${cp.value}`)))
}

/** Expressions the README uses, as they evaluate when the example runs (the dry run runs as the pull request's check). */
const EXPRESSIONS: Record<string, string> = {
  "${{ github.event_name == 'pull_request' }}": 'true'
}

function mapValue(where: string, name: string, value: string, s: Site): string {
  const secret = /^\$\{\{\s*secrets\.(\w+)\s*\}\}$/.exec(value.trim())
  if (secret) {
    const make = SECRETS[secret[1]]
    if (!make) throw new Error(`${where}: input '${name}' uses secrets.${secret[1]}, which this test does not map: add it to SECRETS`)
    return make(s)
  }
  if (EXPRESSIONS[value.trim()] !== undefined) return EXPRESSIONS[value.trim()]
  if (value.includes('${{')) throw new Error(`${where}: input '${name}' uses an expression this test does not map: ${value}`)
  const address = (hostPort: string) => {
    const make = ADDRESSES[hostPort]
    if (!make) throw new Error(`${where}: input '${name}' names ${hostPort}, which this test does not map: add it to ADDRESSES`)
    return make(s)
  }
  if (name === 'url' || name === 'notify-url' || name === 'engine-url') {
    const url = new URL(value)
    return value.replace(`//${url.host}`, `//${address(url.host)}`)
  }
  if (name === 'notify-listen') return address(value)
  if ((SELECTING_INPUTS as readonly string[]).includes(name)) {
    for (const target of value
      .split('\n')
      .map(l => l.trim().replace(/\s*=\s*/, '='))
      .filter(Boolean)) {
      if (!known[name].has(target)) {
        throw new Error(`${where}: ${name} '${target}' is not on the simulated site: add it to README_TARGETS`)
      }
    }
  }
  if (name === 'tls-server-name' && value !== site.machineName) throw new Error(`${where}: tls-server-name '${value}' is not the simulated node's name (${site.machineName})`)
  return value
}

// ── The runs ─────────────────────────────────────────────────────────────────────────────────────────

let sim: Simulator
let notifyPort: number
beforeAll(async () => {
  const certs = testCertificates(site.machineName, site.serverNames)
  sim = await startSimulator({ scenario: site, certsDir: certs.dir, quiet: true })
  notifyPort = await freePort()
})
afterAll(async () => sim?.close())

/** Runs the bundle with the inputs. Without ca-cert the example relies on the runner's trust store: it trusts the simulator's CA. */
function run(inputs: Record<string, string>): Promise<ActionRun> {
  return runAction(inputs, { env: inputs['ca-cert'] ? {} : { NODE_EXTRA_CA_CERTS: sim.certs.ca } })
}

const lines = (value: string | undefined) =>
  (value ?? '')
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean)
const errors = (r: ActionRun) => r.stdout.split('\n').filter(l => l.startsWith('::error'))

describe('README examples', () => {
  it('every ```yaml block in README.md is an example this test runs', () => {
    expect(blocks.length).toBeGreaterThan(0)
    // The same count by a plain search: no block escapes the extraction.
    expect(blocks).toHaveLength((README.match(/^\s*```ya?ml\s*$/gm) ?? []).length)
    expect(examples.filter(e => e.error).map(e => e.error)).toEqual([])
  })

  it.each(examples.map(e => [`README.md:${e.line} ${e.heading}`, e] as const))('%s', async (_title, example) => {
    if (example.error) throw new Error(example.error)
    const inputs = inputsOf(example, { sim, notifyPort })
    const startsBefore = sim.startCount()
    const result = await run(inputs)

    expect(errors(result)).toEqual([])
    expect(result.code).toBe(0)
    expectNoLeaks(result, inputs)

    const targets = TARGET_INPUTS.flatMap(name => lines(inputs[name]).map(value => ({ name, value })))
    const selectors = lines(inputs['task-tag']).length + lines(inputs['task-custom-property']).length
    // What the site holds for the example's selectors: each task with one of the tags or property values.
    const pairs = new Set(lines(inputs['task-custom-property']).map(l => l.replace(/\s*=\s*/, '=').toLowerCase()))
    const tags = new Set(lines(inputs['task-tag']).map(t => t.toLowerCase()))
    const selected = site
      .tasks!.filter(t => (t.tags ?? []).some(tag => tags.has(tag.toLowerCase())) || (t.customProperties ?? []).some(cp => pairs.has(`${cp.name}=${cp.value}`.toLowerCase())))
      .map(t => t.name)
    if (inputs['dry-run'] === 'true') {
      // Nothing started; the plan in the summary; one DryRun entry per target.
      expect(sim.startCount()).toBe(startsBefore)
      const entries = JSON.parse(result.outputs.result) as { 'task-name': string | null; status: string; success: boolean }[]
      expect(entries.length).toBe(selected.length + targets.length + lines(inputs['app-name']).length)
      expect(entries.every(e => e.status === 'DryRun' && e.success)).toBe(true)
      expect(result.summary).toMatch(/Dry run: all \d+ targets? would start\. Nothing was started\./)
      for (const name of selected) expect(result.summary).toContain(`<td align="left">${name}</td>`)
    } else if (selectors > 0) {
      const entries = JSON.parse(result.outputs.result) as { 'task-name': string; status: string; success: boolean }[]
      const names = entries.map(e => e['task-name'])
      expect(names.slice(0, targets.length)).toEqual(targets.map(t => t.value))
      expect([...names].sort()).toEqual([...new Set([...targets.map(t => t.value), ...selected])].sort())
      expect(entries.every(e => e.status === 'FinishedSuccess' && e.success)).toBe(true)
      if (inputs['max-targets']) expect(entries.length).toBeLessThanOrEqual(Number(inputs['max-targets']))
    } else if (inputs.wait === 'false') {
      // Started, outputs set, not waited for.
      expect(result.outputs['execution-id']).toMatch(/^[0-9a-f-]{36}$/)
      expect(['Triggered', 'Queued', 'Started']).toContain(result.outputs.status)
    } else if (targets.length > 1) {
      const entries = JSON.parse(result.outputs.result) as { 'task-name': string; status: string; success: boolean }[]
      expect(entries.map(e => [e['task-name'], e.status, e.success])).toEqual(targets.map(t => [t.value, 'FinishedSuccess', true]))
      if (inputs['max-parallel']) expect(sim.runningHighWater('sa_api')).toBeLessThanOrEqual(Number(inputs['max-parallel']))
    } else {
      expect(result.outputs.status).toBe('FinishedSuccess')
      expect(result.outputs['status-code']).toBe('7')
    }
    // The single-target outputs: one named target and no selector.
    if (targets.length === 1 && selectors === 0 && inputs['dry-run'] !== 'true') {
      const [{ name, value }] = targets
      if (name === 'app-id' && inputs['reload-mode'] === 'engine') {
        // Reloaded, checked and saved by the action itself: no task, no execution.
        const app = site.apps!.find(a => a.id === value)!
        expect(result.outputs).toMatchObject({ 'app-id': value, 'app-name': app.name, 'task-name': '', 'execution-id': '' })
        expect(JSON.parse(result.outputs.result)).toMatchObject({ 'reload-mode': 'engine', partial: inputs.partial === 'true' })
        expect(result.stdout).toMatch(/App 'Sales dashboard' saved \(DoSave\)\./)
        for (const check of lines(inputs['expect-rows'])) expect(result.stdout).toContain(`${check}: held`)
      } else if (name === 'app-id') {
        const app = site.apps!.find(a => a.id === value)!
        expect(result.outputs).toMatchObject({ 'app-id': value, 'task-name': `Manually triggered reload of ${app.name}` })
      } else {
        expect(result.outputs[name]).toBe(value)
      }
    }

    // What the example's inputs promise, input by input.
    if (inputs['tls-server-name']) {
      // Needed, not decorative: the same step without it fails on the certificate's names.
      const { ['tls-server-name']: _name, ...without } = inputs
      const bare = await run(without)
      expect(bare.code).toBe(1)
      expect(errors(bare).join('\n')).toMatch(/TLS: the certificate of 127\.0\.0\.1:\d+ is issued to .*qliksrv01\.corp\.example.*not to '127\.0\.0\.1'.*tls-server-name/)
    }
    if (inputs.stream && inputs['dry-run'] !== 'true') {
      // Needed, not decorative: the name is in two streams.
      const { stream: _stream, ...without } = inputs
      const bare = await run(without)
      expect(bare.code).toBe(1)
      expect(errors(bare).join('\n')).toMatch(new RegExp(`The app name '${inputs['app-name']}' matches 2 apps: .*stream 'Finance'.*stream 'Sales'.*Set stream`))
      expect(JSON.parse(result.outputs.result)).toMatchObject({ 'app-name': inputs['app-name'], stream: inputs.stream, status: 'FinishedSuccess' })
    }
    if (inputs['wait-for-chain'] === 'true') {
      // The chain the README draws under "Waiting for the task chain".
      expect(result.stdout).toMatch(/└ Reload Warehouse \(via 'After Staging'\): FinishedSuccess \(7\)/)
      expect(result.stdout).toMatch(/ {2}└ Reload Sales mart \(via 'After Warehouse'\): FinishedSuccess \(7\)/)
      expect(result.stdout).not.toMatch(/Notify on failure \(via/)
      expect(result.summary).toContain('Task chain')
    }
    if (inputs['notify-url']) {
      expect(result.stdout).toContain(`Push wake-ups on: the QRS calls ${inputs['notify-url']}`)
      const deliveries = sim.notifications.deliveries().filter(d => d.url.startsWith(`${inputs['notify-url']}/`))
      expect(deliveries.length).toBeGreaterThan(0)
      expect(sim.notifications.active().filter(a => a.url.startsWith(`${inputs['notify-url']}/`))).toHaveLength(0)
    }
    if (inputs['script-log'] === 'always') {
      expect(existsSync(result.outputs['script-log-path'])).toBe(true)
      expect(result.stdout).toMatch(/::group::.*[Ss]cript log/)
    }

    // Later steps of the example read this step's outputs (`steps.<id>.outputs.<name>`): each is one of
    // action.yml's outputs and set; a path output names a file that exists.
    if (example.id) {
      const used = [...example.source.matchAll(new RegExp(`steps\\.${example.id}\\.outputs\\.([\\w-]+)`, 'g'))].map(m => m[1])
      expect(used.length).toBeGreaterThan(0)
      for (const output of used) {
        expect(Object.keys(ACTION.outputs)).toContain(output)
        expect(result.outputs[output] ?? '').not.toBe('')
        if (output.endsWith('-path')) expect(existsSync(result.outputs[output])).toBe(true)
      }
    }
  })
})
