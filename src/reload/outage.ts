import type { Clock } from '../util/clock.js'
import { firstLine } from '../util/text.js'

/**
 * Tells one outage in two lines: when the server stops answering, and when it answers again
 * (with how long it was gone). The retries in between are silent: a node restart of minutes
 * would otherwise fill the log.
 */
export class Outage {
  private since: number | undefined

  constructor(
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
    /** What the step keeps doing meanwhile: "still waiting for execution <id>". */
    private readonly doing: string
  ) {}

  get ongoing(): boolean {
    return this.since !== undefined
  }

  /** A request failed for a transient reason; `untilMs` is how long the step keeps trying. */
  failed(error: unknown, untilMs: number): void {
    if (this.since !== undefined) return
    this.since = this.clock.now()
    this.log(`QRS is not answering (${firstLine((error as Error).message)}); trying again for up to ${Math.ceil(untilMs / 1000)} s (the timeout), ${this.doing}.`)
  }

  /** A request got an answer. */
  answered(): void {
    if (this.since === undefined) return
    const gone = this.clock.now() - this.since
    this.since = undefined
    this.log(`QRS did not answer for ${Math.round(gone / 1000)} s; ${this.doing}.`)
  }
}
