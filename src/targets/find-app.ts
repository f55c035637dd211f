import type { QrsApi } from '../qrs/api.js'
import { eqText } from '../qrs/filter.js'
import type { App } from '../qrs/types.js'
import { ReloadError } from '../util/errors.js'
import { sameText } from '../util/ids.js'

/**
 * The one app with this name (and, with `stream`, published to that stream). App names are not
 * unique: the same name in two streams, or copies in work areas, is refused with every match listed,
 * never guessed.
 */
export async function findApp(api: QrsApi, name: string, stream?: string): Promise<App> {
  // The QRS compares case-insensitively; the exact spelling wins when it is among them.
  const named = (await api.apps(eqText('name', name))).filter(app => sameText(app.name, name))
  const exact = named.filter(app => app.name === name)
  const all = exact.length > 0 ? exact : named
  if (all.length === 0) throw new ReloadError(`No app named '${name}' is visible to this user: check the name (QMC > Apps) and the user's read rights.`)
  const candidates = stream ? all.filter(app => app.published && sameText(app.stream?.name, stream)) : all
  if (candidates.length === 1) return candidates[0]
  if (candidates.length === 0) {
    throw new ReloadError(`No app named '${name}' is published to the stream '${stream}'. The name matches ${list(all)}. Check stream, or use app-id.`)
  }
  const where = stream ? ` in the stream '${stream}'` : ''
  throw new ReloadError(`The app name '${name}' matches ${candidates.length} apps${where}: ${list(candidates)}. Set stream to pick the published one, or use app-id.`)
}

/** "<id> (stream 'Finance', owner INTERNAL\sa_repository)" per app. */
function list(apps: App[]): string {
  return apps
    .map(app => {
      const owner = app.owner ? `${app.owner.userDirectory}\\${app.owner.userId}` : 'owner not known'
      const place = app.published && app.stream ? `stream '${app.stream.name}'` : 'not published (a work area)'
      return `${app.id} (${place}, owner ${owner})`
    })
    .join('; ')
}
