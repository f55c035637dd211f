import { open, rm, type FileHandle } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { formatBytes } from '../util/format.js'

/** Copies go in pieces of this size: memory stays flat however large the cap. */
const COPY_BYTES = 1024 * 1024
/** Room for the line that says what was cut: with it the file stays within the cap. */
const NOTE_ROOM = 256

/**
 * A file that keeps at most `maxBytes` of what is written to it: all of it when that fits; else the first
 * half as it came, a line that says how much was cut, and the last bytes, together within `maxBytes`. The
 * head is written as it comes; what follows goes to a ring file beside it (`<path>.tail`, written in
 * place, so disk and memory stay bounded whatever the server sends), appended when the file ends. The
 * ring file is then removed.
 */
export class CappedFile extends Writable {
  private file: FileHandle | undefined
  private ring: FileHandle | undefined
  private readonly headMax: number
  /** The ring's size: all that may follow the head when nothing is cut. */
  private readonly ringMax: number
  /** What of the ring is kept when something was cut: the note about it takes the rest. */
  private readonly tailMax: number
  /** Bytes in the head, at the start of the file. */
  private head = 0
  /** Bytes that came after the head; the ring holds the last ringMax of them. */
  private rest = 0

  constructor(
    readonly path: string,
    readonly maxBytes: number
  ) {
    super()
    this.headMax = Math.max(1, Math.floor((maxBytes - NOTE_ROOM) / 2))
    this.ringMax = Math.max(1, maxBytes - this.headMax)
    this.tailMax = Math.max(0, this.ringMax - NOTE_ROOM)
  }

  /** Every byte written. */
  get received(): number {
    return this.head + this.rest
  }

  /** Bytes left out between the head and the tail. */
  get cut(): number {
    return this.rest > this.ringMax ? this.rest - this.tailMax : 0
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
    // Only the last ringMax bytes of a chunk can stay.
    if (chunk.length > this.ringMax) {
      this.rest += chunk.length - this.ringMax
      chunk = chunk.subarray(chunk.length - this.ringMax)
    }
    while (chunk.length > 0) {
      const at = this.rest % this.ringMax
      const piece = chunk.subarray(0, this.ringMax - at)
      await this.ring.write(piece, 0, piece.length, at)
      this.rest += piece.length
      chunk = chunk.subarray(piece.length)
    }
  }

  /** The tail after the head (and, when something was cut, a line saying so first); the ring file goes. */
  private async finish(): Promise<void> {
    if (this.ring && this.rest <= this.ringMax) {
      await this.copy(0, this.rest, this.head)
    } else if (this.ring) {
      const line = Buffer.from(
        `\r\n… ${formatBytes(this.cut)} of the script log cut here (script-log-max-size ${formatBytes(this.maxBytes)}): its first ${formatBytes(this.head)} and its last ${formatBytes(this.tailMax)} are kept …\r\n`
      ).subarray(0, NOTE_ROOM)
      await this.file!.write(line, 0, line.length, this.head)
      // The ring's oldest byte sits where the next one would be written; the tail is its newest tailMax.
      const newest = (this.rest % this.ringMax) + (this.ringMax - this.tailMax)
      const from = newest % this.ringMax
      const at = await this.copy(from, Math.min(this.ringMax, from + this.tailMax), this.head + line.length)
      await this.copy(0, Math.max(0, from + this.tailMax - this.ringMax), at)
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
