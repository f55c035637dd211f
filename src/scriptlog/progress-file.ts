import { createWriteStream, type WriteStream } from 'node:fs'
import { insideDir } from './fetch.js'

/** An engine reload's log file stops growing here: a reload that prints without end costs bounded disk. */
export const MAX_PROGRESS_LOG_BYTES = 16 * 1024 * 1024

/**
 * The progress lines of an engine reload, written to a file under `dir` as they come (CRLF, like Qlik's
 * script logs), up to MAX_PROGRESS_LOG_BYTES; then one line says the rest was cut. `name` must be a
 * plain file name: it is resolved inside `dir` or refused.
 */
export class ProgressFile {
  readonly path: string
  private stream?: WriteStream
  private written = 0
  private full = false
  /** A write that failed (a full disk): close() reports it; the reload goes on. */
  private failure?: Error

  constructor(dir: string, name: string) {
    this.path = insideDir(dir, name)
  }

  get bytes(): number {
    return this.written
  }

  write(lines: string[]): void {
    for (const line of lines) {
      if (this.full) return
      const text = `${line}\r\n`
      const size = Buffer.byteLength(text)
      if (this.written + size > MAX_PROGRESS_LOG_BYTES) {
        this.full = true
        this.append(`… the log was cut at ${MAX_PROGRESS_LOG_BYTES / 1024 / 1024} MiB; the rest is in the script log on the Qlik server.\r\n`)
        return
      }
      this.append(text)
    }
  }

  /** Flushes and closes the file (an empty log is written too: the path always names a file). */
  async close(): Promise<void> {
    const stream = this.open()
    if (!stream.writableEnded) await new Promise<void>(resolve => stream.end(resolve))
    if (this.failure) throw this.failure
  }

  private append(text: string): void {
    this.open().write(text)
    this.written += Buffer.byteLength(text)
  }

  private open(): WriteStream {
    if (!this.stream) {
      this.stream = createWriteStream(this.path)
      this.stream.on('error', error => (this.failure ??= error))
    }
    return this.stream
  }
}
