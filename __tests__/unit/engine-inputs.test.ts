import { describe, expect, it } from '@jest/globals'
import { parseExpectRows } from '../../src/inputs/expect-rows.js'
import { readEngineSettings } from '../../src/settings/engine.js'
import { getSettings } from '../../src/settings/settings.js'

const header = { url: 'https://qlik.corp.example/hdr', 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_reload' }
const read = (inputs: Record<string, string>) => getSettings(name => ({ ...header, ...inputs })[name] ?? '')
const APP = 'b2000000-0000-4000-8000-000000000002'

describe('expect-rows', () => {
  it('one check per line: table, operator, count; * is every table; quoted names may hold operators', () => {
    const checks = parseExpectRows('Orders >= 1\n\n  Order Lines>0 \r\n* = 5\n[a>b] < 3\n"*" <= 9')
    expect(checks.map(({ table, every, op, count }) => [table, every, op, count])).toEqual([
      ['Orders', false, '>=', 1],
      ['Order Lines', false, '>', 0],
      ['*', true, '=', 5],
      ['a>b', false, '<', 3],
      ['*', false, '<=', 9]
    ])
    expect(checks[1].line).toBe('Order Lines>0')
    expect(parseExpectRows('')).toEqual([])
  })

  it.each([
    ['Orders', /'Orders' is not '<table> <op> <count>'/],
    ['Orders >= many', /is not '<table> <op> <count>'/],
    ['>= 1', /is not/],
    ['Orders >= -1', /is not/],
    ['Orders >= 99999999999999999999', /too large a count/],
    ['Orders >= 1\nOrders>=1', /lists 'Orders>=1' twice/]
  ])('%j is refused, naming the input', (value, message) => {
    expect(() => parseExpectRows(value)).toThrow(message)
    expect(() => parseExpectRows(value)).toThrow(/^Input 'expect-rows': /)
  })
})

describe('the engine inputs read into Settings', () => {
  it('defaults: task mode, no partial, no checks; the engine at url for proxy auth types', () => {
    const settings = read({ 'app-id': APP })
    expect(settings).toMatchObject({ reloadMode: 'task', partial: false, expectRows: [] })
    expect(settings.engineUrl.href).toBe('wss://qlik.corp.example/hdr')
  })

  it('certificate auth: the engine on the host of url, port 4747', () => {
    const context = {
      url: new URL('https://qliksrv01.corp.example:4242'),
      certificateAuth: true,
      targets: [],
      selectors: [],
      wait: true,
      waitForChain: false,
      ifRunning: 'wait',
      stopOnTimeout: true,
      stopOnCancel: true
    }
    const get = (name: string): string => ({ 'reload-mode': 'engine', partial: 'false' })[name] ?? ''
    expect(readEngineSettings(get, context).engineUrl.href).toBe('wss://qliksrv01.corp.example:4747/')
  })

  it('engine-url: https:// read as wss://, a prefix kept, a trailing slash dropped', () => {
    expect(read({ 'app-id': APP, 'reload-mode': 'engine', 'engine-url': 'https://qlik.corp.example/jwt/' }).engineUrl.href).toBe('wss://qlik.corp.example/jwt')
    expect(read({ 'app-id': APP, 'reload-mode': 'engine', 'engine-url': 'wss://10.0.0.5:4747' }).engineUrl.href).toBe('wss://10.0.0.5:4747/')
    expect(read({ 'app-id': APP, 'expect-rows': '* > 0', 'engine-url': 'wss://node2:4747' }).engineUrl.host).toBe('node2:4747')
  })

  it.each([
    [{ 'reload-mode': 'engine', 'task-id': 'a1000000-0000-4000-8000-000000000001' }, "Input 'task-id': names tasks, but reload-mode: engine reloads apps"],
    [{ 'reload-mode': 'engine', 'app-id': APP, 'task-tag': 'Nightly' }, "Input 'task-tag': names tasks"],
    [{ 'reload-mode': 'engine', 'app-id': APP, wait: 'false' }, "Input 'wait': must be true with reload-mode: engine"],
    [{ 'reload-mode': 'engine', 'app-id': APP, 'wait-for-chain': 'true' }, "Input 'wait-for-chain': does not apply"],
    [{ 'reload-mode': 'engine', 'app-id': APP, 'if-running': 'attach' }, "Input 'if-running': 'attach' does not apply"],
    [{ 'reload-mode': 'engine', 'app-id': APP, 'stop-on-timeout': 'false' }, "Input 'stop-on-timeout': must be true with reload-mode: engine"],
    [{ 'reload-mode': 'engine', 'app-id': APP, 'stop-on-cancel': 'false' }, "Input 'stop-on-cancel': must be true with reload-mode: engine"],
    [{ 'app-id': APP, partial: 'true' }, "Input 'partial': needs reload-mode: engine"],
    [{ 'app-id': APP, partial: 'maybe' }, "Input 'partial': 'maybe' is not a boolean"],
    [{ 'app-id': APP, 'engine-url': 'wss://node2:4747' }, "Input 'engine-url': only applies with reload-mode: engine or expect-rows"],
    [{ 'app-id': APP, 'expect-rows': '* > 0', wait: 'false' }, "Input 'expect-rows': needs wait: true"],
    [{ 'app-id': APP, 'reload-mode': 'engine', 'engine-url': 'not a url' }, "Input 'engine-url': 'not a url' is not a URL"],
    [{ 'app-id': APP, 'reload-mode': 'engine', 'engine-url': 'wss://user:pw@node2' }, "Input 'engine-url': must not contain credentials"],
    [{ 'app-id': APP, 'reload-mode': 'engine', 'engine-url': 'wss://node2/?x=1' }, "Input 'engine-url': must not contain a query"],
    [{ 'app-id': APP, 'reload-mode': 'engine', 'engine-url': `wss://node2:4747/app/${APP}` }, "Input 'engine-url': must end before /app (e.g. wss://node2:4747)"],
    [{ 'app-id': APP, 'reload-mode': 'engine', 'engine-url': 'http://node2' }, "Input 'engine-url': must start with wss:// or https:// (got http://)"]
  ])('%j', (inputs, message) => {
    expect(() => read(inputs)).toThrow(message)
  })

  it('never echoes credentials of a URL that does not parse', () => {
    expect(() => read({ 'app-id': APP, 'reload-mode': 'engine', 'engine-url': 'wss://svc:Secret-1@[bad' })).toThrow("'wss://***@[bad' is not a URL")
  })
})
