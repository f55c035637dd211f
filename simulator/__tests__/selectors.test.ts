import { describe, test, expect, beforeAll, afterAll } from '@jest/globals'
import type { Scenario, Simulator } from '../src/index.js'
import { loadQrsSpec } from './qrs-spec.js'
import { noteSkipped } from './skipped.js'
import { call, start, testCerts, testScenario } from './helpers.js'

const { spec, reason } = loadQrsSpec()
if (!spec) noteSkipped('simulator/__tests__/selectors.test.ts (the answers against the QRS definition)', reason ?? '')

const certs = testCerts('selectors')
const q = (filter: string) => encodeURIComponent(filter)
const T = (n: number) => `c1000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const streams = { finance: 'd1000000-0000-4000-8000-000000000001', sales: 'd1000000-0000-4000-8000-000000000002' }
const apps = { finance: 'd2000000-0000-4000-8000-000000000001', sales: 'd2000000-0000-4000-8000-000000000002', draft: 'd2000000-0000-4000-8000-000000000003' }

function scenario(): Scenario {
  const s = testScenario()
  s.streams = [
    { id: streams.finance, name: 'Finance' },
    { id: streams.sales, name: 'Sales' }
  ]
  s.apps = [
    ...(s.apps ?? []),
    { id: apps.finance, name: 'Budget', streamId: streams.finance },
    { id: apps.sales, name: 'Budget', streamId: streams.sales },
    { id: apps.draft, name: 'Budget', owner: { userDirectory: 'CORP', userId: 'jdoe', name: 'Jane Doe' } }
  ]
  s.customPropertyDefinitions = [
    { id: 'd3000000-0000-4000-8000-000000000001', name: 'ReloadGroup' },
    { id: 'd3000000-0000-4000-8000-000000000002', name: 'CostCenter' }
  ]
  s.tasks = [
    ...(s.tasks ?? []),
    { id: T(1), name: 'Nightly one', appId: apps.finance, tags: ['Nightly Finance'], customProperties: [{ name: 'ReloadGroup', value: 'Finance' }] },
    // The decoy: the value 'Finance' under another property, and ReloadGroup with another value.
    {
      id: T(2),
      name: 'Decoy',
      appId: apps.finance,
      tags: ['Weekly'],
      customProperties: [
        { name: 'CostCenter', value: 'Finance' },
        { name: 'ReloadGroup', value: 'Sales' }
      ]
    },
    { id: T(3), name: 'Not startable', appId: apps.finance, privileges: ['read'] }
  ]
  s.tags = ['Unused']
  return s
}

let sim: Simulator
beforeAll(async () => {
  sim = await start(certs, { scenario: scenario() })
})
afterAll(async () => sim?.close())

const names = (list: { name: string }[]) => list.map((t) => t.name).sort()

describe('tags, custom properties, streams and privileges', () => {
  test('tags: /qrs/tag lists them (also unused ones); full tasks carry TagCondensed; tags.name eq filters, case-insensitively', async () => {
    const tags = (await call(sim, 'GET', '/qrs/tag/full')).json<{ name: string; schemaPath: string }[]>()
    expect(names(tags)).toEqual(['Nightly Finance', 'Unused', 'Weekly'])
    expect(tags[0].schemaPath).toBe('Tag')
    expect(names((await call(sim, 'GET', '/qrs/tag')).json())).toEqual(['Nightly Finance', 'Unused', 'Weekly'])
    const tasks = (await call(sim, 'GET', `/qrs/reloadtask/full?filter=${q("tags.name eq 'nightly finance'")}`)).json<
      { name: string; tags: { id: string; name: string; privileges: null }[] }[]
    >()
    expect(names(tasks)).toEqual(['Nightly one'])
    expect(tasks[0].tags).toEqual([{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Nightly Finance', privileges: null }])
  })

  test('custom properties: definitions listed; values carry their definition; two conditions on the collection may match different elements', async () => {
    const definitions = (await call(sim, 'GET', '/qrs/custompropertydefinition/full')).json<{ name: string; objectTypes: string[] }[]>()
    expect(names(definitions)).toEqual(['CostCenter', 'ReloadGroup'])
    expect(definitions[0].objectTypes).toContain('ReloadTask')
    const filter = "customProperties.definition.name eq 'ReloadGroup' and customProperties.value eq 'Finance'"
    const tasks = (await call(sim, 'GET', `/qrs/reloadtask/full?filter=${q(filter)}`)).json<
      { name: string; customProperties: { value: string; definition: { name: string } }[] }[]
    >()
    // The decoy matches too: its ReloadGroup is 'Sales', its 'Finance' is a CostCenter. A client must check the pairs.
    expect(names(tasks)).toEqual(['Decoy', 'Nightly one'])
    const decoy = tasks.find((t) => t.name === 'Decoy')!
    expect(decoy.customProperties.map((cp) => [cp.definition.name, cp.value])).toEqual([
      ['CostCenter', 'Finance'],
      ['ReloadGroup', 'Sales']
    ])
  })

  test('apps: one name in two streams and a work area; stream and owner as the QRS gives them; filter on stream.name', async () => {
    const all = (await call(sim, 'GET', `/qrs/app/full?filter=${q("name eq 'budget'")}`)).json<
      { id: string; published: boolean; stream: { name: string } | null; owner: { userId: string; userDirectory: string } }[]
    >()
    expect(all.map((a) => [a.id, a.published, a.stream?.name ?? null, `${a.owner.userDirectory}\\${a.owner.userId}`])).toEqual([
      [apps.finance, true, 'Finance', 'INTERNAL\\sa_repository'],
      [apps.sales, true, 'Sales', 'INTERNAL\\sa_repository'],
      [apps.draft, false, null, 'CORP\\jdoe']
    ])
    const inSales = (await call(sim, 'GET', `/qrs/app?filter=${q("name eq 'Budget' and stream.name eq 'Sales'")}`)).json<{ id: string }[]>()
    expect(inSales.map((a) => a.id)).toEqual([apps.sales])
  })

  test('?privileges=true fills privileges (update = may start); without it they stay null; the start of a task without update is refused', async () => {
    const plain = (await call(sim, 'GET', `/qrs/reloadtask/full?filter=${q(`id eq ${T(3)}`)}`)).json<{ privileges: unknown }[]>()
    expect(plain[0].privileges).toBeNull()
    const withRights = (await call(sim, 'GET', `/qrs/reloadtask/full?filter=${q(`id eq ${T(1)} or id eq ${T(3)}`)}&privileges=true`)).json<
      { name: string; privileges: string[] }[]
    >()
    expect(withRights.map((t) => [t.name, t.privileges.includes('update')])).toEqual([
      ['Nightly one', true],
      ['Not startable', false]
    ])
    expect((await call(sim, 'GET', `/qrs/app/${apps.draft}?privileges=true`)).json<{ privileges: string[] }>().privileges).toContain('update')
    expect((await call(sim, 'POST', `/qrs/task/${T(3)}/start/synchronous`)).status).toBe(403)
    expect(sim.startCount(T(3))).toBe(0)
  })

  test("switch privileges: 'omitted': a server that does not tell leaves them null", async () => {
    const omitting = await start(certs, { scenario: { ...scenario(), switches: { privileges: 'omitted' } } })
    try {
      const tasks = (await call(omitting, 'GET', `/qrs/reloadtask/full?filter=${q(`id eq ${T(1)}`)}&privileges=true`)).json<{ privileges: unknown }[]>()
      expect(tasks[0].privileges).toBeNull()
    } finally {
      await omitting.close()
    }
  })

  ;(spec ? test : test.skip)("the answers fit Qlik's QRS definition (tags, custom property values and definitions, streams, owners, privileges)", async () => {
    const paths = [
      '/qrs/tag',
      '/qrs/tag/full',
      '/qrs/custompropertydefinition',
      '/qrs/custompropertydefinition/full',
      `/qrs/reloadtask/full?privileges=true`,
      `/qrs/app/full?privileges=true`,
      `/qrs/app/${apps.draft}?privileges=true`
    ]
    for (const path of paths) {
      const answer = await call(sim, 'GET', path)
      expect([path, spec!.checkAnswer('GET', path.split('?')[0], answer.status, answer.json())]).toEqual([path, []])
    }
  })

  test('a scenario that refers to an unknown stream or custom property is refused', async () => {
    const unknownStream = scenario()
    unknownStream.apps![0].streamId = 'd1000000-0000-4000-8000-0000000000ff'
    await expect(start(certs, { scenario: unknownStream })).rejects.toThrow(/unknown stream/)
    const s = scenario()
    s.tasks = [{ id: T(9), name: 'Bad', appId: apps.finance, customProperties: [{ name: 'Nope', value: 'x' }] }]
    await expect(start(certs, { scenario: s })).rejects.toThrow(/custom property "Nope" has no definition/)
  })
})
