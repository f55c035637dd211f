import type { QrsApi } from '../qrs/api.js'
import { chunks, eqGuid } from '../qrs/filter.js'
import type { ListenAddress } from '../settings/settings.js'
import type { Log } from '../toolkit/toolkit.js'
import { WakeUpListener } from './listener.js'
import { refused } from '../reload/refused.js'
import { errorMessage } from '../util/errors.js'
import { firstLine } from '../util/text.js'

/** One execution's hold on the step's subscription; released when its wait ends, whatever the end. */
export interface PushLease {
  release(): Promise<void>
}

export interface PushOptions {
  notify: { listen: ListenAddress; url: URL }
  /** The step's tasks known so far: one subscription covers them all. */
  tasks: () => string[]
  /** Called on each wake-up the listener lets through. */
  onWake: () => void
  log: Log
}

/**
 * The step's push wake-ups: one listener path and one QRS subscription (a few when the tasks do not fit
 * the URL budget) to the status of the results of all its tasks, held while any of its executions is
 * waited for with push. Push is an optimisation: if it cannot be set up, the step warns once and polls.
 */
export class StepPush {
  private listener?: WakeUpListener
  private subscriptions: { handle: string; tasks: Set<string> }[] = []
  private holders = 0
  private off = false
  /** Joins and leaves one at a time: a subscription is made once, and removed only when nobody holds it. */
  private turns: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly api: QrsApi,
    private readonly options: PushOptions
  ) {}

  /** Push for a run of this task, or undefined (push is off: a warning said why). */
  join(taskId: string): Promise<PushLease | undefined> {
    return this.inTurn(() => this.cover(taskId.toLowerCase()))
  }

  private inTurn<T>(step: () => Promise<T>): Promise<T> {
    const turn = this.turns.then(step)
    this.turns = turn.catch(() => undefined)
    return turn
  }

  private async cover(taskId: string): Promise<PushLease | undefined> {
    const { notify, log } = this.options
    if (this.off) return undefined
    if (!this.listener) {
      try {
        this.listener = await WakeUpListener.start(notify.listen, notify.url.pathname, log)
      } catch (error) {
        this.off = true
        log.warning(`Push wake-ups off: cannot listen on ${notify.listen.host}:${notify.listen.port} (${(error as Error).message}); polling instead.`)
        return undefined
      }
      this.listener.onWake = this.options.onWake
    }
    if (!this.subscriptions.some(s => s.tasks.has(taskId)) && !(await this.subscribe(taskId))) return undefined
    this.holders++
    let released = false
    return {
      release: () => {
        if (released) return Promise.resolve()
        released = true
        return this.inTurn(() => this.leave())
      }
    }
  }

  /** Subscribes for this task and every known task not covered yet; false (and push off) when the QRS refuses. */
  private async subscribe(taskId: string): Promise<boolean> {
    const listener = this.listener!
    const { notify, log } = this.options
    // The QRS calls a path of the step's own, with a token nobody else knows.
    const callback = new URL(notify.url.href)
    callback.pathname = listener.path
    const covered = new Set(this.subscriptions.flatMap(s => [...s.tasks]))
    const wanted = [...new Set([taskId, ...this.options.tasks().map(id => id.toLowerCase())])].filter(id => !covered.has(id))
    let asked: string[] = []
    try {
      for (const chunk of chunks(wanted, id => eqGuid('TaskID', id))) {
        asked = chunk.items
        const handle = await this.api.subscribeToResults(chunk.filter, callback.href)
        this.subscriptions.push({ handle, tasks: new Set(chunk.items) })
      }
    } catch (error) {
      this.off = true
      log.warning(subscriptionFailed(error, asked, callback.href.replace(listener.token, '<token>')))
      if (this.holders === 0) await this.close()
      return false
    }
    const which = wanted.length === 1 ? `task ${wanted[0]}` : `any of ${wanted.length} tasks`
    log.info(
      `Push wake-ups on: the QRS calls ${callback.href.replace(listener.token, '<token>')} when the status of a run of ${which} changes (listening on ${notify.listen.host}:${listener.port}).`
    )
    return true
  }

  private async leave(): Promise<void> {
    if (--this.holders === 0) await this.close()
  }

  /**
   * Always removed when the last wait ends, also after a failure or a cancellation: a forgotten
   * subscription keeps the QRS calling a runner that is gone.
   */
  private async close(): Promise<void> {
    const { log } = this.options
    const listener = this.listener
    const subscriptions = this.subscriptions
    this.listener = undefined
    this.subscriptions = []
    for (const { handle } of subscriptions) {
      await this.api
        .detached()
        .unsubscribe(handle)
        .catch(error => log.warning(`Could not remove the notification subscription ${handle}: ${(error as Error).message}`))
    }
    if (!listener) return
    await listener.close()
    if (subscriptions.length > 0)
      log.info(`Removed the notification subscription${subscriptions.length > 1 ? 's' : ''} (${listener.wakeUps} wake-up${listener.wakeUps === 1 ? '' : 's'} received).`)
  }
}

/**
 * Why push is off. A refusal made nothing; a lost answer may have made a subscription whose handle never
 * came, which cannot be removed (the QRS lists no subscriptions to find it in). It is for the status of
 * these tasks' runs, so it does not fall silent: every later run of theirs calls an address where nothing
 * listens once the step has ended (the path's token was this step's alone).
 */
function subscriptionFailed(error: unknown, tasks: string[], callback: string): string {
  const why = firstLine(errorMessage(error))
  if (refused(error)) return `Push wake-ups off: the QRS refused the notification subscription (${why}); polling instead.`
  const which = tasks.length === 1 ? `task ${tasks[0]}` : `any of the tasks ${tasks.join(', ')}`
  return `Push wake-ups off: the answer to the notification subscription was lost (${why}); polling instead. If the QRS made it, it stays there (its handle never came, and the QRS lists none to remove it by): it calls ${callback} whenever the status of a run of ${which} changes, later runs too, and nothing answers there once this step has ended.`
}
