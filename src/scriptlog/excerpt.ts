import { open, type FileHandle } from 'node:fs/promises'

/** The lines that explain a failed reload, gathered in one pass with bounded memory. */
export interface LogExcerpt {
  /** Lines Qlik writes for script errors ("Error: ...", "Execution Failed"), the last few. */
  errorLines: string[]
  /** The last lines of the log. */
  tail: string[]
  lines: number
}

// "Error:", "General Script Error", "Execution Failed", "Syntax error"; not "ErrorMode" or "0 errors".
const ERROR_LINE = /^.*\b(?:error\b(?!s)|failed\b).*$/gim
const MAX_LINE = 400
const NEWLINE = 0x0a
/** Read at a time, into one buffer for the whole file. */
const CHUNK_BYTES = 64 * 1024
/**
 * A line still open after this many bytes is judged by them and the rest of it skipped: a line that never
 * ends stays bounded. With a chunk, under V8's 128 KB for an object collected young.
 */
const MAX_OPEN_LINE = 32 * 1024
/** The tail is read again from the file's end: the last lines, clipped, fit in this. */
const TAIL_BYTES = 128 * 1024

/**
 * Scans a saved log with one buffer, reused for every chunk: no string per line and no buffer per chunk, so
 * a log of hundreds of MB costs the same little memory as a small one (the 200 MiB log of issue 21's bench
 * grew the heap by tens of MB when read as strings of 256 KB). The bytes are searched as latin1 text (one
 * byte a character: the same line breaks and ASCII words); a line that matches is decoded as UTF-8.
 */
export async function scanLog(path: string, limits = { errorLines: 15, tail: 25 }): Promise<LogExcerpt> {
  const file = await open(path, 'r')
  try {
    const { errorLines, lines } = await scanLines(file, limits.errorLines)
    return { errorLines, tail: await tailOf(file, limits.tail), lines }
  } finally {
    await file.close()
  }
}

async function scanLines(file: FileHandle, maxErrors: number): Promise<{ errorLines: string[]; lines: number }> {
  const errorLines: string[] = []
  const buffer = Buffer.allocUnsafe(MAX_OPEN_LINE + CHUNK_BYTES)
  /** Judges the whole lines of `text` (bytes `offset`... of the buffer) from character `from` on. */
  const judge = (text: string, offset: number, from = 0): void => {
    for (const match of text.matchAll(ERROR_LINE)) {
      if (match.index < from) continue
      const at = offset + match.index
      keepLast(errorLines, clip(buffer.toString('utf8', at, at + match[0].length)), maxErrors)
    }
  }
  let lines = 0
  /** Bytes at the buffer's start: the line still open (never more than MAX_OPEN_LINE: a chunk fits after them). */
  let carried = 0
  /** The rest of an overlong line is being skipped (its first part was judged). */
  let skipping = false
  for (;;) {
    const { bytesRead } = await file.read(buffer, carried, CHUNK_BYTES, null)
    if (bytesRead === 0) break
    const end = carried + bytesRead
    const last = buffer.lastIndexOf(NEWLINE, end - 1)
    if (last < carried) {
      // No line ends here: the open line grows, unless it is overlong (skipped from now on).
      if (!skipping && end > MAX_OPEN_LINE) {
        judge(buffer.toString('latin1', 0, end), 0)
        skipping = true
      }
      carried = skipping ? 0 : end
      continue
    }
    // One string for the chunk's whole lines (short-lived: collected young, as the buffer is reused).
    const text = buffer.toString('latin1', 0, last + 1)
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++
    // An overlong line ends at the chunk's first line break; its first part was judged already.
    judge(text, 0, skipping ? text.indexOf('\n') + 1 : 0)
    skipping = false
    buffer.copyWithin(0, last + 1, end)
    carried = end - last - 1
    if (carried > MAX_OPEN_LINE) {
      judge(buffer.toString('latin1', 0, carried), 0)
      skipping = true
      carried = 0
    }
  }
  if (carried > 0 && !skipping) {
    lines++
    judge(buffer.toString('latin1', 0, carried), 0)
  }
  // An overlong last line without a line break: counted once.
  if (skipping) lines++
  return { errorLines, lines }
}

/** The last lines of the file, from its last TAIL_BYTES. */
async function tailOf(file: FileHandle, count: number): Promise<string[]> {
  const { size } = await file.stat()
  const from = Math.max(0, size - TAIL_BYTES)
  const buffer = Buffer.allocUnsafe(size - from)
  const { bytesRead } = await file.read(buffer, 0, buffer.length, from)
  const lines = buffer.toString('utf8', 0, bytesRead).split('\n')
  // A first line the window cut is left out, unless it is all there is (the end of one overlong last line).
  if (from > 0 && lines.length > 1) lines.shift()
  if (lines.at(-1) === '') lines.pop()
  return lines.slice(-count).map(clip)
}

function clip(line: string): string {
  const text = line.replace(/\r$/, '')
  return text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text
}

function keepLast(list: string[], line: string, max: number): void {
  list.push(line)
  if (list.length > max) list.shift()
}
