import { describe, expect, it } from '@jest/globals'
import { QrsApi } from '../../src/qrs/api.js'
import type { QrsClient } from '../../src/qrs/client.js'
import { hintForStatus, looksLikeHtml } from '../../src/qrs/hints.js'
import { newXrfkey } from '../../src/qrs/xrfkey.js'
import { QrsError } from '../../src/util/errors.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

describe('hints: what a user can do about an answer', () => {
  it('names each known cause, and nothing for the rest', () => {
    expect(hintForStatus(403, 'XSRF prevention check failed')).toMatch(/xrfkey .* a proxy in between may rewrite query strings/)
    expect(hintForStatus(403, 'The user is inactive')).toMatch(/^The Qlik user is inactive/)
    expect(hintForStatus(400, '<html><body>Bad Request</body></html>')).toMatch(/linked to a proxy service/)
    expect(hintForStatus(500, 'Authentication error')).toMatch(/lost the session/)
    expect(hintForStatus(400, 'Cannot parse the expression')).toBeUndefined()
    expect(hintForStatus(404, '')).toBeUndefined()
  })

  it('takes a body for HTML by its type or its first character', () => {
    expect(looksLikeHtml('text/html; charset=utf-8', '{}')).toBe(true)
    expect(looksLikeHtml('application/json', '  <!DOCTYPE html>')).toBe(true)
    expect(looksLikeHtml('application/json', '[]')).toBe(false)
  })
})

describe('newXrfkey', () => {
  it('makes a fresh 16-character alphanumeric key each time', () => {
    const keys = new Set(Array.from({ length: 200 }, newXrfkey))
    expect(keys.size).toBe(200)
    for (const key of keys) expect(key).toMatch(/^[a-zA-Z0-9]{16}$/)
  })
})

describe('QrsApi: optional lists and the script log routes', () => {
  /** A client whose GETs answer from `routes` (a function throws or answers). */
  function api(routes: Record<string, (query: Record<string, string | undefined>) => unknown>) {
    const log = new FakeToolkit()
    const calls: string[] = []
    const answer = async (path: string, _shape: unknown, query: Record<string, string | undefined> = {}) => {
      calls.push(path)
      const route = routes[path]
      if (!route) throw new Error(`unexpected ${path}`)
      return route(query)
    }
    const client = { log, get: answer, getIfExists: answer } as unknown as QrsClient
    return { api: new QrsApi(client), log, calls }
  }
  const refused = (status: number) => () => {
    throw new QrsError('GET', '/qrs/x', status, 'no')
  }

  it('a list the server does not serve (404, 400) is empty, said in a debug line; other refusals are errors', async () => {
    const { api: optional, log } = api({ '/qrs/tag': refused(404), '/qrs/custompropertydefinition': refused(400), '/qrs/externalprogramtask/full': refused(403) })
    expect(await optional.tags("name eq 'x'")).toEqual([])
    expect(await optional.customPropertyDefinitions("name eq 'x'")).toEqual([])
    expect(log.log).toEqual(['debug: GET /qrs/x answered 404: taken as an empty list.', 'debug: GET /qrs/x answered 400: taken as an empty list.'])
    await expect(optional.externalProgramTasks('id eq x')).rejects.toThrow(/answered 403/)
  })

  it('whether a task runs is "not known" when the session list is not served, not "not running"', async () => {
    const { api: sessions } = api({ '/qrs/executionsession/full': refused(404) })
    expect(await sessions.taskExecutionSessions({ id: 'a1000000-0000-4000-8000-000000000001', name: 'T' })).toEqual({ notKnown: 'GET /qrs/x answered 404' })
    const { api: broken } = api({ '/qrs/executionsession/full': refused(500) })
    await expect(broken.taskExecutionSessions({ id: 'a1000000-0000-4000-8000-000000000001', name: 'T', taskType: 1 })).rejects.toThrow(/answered 500/)
  })

  it('the script log: the newer route first, the older one after any refusal; none without a file reference', async () => {
    const result = { id: 'r', status: 8, fileReferenceID: 'f1' }
    const newer = api({ '/qrs/reloadtask/t/scriptlogfile': q => ({ value: `new-${q.executionResultId}` }) })
    expect(await newer.api.scriptLogReference('t', result)).toBe('new-r')
    const older = api({ '/qrs/reloadtask/t/scriptlogfile': refused(405), '/qrs/reloadtask/t/scriptlog': q => ({ value: `old-${q.fileReferenceId}` }) })
    expect(await older.api.scriptLogReference('t', result)).toBe('old-f1')
    expect(older.log.log).toEqual(['debug: GET /qrs/x answered 405: trying the older script log route.'])
    expect(older.calls).toEqual(['/qrs/reloadtask/t/scriptlogfile', '/qrs/reloadtask/t/scriptlog'])
    const none = api({ '/qrs/reloadtask/t/scriptlogfile': () => undefined })
    expect(await none.api.scriptLogReference('t', { id: 'r', status: 8 })).toBeUndefined()
    const empty = api({ '/qrs/reloadtask/t/scriptlogfile': () => ({}), '/qrs/reloadtask/t/scriptlog': () => ({ value: '' }) })
    expect(await empty.api.scriptLogReference('t', result)).toBeUndefined()
    const failing = api({
      '/qrs/reloadtask/t/scriptlogfile': () => {
        throw new Error('socket hang up')
      }
    })
    await expect(failing.api.scriptLogReference('t', result)).rejects.toThrow('socket hang up')
  })
})
