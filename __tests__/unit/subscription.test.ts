import { describe, expect, it } from '@jest/globals'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { subscribe } from '../../src/notify/subscription.js'
import type { QrsApi } from '../../src/qrs/api.js'
import { ConnectionError, QrsError } from '../../src/util/errors.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const EXEC = 'e1000000-0000-4000-8000-000000000001'
const notify = (port = 0) => ({ listen: { host: '127.0.0.1', port }, url: new URL(`http://runner01.corp.example:${port || 8765}/qlik-notify`) })

/** The two calls a subscription makes; `detached` records that the unsubscribe goes out on calls a cancellation does not cut. */
function qrs(options: { refuse?: boolean; lose?: boolean; unsubscribeFails?: boolean } = {}) {
  const calls: string[] = []
  const api = {
    subscribeToExecution: async (executionId: string, callback: string) => {
      calls.push(`subscribe ${executionId} ${callback}`)
      if (options.refuse) throw new QrsError('POST', '/qrs/notification', 403, 'Forbidden')
      if (options.lose) throw new ConnectionError('qliksrv01:4242 closed the connection without answering (ECONNRESET).', true)
      return 'handle-1'
    },
    detached: () => ({
      unsubscribe: async (handle: string) => {
        calls.push(`unsubscribe ${handle}`)
        if (options.unsubscribeFails) throw new Error('socket hang up')
      }
    })
  } as unknown as QrsApi
  return { api, calls }
}

describe('subscribe: push wake-ups, or a warning and polling', () => {
  it('subscribes the QRS to a path of this execution with a masked token, and always removes it', async () => {
    const { api, calls } = qrs()
    const log = new FakeToolkit()
    const push = await subscribe(api, notify(), EXEC, log)
    if (!push) throw new Error('no subscription')
    const { token, port } = push.listener
    expect(calls).toEqual([`subscribe ${EXEC} http://runner01.corp.example:8765/qlik-notify/${token}`])
    expect(log.secrets).toEqual([token])
    expect(log.log).toEqual([
      `Push wake-ups on: the QRS calls http://runner01.corp.example:8765/qlik-notify/<token> when execution ${EXEC} changes (listening on 127.0.0.1:${port}).`
    ])
    push.listener.notify()
    await push.close()
    expect(calls.at(-1)).toBe('unsubscribe handle-1')
    expect(log.log.at(-1)).toBe('Removed the notification subscription (1 wake-up received).')
  })

  it('a port it cannot listen on: a warning, no subscription', async () => {
    const busy = createServer()
    await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve))
    const port = (busy.address() as AddressInfo).port
    try {
      const { api, calls } = qrs()
      const log = new FakeToolkit()
      expect(await subscribe(api, notify(port), EXEC, log)).toBeUndefined()
      expect(calls).toEqual([])
      expect(log.annotations).toEqual([
        {
          level: 'warning',
          message: expect.stringMatching(new RegExp(`^Push wake-ups off: cannot listen on 127\\.0\\.0\\.1:${port} \\(.*EADDRINUSE.*\\); polling instead\\.$`)),
          title: undefined
        }
      ])
    } finally {
      await new Promise(resolve => busy.close(resolve))
    }
  })

  it('a refused subscription: the listener closed again, a warning with the first line of the answer', async () => {
    const { api } = qrs({ refuse: true })
    const log = new FakeToolkit()
    expect(await subscribe(api, notify(), EXEC, log)).toBeUndefined()
    expect(log.annotations).toEqual([
      {
        level: 'warning',
        message: 'Push wake-ups off: the QRS refused the notification subscription (POST /qrs/notification answered 403: Forbidden); polling instead.',
        title: undefined
      }
    ])
    // The port is free again: another subscription can listen on the same address.
    const again = await subscribe(qrs().api, notify(), EXEC, new FakeToolkit())
    await again?.close()
  })

  it('a subscription whose answer was lost: not called refused; it may stay, and falls silent when the execution ends', async () => {
    const log = new FakeToolkit()
    expect(await subscribe(qrs({ lose: true }).api, notify(), EXEC, log)).toBeUndefined()
    expect(log.annotations).toEqual([
      {
        level: 'warning',
        message: `Push wake-ups off: the answer to the notification subscription was lost (qliksrv01:4242 closed the connection without answering (ECONNRESET).); polling instead. If the QRS made it, it stays there (its handle never came, and the QRS lists none to remove it by), but it fires only for execution ${EXEC} and falls silent once that has ended.`,
        title: undefined
      }
    ])
  })

  it('an unsubscribe that fails is a warning; the listener closes anyway', async () => {
    const { api } = qrs({ unsubscribeFails: true })
    const log = new FakeToolkit()
    const push = await subscribe(api, notify(), EXEC, log)
    await push?.close()
    expect(log.annotations).toEqual([{ level: 'warning', message: 'Could not remove the notification subscription handle-1: socket hang up', title: undefined }])
    expect(log.log.at(-1)).toBe('Removed the notification subscription (0 wake-ups received).')
  })
})
