import type { Scenario } from '../../simulator/src/index.js'
import { testSite } from './site.js'

/** Apps of the engine tests: each with the tables and reloads one behaviour needs. */
export const APPS = {
  /** Two tables; a 2.5 s reload with progress lines over time; a third table after a partial reload. */
  orders: 'e2000000-0000-4000-8000-000000000001',
  /** A reload that fails with a script error. */
  broken: 'e2000000-0000-4000-8000-000000000002',
  /** A reload that leaves a table empty: a source that returned nothing. */
  budget: 'e2000000-0000-4000-8000-000000000003',
  /** A reload of two minutes: cancel and timeout. */
  slow: 'e2000000-0000-4000-8000-000000000004',
  /** The user may open and reload it, not save it. */
  locked: 'e2000000-0000-4000-8000-000000000005',
  /** Progress lines, transient text, table names and script errors that try runner commands. */
  hostile: 'e2000000-0000-4000-8000-000000000006'
}

/** What a load script's TRACE (or a table's name) could hold: runner commands, both formats. */
export const HOSTILE = '::add-mask::PWNED'

export const ENGINE_TASKS = {
  orders: 'e3000000-0000-4000-8000-000000000001',
  budget: 'e3000000-0000-4000-8000-000000000002',
  /** An external program task: no app, so no tables to check. */
  program: 'e3000000-0000-4000-8000-000000000003'
}

export const BROKEN_ERROR = { message: "Field 'Revenue' not found", statement: 'LOAD Revenue FROM [lib://Data/sales.qvd] (qvd)' }

/** The sample site with the engine apps, a task per app for task-mode checks, and a user without the update right on one. */
export function engineSite(): Scenario {
  const site = testSite()
  site.apps!.push(
    {
      id: APPS.orders,
      name: 'Orders',
      published: true,
      engine: {
        tables: [
          { name: 'Orders', rows: 1000 },
          { name: 'Customers', rows: 50 }
        ],
        tablesAfterFull: [
          { name: 'Orders', rows: 1200 },
          { name: 'Customers', rows: 55 }
        ],
        tablesAfterPartial: [
          { name: 'Orders', rows: 1000 },
          { name: 'Customers', rows: 50 },
          { name: 'Returns', rows: 7 }
        ],
        reloads: [
          {
            durationMs: 2_500,
            progress: [
              { atMs: 0, text: 'Started loading data' },
              { atMs: 200, text: 'Orders << Orders' },
              { atMs: 1_400, text: 'Lines fetched: 1,200' },
              { atMs: 1_500, text: 'Customers << Customers' },
              { atMs: 2_300, text: 'Lines fetched: 55' }
            ],
            transient: [
              { atMs: 200, text: 'Orders << Orders 600 Lines fetched' },
              { atMs: 1_500, text: 'Customers << Customers 20 Lines fetched' }
            ]
          }
        ]
      }
    },
    { id: APPS.broken, name: 'Broken', published: true, engine: { reloads: [{ durationMs: 400, errors: [BROKEN_ERROR] }] } },
    {
      id: APPS.budget,
      name: 'Budget',
      published: true,
      engine: {
        tables: [
          { name: 'Budget', rows: 1200 },
          { name: 'Accounts', rows: 310 }
        ],
        tablesAfterFull: [
          { name: 'Budget', rows: 0 },
          { name: 'Accounts', rows: 310 }
        ],
        reloads: [{ durationMs: 400 }]
      }
    },
    { id: APPS.slow, name: 'Slow', published: true, engine: { reloads: [{ durationMs: 120_000 }] } },
    { id: APPS.locked, name: 'Locked', published: true, engine: { reloads: [{ durationMs: 300 }] } },
    {
      id: APPS.hostile,
      name: 'Hostile',
      published: true,
      engine: {
        tables: [{ name: '::set-output name=status::PWNED', rows: 1 }],
        reloads: [
          {
            durationMs: 1_200,
            progress: [
              { atMs: 0, text: HOSTILE },
              { atMs: 100, text: '##[error]PWNED old format' },
              { atMs: 200, text: '::stop-commands::pwned' }
            ],
            transient: [{ atMs: 100, text: '::error::PWNED transient' }],
            errors: [{ message: '::warning::PWNED error', statement: 'TRACE ::add-mask::PWNED' }]
          }
        ]
      }
    }
  )
  site.tasks!.push(
    { id: ENGINE_TASKS.orders, name: 'Reload Orders', appId: APPS.orders, runs: [{ attempts: [{ outcome: 7, durationMs: 300 }] }] },
    { id: ENGINE_TASKS.budget, name: 'Reload Budget', appId: APPS.budget, runs: [{ attempts: [{ outcome: 7, durationMs: 300 }] }] },
    { id: ENGINE_TASKS.program, name: 'Copy files', taskType: 1, runs: [{ attempts: [{ outcome: 7, durationMs: 200 }] }] }
  )
  site.users!.push(
    { directory: 'CORP', id: 'no_update', appRights: { [APPS.locked]: ['read', 'reload'] } },
    { directory: 'CORP', id: 'viewer', appRights: { [APPS.orders]: ['read'] } },
    { directory: 'CORP', id: 'outsider', appRights: { [APPS.orders]: [] } }
  )
  return site
}
