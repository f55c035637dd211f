import { stat } from 'node:fs/promises'
import { finished } from 'node:stream/promises'
import { CappedFile } from './capped-file.js'
import { insideDir } from './fetch.js'

/**
 * The progress lines of an engine reload, written to a file under `dir` as they come (CRLF, like Qlik's
 * script logs). The file is capped as a downloaded script log is (script-log-max-size, `maxBytes`): a
 * reload that prints without end keeps its first and last half of that, with a line saying how much was
 * cut between them. `name` must be a plain file name: it is resolved inside `dir` or refused.
 */
export class ProgressFile {
  readonly path: string
  private readonly file: CappedFile
  /** A write that failed (a full disk): close() reports it; the reload goes on. */
  private failure?: Error
  private closing?: Promise<void>
  private size = 0

  constructor(dir: string, name: string, maxBytes: number) {
    this.path = insideDir(dir, name)
    this.file = new CappedFile(this.path, maxBytes)
    this.file.on('error', error => (this.failure ??= error))
  }

  /** Bytes in the file, once closed. */
  get bytes(): number {
    return this.size
  }

  /** Every byte written. */
  get received(): number {
    return this.file.received
  }

  /** Bytes left out between the head and the tail. */
  get cut(): number {
    return this.file.cut
  }

  write(lines: string[]): void {
    if (this.failure || this.file.writableEnded) return
    for (const line of lines) this.file.write(`${line}\r\n`)
  }

  /** Puts the tail after the head and closes the file (an empty log is written too: the path always names a file). */
  close(): Promise<void> {
    this.closing ??= this.finish()
    return this.closing
  }

  private async finish(): Promise<void> {
    if (!this.file.writableEnded) this.file.end()
    await finished(this.file).catch((error: Error) => (this.failure ??= error))
    if (this.failure) throw this.failure
    this.size = (await stat(this.path)).size
  }
}
