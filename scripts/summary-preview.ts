/**
 * `npx tsx scripts/summary-preview.ts [out.html]`: runs the bundled action against the simulator for a
 * reload that succeeds and one that fails, and writes their job summaries into one HTML page styled
 * roughly like GitHub's, to look at (e.g. with a headless browser screenshot).
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadScenario, startSimulator } from '../simulator/src/index.js'
import { runAction } from '../__tests__/helpers/local-runner.js'

const out = resolve(process.argv[2] ?? '.sim/summary-preview.html')
const sim = await startSimulator({ scenario: loadScenario(resolve('simulator/scenarios/demo.json')), certsDir: resolve('.sim/certs'), quiet: true })
try {
  const base = { url: sim.url, 'auth-type': 'certificate', 'client-cert': sim.certs.clientCert, 'client-key': sim.certs.clientKey, 'ca-cert': sim.certs.ca }
  const runs = [await runAction({ ...base, 'task-name': 'Reload Sales' }), await runAction({ ...base, 'task-name': 'Reload HR (always fails)' })]
  const style = `body{font:14px -apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;max-width:900px;margin:24px auto}
section{border:1px solid #d0d7de;border-radius:6px;padding:8px 24px 16px;margin-bottom:24px}
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:6px 13px;text-align:left}
pre{background:#f6f8fa;padding:12px;border-radius:6px;overflow:auto;font-size:12px}code{font-size:12px}`
  const html = `<!doctype html><meta charset="utf-8"><style>${style}</style>${runs.map(run => `<section>${run.summary}</section>`).join('')}`
  writeFileSync(out, html)
  console.log(out)
} finally {
  await sim.close()
}
