/**
 * `npm run demo`: starts the QRS simulator with the sample site, then runs the bundled action
 * exactly as a runner would (node dist/index.js, INPUT_* variables, GITHUB_* files) for a
 * reload that succeeds and one that fails, and shows the step logs and outputs.
 */
import { resolve } from 'node:path'
import { loadScenario, startSimulator } from '../simulator/src/index.js'
import { asRunnerLog, runAction } from './local-runner.js'

const scenario = loadScenario(resolve('simulator/scenarios/demo.json'))
const sim = await startSimulator({ scenario, certsDir: resolve('.sim/certs'), quiet: true })
console.log(`QRS simulator for ${scenario.machineName} listening at ${sim.url}\n`)

const steps: { title: string; inputs: Record<string, string> }[] = [
  { title: 'A reload that succeeds', inputs: { 'task-name': 'Reload Sales' } },
  { title: 'A reload that fails', inputs: { 'task-name': 'Reload HR (always fails)' } }
]

try {
  for (const step of steps) {
    const inputs = {
      url: sim.url,
      'auth-type': 'certificate',
      'client-cert': sim.certs.clientCert,
      'client-key': sim.certs.clientKey,
      'ca-cert': sim.certs.ca,
      ...step.inputs
    }
    console.log(`━━ ${step.title} ━━`)
    console.log('with:')
    for (const [name, value] of Object.entries(inputs)) console.log(`  ${name}: ${value}`)
    const run = await runAction(inputs)
    console.log('\nstep log:')
    console.log(asRunnerLog(run.stdout).replace(/^/gm, '  '))
    console.log(`\nexit code ${run.code} (${run.code === 0 ? 'step succeeded' : 'step failed'})\noutputs:`)
    for (const [name, value] of Object.entries(run.outputs)) {
      if (name !== 'result') console.log(`  ${name}: ${value}`)
    }
    console.log('')
  }
} finally {
  await sim.close()
}
