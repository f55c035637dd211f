/** Qlik's published QIX definition: the newest 12.x schema shipped with the installed enigma.js package. */
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export interface SchemaParam {
  Name: string
  DefaultValue?: unknown
  Optional?: boolean
}

export interface QixSchema {
  structs: Record<string, Record<string, { In: SchemaParam[]; Out: { Name: string }[] }>>
  enums: Record<string, Record<string, number>>
}

const dir = join(dirname(createRequire(import.meta.url).resolve('enigma.js/package.json')), 'schemas')

/** Version parts compared as numbers: 12.2027.0 is newer than 12.936.0. */
function newer(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0)
  return 0
}

export const schemaVersion = readdirSync(dir)
  .filter((f) => /^12\.\d+\.\d+\.json$/.test(f))
  .map((f) => f.slice(0, -'.json'.length))
  .sort(newer)
  .at(-1) as string

export const schema = JSON.parse(readFileSync(join(dir, `${schemaVersion}.json`), 'utf8')) as QixSchema

/** The schema of an older engine, e.g. '12.1657.0'. */
export function schemaOf(version: string): QixSchema {
  return JSON.parse(readFileSync(join(dir, `${version}.json`), 'utf8')) as QixSchema
}
