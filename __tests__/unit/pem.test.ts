import { describe, expect, it } from '@jest/globals'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readPem } from '../../src/inputs/pem.js'

// PEM files as Windows tools leave them; each must read as the same PEM text.
const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const crlf = pem.replace(/\n/g, '\r\n')
const dir = mkdtempSync(join(tmpdir(), 'qsr-pem-'))
const file = (name: string, bytes: Buffer | string) => {
  const path = join(dir, name)
  writeFileSync(path, bytes)
  return path
}

describe('readPem: files from Windows', () => {
  it.each([
    ['CRLF line ends (a Windows checkout)', () => file('crlf.pem', crlf)],
    ['UTF-8 with a byte order mark (Notepad)', () => file('bom.pem', `\uFEFF${crlf}`)],
    [
      'UTF-16LE with a byte order mark (Windows PowerShell 5.1: > and Out-File)',
      () => file('utf16le.pem', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(crlf, 'utf16le')]))
    ],
    ['UTF-16BE with a byte order mark', () => file('utf16be.pem', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(crlf, 'utf16le').swap16()]))],
    ['a path in double quotes (Explorer: Copy as path)', () => `"${file('quoted.pem', crlf)}"`],
    ['PEM text with literal \\r\\n sequences (a secret pasted from a Windows file)', () => crlf.replace(/\r\n/g, '\\r\\n')]
  ])('%s', (_name, value) => {
    expect(readPem('client-key', value())).toBe(pem)
  })
})
