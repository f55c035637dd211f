import type { Authenticator, Site } from '../qrs/authenticator.js'
import type { AuthInputs, AuthMethod } from './method.js'
import { certificateMethod } from './certificate.js'
import { headerMethod } from './header.js'
import { jwtMethod } from './jwt.js'
import { ntlmMethod } from './ntlm.js'

/** Every auth-type, one line each; messages list them in this order. */
const METHODS = {
  ntlm: ntlmMethod,
  jwt: jwtMethod,
  certificate: certificateMethod,
  header: headerMethod
}

export type AuthType = keyof typeof METHODS
/** What `auth-type` signs in with: one variant per type, told apart by `type`. */
export type AuthSettings = ReturnType<(typeof METHODS)[AuthType]['read']>
type SettingsOf<K extends AuthType> = Extract<AuthSettings, { type: K }>

/** The registry by type, each method typed with its own settings (so that `create` needs no cast). */
const BY_TYPE: { [K in AuthType]: AuthMethod<SettingsOf<K>> } = METHODS

export const AUTH_TYPES = Object.keys(METHODS) as AuthType[]

/** Reads the inputs of auth-type `type`. */
export function readAuth(type: AuthType, inputs: AuthInputs): AuthSettings {
  return BY_TYPE[type].read(inputs)
}

/** The Qlik user the calls run as (see AuthMethod.user). */
export function authUser<K extends AuthType>(settings: SettingsOf<K>): string {
  const method: AuthMethod<SettingsOf<K>> = BY_TYPE[settings.type]
  return method.user(settings)
}

/** The sign-in strategy for these settings. */
export async function createAuthenticator<K extends AuthType>(settings: SettingsOf<K>, site: Site): Promise<Authenticator> {
  const method: AuthMethod<SettingsOf<K>> = BY_TYPE[settings.type]
  return method.create(settings, site)
}
