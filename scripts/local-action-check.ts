/**
 * `npm run local-action:check`: runs the action's source under GitHub's @github/local-action (the
 * toolkit stand-in of the actions/typescript-action template) against the simulator, main and post
 * step, once for a reload that succeeds and once for one that fails, and checks what it printed.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadScenario, startSimulator } from '../simulator/src/index.js'

const scenario = loadScenario(resolve('simulator/scenarios/demo.json'))
const sim = await startSimulator({ scenario, certsDir: resolve('.sim/certs'), quiet: true })
const scratch = mkdtempSync(join(tmpdir(), 'local-action-'))

/** One run of `local-action . src/main.ts <env> --post ...`: its output and exit status. */
async function localAction(name: string, inputs: Record<string, string>): Promise<{ output: string; status: number | null }> {
  const env = join(scratch, `${name}.env`)
  const lines = Object.entries({
    ...inputs,
    url: sim.url,
    'auth-type': 'certificate',
    'client-cert': sim.certs.clientCert,
    'client-key': sim.certs.clientKey,
    'ca-cert': sim.certs.ca
  })
  writeFileSync(
    env,
    [
      ...lines.map(([key, value]) => `INPUT_${key.toUpperCase()}=${JSON.stringify(value)}`),
      `RUNNER_TEMP=${scratch}`,
      `GITHUB_STEP_SUMMARY=${join(scratch, `${name}.summary.md`)}`,
      ''
    ].join('\n')
  )
  // Not spawnSync: the simulator answers from this process's event loop.
  const child = spawn('npx', ['local-action', '.', 'src/main.ts', env, '--post', 'scripts/local-action-post.ts'], { env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } })
  let output = ''
  child.stdout.on('data', chunk => (output += chunk))
  child.stderr.on('data', chunk => (output += chunk))
  const status = await new Promise<number | null>(done => child.on('close', done))
  return { output, status }
}

// local-action exits with the action's process.exitCode: 1 is the failed step.
const checks: { name: string; inputs: Record<string, string>; status: number; expect: RegExp[] }[] = [
  { name: 'success', inputs: { 'task-name': 'Reload Sales' }, status: 0, expect: [/Reload task 'Reload Sales' finished successfully/, /Running Post Step/] },
  {
    name: 'failure',
    inputs: { 'task-name': 'Reload HR (always fails)' },
    status: 1,
    expect: [
      /::error title=Qlik reload failed: Reload HR \(always fails\) \(FinishedFail\)::Reload task 'Reload HR \(always fails\)' ended with FinishedFail/,
      /Field 'Revenue' not found/
    ]
  }
]
let failed = 0
try {
  for (const check of checks) {
    const { output, status } = await localAction(check.name, check.inputs)
    const problems = [
      ...(status === check.status ? [] : [`local-action exited ${status}, not ${check.status}`]),
      ...(/TypeError|Cannot read properties/.test(output) ? ['the action crashed'] : []),
      ...check.expect.filter(pattern => !pattern.test(output)).map(pattern => `no line matches ${pattern}`)
    ]
    console.log(`${problems.length === 0 ? 'ok' : 'FAILED'}: ${check.name}${problems.length ? `: ${problems.join('; ')}` : ''}`)
    if (problems.length > 0) {
      failed++
      console.log(output.replace(/^/gm, '  | '))
    }
  }
} finally {
  await sim.close()
  rmSync(scratch, { recursive: true, force: true })
}
process.exitCode = failed === 0 ? 0 : 1
