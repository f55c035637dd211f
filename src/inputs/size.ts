import { InputError } from '../util/errors.js'

const KB = 1024
const UNIT_BYTES: Record<string, number> = { '': 1, b: 1, k: KB, kb: KB, kib: KB, m: KB ** 2, mb: KB ** 2, mib: KB ** 2, g: KB ** 3, gb: KB ** 3, gib: KB ** 3 }

/** A size of `min` to `max` bytes: `500KB`, `100MB`, `1.5GB` (1 KB = 1024 bytes; K, KiB, M, MiB, G, GiB too), or a number of bytes. */
export function parseSize(input: string, text: string, { min, max }: { min: number; max: number }): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim())
  const hint = 'use a size such as 500KB, 100MB or 1GB'
  if (!match) throw new InputError(input, `'${text}' is not a size: ${hint}.`)
  const bytes = Math.floor(Number(match[1]) * UNIT_BYTES[(match[2] ?? '').toLowerCase()])
  if (bytes < min || bytes > max) throw new InputError(input, `'${text}' is outside ${describe(min)} to ${describe(max)}: ${hint}.`)
  return bytes
}

function describe(bytes: number): string {
  for (const [unit, size] of [
    ['GB', 1024 ** 3],
    ['MB', 1024 ** 2],
    ['KB', 1024]
  ] as const)
    if (bytes % size === 0) return `${bytes / size}${unit}`
  return `${bytes} B`
}
