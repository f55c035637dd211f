/**
 * The import direction of src/, as src/ARCHITECTURE.md draws it: a file imports files of its own folder
 * and of the folders in the layers below, never one above it or beside it. The layers are read from the
 * note's `layers` block, so the picture and the rule cannot drift apart. Type-only imports count too: a
 * type that must run back up belongs lower down. `npm run layers`; CI runs it next to `npm run cycles`.
 * `--pairs` also prints the pairs of folders that import each other (there should be none).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DependencyTree } from 'dpdm'

const NOTE = 'src/ARCHITECTURE.md'
/** The files at the top of src/ (the two steps and their glue) count as one unit. */
export const TOP = '*.ts'

/** Unit → layer (0 at the top). One line of the block is one layer; its units are listed side by side. */
export function readLayers(note: string): Map<string, number> {
  const block = /```layers\n([\s\S]*?)```/.exec(note)?.[1]
  if (!block) throw new Error(`${NOTE} has no \`\`\`layers block`)
  const layers = new Map<string, number>()
  block
    .split('\n')
    .map(line => line.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .forEach((line, layer) => {
      for (const unit of line.split(/\s+/)) {
        if (layers.has(unit)) throw new Error(`${NOTE}: ${unit} is in two layers`)
        layers.set(unit, layer)
      }
    })
  return layers
}

/** `src/reload/wait.ts` → `reload/`, `src/main.ts` → `*.ts`. */
export function unitOf(file: string): string {
  const parts = file.replace(/\\/g, '/').split('/')
  return parts.length > 2 ? `${parts[1]}/` : TOP
}

export interface Problem {
  from: string
  to: string
  why: string
}

/** Every import that runs up the layers or across one, and every unit the note does not place. */
export function problems(tree: DependencyTree, layers: Map<string, number>): Problem[] {
  const found: Problem[] = []
  for (const [file, imports] of Object.entries(tree)) {
    if (!file.startsWith('src/')) continue
    const from = unitOf(file)
    if (!layers.has(from)) found.push({ from: file, to: '', why: `${from} is in no layer of ${NOTE}: place it there` })
    for (const { id } of imports ?? []) {
      if (!id?.startsWith('src/')) continue
      const to = unitOf(id)
      if (to === from || !layers.has(from) || !layers.has(to)) continue
      const [a, b] = [layers.get(from) ?? 0, layers.get(to) ?? 0]
      if (b < a) found.push({ from: file, to: id, why: `${from} imports ${to}, a layer above it` })
      else if (b === a) found.push({ from: file, to: id, why: `${from} imports ${to}, beside it in the same layer` })
    }
  }
  return found
}

/** Pairs of units that import each other (either way, types included). */
export function mutualPairs(tree: DependencyTree): string[] {
  const edges = new Set<string>()
  for (const [file, imports] of Object.entries(tree)) {
    for (const { id } of imports ?? []) {
      if (file.startsWith('src/') && id?.startsWith('src/') && unitOf(file) !== unitOf(id)) edges.add(`${unitOf(file)} ${unitOf(id)}`)
    }
  }
  return [...edges]
    .map(edge => edge.split(' '))
    .filter(([a, b]) => a < b && edges.has(`${b} ${a}`))
    .map(([a, b]) => `${a} ↔ ${b}`)
}

async function main(): Promise<number> {
  const layers = readLayers(readFileSync(NOTE, 'utf8'))
  // Loaded here, not at the top: the functions above are unit-tested without it.
  const { parseDependencyTree } = await import('dpdm')
  const tree = await parseDependencyTree('src/**/*.ts', { transform: false })
  const found = problems(tree, layers)
  for (const p of found) console.error(`${p.from}${p.to ? ` → ${p.to}` : ''}: ${p.why}`)
  const imports = Object.values(tree).reduce((sum, list) => sum + (list?.length ?? 0), 0)
  const pairs = mutualPairs(tree)
  console.log(
    `${Object.keys(tree).length} files, ${imports} imports, ${layers.size} units in ${new Set(layers.values()).size} layers: ${found.length} against the layers; ${pairs.length} pairs of folders import each other.`
  )
  if (process.argv.includes('--pairs')) for (const pair of pairs) console.log(`  ${pair}`)
  if (found.length > 0) console.error(`The layers are drawn in ${NOTE}: move the code, or change the picture if the design changed.`)
  return found.length > 0 ? 1 : 0
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main()
