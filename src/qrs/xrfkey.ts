import { randomInt } from 'node:crypto'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** A fresh 16-character key for the `xrfkey` query parameter and the `X-Qlik-Xrfkey` header. */
export function newXrfkey(): string {
  let key = ''
  for (let i = 0; i < 16; i++) key += ALPHABET[randomInt(ALPHABET.length)]
  return key
}
