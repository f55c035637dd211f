import type { AppToOpen, EngineConnector } from '../engine/connector.js'
import type { TableRows } from '../engine/types.js'
import { timeLeft, type TargetContext } from './context.js'

/** What is left of the target's timeout, but at least one request's time: what opening an app may take. */
export function openBudget({ settings, clock, startedAt }: Pick<TargetContext, 'settings' | 'clock' | 'startedAt'>): number {
  return Math.max(settings.requestTimeoutMs, timeLeft({ startedAt, settings, clock }))
}

/** Opens the app in the engine with its data, reads its tables, closes the session. */
export async function readTables(engine: EngineConnector, app: AppToOpen, context: TargetContext): Promise<TableRows[]> {
  const session = await engine.open(app, { noData: false, openTimeoutMs: openBudget(context) })
  try {
    return await session.tables()
  } finally {
    await session.close()
  }
}
