/**
 * `orderby` on list routes: `field [asc|desc]`, several separated by commas, dotted paths into the
 * full entity (keys case-insensitive, like filters). Strings compare case-insensitively; missing
 * values sort first. Without orderby a list keeps the simulator's own order.
 */
import type { Json } from './entities.js'

export class OrderByError extends Error {}

export interface SortKey {
  path: string[]
  desc: boolean
}

const fieldPattern = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/

export function parseOrderBy(text: string): SortKey[] {
  return text.split(',').map((part) => {
    const words = part.trim().split(/\s+/)
    const [field, direction = 'asc', ...extra] = words
    const dir = direction.toLowerCase()
    if (!field || !fieldPattern.test(field) || (dir !== 'asc' && dir !== 'desc') || extra.length > 0) {
      throw new OrderByError(`Cannot parse the orderby expression: ${text} (expected "field asc" or "field desc")`)
    }
    return { path: field.split('.'), desc: dir === 'desc' }
  })
}

function valueAt(entity: unknown, path: string[]): unknown {
  let current: unknown = entity
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined
    const lower = segment.toLowerCase()
    const key = Object.keys(current).find((k) => k.toLowerCase() === lower)
    current = key === undefined ? undefined : (current as Record<string, unknown>)[key]
  }
  return current
}

function compare(a: unknown, b: unknown): number {
  const missingA = a === null || a === undefined
  const missingB = b === null || b === undefined
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? -1 : 1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  const x = String(a).toLowerCase()
  const y = String(b).toLowerCase()
  return x < y ? -1 : x > y ? 1 : 0
}

/** A stable sort of `items` by `keys`, each compared on `full(item)`. */
export function sortBy<T>(items: T[], keys: SortKey[], full: (item: T) => Json): T[] {
  const rows = items.map((item, index) => ({ item, index, entity: full(item) }))
  rows.sort((r, s) => {
    for (const key of keys) {
      const c = compare(valueAt(r.entity, key.path), valueAt(s.entity, key.path))
      if (c !== 0) return key.desc ? -c : c
    }
    return r.index - s.index
  })
  return rows.map((r) => r.item)
}
