/** One task the chain set off, and what it set off in turn. */
export interface ChainNode {
  taskId: string
  taskName: string
  /** The composite event (trigger) that started it. */
  eventName: string
  executionId?: string
  status?: string
  statusCode?: number
  durationMs?: number | null
  /** Why nothing (more) is known: did not fire, cycle, timed out. */
  note?: string
  children: ChainNode[]
}
