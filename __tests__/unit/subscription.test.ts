import { describe, expect, it } from '@jest/globals'
import { request } from 'node:http'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { StepPush } from '../../src/notify/subscription.js'
import type { QrsApi } from '../../src/qrs/api.js'
import { ConnectionError, QrsError } from '../../src/util/errors.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const TASK = (i: number) => `e1000000-0000-4000-8000-${String(i).padStart(12, '0')}`
const notify = (port = 0) => ({ listen: { host: '127.0.0.1', port }, url: new URL(`http://runner01.corp.example:${port || 8765}/qlik-notify`) })

/** The two calls a subscription makes; `detached` records that the unsubscribe goes out on calls a cancellation does not cut. */
function qrs(options: { refuse?: boolean; lose?: boolean; unsubscribeFails?: boolean } = {}) {
  const calls: string[] = []
  let handles = 0
  const api = {
    subscribeToResults: async (filter: string, callback: string) => {
      calls.push(`subscribe ${filter} ${callback}`)
      if (options.refuse) throw new QrsError('POST', '/qrs/notification', 403, 'Forbidden')
      if (options.lose) throw new ConnectionError('qliksrv01:4242 closed the connection without answering (ECONNRESET).', true)
      return `handle-${++handles}`
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

function post(port: number, path: string): Promise<number> {
  return new Promise(resolve => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST' }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', () => resolve(0))
    req.end('[]')
  })
}

describe('StepPush: one subscription for the step, or a warning and polling', () => {
  it('subscribes once for every task of the step on a path with a masked token, shares it, and removes it with the last wait', async () => {
    const { api, calls } = qrs()
    const log = new FakeToolkit()
    let woken = 0
    const push = new StepPush(api, { notify: notify(), tasks: () => [TASK(1), TASK(2), TASK(3)], onWake: () => woken++, log })
    const first = await push.join(TASK(2))
    const second = await push.join(TASK(3))
    if (!first || !second) throw new Error('no push')
    const token = log.secrets[0]
    expect(calls).toEqual([`subscribe TaskID eq ${TASK(2)} or TaskID eq ${TASK(1)} or TaskID eq ${TASK(3)} http://runner01.corp.example:8765/qlik-notify/${token}`])
    expect(log.log).toEqual([
      expect.stringMatching(
        /^Push wake-ups on: the QRS calls http:\/\/runner01\.corp\.example:8765\/qlik-notify\/<token> when the status of a run of any of 3 tasks changes \(listening on 127\.0\.0\.1:\d+\)\.$/
      )
    ])
    // A callback on the path wakes the step.
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(log.log[0])![1])
    expect(await post(port, `/qlik-notify/${token}`)).toBe(200)
    expect(woken).toBe(1)
    await first.release()
    await first.release()
    expect(calls).toHaveLength(1)
    await second.release()
    expect(calls.at(-1)).toBe('unsubscribe handle-1')
    expect(log.log.at(-1)).toBe('Removed the notification subscription (1 wake-up received).')
    // Gone: the port answers nothing any more.
    expect(await post(port, `/qlik-notify/${token}`)).toBe(0)
  })

  it('a task it did not know yet (the task of an app reload) gets a subscription of its own; both go with the last wait', async () => {
    const { api, calls } = qrs()
    const push = new StepPush(api, { notify: notify(), tasks: () => [TASK(1)], onWake: () => undefined, log: new FakeToolkit() })
    const one = await push.join(TASK(1))
    const other = await push.join(TASK(9))
    expect(calls.map(c => c.split(' http')[0])).toEqual([`subscribe TaskID eq ${TASK(1)}`, `subscribe TaskID eq ${TASK(9)}`])
    await one?.release()
    await other?.release()
    expect(calls.slice(2)).toEqual(['unsubscribe handle-1', 'unsubscribe handle-2'])
  })

  it('tasks beyond the URL budget: as many subscriptions as it takes, each under it', async () => {
    const { api, calls } = qrs()
    const tasks = Array.from({ length: 60 }, (_, i) => TASK(i))
    const push = new StepPush(api, { notify: notify(), tasks: () => tasks, onWake: () => undefined, log: new FakeToolkit() })
    const lease = await push.join(TASK(0))
    const filters = calls.map(c => c.split(' ').slice(1, -1).join(' '))
    expect(filters.length).toBeGreaterThan(1)
    for (const filter of filters) expect(encodeURIComponent(filter).length).toBeLessThanOrEqual(1_536)
    expect(filters.join(' or ').match(/TaskID eq/g)).toHaveLength(60)
    await lease?.release()
    expect(calls.filter(c => c.startsWith('unsubscribe'))).toHaveLength(filters.length)
  })

  it('a port it cannot listen on: one warning, no subscription, polling for every wait', async () => {
    const busy = createServer()
    await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve))
    const port = (busy.address() as AddressInfo).port
    try {
      const { api, calls } = qrs()
      const log = new FakeToolkit()
      const push = new StepPush(api, { notify: notify(port), tasks: () => [TASK(1)], onWake: () => undefined, log })
      expect(await push.join(TASK(1))).toBeUndefined()
      expect(await push.join(TASK(1))).toBeUndefined()
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

  it('a refused subscription: the listener closed again, one warning with the first line of the answer', async () => {
    const { api, calls } = qrs({ refuse: true })
    const log = new FakeToolkit()
    const push = new StepPush(api, { notify: notify(), tasks: () => [TASK(1)], onWake: () => undefined, log })
    expect(await push.join(TASK(1))).toBeUndefined()
    expect(await push.join(TASK(1))).toBeUndefined()
    expect(calls).toHaveLength(1)
    expect(log.annotations).toEqual([
      {
        level: 'warning',
        message: 'Push wake-ups off: the QRS refused the notification subscription (POST /qrs/notification answered 403: Forbidden); polling instead.',
        title: undefined
      }
    ])
    // The port is free again: another step can listen on the same address.
    const again = new StepPush(qrs().api, { notify: notify(), tasks: () => [TASK(1)], onWake: () => undefined, log: new FakeToolkit() })
    await (await again.join(TASK(1)))?.release()
  })

  it('a subscription whose answer was lost: not called refused; it may stay, and it says for which tasks it would go on calling', async () => {
    const log = new FakeToolkit()
    const { api, calls } = qrs({ lose: true })
    const push = new StepPush(api, { notify: notify(), tasks: () => [TASK(1), TASK(2)], onWake: () => undefined, log })
    expect(await push.join(TASK(1))).toBeUndefined()
    // Push stays off: nothing is sent again (a second subscription would only add another that may stay).
    expect(await push.join(TASK(2))).toBeUndefined()
    expect(calls).toHaveLength(1)
    expect(log.annotations).toEqual([
      {
        level: 'warning',
        message: `Push wake-ups off: the answer to the notification subscription was lost (qliksrv01:4242 closed the connection without answering (ECONNRESET).); polling instead. If the QRS made it, it stays there (its handle never came, and the QRS lists none to remove it by): it calls http://runner01.corp.example:8765/qlik-notify/<token> whenever the status of a run of any of the tasks ${TASK(1)}, ${TASK(2)} changes, later runs too, and nothing answers there once this step has ended.`,
        title: undefined
      }
    ])
    // The token stays masked; the listener is closed (nothing holds it).
    expect(log.annotations[0].message).not.toContain(log.secrets[0])
  })

  it('an unsubscribe that fails is a warning; the listener closes anyway', async () => {
    const { api } = qrs({ unsubscribeFails: true })
    const log = new FakeToolkit()
    const push = new StepPush(api, { notify: notify(), tasks: () => [TASK(1)], onWake: () => undefined, log })
    await (await push.join(TASK(1)))?.release()
    expect(log.annotations).toEqual([{ level: 'warning', message: 'Could not remove the notification subscription handle-1: socket hang up', title: undefined }])
    expect(log.log.at(-1)).toBe('Removed the notification subscription (0 wake-ups received).')
  })

  it('a wait that joins after the last one left subscribes again', async () => {
    const { api, calls } = qrs()
    const push = new StepPush(api, { notify: notify(), tasks: () => [TASK(1)], onWake: () => undefined, log: new FakeToolkit() })
    await (await push.join(TASK(1)))?.release()
    await (await push.join(TASK(1)))?.release()
    expect(calls.map(c => c.split(' ')[0])).toEqual(['subscribe', 'unsubscribe', 'subscribe', 'unsubscribe'])
  })
})
