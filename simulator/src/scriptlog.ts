/**
 * Script logs (doc section 9): one per ended attempt, generated the way the engine writes them
 * (CRLF lines, timestamp + statement number), optionally padded to hundreds of MB. The padding is
 * made while streaming and never held in memory; its size is known up front (every padding cycle
 * has the same byte length), so `scriptLogSize` is exact.
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { ScenarioAttempt } from './scenario.js'

/** Download references stay valid this long (and can be used again meanwhile). */
const refValidityMs = 5 * 60_000

const bom = Buffer.from([0xef, 0xbb, 0xbf])
/** Size of the chunks the padding is streamed in. */
const chunkBytes = 64 * 1024

export interface ScriptLogFacts {
  resultId: string
  taskId: string
  sessionId: string
  /** Who the execution ran as ("UserDirectory=X; UserId=Y" in the log header). */
  userDirectory: string
  userId: string
  /** Final status of the attempt (7 success, 6 aborted, else a failure). */
  outcome: number
  startMs: number
  stopMs: number
  attempt: ScenarioAttempt
  bom: boolean
}

export interface ScriptLog {
  resultId: string
  taskId: string
  /** Bytes of the whole download, BOM included. */
  size: number
  /** Downloads answer 404 until then (attempt end + logDelayMs). */
  availableAt: number
  bom: boolean
  head: Buffer
  tail: Buffer
  padding?: Padding
}

interface Padding {
  cycles: number
  width: number
  startMs: number
  stopMs: number
}

/** `20261128T100000.123+0100`: local time with the offset, always 24 characters. */
function qlikTime(ms: number): string {
  const offsetMin = -new Date(ms).getTimezoneOffset()
  const d = new Date(ms + offsetMin * 60_000)
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  const abs = Math.abs(offsetMin)
  return (
    `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}` +
    `.${p(d.getUTCMilliseconds(), 3)}${offsetMin < 0 ? '-' : '+'}${p(Math.floor(abs / 60))}${p(abs % 60)}`
  )
}

/** `yyyyMMddTHHmmss` in UTC, as in the archived log file name. */
export function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15)
}

const info = (ts: string, text: string): string => `${ts}      ${text}`
const stmt = (ts: string, n: number, text: string): string => `${ts} ${String(n).padStart(4, '0')} ${text}`

function defaultHead(f: ScriptLogFacts): string[] {
  const t0 = qlikTime(f.startMs)
  const t1 = qlikTime(f.startMs + 1)
  const t2 = qlikTime(f.startMs + 12)
  const t3 = qlikTime(f.startMs + 25)
  return [
    info(t0, 'Execution started.'),
    info(t0, 'Qlik Sense Server Version 14.129.3'),
    info(t0, 'CPU Target                    x64'),
    info(t0, 'Operating System              Windows Server 2019 Datacenter  (64 bit edition)'),
    info(t0, 'Wow64 mode                    Not using Wow64'),
    info(t0, 'MDAC Version                  6.3.9600.16384'),
    info(t0, 'MDAC Function support found'),
    info(t0, `Reload ID                     ${f.sessionId}`),
    info(t0, `Reload Executed By            UserDirectory=${f.userDirectory}; UserId=${f.userId}`),
    info(t0, 'Process Executing             Qlik Sense Server'),
    info(t0, 'Process ID                    4711'),
    stmt(t1, 2, "SET ThousandSep=',';"),
    stmt(t1, 3, "SET DecimalSep='.';"),
    stmt(t1, 4, "SET DateFormat='YYYY-MM-DD';"),
    stmt(t1, 6, 'Orders:'),
    stmt(t1, 7, 'LOAD OrderID, CustomerID, OrderDate, Amount'),
    stmt(t1, 8, 'FROM [lib://Data/Orders.qvd] (qvd)'),
    info(t2, '4 fields found: OrderID, CustomerID, OrderDate, Amount,'),
    info(t2, '125,000 Lines fetched'),
    stmt(t2, 10, 'Customers:'),
    stmt(t2, 11, 'LOAD CustomerID, CustomerName, Country'),
    stmt(t2, 12, 'FROM [lib://Data/Customers.qvd] (qvd)'),
    info(t3, '3 fields found: CustomerID, CustomerName, Country,'),
    info(t3, '2,340 Lines fetched')
  ]
}

function defaultTail(f: ScriptLogFacts): string[] {
  const t = qlikTime(f.stopMs)
  if (f.outcome === 7) {
    return [info(t, 'Creating search index'), info(t, 'Search index creation completed successfully'), info(t, 'App saved'), info(t, 'Execution finished.')]
  }
  if (f.outcome === 6) return [info(t, 'Abort requested by user'), info(t, 'Execution Failed'), info(t, 'Execution finished.')]
  return [
    stmt(t, 42, 'Revenue_Summary:'),
    stmt(t, 43, 'LOAD Sum(Revenue) as TotalRevenue RESIDENT Orders'),
    info(t, "Error: Field 'Revenue' not found"),
    info(t, 'Execution Failed'),
    info(t, 'Execution finished.')
  ]
}

const closing = /Error:|Execution Failed|Execution finished|Execution aborted/i

function cycleMs(index: number, pad: Padding): number {
  const span = Math.max(0, pad.stopMs - pad.startMs)
  return pad.startMs + Math.floor((span * index) / Math.max(1, pad.cycles))
}

/** One padding cycle (a FOR EACH loop over QVD parts: the same script lines again and again). ASCII only. */
function cycleText(index: number, pad: Padding): string {
  const ts = qlikTime(cycleMs(index, pad))
  const n = String(index + 1).padStart(pad.width, '0')
  return (
    `${stmt(ts, 21, `Sales_Part_${n}:`)}\r\n` +
    `${stmt(ts, 22, `LOAD * FROM [lib://Data/Sales/part_${n}.qvd] (qvd);`)}\r\n` +
    `${info(ts, '12 fields found: OrderID, CustomerID, ProductID, OrderDate, ShipDate, Quantity, UnitPrice, Discount, Amount, Currency, Region, Channel,')}\r\n` +
    `${info(ts, '100,000 Lines fetched')}\r\n`
  )
}

/**
 * Writes padding cycles into buffers it is handed: each cycle is a copy of a template with the
 * timestamp and part number patched in place, so hundreds of MB make next to no garbage.
 */
class PaddingFiller {
  private readonly template: Buffer
  private readonly lineStarts: number[] = [0]
  private readonly numberAt: number[]
  private next = 0
  private stampMs = Number.NaN
  private stamp = ''

  constructor(private readonly pad: Padding) {
    this.template = Buffer.from(cycleText(0, pad), 'latin1')
    const t = this.template
    for (let at = t.indexOf('\r\n'); at >= 0 && at + 2 < t.length; at = t.indexOf('\r\n', at + 2)) this.lineStarts.push(at + 2)
    this.numberAt = [t.indexOf('Sales_Part_') + 'Sales_Part_'.length, t.indexOf('/part_') + '/part_'.length]
  }

  get done(): boolean {
    return this.next >= this.pad.cycles
  }

  /** Bytes a buffer needs to hold about `bytes` worth of whole cycles. */
  bufferSize(bytes: number): number {
    return Math.max(1, Math.floor(bytes / this.template.length)) * this.template.length
  }

  /** Fills `chunk` with the next whole cycles; returns the bytes written. */
  fill(chunk: Buffer): number {
    const length = this.template.length
    const count = Math.min(Math.floor(chunk.length / length), this.pad.cycles - this.next)
    for (let k = 0; k < count; k++, this.next++) {
      const offset = k * length
      this.template.copy(chunk, offset)
      const ms = cycleMs(this.next, this.pad)
      if (ms !== this.stampMs) {
        this.stampMs = ms
        this.stamp = qlikTime(ms)
      }
      for (const at of this.lineStarts) chunk.write(this.stamp, offset + at, 'latin1')
      const n = String(this.next + 1).padStart(this.pad.width, '0')
      for (const at of this.numberAt) chunk.write(n, offset + at, 'latin1')
    }
    return count * length
  }
}

const crlf = (lines: string[]): string => lines.map((l) => `${l}\r\n`).join('')

export function makeScriptLog(f: ScriptLogFacts): ScriptLog {
  let headLines: string[]
  let tailLines: string[]
  if (f.attempt.scriptLog) {
    // Given lines: the padding goes before the first closing line (error, Execution Failed/finished).
    const lines = f.attempt.scriptLog
    const cut = lines.findIndex((l) => closing.test(l))
    headLines = cut < 0 ? lines : lines.slice(0, cut)
    tailLines = cut < 0 ? [] : lines.slice(cut)
  } else {
    headLines = defaultHead(f)
    tailLines = defaultTail(f)
  }
  const head = Buffer.from(crlf(headLines), 'utf8')
  const tail = Buffer.from(crlf(tailLines), 'utf8')
  const fixed = (f.bom ? bom.length : 0) + head.length + tail.length
  let padding: Padding | undefined
  const target = f.attempt.scriptLogBytes ?? 0
  if (target > fixed) {
    const probe: Padding = { cycles: 1, width: 7, startMs: f.startMs + 30, stopMs: Math.max(f.startMs + 30, f.stopMs - 5) }
    // The digit count of the part number must not change the cycle length: fix the width first.
    const roughCycles = Math.ceil((target - fixed) / Buffer.byteLength(cycleText(0, probe)))
    probe.width = Math.max(7, String(roughCycles).length)
    const cycleBytes = Buffer.byteLength(cycleText(0, probe))
    probe.cycles = Math.ceil((target - fixed) / cycleBytes)
    padding = probe
  }
  const size = fixed + (padding ? padding.cycles * Buffer.byteLength(cycleText(0, padding)) : 0)
  return {
    resultId: f.resultId,
    taskId: f.taskId,
    size,
    availableAt: f.stopMs + Math.max(0, f.attempt.logDelayMs ?? 0),
    bom: f.bom,
    head,
    tail,
    padding
  }
}

/**
 * Writes the log with backpressure: after a write() that says "full" it waits for 'drain'. The
 * padding is generated into a few reused buffers, each refilled only after its write completed,
 * so memory stays flat whatever the size.
 */
export async function streamLog(res: ServerResponse, log: ScriptLog): Promise<void> {
  let needDrain = false
  let wake: (() => void) | undefined
  const poke = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }
  const onDrain = (): void => {
    needDrain = false
    poke()
  }
  res.on('drain', onDrain)
  res.on('close', poke)
  const until = async (ready: () => boolean): Promise<void> => {
    while (!ready() && !res.destroyed) await new Promise<void>((resolve) => (wake = resolve))
  }
  const write = (chunk: Buffer, written?: () => void): void => {
    if (chunk.length === 0) return written?.()
    if (
      !res.write(chunk, () => {
        written?.()
        poke()
      })
    )
      needDrain = true
  }
  try {
    if (log.bom) write(bom)
    write(log.head)
    if (log.padding) {
      const filler = new PaddingFiller(log.padding)
      const size = filler.bufferSize(chunkBytes)
      const free: Buffer[] = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)]
      while (!filler.done) {
        await until(() => !needDrain && free.length > 0)
        if (res.destroyed) return
        const buffer = free.pop() as Buffer
        write(buffer.subarray(0, filler.fill(buffer)), () => free.push(buffer))
      }
    }
    await until(() => !needDrain)
    if (res.destroyed) return
    write(log.tail)
    res.end()
  } finally {
    res.off('drain', onDrain)
    res.off('close', poke)
  }
}

/** The logs of ended attempts and the download references handed out for them. */
export class ScriptLogStore {
  private readonly logs = new Map<string, ScriptLog>()
  private readonly refs = new Map<string, { resultId: string; expiresAt: number }>()

  add(log: ScriptLog): void {
    this.logs.set(log.resultId.toLowerCase(), log)
  }

  get(resultId: string): ScriptLog | undefined {
    return this.logs.get(resultId.toLowerCase())
  }

  /** A fresh download reference, valid refValidityMs. */
  reference(resultId: string): string {
    const now = Date.now()
    for (const [ref, r] of this.refs) if (r.expiresAt <= now) this.refs.delete(ref)
    const ref = randomUUID()
    this.refs.set(ref, { resultId, expiresAt: now + refValidityMs })
    return ref
  }

  /** The log a reference points to; undefined for unknown or expired references. */
  byReference(ref: string): ScriptLog | undefined {
    const r = this.refs.get(ref.toLowerCase())
    if (!r || r.expiresAt <= Date.now()) return undefined
    return this.get(r.resultId)
  }
}
