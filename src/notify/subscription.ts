import type { QrsApi } from '../qrs/api.js'
import type { ListenAddress } from '../settings/settings.js'
import type { Log } from '../toolkit/toolkit.js'
import { WakeUpListener } from './listener.js'
import { refused } from '../reload/refused.js'
import { errorMessage } from '../util/errors.js'
import { firstLine } from '../util/text.js'

/** A live subscription: wake-ups for the wait loop, and the clean-up that must always run. */
export interface PushWakeUps {
  listener: WakeUpListener
  close(): Promise<void>
}

/**
 * Listens on `listen` and subscribes the QRS to changes of this execution's results, calling `url`.
 * Push is an optimisation: if it cannot be set up, the step warns and polls as usual.
 */
export async function subscribe(api: QrsApi, notify: { listen: ListenAddress; url: URL }, executionId: string, log: Log): Promise<PushWakeUps | undefined> {
  let listener: WakeUpListener
  try {
    listener = await WakeUpListener.start(notify.listen, notify.url.pathname, log)
  } catch (error) {
    log.warning(`Push wake-ups off: cannot listen on ${notify.listen.host}:${notify.listen.port} (${(error as Error).message}); polling instead.`)
    return undefined
  }
  // The QRS calls a path of this execution's own, with a token nobody else knows.
  const callback = new URL(notify.url.href)
  callback.pathname = listener.path
  let handle: string
  try {
    handle = await api.subscribeToExecution(executionId, callback.href)
  } catch (error) {
    await listener.close()
    log.warning(subscriptionFailed(error, executionId))
    return undefined
  }
  log.info(
    `Push wake-ups on: the QRS calls ${callback.href.replace(listener.token, '<token>')} when execution ${executionId} changes (listening on ${notify.listen.host}:${listener.port}).`
  )
  return {
    listener,
    close: async () => {
      // Always removed, also after a failure or a cancellation: a forgotten subscription keeps
      // the QRS calling a runner that is gone.
      await api
        .detached()
        .unsubscribe(handle)
        .catch(error => log.warning(`Could not remove the notification subscription ${handle}: ${(error as Error).message}`))
      await listener.close()
      log.info(`Removed the notification subscription (${listener.wakeUps} wake-up${listener.wakeUps === 1 ? '' : 's'} received).`)
    }
  }
}

/**
 * Why push is off. A refusal made nothing; a lost answer may have made a subscription whose handle
 * never came, which cannot be removed (the QRS lists no subscriptions to find it in). It only ever fires
 * for this execution, so it falls silent once that has ended, and its calls meet a closed listener.
 */
function subscriptionFailed(error: unknown, executionId: string): string {
  const why = firstLine(errorMessage(error))
  if (refused(error)) return `Push wake-ups off: the QRS refused the notification subscription (${why}); polling instead.`
  return `Push wake-ups off: the answer to the notification subscription was lost (${why}); polling instead. If the QRS made it, it stays there (its handle never came, and the QRS lists none to remove it by), but it fires only for execution ${executionId} and falls silent once that has ended.`
}
