/**
 * The benchmark: `npm run bench`. See bench/README.md for what each figure means and how it is measured.
 *
 *   npm run bench                                  dist/index.js against today's baseline (bench/baseline.json)
 *   npm run bench -- --bundle <a.js>               another bundle against the baseline
 *   npm run bench -- --compare <b.js | f.json>     against another bundle (measured first, in this run) or recorded figures
 *   npm run bench -- --save <f.json>               also keep this run's figures (a new baseline)
 *   --only push,targets,...  --quick  --steps direct  --no-compare
 *
 * Each bundle is measured by bench/measure.ts in a process of its own (QSR_BUNDLE names the bundle),
 * one after the other. Progress goes to stderr; the tables (aligned, then markdown) to stdout.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { flag, option, progress } from './common.js'
import { readFigures, type Figures } from './figures.js'
import { lagRows } from './lag.js'
import { issueRows, label, notes } from './report.js'
import { aligned, markdown, type Row } from './table.js'

const BASELINE = 'bench/baseline.json'
const tsx = createRequire(import.meta.url).resolve('tsx/cli')

/** Runs bench/measure.ts for one bundle and reads its figures. */
function measure(bundle: string): Promise<Figures> {
  const out = join(mkdtempSync(join(tmpdir(), 'qsr-bench-')), 'figures.json')
  const passOn = ['--only', '--steps'].flatMap(name => (option(name) ? [`${name}=${option(name)}`] : []))
  const args = [tsx, 'bench/measure.ts', `--out=${out}`, ...passOn, ...(flag('--quick') ? ['--quick'] : [])]
  progress(`measuring ${bundle}`)
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, QSR_BUNDLE: resolve(bundle) } })
    child.on('error', fail)
    child.on('exit', code => (code === 0 ? done(readFigures(out)) : fail(new Error(`bench/measure.ts exited ${code} for ${bundle}`))))
  })
}

async function main(): Promise<void> {
  const bundle = option('--bundle') ?? 'dist/index.js'
  const compare = flag('--no-compare') ? undefined : (option('--compare') ?? (existsSync(BASELINE) ? BASELINE : undefined))
  // The other bundle first, so that both are measured on the same machine in the same hour.
  const base = compare === undefined ? undefined : compare.endsWith('.json') ? readFigures(compare) : await measure(compare)
  const cur = await measure(bundle)
  const saveTo = option('--save')
  if (saveTo) {
    writeFileSync(saveTo, `${JSON.stringify(cur, null, 1)}\n`)
    progress(`this run's figures saved to ${saveTo}`)
  }

  const baseName = compare === BASELINE ? "today's baseline" : 'compared'
  const header: Row = ['Figure', base ? label(base, baseName) : 'compared: none', label(cur, 'this run'), 'Goal (issue 21)', 'Met (this run)']
  const rows = issueRows(cur, base)
  const out: string[] = [aligned(header, rows), '']
  const lagOf = (f: Figures, name: string) => {
    if (!f.lag) return
    const t = lagRows(f.lag.samples)
    out.push(`Detection lag and requests per run, ${name}:`, aligned(t.header, t.rows), '')
  }
  if (base) lagOf(base, baseName)
  lagOf(cur, 'this run')
  const allNotes = [...(base ? notes(base, baseName) : []), ...notes(cur, 'this run')]
  out.push(allNotes.join('\n'), '', markdown(header, rows), '')
  for (const [f, name] of [
    [base, baseName],
    [cur, 'this run']
  ] as const) {
    if (!f?.lag) continue
    const t = lagRows(f.lag.samples)
    out.push(`Detection lag and requests per run, ${name}:`, '', markdown(t.header, t.rows), '')
  }
  out.push(allNotes.map(n => `- ${n}`).join('\n'))
  process.stdout.write(`\n${out.join('\n')}\n`)
  if (saveTo === undefined && compare === undefined) progress('no baseline to compare with: --save bench/baseline.json records one')
}

main().catch(error => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`)
  process.exit(1)
})
