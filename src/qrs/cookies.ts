import { maskDerived } from '../output/mask.js'
import type { Log } from '../toolkit/toolkit.js'

/** A browser keeps 4 KiB per cookie; a proxy's session needs one or two. */
const MAX_COOKIES = 20
const MAX_COOKIE_BYTES = 4 * 1024
/** The Cookie header stays below this, whatever the server sets (proxies refuse large headers). */
const MAX_HEADER_BYTES = 8 * 1024

/**
 * The proxy's session cookie, whatever the virtual proxy calls it (X-Qlik-Session-<prefix> by
 * default, but configurable): the cookies the proxy sets are kept and sent back. Bounded: at most
 * MAX_COOKIES, each up to MAX_COOKIE_BYTES, MAX_HEADER_BYTES in all. A cookie already kept is updated;
 * a new one past the bounds is dropped, so the session cookie, set first, stays.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>()

  /** `log`: where the session cookie's value is masked, and dropped cookies are told (debug). */
  constructor(private readonly log: Pick<Log, 'setSecret' | 'debug'>) {}

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
      if (/sess/i.test(name) || value.length >= 20) maskDerived(this.log, value)
      if (this.fits(name, value)) this.cookies.set(name, value)
      else this.log.debug(`Cookie ${name.slice(0, 40)} not kept: the jar holds at most ${MAX_COOKIES} cookies, ${MAX_COOKIE_BYTES} bytes each, ${MAX_HEADER_BYTES} in all.`)
    }
  }

  /** Whether the jar may keep this cookie (in place of one of the same name). */
  private fits(name: string, value: string): boolean {
    const size = (n: string, v: string): number => Buffer.byteLength(`${n}=${v}; `)
    if (size(name, value) > MAX_COOKIE_BYTES) return false
    const old = this.cookies.get(name)
    if (old === undefined && this.cookies.size >= MAX_COOKIES) return false
    const total = [...this.cookies].reduce((sum, [n, v]) => sum + size(n, v), 0) - (old === undefined ? 0 : size(name, old))
    return total + size(name, value) <= MAX_HEADER_BYTES
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
