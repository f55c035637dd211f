/**
 * Jest global setup: names a file (QSR_SKIPPED) where the suites that cannot run here write why
 * (simulator/__tests__/skipped.ts), unless the caller gave one (.ci/run does, and prints it at its end).
 * Jest shows nothing of a test file whose tests are all skipped, so the teardown prints the file.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function skippedFile(): void {
  if (process.env.QSR_SKIPPED) return
  process.env.QSR_SKIPPED_DIR = mkdtempSync(join(tmpdir(), 'qsr-skipped-'))
  process.env.QSR_SKIPPED = join(process.env.QSR_SKIPPED_DIR, 'skipped')
}
