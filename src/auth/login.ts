import { withoutQuery } from '../output/mask.js'
import { isRedirect, type RawResponse } from '../qrs/transport.js'
import type { Site } from '../qrs/authenticator.js'
import { AuthError, QrsError } from '../util/errors.js'
import { parseRetryAfter } from '../qrs/retry.js'

type LoginModule = 'windows' | 'forms'

/** Which login module of the proxy a redirect points at, if any. */
export function loginModule(response: RawResponse): LoginModule | undefined {
  if (!isRedirect(response.status)) return undefined
  const location = String(response.headers.location ?? '')
  if (/internal_windows_authentication/i.test(location)) return 'windows'
  if (/internal_forms_authentication/i.test(location)) return 'forms'
  return undefined
}

/** Why the proxy sent this auth type to a login module (or why signing in failed). */
export function loginError(response: RawResponse, type: string, site: Site): AuthError {
  const module = loginModule(response)
  const { url, userAgent } = site
  if (module === 'forms') {
    return new AuthError(
      `The proxy sent the request to its forms login page (internal_forms_authentication) instead of Windows authentication. ` +
        `Either the user agent '${userAgent}' lacks the virtual proxy's Windows authentication pattern (set user-agent to contain it; the default pattern is 'Windows'), ` +
        `or url is missing the virtual proxy prefix (e.g. ${url.origin}/ntlm).`
    )
  }
  if (module === 'windows') {
    return new AuthError(
      `The proxy wants Windows authentication, but auth-type is '${type}': url probably lacks the virtual proxy prefix of the ${type} virtual proxy (e.g. ${url.origin}/${type === 'jwt' ? 'jwt' : 'hdr'}).`
    )
  }
  return new AuthError(`Signing in failed: the proxy answered ${response.status}${response.headers.location ? ` redirecting to ${withoutQuery(response.headers.location)}` : ''}.`)
}

/** A redirect to a login module, explained; other redirects are the client's to report. */
export function loginRedirectError(response: RawResponse, type: string, site: Site): AuthError | undefined {
  return loginModule(response) ? loginError(response, type, site) : undefined
}

/** Redirects are only followed on the Qlik host the user configured. */
export function sameOrigin(location: string, site: Site): URL {
  const url = new URL(location, site.url)
  if (url.origin !== site.url.origin) {
    throw new AuthError(`The proxy redirected to ${url.origin}, not ${site.url.origin}: set url to the host name the proxy uses (and tls-server-name if needed).`)
  }
  return url
}

export const PROXY_HTML_HINT = `Expected JSON but got an HTML page, probably a login form: url must include the virtual proxy prefix, and for Windows authentication user-agent must contain the virtual proxy's Windows authentication pattern.`

/**
 * A sign-in leg the proxy answered "later" (5xx, 429: a node restarting, a busy proxy) fails as the
 * QRS answer it stands for, so the request that needed the sign-in is retried like any other GET.
 */
export function throwIfBusy(response: RawResponse, url: URL): void {
  if (response.status !== 429 && response.status < 500) return
  const retryAfter = parseRetryAfter(String(response.headers['retry-after'] ?? '') || undefined)
  throw new QrsError('GET', url.pathname, response.status, response.body, 'The virtual proxy could not sign in just now.', retryAfter)
}
