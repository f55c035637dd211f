import * as core from '@actions/core'
import { createServer, type Server } from 'node:http'

/** Where to listen for the QRS's callbacks: `notify-listen` (host:port). */
export interface ListenAddress {
  host: string
  port: number
}

/**
 * Receives the QRS's change notifications. A callback is only a wake-up: its body is never read
 * as the truth (anyone who can reach the port could send one); the wait re-reads the state over
 * the API. `sleep` ends early when a callback arrives.
 */
export class WakeUpListener {
  private wake?: () => void
  private pending = false
  wakeUps = 0

  private constructor(
    private readonly server: Server,
    readonly port: number
  ) {}

  static async start(address: ListenAddress, path: string): Promise<WakeUpListener> {
    let listener: WakeUpListener | undefined
    const server = createServer((request, response) => {
      request.resume() // the body is not needed: a callback only says "look again"
      const matches = path === '/' || (request.url ?? '').split('?')[0] === path
      if (request.method !== 'POST' || !matches) {
        response.writeHead(404).end()
        return
      }
      response.writeHead(200).end()
      listener?.notify()
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(address.port, address.host, () => resolve())
    })
    const port = (server.address() as { port: number }).port
    listener = new WakeUpListener(server, port)
    return listener
  }

  private notify(): void {
    this.wakeUps++
    core.debug('Qlik notification received: checking the execution now.')
    if (this.wake) this.wake()
    else this.pending = true
  }

  /** Waits `ms`, or less if a callback arrives (also one that arrived since the last wait). True when woken. */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.pending) {
      this.pending = false
      return Promise.resolve(true)
    }
    return new Promise<boolean>((resolve, reject) => {
      const done = (woken: boolean): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', aborted)
        this.wake = undefined
        resolve(woken)
      }
      const aborted = (): void => {
        clearTimeout(timer)
        this.wake = undefined
        reject(signal!.reason)
      }
      const timer = setTimeout(() => done(false), ms)
      this.wake = () => done(true)
      if (signal?.aborted) aborted()
      else signal?.addEventListener('abort', aborted, { once: true })
    })
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise(resolve => this.server.close(() => resolve()))
  }
}
