import { InputError } from '../util/errors.js'

const UNIT_BYTES: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 }

/** A size of `min` to `max` bytes: `500KB`, `100MB`, `1.5GB` (1 KB = 1024 bytes; KiB, MiB, GiB too). */
export function parseSize(input: string, text: string, { min, max }: { min: number; max: number }): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)$/i.exec(text.trim())
  const hint = 'use a size such as 500KB, 100MB or 1GB'
  if (!match) throw new InputError(input, `'${text}' is not a size: ${hint}.`)
  const bytes = Math.floor(Number(match[1]) * UNIT_BYTES[match[2].toLowerCase()])
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
