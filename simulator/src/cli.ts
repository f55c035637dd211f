/** `npm run simulator -- --scenario <file> --port 4242 --proxy-port 8443 --engine-port 4747 --certs-dir .sim/certs [--quiet] [--server-certificate expired]` */
import { parseArgs } from 'node:util'
import { loadScenario } from './scenario.js'
import { startSimulator } from './server.js'

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'simulator/scenarios/demo.json' },
    port: { type: 'string', default: '4242' },
    'proxy-port': { type: 'string', default: '8443' },
    'engine-port': { type: 'string', default: '4747' },
    host: { type: 'string', default: '127.0.0.1' },
    'certs-dir': { type: 'string', default: '.sim/certs' },
    quiet: { type: 'boolean', default: false },
    /** "valid" (default) or "expired": which server certificate both listeners present. */
    'server-certificate': { type: 'string', default: 'valid' }
  }
})

const scenario = loadScenario(values.scenario)
const serverCertificate = values['server-certificate']
if (serverCertificate !== 'valid' && serverCertificate !== 'expired') throw new Error('--server-certificate must be valid or expired')
const sim = await startSimulator({
  scenario,
  port: Number(values.port),
  proxyPort: Number(values['proxy-port']),
  enginePort: Number(values['engine-port']),
  host: values.host,
  certsDir: values['certs-dir'],
  quiet: values.quiet,
  serverCertificate
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

console.log(`Engine (QIX) listening on ${sim.engineUrl}: JSON-RPC over WebSocket at /app/<appId>, client certificate and X-Qlik-User`)
for (const a of sim.state.apps) console.log(`  ${sim.engineUrl}/app/${a.id}  ${a.name}`)

if (sim.proxyUrl) {
  console.log(`Proxy (QPS) listening on ${sim.proxyUrl}, virtual proxies:`)
  for (const vp of scenario.proxy?.virtualProxies ?? []) console.log(`  /${vp.prefix}  ${vp.auth}`)
  console.log(`  the engine through a VP: ${sim.proxyUrl.replace(/^https:/, 'wss:')}/<prefix>/app/<appId> (the VP's session cookie, JWT bearer or header)`)
  console.log(
    `  curl --ntlm -u 'CORP\\svc_reload:Reload-Pass-1' --cacert ${c.ca} -A Windows -L -c cookies.txt ` +
      `-H 'X-Qlik-Xrfkey: abcdefghijklmnop' '${sim.proxyUrl}/ntlm/qrs/about?xrfkey=abcdefghijklmnop'`
  )
}

let closing = false
const shutdown = (): void => {
  if (closing) return
  closing = true
  void sim.close().then(() => process.exit(0))
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
