/**
 * The simulated engine against Qlik's published QIX definition (enigma.js's newest 12.x schema, read
 * from the installed package): every method served exists in its class with these parameter names in
 * this order, struct members the simulator reads are members of the schema's default value, results
 * are the schema's out parameters, and every error code sent is a LocalizedErrorCode (or JSON-RPC's own).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { engineErrorCodes as errorCodes, engineMethods, newReloadParams, type Simulator } from '../src/index.js'
import { appId, start, testCerts } from './helpers.js'
import { engineScenario, openApp, type RawClient } from './engine-helpers.js'
import { schema, schemaOf, schemaVersion } from './engine-schema.js'

const certs = testCerts('engine')
let sim: Simulator

beforeAll(async () => {
  sim = await start(certs, { scenario: engineScenario() })
})
afterAll(() => sim.close())

describe(`the methods served, against enigma.js schema ${schemaVersion}`, () => {
  it('is the newest 12.x schema of the package', () => {
    expect(schemaVersion).toMatch(/^12\.\d+\.\d+$/)
    expect(Number(schemaVersion.split('.')[1])).toBeGreaterThanOrEqual(2027)
  })

  it.each(engineMethods.map((m) => [`${m.cls}.${m.method}`, m] as const))('%s: parameters and results as the schema names them', (_name, m) => {
    const def = schema.structs[m.cls]?.[m.method]
    expect(def).toBeDefined()
    expect(m.params).toEqual(def.In.map((p) => p.Name))
    expect(m.results).toEqual(def.Out.map((o) => o.Name))
    for (const [param, members] of Object.entries(m.structs ?? {})) {
      const defaults = def.In.find((p) => p.Name === param)?.DefaultValue as Record<string, unknown>
      expect(Object.keys(defaults)).toEqual(expect.arrayContaining(members))
    }
  })

  it('the DoReloadEx members an older engine lacks are those added after schema 12.1657.0', () => {
    const members = (version: string) => Object.keys(schemaOf(version).structs.Doc.DoReloadEx.In[0].DefaultValue as object)
    const added = members(schemaVersion).filter((k) => !members('12.1657.0').includes(k))
    expect(added).toEqual(newReloadParams)
    expect(members('12.1823.0')).toEqual(expect.arrayContaining(newReloadParams))
  })

  it('every error code is a LocalizedErrorCode, or one of JSON-RPC own codes', () => {
    const localized = Object.values(schema.enums.LocalizedErrorCode)
    for (const code of Object.values(errorCodes)) {
      if (code > -32000) expect(localized).toContain(code)
      else expect([-32700, -32600, -32601, -32602]).toContain(code)
    }
    expect(schema.enums.LocalizedErrorCode.LOCERR_GENERIC_NOT_FOUND).toBe(errorCodes.notFound)
    expect(schema.enums.LocalizedErrorCode.LOCERR_GENERIC_ACCESS_DENIED).toBe(errorCodes.accessDenied)
    expect(schema.enums.LocalizedErrorCode.LOCERR_APP_ALREADY_OPEN).toBe(errorCodes.appAlreadyOpen)
    expect(schema.enums.LocalizedErrorCode.LOCERR_APP_NOT_FOUND).toBe(errorCodes.appNotFound)
    expect(schema.enums.LocalizedErrorCode.LOCERR_APP_ALREADY_OPEN_IN_DIFFERENT_MODE).toBe(errorCodes.appOpenInDifferentMode)
  })

  it('the OnConnected state is one of the schema SessionState values', async () => {
    const { client } = await openApp(sim)
    expect(Object.keys(schema.enums.SessionState)).toContain(client.notifications[0].params.qSessionState)
    await client.close()
  })
})

describe('answers on the wire carry only the schema out parameters', () => {
  let client: RawClient
  let doc: number
  beforeAll(async () => ({ client, doc } = await openApp(sim)))
  afterAll(() => client.close())

  /** Every method of the table, called by position with the schema's default values (params by name: the same through enigma.js). */
  it.each(engineMethods.filter((m) => m.method !== 'OpenDoc').map((m) => [`${m.cls}.${m.method}`, m] as const))('%s', async (_name, m) => {
    const def = schema.structs[m.cls][m.method]
    const params = def.In.filter((p) => !p.Optional).map((p) => p.DefaultValue)
    const answer = await client.call(m.method, m.cls === 'Global' ? -1 : doc, params)
    expect(answer.error).toBeUndefined()
    expect(Object.keys(answer.result)).toEqual(def.Out.map((o) => o.Name))
    const byName = await client.call(m.method, m.cls === 'Global' ? -1 : doc, Object.fromEntries(def.In.filter((p) => !p.Optional).map((p) => [p.Name, p.DefaultValue])))
    expect(byName.error).toBeUndefined()
  })

  it('OpenDoc answers qReturn (what enigma.js reads for every method that has one)', async () => {
    const other = await openApp(sim, appId)
    expect(other.doc).toBe(1)
    await other.client.close()
  })
})
