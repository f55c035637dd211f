import { getSettings, type Settings } from '../../src/settings/settings.js'

/** Checked settings as the action reads them (header auth: no certificates needed), with `overrides` on top. */
export function testSettings(overrides: Partial<Settings> = {}, inputs: Record<string, string> = {}): Settings {
  const all: Record<string, string> = {
    url: 'https://qlik.corp.example/hdr',
    'auth-type': 'header',
    'header-name': 'X-Qlik-HeaderAuth',
    'header-value': 'svc_reload',
    'task-id': 'a1000000-0000-4000-8000-000000000001',
    ...inputs
  }
  return { ...getSettings(name => all[name] ?? ''), ...overrides }
}
