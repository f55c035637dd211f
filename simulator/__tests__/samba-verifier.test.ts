/**
 * The Samba verifier: NTLM messages from httpntlm, verdicts from Samba's ntlm_auth + winbindd.
 * Needs `bash simulator/samba/setup.sh` (root); skipped otherwise. The helper-process plumbing is
 * also tested against fake helpers, which always runs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sambaAvailable, sambaUnavailableReason, sambaVerifier, splitAccount } from '../src/index.js'
import type { NtlmVerifier } from '../src/index.js'
import { ntlm, type Type2 } from './ntlm-messages.js'
import { noteSkipped } from './skipped.js'

const NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000
const NEGOTIATE_TARGET_INFO = 0x00800000

const b64 = (header: string): Buffer => Buffer.from(header.replace(/^NTLM /, ''), 'base64')
const parseType2 = (type2: Buffer): Type2 =>
  ntlm.parseType2Message(`NTLM ${type2.toString('base64')}`, (e) => {
    throw e
  }) as Type2

const samba = sambaAvailable()
const describeSamba = samba ? describe : describe.skip
if (!samba) {
  noteSkipped('simulator/__tests__/samba-verifier.test.ts (the Samba NTLM verifier)', `${sambaUnavailableReason()} (run bash simulator/samba/setup.sh as root)`)
}

describeSamba('Samba NTLM verifier (ntlm_auth + winbindd; run `bash simulator/samba/setup.sh` to enable)', () => {
  const s = samba!
  let verifier: NtlmVerifier
  // A workstation name unique to this run ties Samba's auth log lines to it (<= 15 chars).
  const workstation = `JEST${process.pid.toString(36).toUpperCase()}${Date.now().toString(36).slice(-4).toUpperCase()}`.slice(0, 15)

  beforeAll(() => {
    verifier = sambaVerifier({ conf: s.conf })
  })
  afterAll(async () => {
    await verifier.close()
  })

  async function attempt(username: string, domain: string, password: string, mangle?: (t2: Type2) => void) {
    const ex = verifier.open()
    try {
      const type2 = await ex.challenge(b64(ntlm.createType1Message({ domain, workstation })))
      const t2 = parseType2(type2)
      mangle?.(t2)
      const type3 = b64(ntlm.createType3Message(t2, { username, password, domain, workstation }))
      return { type2, t2, type3, verdict: await ex.authenticate(type3) }
    } finally {
      ex.close()
    }
  }

  /** Samba's winbindd auth log lines for our workstation (format found by experiment, Samba 4.17). */
  function authLines(): string[] {
    return readFileSync(s.log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('Auth: [winbind,NTLM_AUTH') && l.includes(`workstation [${workstation}]`))
  }

  it('issues a Type2 with target info and extended session security, naming the netbios domain', async () => {
    const ex = verifier.open()
    const type2 = await ex.challenge(b64(ntlm.createType1Message({ domain: s.domain, workstation })))
    ex.close()
    expect(type2.subarray(0, 8).toString('latin1')).toBe('NTLMSSP\0')
    expect(type2.readUInt32LE(8)).toBe(2)
    const t2 = parseType2(type2)
    expect(t2.negotiateFlags & NEGOTIATE_EXTENDED_SESSIONSECURITY).toBeTruthy()
    expect(t2.negotiateFlags & NEGOTIATE_TARGET_INFO).toBeTruthy()
    expect(t2.targetInfo?.length).toBeGreaterThan(0)
    expect(t2.targetName.toString('utf16le').replace(/\0+$/, '')).toBe(s.domain)
  })

  it('accepts the right password and names the user', async () => {
    const { verdict } = await attempt(s.user, s.domain, s.password)
    expect(verdict).toEqual({ ok: true, user: s.user, domain: s.domain })
  })

  it('logs that NTLMv2 was used for that user', async () => {
    await attempt(s.user, s.domain, s.password)
    // e.g. "Auth: [winbind,NTLM_AUTH, ntlm_auth, 1234] user [QLIKSIM]\[svc_reload] at [...] with [NTLMv2]
    //       status [NT_STATUS_OK] workstation [JEST...] remote host [unix:] became [QLIKSIM]\[svc_reload] [S-1-5-21-...]"
    // winbindd writes it (to log.wb-<DOMAIN>), so poll briefly in case the write trails the reply.
    const want = `user [${s.domain}]\\[${s.user}]`
    let lines: string[] = []
    for (let i = 0; i < 20; i++) {
      lines = authLines().filter((l) => l.includes(want) && l.includes('status [NT_STATUS_OK]'))
      if (lines.length > 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line).toContain('with [NTLMv2] status [NT_STATUS_OK]')
  })

  it('rejects a wrong password', async () => {
    const { verdict } = await attempt(s.user, s.domain, 'Wrong-Pass-1')
    // ntlm_auth maps NT_STATUS_WRONG_PASSWORD to the generic logon failure on the wire.
    expect(verdict).toEqual({ ok: false, reason: 'NT_STATUS_LOGON_FAILURE' })
  })

  it('rejects an unknown user', async () => {
    const { verdict } = await attempt('no_such_user', s.domain, s.password)
    expect(verdict).toEqual({ ok: false, reason: 'NT_STATUS_LOGON_FAILURE' })
  })

  it('accepts an empty domain (the server falls back to its own account domain)', async () => {
    const { verdict } = await attempt(s.user, '', s.password)
    expect(verdict).toEqual({ ok: true, user: s.user, domain: s.domain })
  })

  it('rejects a domain that is not the netbios name (e.g. the workgroup)', async () => {
    const { verdict } = await attempt(s.user, 'NOTMYDOMAIN', s.password)
    expect(verdict.ok).toBe(false)
  })

  it('rejects a UPN user name with an empty domain: a standalone server does not parse UPNs', async () => {
    // Observed: Samba looks the whole "svc_reload@QLIKSIM" up as a SAM account name, logs
    // NT_STATUS_NO_SUCH_USER (with [NTLMv2]) and ntlm_auth answers "NA NT_STATUS_LOGON_FAILURE".
    // Only an AD DC maps user@realm; a client must split a UPN itself (or send DOMAIN\user).
    const { verdict } = await attempt(`${s.user}@${s.domain}`, '', s.password)
    expect(verdict).toEqual({ ok: false, reason: 'NT_STATUS_LOGON_FAILURE' })
    const line = authLines().find((l) => l.includes(`user []\\[${s.user}@${s.domain}]`))
    expect(line).toContain('status [NT_STATUS_NO_SUCH_USER]')
  })

  it('rejects a Type3 fed to a different exchange than its Type1 (NTLM state is per connection)', async () => {
    const a = verifier.open()
    const b = verifier.open()
    try {
      const t2a = parseType2(await a.challenge(b64(ntlm.createType1Message({ domain: s.domain, workstation }))))
      await b.challenge(b64(ntlm.createType1Message({ domain: s.domain, workstation })))
      const type3 = b64(ntlm.createType3Message(t2a, { username: s.user, password: s.password, domain: s.domain, workstation }))
      // Observed: ntlm_auth's NTLMSSP server checks that the client's NTLMv2 blob carries the
      // MsvAvTimestamp of *its own* Type2 ("ntlmssp_server_preauth: invalid AvTimestamp ..."), so the
      // foreign Type3 fails there, before winbindd sees it.
      expect(await b.authenticate(type3)).toEqual({ ok: false, reason: 'NT_STATUS_INVALID_PARAMETER' })
      // The same Type3 on its own exchange is fine: the failure above is the exchange mismatch.
      expect(await a.authenticate(type3)).toEqual({ ok: true, user: s.user, domain: s.domain })
      // ...once: the exchange is finished after a verdict, a replay is refused.
      expect((await a.authenticate(type3)).ok).toBe(false)
    } finally {
      a.close()
      b.close()
    }
  })

  it("rejects a Type3 answering another exchange's challenge even with this exchange's target info", async () => {
    const a = verifier.open()
    const b = verifier.open()
    try {
      const t2a = parseType2(await a.challenge(b64(ntlm.createType1Message({ domain: s.domain, workstation }))))
      const t2b = parseType2(await b.challenge(b64(ntlm.createType1Message({ domain: s.domain, workstation }))))
      // b's target info (so the AvTimestamp check passes), a's server challenge: the NTLMv2 proof
      // is then checked by winbindd against b's challenge and fails like a wrong password.
      const forged: Type2 = { ...t2b, serverChallenge: t2a.serverChallenge }
      const type3 = b64(ntlm.createType3Message(forged, { username: s.user, password: s.password, domain: s.domain, workstation }))
      expect(await b.authenticate(type3)).toEqual({ ok: false, reason: 'NT_STATUS_LOGON_FAILURE' })
    } finally {
      a.close()
      b.close()
    }
  })

  it('rejects a Type3 on an exchange that never issued a challenge', async () => {
    const a = verifier.open()
    const b = verifier.open()
    try {
      const t2a = parseType2(await a.challenge(b64(ntlm.createType1Message({ domain: s.domain, workstation }))))
      const type3 = b64(ntlm.createType3Message(t2a, { username: s.user, password: s.password, domain: s.domain, workstation }))
      // Observed: the helper has no NTLMSSP state yet and answers "NA NT_STATUS_INVALID_PARAMETER".
      expect(await b.authenticate(type3)).toEqual({ ok: false, reason: 'NT_STATUS_INVALID_PARAMETER' })
    } finally {
      a.close()
      b.close()
    }
  })

  it('refuses NTLMv1 (ntlm auth = ntlmv2-only)', async () => {
    // Without Extended Session Security and target info, httpntlm answers with plain NTLMv1.
    const { type3, verdict } = await attempt(s.user, s.domain, s.password, (t2) => {
      t2.negotiateFlags &= ~NEGOTIATE_EXTENDED_SESSIONSECURITY
      delete t2.targetInfo
    })
    expect(type3.readUInt16LE(20)).toBe(24) // NtChallengeResponse length 24 = NTLMv1
    expect(verdict).toEqual({ ok: false, reason: 'NT_STATUS_LOGON_FAILURE' })
    const log = readFileSync(s.log, 'utf8')
    expect(log).toContain(`NTLMv1 passwords NOT PERMITTED for user ${s.user}`)
    const line = authLines().find((l) => l.includes('with [NTLMv1]'))
    expect(line).toContain('status [NT_STATUS_WRONG_PASSWORD]')
  })

  it('refuses the NTLM2 session response (ESS without target info, still NTLMv1 crypto)', async () => {
    const { type3, verdict } = await attempt(s.user, s.domain, s.password, (t2) => {
      delete t2.targetInfo
    })
    expect(type3.readUInt16LE(20)).toBe(24)
    expect(verdict).toEqual({ ok: false, reason: 'NT_STATUS_LOGON_FAILURE' })
  })

  it('runs exchanges in parallel, one helper each', async () => {
    const results = await Promise.all([attempt(s.user, s.domain, s.password), attempt(s.user, s.domain, 'Wrong-Pass-1'), attempt(s.user, s.domain, s.password)])
    expect(results.map((r) => r.verdict.ok)).toEqual([true, false, true])
  })
})

describe('Samba verifier helper plumbing (fake helpers, no Samba needed)', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'qsr-samba-fake-'))
    writeFileSync(join(dir, 'smb.conf'), '[global]\n  winbind separator = +\n')
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  function fake(name: string, body: string): string {
    const file = join(dir, name)
    writeFileSync(file, `#!/usr/bin/env bash\n${body}\n`)
    chmodSync(file, 0o755)
    return file
  }

  it('speaks the line protocol and maps AF / NA / BH', async () => {
    const helper = fake(
      'scripted.sh',
      [
        'while read -r cmd arg; do',
        '  case "$cmd" in',
        '    YR) echo "TT $(printf type2 | base64)";;',
        '    KK) case "$(printf %s "$arg" | base64 -d)" in',
        '          good) echo "AF CORP+svc_reload";;',
        '          bad) echo "NA NT_STATUS_LOGON_FAILURE";;',
        '          *) echo "BH NT_STATUS_INVALID_PARAMETER";;',
        '        esac;;',
        '  esac',
        'done'
      ].join('\n')
    )
    const v = sambaVerifier({ conf: join(dir, 'smb.conf'), helper })
    const ex = v.open()
    expect((await ex.challenge(Buffer.from('t1'))).toString()).toBe('type2')
    expect(await ex.authenticate(Buffer.from('good'))).toEqual({ ok: true, user: 'svc_reload', domain: 'CORP' })
    expect(await ex.authenticate(Buffer.from('bad'))).toEqual({ ok: false, reason: 'NT_STATUS_LOGON_FAILURE' })
    expect(await ex.authenticate(Buffer.from('other'))).toEqual({ ok: false, reason: 'helper: NT_STATUS_INVALID_PARAMETER' })
    ex.close()
    ex.close()
    await v.close()
  })

  it('splits DOMAIN\\user, DOMAIN+user and bare names', () => {
    expect(splitAccount('QLIKSIM\\svc_reload')).toEqual({ domain: 'QLIKSIM', user: 'svc_reload' })
    expect(splitAccount('QLIKSIM+svc_reload', '+')).toEqual({ domain: 'QLIKSIM', user: 'svc_reload' })
    expect(splitAccount('svc_reload')).toEqual({ domain: '', user: 'svc_reload' })
  })

  it('rejects when the helper does not answer in time, and kills it', async () => {
    const v = sambaVerifier({ conf: join(dir, 'smb.conf'), helper: fake('silent.sh', 'exec sleep 30'), timeoutMs: 300 })
    const ex = v.open()
    await expect(ex.challenge(Buffer.from('t1'))).rejects.toThrow(/did not answer within 300 ms/)
    await expect(ex.challenge(Buffer.from('t1'))).rejects.toThrow()
    await v.close()
  })

  it('rejects when the helper dies, with its stderr', async () => {
    const v = sambaVerifier({ conf: join(dir, 'smb.conf'), helper: fake('dies.sh', 'read -r line; echo "winbind is gone" >&2; exit 3') })
    const ex = v.open()
    await expect(ex.challenge(Buffer.from('t1'))).rejects.toThrow(/exited \(code 3\): winbind is gone/)
    await v.close()
  })

  it('rejects when the helper cannot be started', async () => {
    const v = sambaVerifier({ conf: join(dir, 'smb.conf'), helper: join(dir, 'does-not-exist') })
    const ex = v.open()
    await expect(ex.challenge(Buffer.from('t1'))).rejects.toThrow(/ENOENT/)
    await v.close()
  })

  it('close() on the verifier kills open helpers and refuses new exchanges', async () => {
    const v = sambaVerifier({ conf: join(dir, 'smb.conf'), helper: fake('idle.sh', 'exec sleep 30') })
    const ex = v.open()
    const pending = expect(ex.challenge(Buffer.from('t1'))).rejects.toThrow(/closed/)
    await v.close()
    await pending
    expect(() => v.open()).toThrow(/closed/)
  })
})
