import { InputError } from '../util/errors.js'
import { GUID } from '../util/ids.js'

/** One thing to reload, named explicitly; an input may list several, one per line. */
export type Target = { kind: 'task-id'; taskId: string } | { kind: 'task-name'; taskName: string } | { kind: 'app-id'; appId: string } | { kind: 'app-name'; appName: string }

/** What a start is given once names are resolved (an app name becomes its app id). */
export type StartTarget = Exclude<Target, { kind: 'app-name' }>

/** A rule that selects tasks on the server: every task with the tag, or with the custom property value. */
export type Selector = { kind: 'task-tag'; tag: string } | { kind: 'task-custom-property'; name: string; value: string }

export interface TargetInputs {
  /** In the order of the inputs, then of their lines. */
  targets: Target[]
  selectors: Selector[]
  /** The stream `app-name` apps must be published to. */
  stream?: string
  /** One target named by one line, no selector: the single-target outputs apply. */
  single: boolean
}

const TARGET_INPUTS = ['task-id', 'task-name', 'app-id', 'app-name', 'task-tag', 'task-custom-property'] as const

/**
 * The target inputs combine: the targets are their union. One per line (names may contain commas);
 * the same line twice in one input is a mistake, the same task from two inputs is not.
 */
export function parseTargetInputs(get: (name: string) => string): TargetInputs {
  const given = TARGET_INPUTS.filter(name => get(name))
  if (given.length === 0) throw new InputError('task-id', `set at least one of ${TARGET_INPUTS.join(', ')}.`)
  const targets: Target[] = []
  const selectors: Selector[] = []
  for (const input of given) {
    const seen = new Set<string>()
    for (const line of lines(get(input))) {
      // Task and app names: the exact spelling wins when several match, so only the same spelling is a repeat.
      const key = input === 'task-name' || input === 'app-name' ? line : line.toLowerCase()
      if (seen.has(key)) throw new InputError(input, `lists '${line}' twice.`)
      seen.add(key)
      if (input === 'task-name') targets.push({ kind: 'task-name', taskName: line })
      else if (input === 'app-name') targets.push({ kind: 'app-name', appName: line })
      else if (input === 'task-tag') selectors.push({ kind: 'task-tag', tag: line })
      else if (input === 'task-custom-property') selectors.push(parseProperty(line))
      else {
        if (!GUID.test(line)) throw new InputError(input, `'${line}' is not a GUID (e.g. 0d815a2b-4d6c-4f7e-9a6b-1b2c3d4e5f60).`)
        targets.push(input === 'app-id' ? { kind: 'app-id', appId: line.toLowerCase() } : { kind: 'task-id', taskId: line.toLowerCase() })
      }
    }
  }
  const stream = get('stream') || undefined
  if (stream && !get('app-name')) throw new InputError('stream', 'only applies to app-name: set app-name too, or remove stream.')
  if (stream?.includes('\n')) throw new InputError('stream', 'takes one stream name.')
  return { targets, selectors, stream, single: targets.length === 1 && selectors.length === 0 }
}

/** `Name=Value`; the name cannot contain `=`, the value may (split at the first one). */
function parseProperty(line: string): Selector {
  const at = line.indexOf('=')
  const name = at < 0 ? '' : line.slice(0, at).trim()
  const value = at < 0 ? '' : line.slice(at + 1).trim()
  if (!name || !value) throw new InputError('task-custom-property', `'${line}' is not Name=Value (e.g. ReloadGroup=Finance).`)
  return { kind: 'task-custom-property', name, value }
}

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(Boolean)
}

/** How a selector reads in messages: "task-tag 'Nightly Finance'". */
export function describeSelector(selector: Selector): string {
  return selector.kind === 'task-tag' ? `task-tag '${selector.tag}'` : `task-custom-property '${selector.name}=${selector.value}'`
}

export function parseMaxTargets(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) throw new InputError('max-targets', `'${value}' is not a whole number from 1 to 1000.`)
  return Number(value)
}
