import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import jwt from 'jsonwebtoken'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction, type ActionRun } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { expectNoLeaks } from '../helpers/leaks.js'
import { IDS, WINDOWS, jwtInputs, testSite } from '../helpers/site.js'

/**
 * Every bad input ends the step before the first request: exit code 1, exactly one annotation that
 * starts with `Input '<name>':` naming the input at fault, and nothing reaches the server (neither the
 * certificate port nor the proxy).
 */

let sim: Simulator
/** Files the cases point at: a text file without PEM, a certificate with a broken body. */
const files = {} as { notPem: string; brokenCert: string }
/** An EC key: Node reads it, Qlik's JWT virtual proxy cannot verify what it signs. */
let ecKey: string

beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
  const dir = mkdtempSync(join(tmpdir(), 'qsr-bad-input-'))
  files.notPem = join(dir, 'client.txt')
  writeFileSync(files.notPem, 'This is the certificate, as the admin described it in an e-mail.\n')
  // A certificate whose base64 body is not DER: PEM-shaped, does not parse.
  files.brokenCert = join(dir, 'broken.pem')
  writeFileSync(
    files.brokenCert,
    `-----BEGIN CERTIFICATE-----\n${Buffer.from('not a DER certificate at all, just text '.repeat(4)).toString('base64')}\n-----END CERTIFICATE-----\n`
  )
  ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
})
afterAll(async () => sim?.close())

type Inputs = Record<string, string>

/** Valid inputs per auth type: each case breaks exactly one thing (controls below prove the bases work). */
const base = {
  certificate: (): Inputs => ({
    url: sim.url,
    'auth-type': 'certificate',
    'client-cert': sim.certs.clientCert,
    'client-key': sim.certs.clientKey,
    'ca-cert': sim.certs.ca,
    'task-id': IDS.ok
  }),
  ntlm: (): Inputs => ({
    url: `${sim.proxyUrl}/ntlm`,
    'auth-type': 'ntlm',
    username: `${WINDOWS.domain}\\${WINDOWS.user}`,
    password: WINDOWS.password,
    'ca-cert': sim.certs.ca,
    'task-id': IDS.ok
  }),
  jwt: (): Inputs => jwtInputs(sim, { 'task-id': IDS.ok }),
  header: (): Inputs => ({
    url: `${sim.proxyUrl}/hdr`,
    'auth-type': 'header',
    'header-name': 'X-Qlik-HeaderAuth',
    'header-value': 'svc_reload',
    'ca-cert': sim.certs.ca,
    'task-id': IDS.ok
  })
}
type Base = keyof typeof base

/** RS256 with the VP's key; five minutes unless the claims carry their own exp. */
const sign = (claims: Record<string, unknown>) => jwt.sign(claims, readFileSync(sim.certs.jwtKey, 'utf8'), { algorithm: 'RS256', ...('exp' in claims ? {} : { expiresIn: 300 }) })
const claims = { userId: 'svc_reload', userDirectory: 'CORP' }
const read = (path: string) => readFileSync(path, 'utf8')

interface Case {
  name: string
  base: Base
  /** Changes to the base inputs; '' removes an input (the runner passes '' for an input not given). */
  change: () => Inputs
  /** The input the annotation must name. */
  input: string
  /** A key phrase of the message, after `Input '<input>': `. */
  message: RegExp
}

const cases: Case[] = [
  // url
  { name: 'missing url', base: 'certificate', change: () => ({ url: '' }), input: 'url', message: /^is required \(e\.g\. https:/ },
  {
    name: 'url with http://',
    base: 'certificate',
    change: () => ({ url: sim.url.replace('https:', 'http:') }),
    input: 'url',
    message: /^must start with https:\/\/ \(got http:\/\/\)/
  },
  { name: 'url that is not a URL', base: 'certificate', change: () => ({ url: 'qliksrv01 port 4242' }), input: 'url', message: /^'qliksrv01 port 4242' is not a URL/ },
  { name: 'url without a scheme', base: 'certificate', change: () => ({ url: 'qliksrv01.corp.example' }), input: 'url', message: /is not a URL/ },
  {
    name: 'url ending in /qrs',
    base: 'certificate',
    change: () => ({ url: `${sim.url}/qrs` }),
    input: 'url',
    message: /^must end before \/qrs \(e\.g\. https:\/\/localhost:\d+\)/
  },
  {
    name: 'url with /qrs/ and a route after the prefix',
    base: 'ntlm',
    change: () => ({ url: `${sim.proxyUrl}/ntlm/qrs/about` }),
    input: 'url',
    message: /^must end before \/qrs \(e\.g\. https:\/\/localhost:\d+\/ntlm\)/
  },
  {
    name: 'url with credentials',
    base: 'certificate',
    change: () => ({ url: sim.url.replace('https://', 'https://sa_api:Secret-In-Url-7@') }),
    input: 'url',
    message: /^must not contain a user name or password \(it holds an @\): leave them out and use the auth inputs\.$/
  },
  {
    name: 'malformed url with credentials (not echoed)',
    base: 'certificate',
    change: () => ({ url: 'https://sa:Secret-77@qlik srv:4242' }),
    input: 'url',
    message: /^must not contain a user name or password/
  },
  { name: 'malformed url', base: 'certificate', change: () => ({ url: 'https://qlik srv:4242' }), input: 'url', message: /^'https:\/\/qlik srv:4242' is not a URL/ },
  {
    name: 'user-agent with a line break',
    base: 'ntlm',
    change: () => ({ 'user-agent': 'Windows\r\nX-Injected: 1' }),
    input: 'user-agent',
    message: /^contains a line break or a character that cannot go into an HTTP header/
  },
  {
    name: 'qlik-user with non-Latin-1 letters',
    base: 'certificate',
    change: () => ({ 'qlik-user': 'UserDirectory=CORP; UserId=用户' }),
    input: 'qlik-user',
    message: /^contains a line break or a character/
  },
  {
    name: 'header-value with non-Latin-1 letters',
    base: 'header',
    change: () => ({ 'header-value': 'svc_✓' }),
    input: 'header-value',
    message: /^contains a line break or a character/
  },
  { name: 'url with a query', base: 'certificate', change: () => ({ url: `${sim.url}/?xrfkey=0123456789abcdef` }), input: 'url', message: /^must not contain a query or fragment/ },
  // auth-type
  { name: 'missing auth-type', base: 'certificate', change: () => ({ 'auth-type': '' }), input: 'auth-type', message: /^is required: one of ntlm, jwt, certificate, header/ },
  {
    name: 'unknown auth-type',
    base: 'certificate',
    change: () => ({ 'auth-type': 'kerberos' }),
    input: 'auth-type',
    message: /^'kerberos' is not one of ntlm, jwt, certificate, header/
  },
  // targets
  {
    name: 'no target',
    base: 'certificate',
    change: () => ({ 'task-id': '' }),
    input: 'task-id',
    message: /^set at least one of task-id, task-name, app-id, app-name, task-tag, task-custom-property/
  },
  {
    name: 'the same tag twice (case-insensitively)',
    base: 'certificate',
    change: () => ({ 'task-tag': 'Nightly\nnightly' }),
    input: 'task-tag',
    message: /^lists 'nightly' twice/
  },
  {
    name: 'task-custom-property without a value',
    base: 'certificate',
    change: () => ({ 'task-custom-property': 'ReloadGroup' }),
    input: 'task-custom-property',
    message: /^'ReloadGroup' is not Name=Value \(e\.g\. ReloadGroup=Finance\)/
  },
  { name: 'stream without app-name', base: 'certificate', change: () => ({ stream: 'Finance' }), input: 'stream', message: /^only applies to app-name/ },
  {
    name: "max-targets '0'",
    base: 'certificate',
    change: () => ({ 'task-tag': 'Nightly', 'max-targets': '0' }),
    input: 'max-targets',
    message: /^'0' is not a whole number from 1 to 1000/
  },
  { name: "dry-run 'maybe'", base: 'certificate', change: () => ({ 'dry-run': 'maybe' }), input: 'dry-run', message: /^'maybe' is not a boolean/ },
  {
    name: 'malformed task-id GUID',
    base: 'certificate',
    change: () => ({ 'task-id': 'a1000000-0000-4000-8000-00000000001' }),
    input: 'task-id',
    message: /^'a1000000-0000-4000-8000-00000000001' is not a GUID/
  },
  { name: 'task-id in braces', base: 'certificate', change: () => ({ 'task-id': `{${IDS.ok}}` }), input: 'task-id', message: /is not a GUID/ },
  { name: 'malformed app-id', base: 'certificate', change: () => ({ 'task-id': '', 'app-id': 'Sales' }), input: 'app-id', message: /^'Sales' is not a GUID/ },
  // durations, booleans, choices
  {
    name: "timeout 'soon'",
    base: 'certificate',
    change: () => ({ timeout: 'soon' }),
    input: 'timeout',
    message: /^'soon' is not a duration: use a number of seconds or a duration such as 90s/
  },
  { name: "timeout '-5'", base: 'certificate', change: () => ({ timeout: '-5' }), input: 'timeout', message: /^'-5' is not a duration/ },
  { name: "timeout '0'", base: 'certificate', change: () => ({ timeout: '0' }), input: 'timeout', message: /^'0' is shorter than 1s: use a duration from 1s to 576h\.$/ },
  { name: "timeout '10 minutes'", base: 'certificate', change: () => ({ timeout: '10 minutes' }), input: 'timeout', message: /^'10 minutes' is not a duration/ },
  { name: "max-poll-interval 'often'", base: 'certificate', change: () => ({ 'max-poll-interval': 'often' }), input: 'max-poll-interval', message: /^'often' is not a duration/ },
  {
    name: "max-poll-interval '0s'",
    base: 'certificate',
    change: () => ({ 'max-poll-interval': '0s' }),
    input: 'max-poll-interval',
    message: /^'0s' is shorter than 1s: use a duration from 1s to 1h\.$/
  },
  { name: "request-timeout 'forever'", base: 'certificate', change: () => ({ 'request-timeout': 'forever' }), input: 'request-timeout', message: /^'forever' is not a duration/ },
  { name: "request-timeout '0ms'", base: 'certificate', change: () => ({ 'request-timeout': '0ms' }), input: 'request-timeout', message: /^'0ms' is shorter than 1s/ },
  { name: "timeout '600h'", base: 'certificate', change: () => ({ timeout: '600h' }), input: 'timeout', message: /^'600h' is longer than 576h: use a duration from 1s to 576h\.$/ },
  { name: "max-poll-interval '2h'", base: 'certificate', change: () => ({ 'max-poll-interval': '2h' }), input: 'max-poll-interval', message: /^'2h' is longer than 1h/ },
  { name: "wait 'maybe'", base: 'certificate', change: () => ({ wait: 'maybe' }), input: 'wait', message: /^'maybe' is not a boolean: use true or false/ },
  {
    name: "insecure-skip-tls-verify 'sure'",
    base: 'certificate',
    change: () => ({ 'insecure-skip-tls-verify': 'sure' }),
    input: 'insecure-skip-tls-verify',
    message: /^'sure' is not a boolean/
  },
  { name: "if-running 'restart'", base: 'certificate', change: () => ({ 'if-running': 'restart' }), input: 'if-running', message: /^'restart' is not one of wait, attach, fail/ },
  {
    name: "script-log 'sometimes'",
    base: 'certificate',
    change: () => ({ 'script-log': 'sometimes' }),
    input: 'script-log',
    message: /^'sometimes' is not one of on-failure, always, never/
  },
  { name: "stop-on-timeout 'y'", base: 'certificate', change: () => ({ 'stop-on-timeout': 'y' }), input: 'stop-on-timeout', message: /^'y' is not a boolean/ },
  { name: "stop-on-cancel '1'", base: 'certificate', change: () => ({ 'stop-on-cancel': '1' }), input: 'stop-on-cancel', message: /^'1' is not a boolean/ },
  // certificate auth
  {
    name: 'certificate auth without client-cert',
    base: 'certificate',
    change: () => ({ 'client-cert': '' }),
    input: 'client-cert',
    message: /^is required with auth-type 'certificate'/
  },
  {
    name: 'certificate auth without client-key',
    base: 'certificate',
    change: () => ({ 'client-key': '' }),
    input: 'client-key',
    message: /^is required with auth-type 'certificate'/
  },
  {
    name: 'client-cert that is text, not PEM',
    base: 'certificate',
    change: () => ({ 'client-cert': 'MIIDdzCCAl+gAwIBAgIUQlikClient' }),
    input: 'client-cert',
    message: /^is neither PEM text nor the path of a readable file/
  },
  {
    name: 'client-cert: a path that does not exist',
    base: 'certificate',
    change: () => ({ 'client-cert': join(tmpdir(), 'no-such-dir', 'client.pem') }),
    input: 'client-cert',
    message: /^is neither PEM text nor the path of a readable file/
  },
  {
    name: 'client-cert: a file without a PEM block',
    base: 'certificate',
    change: () => ({ 'client-cert': files.notPem }),
    input: 'client-cert',
    message: /^the file .*client\.txt holds no PEM block/
  },
  {
    name: 'client-cert: a BEGIN line without an END',
    base: 'certificate',
    change: () => ({ 'client-cert': '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIU\n' }),
    input: 'client-cert',
    message: /^is not PEM: expected a -----BEGIN/
  },
  {
    name: 'client-cert that holds the key, no certificate',
    base: 'certificate',
    change: () => ({ 'client-cert': sim.certs.clientKey }),
    input: 'client-cert',
    message: /^holds no -----BEGIN CERTIFICATE----- block/
  },
  {
    name: 'client-cert whose certificate does not parse',
    base: 'certificate',
    change: () => ({ 'client-cert': files.brokenCert }),
    input: 'client-cert',
    message: /^holds a certificate that does not parse/
  },
  {
    name: 'client-key that is text, not PEM',
    base: 'certificate',
    change: () => ({ 'client-key': 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' }),
    input: 'client-key',
    message: /^is neither PEM text nor the path of a readable file/
  },
  {
    name: 'client-key that holds a certificate',
    base: 'certificate',
    change: () => ({ 'client-key': read(sim.certs.clientCert) }),
    input: 'client-key',
    message: /^is not a private key Node\.js can read/
  },
  {
    name: 'encrypted client-key without passphrase',
    base: 'certificate',
    change: () => ({ 'client-key': sim.certs.clientKeyEncrypted }),
    input: 'client-key',
    message: /^is encrypted: set 'client-key-passphrase'/
  },
  {
    name: 'encrypted client-key with the wrong passphrase',
    base: 'certificate',
    change: () => ({ 'client-key': sim.certs.clientKeyEncrypted, 'client-key-passphrase': 'Not-The-Export-Pass' }),
    input: 'client-key-passphrase',
    message: /^does not open the key in 'client-key' \(wrong password\?\)/
  },
  {
    name: 'client-key that does not match client-cert',
    base: 'certificate',
    change: () => ({ 'client-key': sim.certs.otherClientKey }),
    input: 'client-key',
    message: /^does not belong to the certificate in 'client-cert' \(.*CN=QlikClient/
  },
  {
    name: 'ca-cert that is text, not PEM',
    base: 'certificate',
    change: () => ({ 'ca-cert': 'the Qlik root certificate' }),
    input: 'ca-cert',
    message: /^is neither PEM text nor the path of a readable file/
  },
  {
    name: 'ca-cert that holds a key, no certificate',
    base: 'certificate',
    change: () => ({ 'ca-cert': read(sim.certs.caKey) }),
    input: 'ca-cert',
    message: /^holds no -----BEGIN CERTIFICATE----- block/
  },
  {
    name: 'ca-cert (proxy auth) whose certificate does not parse',
    base: 'header',
    change: () => ({ 'ca-cert': files.brokenCert }),
    input: 'ca-cert',
    message: /^holds a certificate that does not parse/
  },
  {
    name: 'qlik-user with a colon separator',
    base: 'certificate',
    change: () => ({ 'qlik-user': 'UserDirectory=INTERNAL: UserId=sa_api' }),
    input: 'qlik-user',
    message: /^'UserDirectory=INTERNAL: UserId=sa_api' is not of the form 'UserDirectory=INTERNAL; UserId=sa_api'/
  },
  { name: 'qlik-user without UserId', base: 'certificate', change: () => ({ 'qlik-user': 'UserDirectory=INTERNAL' }), input: 'qlik-user', message: /is not of the form/ },
  {
    name: 'tls-server-name with a scheme',
    base: 'certificate',
    change: () => ({ 'tls-server-name': 'https://qliksrv01.corp.example' }),
    input: 'tls-server-name',
    message: /^'https:\/\/qliksrv01\.corp\.example' is not a host name/
  },
  {
    name: 'tls-server-name with a port',
    base: 'certificate',
    change: () => ({ 'tls-server-name': 'qliksrv01.corp.example:4242' }),
    input: 'tls-server-name',
    message: /is not a host name/
  },
  // NTLM
  { name: 'ntlm without username', base: 'ntlm', change: () => ({ username: '' }), input: 'username', message: /^is required with auth-type 'ntlm'/ },
  { name: 'ntlm without password', base: 'ntlm', change: () => ({ password: '' }), input: 'password', message: /^is required with auth-type 'ntlm'/ },
  { name: "username 'CORP\\' (no user)", base: 'ntlm', change: () => ({ username: 'CORP\\' }), input: 'username', message: /^'CORP\\' is not DOMAIN\\user, user@domain or user/ },
  { name: 'username with a space', base: 'ntlm', change: () => ({ username: 'CORP\\svc reload' }), input: 'username', message: /is not DOMAIN\\user/ },
  // JWT
  {
    name: 'jwt with neither token nor key',
    base: 'jwt',
    change: () => ({ 'jwt-private-key': '' }),
    input: 'jwt',
    message: /^auth-type 'jwt' needs jwt \(a signed token\) or jwt-private-key/
  },
  { name: 'jwt and jwt-private-key both', base: 'jwt', change: () => ({ jwt: sign(claims) }), input: 'jwt', message: /^set either jwt or jwt-private-key, not both/ },
  {
    name: 'jwt that is not a JWT',
    base: 'jwt',
    change: () => ({ 'jwt-private-key': '', jwt: 'Bearer-ish-but-not-a-token' }),
    input: 'jwt',
    message: /^is not a signed JWT \(expected three base64url parts/
  },
  {
    name: 'unsigned jwt (alg none, empty signature)',
    base: 'jwt',
    change: () => ({ 'jwt-private-key': '', jwt: jwt.sign(claims, '', { algorithm: 'none' }) }),
    input: 'jwt',
    message: /^is not a signed JWT/
  },
  {
    name: 'jwt signed HS256',
    base: 'jwt',
    change: () => ({ 'jwt-private-key': '', jwt: jwt.sign(claims, 'a-shared-secret-of-32-characters!', { algorithm: 'HS256', expiresIn: 300 }) }),
    input: 'jwt',
    message: /^is signed with HS256; Qlik's JWT virtual proxy accepts only RS256, RS384, RS512/
  },
  {
    name: 'expired jwt',
    base: 'jwt',
    change: () => ({ 'jwt-private-key': '', jwt: sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }) }),
    input: 'jwt',
    message: /^expired at \d{4}-\d\d-\d\dT/
  },
  { name: 'jwt-private-key that is an EC key', base: 'jwt', change: () => ({ 'jwt-private-key': ecKey }), input: 'jwt-private-key', message: /^is an EC key; .*need an RSA key/ },
  {
    name: 'jwt-private-key that holds a certificate',
    base: 'jwt',
    change: () => ({ 'jwt-private-key': sim.certs.jwtCert }),
    input: 'jwt-private-key',
    message: /^is not a private key Node\.js can read/
  },
  { name: 'jwt-algorithm HS256', base: 'jwt', change: () => ({ 'jwt-algorithm': 'HS256' }), input: 'jwt-algorithm', message: /^'HS256' is not one of RS256, RS384, RS512/ },
  { name: 'minting without jwt-user-id', base: 'jwt', change: () => ({ 'jwt-user-id': '' }), input: 'jwt-user-id', message: /^is required to mint a JWT with jwt-private-key/ },
  { name: 'minting without jwt-user-directory', base: 'jwt', change: () => ({ 'jwt-user-directory': '' }), input: 'jwt-user-directory', message: /^is required to mint a JWT/ },
  // header
  { name: 'header auth without header-name', base: 'header', change: () => ({ 'header-name': '' }), input: 'header-name', message: /^is required with auth-type 'header'/ },
  {
    name: 'header-name with a space',
    base: 'header',
    change: () => ({ 'header-name': 'X-Qlik HeaderAuth' }),
    input: 'header-name',
    message: /^'X-Qlik HeaderAuth' is not a valid HTTP header name/
  },
  { name: 'header-name with a colon', base: 'header', change: () => ({ 'header-name': 'X-Qlik-HeaderAuth:' }), input: 'header-name', message: /is not a valid HTTP header name/ },
  { name: 'header auth without header-value', base: 'header', change: () => ({ 'header-value': '' }), input: 'header-value', message: /^is required with auth-type 'header'/ }
]

/** A runner command's message as the log shows it (the runner escapes %, CR and LF in messages). */
const unescape = (text: string) => text.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%')
const errorLines = (run: ActionRun) => run.stdout.split('\n').filter(line => line.startsWith('::error'))

describe('bad inputs: refused before any request, naming the input', () => {
  it('has a case for every required situation (at least 35)', () => {
    expect(cases.length).toBeGreaterThanOrEqual(35)
    expect(new Set(cases.map(c => c.name)).size).toBe(cases.length)
  })

  // Without these the "no request" assertions below could pass for the wrong reason.
  it.each(Object.keys(base) as Base[])('control: the %s base inputs are valid and do reach the server', async kind => {
    const before = sim.requests.length
    const run = await runAction({ ...base[kind](), wait: 'false' })
    expect(errorLines(run)).toEqual([])
    expect(run.code).toBe(0)
    expect(sim.requests.length).toBeGreaterThan(before)
  })

  it.each(cases)("$name: Input '$input'", async c => {
    const inputs = { ...base[c.base](), ...c.change() }
    const before = sim.requests.length
    const starts = sim.startCount()
    const run = await runAction(inputs)
    expect(run.code).toBe(1)
    const errors = errorLines(run)
    expect(errors).toHaveLength(1)
    // No properties: the message follows `::error::` directly.
    const prefix = `::error::Input '${c.input}': `
    expect(errors[0].startsWith(prefix) ? prefix : errors[0]).toBe(prefix)
    expect(unescape(errors[0].slice(prefix.length))).toMatch(c.message)
    // Nothing reached either listener, and nothing started.
    expect(sim.requests.slice(before)).toEqual([])
    expect(sim.startCount()).toBe(starts)
    expect(run.outputs.status ?? '').toBe('')
    // A refused input never shows a secret of the run either.
    expectNoLeaks(run, inputs, ['Secret-In-Url-7'])
  })
})
