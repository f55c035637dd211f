import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { testCertificates } from '../helpers/certs.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { maskDerived, maskTicket, withoutQuery } from '../../src/output/mask.js'
import { getSettings } from '../../src/settings/settings.js'
import { CookieJar } from '../../src/qrs/cookies.js'
import { excerpt } from '../../src/util/text.js'
import { MAX_BODY_BYTES, MAX_ERROR_BODY_BYTES, Transport } from '../../src/qrs/transport.js'
import type { QrsApi } from '../../src/qrs/api.js'
import { insideDir, saveScriptLog } from '../../src/scriptlog/fetch.js'
import { scanLog } from '../../src/scriptlog/excerpt.js'
import { boundedLines } from '../../src/scriptlog/lines.js'
import { MAX_LINE_CHARS } from '../../src/util/text.js'
import { systemClock } from '../../src/util/clock.js'
import { actionsToolkit } from '../../src/toolkit/actions.js'

/** What the runner's toolkit registered (core.setSecret): the `::add-mask::` lines written to stdout. */
let masked: string[]
beforeEach(() => {
  masked = []
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    const text = String(chunk)
    if (text.startsWith('::add-mask::')) masked.push(text.slice('::add-mask::'.length).trim())
    return true
  })
})
afterEach(() => {
  jest.restoreAllMocks()
})

describe('masking what the action derives, and only that', () => {
  it('masks the session cookie value, not a load balancer cookie such as ROUTEID=.1', () => {
    new CookieJar(actionsToolkit).take(['X-Qlik-Session-ntlm=2c1e4a0b-95f3-4d4e-8a59-0c3a8e5b7d21; Path=/; HttpOnly', 'ROUTEID=.1; Path=/', 'QlikSessionCustom=abcdefgh12'])
    expect(masked).toEqual(['2c1e4a0b-95f3-4d4e-8a59-0c3a8e5b7d21', 'abcdefgh12'])
  })

  it('masks the qlikTicket of a Location the moment it is read, raw and decoded', () => {
    maskTicket(actionsToolkit, 'https://qs/ntlm/qrs/about?xrfkey=abcdefghijklmnop&qlikTicket=Ab%2BcdEfGh12345')
    // The toolkit escapes % in the command.
    expect(masked).toEqual(['Ab%252BcdEfGh12345', 'Ab+cdEfGh12345'])
  })

  it('registers a multi-line value line by line, and no short value', () => {
    maskDerived(actionsToolkit, 'first-line-secret\nsecond-line-secret\nab')
    maskDerived(actionsToolkit, 'sa')
    expect(masked).toEqual(['first-line-secret%0Asecond-line-secret%0Aab', 'first-line-secret', 'second-line-secret'])
  })

  it('does not register a short header-auth user id as a secret, but a long one', () => {
    const read = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''
    const base = { url: 'https://qs/hdr', 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'task-id': 'a1000000-0000-4000-8000-000000000001' }
    expect(getSettings(read({ ...base, 'header-value': 'sa' })).secrets).toEqual([])
    expect(getSettings(read({ ...base, 'header-value': 'svc_hdr_reload' })).secrets).toEqual(['svc_hdr_reload'])
  })

  it('strips the query of every URL and path in a message', () => {
    expect(withoutQuery('Request timeout: /ntlm/qrs/about?xrfkey=abc&qlikTicket=T0P (x)')).toBe('Request timeout: /ntlm/qrs/about?… (x)')
    expect(withoutQuery('redirected to https://qs:443/ntlm/qrs/about?xrfkey=1&qlikTicket=2.')).toBe('redirected to https://qs:443/ntlm/qrs/about?…')
  })
})

describe('error bodies', () => {
  it('strips 1 MB of unclosed <script tags in linear time (the regex took about 80 s)', () => {
    for (const body of ['<script'.repeat(150_000), `<p>Bad</p>${'<'.repeat(1_000_000)}`, '<a>'.repeat(350_000) + 'end', '<script></script>'.repeat(60_000)]) {
      const started = performance.now()
      excerpt(body)
      expect(performance.now() - started).toBeLessThan(2_000)
    }
    expect(excerpt('<html><style>p{}</style><script>var a="<b>"</script><h1>Bad Request</h1><p>Invalid  host</p></html>')).toBe('Bad Request Invalid host')
  })

  describe('read with a size cap', () => {
    let server: Server
    let url: string
    afterEach(() => new Promise<void>(done => server.close(() => done())))
    const serve = async (status: number, bytes: number) => {
      const certs = testCertificates()
      server = createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (_req, res) => {
        res.writeHead(status, { 'content-type': 'text/plain' })
        const chunk = Buffer.alloc(64 * 1024, 'x')
        let sent = 0
        const more = (): void => {
          while (sent < bytes) {
            sent += chunk.length
            if (!res.write(chunk)) return void res.once('drain', more)
          }
          res.end()
        }
        res.on('error', () => undefined)
        more()
      })
      await new Promise<void>(done => server.listen(0, '127.0.0.1', () => done()))
      url = `https://localhost:${(server.address() as { port: number }).port}/qrs/x`
      return new Transport(new URL(url), { userAgent: 't', serverTls: { insecure: false, ca: readFileSync(certs.ca, 'utf8') }, clientTls: {} })
    }

    it('keeps only the first part of a huge error body', async () => {
      const transport = await serve(500, 50 * 1024 * 1024)
      const answer = await transport.request('GET', url, {})
      expect(answer.status).toBe(500)
      expect(answer.body.length).toBe(MAX_ERROR_BODY_BYTES)
      transport.dispose()
    })

    it('refuses a 2xx answer over the cap', async () => {
      const transport = await serve(200, MAX_BODY_BYTES + 1024 * 1024)
      await expect(transport.request('GET', url, {})).rejects.toThrow(/larger than 32 MiB/)
      transport.dispose()
    })
  })
})

describe('script log files and lines', () => {
  it('refuses a result id that is not a GUID before any request, and keeps files inside the directory', async () => {
    const api = { scriptLogReference: jest.fn(), downloadScriptLog: jest.fn() }
    const dir = mkdtempSync(join(tmpdir(), 'qsr-guid-'))
    for (const id of ['../../etc/evil', 'a1000000-0000-4000-8000-000000000001/../../x', '']) {
      const log = await saveScriptLog(api as unknown as QrsApi, 't', { id, status: 8, fileReferenceID: 'a1000000-0000-4000-8000-000000000009' }, { dir, clock: systemClock })
      expect(log.kind).toBe('none')
    }
    expect(api.scriptLogReference).not.toHaveBeenCalled()
    expect(() => insideDir(dir, '../x.log')).toThrow(/outside/)
    expect(insideDir(dir, 'qlik-script-log-x.log')).toBe(join(dir, 'qlik-script-log-x.log'))
  })

  it('bounds a line that never ends, when printing and when scanning', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'qsr-line-')), 'log.txt')
    writeFileSync(file, `start\r\n${'x'.repeat(20 * 1024 * 1024)}\r\nError: after the long line\r\nend`)
    const lines: string[] = []
    for await (const line of boundedLines(file)) lines.push(line)
    expect(lines.map(l => l.length)).toEqual([5, MAX_LINE_CHARS + 1, 26, 3])
    const scanned = await scanLog(file)
    expect(scanned.lines).toBe(4)
    expect(scanned.errorLines).toEqual(['Error: after the long line'])
    expect(Math.max(...scanned.tail.map(l => l.length))).toBeLessThanOrEqual(401)
  })
})
