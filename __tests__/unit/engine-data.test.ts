import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeFailure, runChecks } from '../../src/engine/checks.js'
import { engineError, engineErrorText } from '../../src/engine/errors.js'
import { parseExpectRows } from '../../src/inputs/expect-rows.js'
import { tableLines, tablesHtml } from '../../src/report/tables.js'
import { ProgressFile } from '../../src/scriptlog/progress-file.js'
import { EngineError } from '../../src/util/errors.js'

const tables = [
  { name: 'Orders', rows: 1200 },
  { name: 'Budget', rows: 0 }
]

describe('runChecks: expect-rows against the tables read', () => {
  it('each operator; * gives one outcome per table; a missing table fails; * of no tables fails', () => {
    const outcomes = runChecks(parseExpectRows('Orders >= 1200\nOrders > 1200\nOrders = 1200\nOrders <= 1199\nOrders < 1201\n* > 0\nForecast >= 0'), tables)
    expect(outcomes.map(o => [o.check.line, o.table, o.actual, o.held])).toEqual([
      ['Orders >= 1200', 'Orders', 1200, true],
      ['Orders > 1200', 'Orders', 1200, false],
      ['Orders = 1200', 'Orders', 1200, true],
      ['Orders <= 1199', 'Orders', 1200, false],
      ['Orders < 1201', 'Orders', 1200, true],
      ['* > 0', 'Orders', 1200, true],
      ['* > 0', 'Budget', 0, false],
      ['Forecast >= 0', 'Forecast', undefined, false]
    ])
    const [none] = runChecks(parseExpectRows('* >= 0'), [])
    expect(none).toMatchObject({ table: '*', held: false })
    expect(describeFailure(none, [])).toBe('the app has no tables (* >= 0: expected >= 0 in every table)')
  })

  it('says what failed: the table, the expected and the actual count; a near name is suggested; long lists are cut', () => {
    const [budget] = runChecks(parseExpectRows('Budget >= 1'), tables)
    expect(describeFailure(budget, tables)).toBe("table 'Budget' has 0 rows, expected >= 1")
    const [near] = runChecks(parseExpectRows('orders >= 1'), tables)
    expect(describeFailure(near, tables)).toBe("table 'orders' does not exist (expected >= 1; did you mean 'Orders'? the app has 'Orders', 'Budget')")
    const many = Array.from({ length: 25 }, (_, i) => ({ name: `T${i}`, rows: i }))
    const [missing] = runChecks(parseExpectRows('X >= 1'), many)
    expect(describeFailure(missing, many)).toMatch(/'T19' and 5 more\)$/)
  })
})

describe('the tables in the log and the summary', () => {
  const before = [
    { name: 'Orders', rows: 1000 },
    { name: 'Old', rows: 5 }
  ]
  const after = [
    { name: 'Orders', rows: 1200 },
    { name: 'New <b>', rows: 3 }
  ]

  it('log lines: after, the change from before, the checks', () => {
    const checks = runChecks(parseExpectRows('Orders >= 1\nMissing > 0'), after)
    expect(tableLines({ before, after, checks }, 'Sales')).toEqual([
      "Tables of app 'Sales' after the reload:",
      '  Orders: 1,200 (+200 from 1,000)  [Orders >= 1: held]',
      '  New <b>: 3 (new)',
      '  Old: gone',
      '  Missing: no such table  [Missing > 0: FAILED]'
    ])
    expect(tableLines({ after: [], checks: runChecks(parseExpectRows('* > 0'), []) }, 'Empty')).toEqual([
      "Tables of app 'Empty' after the reload:",
      '  *: no tables  [* > 0: FAILED]'
    ])
    expect(tableLines({ checks: [] }, 'X')).toEqual(["Tables of app 'X': none"])
  })

  it('summary: before → after with the change; names escaped; without a before only the rows', () => {
    const html = tablesHtml({ before, after, checks: runChecks(parseExpectRows('Orders < 1'), after) })
    expect(html).toContain('<th align="left">Rows before</th><th align="left">Rows after</th><th align="left">Change</th>')
    expect(html).toContain('<tr><td>Orders</td><td>1,000</td><td>1,200</td><td>+200</td><td>❌ &lt; 1</td></tr>')
    expect(html).toContain('<tr><td>New &lt;b&gt;</td><td>—</td><td>3</td><td>new</td><td></td></tr>')
    expect(html).toContain('<tr><td>Old</td><td>5</td><td>—</td><td>gone</td><td></td></tr>')
    const same = tablesHtml({ before: [{ name: 'A', rows: 2 }], after: [{ name: 'A', rows: 1 }], checks: [] })
    expect(same).toContain('<td>A</td><td>2</td><td>1</td><td>−1</td>')
    expect(tablesHtml({ before: [{ name: 'A', rows: 2 }], after: [{ name: 'A', rows: 2 }], checks: [] })).toContain('<td>±0</td>')
    const taskMode = tablesHtml({ after, checks: [] })
    expect(taskMode).toContain('<th align="left">Table</th><th align="left">Rows</th><th align="left">Check</th>')
    expect(tablesHtml({ before: [{ name: 'A', rows: 2 }], checks: [] })).toContain('<tr><td>A</td><td>2</td><td></td></tr>')
    expect(tablesHtml({ after: [], checks: [] })).toBe('<p><sub>The app has no tables.</sub></p>')
  })
})

const MiB = 1024 * 1024

describe('ProgressFile: the progress lines as they come, bounded', () => {
  it('writes CRLF lines; an empty log is a file too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'progress-'))
    const file = new ProgressFile(dir, 'a.log', MiB)
    file.write(['one', 'two'])
    await file.close()
    await file.close()
    file.write(['after the close'])
    expect(readFileSync(file.path, 'utf8')).toBe('one\r\ntwo\r\n')
    expect([file.bytes, file.received, file.cut]).toEqual([10, 10, 0])
    const empty = new ProgressFile(dir, 'b.log', MiB)
    await empty.close()
    expect(readFileSync(empty.path, 'utf8')).toBe('')
  })

  it('capped at script-log-max-size as a script log is: its head and tail, a line saying what was cut; a name that leaves the folder is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'progress-'))
    const file = new ProgressFile(dir, 'big.log', 4 * MiB)
    const line = (n: number): string => `${String(n).padStart(8, '0')} ${'x'.repeat(64 * 1024 - 11)}`
    for (let i = 0; i < 320; i++) file.write([line(i)])
    await file.close()
    const text = readFileSync(file.path, 'utf8')
    expect(file.received).toBe(320 * 64 * 1024)
    // What is kept, the line about the cut included, is within the cap.
    expect(file.cut).toBe(16 * MiB + 256)
    expect(file.bytes).toBe(Buffer.byteLength(text))
    expect(file.bytes).toBeLessThanOrEqual(4 * MiB)
    expect(text.startsWith(line(0))).toBe(true)
    expect(text.endsWith(`${line(319)}\r\n`)).toBe(true)
    expect(text).toContain('16.0 MiB of the script log cut here (script-log-max-size 4.0 MiB)')
    expect(() => new ProgressFile(dir, '../escape.log', MiB)).toThrow(/outside/)
  })

  it('a write that fails (no such folder) is reported at close, not thrown into the reload', async () => {
    const file = new ProgressFile(join(tmpdir(), 'no-such-folder-qsr', 'x'), 'a.log', MiB)
    file.write(['line'])
    await expect(file.close()).rejects.toThrow(/ENOENT/)
  })
})

describe('engine errors in words', () => {
  it('the code in words, the message and parameter bounded, a hint per method', () => {
    expect(engineErrorText({ code: 5, parameter: 'app', message: 'Access denied' })).toEqual({ code: 5, text: 'Access denied: app (access denied, code 5)' })
    expect(engineErrorText({ code: 4242, message: 'Odd' }).text).toBe('Odd (error, code 4242)')
    expect(engineErrorText(new Error('x'.repeat(500))).text).toHaveLength(201)
    expect(engineErrorText('plain').text).toBe('plain')
    expect(engineError('OpenDoc', "'Sales'", { code: 5, message: 'Access denied' }).message).toMatch(/needs read access/)
    expect(engineError('DoReloadEx', "'Sales'", { code: 5, message: 'Access denied' }).message).toMatch(/not reload it/)
    expect(engineError('OpenDoc', "'Sales'", { code: 1009, message: 'App already open in different mode' }).message).toMatch(/open with data while this one asks without/)
    expect(engineError('OpenDoc', "'Sales'", { code: 2, message: 'Not found' }).message).toMatch(/Check the app id/)
    const given = new EngineError('as is', 7)
    expect(engineError('X', 'y', given)).toBe(given)
  })
})
