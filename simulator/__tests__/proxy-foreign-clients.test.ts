/**
 * Clients we did not write prove the built-in NTLM verifier: curl's NTLM and Python's
 * requests_ntlm (ntlm-auth) must log in and end with the QRS JSON; a wrong password must not.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Simulator } from '../src/index.js'
import { testCerts, xrfkey } from './helpers.js'
import { account, startProxy } from './proxy-helpers.js'
import { noteSkipped } from './skipped.js'

const python = '/usr/bin/python3' // the python3 on PATH may be a build without the Debian package
function has(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const curlOk = has('curl', ['--version'])
const requestsNtlmOk = has(python, ['-c', 'import requests_ntlm'])
const itCurl = curlOk ? it : it.skip
const itPython = requestsNtlmOk ? it : it.skip
if (!curlOk) noteSkipped('simulator/__tests__/proxy-foreign-clients.test.ts (curl as NTLM client)', 'curl is not installed')
if (!requestsNtlmOk)
  noteSkipped(
    'simulator/__tests__/proxy-foreign-clients.test.ts (Python requests_ntlm as NTLM client)',
    `${python} cannot import requests_ntlm (apt-get install python3-requests-ntlm)`
  )

const certs = testCerts('proxy')
let sim: Simulator
let work: string

beforeAll(async () => {
  sim = await startProxy(certs)
  work = mkdtempSync(join(tmpdir(), 'proxy-foreign-'))
  // ntlm-auth takes MD4 from hashlib, which OpenSSL 3 only offers with the legacy provider.
  writeFileSync(
    join(work, 'openssl.cnf'),
    [
      'openssl_conf = openssl_init',
      '[openssl_init]',
      'providers = provider_sect',
      '[provider_sect]',
      'default = default_sect',
      'legacy = legacy_sect',
      '[default_sect]',
      'activate = 1',
      '[legacy_sect]',
      'activate = 1',
      ''
    ].join('\n')
  )
})
afterAll(async () => {
  await sim.close()
  rmSync(work, { recursive: true, force: true })
})

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

function curl(password: string, jar: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('curl', [
    '-sS',
    '--ntlm',
    '-u',
    `${account.domain}\\${account.user}:${password}`,
    '--cacert',
    certs.ca,
    '-A',
    'Windows',
    '-L',
    '-c',
    jar,
    '-H',
    `X-Qlik-Xrfkey: ${xrfkey}`,
    '-w',
    '\n%{http_code}',
    `${sim.proxyUrl}/ntlm/qrs/about?xrfkey=${xrfkey}`
  ])
}

describe('curl --ntlm', () => {
  itCurl('logs in and ends with the QRS JSON; the cookie jar holds the session cookie', async () => {
    const jar = join(work, 'cookies-ok')
    const res = await curl(account.password, jar)
    const [body, status] = res.stdout.split('\n')
    expect(status).toBe('200')
    expect(JSON.parse(body)).toMatchObject({ schemaPath: 'About' })
    expect(execFileSync('cat', [jar]).toString()).toMatch(/X-Qlik-Session-ntlm/)
  })

  itCurl('a wrong password ends with 401', async () => {
    const res = await curl('Wrong-Pass', join(work, 'cookies-bad'))
    expect(res.stdout.split('\n').at(-1)).toBe('401')
    expect(res.stdout).not.toMatch(/schemaPath/)
  })
})

describe('Python requests_ntlm', () => {
  const script = [
    'import sys, requests',
    'from requests_ntlm import HttpNtlmAuth',
    'url, ca, user, pw, key = sys.argv[1:6]',
    's = requests.Session()',
    's.auth = HttpNtlmAuth(user, pw)',
    "s.headers.update({'User-Agent': 'Windows', 'X-Qlik-Xrfkey': key})",
    "r = s.get(url + '/ntlm/qrs/about?xrfkey=' + key, verify=ca)",
    "print(r.status_code); print(r.headers.get('content-type')); print(r.text)"
  ].join('\n')
  const py = (password: string) =>
    run(python, ['-c', script, sim.proxyUrl, certs.ca, `${account.domain}\\${account.user}`, password, xrfkey], { ...process.env, OPENSSL_CONF: join(work, 'openssl.cnf') })

  itPython('the right password: 200 JSON', async () => {
    const res = await py(account.password)
    const [status, type, body] = res.stdout.split('\n')
    expect({ status, stderr: res.stderr }).toEqual({ status: '200', stderr: '' })
    expect(type).toBe('application/json; charset=utf-8')
    expect(JSON.parse(body)).toMatchObject({ schemaPath: 'About' })
  })

  itPython('a wrong password: 401', async () => {
    const res = await py('Wrong-Pass')
    expect(res.stdout.split('\n')[0]).toBe('401')
  })
})
