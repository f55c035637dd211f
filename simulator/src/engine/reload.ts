/**
 * One DoReloadEx on real timers: queued behind other reloads of the app, running for its duration
 * (or until cancelled, or forever under a `hang` fault), its progress lines appearing at their
 * offsets, then ended with qSuccess and, on failure, the script errors.
 */
import { fileStamp } from '../scriptlog.js'
import type { TableData } from './apps.js'
import type { ScenarioEngineReload, ScenarioProgressLine, ScenarioScriptError } from './scenario.js'

export type ReloadOutcome = 'queued' | 'running' | 'success' | 'failed' | 'aborted'

/** What the reload will do, from the scenario (or generated). */
export interface ReloadPlan {
  durationMs: number
  success: boolean
  errors: ScenarioScriptError[]
  /** Sorted by atMs. */
  progress: ScenarioProgressLine[]
  transient: ScenarioProgressLine[]
  /** The tables it leaves when it succeeds. */
  tables: TableData[]
  memoryConstraint: boolean
  /** Runs until cancelled (fault `hang`). */
  hang: boolean
}

/** DoReloadEx's qResult. */
export interface ReloadResult {
  qSuccess: boolean
  qScriptLogFile: string
  qEndedWithMemoryConstraint: boolean
}

const fmt = (n: number): string => n.toLocaleString('en-US')
const byTime = (a: ScenarioProgressLine, b: ScenarioProgressLine): number => a.atMs - b.atMs

/** The plan of a scenario reload: its own lines, or lines made from the tables it loads. */
export function makePlan(reload: ScenarioEngineReload, tables: TableData[], hang: boolean): ReloadPlan {
  const durationMs = reload.durationMs ?? 1000
  const errors = reload.errors ?? []
  const success = reload.success ?? errors.length === 0
  const generated = generatedLines(tables, durationMs, success)
  return {
    durationMs,
    success,
    errors,
    progress: [...(reload.progress ?? generated.progress)].sort(byTime),
    transient: [...(reload.transient ?? generated.transient)].sort(byTime),
    tables,
    memoryConstraint: reload.memoryConstraint === true,
    hang
  }
}

/** One stretch per table: its LOAD line, a transient count halfway, its "Lines fetched"; then the search index. */
function generatedLines(tables: TableData[], durationMs: number, success: boolean): { progress: ScenarioProgressLine[]; transient: ScenarioProgressLine[] } {
  const step = durationMs / (tables.length + 1)
  const progress: ScenarioProgressLine[] = [{ atMs: 0, text: 'Started loading data' }]
  const transient: ScenarioProgressLine[] = []
  tables.forEach((t, i) => {
    const at = Math.round(i * step)
    progress.push({ atMs: at, text: `${t.name} << ${t.name}` }, { atMs: Math.round((i + 0.9) * step), text: `Lines fetched: ${fmt(t.rows)}` })
    transient.push(
      { atMs: at, text: `${t.name} << ${t.name} 0 Lines fetched` },
      { atMs: Math.round((i + 0.5) * step), text: `${t.name} << ${t.name} ${fmt(Math.floor(t.rows / 2))} Lines fetched` }
    )
  })
  if (success) {
    progress.push({ atMs: Math.round(tables.length * step), text: 'Creating search index' }, { atMs: durationMs, text: 'Search index creation completed successfully' })
  }
  transient.push({ atMs: Math.round(tables.length * step), text: '' })
  return { progress, transient }
}

export class Reload {
  readonly queuedAt = Date.now()
  startedAt?: number
  endedAt?: number
  outcome: ReloadOutcome = 'queued'
  /** Resolves with qResult when the reload ended (never for a reload that hangs and is not cancelled). */
  readonly done: Promise<ReloadResult>
  private resolveDone!: (result: ReloadResult) => void
  private timer?: NodeJS.Timeout
  /** Lines added at the end (errors, abort). */
  private endLines: string[] = []
  /** Persistent lines already handed out by GetProgress. */
  private delivered = 0
  private finishedTurn?: () => void

  constructor(
    readonly requestId: number | string | undefined,
    readonly appId: string,
    readonly partial: boolean,
    readonly plan: ReloadPlan,
    /** Called once when the reload ended (before DoReloadEx is answered). */
    private readonly onEnd: (reload: Reload) => void
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
  }

  /** Its turn in the app's queue: runs, and resolves when it ended. */
  run(): Promise<void> {
    if (this.outcome !== 'queued') return Promise.resolve()
    this.outcome = 'running'
    this.startedAt = Date.now()
    const turn = new Promise<void>((resolve) => (this.finishedTurn = resolve))
    if (!this.plan.hang) this.timer = setTimeout(() => this.end(this.plan.success ? 'success' : 'failed'), this.plan.durationMs)
    return turn
  }

  /** CancelReload (or the session closed): ends it now with qSuccess false. */
  cancel(): void {
    if (this.outcome !== 'queued' && this.outcome !== 'running') return
    this.end('aborted')
  }

  /** Ends it without answering anyone (the simulator closes). */
  stop(): void {
    clearTimeout(this.timer)
    this.finishedTurn?.()
  }

  get ended(): boolean {
    return this.endedAt !== undefined
  }

  elapsed(now = Date.now()): number {
    if (this.startedAt === undefined) return 0
    return (this.endedAt ?? now) - this.startedAt
  }

  /** Persistent lines not handed out yet. */
  takeNewLines(now = Date.now()): string[] {
    const all = this.linesSoFar(now)
    const fresh = all.slice(this.delivered)
    this.delivered = all.length
    return fresh
  }

  transientText(now = Date.now()): string {
    if (this.ended || this.startedAt === undefined) return ''
    const elapsed = this.elapsed(now)
    return this.plan.transient.filter((l) => l.atMs <= elapsed).at(-1)?.text ?? ''
  }

  /** qErrorData: the script errors, once a failed reload ended. */
  errorData(): { qErrorString: string; qLineEnd: string; qLine: string; qErrorDataCode: string }[] {
    if (this.outcome !== 'failed') return []
    return this.plan.errors.map((e) => ({ qErrorString: e.message, qLineEnd: '', qLine: e.statement ?? '', qErrorDataCode: 'EDC_ERROR' }))
  }

  private linesSoFar(now: number): string[] {
    if (this.startedAt === undefined) return []
    const elapsed = this.elapsed(now)
    // An ended reload has said everything it was going to say up to its end.
    const lines = this.plan.progress.filter((l) => l.atMs <= elapsed || (this.outcome !== 'aborted' && this.ended)).map((l) => l.text)
    return [...lines, ...this.endLines]
  }

  private end(outcome: 'success' | 'failed' | 'aborted'): void {
    clearTimeout(this.timer)
    this.outcome = outcome
    this.endedAt = Date.now()
    this.startedAt ??= this.endedAt
    if (outcome === 'failed') {
      for (const e of this.plan.errors) {
        this.endLines.push('The following error occurred:', e.message)
        if (e.statement) this.endLines.push('The error occurred here:', e.statement)
      }
      this.endLines.push('Data has not been loaded. Please correct the error and try loading again.')
    }
    if (outcome === 'aborted') this.endLines.push('Abort requested by user')
    this.onEnd(this)
    this.resolveDone({
      qSuccess: outcome === 'success',
      qScriptLogFile: `C:\\ProgramData\\Qlik\\Sense\\Log\\Script\\${this.appId}.${fileStamp(this.startedAt)}.log`,
      qEndedWithMemoryConstraint: this.plan.memoryConstraint
    })
    this.finishedTurn?.()
  }
}
