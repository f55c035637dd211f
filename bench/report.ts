/**
 * The side-by-side table of issue 21: each figure for the compared run (today's baseline, or another
 * bundle) and for this run, the goal, and whether this run meets it. Relative goals ("no worse than
 * today") compare with the other column; without one they say so.
 */
import type { Figures, PushRun, TargetsRun } from './figures.js'
import { median, mib, ms, type Row } from './table.js'

type Mark = 'met' | 'MISSED' | 'n/a'
const mark = (ok: boolean | undefined): Mark => (ok === undefined ? 'n/a' : ok ? 'met' : 'MISSED')
const max = (v: number[]) => (v.length ? Math.max(...v) : NaN)
const range = (v: number[]) => {
  const lo = Math.min(...v)
  const hi = Math.max(...v)
  return lo === hi ? `${lo}` : `${median(v)} (${lo}–${hi})`
}
const fin = (v: number[]) => v.filter(Number.isFinite)

/** p50 and max of the successful runs' lags. */
function lags(runs: PushRun[] | undefined, pick: (r: PushRun) => number): { p50: number; max: number; n: number } {
  const v = fin((runs ?? []).filter(r => r.ok).map(pick))
  return { p50: median(v), max: max(v), n: v.length }
}
const lagCell = (l: { p50: number; max: number; n: number }) => (l.n ? `${ms(l.p50)} (max ${ms(l.max)}, n=${l.n})` : 'n/a')

function pushRows(cur: Figures, base: Figures | undefined): Row[] {
  if (!cur.push && !base?.push) return []
  const seconds = cur.push?.seconds ?? base?.push?.seconds
  const decision = (f?: Figures, flood = false) => lags(flood ? f?.push?.flood : f?.push?.quiet, r => r.decisionLagMs)
  const exit = (f?: Figures, flood = false) => lags(flood ? f?.push?.flood : f?.push?.quiet, r => r.exitLagMs)
  const requests = (runs?: PushRun[]) => (runs?.length ? median(runs.map(r => r.requests)) : NaN)
  const extra = (f?: Figures) => requests(f?.push?.flood) - requests(f?.push?.quiet)
  const reqCell = (f?: Figures) => (f?.push ? `${range(f.push.quiet.map(r => r.requests))} requests, ${range(f.push.quiet.map(r => r.callbacks))} callbacks` : 'n/a')
  const floodCell = (f?: Figures) =>
    f?.push
      ? `${range(f.push.flood.map(r => r.requests))} requests (+${extra(f)} over quiet); forged 200/404: ${median(f.push.flood.map(r => r.forged200))}/${median(f.push.flood.map(r => r.forged404))}`
      : 'n/a'
  return [
    [
      `Push, ${seconds} s reload, every step: end to the step's decision read, p50`,
      lagCell(decision(base)),
      lagCell(decision(cur)),
      '≤ 100 ms',
      mark(cur.push ? decision(cur).p50 <= 100 : undefined)
    ],
    [`Push: end to the step's exit, p50`, lagCell(exit(base)), lagCell(exit(cur)), '', ''],
    [`Push: QRS requests and callbacks per run`, reqCell(base), reqCell(cur), '', ''],
    [`Push + 1,000 forged callbacks: end to the decision read, p50`, lagCell(decision(base, true)), lagCell(decision(cur, true)), '', ''],
    [
      `Push + 1,000 forged callbacks: QRS requests per run`,
      floodCell(base),
      floodCell(cur),
      base?.push ? `extra ≤ ${Math.max(extra(base), 0)} (today's)` : 'extra ≤ 10 (e2e)',
      mark(cur.push ? extra(cur) <= (base?.push ? Math.max(extra(base), 0) : 10) : undefined)
    ]
  ]
}

function targetsRows(cur: Figures, base: Figures | undefined): Row[] {
  if (!cur.targets && !base?.targets) return []
  const seconds = cur.targets?.seconds ?? base?.targets?.seconds
  const runsOf = (f: Figures | undefined, n: number): TargetsRun[] => (f?.targets?.runs ?? []).filter(r => r.targets === n)
  const requests = (f: Figures | undefined, n: number) => median(runsOf(f, n).map(r => r.requests))
  const lagP50 = (f: Figures | undefined, n: number) => median(fin(runsOf(f, n).flatMap(r => r.lagsMs)))
  const rows: Row[] = []
  for (const n of [1, 5, 25]) {
    const req = (f?: Figures) => (runsOf(f, n).length ? `${range(runsOf(f, n).map(r => r.requests))} (${(requests(f, n) / n).toFixed(1)} per target)` : 'n/a')
    const bound = 2 * requests(cur, 1) + 4 * n
    rows.push([
      `${n} target${n > 1 ? 's' : ''}, ${seconds} s reloads, no history: QRS requests per run`,
      req(base),
      req(cur),
      n > 1 ? `≤ 2 × 1 target + 4 per target${Number.isFinite(bound) ? ` (≤ ${bound})` : ''}` : '',
      n > 1 ? mark(runsOf(cur, n).length ? requests(cur, n) <= bound : undefined) : ''
    ])
    const rateCell = (f?: Figures) => {
      const r = runsOf(f, n)
      return r.length ? `${median(r.map(x => x.perSecond)).toFixed(1)} / ${median(r.map(x => x.peak))}` : 'n/a'
    }
    rows.push([`${n} target${n > 1 ? 's' : ''}: requests/s at the central node (mean / busiest second)`, rateCell(base), rateCell(cur), '', ''])
    const lagCellOf = (f?: Figures) => (runsOf(f, n).length ? `${ms(lagP50(f, n))} (n=${fin(runsOf(f, n).flatMap(r => r.lagsMs)).length})` : 'n/a')
    rows.push([
      `${n} target${n > 1 ? 's' : ''}: lag p50 per target (end to the first read naming it)`,
      lagCellOf(base),
      lagCellOf(cur),
      // Five samples for 1 and 5 targets: their p50 moves by hundreds of ms between runs.
      base?.targets ? `no worse than today's (≤ ${ms(lagP50(base, n) * 1.25 + 50)}: +25 % +50 ms noise)` : '',
      base?.targets ? mark(runsOf(cur, n).length ? lagP50(cur, n) <= lagP50(base, n) * 1.25 + 50 : undefined) : ''
    ])
  }
  return rows
}

function fleetRows(cur: Figures, base: Figures | undefined): Row[] {
  if (!cur.fleet && !base?.fleet) return []
  const f = cur.fleet ?? base?.fleet
  const label = `Fleet: ${f?.jobs} parallel ${f?.seconds} s waits`
  const rateCell = (x?: Figures) => (x?.fleet ? `${x.fleet.ours.perSecond.toFixed(1)} / ${x.fleet.ours.peak}` : 'n/a')
  const fixedCell = (x?: Figures) => (x?.fleet ? `${x.fleet.fixed.perSecond.toFixed(1)} / ${x.fleet.fixed.peak}` : 'n/a')
  const perWait = (x?: Figures) => (x?.fleet ? `${(x.fleet.ours.requests / x.fleet.jobs).toFixed(1)}, ${ms(x.fleet.ours.lagP50Ms)}` : 'n/a')
  const fixedWait = (x?: Figures) => (x?.fleet ? `${(x.fleet.fixed.requests / x.fleet.jobs).toFixed(1)}, ${ms(x.fleet.fixed.lagP50Ms)}` : 'n/a')
  const c = cur.fleet
  return [
    [
      `${label}, ours: requests/s at the central node (mean / busiest second)`,
      rateCell(base),
      rateCell(cur),
      'mean and busiest second below fixed 1 s',
      mark(c ? c.ours.perSecond < c.fixed.perSecond && c.ours.peak <= c.fixed.peak : undefined)
    ],
    [`${label}, fixed 1 s loops (reference): requests/s (mean / busiest second)`, fixedCell(base), fixedCell(cur), '', ''],
    [`Fleet, ours: requests per wait, lag p50`, perWait(base), perWait(cur), '', ''],
    [`Fleet, fixed 1 s: requests per wait, lag p50`, fixedWait(base), fixedWait(cur), '', '']
  ]
}

function processRows(cur: Figures, base: Figures | undefined): Row[] {
  const rows: Row[] = []
  const s = (f?: Figures) => f?.startup
  if (s(cur) || s(base)) {
    const ratio = (f: Figures | undefined, pick: 'firstRequestMs' | 'inputErrorMs') =>
      s(f) ? `${ms(median(s(f)![pick]))} (${(median(s(f)![pick]) / median(s(f)!.bareMs)).toFixed(2)}x bare node)` : 'n/a'
    const up = s(cur) ? median(s(cur)!.firstRequestMs) / median(s(cur)!.bareMs) : NaN
    rows.push([
      'Start-up: spawn to the first request (median of 5)',
      ratio(base, 'firstRequestMs'),
      ratio(cur, 'firstRequestMs'),
      '≤ 2x bare node',
      mark(s(cur) ? up <= 2 : undefined)
    ])
    rows.push(['Start-up: spawn to an input error, exit (median of 5)', ratio(base, 'inputErrorMs'), ratio(cur, 'inputErrorMs'), '', ''])
    rows.push(['Bare `node -e 0`: spawn to exit (median of 5)', s(base) ? ms(median(s(base)!.bareMs)) : 'n/a', s(cur) ? ms(median(s(cur)!.bareMs)) : 'n/a', '', ''])
  }
  if (cur.rss || base?.rss) {
    const cell = (f?: Figures) => (f?.rss ? `${mib(f.rss.bytes)}${f.rss.ok ? '' : ` [${f.rss.note}]`}` : 'n/a')
    rows.push(['Peak RSS (maxRSS), 200 MiB script log', cell(base), cell(cur), '< 100 MiB', mark(cur.rss ? cur.rss.ok && cur.rss.bytes < 100 * 1024 * 1024 : undefined)])
  }
  if (cur.ntlm || base?.ntlm) {
    const cell = (f?: Figures) => (f?.ntlm ? `${f.ntlm.handshakes}${f.ntlm.ok ? '' : ' [step failed]'}` : 'n/a')
    rows.push(['NTLM handshakes per run (20 s reload)', cell(base), cell(cur), 'exactly 1', mark(cur.ntlm ? cur.ntlm.ok && cur.ntlm.handshakes === 1 : undefined)])
  }
  rows.push(['Bundle size', base ? mib(base.meta.bytes) : 'n/a', mib(cur.meta.bytes), '', ''])
  return rows
}

export function issueRows(cur: Figures, base: Figures | undefined): Row[] {
  return [...pushRows(cur, base), ...targetsRows(cur, base), ...fleetRows(cur, base), ...processRows(cur, base)]
}

export function label(f: Figures, name: string): string {
  return `${name}: ${f.meta.date.slice(0, 10)}, ${f.meta.sha.slice(0, 8)}`
}

export function notes(f: Figures, name: string): string[] {
  const m = f.meta
  return [
    `${name}: ${m.bundle} sha256 ${m.sha}… (${m.bytes.toLocaleString('en-US')} bytes), ${m.date}, node ${m.node}, ${m.cpus} CPUs, execution steps "${m.steps}"${m.quick ? ', QUICK' : ''}, ${m.seconds} s.`,
    `${name}: uptime at the start: ${m.uptimeStart}`,
    `${name}: uptime at the end:   ${m.uptimeEnd}`,
    ...m.failures.map(x => `${name}: FAILED ${x}`)
  ]
}
