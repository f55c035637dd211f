import type { Auth } from './auth.js'

/** Header auth through a virtual proxy: the proxy trusts a header that names the user. */
export function headerAuth(name: string, value: string): Auth {
  return {
    type: 'header',
    description: `header ${name}`,
    tls: {},
    headers: () => ({ [name]: value }),
    refusalHint: status =>
      status === 401 || status === 403
        ? `The proxy did not accept header auth: header-name must be the virtual proxy's "Header authentication header name" (now '${name}'), header-value a user it knows, and url must include the virtual proxy prefix.`
        : undefined
  }
}
