import { createRequire } from 'node:module'

/** The fields of httpntlm's parsed Type2 that the tests read or change. */
export interface Type2 {
  negotiateFlags: number
  targetInfo?: Buffer
  targetName: Buffer
  serverChallenge: Buffer
}

export interface NtlmMessages {
  createType1Message(o: { domain: string; workstation: string }): string
  parseType2Message(header: string, cb: (err: Error) => void): Type2 | null
  createType3Message(t2: Type2, o: { username: string; password: string; domain: string; workstation: string }): string
}

/** httpntlm's message layer (the tests' independent NTLM client), loaded through require. */
export const ntlm = createRequire(import.meta.url)('httpntlm/ntlm.js') as NtlmMessages
