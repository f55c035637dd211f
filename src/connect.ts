import { createAuthenticator } from './auth/index.js'
import { EngineConnector } from './engine/connector.js'
import { QrsApi } from './qrs/api.js'
import type { Authenticator } from './qrs/authenticator.js'
import { QrsClient } from './qrs/client.js'
import { getSettings, type Settings } from './settings/settings.js'
import { actionsToolkit } from './toolkit/actions.js'
import type { Log, Toolkit } from './toolkit/toolkit.js'
import { systemClock, type Clock } from './util/clock.js'

/** What the steps are given: the runner's toolkit and the clock (tests pass fakes). */
export interface Dependencies {
  toolkit: Toolkit
  clock: Clock
  /** Aborted: the job is being cancelled (as on SIGINT/SIGTERM); in-process tests use it. */
  cancel?: AbortSignal
}

export const defaults: Dependencies = { toolkit: actionsToolkit, clock: systemClock }

/** The inputs, checked; every secret among them masked before anything can print it. Shared by main and post. */
export function readSettings(toolkit: Toolkit): Settings {
  const settings = getSettings((name, options) => toolkit.getInput(name, options))
  for (const secret of settings.secrets) toolkit.setSecret(secret)
  return settings
}

/** What connect() gives: the QRS calls and the engine, signed in the same way; dispose both when done. */
export interface Connection {
  api: QrsApi
  auth: Authenticator
  client: QrsClient
  engine: EngineConnector
}

/** The site's API with the authenticator for auth-type, and the engine signed in with the same; dispose the client and the engine when done. */
export async function connect(settings: Settings, clock: Clock, log: Log): Promise<Connection> {
  const auth = await createAuthenticator(settings.auth, { url: settings.url, userAgent: settings.userAgent, log })
  const client = new QrsClient({
    url: settings.url,
    userAgent: settings.userAgent,
    auth,
    tls: { ca: settings.caCert, serverName: settings.tlsServerName, insecure: settings.insecureSkipTlsVerify },
    requestTimeoutMs: settings.requestTimeoutMs,
    clock,
    log
  })
  const api = new QrsApi(client)
  const engine = new EngineConnector({
    url: settings.engineUrl,
    auth,
    tls: { ca: settings.caCert, serverName: settings.tlsServerName, insecure: settings.insecureSkipTlsVerify },
    userAgent: settings.userAgent,
    requestTimeoutMs: settings.requestTimeoutMs,
    log,
    // The cheapest QRS call: through the client, it signs in again when the proxy session expired.
    refresh: () => api.about()
  })
  return { api, auth, client, engine }
}
