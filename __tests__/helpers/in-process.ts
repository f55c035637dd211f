import { afterAll, beforeAll } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator, type Scenario, type Simulator } from '../../simulator/src/index.js'
import { testCertificates } from './certs.js'
import { testSite } from './site.js'

/** For in-process tests of the steps: a simulator of `scenario` (the test site) and a RUNNER_TEMP, for the whole file. */
export function inProcessSite(scenario: Scenario = testSite()): { sim: () => Simulator; scratch: () => string } {
  let sim: Simulator
  let scratch: string
  beforeAll(async () => {
    sim = await startSimulator({ scenario, certsDir: testCertificates().dir, quiet: true })
    scratch = mkdtempSync(join(tmpdir(), 'steps-'))
    process.env.RUNNER_TEMP = scratch
  })
  afterAll(async () => {
    await sim?.close()
    rmSync(scratch, { recursive: true, force: true })
    delete process.env.RUNNER_TEMP
  })
  return { sim: () => sim, scratch: () => scratch }
}
