/** The built-in verifier on its own: Type2 layout, NTLMv2 only, account matching rules. */
import { describe, expect, it } from '@jest/globals'
import { createBuiltinVerifier } from '../src/index.js'
import { ntlm, type Type2 } from './ntlm-messages.js'

const verifier = createBuiltinVerifier({
  accounts: [
    { domain: 'CORP', user: 'svc_reload', password: 'Reload-Pass-1' },
    { domain: 'CORP', user: 'svc_unicode', password: 'Pass ünïcode €' }
  ],
  computer: 'QLIKSRV01'
})
const b64 = (header: string): Buffer => Buffer.from(header.replace(/^NTLM /, ''), 'base64')

async function attempt(username: string, domain: string, password: string, mangle?: (t2: Type2) => void) {
  const ex = verifier.open()
  const type2 = await ex.challenge(b64(ntlm.createType1Message({ domain: 'CORP', workstation: 'WS01' })))
  const t2 = ntlm.parseType2Message(`NTLM ${type2.toString('base64')}`, (e) => {
    throw e
  }) as Type2
  mangle?.(t2)
  // httpntlm upper-cases the domain itself; an empty domain stays empty.
  const verdict = await ex.authenticate(b64(ntlm.createType3Message(t2, { username, password, domain, workstation: 'WS01' })))
  ex.close()
  return { type2, t2, verdict }
}

/** AV pair ids in order. */
function avIds(info: Buffer): number[] {
  const idsFound: number[] = []
  for (let at = 0; at + 4 <= info.length; at += 4 + info.readUInt16LE(at + 2)) idsFound.push(info.readUInt16LE(at))
  return idsFound
}

describe('built-in NTLM verifier', () => {
  it('Type2: flags, target name, AV pairs, version', async () => {
    const { type2, t2 } = await attempt('svc_reload', 'CORP', 'Reload-Pass-1')
    for (const flag of [0x1, 0x200, 0x80000, 0x800000, 0x20000000, 0x80000000, 0x2000000]) expect((t2.negotiateFlags & flag) >>> 0).toBe(flag)
    expect(type2.subarray(12 + 8 + 4 + 8 + 8 + 8, 56)).toHaveLength(8) // Version
    expect(Buffer.from(type2.subarray(type2.readUInt32LE(16), type2.readUInt32LE(16) + type2.readUInt16LE(12))).toString('utf16le')).toBe('CORP')
    expect(avIds(t2.targetInfo as Buffer)).toEqual([2, 1, 4, 3, 7, 0])
  })

  it('accepts NTLMv2 with the right password, case-insensitive user, empty domain, UPN', async () => {
    expect((await attempt('svc_reload', 'CORP', 'Reload-Pass-1')).verdict).toEqual({ ok: true, user: 'svc_reload', domain: 'CORP' })
    expect((await attempt('SVC_Reload', 'corp', 'Reload-Pass-1')).verdict.ok).toBe(true)
    expect((await attempt('svc_reload', '', 'Reload-Pass-1')).verdict.ok).toBe(true)
    expect((await attempt('svc_reload@corp.example', '', 'Reload-Pass-1')).verdict).toEqual({ ok: true, user: 'svc_reload', domain: 'CORP' })
    expect((await attempt('svc_unicode', 'CORP', 'Pass ünïcode €')).verdict.ok).toBe(true) // MD4 over UTF-16LE
  })

  it('refuses a wrong password, another domain, an unknown user', async () => {
    expect((await attempt('svc_reload', 'CORP', 'x')).verdict).toEqual({ ok: false, reason: 'wrong password' })
    expect((await attempt('svc_reload', 'OTHER', 'Reload-Pass-1')).verdict.ok).toBe(false)
    expect((await attempt('nobody', 'CORP', 'Reload-Pass-1')).verdict.ok).toBe(false)
  })

  it('refuses NTLMv1 (24-byte NT response)', async () => {
    // Without ESS httpntlm answers with plain NTLMv1.
    const { verdict } = await attempt('svc_reload', 'CORP', 'Reload-Pass-1', (t2) => {
      t2.negotiateFlags &= ~0x80000
    })
    expect(verdict).toEqual({ ok: false, reason: 'NTLMv1 refused' })
  })

  it('a Type3 without a challenge on the exchange fails; one challenge, one Type3', async () => {
    const ex = verifier.open()
    expect((await ex.authenticate(Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1'))).ok).toBe(false)
    ex.close()
  })
})
