import { expect } from '@jest/globals'
import { existsSync, readFileSync, statSync } from 'node:fs'
import type { Simulator } from '../../simulator/src/index.js'
import type { ActionRun } from './local-runner.js'

/** Inputs whose whole value is a secret. */
const SECRET_INPUTS = ['password', 'client-key-passphrase', 'header-value', 'jwt'] as const
/** Inputs that hold a private key (PEM text or a file path): every body line is a secret. */
const KEY_INPUTS = ['client-key', 'jwt-private-key'] as const
/** The runner masks line by line; shorter lines are too common to be masked (or checked) usefully. */
const MIN_KEY_LINE = 8

/** The body lines of a key given as PEM text (literal `\n` sequences included) or as the path of a file. */
export function keyLines(value: string): string[] {
  let text = value
  if (!value.includes('-----BEGIN')) {
    const path = value.trim()
    if (!path || !existsSync(path) || !statSync(path).isFile()) return []
    text = readFileSync(path, 'utf8')
  }
  if (!text.includes('\n') && text.includes('\\n')) text = text.replace(/\\n/g, '\n')
  return (
    text
      .split(/\r?\n/)
      .map(line => line.trim())
      // Armour lines and the headers of a traditional encrypted PEM (Proc-Type:, DEK-Info:) are not secret.
      .filter(line => line.length >= MIN_KEY_LINE && !line.startsWith('-----') && !/^[A-Za-z-]+: /.test(line))
  )
}

/** Every secret value among the inputs of one run, plus `extra` (session cookies, minted tokens). */
export function secretValues(inputs: Record<string, string>, extra: string[] = []): string[] {
  const secrets: string[] = []
  for (const name of SECRET_INPUTS) {
    const value = inputs[name]
    if (value === undefined || value === '') continue
    // A header-auth user id is an identity, not a password: short ones are not masked (they would blank ordinary words).
    if (name === 'header-value' && value.trim().length < MIN_KEY_LINE) continue
    secrets.push(value)
    // The runner trims most inputs: the trimmed value must not show either.
    if (value.trim() && value.trim() !== value) secrets.push(value.trim())
  }
  for (const name of KEY_INPUTS) if (inputs[name]) secrets.push(...keyLines(inputs[name]))
  secrets.push(...extra.filter(Boolean))
  return [...new Set(secrets)]
}

/** What a user of the workflow sees, by place: the runner swallows `::add-mask::` lines, nothing else. */
export function visibleParts(run: ActionRun): Record<string, string> {
  const parts: Record<string, string> = {
    stdout: run.stdout
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n'),
    stderr: run.stderr,
    summary: run.summary,
    // GITHUB_STATE travels to the post step and can end up in its log: nothing secret belongs there.
    state: Object.entries(run.state)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n')
  }
  for (const [name, value] of Object.entries(run.outputs)) parts[`output ${name}`] = value
  return parts
}

/**
 * Fails when any secret of the run's inputs (or `extra`) occurs in what a user sees: stdout (without
 * `::add-mask::` lines), stderr, every output value, the step summary, the GITHUB_STATE file.
 * Returns the secrets it looked for, so a test can check that there were some.
 */
export function expectNoLeaks(run: ActionRun, inputs: Record<string, string>, extra: string[] = []): string[] {
  const secrets = secretValues(inputs, extra)
  const parts = visibleParts(run)
  const leaks: string[] = []
  for (const secret of secrets) {
    for (const [place, text] of Object.entries(parts)) {
      // Runner commands escape %, CR and LF: look for the escaped form too.
      const escaped = secret.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
      if (text.includes(secret) || (escaped !== secret && text.includes(escaped))) leaks.push(`${place}: ${describe(secret)}`)
    }
  }
  expect(leaks).toEqual([])
  return secrets
}

/** Enough of a secret to find it in the test, not the whole thing. */
function describe(secret: string): string {
  return secret.length <= 12 ? `'${secret}'` : `'${secret.slice(0, 6)}…${secret.slice(-4)}' (${secret.length} chars)`
}

/** The raw request headers of the proxy's recorded requests at or after `since`. */
function headerValues(sim: Simulator, since: number, name: string): string[] {
  return sim.requests
    .filter(r => r.time >= since)
    .flatMap(r => {
      const value = r.headers[name]
      return value === undefined ? [] : Array.isArray(value) ? value : [value]
    })
}

/**
 * The session cookie values the simulator's proxy handed out, as the client sent them back: the
 * simulator records requests, not responses, so they come from the `cookie` request headers
 * (`name=value; name2=value2`) recorded at or after `since`.
 */
export function cookieValues(sim: Simulator, since: number): string[] {
  const values = headerValues(sim, since, 'cookie').flatMap(header =>
    header
      .split(';')
      .map(pair => pair.trim())
      .filter(pair => pair.indexOf('=') > 0)
      .map(pair => pair.slice(pair.indexOf('=') + 1).trim())
  )
  return [...new Set(values.filter(Boolean))]
}

/** The bearer tokens the client sent at or after `since` (minted JWTs are secrets that are no input). */
export function bearerTokens(sim: Simulator, since: number): string[] {
  const tokens = headerValues(sim, since, 'authorization')
    .map(header => /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1])
    .filter((token): token is string => Boolean(token))
  return [...new Set(tokens)]
}

/**
 * The qlikTickets the proxy handed out, as the client redeemed them (`qlikTicket=` in the query of
 * requests at or after `since`): one-time credentials for a session as the service account.
 */
export function ticketValues(sim: Simulator, since: number): string[] {
  const tickets = sim.requests.filter(r => r.time >= since).flatMap(r => [...r.query.matchAll(/(?:^|&)qlikTicket=([^&]+)/gi)].map(m => decodeURIComponent(m[1])))
  return [...new Set(tickets)]
}
