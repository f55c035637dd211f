/** A Qlik user as the QRS names one: its user directory ('' when not known) and user id. */
export interface QlikUser {
  directory: string
  userId: string
}

/**
 * Reads `DIRECTORY\userId` (how an execution session's `user` reads) or the `X-Qlik-User` form
 * `UserDirectory=INTERNAL; UserId=sa_api` (parts in any order and case, spaces optional).
 */
export function parseUser(text: string): QlikUser {
  const part = (key: string): string | undefined => new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*([^;]*)`, 'i').exec(text)?.[1]?.trim()
  const userId = part('UserId')
  if (userId !== undefined) return { directory: part('UserDirectory') ?? '', userId }
  const slash = text.lastIndexOf('\\')
  return { directory: text.slice(0, Math.max(0, slash)).trim(), userId: text.slice(slash + 1).trim() }
}

/** `DIRECTORY\userId`; `\userId` when the directory is not known. */
export function formatUser({ directory, userId }: QlikUser): string {
  return `${directory}\\${userId}`
}
