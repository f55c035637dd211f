import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { lookup } from 'node:dns/promises'
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A real forward proxy (Debian's tinyproxy) on loopback, started for a test file. */
export interface ForwardProxy {
  url: string
  /** The CONNECT lines tinyproxy logged, e.g. "CONNECT vm:4242". */
  connects(): string[]
  stop(): void
}

export function tinyproxyAvailable(): boolean {
  return spawnSync('tinyproxy', ['-v']).status === 0
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as { port: number }
  await new Promise(done => server.close(done))
  return port
}

export async function startTinyproxy(): Promise<ForwardProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'qsr-tinyproxy-'))
  const port = await freePort()
  const log = join(dir, 'log')
  writeFileSync(
    join(dir, 'conf'),
    [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 60', `LogFile "${log}"`, 'LogLevel Connect', 'MaxClients 50', 'Allow 127.0.0.1', 'DisableViaHeader Yes', ''].join('\n')
  )
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', join(dir, 'conf')], { stdio: 'ignore' })
  for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, 'utf8').includes('listening')); i++) await new Promise(done => setTimeout(done, 50))
  return {
    url: `http://127.0.0.1:${port}`,
    connects: () => (existsSync(log) ? [...readFileSync(log, 'utf8').matchAll(/Request \(file descriptor \d+\): (CONNECT \S+)/g)].map(m => m[1]) : []),
    stop: () => child.kill()
  }
}

/**
 * A host name for this machine that is not "localhost" or 127.x: actions bypass the proxy for
 * those, so a proxy test needs another name. Uses one /etc/hosts already maps to loopback, or adds one (root).
 */
export async function loopbackAlias(): Promise<string | undefined> {
  const hosts = existsSync('/etc/hosts') ? readFileSync('/etc/hosts', 'utf8') : ''
  for (const line of hosts.split('\n')) {
    const [address, ...names] = line.trim().split(/\s+/)
    if (address?.startsWith('127.')) {
      for (const name of names) {
        if (name && name !== 'localhost' && !name.startsWith('#') && (await lookup(name).catch(() => undefined))?.address.startsWith('127.')) return name
      }
    }
  }
  try {
    appendFileSync('/etc/hosts', '\n127.0.0.1 qsr-qlik-proxy-test.invalid\n')
    return 'qsr-qlik-proxy-test.invalid'
  } catch {
    return undefined
  }
}
