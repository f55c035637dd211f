import type { Scenario } from '../../simulator/src/index.js'

/** Ids of the sample site used by the end-to-end tests. */
export const IDS = {
  appSales: '5f0c2b8e-1d0e-4f5e-9d7a-0a1b2c3d4e01',
  appFinance: '5f0c2b8e-1d0e-4f5e-9d7a-0a1b2c3d4e02',
  ok: 'a1000000-0000-4000-8000-000000000001',
  quote: 'a1000000-0000-4000-8000-000000000002',
  fail: 'a1000000-0000-4000-8000-000000000003',
  disabled: 'a1000000-0000-4000-8000-000000000004',
  retry: 'a1000000-0000-4000-8000-000000000005',
  slow: 'a1000000-0000-4000-8000-000000000006',
  queued: 'a1000000-0000-4000-8000-000000000007',
  flaky: 'a1000000-0000-4000-8000-000000000008',
  long: 'a1000000-0000-4000-8000-000000000009'
}

export const SCRIPT_ERROR = "Field 'Revenue' not found"

/** The Windows account the simulated proxy's built-in NTLM verifier accepts. */
export const WINDOWS = { domain: 'CORP', user: 'svc_reload', password: 'Reload-Pass-1 ünïcode' }

/** A small site: one task per behaviour the tests drive. Durations are short: tests never sleep long. */
export function testSite(): Scenario {
  return {
    machineName: 'qliksrv01.corp.example',
    serverNames: ['qliksrv01.corp.example', 'localhost', '127.0.0.1'],
    nodeName: 'qliksrv01',
    apps: [
      { id: IDS.appSales, name: 'Sales' },
      { id: IDS.appFinance, name: 'Finance' }
    ],
    tasks: [
      { id: IDS.ok, name: 'Reload Sales', appId: IDS.appSales, runs: [{ attempts: [{ outcome: 7, durationMs: 600 }] }] },
      { id: IDS.quote, name: "Reload O'Brien Ümsätze", appId: IDS.appSales, runs: [{ attempts: [{ outcome: 7, durationMs: 300 }] }] },
      { id: IDS.fail, name: 'Reload Finance', appId: IDS.appFinance, runs: [{ attempts: [{ outcome: 8, durationMs: 300, details: [SCRIPT_ERROR] }] }] },
      { id: IDS.disabled, name: 'Reload Archive', appId: IDS.appSales, enabled: false },
      {
        id: IDS.retry,
        name: 'Reload Sales with retry',
        appId: IDS.appSales,
        maxRetries: 1,
        runs: [
          {
            attempts: [
              { outcome: 8, durationMs: 300, details: ['Connection to the database was lost'] },
              { outcome: 7, durationMs: 300 }
            ]
          }
        ]
      },
      { id: IDS.slow, name: 'Reload Everything', appId: IDS.appFinance, runs: [{ attempts: [{ outcome: 7, durationMs: 120_000 }] }] },
      { id: IDS.queued, name: 'Reload Queued', appId: IDS.appSales, runs: [{ attempts: [{ outcome: 7, queuedMs: 800, durationMs: 300 }] }] },
      // Fails the first time, succeeds the second: the second step must not report the first run.
      { id: IDS.long, name: 'Reload Long', appId: IDS.appSales, runs: [{ attempts: [{ outcome: 7, durationMs: 4_000 }] }] },
      { id: IDS.flaky, name: 'Reload Flaky', appId: IDS.appSales, runs: [{ attempts: [{ outcome: 8, durationMs: 200 }] }, { attempts: [{ outcome: 7, durationMs: 1_200 }] }] }
    ],
    users: [{ directory: 'INTERNAL', id: 'sa_api' }],
    proxy: {
      virtualProxies: [
        { prefix: 'ntlm', auth: 'windows', sessionCookieName: 'X-Qlik-Session-ntlm', windowsAuthPattern: 'Windows' },
        { prefix: 'win2', auth: 'windows', sessionCookieName: 'QlikSessionCustom', windowsAuthPattern: 'Windows', cookieOnType3: true },
        { prefix: 'ntlmv1', auth: 'windows', sessionCookieName: 'X-Qlik-Session-ntlmv1', ntlmV1Only: true },
        { prefix: 'jwt', auth: 'jwt', sessionCookieName: 'X-Qlik-Session-jwt', jwtUserIdClaim: 'userId', jwtUserDirectoryClaim: 'userDirectory' },
        { prefix: 'hdr', auth: 'header', sessionCookieName: 'X-Qlik-Session-hdr', headerName: 'X-Qlik-HeaderAuth', headerUserDirectory: 'CORP' },
        { prefix: '', auth: 'forms', sessionCookieName: 'X-Qlik-Session' }
      ],
      windowsAccounts: [WINDOWS]
    }
  }
}

/** The inputs of a certificate-auth step against a simulator, with short polls; `extra` wins. */
export function certificateInputs(sim: { url: string; certs: { clientCert: string; clientKey: string; ca: string } }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    url: sim.url,
    'auth-type': 'certificate',
    'client-cert': sim.certs.clientCert,
    'client-key': sim.certs.clientKey,
    'ca-cert': sim.certs.ca,
    'max-poll-interval': '1s',
    ...extra
  }
}

/** The inputs of a JWT step through the simulator's `jwt` virtual proxy, tokens minted from its key; `extra` wins. */
export function jwtInputs(sim: { proxyUrl: string; certs: { jwtKey: string; ca: string } }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    url: `${sim.proxyUrl}/jwt`,
    'auth-type': 'jwt',
    'jwt-private-key': sim.certs.jwtKey,
    'jwt-user-id': 'svc_reload',
    'jwt-user-directory': 'CORP',
    'ca-cert': sim.certs.ca,
    'max-poll-interval': '1s',
    ...extra
  }
}
