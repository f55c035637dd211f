/**
 * Measures one bundle (QSR_BUNDLE, default dist/index.js) and writes its figures as JSON to `--out`.
 * `bench/run.ts` starts it once per bundle; run alone it is `tsx bench/measure.ts --out f.json [--only ...]`.
 * Progress goes to stderr.
 */
import { createHash } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { relative } from 'node:path'
import { makeCertificates } from '../simulator/src/index.js'
import { BUNDLE } from '../__tests__/helpers/local-runner.js'
import { MACHINE, QUICK, SERVER_NAMES, STEPS, T0, certsDir, option, progress, uptime } from './common.js'
import { SECTIONS, type Figures } from './figures.js'
import { fleetSection } from './fleet.js'
import { lagSection } from './lag.js'
import { ntlmSection, rssSection, startupSection } from './process.js'
import { pushSection } from './push.js'
import { targetsSection } from './targets.js'

async function main(): Promise<void> {
  const out = option('--out')
  if (!out) throw new Error('--out <file.json> is required')
  const only = (option('--only') ?? SECTIONS.join(',')).split(',')
  const unknown = only.filter(s => !(SECTIONS as readonly string[]).includes(s))
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}: choose from ${SECTIONS.join(', ')}`)
  const wants = (s: (typeof SECTIONS)[number]) => only.includes(s)

  makeCertificates(certsDir, { machineName: MACHINE, serverNames: SERVER_NAMES })
  const content = readFileSync(BUNDLE)
  const mtime = statSync(BUNDLE).mtimeMs
  const figures: Figures = {
    meta: {
      date: new Date(T0).toISOString(),
      bundle: relative(process.cwd(), BUNDLE) || BUNDLE,
      sha: createHash('sha256').update(content).digest('hex').slice(0, 16),
      bytes: content.length,
      node: process.version,
      cpus: cpus().length,
      steps: STEPS,
      quick: QUICK,
      uptimeStart: uptime(),
      uptimeEnd: '',
      seconds: 0,
      failures: []
    }
  }
  progress(`bundle ${BUNDLE} (sha256 ${figures.meta.sha}…), sections ${only.join(', ')}, execution steps: ${STEPS}`)

  // Start-up first, on the quietest machine; push next: its lag is tens of milliseconds.
  if (wants('startup')) figures.startup = await startupSection()
  if (wants('push')) figures.push = await pushSection()
  if (wants('targets')) figures.targets = await targetsSection()
  if (wants('fleet')) figures.fleet = await fleetSection()
  const processRuns = async (): Promise<void> => {
    const [rss, ntlm] = await Promise.all([wants('rss') ? rssSection() : undefined, wants('ntlm') ? ntlmSection() : undefined])
    if (rss) figures.rss = rss
    if (ntlm) figures.ntlm = ntlm
  }
  // The big script log and NTLM run while the 120 s reloads wait (idle processes), or on their own.
  if (wants('lag')) figures.lag = await lagSection(processRuns)
  else await processRuns()

  const failures = figures.meta.failures
  const runs = [...(figures.push?.quiet ?? []), ...(figures.push?.flood ?? [])]
  if (runs.some(r => !r.ok)) failures.push(`push: ${runs.filter(r => !r.ok).length} run(s) failed`)
  for (const r of figures.targets?.runs ?? []) if (!r.ok) failures.push(`targets: the ${r.targets}-target run failed`)
  if (figures.fleet && !figures.fleet.ours.ok) failures.push('fleet: a step of ours failed')
  if (figures.rss && !figures.rss.ok) failures.push(`rss: ${figures.rss.note}`)
  if (figures.ntlm && !figures.ntlm.ok) failures.push('ntlm: the step failed')
  for (const s of figures.lag?.samples ?? []) if (!s.ok) failures.push(`lag ${s.strategy} ${s.seconds} s: ${s.note ?? 'failed'}`)
  if (figures.lag?.pushNotOn) failures.push(`lag: ${figures.lag.pushNotOn} push run(s) did not report "Push wake-ups on"`)
  if (figures.startup && !figures.startup.inputErrorNamed) failures.push('startup: the input error did not name the input')
  if (statSync(BUNDLE).mtimeMs !== mtime) failures.push(`${BUNDLE} changed while the bench ran: the figures mix two builds`)
  figures.meta.uptimeEnd = uptime()
  figures.meta.seconds = Math.round((Date.now() - T0) / 1000)
  writeFileSync(out, `${JSON.stringify(figures, null, 1)}\n`)
  progress(`figures written to ${out}${failures.length ? `; ${failures.length} failure(s)` : ''}`)
}

main().catch(error => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`)
  process.exit(1)
})
