import { describe, expect, it } from '@jest/globals'
import type { QrsApi } from '../../src/qrs/api.js'
import type { App, ReloadTask } from '../../src/qrs/types.js'
import { findApp } from '../../src/targets/find-app.js'
import { selectTargets } from '../../src/targets/select.js'
import { QrsError } from '../../src/util/errors.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { testSettings } from '../helpers/settings.js'

const id = (n: number): string => `a1000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const task = (n: number, name: string, extra: Partial<ReloadTask> = {}): ReloadTask => ({ id: id(n), name, ...extra })

/** A site whose lists answer by filter; unknown filters answer an empty list. */
function site(answers: { tasks?: ReloadTask[]; programs?: ReloadTask[]; apps?: App[]; tags?: string[]; properties?: string[] } = {}) {
  const filters: string[] = []
  const byTerm = (list: ReloadTask[], filter: string): ReloadTask[] => {
    const name = /^name eq '(.*)'$/.exec(filter)?.[1]
    const guid = /^id eq (\S+)$/.exec(filter)?.[1]
    // The QRS compares names case-insensitively; the selector filters are answered loosely (the action re-checks).
    if (name !== undefined) return list.filter(t => t.name.toLowerCase() === name.replace(/\\'/g, "'").toLowerCase())
    if (guid !== undefined) return list.filter(t => t.id === guid)
    return list.filter(t => t.tags?.length || t.customProperties?.length)
  }
  // The named targets are looked up together: `id eq a or name eq 'b' ...`.
  const byFilter = (list: ReloadTask[], filter: string): ReloadTask[] => {
    filters.push(filter)
    return [...new Set(filter.split(/ or (?=(?:id|name) eq )/).flatMap(term => byTerm(list, term)))]
  }
  const api = {
    reloadTasks: async (filter: string) => byFilter(answers.tasks ?? [], filter),
    externalProgramTasks: async (filter: string) => byFilter(answers.programs ?? [], filter),
    app: async (appId: string) => answers.apps?.find(a => a.id === appId),
    apps: async (filter: string) => (answers.apps ?? []).filter(a => filter.toLowerCase().includes(`'${a.name.toLowerCase()}'`)),
    tags: async (filter: string) => (answers.tags ?? []).filter(t => filter.includes(`'${t}'`)).map(name => ({ id: name, name })),
    customPropertyDefinitions: async (filter: string) => (answers.properties ?? []).filter(p => filter.includes(`'${p}'`)).map(name => ({ id: name, name }))
  } as unknown as QrsApi
  return { api, filters }
}

describe('selectTargets: every target resolved before anything starts', () => {
  it('resolves named targets in the order given, then selectors by name; each task once', async () => {
    const tasks = [
      task(1, 'Reload Sales'),
      task(2, 'Nightly B', { tags: [{ name: 'Nightly' }] }),
      task(3, 'nightly a', { tags: [{ name: 'NIGHTLY' }] }),
      // The server matched it on another property's value: the action checks each pair itself.
      task(4, 'Wrong pair', { customProperties: [{ value: 'Finance', definition: { name: 'Other' } }] })
    ]
    const programs = [task(5, 'Export', { tags: [{ name: 'nightly' }] })]
    const apps: App[] = [{ id: id(9), name: 'Forecast', published: true, stream: { id: 's', name: 'Finance' } }]
    const { api } = site({ tasks, programs, apps })
    const log = new FakeToolkit()
    // The same task by id and by name is one target.
    const settings = testSettings({}, { 'task-id': id(1), 'task-name': 'Reload Sales', 'app-id': id(9), 'task-tag': 'Nightly' })
    const selection = await selectTargets(api, settings, log)
    expect(selection.failure).toBeUndefined()
    expect(selection.runs.map(r => [r.label, r.target, r.resolved?.from])).toEqual([
      ['Reload Sales', { kind: 'task-id', taskId: id(1) }, 'task-id'],
      ["app 'Forecast'", { kind: 'app-id', appId: id(9) }, 'app-id'],
      ['Export', { kind: 'task-id', taskId: id(5) }, "task-tag 'Nightly'"],
      ['nightly a', { kind: 'task-id', taskId: id(3) }, "task-tag 'Nightly'"],
      ['Nightly B', { kind: 'task-id', taskId: id(2) }, "task-tag 'Nightly'"]
    ])
    expect(selection.runs[1].resolved).toMatchObject({ appName: 'Forecast', stream: 'Finance' })
    expect(log.log).toEqual([
      `Reload Sales (${id(1)}): selected by task-id`,
      "app 'Forecast': selected by app-id",
      `Export (${id(5)}): selected by task-tag 'Nightly'`,
      `nightly a (${id(3)}): selected by task-tag 'Nightly'`,
      `Nightly B (${id(2)}): selected by task-tag 'Nightly'`
    ])
  })

  it('a lookup that fails and a selector that matches nothing fail the selection, each said', async () => {
    const { api } = site({ tasks: [task(4, 'Wrong pair', { customProperties: [{ value: 'Finance', definition: { name: 'Other' } }] })], tags: ['Empty'], properties: ['Group'] })
    const settings = testSettings({
      targets: [{ kind: 'task-name', taskName: 'Missing' }],
      selectors: [
        { kind: 'task-tag', tag: 'Empty' },
        { kind: 'task-tag', tag: 'Typo' },
        { kind: 'task-custom-property', name: 'Group', value: 'Finance' },
        { kind: 'task-custom-property', name: 'Grup', value: 'Finance' }
      ]
    })
    const log = new FakeToolkit()
    const selection = await selectTargets(api, settings, log)
    expect(selection.failure?.split('\n')).toEqual([
      "No task named 'Missing' is visible to this user: check the name (QMC > Tasks) and the user's read rights on tasks.",
      "No task has the tag 'Empty' (the tag exists, but no reload or external program task this user can see carries it).",
      "No task has the tag 'Typo' (no tag of that name exists: check the spelling (QMC > Tags)).",
      "No task has the custom property 'Group' = 'Finance' (no reload or external program task this user can see has 'Group' set to 'Finance').",
      "No task has the custom property 'Grup' = 'Finance' (no custom property of that name exists: check the spelling (QMC > Custom properties))."
    ])
    expect(selection.runs).toEqual([expect.objectContaining({ label: 'Missing', error: expect.stringMatching(/^No task named 'Missing'/) })])
    expect(log.log).toEqual(["Missing: No task named 'Missing' is visible to this user: check the name (QMC > Tasks) and the user's read rights on tasks."])
  })

  it('more targets than max-targets: nothing starts, the counts say where they came from', async () => {
    const tasks = [1, 2, 3].map(n => task(n, `Tagged ${n}`, { tags: [{ name: 'All' }] }))
    const { api } = site({ tasks })
    const settings = testSettings({ targets: [{ kind: 'task-id', taskId: id(1) }], selectors: [{ kind: 'task-tag', tag: 'All' }], maxTargets: 2 })
    const selection = await selectTargets(api, settings, new FakeToolkit())
    expect(selection.runs).toHaveLength(3)
    expect(selection.failure).toBe(
      "The selection has 3 targets, more than max-targets (2): 1 named (task-id), task-tag 'All' matched 3. Nothing was started: check the tags and custom properties, or raise max-targets."
    )
  })

  it('server trouble is the step’s, not a target’s', async () => {
    const api = {
      reloadTasks: async () => {
        throw new QrsError('GET', '/qrs/reloadtask/full', 503, 'busy')
      }
    } as unknown as QrsApi
    await expect(selectTargets(api, testSettings(), new FakeToolkit())).rejects.toThrow(/answered 503/)
  })

  it('an app id nobody can see, and an app name resolved with its stream', async () => {
    const apps: App[] = [{ id: id(9), name: 'Forecast', published: false }]
    const { api } = site({ apps })
    const selection = await selectTargets(
      api,
      testSettings({
        targets: [
          { kind: 'app-id', appId: id(8) },
          { kind: 'app-name', appName: 'Forecast' }
        ]
      }),
      new FakeToolkit()
    )
    expect(selection.failure).toBe(`No app with id ${id(8)} is visible to this user: check the id (QMC > Apps) and the user's read rights.`)
    expect(selection.runs.map(r => [r.label, r.resolved?.stream])).toEqual([
      [`app ${id(8)}`, undefined],
      ["app 'Forecast'", null]
    ])
  })
})

describe('findApp: one app by name, never guessed', () => {
  const apps: App[] = [
    { id: id(1), name: 'Sales', published: true, stream: { id: 's1', name: 'Finance' }, owner: { userId: 'sa', userDirectory: 'INTERNAL' } },
    { id: id(2), name: 'Sales', published: true, stream: { id: 's2', name: 'Everyone' } },
    { id: id(3), name: 'SALES', published: false },
    { id: id(4), name: 'Budget', published: false }
  ]
  const { api } = site({ apps })

  it('the exact spelling wins over other cases; the stream picks among the same name', async () => {
    expect((await findApp(api, 'SALES')).id).toBe(id(3))
    expect((await findApp(api, 'Sales', 'finance')).id).toBe(id(1))
    expect((await findApp(api, 'budget')).id).toBe(id(4))
  })

  it('refuses none, none in the stream, and several, listing each match', async () => {
    await expect(findApp(api, 'Nope')).rejects.toThrow("No app named 'Nope' is visible to this user: check the name (QMC > Apps) and the user's read rights.")
    await expect(findApp(api, 'Budget', 'Finance')).rejects.toThrow(
      `No app named 'Budget' is published to the stream 'Finance'. The name matches ${id(4)} (not published (a work area), owner owner not known). Check stream, or use app-id.`
    )
    await expect(findApp(api, 'Sales')).rejects.toThrow(
      `The app name 'Sales' matches 2 apps: ${id(1)} (stream 'Finance', owner INTERNAL\\sa); ${id(2)} (stream 'Everyone', owner owner not known). Set stream to pick the published one, or use app-id.`
    )
  })
})
