import { appendFileSync } from 'node:fs'

/**
 * A suite (or a test) that cannot run here, for want of a tool or a file, records why in the file named by
 * QSR_SKIPPED. The list is printed once per run: by the Jest global teardown (__tests__/setup/), or, when
 * .ci/run names the file, at the end of .ci/run, which also fails on any skip but the QRS definition's
 * where ci.yml allows it. (Jest itself shows nothing of a test file whose tests are all skipped.)
 */
export function noteSkipped(suite: string, reason: string): void {
  if (process.env.QSR_SKIPPED) appendFileSync(process.env.QSR_SKIPPED, `${suite}: ${reason}\n`)
}
