import type { IncomingMessage } from 'node:http'
import { getParam, type QueryParam } from './query.js'
import type { ScenarioUser } from './scenario.js'

export const xsrfMessage = 'XSRF prevention check failed. Possible XSRF discovered.'
const xrfkeyPattern = /^[0-9A-Za-z]{16}$/

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** The query key (any case) and the X-Qlik-Xrfkey header must be equal and 16 alphanumerics. */
export function xrfkeyOk(req: IncomingMessage, params: QueryParam[]): boolean {
  const fromQuery = getParam(params, 'xrfkey')
  const fromHeader = header(req, 'x-qlik-xrfkey')
  return fromQuery !== undefined && fromQuery === fromHeader && xrfkeyPattern.test(fromQuery)
}

export const inactiveMessage = 'Your account is inactive. Contact your administrator to activate it.'

/** The scenario entry for a user (directory and id compared case-insensitively). */
export function findUser(users: ScenarioUser[], user: QlikUser): ScenarioUser | undefined {
  const dir = user.userDirectory.toLowerCase()
  const id = user.userId.toLowerCase()
  return users.find((u) => u.directory.toLowerCase() === dir && u.id.toLowerCase() === id)
}

export interface QlikUser {
  userDirectory: string
  userId: string
}

export type UserCheck = { ok: true; user: QlikUser } | { ok: false; message: string }

/** Without X-Qlik-User the certificate's caller acts as the service account (full admin). */
const serviceAccount: QlikUser = { userDirectory: 'INTERNAL', userId: 'sa_repository' }

/**
 * `UserDirectory=INTERNAL; UserId=sa_api`: `;` separated, spaces optional, keys in any case.
 * Anything else is refused with 403 (a simulator choice: the real answer is not documented).
 */
export function checkUser(req: IncomingMessage, users: ScenarioUser[]): UserCheck {
  const raw = header(req, 'x-qlik-user')
  if (raw === undefined) return { ok: true, user: serviceAccount }
  const malformed: UserCheck = {
    ok: false,
    message: `The X-Qlik-User header is malformed: "${raw}". Expected "UserDirectory=<directory>; UserId=<id>".`
  }
  let directory: string | undefined
  let id: string | undefined
  for (const part of raw.split(';')) {
    if (part.trim() === '') continue
    const eq = part.indexOf('=')
    if (eq < 0) return malformed
    const key = part.slice(0, eq).trim().toLowerCase()
    const value = part.slice(eq + 1).trim()
    if (key === 'userdirectory' && directory === undefined) directory = value
    else if (key === 'userid' && id === undefined) id = value
    else return malformed
  }
  if (!directory || !id || /[=:;]/.test(directory) || /[=:;]/.test(id)) return malformed
  const known = findUser(users, { userDirectory: directory, userId: id })
  if (known?.inactive) return { ok: false, message: inactiveMessage }
  return { ok: true, user: { userDirectory: known?.directory ?? directory, userId: known?.id ?? id } }
}
