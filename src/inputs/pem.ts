import { existsSync, readFileSync, statSync } from 'node:fs'
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto'
import { InputError } from '../util/errors.js'

/**
 * Reads an input that holds PEM text or the path of a PEM file (QMC exports client.pem,
 * client_key.pem and root.pem). Secrets pasted into repository settings sometimes keep
 * literal `\n` (or `\r\n`) sequences instead of line breaks: those are turned back into line breaks.
 */
export function readPem(input: string, value: string): string {
  const text = value.includes('-----BEGIN') ? value : readPemFile(input, value)
  const pem = !text.includes('\n') && text.includes('\\n') ? text.replace(/(?:\\r)?\\n/g, '\n') : text
  if (!/-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/.test(pem)) {
    throw new InputError(input, 'is not PEM: expected a -----BEGIN ...----- block or the path of a PEM file.')
  }
  return pem.replace(/\r\n/g, '\n').trim() + '\n'
}

/** A private key's body lines, to mask one by one: the runner masks line by line. */
export function secretLines(pem: string): string[] {
  return pem.split('\n').filter(line => line.length >= 8 && !line.startsWith('-----'))
}

function readPemFile(input: string, path: string): string {
  // Windows Explorer's "Copy as path" puts the path in double quotes.
  const file = path.trim().replace(/^"(.+)"$/, '$1')
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new InputError(input, 'is neither PEM text nor the path of a readable file.')
  }
  const text = decodeText(readFileSync(file))
  if (!text.includes('-----BEGIN')) throw new InputError(input, `the file ${file} holds no PEM block.`)
  return text
}

/**
 * UTF-8, with or without a byte order mark, or UTF-16 with one: Windows PowerShell 5.1 writes
 * UTF-16LE for `>` and Out-File, so `$env:ROOT_PEM > root.pem` makes such a file.
 */
function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le')
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)))
      .swap16()
      .toString('utf16le')
  return bytes.toString('utf8').replace(/^\uFEFF/, '')
}

/** Parses every certificate of a PEM bundle; names the input when one does not parse. */
export function parseCertificates(input: string, pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
  if (!blocks) throw new InputError(input, 'holds no -----BEGIN CERTIFICATE----- block.')
  return blocks.map(block => {
    try {
      return new X509Certificate(block)
    } catch (e) {
      throw new InputError(input, `holds a certificate that does not parse (${(e as Error).message}).`)
    }
  })
}

/** Opens a private key, encrypted or not, with a message that names the input at fault. */
export function parsePrivateKey(input: string, pem: string, passphrase: string | undefined): KeyObject {
  const encrypted = /ENCRYPTED/.test(pem)
  if (encrypted && !passphrase) {
    throw new InputError(input, "is encrypted: set 'client-key-passphrase' to the password chosen when exporting it.")
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase })
  } catch {
    if (encrypted) throw new InputError('client-key-passphrase', `does not open the key in '${input}' (wrong password?).`)
    throw new InputError(input, 'is not a private key Node.js can read (expected PEM, PKCS#1 or PKCS#8).')
  }
}
