/**
 * What the bundle has for `undici` (tsconfig.json "paths"; ncc resolves through them). @actions/http-client
 * imports undici for one method, getAgentDispatcher (a fetch() dispatcher through a proxy), which neither
 * this action nor @actions/core calls; the real package is 900 KB that every step would load at start-up,
 * about half its start-up time and 18 MiB (issue 21). Only the bundle gets this: tests and tools load the
 * real package. Calling it says so instead of failing obscurely.
 */
export class ProxyAgent {
  constructor() {
    throw new Error('undici is not in the bundle of this action: @actions/http-client getAgentDispatcher() is not supported here.')
  }
}
