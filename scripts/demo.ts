/**
 * `npm run demo`: starts the QRS simulator with the sample site, then runs the bundled action
 * exactly as a runner would (node dist/index.js, INPUT_* variables, GITHUB_* files) for a
 * reload that succeeds and one that fails over certificate auth, then once per proxy auth type,
 * then in the engine: a reload with its progress, a partial reload, and a data check that fails,
 * and shows the step logs and outputs.
 */
import { resolve } from 'node:path'
import { loadScenario, startSimulator } from '../simulator/src/index.js'
import { asRunnerLog, runAction } from '../__tests__/helpers/local-runner.js'

const scenario = loadScenario(resolve('simulator/scenarios/demo.json'))
const sim = await startSimulator({ scenario, certsDir: resolve('.sim/certs'), quiet: true })
console.log(`QRS simulator for ${scenario.machineName}: QRS at ${sim.url}, proxy at ${sim.proxyUrl}\n`)

const certificate = {
  url: sim.url,
  'auth-type': 'certificate',
  'client-cert': sim.certs.clientCert,
  'client-key': sim.certs.clientKey
}
const account = scenario.proxy!.windowsAccounts![0]
const steps: { title: string; inputs: Record<string, string> }[] = [
  { title: 'Certificate auth: a reload that succeeds', inputs: { ...certificate, 'task-name': 'Reload Sales' } },
  { title: 'Certificate auth: a reload that fails', inputs: { ...certificate, 'task-name': 'Reload HR (always fails)' } },
  {
    title: 'Windows (NTLM) auth through the /ntlm virtual proxy',
    inputs: { url: `${sim.proxyUrl}/ntlm`, 'auth-type': 'ntlm', username: `${account.domain}\\${account.user}`, password: account.password, 'task-name': 'Reload Sales' }
  },
  {
    title: 'JWT auth through the /jwt virtual proxy, token minted on the runner',
    inputs: {
      url: `${sim.proxyUrl}/jwt`,
      'auth-type': 'jwt',
      'jwt-private-key': sim.certs.jwtKey,
      'jwt-user-id': 'svc_reload',
      'jwt-user-directory': 'CORP',
      'task-name': 'Reload Sales'
    }
  },
  {
    title: 'Header auth through the /hdr virtual proxy',
    inputs: { url: `${sim.proxyUrl}/hdr`, 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_reload', 'task-name': 'Reload Sales' }
  },
  {
    title: 'In the engine: the action reloads app Sales itself, its progress as it comes, checks the tables, saves',
    inputs: { ...certificate, 'engine-url': sim.engineUrl, 'reload-mode': 'engine', 'app-name': 'Sales', 'expect-rows': 'Orders >= 100000\n* > 0' }
  },
  {
    title: 'In the engine, a partial reload (only the Add, Replace and Merge loads run), through the /ntlm virtual proxy',
    inputs: {
      url: `${sim.proxyUrl}/ntlm`,
      'auth-type': 'ntlm',
      username: `${account.domain}\\${account.user}`,
      password: account.password,
      'reload-mode': 'engine',
      partial: 'true',
      'app-name': 'Sales'
    }
  },
  {
    title: 'In the engine, a data check that fails: table Budget came back empty, so app Finance is not saved',
    inputs: { ...certificate, 'engine-url': sim.engineUrl, 'reload-mode': 'engine', 'app-name': 'Finance', 'expect-rows': 'Ledger > 0\nBudget >= 1' }
  }
]

try {
  for (const step of steps) {
    const inputs = { ...step.inputs, 'ca-cert': sim.certs.ca }
    console.log(`━━ ${step.title} ━━`)
    console.log('with:')
    for (const [name, value] of Object.entries(inputs)) console.log(`  ${name}: ${name === 'password' ? '***' : value}`)
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
