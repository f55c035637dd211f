// js-md4 ships no types. Only the pure-JS streaming API is declared: the bare md4(buf) call may go
// through OpenSSL, which has no MD4 in OpenSSL 3 (Node 20/24).
declare module 'js-md4' {
  interface Md4Hasher {
    update(data: Buffer | Uint8Array | string): Md4Hasher
    digest(): number[]
  }
  const md4: { create(): Md4Hasher }
  export default md4
}
