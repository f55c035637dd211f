/**
 * A QRS client this project did not write drives the simulator: qlik-repo-api (npm, Informatiqal,
 * on axios through qlik-rest-api), with certificate auth and X-Qlik-User as it sends them. It finds
 * a task, starts it, waits the documented way (session until 404, then the results by ExecutionId)
 * and reads the result and its script log. Its requests are checked against Qlik's definition too
 * when QRS_SPEC is set.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import https from 'node:https'
import { readFileSync } from 'node:fs'
import { QlikRepoApi } from 'qlik-repo-api'
import type { Simulator } from '../src/index.js'
import { loadQrsSpec } from './qrs-spec.js'
import { noteSkipped } from './skipped.js'
import { ids, sleep, start, testCerts } from './helpers.js'

let sim: Simulator
let agent: https.Agent
let api: QlikRepoApi.client

beforeAll(async () => {
  sim = await start(testCerts('foreign-qrs-client'), { quiet: process.env.SIM_LOG === undefined })
  agent = new https.Agent({ ca: readFileSync(sim.certs.ca), cert: readFileSync(sim.certs.clientCert), key: readFileSync(sim.certs.clientKey) })
  api = new QlikRepoApi.client({ host: 'localhost', port: sim.port, httpsAgent: agent, authentication: { user_dir: 'INTERNAL', user_name: 'sa_api' } })
})
afterAll(async () => {
  agent?.destroy()
  await sim?.close()
})

/** The library rethrows axios errors as plain Errors with axios's message: 404 is the end of the session. */
function status(error: unknown): number | undefined {
  const found = /status code (\d{3})/.exec(String((error as Error).message))
  return found ? Number(found[1]) : undefined
}

/** Start, then the documented wait (protocol doc 8), all through the library. */
async function reload(taskId: string): Promise<{ sessionId: string; result: any }> {
  const task = await api.tasks.get({ id: taskId })
  const started = await task.startSynchronous()
  expect(started.status).toBe(201)
  const sessionId = (started.data as { value: string }).value
  for (let i = 0; ; i++) {
    try {
      await api.executionSessions.get({ id: sessionId })
    } catch (error) {
      if (status(error) === 404) break
      throw error
    }
    if (i > 100) throw new Error('the session never ended')
    await sleep(50)
  }
  const attempts = await api.executionResults.getFilter({ filter: `ExecutionId eq ${sessionId}` })
  expect(attempts.length).toBeGreaterThan(0)
  const last = await api.executionResults.get({ id: attempts[attempts.length - 1].details.id })
  return { sessionId, result: last.details }
}

describe('qlik-repo-api (a third-party QRS client) against the simulator', () => {
  it('reads about, finds the task, reloads it and reads the successful result and its script log', async () => {
    const about = await api.about.get()
    expect(about).toMatchObject({ buildVersion: expect.any(String), schemaPath: 'About' })
    const { sessionId, result } = await reload(ids.success)
    expect(result).toMatchObject({ status: 7, executionID: sessionId, taskID: ids.success })
    const reference = await api.repoClient.Get(`reloadtask/${ids.success}/scriptlog?filereferenceid=${result.fileReferenceID}`)
    const log = await api.repoClient.Get(`download/reloadtask/${(reference.data as { value: string }).value}/scriptlog.txt`)
    expect(log.status).toBe(200)
    expect(String(log.data)).toMatch(/Execution finished\./)
  })

  it('sees a failed reload fail, with the script error in the details', async () => {
    const { result } = await reload(ids.failure)
    expect(result.status).toBe(8)
    expect(result.details.map((d: { details: { message: string } }) => d.details.message)).toContain('Field not found: <Amount>')
  })

  it('sends only requests the definition declares (when QRS_SPEC is set)', () => {
    const { spec, reason } = loadQrsSpec()
    if (!spec) {
      noteSkipped("simulator/__tests__/foreign-qrs-client.test.ts (the foreign client's requests against the QRS definition)", reason ?? '')
      return
    }
    const problems = sim.requests.flatMap((r) => spec.checkRequest(r.method, r.path, r.query, r.body !== undefined && r.body !== '{}'))
    expect(problems).toEqual([])
  })
})
