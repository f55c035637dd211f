import { InputError } from '../util/errors.js'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * Parses `90s`, `15m`, `2h`, `1h30m`, `500ms` or plain seconds (`120`) into milliseconds.
 * Plain numbers are seconds because that is what the QMC and most CI tools use.
 */
export function parseDuration(input: string, text: string): number {
  const value = text.trim().toLowerCase()
  const hint = 'use a number of seconds or a duration such as 90s, 15m, 2h or 1h30m'
  if (/^\d+(\.\d+)?$/.test(value)) return positive(input, Number(value) * 1000, hint)
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map(p => p[0]).join('') !== value.replace(/\s+/g, '')) {
    throw new InputError(input, `'${text}' is not a duration: ${hint}.`)
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0)
  return positive(input, ms, hint)
}

function positive(input: string, ms: number, hint: string): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new InputError(input, `must be greater than zero: ${hint}.`)
  return Math.round(ms)
}
