/** An annotation's title: GitHub shows it above the message in the run's summary and the diff. */
export interface AnnotationProperties {
  title?: string
}

/**
 * What the steps ask of the runner: inputs, outputs, state, logging, summary and the verdict.
 * `actionsToolkit` is the one on @actions/core; tests pass a fake that records everything.
 */
export interface Toolkit {
  /** An input as the workflow set it ('' when unset); trimmed unless `trim: false`. */
  getInput(name: string, options?: { trim?: boolean }): string
  setOutput(name: string, value: string): void
  /** Kept by the runner for the post step. */
  saveState(name: string, value: string): void
  getState(name: string): string
  info(message: string): void
  debug(message: string): void
  warning(message: string, properties?: AnnotationProperties): void
  error(message: string, properties?: AnnotationProperties): void
  /** A collapsible group in the step log around `fn`. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
  /** Masked in the log from now on. */
  setSecret(secret: string): void
  /** Replaces the job summary of this step with this HTML; skipped where the runner gives none. */
  writeSummary(html: string): Promise<void>
  /** The step fails (exit code 1). Say why with error() first: this adds no message. */
  fail(): void
}

/**
 * What the code below the steps may tell the runner: log lines, warnings and secrets to mask. Cut from the
 * Toolkit, so that every such call goes through it (and a test's fake sees it).
 */
export type Log = Pick<Toolkit, 'info' | 'debug' | 'warning' | 'setSecret'>
