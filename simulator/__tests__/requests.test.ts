import { describe, test, expect, beforeAll, afterAll } from '@jest/globals'
import type { Simulator } from '../src/index.js'
import { call, ids, start, testCerts, xrfkey } from './helpers.js'

let sim: Simulator

beforeAll(async () => {
  sim = await start(testCerts('requests'))
})
afterAll(() => sim.close())

describe('xrfkey', () => {
  const xsrf = 'XSRF prevention check failed. Possible XSRF discovered.'

  test('matching query and header pass', async () => {
    const res = await call(sim, 'GET', '/qrs/about')
    expect(res.status).toBe(200)
    expect(res.contentType).toBe('application/json; charset=utf-8')
    expect(res.json()).toMatchObject({ schemaPath: 'About', requiresBootstrap: false })
  })

  test('missing key: 403 text', async () => {
    const res = await call(sim, 'GET', '/qrs/about', { xrfkey: false })
    expect(res.status).toBe(403)
    expect(res.contentType).toMatch(/^text\/plain/)
    expect(res.body).toBe(xsrf)
  })

  test('header only or query only: 403', async () => {
    expect((await call(sim, 'GET', '/qrs/about', { xrfkey: false, headers: { 'X-Qlik-Xrfkey': xrfkey } })).status).toBe(403)
    expect((await call(sim, 'GET', `/qrs/about?xrfkey=${xrfkey}`, { xrfkey: false })).status).toBe(403)
  })

  test('mismatch: 403', async () => {
    const res = await call(sim, 'GET', `/qrs/about?xrfkey=${xrfkey}`, { xrfkey: false, headers: { 'X-Qlik-Xrfkey': 'ABCDEFGHIJ123456' } })
    expect(res.status).toBe(403)
    expect(res.body).toBe(xsrf)
  })

  test('wrong length or characters: 403', async () => {
    for (const key of ['abc123', 'abcdefghij1234567', 'abcdefghij12345!']) {
      const res = await call(sim, 'GET', `/qrs/about?xrfkey=${encodeURIComponent(key)}`, { xrfkey: false, headers: { 'X-Qlik-Xrfkey': key } })
      expect(res.status).toBe(403)
    }
  })

  test('query name matched case-insensitively', async () => {
    for (const name of ['Xrfkey', 'XRFKEY', 'xrfKey']) {
      const res = await call(sim, 'GET', `/qrs/about?${name}=${xrfkey}`, { xrfkey: false, headers: { 'x-qlik-xrfkey': xrfkey } })
      expect(res.status).toBe(200)
    }
  })
})

describe('X-Qlik-User', () => {
  test('missing header acts as admin; well-formed header variants pass', async () => {
    expect((await call(sim, 'GET', '/qrs/about')).status).toBe(200)
    for (const value of [
      'UserDirectory=INTERNAL; UserId=sa_api',
      'UserDirectory=INTERNAL;UserId=sa_api',
      'userdirectory=internal; userid=SA_API',
      'UserId=sa_api; UserDirectory=INTERNAL'
    ]) {
      expect((await call(sim, 'GET', '/qrs/about', { headers: { 'X-Qlik-User': value } })).status).toBe(200)
    }
  })

  test('inactive user: 403 with the proxy message', async () => {
    const res = await call(sim, 'GET', '/qrs/about', { headers: { 'X-Qlik-User': 'UserDirectory=CORP; UserId=gone' } })
    expect(res.status).toBe(403)
    expect(res.body).toBe('Your account is inactive. Contact your administrator to activate it.')
  })

  test('colon separator (the Airflow bug) is malformed: 403', async () => {
    const res = await call(sim, 'GET', '/qrs/about', { headers: { 'X-Qlik-User': 'UserDirectory=INTERNAL: UserId=sa_api' } })
    expect(res.status).toBe(403)
    expect(res.contentType).toMatch(/^text\/plain/)
    expect(res.body).toMatch(/X-Qlik-User header is malformed/)
  })

  test('the session records the calling user', async () => {
    const res = await call(sim, 'POST', `/qrs/task/${ids.long}/start/synchronous`, { headers: { 'X-Qlik-User': 'UserDirectory=INTERNAL; UserId=sa_api' } })
    const session = (await call(sim, 'GET', `/qrs/executionsession/${res.json().value}`)).json()
    expect(session.user).toBe('INTERNAL\\sa_api')
    await call(sim, 'POST', `/qrs/task/${ids.long}/stop`)
  })
})

describe('routes and errors', () => {
  test('enums list TaskExecutionStatus', async () => {
    const enums = (await call(sim, 'GET', '/qrs/about/api/enums')).json()
    expect(enums.TaskExecutionStatus.values).toContain('12: Reset')
  })

  test('unknown route and unknown id: 404 text', async () => {
    for (const path of ['/qrs/nothing', `/qrs/reloadtask/${ids.long.replace('6', '9')}`, '/qrs/executionresult/00000000-0000-0000-0000-000000000001', '/other']) {
      const res = await call(sim, 'GET', path)
      expect(res.status).toBe(404)
      expect(res.contentType).toMatch(/^text\/plain/)
    }
  })

  test('lists: condensed, full, count, filter', async () => {
    const condensed = (await call(sim, 'GET', '/qrs/reloadtask')).json()
    expect(condensed[0]).toEqual({
      id: expect.any(String),
      privileges: null,
      name: expect.any(String),
      taskType: 0,
      enabled: expect.any(Boolean),
      taskSessionTimeout: 1440,
      maxRetries: expect.any(Number),
      operational: expect.objectContaining({ lastExecutionResult: expect.any(Object) })
    })
    const full = (await call(sim, 'GET', `/qrs/reloadtask/full?filter=${encodeURIComponent(`id eq ${ids.success}`)}`)).json()
    expect(full).toHaveLength(1)
    expect(full[0]).toMatchObject({ name: 'Reload Sales', schemaPath: 'ReloadTask', app: { name: 'Sales' }, operational: { nextExecution: '1753-01-01T00:00:00.000Z' } })
    const byApp = (await call(sim, 'GET', `/qrs/reloadtask/count?filter=${encodeURIComponent(`app.id eq ${full[0].app.id} and enabled eq false`)}`)).json()
    expect(byApp).toEqual({ value: 1 })
    const tasks = (await call(sim, 'GET', '/qrs/task/full?filter=taskType+eq+0')).json()
    expect(tasks.length).toBeGreaterThan(3)
    const apps = (await call(sim, 'GET', "/qrs/app?filter=name%20eq%20'sales'")).json()
    expect(apps).toHaveLength(1)
  })

  test('bad filters: 400 text', async () => {
    const cases: [string, RegExp][] = [
      [`/qrs/reloadtask?filter=${encodeURIComponent("name eq 'O''Brien'")}`, /^Cannot parse the expression/],
      [`/qrs/reloadtask?filter=${encodeURIComponent('()')}`, /^Invalid expression$/],
      ["/qrs/reloadtask?filter=name%20eq%20'A&B'", /^Missing parameter value\(s\)$/]
    ]
    for (const [path, message] of cases) {
      const res = await call(sim, 'GET', path)
      expect(res.status).toBe(400)
      expect(res.contentType).toMatch(/^text\/plain/)
      expect(res.body).toMatch(message)
    }
  })

  test('requests are recorded, control endpoints are not', async () => {
    await call(sim, 'POST', '/__sim/reset-requests', { xrfkey: false })
    await call(sim, 'GET', '/qrs/app/full?filter=published+eq+true', { headers: { 'X-Qlik-User': 'UserDirectory=INTERNAL; UserId=sa_api' } })
    const recorded = (await call(sim, 'GET', '/__sim/requests', { xrfkey: false })).json()
    expect(recorded).toHaveLength(1)
    expect(recorded[0]).toMatchObject({ method: 'GET', path: '/qrs/app/full', status: 200, clientCertCN: 'QlikClient' })
    expect(recorded[0].query).toBe(`filter=published+eq+true&xrfkey=${xrfkey}`)
    expect(recorded[0].headers['x-qlik-user']).toBe('UserDirectory=INTERNAL; UserId=sa_api')
    expect(sim.requests).toHaveLength(1)
  })
})
