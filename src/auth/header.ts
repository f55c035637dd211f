import type { Authenticator, Site } from '../qrs/authenticator.js'
import { headerValue } from '../inputs/values.js'
import { MIN_MASKED_LENGTH } from '../output/mask.js'
import { InputError } from '../util/errors.js'
import type { AuthInputs, AuthMethod } from './method.js'
import { credentialsAuthenticator } from './session.js'
import { formatUser, parseUser } from '../qrs/user.js'

export interface HeaderSettings {
  type: 'header'
  /** The virtual proxy's header name, and the user id it signs in. */
  name: string
  value: string
}

/** auth-type: header (through a virtual proxy): header-name, header-value. */
export const headerMethod: AuthMethod<HeaderSettings> = {
  read: inputs => ({ type: 'header', ...readHeader(inputs) }),
  create: (settings, site) => headerAuth(settings.name, settings.value, site),
  // `DIRECTORY\user` with a dynamic user directory; a static one is the virtual proxy's, not known here.
  user: settings => formatUser(parseUser(settings.value))
}

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

function readHeader({ get, secrets }: AuthInputs): { name: string; value: string } {
  const name = get('header-name')
  const value = get('header-value')
  if (!name) throw new InputError('header-name', "is required with auth-type 'header' (the virtual proxy's header name).")
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new InputError('header-name', `'${name}' is not a valid HTTP header name.`)
  if (!value) throw new InputError('header-value', "is required with auth-type 'header' (the user id the proxy should sign in).")
  // A user id, not a password: a short one (`sa`) masked would blank ordinary words in the log.
  if (value.length >= MIN_MASKED_LENGTH) secrets.push(value)
  headerValue('header-value', value)
  return { name, value }
}
