/** Jest global teardown: prints, once, each suite that skipped and why (see skipped.ts beside it). */
import { existsSync, readFileSync, rmSync } from 'node:fs'

export default function printSkipped(): void {
  const dir = process.env.QSR_SKIPPED_DIR
  const file = process.env.QSR_SKIPPED
  if (!dir || !file) return
  const lines = existsSync(file) ? [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))].sort() : []
  rmSync(dir, { recursive: true, force: true })
  if (lines.length === 0) return
  // On a runner, as annotations; elsewhere as a list.
  const prefix = process.env.GITHUB_ACTIONS === 'true' ? '::warning title=Suite skipped::' : '  '
  process.stderr.write(`\nSuites skipped in this run (${lines.length}):\n${lines.map(line => `${prefix}${line}\n`).join('')}`)
}
