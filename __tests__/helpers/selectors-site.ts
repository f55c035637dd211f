import type { Scenario } from '../../simulator/src/index.js'

/** The site of the target-selection tests (tags, custom properties, apps by name, dry run), e2e and in-process. */
export const T = (n: number) => `e7000000-0000-4000-8000-${String(n).padStart(12, '0')}`
export const STREAM = { finance: 'e8000000-0000-4000-8000-000000000001', sales: 'e8000000-0000-4000-8000-000000000002' }
export const APP = {
  warehouse: 'e9000000-0000-4000-8000-000000000001',
  budgetFinance: 'e9000000-0000-4000-8000-000000000002',
  budgetSales: 'e9000000-0000-4000-8000-000000000003',
  budgetDraft: 'e9000000-0000-4000-8000-000000000004',
  forecast: 'e9000000-0000-4000-8000-000000000005'
}
const quick = [{ attempts: [{ outcome: 7, durationMs: 300 }] }]

export function selectorsSite(): Scenario {
  return {
    machineName: 'qliksrv01.corp.example',
    serverNames: ['qliksrv01.corp.example', 'localhost', '127.0.0.1'],
    nodeName: 'qliksrv01',
    streams: [
      { id: STREAM.finance, name: 'Finance' },
      { id: STREAM.sales, name: 'Sales' }
    ],
    apps: [
      { id: APP.warehouse, name: 'Warehouse', streamId: STREAM.finance },
      { id: APP.budgetFinance, name: 'Budget', streamId: STREAM.finance, reloadRuns: quick },
      { id: APP.budgetSales, name: 'Budget', streamId: STREAM.sales, reloadRuns: quick },
      // A copy in a work area: unpublished, owned by its developer.
      { id: APP.budgetDraft, name: 'Budget', owner: { userDirectory: 'CORP', userId: 'jdoe', name: 'Jane Doe' }, reloadRuns: quick },
      { id: APP.forecast, name: 'Forecast', streamId: STREAM.sales, reloadRuns: quick }
    ],
    customPropertyDefinitions: [
      { id: 'ea000000-0000-4000-8000-000000000001', name: 'ReloadGroup' },
      { id: 'ea000000-0000-4000-8000-000000000002', name: 'CostCenter' }
    ],
    tags: ['Nightly Sales'],
    tasks: [
      // Listed out of name order: the selection sorts each selector's matches by name.
      { id: T(2), name: 'Finance nightly 2', appId: APP.warehouse, tags: ['Nightly Finance', 'Weekly'], runs: quick },
      { id: T(1), name: 'Finance nightly 1', appId: APP.warehouse, tags: ['Nightly Finance'], customProperties: [{ name: 'ReloadGroup', value: 'Finance' }], runs: quick },
      { id: T(3), name: 'Weekly cleanup', taskType: 1, tags: ['weekly'], runs: quick },
      // The decoy: 'Finance' is its CostCenter, its ReloadGroup is Sales. The QRS filter matches it anyway.
      {
        id: T(4),
        name: 'Decoy',
        appId: APP.warehouse,
        customProperties: [
          { name: 'CostCenter', value: 'Finance' },
          { name: 'ReloadGroup', value: 'Sales' }
        ],
        runs: quick
      },
      { id: T(5), name: 'Disabled nightly', appId: APP.warehouse, enabled: false, tags: ['Nightly Disabled'] },
      { id: T(6), name: 'Locked task', appId: APP.warehouse, privileges: ['read'], runs: quick },
      { id: T(7), name: 'Long task', appId: APP.warehouse, runs: [{ attempts: [{ outcome: 7, durationMs: 60_000 }] }] }
    ]
  }
}
