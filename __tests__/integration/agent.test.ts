import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { createServer, type Agent, type IncomingMessage, type Server } from 'node:http'
import { get } from 'node:https'
import { connect, type AddressInfo } from 'node:net'
import { createAgent } from '../../src/qrs/agent.js'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { testCertificates } from '../helpers/certs.js'
import { testSite } from '../helpers/site.js'
import { loopbackAlias } from '../helpers/tinyproxy.js'

// The connection agent (src/qrs/agent.ts) through a forward proxy as HTTPS_PROXY names it, with the
// site's CA, a client certificate and tls-server-name. The proxy here is a plain CONNECT tunnel that
// records what it was asked; __tests__/e2e/network.test.ts does the same through tinyproxy.
let sim: Simulator
let proxy: Server
let proxyPort: number
let alias: string | undefined
const connects: { target: string; auth?: string }[] = []
// Tunnelled sockets leave the HTTP server at CONNECT: closed here at the end (the tunnel agent has no destroy()).
const tunnels = new Set<{ destroy: () => void }>()
const saved = { ...process.env }

beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
  alias = await loopbackAlias()
  proxy = createServer()
  proxy.on('connect', (req: IncomingMessage, socket, head) => {
    connects.push({ target: req.url ?? '', auth: req.headers['proxy-authorization'] })
    tunnels.add(socket)
    const [host, port] = (req.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(socket).pipe(upstream)
    })
    tunnels.add(upstream)
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
  })
  await new Promise<void>(done => proxy.listen(0, '127.0.0.1', done))
  proxyPort = (proxy.address() as AddressInfo).port
})
afterAll(async () => {
  process.env = { ...saved }
  for (const socket of tunnels) socket.destroy()
  await new Promise(done => proxy?.close(done))
  await sim?.close()
})

function about(agent: Agent, url: URL): Promise<number> {
  return new Promise((resolve, reject) => {
    get(new URL('/qrs/about?xrfkey=abcdefghij123456', url), { agent, headers: { 'x-qlik-xrfkey': 'abcdefghij123456' } }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    }).on('error', reject)
  })
}

const clientTls = () => ({ cert: readFileSync(sim.certs.clientCert, 'utf8'), key: readFileSync(sim.certs.clientKey, 'utf8') })

describe('createAgent', () => {
  it('connects directly with the CA and the client certificate', async () => {
    const agent = createAgent(new URL(sim.url), { ca: readFileSync(sim.certs.ca, 'utf8'), insecure: false }, clientTls())
    expect(await about(agent, new URL(sim.url))).toBe(200)
    agent.destroy()
  })

  it('tunnels through HTTPS_PROXY with its credentials, checking the name given in tls-server-name', async () => {
    if (!alias) throw new Error('no host name for this machine other than localhost: cannot test the proxy')
    const port = new URL(sim.url).port
    const url = new URL(`https://${alias}:${port}`)
    process.env.HTTPS_PROXY = `http://proxyuser:proxy%20pass@127.0.0.1:${proxyPort}`
    delete process.env.NO_PROXY
    delete process.env.no_proxy
    const before = connects.length
    const agent = createAgent(url, { ca: readFileSync(sim.certs.ca, 'utf8'), serverName: 'localhost', insecure: false }, clientTls())
    expect(await about(agent, url)).toBe(200)
    expect(connects.slice(before)).toEqual([{ target: `${alias}:${port}`, auth: `Basic ${Buffer.from('proxyuser:proxy pass').toString('base64')}` }])
    // Without tls-server-name the certificate does not name the alias: refused.
    const strict = createAgent(url, { ca: readFileSync(sim.certs.ca, 'utf8'), insecure: false }, clientTls())
    await expect(about(strict, url)).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' })
  })
})
