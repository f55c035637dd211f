/**
 * `npm run docs`: rewrites the README's Inputs and Outputs tables from action.yml, between the marker
 * comments `<!-- inputs:start -->` / `<!-- inputs:end -->` and `<!-- outputs:start -->` / `<!-- outputs:end -->`.
 * `npm run docs:check` (`--check`): changes nothing, exits 1 and shows the difference when the README is stale.
 *
 * action.yml is the source of truth: edit its descriptions (Markdown allowed: `code`, *emphasis*), then run
 * `npm run docs`. Every input and output must have a description.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ACTION = resolve(ROOT, 'action.yml')
const README = resolve(ROOT, 'README.md')

interface ActionInput {
  description?: string
  required?: boolean | string
  default?: string | number | boolean
}
interface ActionOutput {
  description?: string
}
interface Action {
  name?: string
  description?: string
  branding?: { icon?: string; color?: string }
  inputs?: Record<string, ActionInput | null>
  outputs?: Record<string, ActionOutput | null>
}

/** One table cell: one line, `|` escaped (GFM needs it inside code spans too), `<` outside code spans escaped. */
function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .trim()
    .split(/(`[^`]*`)/)
    .map(part => (part.startsWith('`') ? part : part.replace(/</g, '&lt;')))
    .join('')
    .replace(/\|/g, '\\|')
}

const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``)

/** Problems that make action.yml unfit to publish: missing descriptions or branding. */
export function actionProblems(action: Action): string[] {
  const problems: string[] = []
  if (!action.name) problems.push('action.yml has no name')
  if (!action.description) problems.push('action.yml has no description')
  if (!action.branding?.icon || !action.branding?.color) problems.push('action.yml has no branding (icon and color) for the marketplace')
  for (const [kind, entries] of [
    ['input', action.inputs],
    ['output', action.outputs]
  ] as const) {
    for (const [name, entry] of Object.entries(entries ?? {})) {
      if (!entry?.description?.trim()) problems.push(`${kind} '${name}' has no description`)
    }
  }
  return problems
}

export function inputsTable(action: Action): string {
  const rows = Object.entries(action.inputs ?? {}).map(([name, input]) => {
    const required = input?.required === true || input?.required === 'true'
    const fallback = input?.default === undefined || input.default === '' ? (required ? '(required)' : '') : code(String(input.default))
    return `| ${code(name)} | ${cell(fallback)} | ${cell(input?.description ?? '')} |`
  })
  return ['| input | default | description |', '|---|---|---|', ...rows].join('\n')
}

export function outputsTable(action: Action): string {
  const rows = Object.entries(action.outputs ?? {}).map(([name, output]) => `| ${code(name)} | ${cell(output?.description ?? '')} |`)
  return ['| output | description |', '|---|---|', ...rows].join('\n')
}

/** Replaces what lies between `<!-- name:start -->` and `<!-- name:end -->` with `content`. */
export function replaceBetween(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < 0 || to < from) throw new Error(`README.md lacks the markers ${start} ... ${end}`)
  if (text.indexOf(start, from + 1) >= 0 || text.indexOf(end, to + 1) >= 0) throw new Error(`README.md has the markers ${start} ... ${end} more than once`)
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`
}

export function renderReadme(readme: string, action: Action): string {
  return replaceBetween(replaceBetween(readme, 'inputs', inputsTable(action)), 'outputs', outputsTable(action))
}

/** A line diff (longest common subsequence), `-` for the README's lines, `+` for the generated ones. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n')
  const b = after.split('\n')
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++
      j++
    } else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push(`README.md:${i + 1}: + ${b[j++]}`)
    } else {
      out.push(`README.md:${i + 1}: - ${a[i++]}`)
    }
  }
  return out
}

function main(): number {
  const check = process.argv.includes('--check')
  const action = parse(readFileSync(ACTION, 'utf8')) as Action
  const problems = actionProblems(action)
  if (problems.length > 0) {
    for (const problem of problems) console.error(`action.yml: ${problem}`)
    return 1
  }
  const readme = readFileSync(README, 'utf8')
  const fresh = renderReadme(readme, action)
  if (fresh === readme) {
    console.log(`README.md tables match action.yml (${Object.keys(action.inputs ?? {}).length} inputs, ${Object.keys(action.outputs ?? {}).length} outputs).`)
    return 0
  }
  if (!check) {
    writeFileSync(README, fresh)
    console.log('README.md: Inputs and Outputs tables rewritten from action.yml.')
    return 0
  }
  console.error('README.md is stale: its Inputs/Outputs tables differ from action.yml.')
  console.error('Edit the descriptions in action.yml (not the tables), then run `npm run docs` and commit README.md.\n')
  console.error(lineDiff(readme, fresh).join('\n'))
  return 1
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main()
