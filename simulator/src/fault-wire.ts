/**
 * The faults that shape an answer on the wire (see FaultAction in faults.ts): a body cut in the
 * middle, a body that drips, a body that never ends, a JSON answer with fields of the wrong type,
 * a query a proxy dropped parameters from, a maintenance page, a flood of cookies. The body shapers
 * sit between the route and the socket by taking over `res.write` / `res.end`, so they apply to
 * every kind of answer (JSON, text, streamed script logs) without the routes knowing.
 */
import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'

type Callback = (error?: Error | null) => void
type WriteArgs = [chunk?: unknown, encoding?: BufferEncoding | Callback, callback?: Callback]

/** The chunk of a write()/end() call as bytes, and its callback. */
function chunkOf([chunk, encoding, callback]: WriteArgs): { bytes: Buffer; done?: Callback } {
  const done = typeof encoding === 'function' ? encoding : callback
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return { bytes: Buffer.alloc(0), done: typeof chunk === 'function' ? (chunk as Callback) : done }
  if (Buffer.isBuffer(chunk)) return { bytes: chunk, done }
  if (chunk instanceof Uint8Array) return { bytes: Buffer.from(chunk), done }
  return { bytes: Buffer.from(String(chunk), typeof encoding === 'string' ? encoding : 'utf8'), done }
}

/**
 * Holds back writeHead() until the body is known, so that a whole body given to end() is announced
 * with its Content-Length (writeHead renders the head at once, after which no header can be added).
 */
function holdHead(res: ServerResponse): { send(length?: number): void } {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse
  let held: unknown[] | undefined
  res.writeHead = (...args: unknown[]) => {
    held = args
    return res
  }
  return {
    send(length) {
      if (held) {
        const headers = held.find((a) => typeof a === 'object' && a !== null) as Record<string, unknown> | undefined
        const announced = res.getHeader('content-length') !== undefined || Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'content-length')
        if (length !== undefined && !announced) res.setHeader('Content-Length', String(length))
        const args = held
        held = undefined
        writeHead(...args)
      } else if (length !== undefined && !res.headersSent && res.getHeader('content-length') === undefined) res.setHeader('Content-Length', String(length))
    }
  }
}

/** The declared length of the body, when the head says it. */
function declaredLength(res: ServerResponse): number | undefined {
  const value = Number(res.getHeader('content-length'))
  return Number.isFinite(value) && value >= 0 ? value : undefined
}

/**
 * Lets the head and the first `limit` bytes of the body through (default: half of the body, by its
 * Content-Length or the first chunk written), then calls `drop` (the connection goes, no more bytes).
 * The head keeps announcing the whole body, so a client can tell the answer is incomplete; an empty
 * body goes out chunked and unterminated for the same reason. A limit at or past the end lets the
 * whole body through, then drops the connection.
 */
export function cutBody(res: ServerResponse, limit: number | undefined, drop: () => void): void {
  const write = res.write.bind(res) as (chunk: Buffer, done?: Callback) => boolean
  const head = holdHead(res)
  let allowed = limit
  let sent = 0
  let cut = false
  const pass = (bytes: Buffer, ending: boolean): void => {
    if (cut) return
    head.send(ending && bytes.length > 0 ? bytes.length : undefined)
    allowed ??= Math.floor((declaredLength(res) ?? bytes.length) / 2)
    // Copies: a streaming route refills its buffers once a write returns.
    const part = Buffer.from(bytes.subarray(0, Math.max(0, allowed - sent)))
    sent += part.length
    if (part.length === bytes.length && !ending) {
      write(part)
      return
    }
    cut = true
    res.flushHeaders()
    // Dropped once the part is on its way: the client has it before the connection goes.
    if (part.length > 0) write(part, () => setTimeout(drop, 20))
    else setTimeout(drop, 20)
  }
  res.write = ((...args: WriteArgs) => {
    const { bytes, done } = chunkOf(args)
    pass(bytes, false)
    done?.()
    return !cut
  }) as typeof res.write
  res.end = ((...args: WriteArgs) => {
    const { bytes, done } = chunkOf(args)
    pass(bytes, true)
    done?.()
    return res
  }) as typeof res.end
}

/**
 * The head at once, then the body `step` bytes every `ms`: writes are queued (write() answers false,
 * 'drain' follows when the queue is empty), the answer ends when the last byte went out. Stops when
 * the client goes.
 */
export function dripBody(res: ServerResponse, ms: number, step: number): void {
  const write = res.write.bind(res) as (chunk: Buffer) => boolean
  const end = res.end.bind(res) as () => ServerResponse
  const head = holdHead(res)
  const queue: { bytes: Buffer; done?: Callback }[] = []
  let started = false
  let ending = false
  let timer: NodeJS.Timeout | undefined
  const tick = (): void => {
    timer = undefined
    if (res.destroyed) return
    let budget = step
    while (budget > 0 && queue.length > 0) {
      const head = queue[0]
      const part = head.bytes.subarray(0, budget)
      head.bytes = head.bytes.subarray(part.length)
      budget -= part.length
      if (part.length > 0) write(Buffer.from(part))
      if (head.bytes.length === 0) {
        queue.shift()
        head.done?.()
      }
    }
    if (queue.length > 0) timer = setTimeout(tick, ms)
    else if (ending) end()
    else res.emit('drain')
  }
  const push = (bytes: Buffer, done?: Callback): void => {
    if (!started) {
      started = true
      head.send(ending ? bytes.length : undefined)
      res.flushHeaders()
    }
    queue.push({ bytes, done })
    timer ??= setTimeout(tick, ms)
  }
  res.on('close', () => clearTimeout(timer))
  res.write = ((...args: WriteArgs) => {
    const { bytes, done } = chunkOf(args)
    push(bytes, done)
    return false
  }) as typeof res.write
  res.end = ((...args: WriteArgs) => {
    const { bytes, done } = chunkOf(args)
    ending = true
    push(bytes, done)
    return res
  }) as typeof res.end
}

/** One block of script-log-like lines, written again and again. */
function endlessBlock(): Buffer {
  const lines: string[] = []
  for (let i = 0; i < 512; i++) lines.push(`20261128T100000.123+0100 0042 TRACE endless log line ${String(i).padStart(4, '0')} ${'x'.repeat(60)}\r\n`)
  return Buffer.from(lines.join(''))
}

/**
 * 200 text/plain (chunked, no length) whose body never ends: the block again and again, as fast as
 * the client reads (write backpressure), or `bytesPerSecond`. Resolves when the client is gone.
 */
export async function endlessBody(res: ServerResponse, bytesPerSecond?: number): Promise<void> {
  const block = endlessBlock()
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': 'attachment; filename="scriptlog.txt"' })
  res.write(Buffer.from([0xef, 0xbb, 0xbf]))
  const gone = new Promise<void>((resolve) => res.once('close', resolve))
  const drained = (): Promise<void> => Promise.race([new Promise<void>((resolve) => res.once('drain', resolve)), gone])
  const pause = (ms: number): Promise<void> => Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), gone])
  let at = 0
  while (!res.destroyed) {
    // Throttled: a tenth of the rate every 100 ms.
    const size = bytesPerSecond ? Math.max(1, Math.round(bytesPerSecond / 10)) : block.length
    const parts: Buffer[] = []
    for (let want = size; want > 0;) {
      const part = block.subarray(at, at + want)
      parts.push(part)
      want -= part.length
      at = (at + part.length) % block.length
    }
    const more = res.write(Buffer.concat(parts))
    if (bytesPerSecond) await pause(100)
    else if (!more) await drained()
  }
}

/** What a load balancer or IIS shows while the site is down for maintenance, with 200. */
export const maintenancePage =
  '<!DOCTYPE html><html><head><title>Scheduled maintenance</title></head><body><h1>Qlik Sense is down for maintenance</h1><p>We will be back shortly.</p></body></html>'

const nestedMark = '\u0000nested:'

/** `{"a":{"a":...{"a":"deep"}...}}`, `depth` objects deep, as JSON text (JSON.stringify would recurse). */
function nestedText(depth: number): string {
  return `${'{"a":'.repeat(depth)}"deep"${'}'.repeat(depth)}`
}

function isNested(value: unknown): value is { $nested: number } {
  return typeof value === 'object' && value !== null && typeof (value as { $nested?: unknown }).$nested === 'number'
}

/** Sets `path` (dotted; arrays fan out) in `node` to `value`, where the parent exists. */
function setPath(node: unknown, keys: string[], value: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) setPath(item, keys, value)
    return
  }
  if (typeof node !== 'object' || node === null) return
  const [key, ...rest] = keys
  const record = node as Record<string, unknown>
  if (rest.length === 0) record[key] = value
  else setPath(record[key], rest, value)
}

/**
 * The JSON answer with the `set` fields replaced, as JSON text (a `{"$nested": n}` value becomes an
 * object nested n deep). `$` replaces the whole answer.
 */
export function rewriteJson(json: unknown, set: Record<string, unknown>): string {
  const marks = new Map<string, number>()
  const valueOf = (value: unknown): unknown => {
    if (!isNested(value)) return value
    const mark = `${nestedMark}${marks.size}`
    marks.set(mark, Math.max(0, Math.floor(value.$nested)))
    return mark
  }
  let answer: unknown = structuredClone(json)
  for (const [path, value] of Object.entries(set)) {
    if (path === '$') answer = valueOf(value)
    else setPath(answer, path.split('.'), valueOf(value))
  }
  let text = JSON.stringify(answer) ?? 'null'
  for (const [mark, depth] of marks) text = text.replace(JSON.stringify(mark), () => nestedText(depth))
  return text
}

/** The raw query without the parameters named in `params` (compared case-insensitively, after decoding). */
export function dropQuery(rawQuery: string, params: string[]): string {
  const dropped = new Set(params.map((p) => p.toLowerCase()))
  const name = (part: string): string => {
    const raw = part.split('=')[0].replace(/\+/g, ' ')
    try {
      return decodeURIComponent(raw).toLowerCase()
    } catch {
      return raw.toLowerCase()
    }
  }
  return rawQuery
    .split('&')
    .filter((part) => part !== '' && !dropped.has(name(part)))
    .join('&')
}

/** `count` Set-Cookie headers of new cookies (fresh names), each value `bytes` long. */
export function floodCookies(count: number, bytes: number): string[] {
  const run = randomBytes(4).toString('hex')
  const value = (): string =>
    randomBytes(Math.ceil(bytes / 2))
      .toString('hex')
      .slice(0, bytes)
  return Array.from({ length: count }, (_, i) => `flood-${run}-${i}=${value()}; Path=/; Secure`)
}
