import type { Log } from '../toolkit/toolkit.js'

/** Where secrets are registered: the runner masks them in the log from then on. */
type Secrets = Pick<Log, 'setSecret'>

/**
 * Shorter values are not registered as secrets: the runner blanks every occurrence, and a short
 * value (a header-auth user id such as `sa`, a load balancer's `ROUTEID=.1`) blanks ordinary words.
 */
export const MIN_MASKED_LENGTH = 8

/**
 * Registers a secret the action derived (ticket, session cookie, minted token) the moment it
 * exists. The runner masks line by line: a multi-line value is registered line by line too.
 */
export function maskDerived(secrets: Secrets, value: string | undefined): void {
  if (!value) return
  if (value.length >= MIN_MASKED_LENGTH) secrets.setSecret(value)
  for (const line of value.split(/\r?\n/)) if (line !== value && line.trim().length >= MIN_MASKED_LENGTH) secrets.setSecret(line.trim())
}

/** The qlikTicket of a proxy redirect, masked as soon as the Location is read (a one-time sign-in as the service account). */
export function maskTicket(secrets: Secrets, location: string | string[] | undefined): void {
  for (const value of Array.isArray(location) ? location : location ? [location] : []) {
    for (const match of value.matchAll(/[?&]qlikTicket=([^&#\s]+)/gi)) {
      maskDerived(secrets, match[1])
      // The ticket may travel percent-decoded too.
      maskDerived(secrets, safeDecode(match[1]))
    }
  }
}

/** Every URL and path in `text` without its query: the xrfkey and a qlikTicket live there. */
export function withoutQuery(text: string): string {
  return text.replace(/((?:https?:\/\/|\/)[^\s?#'"]*)\?[^\s'")]*/gi, '$1?…')
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
