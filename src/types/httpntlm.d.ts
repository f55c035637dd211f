// httpntlm ships no types; only its NTLM message layer is used (its transport drops headers and redirects).
declare module 'httpntlm/ntlm.js' {
  export interface Type2Message {
    negotiateFlags: number
    serverChallenge: Buffer
    targetInfo?: Buffer
    targetName?: Buffer
  }
  export interface NtlmOptions {
    username?: string
    password?: string
    domain?: string
    workstation?: string
  }
  const ntlm: {
    createType1Message(options: NtlmOptions): string
    parseType2Message(header: string, onError: (error: Error) => void): Type2Message | null
    createType3Message(type2: Type2Message, options: NtlmOptions): string
  }
  export default ntlm
}
