/**
 * How the simulated proxy checks an NTLM handshake. Two implementations sit behind this:
 * `builtin.ts` (a real NTLMv2 check in JS, no system dependency) and `samba.ts` (hands the
 * messages to Samba's ntlm_auth, so the verdict comes from code that is not ours).
 */

/** The verdict on a Type3 message. */
export type NtlmVerdict = { ok: true; user: string; domain: string } | { ok: false; reason: string }

/**
 * One handshake. NTLM authenticates a TCP connection, so the proxy opens one exchange per
 * connection and never shares it.
 */
export interface NtlmExchange {
  /** Type1 (raw bytes, already base64-decoded) in, Type2 (raw bytes) out. */
  challenge(type1: Buffer): Promise<Buffer>
  /** Type3 (raw bytes) in, the verdict out. Only valid after challenge() on the same exchange. */
  authenticate(type3: Buffer): Promise<NtlmVerdict>
  /** Frees what the exchange holds (e.g. the helper process). Safe to call twice. */
  close(): void
}

export interface NtlmVerifier {
  readonly name: 'builtin' | 'samba'
  open(): NtlmExchange
  close(): Promise<void>
}
