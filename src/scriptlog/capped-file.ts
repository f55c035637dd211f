import { open, rm, type FileHandle } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { formatBytes } from '../util/format.js'

/** Copies go in pieces of this size: memory stays flat however large the cap. */
const COPY_BYTES = 1024 * 1024

/**
 * A file that keeps at most about `maxBytes` of what is written to it: the first half as it comes, and of
 * the rest only the last half, in a ring file beside it (`<path>.tail`, written in place, so disk and
 * memory stay bounded whatever the server sends). When it ends, the tail is appended after a line that
 * says how much was cut between them, and the ring file is removed.
 */
export class CappedFile extends Writable {
  private file: FileHandle | undefined
  private ring: FileHandle | undefined
  private readonly headMax: number
  private readonly tailMax: number
  /** Bytes in the head, at the start of the file. */
  private head = 0
  /** Bytes that came after the head; the ring holds the last tailMax of them. */
  private rest = 0

  constructor(
    readonly path: string,
    readonly maxBytes: number
  ) {
    super()
    this.headMax = Math.floor(maxBytes / 2)
    this.tailMax = maxBytes - this.headMax
  }

  /** Every byte written. */
  get received(): number {
    return this.head + this.rest
  }

  /** Bytes left out between the head and the tail. */
  get cut(): number {
    return Math.max(0, this.rest - this.tailMax)
  }

  override _construct(done: (error?: Error | null) => void): void {
    open(this.path, 'w').then(file => {
      this.file = file
      done()
    }, done)
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.take(chunk).then(() => done(), done)
  }

  override _final(done: (error?: Error | null) => void): void {
    this.finish().then(() => done(), done)
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.close().then(
      () => done(error),
      () => done(error)
    )
  }

  private async take(chunk: Buffer): Promise<void> {
    const room = this.headMax - this.head
    if (room > 0) {
      const piece = chunk.subarray(0, room)
      await this.file!.write(piece, 0, piece.length, this.head)
      this.head += piece.length
      chunk = chunk.subarray(piece.length)
    }
    if (chunk.length === 0) return
    this.ring ??= await open(`${this.path}.tail`, 'w+')
    // Only the last tailMax bytes of a chunk can stay.
    if (chunk.length > this.tailMax) {
      this.rest += chunk.length - this.tailMax
      chunk = chunk.subarray(chunk.length - this.tailMax)
    }
    while (chunk.length > 0) {
      const at = this.rest % this.tailMax
      const piece = chunk.subarray(0, this.tailMax - at)
      await this.ring.write(piece, 0, piece.length, at)
      this.rest += piece.length
      chunk = chunk.subarray(piece.length)
    }
  }

  /** The tail after the head (and, when something was cut, a line saying so); the ring file goes. */
  private async finish(): Promise<void> {
    if (this.ring) {
      let at = this.head
      if (this.cut > 0) {
        const line = Buffer.from(
          `\r\n… ${formatBytes(this.cut)} of the script log cut here (script-log-max-size ${formatBytes(this.maxBytes)}): its first ${formatBytes(this.head)} and its last ${formatBytes(this.tailMax)} are kept …\r\n`
        )
        await this.file!.write(line, 0, line.length, at)
        at += line.length
      }
      // The ring's oldest byte sits where the next one would be written, once it has wrapped.
      const kept = Math.min(this.rest, this.tailMax)
      const start = this.rest > this.tailMax ? this.rest % this.tailMax : 0
      at = await this.copy(start, kept, at)
      await this.copy(0, start, at)
    }
    await this.close()
  }

  /** Copies ring bytes [from, to) to the file at `at`; answers where the next bytes go. */
  private async copy(from: number, to: number, at: number): Promise<number> {
    const buffer = Buffer.alloc(Math.min(COPY_BYTES, Math.max(1, to - from)))
    for (let offset = from; offset < to;) {
      const { bytesRead } = await this.ring!.read(buffer, 0, Math.min(buffer.length, to - offset), offset)
      if (bytesRead === 0) break
      await this.file!.write(buffer, 0, bytesRead, at)
      at += bytesRead
      offset += bytesRead
    }
    return at
  }

  private async close(): Promise<void> {
    const [file, ring] = [this.file, this.ring]
    this.file = this.ring = undefined
    await file?.close()
    if (ring) {
      await ring.close()
      await rm(`${this.path}.tail`, { force: true })
    }
  }
}
