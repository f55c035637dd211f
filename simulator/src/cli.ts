/** `npm run simulator -- --scenario <file> --port 4242 --certs-dir .sim/certs [--quiet]` */
import { parseArgs } from 'node:util'
import { loadScenario } from './scenario.js'
import { startSimulator } from './server.js'

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'simulator/scenarios/demo.json' },
    port: { type: 'string', default: '4242' },
    host: { type: 'string', default: '127.0.0.1' },
    'certs-dir': { type: 'string', default: '.sim/certs' },
    quiet: { type: 'boolean', default: false }
  }
})

const sim = await startSimulator({
  scenario: loadScenario(values.scenario),
  port: Number(values.port),
  host: values.host,
  certsDir: values['certs-dir'],
  quiet: values.quiet
})

const c = sim.certs
console.log(`QRS simulator listening on ${sim.url} (scenario ${values.scenario})`)
console.log(`  CA (root.pem):         ${c.ca}`)
console.log(`  client certificate:    ${c.clientCert}`)
console.log(`  client key:            ${c.clientKey}`)
console.log(`  encrypted client key:  ${c.clientKeyEncrypted} (passphrase "${c.clientKeyPassphrase}")`)
console.log(`  untrusted client:      ${c.otherClientCert} / ${c.otherClientKey}`)
console.log('Tasks:')
for (const t of sim.state.tasks) {
  const flags = [t.taskType === 0 ? 'reload' : `type ${t.taskType}`, t.enabled ? '' : 'disabled', t.startable ? '' : 'not startable']
  console.log(`  ${t.id}  ${t.name}  [${flags.filter(Boolean).join(', ')}]`)
}
console.log('Try:')
console.log(
  `  curl --cacert ${c.ca} --cert ${c.clientCert} --key ${c.clientKey} -H 'X-Qlik-Xrfkey: abcdefghijklmnop' ` +
    `-H 'X-Qlik-User: UserDirectory=INTERNAL; UserId=sa_api' '${sim.url}/qrs/about?xrfkey=abcdefghijklmnop'`
)

let closing = false
const shutdown = (): void => {
  if (closing) return
  closing = true
  void sim.close().then(() => process.exit(0))
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
