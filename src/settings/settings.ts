import { AUTH_TYPES, readAuth, type AuthSettings, type AuthType } from '../auth/index.js'
import { GAP_BOUNDS, parseDuration, TIMEOUT_BOUNDS } from '../inputs/duration.js'
import { parseSize } from '../inputs/size.js'
import { parseMaxTargets, parseTargetInputs, type Selector, type Target } from '../inputs/parse-targets.js'
import { parseCertificates, readPem } from '../inputs/pem.js'
import { headerValue, parseBoolean, parseChoice, parseCount } from '../inputs/values.js'
import { InputError } from '../util/errors.js'
import { readEngineSettings, type EngineSettings } from './engine.js'

/** Reads one input by its action.yml name; `core.getInput` in production, a map in tests. */
export type InputReader = (name: string, options?: { trim: boolean }) => string

const IF_RUNNING_MODES = ['wait', 'attach', 'fail'] as const
/** What to do when the task is already running: wait for it then start afresh, report that run, or fail. */
export type IfRunning = (typeof IF_RUNNING_MODES)[number]

const SCRIPT_LOG_MODES = ['on-failure', 'always', 'never'] as const
/** When to print the script log in the step log. */
type ScriptLogMode = (typeof SCRIPT_LOG_MODES)[number]

/** script-log-max-size: room for a useful head and tail, at most what a runner's disk takes. */
const SCRIPT_LOG_SIZE = { min: 1024, max: 64 * 1024 ** 3 }

/** Where to listen for the QRS's callbacks: `notify-listen` (host:port). */
export interface ListenAddress {
  host: string
  port: number
}

/** Everything the action needs, checked and typed, before the first request. */
export interface Settings extends EngineSettings {
  /** QRS base: `https://host:4242` for certificates, the proxy URL with the virtual proxy prefix otherwise. */
  url: URL
  /** auth-type and what it signs in with (auth/<type>.ts reads each type's inputs). */
  auth: AuthSettings
  /** PEM bundle that replaces the system CA store (QMC's root.pem). */
  caCert?: string
  /** Host name to check the server certificate against instead of the URL's host. */
  tlsServerName?: string
  /** Skip server certificate verification entirely (warned about loudly). */
  insecureSkipTlsVerify: boolean
  /** Must contain the virtual proxy's Windows authentication pattern for NTLM. */
  userAgent: string
  /** Named targets (one per line of task-id, task-name, app-id, app-name; names may contain commas). */
  targets: Target[]
  /** task-tag and task-custom-property lines: they select tasks on the server. */
  selectors: Selector[]
  /** The stream app-name apps must be published to. */
  stream?: string
  /** One named target and no selector: the single-target outputs apply, `result` is one object. */
  singleTarget: boolean
  /** Resolve and check every target, print the plan, start nothing. */
  dryRun: boolean
  /** A selection larger than this fails before anything starts. */
  maxTargets: number
  /** How many of the targets run at once (Qlik's default "max concurrent reloads" per node is 4). */
  maxParallel: number
  /** Stop everything (not started: skipped; running: stopped if stop-on-cancel) once one target fails. */
  failFast: boolean
  /** Follow the task chain (composite events) each reload sets off, and wait for it. */
  waitForChain: boolean
  /** A failure inside the chain fails the step, or only warns. */
  chainFailure: 'fail' | 'warn'
  /** false: start the reload, set the outputs and succeed without waiting. */
  wait: boolean
  /** How long to wait for the reload to end. */
  timeoutMs: number
  /** Upper bound for the gap between two status polls. */
  maxPollIntervalMs: number
  /** How long one request may go without an answer before it counts as failed (and GETs are retried). */
  requestTimeoutMs: number
  /** Print the script log: on failure (default), always or never. */
  scriptLog: ScriptLogMode
  /** The saved script log keeps at most this many bytes: its head and its tail. */
  scriptLogMaxBytes: number
  /** The task is already running: wait for it and start afresh (default), attach to it, or fail. */
  ifRunning: IfRunning
  /** Stop the Qlik task when `timeout` passes. */
  stopOnTimeout: boolean
  /** Stop the Qlik task when the job is cancelled. */
  stopOnCancel: boolean
  /** Push wake-ups: where to listen for the QRS's callbacks and the URL the QRS should call. */
  notify?: { listen: ListenAddress; url: URL }
  /** Values to mask in the log (key lines, passphrases). */
  secrets: string[]
}

/** Defaults, the same as action.yml's: a hand-made `node dist/index.js` run gets no defaults from the runner. */
export const DEFAULTS = {
  'qlik-user': 'UserDirectory=INTERNAL; UserId=sa_api',
  'user-agent': 'qlik-sense-reload (Windows)',
  'insecure-skip-tls-verify': 'false',
  wait: 'true',
  timeout: '60m',
  'max-poll-interval': '15s',
  'request-timeout': '30s',
  'script-log': 'on-failure',
  'script-log-max-size': '100MB',
  'if-running': 'wait',
  'max-parallel': '4',
  'fail-fast': 'false',
  'dry-run': 'false',
  'max-targets': '25',
  'wait-for-chain': 'false',
  'chain-failure': 'fail',
  'stop-on-timeout': 'true',
  'stop-on-cancel': 'true',
  'jwt-algorithm': 'RS256',
  'jwt-user-id-claim': 'userId',
  'jwt-user-directory-claim': 'userDirectory',
  'reload-mode': 'task',
  partial: 'false'
} as const

export function getSettings(read: InputReader): Settings {
  const get = (name: string): string => (read(name) ?? '').trim() || (DEFAULTS as Record<string, string>)[name] || ''
  // Passwords keep leading and trailing spaces.
  const raw = (name: string): string => read(name, { trim: false }) ?? ''
  const secrets: string[] = []

  const url = parseUrl(get('url'))
  const authType = parseAuthType(get('auth-type'))
  const { targets, selectors, stream, single } = parseTargetInputs(get)
  const auth = readAuth(authType, { get, raw, secrets })
  const caCert = get('ca-cert') ? readPem('ca-cert', get('ca-cert')) : undefined
  if (caCert) parseCertificates('ca-cert', caCert)

  const wait = parseBoolean('wait', get('wait'))
  const waitForChain = parseBoolean('wait-for-chain', get('wait-for-chain'))
  const ifRunning = parseChoice('if-running', get('if-running'), IF_RUNNING_MODES)
  const stopOnTimeout = parseBoolean('stop-on-timeout', get('stop-on-timeout'))
  const stopOnCancel = parseBoolean('stop-on-cancel', get('stop-on-cancel'))
  const engine = readEngineSettings(get, { url, certificateAuth: authType === 'certificate', targets, selectors, wait, waitForChain, ifRunning, stopOnTimeout, stopOnCancel })

  return {
    ...engine,
    url,
    auth,
    caCert,
    tlsServerName: parseServerName(get('tls-server-name')),
    insecureSkipTlsVerify: parseBoolean('insecure-skip-tls-verify', get('insecure-skip-tls-verify')),
    userAgent: headerValue('user-agent', get('user-agent')),
    targets,
    selectors,
    stream,
    singleTarget: single,
    dryRun: parseBoolean('dry-run', get('dry-run')),
    maxTargets: parseMaxTargets(get('max-targets')),
    maxParallel: parseCount('max-parallel', get('max-parallel')),
    failFast: parseBoolean('fail-fast', get('fail-fast')),
    waitForChain,
    chainFailure: parseChoice('chain-failure', get('chain-failure'), ['fail', 'warn'] as const),
    wait,
    timeoutMs: parseDuration('timeout', get('timeout'), TIMEOUT_BOUNDS),
    maxPollIntervalMs: parseDuration('max-poll-interval', get('max-poll-interval'), GAP_BOUNDS),
    requestTimeoutMs: parseDuration('request-timeout', get('request-timeout'), GAP_BOUNDS),
    scriptLog: parseChoice('script-log', get('script-log'), SCRIPT_LOG_MODES),
    scriptLogMaxBytes: parseSize('script-log-max-size', get('script-log-max-size'), SCRIPT_LOG_SIZE),
    ifRunning,
    stopOnTimeout,
    stopOnCancel,
    notify: parseNotify(get('notify-listen'), get('notify-url')),
    secrets
  }
}

function parseUrl(value: string): URL {
  if (!value) throw new InputError('url', 'is required (e.g. https://qliksrv01.corp.example:4242).')
  // Credentials in the URL (`https://user:password@host`): refused before parsing, and never echoed. A
  // password may hold any character, `/`, `?`, `#` and `@` too, so nothing before the last `@` can be shown.
  if (value.includes('@')) throw new InputError('url', 'must not contain a user name or password (it holds an @): leave them out and use the auth inputs.')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError('url', `'${value}' is not a URL (e.g. https://qliksrv01.corp.example:4242).`)
  }
  if (url.protocol !== 'https:') throw new InputError('url', `must start with https:// (got ${url.protocol}//).`)
  if (url.search || url.hash) throw new InputError('url', 'must not contain a query or fragment.')
  if (/\/qrs(\/|$)/i.test(url.pathname)) {
    throw new InputError('url', `must end before /qrs (e.g. https://${url.host}${url.pathname.replace(/\/qrs.*$/i, '')}).`)
  }
  return url
}

function parseAuthType(value: string): AuthType {
  if (!value) throw new InputError('auth-type', `is required: one of ${AUTH_TYPES.join(', ')}.`)
  const type = value.toLowerCase()
  if (!(AUTH_TYPES as readonly string[]).includes(type)) {
    throw new InputError('auth-type', `'${value}' is not one of ${AUTH_TYPES.join(', ')}.`)
  }
  return type as AuthType
}

function parseNotify(listen: string, url: string): { listen: ListenAddress; url: URL } | undefined {
  if (!listen && !url) return undefined
  if (!listen) throw new InputError('notify-listen', 'is required with notify-url (host:port to listen on, e.g. 0.0.0.0:8765).')
  if (!url) throw new InputError('notify-url', 'is required with notify-listen (the URL the Qlik server calls, e.g. http://runner01.corp.example:8765/qlik-notify).')
  const match = /^(.*):(\d{1,5})$/.exec(listen)
  const port = match ? Number(match[2]) : NaN
  if (!match || port < 1 || port > 65535) throw new InputError('notify-listen', `'${listen}' is not host:port (e.g. 0.0.0.0:8765 or :8765).`)
  let callback: URL
  try {
    callback = new URL(url)
  } catch {
    throw new InputError('notify-url', `'${url}' is not a URL (e.g. http://runner01.corp.example:8765/qlik-notify).`)
  }
  // The listener speaks plain HTTP: an https:// URL would have the QRS fail every callback.
  if (callback.protocol !== 'http:') throw new InputError('notify-url', `must be an http:// URL (got ${callback.protocol}//): the step's listener speaks plain HTTP.`)
  return { listen: { host: match[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port }, url: callback }
}

function parseServerName(value: string): string | undefined {
  if (!value) return undefined
  if (!/^[A-Za-z0-9.-]+$/.test(value) && !/^[0-9a-f:]+$/i.test(value)) {
    throw new InputError('tls-server-name', `'${value}' is not a host name (e.g. qliksrv01.corp.example).`)
  }
  return value
}
