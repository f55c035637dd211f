/**
 * A real NTLM server side (MS-NLMP) in JS: Type2 with target info, NTLMv2-only Type3 check.
 * No system dependency, so it runs everywhere; samba.ts gives a second, independent verdict.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import md4 from 'js-md4'
import type { NtlmExchange, NtlmVerdict, NtlmVerifier } from './verifier.js'

export interface WindowsAccount {
  domain: string
  user: string
  password: string
}

export interface BuiltinOptions {
  accounts: WindowsAccount[]
  /** NetBIOS domain (Type2 target name). Default: the first account's domain, else CORP. */
  domain?: string
  /** NetBIOS computer name. Default QLIKSRV01. */
  computer?: string
  /** DNS domain / host for the target info. Defaults derived from the names above. */
  dnsDomain?: string
  dnsComputer?: string
}

const flags = {
  unicode: 0x1,
  oem: 0x2,
  requestTarget: 0x4,
  sign: 0x10,
  seal: 0x20,
  ntlm: 0x200,
  alwaysSign: 0x8000,
  targetTypeDomain: 0x10000,
  extendedSessionSecurity: 0x80000,
  targetInfo: 0x800000,
  version: 0x2000000,
  n128: 0x20000000,
  keyExchange: 0x40000000,
  n56: 0x80000000
} as const

const signature = Buffer.from('NTLMSSP\0', 'latin1')

/** The message type (1, 2, 3) of an NTLMSSP message, or 0 if it is none. */
export function messageType(msg: Buffer): number {
  return msg.length >= 12 && msg.subarray(0, 8).equals(signature) ? msg.readUInt32LE(8) : 0
}

function md4Of(data: Buffer): Buffer {
  return Buffer.from(md4.create().update(data).digest())
}

const hmacMd5 = (key: Buffer, data: Buffer): Buffer => createHmac('md5', key).update(data).digest()
const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le')

function avPair(id: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4)
  head.writeUInt16LE(id, 0)
  head.writeUInt16LE(value.length, 2)
  return Buffer.concat([head, value])
}

function fileTimeNow(): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE((BigInt(Date.now()) + 11644473600000n) * 10000n)
  return b
}

/** Type2: fixed 56-byte header (with Version), then target name and target info. */
function buildType2(opts: Required<Omit<BuiltinOptions, 'accounts'>>, challenge: Buffer, clientFlags: number): Buffer {
  const targetName = utf16(opts.domain)
  const targetInfo = Buffer.concat([
    avPair(2, utf16(opts.domain)), // MsvAvNbDomainName
    avPair(1, utf16(opts.computer)), // MsvAvNbComputerName
    avPair(4, utf16(opts.dnsDomain)), // MsvAvDnsDomainName
    avPair(3, utf16(opts.dnsComputer)), // MsvAvDnsComputerName
    avPair(7, fileTimeNow()), // MsvAvTimestamp
    avPair(0, Buffer.alloc(0)) // MsvAvEOL
  ])
  // Echo the signing/sealing options a client asks for, as a Windows server does.
  const echoed = clientFlags & (flags.sign | flags.seal | flags.alwaysSign | flags.keyExchange)
  const negotiated =
    flags.unicode | flags.requestTarget | flags.ntlm | flags.targetTypeDomain | flags.extendedSessionSecurity | flags.targetInfo | flags.version | flags.n128 | flags.n56 | echoed
  const head = Buffer.alloc(56)
  signature.copy(head, 0)
  head.writeUInt32LE(2, 8)
  head.writeUInt16LE(targetName.length, 12)
  head.writeUInt16LE(targetName.length, 14)
  head.writeUInt32LE(56, 16)
  head.writeUInt32LE(negotiated >>> 0, 20)
  challenge.copy(head, 24)
  head.writeUInt16LE(targetInfo.length, 40)
  head.writeUInt16LE(targetInfo.length, 42)
  head.writeUInt32LE(56 + targetName.length, 44)
  Buffer.from([10, 0, 0x61, 0x4a, 0, 0, 0, 15]).copy(head, 48) // Version 10.0.19041, NTLMSSP revision 15
  return Buffer.concat([head, targetName, targetInfo])
}

/**
 * The same Type2 as a server that only speaks NTLMv1 would send: no Extended Session Security,
 * no target info. A client limited to NTLMv2 must refuse to go on. Works on any verifier's Type2.
 */
export function downgradeType2(type2: Buffer): Buffer {
  const out = Buffer.from(type2)
  out.writeUInt32LE((out.readUInt32LE(20) & ~(flags.extendedSessionSecurity | flags.targetInfo)) >>> 0, 20)
  if (out.length >= 48) out.fill(0, 40, 48)
  return out
}

interface Type3 {
  flags: number
  nt: Buffer
  domain: string
  user: string
}

function parseType3(msg: Buffer): Type3 | string {
  if (messageType(msg) !== 3 || msg.length < 64) return 'not an NTLM Type3 message'
  const field = (at: number): Buffer | undefined => {
    const len = msg.readUInt16LE(at)
    const offset = msg.readUInt32LE(at + 4)
    return len === 0 ? Buffer.alloc(0) : offset + len <= msg.length ? msg.subarray(offset, offset + len) : undefined
  }
  const f = msg.readUInt32LE(60)
  const [nt, domain, user] = [field(20), field(28), field(36)]
  if (!nt || !domain || !user) return 'Type3 field out of bounds'
  const text = (b: Buffer): string => b.toString(f & flags.unicode ? 'utf16le' : 'latin1')
  return { flags: f, nt, domain: text(domain), user: text(user) }
}

/** Accounts a Type3 identity can mean: user case-insensitive; domain equal, empty, or a UPN user. */
function candidates(accounts: WindowsAccount[], user: string, domain: string): WindowsAccount[] {
  const lower = user.toLowerCase()
  const upnUser = domain === '' && lower.includes('@') ? lower.slice(0, lower.indexOf('@')) : undefined
  return accounts.filter((a) => {
    const name = a.user.toLowerCase()
    if (upnUser !== undefined) return name === upnUser
    return name === lower && (domain === '' || a.domain.toLowerCase() === domain.toLowerCase())
  })
}

/** NTLMv2: NTProofStr = HMAC-MD5(NTOWFv2, serverChallenge + blob), NTOWFv2 over user/domain as sent. */
function ntlmv2Matches(password: string, t3: Type3, challenge: Buffer): boolean {
  const ntowf = hmacMd5(md4Of(utf16(password)), utf16(t3.user.toUpperCase() + t3.domain))
  const proof = t3.nt.subarray(0, 16)
  const expected = hmacMd5(ntowf, Buffer.concat([challenge, t3.nt.subarray(16)]))
  return timingSafeEqual(proof, expected)
}

function verifyType3(accounts: WindowsAccount[], type3: Buffer, challenge: Buffer): NtlmVerdict {
  const t3 = parseType3(type3)
  if (typeof t3 === 'string') return { ok: false, reason: t3 }
  if (t3.user === '' && t3.nt.length === 0) return { ok: false, reason: 'anonymous logon refused' }
  if (t3.nt.length <= 24) return { ok: false, reason: 'NTLMv1 refused' }
  const found = candidates(accounts, t3.user, t3.domain)
  if (found.length === 0) return { ok: false, reason: `unknown user ${t3.domain}\\${t3.user}` }
  const account = found.find((a) => ntlmv2Matches(a.password, t3, challenge))
  return account ? { ok: true, user: account.user, domain: account.domain } : { ok: false, reason: 'wrong password' }
}

export function createBuiltinVerifier(options: BuiltinOptions): NtlmVerifier {
  const domain = (options.domain ?? options.accounts[0]?.domain ?? 'CORP').toUpperCase()
  const computer = (options.computer ?? 'QLIKSRV01').toUpperCase()
  const names = {
    domain,
    computer,
    dnsDomain: options.dnsDomain ?? `${domain.toLowerCase()}.example`,
    dnsComputer: options.dnsComputer ?? `${computer.toLowerCase()}.${domain.toLowerCase()}.example`
  }
  return {
    name: 'builtin',
    open(): NtlmExchange {
      let challenge: Buffer | undefined
      return {
        async challenge(type1: Buffer): Promise<Buffer> {
          if (messageType(type1) !== 1) throw new Error('not an NTLM Type1 message')
          challenge = randomBytes(8)
          return buildType2(names, challenge, type1.length >= 16 ? type1.readUInt32LE(12) : 0)
        },
        async authenticate(type3: Buffer): Promise<NtlmVerdict> {
          if (!challenge) return { ok: false, reason: 'no Type1 on this connection' }
          const verdict = verifyType3(options.accounts, type3, challenge)
          challenge = undefined // one Type3 per challenge
          return verdict
        },
        close(): void {
          challenge = undefined
        }
      }
    },
    async close(): Promise<void> {}
  }
}
