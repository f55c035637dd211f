/**
 * Jest global setup of the end-to-end project: bundles the current src/ with ncc, as `npm run bundle`
 * does, into a temporary folder, and names the bundle in QSR_BUNDLE for the runs the tests start
 * (see __tests__/helpers/local-runner.ts). So the e2e tests run the source as it is now, not the last
 * committed dist/; .ci/run checks separately that dist/ equals such a bundle.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The source of the post step's bundle (action.yml `runs.post: dist/post/index.js`). */
const POST_ENTRY = 'src/post-entry.ts'

export default function bundle(): void {
  // A bundle given from outside (a run that already built one) is used as it is.
  if (process.env.QSR_BUNDLE) {
    if (!existsSync(process.env.QSR_BUNDLE)) throw new Error(`QSR_BUNDLE=${process.env.QSR_BUNDLE} does not exist`)
    return
  }
  const out = mkdtempSync(join(tmpdir(), 'qsr-bundle-'))
  const started = Date.now()
  const ncc = (entry: string, dir: string): void =>
    void execFileSync(process.execPath, [join('node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js'), 'build', entry, '-o', dir, '--quiet'], { stdio: 'inherit' })
  ncc('src/index.ts', out)
  // The post step's own entry (issue 20, item 4), when there is one: dist/post/index.js beside dist/index.js.
  if (existsSync(POST_ENTRY)) ncc(POST_ENTRY, join(out, 'post'))
  process.env.QSR_BUNDLE = join(out, 'index.js')
  process.env.QSR_BUNDLE_DIR = out
  process.stderr.write(`\nBundled src/ for the end-to-end tests in ${((Date.now() - started) / 1000).toFixed(1)} s: ${process.env.QSR_BUNDLE}\n`)
}
