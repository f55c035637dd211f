/**
 * Issue 20, item 10: inputs keep their word. A bad input ends the step before the first request,
 * naming the input; a credential in `url` is never echoed; each input's description says what
 * really happens to it.
 *
 * Decisions:
 * - Duration bounds: `timeout` from 1 s to 24 days, `request-timeout` and `max-poll-interval` from 1 s
 *   to 1 h; all below 2^31−1 ms (Node's timer limit), and a value is checked before it is rounded.
 * - A `url` with a user or password (wherever the parser would put them) is refused with a message
 *   that shows neither.
 * - `header-value` is registered as a secret only from 8 characters up (a short user id masked would
 *   blank ordinary words): its description must say so, or the action must mask every value.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { runnerCommands } from '../helpers/runner-commands.js'
import { IDS, certificateInputs, testSite } from '../helpers/site.js'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

const errors = (stdout: string): string[] => stdout.split('\n').filter(line => line.startsWith('::error'))

/** Runs with `inputs`; the step must fail before any request, with one annotation naming `input`. */
async function refusedBeforeAnyRequest(inputs: Record<string, string>, input: string): Promise<string> {
  const requests = sim.requests.length
  const run = await runAction(inputs, { timeoutMs: 30_000 })
  expect({ requests: sim.requests.slice(requests).map(r => `${r.method} ${r.path}`), code: run.code }).toEqual({ requests: [], code: 1 })
  expect(errors(run.stdout)).toEqual([expect.stringContaining(`Input '${input}'`)])
  return `${run.stdout}\n${run.stderr}\n${run.summary}`
}

describe('item 10: inputs keep their word', () => {
  it.each([
    ['timeout', '0.4ms'],
    ['timeout', '600h'],
    ['request-timeout', '0.4ms'],
    ['request-timeout', '600h'],
    ['max-poll-interval', '0.4ms'],
    ['max-poll-interval', '600h']
  ])(
    '%s: %s is refused before any request',
    async (input, value) => {
      await refusedBeforeAnyRequest(certificateInputs(sim, { 'task-id': IDS.ok, [input]: value }), input)
    },
    40_000
  )

  it.each([
    ['a password with a slash', 'svc:S3cr/et'],
    ['a password', 'svc:S3cret'],
    ['a user name alone', 'svc_S3cret']
  ])('a url with credentials (%s) is refused without echoing them', async (_name, credentials) => {
    const url = sim.url.replace('https://', `https://${credentials}@`)
    const output = await refusedBeforeAnyRequest(certificateInputs(sim, { 'task-id': IDS.ok, url }), 'url')
    expect(output).not.toContain('S3cr')
  })

  it('header-value: what action.yml promises about masking is what happens to a short value', async () => {
    const description = (parse(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, { description: string }> }).inputs['header-value'].description
    const value = 'svc'
    const run = await runAction({
      url: `${sim.proxyUrl}/hdr`,
      'auth-type': 'header',
      'header-name': 'X-Qlik-HeaderAuth',
      'header-value': value,
      'ca-cert': sim.certs.ca,
      'task-id': IDS.ok
    })
    expect(run.code).toBe(0)
    const masked = runnerCommands(run.stdout).commands.some(c => c.command === 'add-mask' && c.data === value)
    // "Masked in logs." without a condition is only true if the value is masked.
    expect({ masked, promisesMasking: /Masked in logs\./.test(description) }).not.toEqual({ masked: false, promisesMasking: true })
  })
})
