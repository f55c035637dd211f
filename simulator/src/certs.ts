import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { basename, dirname, join, resolve } from 'node:path'

export interface CertPaths {
  dir: string
  ca: string
  caKey: string
  serverCert: string
  serverKey: string
  /** Same names, SANs and CA as serverCert, but expired (notAfter yesterday): SimulatorOptions.serverCertificate 'expired'. */
  expiredServerCert: string
  expiredServerKey: string
  clientCert: string
  clientKey: string
  clientKeyEncrypted: string
  clientKeyPassphrase: string
  otherCa: string
  otherClientCert: string
  otherClientKey: string
  /** JWT signing key (PKCS#8 RSA) and a self-signed certificate for it: what a JWT VP is configured with. */
  jwtKey: string
  jwtCert: string
}

const passphrase = 'qlik-export-pass'
const validityDays = '730'
// Bump when the set of files or their contents change, so old caches are rebuilt.
const layoutVersion = 3

const fileNames = {
  ca: 'root.pem',
  caKey: 'root_key.pem',
  serverCert: 'server.pem',
  serverKey: 'server_key.pem',
  expiredServerCert: 'expired_server.pem',
  expiredServerKey: 'expired_server_key.pem',
  clientCert: 'client.pem',
  clientKey: 'client_key.pem',
  clientKeyEncrypted: 'client_key_encrypted.pem',
  otherCa: 'other_root.pem',
  otherClientCert: 'other_client.pem',
  otherClientKey: 'other_client_key.pem',
  jwtKey: 'jwt_key.pem',
  jwtCert: 'jwt_cert.pem'
} as const

interface Manifest {
  layoutVersion: number
  machineName: string
  serverNames: string[]
}

function pathsIn(dir: string): CertPaths {
  const abs = resolve(dir)
  const p = (name: string): string => join(abs, name)
  return {
    dir: abs,
    ca: p(fileNames.ca),
    caKey: p(fileNames.caKey),
    serverCert: p(fileNames.serverCert),
    serverKey: p(fileNames.serverKey),
    expiredServerCert: p(fileNames.expiredServerCert),
    expiredServerKey: p(fileNames.expiredServerKey),
    clientCert: p(fileNames.clientCert),
    clientKey: p(fileNames.clientKey),
    clientKeyEncrypted: p(fileNames.clientKeyEncrypted),
    clientKeyPassphrase: passphrase,
    otherCa: p(fileNames.otherCa),
    otherClientCert: p(fileNames.otherClientCert),
    otherClientKey: p(fileNames.otherClientKey),
    jwtKey: p(fileNames.jwtKey),
    jwtCert: p(fileNames.jwtCert)
  }
}

function isComplete(dir: string, wanted: Manifest): boolean {
  const manifestFile = join(dir, 'manifest.json')
  if (!existsSync(manifestFile)) return false
  try {
    const found = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest
    if (JSON.stringify(found) !== JSON.stringify(wanted)) return false
  } catch {
    return false
  }
  return Object.values(fileNames).every((name) => existsSync(join(dir, name)))
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

function newKey(cwd: string, file: string): void {
  // genpkey writes an unencrypted PKCS#8 key ("BEGIN PRIVATE KEY"), like the QMC export.
  openssl(cwd, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file])
}

/** A config file of our own, so the result does not depend on the system's openssl.cnf. */
function reqConfig(cwd: string, name: string, cn: string, extensions: string[]): string {
  const file = join(cwd, `${name}.cnf`)
  const text = ['[req]', 'distinguished_name = dn', 'prompt = no', 'x509_extensions = ext', '[dn]', `CN = ${cn}`, '[ext]', ...extensions, ''].join('\n')
  writeFileSync(file, text)
  return basename(file)
}

function makeCa(cwd: string, cert: string, key: string, cn: string): void {
  newKey(cwd, key)
  const cnf = reqConfig(cwd, cert, cn, ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash'])
  openssl(cwd, ['req', '-x509', '-new', '-key', key, '-config', cnf, '-days', validityDays, '-sha256', '-out', cert])
}

function makeLeaf(cwd: string, opts: { cert: string; key: string; cn: string; ca: string; caKey: string; extensions: string[] }): void {
  newKey(cwd, opts.key)
  const cnf = reqConfig(cwd, opts.cert, opts.cn, opts.extensions)
  const csr = `${opts.cert}.csr`
  openssl(cwd, ['req', '-new', '-key', opts.key, '-config', cnf, '-out', csr])
  openssl(cwd, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    opts.ca,
    '-CAkey',
    opts.caKey,
    '-set_serial',
    `0x${randomBytes(12).toString('hex')}`,
    '-days',
    validityDays,
    '-sha256',
    '-extfile',
    cnf,
    '-extensions',
    'ext',
    '-out',
    opts.cert
  ])
}

/** openssl's ASN.1 GeneralizedTime for -startdate/-enddate. */
function asn1Time(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`
}

/**
 * A leaf signed with explicit validity dates. OpenSSL 3.0's `x509` has no -not_before/-not_after, but
 * `openssl ca` takes -startdate/-enddate on every 3.x; it needs a small database of its own.
 */
function makeLeafWithDates(
  cwd: string,
  opts: { cert: string; key: string; cn: string; ca: string; caKey: string; extensions: string[]; notBefore: number; notAfter: number }
): void {
  newKey(cwd, opts.key)
  const cnf = reqConfig(cwd, opts.cert, opts.cn, opts.extensions)
  const csr = `${opts.cert}.csr`
  openssl(cwd, ['req', '-new', '-key', opts.key, '-config', cnf, '-out', csr])
  const db = join(cwd, `${opts.cert}.ca-db`)
  mkdirSync(db)
  writeFileSync(join(db, 'index.txt'), '')
  writeFileSync(join(db, 'serial'), `${randomBytes(12).toString('hex').toUpperCase()}\n`)
  const caCnf = join(db, 'ca.cnf')
  // openssl reads a backslash in a config value as an escape: Windows paths go in with forward slashes.
  const inConfig = (file: string): string => file.replaceAll('\\', '/')
  writeFileSync(
    caCnf,
    [
      '[ca]',
      'default_ca = sim',
      '[sim]',
      `database = ${inConfig(join(db, 'index.txt'))}`,
      `new_certs_dir = ${inConfig(db)}`,
      `serial = ${inConfig(join(db, 'serial'))}`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'email_in_dn = no',
      'copy_extensions = none',
      '[any]',
      'commonName = supplied',
      ''
    ].join('\n')
  )
  openssl(cwd, [
    'ca',
    '-batch',
    '-notext',
    '-config',
    caCnf,
    '-cert',
    opts.ca,
    '-keyfile',
    opts.caKey,
    '-in',
    csr,
    '-out',
    opts.cert,
    '-startdate',
    asn1Time(opts.notBefore),
    '-enddate',
    asn1Time(opts.notAfter),
    '-extfile',
    cnf,
    '-extensions',
    'ext'
  ])
  rmSync(db, { recursive: true, force: true })
}

function generate(cwd: string, machineName: string, serverNames: string[]): void {
  makeCa(cwd, fileNames.ca, fileNames.caKey, `${machineName}-CA`)
  const altNames = serverNames.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(', ')
  const serverExt = [
    'basicConstraints = CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth',
    ...(altNames ? [`subjectAltName = ${altNames}`] : [])
  ]
  makeLeaf(cwd, { cert: fileNames.serverCert, key: fileNames.serverKey, cn: machineName, ca: fileNames.ca, caKey: fileNames.caKey, extensions: serverExt })
  // The same server, its certificate valid for two years until yesterday (a node nobody renewed).
  const day = 86_400_000
  makeLeafWithDates(cwd, {
    cert: fileNames.expiredServerCert,
    key: fileNames.expiredServerKey,
    cn: machineName,
    ca: fileNames.ca,
    caKey: fileNames.caKey,
    extensions: serverExt,
    notBefore: Date.now() - 731 * day,
    notAfter: Date.now() - day
  })
  const clientExt = ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature, keyEncipherment', 'extendedKeyUsage = clientAuth']
  makeLeaf(cwd, { cert: fileNames.clientCert, key: fileNames.clientKey, cn: 'QlikClient', ca: fileNames.ca, caKey: fileNames.caKey, extensions: clientExt })
  openssl(cwd, ['pkcs8', '-topk8', '-in', fileNames.clientKey, '-v2', 'aes-256-cbc', '-passout', `pass:${passphrase}`, '-out', fileNames.clientKeyEncrypted])
  // An unrelated CA with its own client: a certificate the site does not trust.
  makeCa(cwd, fileNames.otherCa, 'other_root_key.pem', 'Other-CA')
  makeLeaf(cwd, {
    cert: fileNames.otherClientCert,
    key: fileNames.otherClientKey,
    cn: 'QlikClient',
    ca: fileNames.otherCa,
    caKey: 'other_root_key.pem',
    extensions: clientExt
  })
  // The JWT key pair: the VP only knows the certificate, the token issuer holds the key.
  newKey(cwd, fileNames.jwtKey)
  const jwtCnf = reqConfig(cwd, fileNames.jwtCert, 'Qlik JWT issuer', ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature'])
  openssl(cwd, ['req', '-x509', '-new', '-key', fileNames.jwtKey, '-config', jwtCnf, '-days', validityDays, '-sha256', '-out', fileNames.jwtCert])
}

/**
 * Makes QMC-export-like PEM files with the openssl CLI, or reuses a complete set made for the
 * same names. Files are built in a scratch directory and moved in, so parallel callers never
 * see half a set.
 */
export function makeCertificates(dir: string, opts: { machineName: string; serverNames: string[] }): CertPaths {
  const paths = pathsIn(dir)
  const manifest: Manifest = { layoutVersion, machineName: opts.machineName, serverNames: [...opts.serverNames] }
  if (isComplete(paths.dir, manifest)) return paths

  mkdirSync(dirname(paths.dir), { recursive: true })
  const scratch = mkdtempSync(`${paths.dir}.tmp-`)
  try {
    generate(scratch, opts.machineName, opts.serverNames)
    writeFileSync(join(scratch, 'manifest.json'), JSON.stringify(manifest, null, 2))
    if (!existsSync(paths.dir)) {
      try {
        renameSync(scratch, paths.dir)
        return paths
      } catch {
        // Another process won the race: fall through and check its set.
      }
    }
    if (isComplete(paths.dir, manifest)) return paths
    mkdirSync(paths.dir, { recursive: true })
    rmSync(join(paths.dir, 'manifest.json'), { force: true })
    for (const name of [...Object.values(fileNames), 'other_root_key.pem']) {
      renameSync(join(scratch, name), join(paths.dir, name))
    }
    renameSync(join(scratch, 'manifest.json'), join(paths.dir, 'manifest.json'))
    return paths
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
