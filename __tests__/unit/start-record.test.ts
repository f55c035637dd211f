import { describe, expect, it } from '@jest/globals'
import { authUser } from '../../src/auth/index.js'
import type { QrsApi } from '../../src/qrs/api.js'
import type { ExecutionSession } from '../../src/qrs/types.js'
import { formatUser, parseUser } from '../../src/qrs/user.js'
import { lookForStarted, runsAs, startedSince, type StartRecord } from '../../src/reload/start-record.js'
import { settleStart } from '../../src/run/pending-start.js'
import { QrsError } from '../../src/util/errors.js'
import { fakeClock } from '../helpers/fake-clock.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const TASK = 'a1000000-0000-4000-8000-000000000001'
const APP = 'b1000000-0000-4000-8000-000000000001'
const OURS = 'e1000000-0000-4000-8000-000000000001'
const BEFORE = 'e2000000-0000-4000-8000-000000000002'
const THEIRS = 'e3000000-0000-4000-8000-000000000003'
const RECORD: StartRecord = { taskId: TASK, name: 'Reload Sales', at: '2026-03-01T10:00:00.000Z', user: 'INTERNAL\\sa_api', before: [BEFORE.toUpperCase()] }

describe('the Qlik user the calls run as', () => {
  it('reads DIRECTORY\\userId and the X-Qlik-User form, and writes DIRECTORY\\userId', () => {
    expect(parseUser('CORP\\svc_reload')).toEqual({ directory: 'CORP', userId: 'svc_reload' })
    expect(parseUser('svc_reload')).toEqual({ directory: '', userId: 'svc_reload' })
    expect(parseUser(' UserId = sa_api ;UserDirectory=INTERNAL')).toEqual({ directory: 'INTERNAL', userId: 'sa_api' })
    expect(formatUser({ directory: '', userId: 'svc' })).toBe('\\svc')
  })

  it('each auth-type says who it signs in as, as far as its inputs tell', () => {
    const certificate = { type: 'certificate' as const, certificate: { cert: '', key: '' }, qlikUser: 'UserDirectory=INTERNAL; UserId=sa_api' }
    expect(authUser(certificate)).toBe('INTERNAL\\sa_api')
    expect(authUser({ type: 'ntlm', credentials: { domain: 'CORP', user: 'svc_reload', password: 'x' } })).toBe('CORP\\svc_reload')
    // A UPN's user directory is the server's to say.
    expect(authUser({ type: 'ntlm', credentials: { domain: '', user: 'svc_reload@corp.example', password: 'x' } })).toBe('\\svc_reload')
    expect(authUser({ type: 'header', name: 'X-Qlik-HeaderAuth', value: 'svc_reload' })).toBe('\\svc_reload')
    expect(authUser({ type: 'header', name: 'X-Qlik-HeaderAuth', value: 'CORP\\svc_reload' })).toBe('CORP\\svc_reload')
    const mint = {
      kind: 'mint' as const,
      privateKey: '',
      algorithm: 'RS256' as const,
      userId: 'svc',
      userDirectory: 'CORP',
      userIdClaim: 'userId',
      userDirectoryClaim: 'userDirectory',
      lifetimeSeconds: 300
    }
    expect(authUser({ type: 'jwt', source: mint })).toBe('CORP\\svc')
    expect(authUser({ type: 'jwt', source: { kind: 'static', token: 't', user: '' } })).toBe('')
  })

  it('a session is ours when it runs as our user: names case-insensitively, a directory not known on either side not compared', () => {
    expect(runsAs('INTERNAL\\sa_api', 'INTERNAL\\sa_api')).toBe(true)
    expect(runsAs('internal\\SA_API', 'INTERNAL\\sa_api')).toBe(true)
    expect(runsAs('INTERNAL\\sa_scheduler', 'INTERNAL\\sa_api')).toBe(false)
    expect(runsAs('OTHER\\sa_api', 'INTERNAL\\sa_api')).toBe(false)
    expect(runsAs('CORP\\svc', '\\svc')).toBe(true)
    expect(runsAs('svc', 'CORP\\svc')).toBe(true)
    // A session that names no user is nobody's we know; our user not known: any.
    expect(runsAs(null, 'INTERNAL\\sa_api')).toBe(false)
    expect(runsAs('', 'INTERNAL\\sa_api')).toBe(false)
    expect(runsAs('INTERNAL\\anyone', '')).toBe(true)
  })
})

/** Sessions listed by task and by app, as `list` says on each call. */
function site(list: (call: number) => ExecutionSession[] | Error | 'not known') {
  let call = 0
  const calls: string[] = []
  const sessions = async (): Promise<ExecutionSession[]> => {
    const answer = list(call++)
    if (answer instanceof Error) throw answer
    return answer === 'not known' ? [] : answer
  }
  const api = {
    taskExecutionSessions: async (task: { id: string; taskType?: number }) => {
      calls.push(`task ${task.id} ${task.taskType}`)
      const answer = list(call)
      if (answer === 'not known') return (call++, { notKnown: 'GET /qrs/executionsession/full answered 404' })
      return sessions()
    },
    appExecutionSessions: async (appId: string) => (calls.push(`app ${appId}`), sessions())
  }
  return { api: api as unknown as QrsApi, calls }
}

describe('startedSince: what a start started', () => {
  it('the sessions of the task not running before, run by our user', async () => {
    const { api, calls } = site(() => [
      { id: OURS, user: 'INTERNAL\\sa_api' },
      { id: BEFORE, user: 'INTERNAL\\sa_api' },
      { id: THEIRS, user: 'INTERNAL\\sa_scheduler' }
    ])
    expect(await startedSince(api, RECORD)).toEqual([{ executionId: OURS, taskId: TASK }])
    await startedSince(api, { ...RECORD, external: true })
    expect(calls).toEqual([`task ${TASK} 0`, `task ${TASK} 1`])
  })

  it('an app reload: the app’s sessions, each with the task it runs; none when the server does not list them; ids that are not GUIDs are nobody’s', async () => {
    const { api, calls } = site(() => [
      { id: OURS, user: 'INTERNAL\\sa_api', reloadTask: { id: TASK } },
      { id: THEIRS, user: 'INTERNAL\\sa_api' },
      { id: BEFORE.replace('e2', 'e4'), user: 'INTERNAL\\sa_api', reloadTask: { id: '../../app/x/reload' } },
      { id: '../../task/x', user: 'INTERNAL\\sa_api', reloadTask: { id: TASK } }
    ])
    expect(await startedSince(api, { ...RECORD, taskId: undefined, appId: APP })).toEqual([{ executionId: OURS, taskId: TASK }])
    expect(calls).toEqual([`app ${APP}`])
    expect(await startedSince(site(() => 'not known').api, RECORD)).toEqual([])
  })

  it('lookForStarted: looks again until one shows or the time is up; the server busy a moment is looked past', async () => {
    const clock = fakeClock()
    const busy = new QrsError('GET', '/qrs/executionsession/full', 503, '')
    const later = site(call => (call === 0 ? busy : call < 3 ? [] : [{ id: OURS, user: 'INTERNAL\\sa_api' }]))
    expect(await lookForStarted(later.api, RECORD, { clock, lookMs: 10_000 })).toEqual([{ executionId: OURS, taskId: TASK }])
    expect(clock.sleeps).toEqual([500, 500, 500])
    expect(await lookForStarted(site(() => []).api, RECORD, { clock: fakeClock(), lookMs: 2_000 })).toEqual([])
    await expect(lookForStarted(site(() => new QrsError('GET', '/x', 403, 'Forbidden')).api, RECORD, { clock, lookMs: 2_000 })).rejects.toThrow('answered 403')
  })
})

describe('settleStart: a start in flight, after a cancellation or a kill', () => {
  /** A site whose task runs `running` (sessions), and whose stop aborts them. */
  function stoppable(running: ExecutionSession[] | Error, stop: () => Promise<void> = async () => undefined) {
    let sessions = running
    const stops: string[] = []
    const api = {
      taskExecutionSessions: async () => {
        if (sessions instanceof Error) throw sessions
        return sessions
      },
      executionSession: async (id: string) => (Array.isArray(sessions) && sessions.some(s => s.id === id) ? { id, executionResult: { status: 2 } } : undefined),
      executionResults: async (id: string) => [{ id: `r-${id}`, executionID: id, status: Array.isArray(sessions) && sessions.length > 0 ? 2 : 6 }],
      stopTask: async (taskId: string) => {
        stops.push(taskId)
        await stop()
        sessions = []
      },
      // The stop's own limits: the same calls.
      with: () => api
    }
    return { api: api as unknown as QrsApi, stops }
  }
  const story = { why: 'The job was cancelled', lookMs: 1_000, waitMs: 2_000, afterward: 'The post step looks again.', clock: fakeClock(), log: new FakeToolkit() }

  it('the one it started: stopped after reading that it runs, said with its id and its status', async () => {
    const { api, stops } = stoppable([{ id: OURS, user: 'INTERNAL\\sa_api' }])
    expect(await settleStart(api, RECORD, story)).toEqual({
      kind: 'stopped',
      executionId: OURS,
      message: `The job was cancelled during the start of task 'Reload Sales' (sent at 2026-03-01T10:00:00.000Z): stopped task 'Reload Sales' (execution ${OURS}), now Aborted (6).`
    })
    expect(stops).toEqual([TASK])
  })

  it('an app reload names the app and the task that ran it', async () => {
    const { api } = stoppable([{ id: OURS, user: 'INTERNAL\\sa_api', reloadTask: { id: TASK } }])
    ;(api as unknown as { appExecutionSessions: QrsApi['taskExecutionSessions'] }).appExecutionSessions = api.taskExecutionSessions
    const settled = await settleStart(api, { ...RECORD, taskId: undefined, appId: APP, name: 'Budget' }, story)
    expect(settled.message).toBe(
      `The job was cancelled during the start of app 'Budget' (sent at 2026-03-01T10:00:00.000Z): stopped the reload task ${TASK} of app 'Budget' (execution ${OURS}), now Aborted (6).`
    )
  })

  it('nothing of ours yet, several of ours, a look or a stop that fails: said, nothing stopped that is not told apart', async () => {
    const nothing = stoppable([{ id: THEIRS, user: 'INTERNAL\\sa_scheduler' }])
    expect(await settleStart(nothing.api, RECORD, story)).toEqual({
      kind: 'none',
      message:
        "The job was cancelled during the start of task 'Reload Sales' (sent at 2026-03-01T10:00:00.000Z); no running execution of it by INTERNAL\\sa_api had appeared 1s later. The post step looks again."
    })
    expect(nothing.stops).toEqual([])
    const several = stoppable([
      { id: OURS, user: 'INTERNAL\\sa_api' },
      { id: THEIRS, user: 'INTERNAL\\sa_api' }
    ])
    expect(await settleStart(several.api, RECORD, story)).toEqual({
      kind: 'several',
      message: `The job was cancelled during the start of task 'Reload Sales' (sent at 2026-03-01T10:00:00.000Z); 2 executions of it by INTERNAL\\sa_api started since (${OURS}, ${THEIRS}) and the server does not tell which one this start made: none is stopped. Stop the right one in the QMC.`
    })
    expect(several.stops).toEqual([])
    const refused = stoppable(new QrsError('GET', '/qrs/executionsession/full', 403, 'Forbidden'))
    expect((await settleStart(refused.api, RECORD, story)).message).toMatch(
      /^The job was cancelled during the start of task 'Reload Sales' \(sent at .*\), and looking for what it started failed: GET \/qrs\/executionsession\/full answered 403: Forbidden\. The post step looks again\.$/
    )
    const broken = stoppable([{ id: OURS, user: 'INTERNAL\\sa_api' }], () => Promise.reject(new QrsError('POST', `/qrs/task/${TASK}/stop`, 403, 'Forbidden')))
    expect(await settleStart(broken.api, RECORD, story)).toMatchObject({
      kind: 'failed',
      message: expect.stringMatching(/stopping task 'Reload Sales' .* failed: .*403.*The post step looks again\.$/)
    })
  })
})
