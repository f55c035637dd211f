import { describe, expect, it } from '@jest/globals'
import { connect, readSettings } from '../../src/connect.js'
import { pool } from '../../src/util/pool.js'
import { fakeClock } from '../helpers/fake-clock.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const inputs = {
  url: 'https://qlik.corp.example/hdr',
  'auth-type': 'header',
  'header-name': 'X-Qlik-HeaderAuth',
  'header-value': 'CORP\\svc_reload',
  'task-name': 'Reload Sales'
}

describe('connect.ts: what both steps do first', () => {
  it('reads the inputs and masks every secret among them before anything can print it', () => {
    const toolkit = new FakeToolkit(inputs)
    const settings = readSettings(toolkit)
    expect(settings.auth).toEqual({ type: 'header', name: 'X-Qlik-HeaderAuth', value: 'CORP\\svc_reload' })
    expect(toolkit.secrets).toEqual(['CORP\\svc_reload'])
  })

  it('an input error names the input and masks nothing yet', () => {
    const toolkit = new FakeToolkit({ ...inputs, 'header-value': '' })
    expect(() => readSettings(toolkit)).toThrow("Input 'header-value': is required with auth-type 'header' (the user id the proxy should sign in).")
    expect(toolkit.secrets).toEqual([])
  })

  it("connects with the auth-type's strategy, logging through the step's toolkit", async () => {
    const toolkit = new FakeToolkit(inputs)
    const { api, auth, client } = await connect(readSettings(toolkit), fakeClock(), toolkit)
    try {
      expect(auth.description).toBe('header X-Qlik-HeaderAuth')
      expect(client.log).toBe(toolkit)
      expect(api.with({ retries: 0 })).not.toBe(api)
    } finally {
      client.dispose()
    }
  })
})

describe('pool', () => {
  it('runs every item once, at most `limit` at once, taking them in order', async () => {
    const started: number[] = []
    let running = 0
    let most = 0
    await pool([1, 2, 3, 4, 5], 2, async item => {
      started.push(item)
      most = Math.max(most, ++running)
      await new Promise(resolve => setTimeout(resolve, 5 * (6 - item)))
      running--
    })
    expect(started).toEqual([1, 2, 3, 4, 5])
    expect(most).toBe(2)
    let calls = 0
    await pool([], 4, async () => void calls++)
    expect(calls).toBe(0)
  })
})
