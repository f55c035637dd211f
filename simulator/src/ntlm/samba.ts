/**
 * NTLM verifier backed by Samba: each exchange is one `ntlm_auth --helper-protocol=squid-2.5-ntlmssp`
 * process, so the Type2 and the verdict come from Samba (winbindd + a local passdb), not from our code.
 * Needs the standalone Samba set up by `simulator/samba/setup.sh` and root (ntlm_auth reaches
 * winbindd's privileged pipe for the Type3 check).
 *
 * Line protocol (one request line, one reply line):
 *   YR <type1 b64>  ->  TT <type2 b64>
 *   KK <type3 b64>  ->  AF <DOMAIN\user> | NA <reason> | BH <reason>
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { NtlmExchange, NtlmVerdict, NtlmVerifier } from './verifier.js'

export interface SambaVerifierOptions {
  /** The smb.conf written by setup.sh (QSR_SAMBA_CONF). */
  conf: string
  /** The helper binary. Default 'ntlm_auth'. */
  helper?: string
  /** How long one request may wait for the helper's reply. Default 10 s. */
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 10_000
/** Keep this much of the helper's stderr for error messages (it logs at the conf's level). */
const STDERR_KEEP = 4096

/** `winbind separator` from the conf (default `\`), used to split the AF user. */
function winbindSeparator(conf: string): string {
  try {
    const m = /^\s*winbind separator\s*=\s*(\S)/im.exec(readFileSync(conf, 'utf8'))
    if (m?.[1]) return m[1]
  } catch {
    // unreadable conf: the helper itself will complain
  }
  return '\\'
}

/** `DOMAIN\user` (or with the configured separator, or `+`) -> parts; a bare name has domain ''. */
export function splitAccount(account: string, separator = '\\'): { user: string; domain: string } {
  for (const sep of [separator, '\\', '+']) {
    const i = account.indexOf(sep)
    if (i > 0) return { domain: account.slice(0, i), user: account.slice(i + 1) }
  }
  return { domain: '', user: account }
}

class SambaExchange implements NtlmExchange {
  private readonly proc: ChildProcessWithoutNullStreams
  private buffered = ''
  private stderrTail = ''
  private dead: Error | undefined
  private closed = false
  private pending: { resolve: (line: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout } | undefined
  private readonly exited: Promise<void>

  constructor(
    helper: string,
    conf: string,
    private readonly timeoutMs: number,
    private readonly separator: string,
    private readonly onClose: (ex: SambaExchange) => void
  ) {
    this.proc = spawn(helper, ['--helper-protocol=squid-2.5-ntlmssp', `--configfile=${conf}`], {
      stdio: ['pipe', 'pipe', 'pipe']
    })
    this.exited = new Promise<void>((resolve) => {
      this.proc.once('close', () => resolve())
      // 'close' never comes if the spawn itself failed
      this.proc.once('error', () => resolve())
    })
    this.proc.stdout.setEncoding('utf8')
    this.proc.stdout.on('data', (chunk: string) => this.onStdout(chunk))
    this.proc.stderr.setEncoding('utf8')
    this.proc.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEEP)
    })
    // EPIPE when the helper died between our check and the write: reported via 'close'.
    this.proc.stdin.on('error', () => {})
    this.proc.once('error', (err) => this.fail(new Error(`${helper}: ${err.message}`)))
    // 'close', not 'exit': only then has all of its stderr been read.
    this.proc.once('close', (code, signal) => {
      const how = signal ? `signal ${signal}` : `code ${code}`
      const tail = this.stderrTail.trim().split('\n').slice(-5).join(' | ')
      this.fail(new Error(`${helper} exited (${how})${tail ? `: ${tail}` : ''}`))
    })
  }

  /** The helper's process id (it appears in Samba's auth log lines as `ntlm_auth, <pid>`). */
  get pid(): number | undefined {
    return this.proc.pid
  }

  async challenge(type1: Buffer): Promise<Buffer> {
    const reply = await this.request(`YR ${type1.toString('base64')}`)
    const [code, arg] = splitReply(reply)
    if (code === 'TT' && arg) return Buffer.from(arg, 'base64')
    throw new Error(`ntlm_auth did not return a challenge: ${reply}`)
  }

  async authenticate(type3: Buffer): Promise<NtlmVerdict> {
    const reply = await this.request(`KK ${type3.toString('base64')}`)
    const [code, arg] = splitReply(reply)
    switch (code) {
      case 'AF':
        return { ok: true, ...splitAccount(arg, this.separator) }
      case 'NA':
        return { ok: false, reason: arg || 'rejected' }
      case 'BH':
        return { ok: false, reason: `helper: ${arg || 'broken helper'}` }
      default:
        return { ok: false, reason: `helper: unexpected reply ${JSON.stringify(reply)}` }
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.fail(new Error('exchange closed'))
    this.proc.stdin.end()
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM')
    this.onClose(this)
  }

  /** Resolves once the helper process is gone (after close() or on its own). */
  whenExited(): Promise<void> {
    return this.exited
  }

  private request(line: string): Promise<string> {
    if (this.dead) return Promise.reject(this.dead)
    if (this.pending) return Promise.reject(new Error('ntlm_auth: a request is already in flight on this exchange'))
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined
        reject(new Error(`ntlm_auth did not answer within ${this.timeoutMs} ms`))
        // The helper's state is unknown now: do not reuse it.
        this.close()
      }, this.timeoutMs)
      this.pending = { resolve, reject, timer }
      this.proc.stdin.write(`${line}\n`)
    })
  }

  private onStdout(chunk: string): void {
    this.buffered += chunk
    let nl: number
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).replace(/\r$/, '')
      this.buffered = this.buffered.slice(nl + 1)
      const p = this.pending
      if (!p) continue // unsolicited output: ignore
      this.pending = undefined
      clearTimeout(p.timer)
      p.resolve(line)
    }
  }

  private fail(err: Error): void {
    if (!this.dead) this.dead = err
    const p = this.pending
    if (p) {
      this.pending = undefined
      clearTimeout(p.timer)
      p.reject(err)
    }
  }
}

function splitReply(line: string): [string, string] {
  const i = line.indexOf(' ')
  return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)]
}

/** A verifier whose verdicts come from Samba's `ntlm_auth` (see the file comment). */
export function sambaVerifier(opts: SambaVerifierOptions): NtlmVerifier {
  const helper = opts.helper ?? 'ntlm_auth'
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const separator = winbindSeparator(opts.conf)
  const open = new Set<SambaExchange>()
  let closed = false
  return {
    name: 'samba',
    open(): NtlmExchange {
      if (closed) throw new Error('samba verifier is closed')
      const ex = new SambaExchange(helper, opts.conf, timeoutMs, separator, (e) => open.delete(e))
      open.add(ex)
      return ex
    },
    async close(): Promise<void> {
      closed = true
      const all = [...open]
      for (const ex of all) ex.close()
      await Promise.all(all.map((ex) => ex.whenExited()))
    }
  }
}

export interface SambaSetup {
  conf: string
  domain: string
  user: string
  password: string
  log: string
}

function sambaDir(): string {
  return process.env.QSR_SAMBA_DIR || '/var/lib/qsr-samba'
}

function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {}
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return out
  }
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return out
}

/**
 * Why Samba cannot be used right now, or undefined when it can. Reads
 * `<QSR_SAMBA_DIR or /var/lib/qsr-samba>/env` (QSR_SAMBA_* env vars win) and checks that the
 * winbindd started with that conf answers `wbinfo -p`.
 */
export function sambaUnavailableReason(): string | undefined {
  return probe().reason
}

/** The Samba setup written by setup.sh, if it is there and its winbindd answers; else undefined. */
export function sambaAvailable(): SambaSetup | undefined {
  return probe().setup
}

function probe(): { setup?: SambaSetup; reason?: string } {
  const envFile = path.join(sambaDir(), 'env')
  const file = readEnvFile(envFile)
  const get = (k: string): string | undefined => process.env[k] || file[k]
  const conf = get('QSR_SAMBA_CONF')
  const domain = get('QSR_SAMBA_DOMAIN')
  const user = get('QSR_SAMBA_USER')
  const password = get('QSR_SAMBA_PASSWORD')
  const log = get('QSR_SAMBA_LOG')
  if (!conf || !domain || !user || !password || !log) {
    return { reason: `no Samba setup (${envFile} missing or incomplete)` }
  }
  if (!existsSync(conf)) return { reason: `${conf} does not exist` }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { reason: 'not root: ntlm_auth needs root to reach winbindd for the Type3 check' }
  }
  const ping = spawnSync('wbinfo', ['-p'], { timeout: 5000, encoding: 'utf8' })
  if (ping.error || ping.status !== 0) {
    return { reason: `winbindd does not answer 'wbinfo -p' (${ping.error?.message ?? (ping.stdout + ping.stderr).trim()})` }
  }
  // The socket is shared (/run/samba/winbindd): make sure the winbindd answering is ours.
  const pidFile = path.join(path.dirname(conf), 'pid', 'winbindd.pid')
  try {
    const pid = readFileSync(pidFile, 'utf8').trim()
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
    if (!cmdline.includes(conf)) return { reason: `winbindd pid ${pid} was not started with ${conf}` }
  } catch {
    return { reason: `no running winbindd for ${conf} (${pidFile})` }
  }
  return { setup: { conf, domain, user, password, log } }
}
