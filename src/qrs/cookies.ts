import { maskDerived } from '../output/mask.js'
import type { Log } from '../toolkit/toolkit.js'

/**
 * The proxy's session cookie, whatever the virtual proxy calls it (X-Qlik-Session-<prefix> by
 * default, but configurable): every cookie the proxy sets is kept and sent back.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>()

  /** `secrets`: where the session cookie's value is masked. */
  constructor(private readonly secrets: Pick<Log, 'setSecret'>) {}

  /** Takes the Set-Cookie headers of an answer; values are masked in the log at once. */
  take(setCookie: string[] | undefined): void {
    for (const header of setCookie ?? []) {
      const [pair, ...attributes] = header.split(';')
      const at = pair.indexOf('=')
      if (at <= 0) continue
      const name = pair.slice(0, at).trim()
      const value = pair.slice(at + 1).trim()
      const expired = attributes.some(a => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a)) || !value
      if (expired) {
        this.cookies.delete(name)
        continue
      }
      // The session cookie is the credential; a load balancer's `ROUTEID=.1` is not (masking it blanks every ".1").
      if (/sess/i.test(name) || value.length >= 20) maskDerived(this.secrets, value)
      this.cookies.set(name, value)
    }
  }

  get empty(): boolean {
    return this.cookies.size === 0
  }

  names(): string[] {
    return [...this.cookies.keys()]
  }

  clear(): void {
    this.cookies.clear()
  }

  /** The Cookie header, or nothing when there is no session yet. */
  header(): Record<string, string> {
    return this.empty ? {} : { Cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') }
  }
}
