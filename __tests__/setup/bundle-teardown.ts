/** Removes the temporary bundle that __tests__/setup/bundle.ts made (not one given in QSR_BUNDLE). */
import { rmSync } from 'node:fs'

export default function removeBundle(): void {
  if (process.env.QSR_BUNDLE_DIR) rmSync(process.env.QSR_BUNDLE_DIR, { recursive: true, force: true })
}
