import type { Clock } from '../util/clock.js'

/**
 * A bound on the request rate of one run, whatever the server answers: at most `perSecond` requests a
 * second once `burst` have gone out at once. Every loop has its own floor between looks (retries, polls,
 * wake-ups); this holds even where several of them, or a server that answers everything at once, add up.
 */
export class RequestRate {
  private tokens: number
  private at: number

  constructor(
    private readonly clock: Clock,
    private readonly perSecond = 25,
    private readonly burst = 50
  ) {
    this.tokens = burst
    this.at = clock.now()
  }

  /** Resolves when this request may go out; each one waiting reserves its turn. */
  async take(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000)
    this.at = now
    this.tokens -= 1
    if (this.tokens < 0) await this.clock.sleep(Math.ceil((-this.tokens * 1000) / this.perSecond), signal)
  }
}
