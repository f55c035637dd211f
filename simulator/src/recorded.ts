import type { FaultListener } from './faults.js'

/** One request as the simulator saw it (sim.requests, GET /__sim/requests). */
export interface RecordedRequest {
  time: number
  method: string
  /** The pathname. */
  path: string
  /** The raw query string without '?'. */
  query: string
  headers: Record<string, string | string[] | undefined>
  status: number
  /** Which listener took it: the certificate port, the proxy, or the engine port (WebSocket upgrades). */
  listener: FaultListener
  clientCertCN?: string
  body?: string
  /** The kind of the fault injected into this request ('status', 'reset', ...), if any. */
  fault?: string
  /** With recordAnswers: the JSON body answered (absent for text, HTML, streamed and empty answers). */
  answer?: unknown
}
