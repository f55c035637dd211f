import type { Authenticator, Site } from './auth.js'
import { credentialsAuthenticator } from './session.js'

/**
 * Header auth through a virtual proxy: the proxy trusts a header that names the user. Sent until
 * the proxy has set its session cookie, then the cookie alone, so the run keeps one proxy session.
 */
export function headerAuth(name: string, value: string, site: Site): Authenticator {
  return credentialsAuthenticator(
    {
      type: 'header',
      description: `header ${name}`,
      credentials: (session): Record<string, string> => (session ? {} : { [name]: value }),
      refusalHint: status =>
        status === 401 || status === 403
          ? `The proxy did not accept header auth: header-name must be the virtual proxy's "Header authentication header name" (now '${name}'), header-value a user it knows, and url must include the virtual proxy prefix.`
          : undefined
    },
    site
  )
}
