import { beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { generateKeyPairSync } from 'node:crypto'
import { getSettings, type InputReader } from '../../src/settings/settings.js'
import type { CertPaths } from '../../simulator/src/index.js'
import { testCertificates } from '../helpers/certs.js'

let certs: CertPaths
beforeAll(() => {
  certs = testCertificates()
})

const reader =
  (inputs: Record<string, string>): InputReader =>
  name =>
    inputs[name] ?? ''

const valid = (): Record<string, string> => ({
  url: 'https://qliksrv01.corp.example:4242',
  'auth-type': 'certificate',
  'client-cert': certs.clientCert,
  'client-key': certs.clientKey,
  'ca-cert': certs.ca,
  'task-name': 'Reload Sales'
})

const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const ecKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const proxy = (type: string): Record<string, string> => ({ url: 'https://qlik.corp.example/' + type, 'auth-type': type, 'task-name': 'Reload Sales' })
const mint = (): Record<string, string> => ({ ...proxy('jwt'), 'jwt-private-key': rsaKey, 'jwt-user-id': 'svc_reload', 'jwt-user-directory': 'CORP' })
function token(alg: string, expiresInSeconds = 300): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg, typ: 'JWT' })}.${part({ userId: 'u', exp: Math.floor(Date.now() / 1000) + expiresInSeconds })}.c2lnbmF0dXJl`
}

describe('getSettings', () => {
  it('reads a complete certificate configuration with the action.yml defaults', () => {
    const settings = getSettings(reader(valid()))
    expect(settings.url.href).toBe('https://qliksrv01.corp.example:4242/')
    expect(settings.auth).toMatchObject({ type: 'certificate', qlikUser: 'UserDirectory=INTERNAL; UserId=sa_api' })
    expect(settings.targets).toEqual([{ kind: 'task-name', taskName: 'Reload Sales' }])
    expect(settings.userAgent).toContain('Windows')
    expect(settings.wait).toBe(true)
    expect(settings.timeoutMs).toBe(3_600_000)
    expect(settings.insecureSkipTlsVerify).toBe(false)
    expect(settings.auth).toMatchObject({ certificate: { cert: expect.stringContaining('BEGIN CERTIFICATE') } })
    expect(settings.caCert).toContain('BEGIN CERTIFICATE')
  })

  it('takes PEM text as well as paths, also with literal \\n from a pasted secret', () => {
    const key = readFileSync(certs.clientKey, 'utf8')
    const settings = getSettings(reader({ ...valid(), 'client-key': key.replace(/\n/g, '\\n'), 'client-cert': readFileSync(certs.clientCert, 'utf8') }))
    expect(settings.auth).toMatchObject({ type: 'certificate', certificate: { key: `${key.trim()}\n` } })
  })

  it('opens an encrypted key with its passphrase and masks the key lines and the passphrase', () => {
    const settings = getSettings(reader({ ...valid(), 'client-key': certs.clientKeyEncrypted, 'client-key-passphrase': certs.clientKeyPassphrase }))
    expect(settings.auth).toMatchObject({ type: 'certificate', certificate: { passphrase: certs.clientKeyPassphrase } })
    expect(settings.secrets).toContain(certs.clientKeyPassphrase)
    const bodyLines = readFileSync(certs.clientKeyEncrypted, 'utf8')
      .split('\n')
      .filter(line => line && !line.startsWith('-----'))
    for (const line of bodyLines.filter(l => l.length >= 8)) expect(settings.secrets).toContain(line)
  })

  it('reads a task id, lower-cased, and wait/timeout values', () => {
    const inputs = { ...valid(), 'task-name': '', 'task-id': '0D815A2B-4D6C-4F7E-9A6B-1B2C3D4E5F60', wait: 'false', timeout: '90s' }
    const settings = getSettings(reader(inputs))
    expect(settings.targets).toEqual([{ kind: 'task-id', taskId: '0d815a2b-4d6c-4f7e-9a6b-1b2c3d4e5f60' }])
    expect(settings.wait).toBe(false)
    expect(settings.timeoutMs).toBe(90_000)
  })

  it('combines the target inputs: named ones in input order, selectors, stream, dry-run and max-targets', () => {
    const inputs = {
      ...valid(),
      'task-name': 'Reload Sales\nReload HR, EMEA',
      'task-id': '0D815A2B-4D6C-4F7E-9A6B-1B2C3D4E5F60',
      'app-name': 'Budget',
      stream: 'Finance',
      'task-tag': 'Nightly Finance\nWeekly',
      'task-custom-property': 'ReloadGroup = Finance\nFormula=a=b',
      'dry-run': 'true',
      'max-targets': '40'
    }
    const settings = getSettings(reader(inputs))
    expect(settings.targets).toEqual([
      { kind: 'task-id', taskId: '0d815a2b-4d6c-4f7e-9a6b-1b2c3d4e5f60' },
      { kind: 'task-name', taskName: 'Reload Sales' },
      { kind: 'task-name', taskName: 'Reload HR, EMEA' },
      { kind: 'app-name', appName: 'Budget' }
    ])
    expect(settings.selectors).toEqual([
      { kind: 'task-tag', tag: 'Nightly Finance' },
      { kind: 'task-tag', tag: 'Weekly' },
      { kind: 'task-custom-property', name: 'ReloadGroup', value: 'Finance' },
      { kind: 'task-custom-property', name: 'Formula', value: 'a=b' }
    ])
    expect(settings).toMatchObject({ stream: 'Finance', dryRun: true, maxTargets: 40, singleTarget: false })
    expect(getSettings(reader(valid()))).toMatchObject({ dryRun: false, maxTargets: 25, singleTarget: true, selectors: [] })
    expect(getSettings(reader({ ...valid(), 'task-name': '', 'task-tag': 'Nightly' })).singleTarget).toBe(false)
  })

  const bad: [string, () => Record<string, string>, RegExp][] = [
    ['missing url', () => ({ ...valid(), url: '' }), /^Input 'url': is required/],
    ['url without https', () => ({ ...valid(), url: 'http://qliksrv01:4242' }), /^Input 'url': must start with https/],
    ['url that is not a URL', () => ({ ...valid(), url: 'qliksrv01' }), /^Input 'url': 'qliksrv01' is not a URL/],
    ['url with /qrs', () => ({ ...valid(), url: 'https://qliksrv01:4242/qrs' }), /^Input 'url': must end before \/qrs/],
    ['missing auth-type', () => ({ ...valid(), 'auth-type': '' }), /^Input 'auth-type': is required/],
    ['unknown auth-type', () => ({ ...valid(), 'auth-type': 'kerberos' }), /^Input 'auth-type': 'kerberos' is not one of/],
    ['ntlm without username', () => ({ ...proxy('ntlm'), password: 'x' }), /^Input 'username': is required/],
    ['ntlm without password', () => ({ ...proxy('ntlm'), username: 'CORP\\svc' }), /^Input 'password': is required/],
    ['ntlm with a domain but no user', () => ({ ...proxy('ntlm'), username: 'CORP\\', password: 'x' }), /^Input 'username': 'CORP\\' is not DOMAIN\\user/],
    ['jwt with neither token nor key', () => proxy('jwt'), /^Input 'jwt': auth-type 'jwt' needs jwt/],
    ['jwt with both token and key', () => ({ ...proxy('jwt'), jwt: token('RS256'), 'jwt-private-key': rsaKey }), /^Input 'jwt': set either jwt or jwt-private-key/],
    ['jwt that is not a JWT', () => ({ ...proxy('jwt'), jwt: 'not-a-token' }), /^Input 'jwt': is not a signed JWT/],
    ['jwt signed with HS256', () => ({ ...proxy('jwt'), jwt: token('HS256') }), /^Input 'jwt': is signed with HS256; .* only RS256, RS384, RS512/],
    ['expired jwt', () => ({ ...proxy('jwt'), jwt: token('RS256', -60) }), /^Input 'jwt': expired at /],
    [
      'jwt-private-key that is not a key',
      () => ({ ...proxy('jwt'), 'jwt-private-key': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', 'jwt-user-id': 'u', 'jwt-user-directory': 'd' }),
      /^Input 'jwt-private-key': is not a private key/
    ],
    [
      'jwt-private-key that is not RSA',
      () => ({ ...proxy('jwt'), 'jwt-private-key': ecKey, 'jwt-user-id': 'u', 'jwt-user-directory': 'd' }),
      /^Input 'jwt-private-key': is an EC key/
    ],
    ['jwt-algorithm HS256', () => ({ ...mint(), 'jwt-algorithm': 'HS256' }), /^Input 'jwt-algorithm': 'HS256' is not one of RS256, RS384, RS512/],
    ['minting without jwt-user-id', () => ({ ...mint(), 'jwt-user-id': '' }), /^Input 'jwt-user-id': is required to mint/],
    ['minting without jwt-user-directory', () => ({ ...mint(), 'jwt-user-directory': '' }), /^Input 'jwt-user-directory': is required to mint/],
    ['header without header-name', () => ({ ...proxy('header'), 'header-value': 'svc' }), /^Input 'header-name': is required/],
    [
      'header with a bad header-name',
      () => ({ ...proxy('header'), 'header-name': 'X Qlik', 'header-value': 'svc' }),
      /^Input 'header-name': 'X Qlik' is not a valid HTTP header name/
    ],
    ['header without header-value', () => ({ ...proxy('header'), 'header-name': 'X-Qlik-HeaderAuth' }), /^Input 'header-value': is required/],
    ['no target', () => ({ ...valid(), 'task-name': '' }), /set at least one of task-id, task-name, app-id, app-name, task-tag, task-custom-property/],
    ['the same task-name twice', () => ({ ...valid(), 'task-name': 'A\nA' }), /^Input 'task-name': lists 'A' twice/],
    ['a property line without =', () => ({ ...valid(), 'task-custom-property': 'ReloadGroup Finance' }), /^Input 'task-custom-property': 'ReloadGroup Finance' is not Name=Value/],
    ['stream without app-name', () => ({ ...valid(), stream: 'Finance' }), /^Input 'stream': only applies to app-name/],
    ['max-targets not a number', () => ({ ...valid(), 'max-targets': 'lots' }), /^Input 'max-targets': 'lots' is not a whole number/],
    ['malformed app-id', () => ({ ...valid(), 'task-name': '', 'app-id': '1234' }), /^Input 'app-id': '1234' is not a GUID/],
    ['malformed task-id', () => ({ ...valid(), 'task-name': '', 'task-id': '1234' }), /^Input 'task-id': '1234' is not a GUID/],
    ['bad timeout', () => ({ ...valid(), timeout: 'an hour' }), /^Input 'timeout': 'an hour' is not a duration/],
    ['bad wait', () => ({ ...valid(), wait: 'maybe' }), /^Input 'wait': 'maybe' is not a boolean/],
    ['bad insecure flag', () => ({ ...valid(), 'insecure-skip-tls-verify': 'sometimes' }), /^Input 'insecure-skip-tls-verify'/],
    ['missing client-cert', () => ({ ...valid(), 'client-cert': '' }), /^Input 'client-cert': is required with auth-type 'certificate'/],
    ['missing client-key', () => ({ ...valid(), 'client-key': '' }), /^Input 'client-key': is required/],
    [
      'client-cert not PEM',
      () => ({ ...valid(), 'client-cert': '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----' }),
      /^Input 'client-cert': holds a certificate that does not parse/
    ],
    ['client-cert missing file', () => ({ ...valid(), 'client-cert': '/nonexistent/client.pem' }), /^Input 'client-cert': is neither PEM text nor the path/],
    ['client-key not PEM', () => ({ ...valid(), 'client-key': 'hello' }), /^Input 'client-key': is neither PEM text/],
    ['encrypted key without passphrase', () => ({ ...valid(), 'client-key': certs.clientKeyEncrypted }), /^Input 'client-key': is encrypted: set 'client-key-passphrase'/],
    ['wrong passphrase', () => ({ ...valid(), 'client-key': certs.clientKeyEncrypted, 'client-key-passphrase': 'nope' }), /^Input 'client-key-passphrase': does not open the key/],
    ['key of another certificate', () => ({ ...valid(), 'client-key': certs.otherClientKey }), /^Input 'client-key': does not belong to the certificate/],
    [
      'ca-cert not PEM',
      () => ({ ...valid(), 'ca-cert': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }),
      /^Input 'ca-cert': holds a certificate that does not parse/
    ],
    ['qlik-user with a colon', () => ({ ...valid(), 'qlik-user': 'UserDirectory=INTERNAL: UserId=sa_api' }), /^Input 'qlik-user': .* is not of the form/],
    ['bad tls-server-name', () => ({ ...valid(), 'tls-server-name': 'https://qliksrv01' }), /^Input 'tls-server-name'/]
  ]
  it.each(bad)('rejects %s, naming the input', (_name, inputs, message) => {
    expect(() => getSettings(reader(inputs()))).toThrow(message)
  })

  it('reads Windows credentials in each form and keeps spaces in the password', () => {
    const read =
      (username: string): InputReader =>
      (name, options) =>
        (({ ...proxy('ntlm'), username, password: ' pass word ' }) as Record<string, string>)[name]?.[options?.trim === false ? 'toString' : 'trim']() ?? ''
    expect(getSettings(read('CORP\\svc_reload')).auth).toEqual({ type: 'ntlm', credentials: { domain: 'CORP', user: 'svc_reload', password: ' pass word ' } })
    expect(getSettings(read('svc_reload@corp.example')).auth).toMatchObject({ type: 'ntlm', credentials: { domain: '', user: 'svc_reload@corp.example' } })
    expect(getSettings(read('svc_reload')).auth).toMatchObject({ type: 'ntlm', credentials: { domain: '', user: 'svc_reload' } })
    expect(getSettings(read('CORP\\svc_reload')).secrets).toContain(' pass word ')
  })

  it('reads a JWT to mint with the default algorithm and claim names, and masks the key', () => {
    const settings = getSettings(reader(mint()))
    expect(settings.auth.type).toBe('jwt')
    expect(settings.auth).toMatchObject({
      source: {
        kind: 'mint',
        algorithm: 'RS256',
        userIdClaim: 'userId',
        userDirectoryClaim: 'userDirectory',
        userId: 'svc_reload',
        userDirectory: 'CORP'
      }
    })
    expect(settings.secrets).toContain(rsaKey.split('\n')[1])
    const signed = token('RS512')
    const given = getSettings(reader({ ...proxy('jwt'), jwt: signed }))
    // The user its claims name (userId, no userDirectory claim): a session of ours runs as that user id.
    expect(given.auth).toEqual({ type: 'jwt', source: { kind: 'static', token: signed, user: '\\u' } })
    expect(given.secrets).toContain(signed)
    const named = getSettings(reader({ ...proxy('jwt'), jwt: signed, 'jwt-user-id-claim': 'sub' }))
    expect(named.auth).toMatchObject({ source: { user: '' } })
  })

  it('reads header auth and masks the header value', () => {
    const settings = getSettings(reader({ ...proxy('header'), 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'CORP\\svc_reload' }))
    expect(settings.auth).toEqual({ type: 'header', name: 'X-Qlik-HeaderAuth', value: 'CORP\\svc_reload' })
    expect(settings.secrets).toContain('CORP\\svc_reload')
  })

  it('never puts the key or passphrase into an error message', () => {
    const key = readFileSync(certs.clientKeyEncrypted, 'utf8')
    let message = ''
    try {
      getSettings(reader({ ...valid(), 'client-key': key, 'client-key-passphrase': 'wrong-secret-pass' }))
    } catch (error) {
      message = (error as Error).message
    }
    // The failure itself is checked outside the try: a throw inside it would be caught as "the error".
    expect(message).toMatch(/^Input 'client-key-passphrase': does not open the key/)
    expect(message).not.toContain('wrong-secret-pass')
    expect(message).not.toContain(key.split('\n')[1])
  })
})
