import type { IncomingHttpHeaders } from 'node:http'
import type { RenewContext, Site } from '../../src/qrs/authenticator.js'
import type { RawResponse } from '../../src/qrs/transport.js'
import { FakeToolkit } from './fake-toolkit.js'

/** The site the unit tests' authenticators talk to; `site.log` records their lines and secrets. */
export const site: Site & { log: FakeToolkit } = { url: new URL('https://qlik.corp.example/ntlm'), userAgent: 'qlik-sense-reload (Windows)', log: new FakeToolkit() }

/** An answer as the transport hands it over. */
export function answer(status: number, headers: IncomingHttpHeaders = {}, body = ''): RawResponse {
  return { status, headers, body, socket: undefined }
}

/** A renew context whose network calls fail the test unless the test supplies them. */
export function renewContext(overrides: Partial<RenewContext> = {}): RenewContext {
  const none = (what: string) => (): never => {
    throw new Error(`unexpected ${what}`)
  }
  return {
    method: 'GET',
    url: new URL('/ntlm/qrs/about', site.url),
    answer: answer(401),
    streamed: false,
    get: none('get'),
    request: none('request'),
    openConnection: none('openConnection'),
    ...overrides
  }
}
