import type { Settings } from '../settings/settings.js'
import { describeSelector, type Selector, type StartTarget, type Target } from '../inputs/parse-targets.js'
import type { QrsApi } from '../qrs/api.js'
import { eqText } from '../qrs/filter.js'
import { asExternalPrograms, type App, type ReloadTask } from '../qrs/types.js'
import { ReloadError } from '../util/errors.js'
import { findTasks, type TaskTarget } from '../reload/find-task.js'
import type { Resolved, TargetRun } from '../report/target-run.js'
import { printUntrusted } from '../output/untrusted.js'
import type { Log } from '../toolkit/toolkit.js'
import { findApp } from './find-app.js'
import { sameText } from '../util/ids.js'

/** The targets, resolved and checked; `failure` says why none may start (then nothing starts). */
export interface Selection {
  runs: TargetRun[]
  failure?: string
}

/**
 * Resolves every target before anything starts: named ones in the order given, then each selector's
 * matches by name. Each task (and app) once. A lookup that fails, a selector that matches nothing and a
 * selection above max-targets fail the whole selection. Server trouble is thrown.
 */
export async function selectTargets(api: QrsApi, settings: Settings, log: Pick<Log, 'info'>): Promise<Selection> {
  const runs: TargetRun[] = []
  const problems: string[] = []
  const seen = new Set<string>()
  const counts: string[] = []
  const add = (resolved: Resolved): void => {
    const key = resolved.taskId ? `task:${resolved.taskId.toLowerCase()}` : `app:${resolved.appId!.toLowerCase()}`
    if (seen.has(key)) return
    seen.add(key)
    runs.push(newRun(resolved))
  }
  // The named tasks in one lookup (or a few, by the URL budget), not one each: a step of 25 targets asks once.
  const named = settings.targets.flatMap((target): TaskTarget[] =>
    target.kind === 'task-id' ? [{ taskId: target.taskId }] : target.kind === 'task-name' ? [{ taskName: target.taskName }] : []
  )
  const found = named.length > 0 ? await findTasks(api, named) : []
  let next = 0
  for (const target of settings.targets) {
    try {
      if (target.kind === 'task-id' || target.kind === 'task-name') {
        const task = found[next++]
        if (task instanceof ReloadError) throw task
        add(fromTask(task, target.kind))
      } else add(await resolveApp(api, target, settings.stream))
    } catch (error) {
      if (!(error instanceof ReloadError)) throw error
      problems.push(error.message)
      runs.push({ ...newRun(unresolved(target)), error: error.message })
    }
  }
  if (settings.targets.length > 0) counts.push(`${settings.targets.length} named (${namedInputs(settings.targets)})`)
  for (const selector of settings.selectors) {
    const tasks = await selectTasks(api, selector)
    counts.push(`${describeSelector(selector)} matched ${tasks.length}`)
    if (tasks.length === 0) problems.push(await nothingMatched(api, selector))
    for (const task of tasks) add(fromTask(task, describeSelector(selector)))
  }
  for (const run of runs)
    printUntrusted(log, `${run.label}${run.resolved?.taskId && run.resolved.taskName ? ` (${run.resolved.taskId})` : ''}: ${run.error ?? `selected by ${run.resolved?.from}`}`)
  if (problems.length > 0) return { runs, failure: problems.join('\n') }
  if (runs.length > settings.maxTargets) {
    const failure = `The selection has ${runs.length} targets, more than max-targets (${settings.maxTargets}): ${counts.join(', ')}. Nothing was started: check the tags and custom properties, or raise max-targets.`
    return { runs, failure }
  }
  return { runs }
}

function newRun(resolved: Resolved): TargetRun {
  const target: StartTarget = resolved.taskId ? { kind: 'task-id', taskId: resolved.taskId } : { kind: 'app-id', appId: resolved.appId! }
  return { target, label: labelOf(resolved), resolved, success: false }
}

function labelOf(resolved: Resolved): string {
  if (resolved.taskName) return resolved.taskName
  if (resolved.appName) return `app '${resolved.appName}'`
  return resolved.taskId ? `task ${resolved.taskId}` : `app ${resolved.appId}`
}

/** An app target (the named tasks are looked up together, above). */
async function resolveApp(api: QrsApi, target: Extract<Target, { kind: 'app-id' | 'app-name' }>, stream?: string): Promise<Resolved> {
  if (target.kind === 'app-id') {
    const app = await api.app(target.appId)
    if (!app) throw new ReloadError(`No app with id ${target.appId} is visible to this user: check the id (QMC > Apps) and the user's read rights.`)
    return fromApp(app, 'app-id')
  }
  return fromApp(await findApp(api, target.appName, stream), 'app-name')
}

/** What is known of a target whose lookup failed: what it was given. */
function unresolved(target: Target): Resolved {
  if (target.kind === 'task-id') return { taskId: target.taskId, from: 'task-id' }
  if (target.kind === 'task-name') return { taskName: target.taskName, from: 'task-name' }
  if (target.kind === 'app-id') return { appId: target.appId, from: 'app-id' }
  return { appName: target.appName, from: 'app-name' }
}

function fromTask(task: ReloadTask, from: string): Resolved {
  return { taskId: task.id, taskName: task.name, appId: task.app?.id, appName: task.app?.name, from, task, lookedUpAt: performance.now() }
}

function fromApp(app: App, from: string): Resolved {
  return { appId: app.id, appName: app.name, stream: app.published && app.stream ? app.stream.name : null, from, app }
}

function namedInputs(targets: Target[]): string {
  return [...new Set(targets.map(target => target.kind))].join(', ')
}

/**
 * Tasks of both kinds the selector matches. The QRS evaluates each condition on a collection on its
 * own (`customProperties.definition.name eq 'A' and customProperties.value eq 'B'` also matches a task
 * whose 'B' belongs to another property), so the answer is checked again here, value by value.
 */
async function selectTasks(api: QrsApi, selector: Selector): Promise<ReloadTask[]> {
  const filter =
    selector.kind === 'task-tag'
      ? eqText('tags.name', selector.tag)
      : `${eqText('customProperties.definition.name', selector.name)} and ${eqText('customProperties.value', selector.value)}`
  const reload = await api.reloadTasks(filter)
  const program = asExternalPrograms(await api.externalProgramTasks(filter))
  const matches = (task: ReloadTask): boolean =>
    selector.kind === 'task-tag'
      ? (task.tags ?? []).some(tag => sameText(tag.name, selector.tag))
      : (task.customProperties ?? []).some(cp => sameText(cp.definition?.name, selector.name) && sameText(cp.value, selector.value))
  return [...reload, ...program].filter(matches).sort(byName)
}

function byName(a: ReloadTask, b: ReloadTask): number {
  return a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }) || a.name.localeCompare(b.name, 'en') || a.id.localeCompare(b.id)
}

/** "No task has the tag 'X'", and whether the tag (or property) exists at all: a typo reads differently from an empty tag. */
async function nothingMatched(api: QrsApi, selector: Selector): Promise<string> {
  if (selector.kind === 'task-tag') {
    const exists = (await api.tags(eqText('name', selector.tag))).length > 0
    const why = exists ? 'the tag exists, but no reload or external program task this user can see carries it' : 'no tag of that name exists: check the spelling (QMC > Tags)'
    return `No task has the tag '${selector.tag}' (${why}).`
  }
  const exists = (await api.customPropertyDefinitions(eqText('name', selector.name))).length > 0
  const why = exists
    ? `no reload or external program task this user can see has '${selector.name}' set to '${selector.value}'`
    : 'no custom property of that name exists: check the spelling (QMC > Custom properties)'
  return `No task has the custom property '${selector.name}' = '${selector.value}' (${why}).`
}
